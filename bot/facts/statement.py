"""Whether a message states the user's own record: 「我那个小吃店遭弄到经营异常里头去了 说是没报年报」.

Used when NLU is unsure (nlu_fallback): such a message starts describing the record instead of
a guide search. A question (「处罚信息挂在网上好多个月」) or a general remark is not a statement.
The words are in guides/lexicon.yml (`record_statement`)."""

from __future__ import annotations

import datetime as dt

from bot.guide import load_guide

from .extract import extract_record_facts


def states_a_record(text: str, today: dt.date) -> bool:
    words = load_guide().lexicon.section("record_statement")
    clean = (text or "").strip()
    if not clean or any(w in clean for w in words["question_words"]) \
            or clean.endswith(tuple(words["question_endings"])):
        return False
    if not any(w in clean for w in words["own_words"]):
        return False
    return extract_record_facts(clean, today).kind is not None


def asks_about_own_record(text: str, today: dt.date) -> bool:
    """A question about the speaker's own record (「我们屋头那个小卖部遭列进经营异常了 年报忘求了报
    咋个整嘛」): answered first, then its facts are taken down. A general question that only
    names a kind of record (「公司遭罚款了，要公示好久」) is not about the speaker's own."""
    words = load_guide().lexicon.section("record_statement")
    clean = (text or "").strip()
    if not clean:
        return False
    facts = extract_record_facts(clean, today)
    if facts.kind is not None and (facts.department is not None or facts.kind == "abnormal_list") \
            and facts.date is not None and facts.date_precision in ("day", "month"):
        # 「我征信上有个记录 是去年6月税务局罚的款 咋个修复」「今年7月份标的 年报还没补」: one record,
        # dated to the month and its department named (or the abnormal list, which has one), is
        # somebody's own — a general question names no month
        return True
    mine = clean
    for w in words.get("not_first_person", ()):  # 「我开始想问下」 is not 「我开(的店)」
        mine = mine.replace(w, "")
    if not any(w in mine for w in words["first_person"]):
        return False
    return facts.kind is not None

