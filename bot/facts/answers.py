"""Read the answer to ONE question the assistant asked: 「是的」「交了」「税务局」「去年5月8号」,
or a button payload (the code itself, `true`/`false`, or `/inform{"department": "tax"}`).

`extract_answer(field, text, today)` returns the value in rules-engine form, or None when the
answer does not say (「不知道」 gives None, except for severity where the engine accepts
'unknown'). Date answers are `DateValue`s: ISO strings that also carry `.precision` and `.date`,
so the assistant can ask again for the exact day after 「去年三月」.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Optional

from bot.guide.loader import Guide, load_guide
from bot.parsing import (
    normalise_decision_number,
    normalise_user_text,
    parse_all_dates,
    parse_amount_yuan,
)
from bot.parsing.numerals import parse_number
from bot.rules.inputs import KINDS, PENALTY_TYPES, PROCEDURES, REASONS, SEVERITIES, SUBJECT_TYPES

from . import vocab
from .extract import RecordFacts, _read_duty, _read_subject_code, extract_record_facts
from .vocab import Patterns, negated

DATE_FIELDS = ("decision_date", "listed_date", "fulfilled_date", "corrected_date")
BOOL_FIELDS = ("obligations_fulfilled", "corrected")
ANSWER_FIELDS = (
    "kind", "department", *DATE_FIELDS, "severity", "procedure", *BOOL_FIELDS, "reason",
    "subject_type", "penalties", "fine_amount", "decision_number",
)
MAX_ANSWER_CHARS = 300


class DateValue(str):
    """An ISO date string ('2025-05-08') that also knows its precision ('day'|'month'|'year')."""

    date: dt.date
    precision: str

    def __new__(cls, value: dt.date, precision: str = "day") -> "DateValue":
        obj = super().__new__(cls, value.isoformat())
        obj.date = value
        obj.precision = precision
        return obj


_UNKNOWN = re.compile(r"不知道|不清楚|不确定|不记得|记不清|忘了|说不好|不好说|不晓得|搞不清")
_OTHER = re.compile(r"其他|其它|别的")
_PAYLOAD = re.compile(r"^/[\w.\-]+\s*(\{.*\})\s*$", re.S)
_CODE = re.compile(r"^[A-Za-z_]+$")

_ANSWER_SEVERITY: Patterns[str] = Patterns([
    (r"轻微|很轻|轻的", "minor"),
    (r"严重", "serious"),
    (r"一般|比较轻|较轻|中等|普通", "general"),
])
_ANSWER_PROCEDURE: Patterns[str] = Patterns([
    (r"简易|当场", "simple"),
    (r"一般|普通", "general"),
])
_ANSWER_KIND: Patterns[str] = Patterns([
    (r"异常", "abnormal_list"),
    (r"名单", "serious_list"),
])
_YES_NO: Patterns[bool] = Patterns([
    (r"没问题|没毛病|不错|(?:没得|莫得)(?:啥子?|什么)?(?:问题|事)|要得", True),
    (r"没有|没|还没|未|否|不是|不对|不|尚未|(?i:\bno\b|^n$)", False),
    (r"是|对|嗯|有|好了|已经|当然|完成|搞定|办了|弄了|(?i:\byes\b|^y$|\bok\b)|可以|行", True),
])
_BOOL_WORDS = {"true": True, "false": False, "yes": True, "no": False, "y": True, "n": False, "ok": True}


def extract_answer(field: str, text: str, today: dt.date, guide: Guide | None = None) -> Any:
    """The value that `text` gives for `field` (see ANSWER_FIELDS), or None."""
    if field not in ANSWER_FIELDS:
        raise ValueError(f"unknown field {field!r}; one of {', '.join(ANSWER_FIELDS)}")
    guide = guide or load_guide()
    clean = normalise_user_text(text or "", MAX_ANSWER_CHARS)
    if not clean:
        return None
    found, value = _payload(field, clean)
    if found:
        return _checked(field, value, guide, today)
    return _READERS[field](clean, today, guide)


# ----- button payloads --------------------------------------------------------------------------
def _payload(field: str, clean: str) -> tuple[bool, Any]:
    m = _PAYLOAD.match(clean)
    if m:
        try:
            data = json.loads(m.group(1))
        except ValueError:
            return False, None
        if isinstance(data, dict):
            if field in data:
                return True, data[field]
            if len(data) == 1:
                return True, next(iter(data.values()))
        return False, None
    if _CODE.match(clean):
        return True, clean.lower()
    if field in DATE_FIELDS and re.fullmatch(r"\d{4}-\d{2}-\d{2}", clean):
        return True, clean
    return False, None


def _checked(field: str, value: Any, guide: Guide, today: dt.date) -> Any:
    """A payload value if it is valid for the field, else None."""
    if isinstance(value, str):
        value = value.strip()
    if field in BOOL_FIELDS:
        if isinstance(value, bool):
            return value
        return _BOOL_WORDS.get(str(value).lower())
    if field in DATE_FIELDS:
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            return None
        return DateValue(day) if day <= today else None
    if field == "fine_amount":
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return int(value)
        return None
    if field == "penalties":
        codes = value if isinstance(value, list) else [value]
        codes = [c for c in codes if isinstance(c, str) and c in PENALTY_TYPES]
        return codes or None
    if field == "decision_number":
        return normalise_decision_number(str(value))
    choices = {
        "kind": KINDS,
        "department": guide.departments,
        "severity": SEVERITIES,
        "procedure": PROCEDURES,
        "reason": REASONS,
        "subject_type": SUBJECT_TYPES,
    }[field]
    if field == "kind" and value in vocab.ITEM_KIND:
        return vocab.ITEM_KIND[value]
    return value if isinstance(value, str) and value in choices else None


# ----- free-text answers ------------------------------------------------------------------------
def _first_free(patterns: Patterns, clean: str):
    for hit in patterns.find(clean):
        if not negated(clean, hit.start):
            return hit.value
    return None


def _kind(clean: str, today: dt.date, guide: Guide) -> Optional[str]:
    facts = extract_record_facts(clean, today, guide)
    return facts.kind or _first_free(_ANSWER_KIND, clean)


def _department(clean: str, today: dt.date, guide: Guide) -> Optional[str]:
    for hit in vocab.lexicon(guide).departments.find(clean):
        if not negated(clean, hit.start):
            return hit.value
    m = _OTHER.search(clean)
    if m and "other" in guide.departments and not negated(clean, m.start()):
        return "other"
    return None


def _date(clean: str, today: dt.date, guide: Guide) -> Optional[DateValue]:
    for d in parse_all_dates(clean, today):
        if d.value <= today:
            return DateValue(d.value, d.precision)
    return None


def _severity(clean: str, today: dt.date, guide: Guide) -> Optional[str]:
    if _UNKNOWN.search(clean):
        return "unknown"
    return _first_free(_ANSWER_SEVERITY, clean)


def _procedure(clean: str, today: dt.date, guide: Guide) -> Optional[str]:
    if _UNKNOWN.search(clean):
        return None
    return _first_free(_ANSWER_PROCEDURE, clean)


def _yes_no(clean: str, today: dt.date, guide: Guide) -> Optional[bool]:
    if _UNKNOWN.search(clean):
        return None
    facts = RecordFacts()
    _read_duty(facts, clean)
    if facts.done is not None:
        return facts.done
    hits = _YES_NO.find(clean)
    return hits[0].value if hits else None


def _reason(clean: str, today: dt.date, guide: Guide) -> Optional[str]:
    found = _first_free(vocab.REASON_PATTERNS, clean)
    if found:
        return found
    m = _OTHER.search(clean)
    return "other" if m and not negated(clean, m.start()) else None


def _subject(clean: str, today: dt.date, guide: Guide) -> Optional[str]:
    facts = RecordFacts()
    _read_subject_code(facts, clean)
    if facts.subject_type:
        return facts.subject_type
    for hit in vocab.lexicon(guide).subjects.find(clean):
        if not negated(clean, hit.start):
            return hit.value
    return None


def _penalties(clean: str, today: dt.date, guide: Guide) -> Optional[list[str]]:
    codes = []
    for hit in vocab.PENALTY_PATTERNS.find(clean):
        if not negated(clean, hit.start) and hit.value not in codes:
            codes.append(hit.value)
    return codes or None


def _fine_amount(clean: str, today: dt.date, guide: Guide) -> Optional[int]:
    amount = parse_amount_yuan(clean)
    if amount is not None:
        return amount
    bare = re.sub(r"(?:人民币|元|块钱?|圆|整|左右|大概|大约|差不多|\s)", "", clean)
    value = parse_number(bare) if bare else None
    return int(value) if value is not None and 0 < value < 10**12 else None


def _decision_number(clean: str, today: dt.date, guide: Guide) -> Optional[str]:
    return normalise_decision_number(clean)


_READERS = {
    "kind": _kind,
    "department": _department,
    **{f: _date for f in DATE_FIELDS},
    "severity": _severity,
    "procedure": _procedure,
    **{f: _yes_no for f in BOOL_FIELDS},
    "reason": _reason,
    "subject_type": _subject,
    "penalties": _penalties,
    "fine_amount": _fine_amount,
    "decision_number": _decision_number,
}
