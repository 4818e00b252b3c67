"""「这个代码在哪看哦」「经办人是啥意思」 asked while the application form asks for a field of the
applicant: the question is about the field, not an answer to it, a correction or a question for
the guide (「在哪」 would otherwise read as where the office is). The reply says where the fact
is found and what it means (guides/messages.yml `form.field_help`), and the form asks again.

The words are guides/lexicon.yml `field_help_cues` (a question about where or what),
`field_help_look` (where to look, what it means: a question naming no field is about the one
just asked only with these), `field_help_vague` (words too common to name another field) and the
fields' own words, `correction_fields.applicant`."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from bot.facts.applicant import mine_applicant
from bot.texts import t

FIELDS = ("subject_type", "subject_name", "uscc", "legal_rep", "agent_name", "agent_phone")
MAX_LENGTH = 40  # a longer message says more than a question about a field


@dataclass(frozen=True)
class _Words:
    cues: tuple[str, ...]
    look: tuple[str, ...]
    vague: frozenset[str]
    fields: tuple[tuple[str, tuple[str, ...]], ...]
    no_license: tuple[str, ...]


NO_LICENSE = "no_license"  # 「我们协会没得营业执照」: not a field, where a social organisation looks instead


@functools.lru_cache(maxsize=1)
def _words() -> _Words:
    from bot.guide.loader import load_guide

    lexicon = load_guide().lexicon
    fields = lexicon.section("correction_fields")["applicant"]
    return _Words(tuple(lexicon.section("field_help_cues")), tuple(lexicon.section("field_help_look")),
                  frozenset(lexicon.section("field_help_vague")),
                  tuple((slot, tuple(words)) for slot, words in fields.items() if slot in FIELDS),
                  tuple(lexicon.section("no_license_words")))


def field_asked_about(text: str, asked: str | None) -> str | None:
    """The applicant field `text` asks about (where to find it, what it means), or None when it
    is not such a question. `asked`: the field the form asks for now."""
    text = (text or "").strip()
    words = _words()
    if text and len(text) <= MAX_LENGTH and asked in FIELDS and any(w in text for w in words.no_license):
        return NO_LICENSE  # 「我们协会没得营业执照」 at the code's question
    if not text or len(text) > MAX_LENGTH or not any(c in text for c in words.cues):
        return None
    if mine_applicant(text).slots():
        return None  # 「法人是张三，代码在哪看」: a value given is an answer, the form takes it
    named = {slot: [w for w in ws if w in text] for slot, ws in words.fields}
    if named.get(asked):
        return asked
    for slot, found in named.items():
        if any(w not in words.vague for w in found):
            return slot  # 「法人是啥意思」 while the phone is asked
    if asked in FIELDS and any(w in text for w in words.look):
        return asked  # 「在哪看哦」「这是啥子意思」: the question just asked
    return None


def field_help(slot: str) -> str:
    return t(f"form.field_help.{slot}")


RECORD_FIELDS = ("fact_kind", "fact_department", "fact_date", "fact_severity", "fact_fulfilled", "fact_reason",
                 "fact_corrected", "fact_corrected_date")


def asks_plainer(text: str) -> bool:
    """「听不懂」「还是听不懂」「说简单点」 (guides/lexicon.yml `plain_requests`, short messages only)."""
    from bot.guide.first import is_plain_request
    from bot.guide.loader import load_guide

    guide = load_guide()
    # 「字都认不到」 inside a form: the question in plain words, counted, then a person (review)
    return is_plain_request((text or "").strip(), guide) or guide.lexicon.mentions(text or "", "cannot_read_words")


def plain_words(slot: str) -> str | None:
    """The question of `slot` in plainer words, or None for a question that has none."""
    if slot in FIELDS:
        return field_help(slot)
    if slot in RECORD_FIELDS or slot == "materials_confirmed":
        return t(f"form.plain.{slot}")
    return None


def record_question_about(text: str, asked: str | None) -> bool:
    """「啥子叫失信程度」「这个日期在哪看」 at one of the record's questions: a question about the
    question (its cues and a look word, in a short message), answered with its plain words."""
    from bot.guide.loader import load_guide

    text = (text or "").strip()
    words = _words()
    return (asked in RECORD_FIELDS and 0 < len(text) <= 20 and any(c in text for c in words.cues)
            and (any(w in text for w in words.look) or load_guide().lexicon.mentions(text, "field_help_meaning")))
