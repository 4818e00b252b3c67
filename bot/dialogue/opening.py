"""Whether a message opens the chat: the welcome (what the assistant can do) is said then, and
only then (actions/core_actions.py ActionSessionStart reads `metadata.opening`).

Opening: the widget's hidden 「/greet」 when it opens, a new WeChat follower (「你好」), or a
greeting with nothing asked (「你好」「你好 我是开五金店的 听说可以修复信用」). A first message that
asks something (「我们屋头那个小卖部遭列进经营异常了 咋个整嘛」, 「你好 年报在哪里补」) gets its
answer first, without the welcome in front. The greeting words are in guides/lexicon.yml
(`greeting_words`)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.guide import load_guide
from bot.guide.first import is_question

OPENING_PAYLOADS = ("/greet",)
_LEAD = re.compile(r"^[\s,，.。!！~～、]+")


def is_opening(text: str | None) -> bool:
    clean = unicodedata.normalize("NFKC", text or "").strip()
    if clean.split("{")[0] in OPENING_PAYLOADS:
        return True
    guide = load_guide()
    low = clean.lower()
    for word in sorted(guide.lexicon.section("greeting_words"), key=len, reverse=True):
        if low.startswith(word.lower()):
            rest = _LEAD.sub("", clean[len(word):])
            return not rest or not is_question(rest, guide)
    return False


def mark_opening(message: Any) -> None:
    """Mark `message` (a Rasa UserMessage) as opening the chat, in its metadata."""
    if is_opening(getattr(message, "text", None)):
        message.metadata = {**(getattr(message, "metadata", None) or {}), "opening": True}
