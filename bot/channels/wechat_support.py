"""Helpers for the WeChat channel that need no network and no Rasa: a bounded TTL cache,
rendering the bot's messages as one WeChat text (buttons as numbered options), mapping a
numeric reply back to a button payload, and splitting long texts under WeChat's byte limit."""

from __future__ import annotations

import hashlib
import re
import time
from collections import OrderedDict
from typing import Any, Callable, Dict, Generic, Iterable, List, Optional, Tuple, TypeVar

V = TypeVar("V")

# WeChat rejects a passive text reply over 2048 bytes (UTF-8); keep a margin for the
# continuation note and the XML around it.
MAX_TEXT_BYTES = 2000

CONTINUED_NOTE = "\n（内容较长，余下部分随后发送）"

# Control characters are not allowed in XML 1.0 (tab, newline and carriage return are).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
# Characters that belong to the character before them (emoji modifiers and joiners).
_COMBINING_NEXT = {"\u200d", "\ufe0e", "\ufe0f", "\u20e3"}


class TTLCache(Generic[V]):
    """An in-memory mapping whose entries expire after `ttl` seconds; at most `max_size`
    entries (the oldest are dropped first). Single event loop, so no locking."""

    def __init__(self, ttl: float, max_size: int, clock: Callable[[], float] = time.monotonic):
        self.ttl = float(ttl)
        self.max_size = max(int(max_size), 1)
        self._clock = clock
        self._items: "OrderedDict[str, Tuple[float, V]]" = OrderedDict()

    def _purge(self) -> None:
        now = self._clock()
        while self._items:
            key, (expires, _) = next(iter(self._items.items()))
            if expires > now:
                break
            del self._items[key]

    def get(self, key: str) -> Optional[V]:
        self._purge()
        item = self._items.get(key)
        return item[1] if item else None

    def set(self, key: str, value: V) -> None:
        self._purge()
        self._items.pop(key, None)
        self._items[key] = (self._clock() + self.ttl, value)
        while len(self._items) > self.max_size:
            self._items.popitem(last=False)

    def pop(self, key: str) -> Optional[V]:
        item = self._items.pop(key, None)
        return item[1] if item else None

    def __len__(self) -> int:
        self._purge()
        return len(self._items)


def user_ref(openid: str) -> str:
    """A short, stable pseudonym for an openid, for logs (never log the openid itself)."""
    return "u:" + hashlib.sha256((openid or "").encode("utf-8")).hexdigest()[:10]


def clean_xml_text(text: str) -> str:
    """Text that is safe inside the CDATA section of a WeChat XML reply."""
    return _XML_INVALID.sub("", text or "").replace("]]>", "]] >")


def _button_line(number: int, button: Dict[str, Any]) -> str:
    title = str(button.get("title") or button.get("payload") or "").strip()
    url = button.get("url")
    if url:
        return f"{title}：{url}"
    return f"回复 {number}：{title}"


def render_messages(messages: Iterable[Dict[str, Any]]) -> Tuple[str, Dict[str, str]]:
    """Join the bot's messages into one text. Buttons become numbered options, numbered on
    across the whole reply; returns the text and {"1": payload, ...} for those options."""
    parts: List[str] = []
    options: Dict[str, str] = {}
    for message in messages:
        lines: List[str] = []
        if message.get("text"):
            lines.append(str(message["text"]).strip())
        for button in message.get("buttons") or []:
            if not isinstance(button, dict):
                continue
            if button.get("url"):
                lines.append(_button_line(0, button))
                continue
            number = len(options) + 1
            options[str(number)] = str(button.get("payload") or button.get("title") or "")
            lines.append(_button_line(number, button))
        for key in ("image", "attachment"):
            if message.get(key):
                label = "图片" if key == "image" else "附件"
                lines.append(f"{label}：{message[key]}")
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("text"), str):
            lines.append(custom["text"].strip())
        if lines:
            parts.append("\n".join(line for line in lines if line))
    return "\n\n".join(p for p in parts if p).strip(), options


def option_number(text: str) -> Optional[str]:
    """"1", " ２ " -> "1"/"2"; anything that is not just a small number -> None."""
    value = (text or "").strip().translate(_DIGITS)
    if value.isascii() and value.isdigit() and len(value) <= 2:
        return str(int(value))
    return None


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _hard_split(text: str, max_bytes: int) -> List[str]:
    """Split by characters, never inside a UTF-8 sequence nor before an emoji joiner."""
    chunks: List[str] = []
    current: List[str] = []
    size = 0
    for i, ch in enumerate(text):
        n = _utf8_len(ch)
        glued = ch in _COMBINING_NEXT or (i > 0 and text[i - 1] == "\u200d")
        if size + n > max_bytes and current and not glued:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += n
    if current:
        chunks.append("".join(current))
    return chunks


def split_text(text: str, max_bytes: int = MAX_TEXT_BYTES) -> List[str]:
    """Split text into parts of at most max_bytes UTF-8 bytes, preferring paragraph, line
    and sentence boundaries; a single over-long sentence is cut by characters."""
    text = (text or "").strip()
    if not text:
        return []
    if _utf8_len(text) <= max_bytes:
        return [text]
    pieces: List[str] = []
    for line in text.split("\n"):
        if _utf8_len(line) + 1 <= max_bytes:
            pieces.append(line + "\n")
            continue
        for sentence in _SENTENCE_END.split(line):
            if not sentence:
                continue
            if _utf8_len(sentence) <= max_bytes:
                pieces.append(sentence)
            else:
                pieces.extend(_hard_split(sentence, max_bytes))
        pieces.append("\n")
    chunks: List[str] = []
    current = ""
    for piece in pieces:
        if current and _utf8_len(current) + _utf8_len(piece) > max_bytes:
            chunks.append(current)
            current = ""
        current += piece
    chunks.append(current)
    return [c.strip() for c in chunks if c.strip()]


def passive_parts(text: str, max_bytes: int = MAX_TEXT_BYTES) -> List[str]:
    """Parts for one reply: when there are several, the first one says more will follow."""
    parts = split_text(text, max_bytes - _utf8_len(CONTINUED_NOTE))
    if len(parts) > 1:
        parts[0] += CONTINUED_NOTE
    return parts

