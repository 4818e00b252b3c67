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
