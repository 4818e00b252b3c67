"""Is a message a question (「年报在哪里补报嘛」「要交钱不」) rather than an answer? The patterns are
guides/lexicon.yml `form_question` (the one lexicon)."""

from __future__ import annotations

import functools
import re


@functools.lru_cache(maxsize=1)
def _question() -> re.Pattern:
    from bot.guide.loader import load_guide

    return re.compile("|".join(load_guide().lexicon.section("form_question")))


def looks_like_question(text: str) -> bool:
    return bool(_question().search((text or "").strip()))


# 「要好久哦 要钱不」: two short questions in one message (seventh hand try: only the fee answered).
# Each clause's topic from the lexicon (guides/lexicon.yml `second_question_cues`: words → intent).
_CLAUSES = re.compile(r"[\s，,。；;？?！!]+")


def second_question(text: str, answered_intent: str | None) -> tuple[str, str] | None:
    """(intent, clause) of another short question in `text` than the one answered with
    `answered_intent`, or None. Only clauses that are questions on their own, and only a topic the
    answered intent is not."""
    from bot.guide.loader import load_guide

    cues = load_guide().lexicon.section("second_question_cues")
    clauses = [c for c in _CLAUSES.split(text or "") if c]
    if not 2 <= len(clauses) <= 3:
        return None
    found = []
    for clause in clauses:
        intent = next((i for i, words in cues.items() if any(w in clause for w in words)), None)
        if intent and looks_like_question(clause) and intent not in (answered_intent, *[f[0] for f in found]):
            found.append((intent, clause))
    others = [f for f in found if f[0] != answered_intent]
    return others[0] if others and len(found) >= 1 and any(
        any(w in c for w in cues.get(answered_intent or "", ())) for c in clauses) else None
