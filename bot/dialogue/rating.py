"""The optional reason of a bad 好差评 rating, as the chat reads it: the user's own words, or
nothing when the whole message says "skip" (guides/lexicon.yml `rating_skip`) or is a button."""

from __future__ import annotations

import functools
import re
import unicodedata

MAX_REASON = 1000  # the case store's limit (bot/casestore/ratings.py)
_PUNCT = re.compile(r"[\s,.;:!?~`'\"，。；：！？、…—\-（）()【】\[\]《》<>“”‘’·]+")


@functools.lru_cache(maxsize=1)
def _skip_words() -> frozenset[str]:
    from bot.guide.loader import load_guide

    return frozenset(load_guide().lexicon.section("rating_skip"))


def read_reason(text: str | None) -> str | None:
    """The reason to keep, or None when the user skips it (「跳过」「算了」「没有」, a tapped button)."""
    said = (text or "").strip()
    bare = _PUNCT.sub("", unicodedata.normalize("NFKC", said))
    if not bare or said.startswith("/") or bare in _skip_words():
        return None
    return said[:MAX_REASON]  # as typed (full-width punctuation kept)
