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
