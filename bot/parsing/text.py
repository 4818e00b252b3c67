"""Clean up raw user text before parsing it."""
from __future__ import annotations

import functools
import re
import unicodedata

# Full-width punctuation that is safe to turn into ASCII; Chinese punctuation
# such as ，。：；！？（）【】〔〕 is kept as typed.
_SAFE_FULLWIDTH_PUNCT = "＃＄％＆＊＋－．／＜＝＞＠＼＾＿｀｜～"
_FULLWIDTH_MAP = {
    **{cp: cp - 0xFEE0 for cp in range(ord("０"), ord("９") + 1)},
    **{cp: cp - 0xFEE0 for cp in range(ord("Ａ"), ord("Ｚ") + 1)},
    **{cp: cp - 0xFEE0 for cp in range(ord("ａ"), ord("ｚ") + 1)},
    **{ord(c): ord(c) - 0xFEE0 for c in _SAFE_FULLWIDTH_PUNCT},
}
_WHITESPACE = re.compile(r"\s+")
# 孃 stays: Sichuan's 孃孃 (auntie), 王二孃 are written so in simplified text, where OpenCC's t2s
# would make them 娘 (the only character of data/, guides/ and tests/ that t2s changes).
_KEPT_BY_T2S = frozenset("孃")


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional characters typed on a phone (「市场監管」「稅務局」) as simplified (OpenCC's t2s
    table), so that every reader sees one script; simplified text is unchanged."""
    if text.isascii():
        return text
    converted = _t2s().convert(text)
    if converted == text or len(converted) != len(text) or not _KEPT_BY_T2S.intersection(text):
        return converted
    return "".join(o if o in _KEPT_BY_T2S else c for o, c in zip(text, converted))


@functools.lru_cache(maxsize=1)
def _typos() -> list[tuple[re.Pattern, str]]:
    from bot.guide.loader import load_guide  # the one lexicon; imported late (the guide reads text too)

    table = [(re.compile(k), v) for k, v in (load_guide().lexicon.raw.get("typos") or {}).items()]
    return table


def fix_typos(text: str) -> str:
    """「去念11月」 → 「去年11月」 (guides/lexicon.yml `typos`: patterns and what they mean)."""
    if text.isascii():
        return text
    for pattern, right in _typos():
        text = pattern.sub(right, text)
    return text


def _clean_char(ch: str) -> str:
    if ch.isspace():
        return " "
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf", "Cs"):  # control, zero-width/format, lone surrogates
        return ""
    return ch


def normalise_user_text(text: str, max_chars: int = 500) -> str:
    """Half-width digits/letters, simplified characters, no control or zero-width chars, single
    spaces, at most max_chars."""
    if not text:
        return ""
    # Cleaning only shrinks text, so a generous cut first keeps huge inputs cheap.
    text = text[: max(max_chars, 0) * 20 + 100]
    text = "".join(_clean_char(ch) for ch in text.translate(_FULLWIDTH_MAP))
    text = _WHITESPACE.sub(" ", text).strip()
    return fix_typos(to_simplified(text[: max(max_chars, 0)].rstrip()))


_EMOJI_RANGES = (
    (0x1F000, 0x1FAFF),  # pictographs, emoticons, flags, symbols
    (0x2600, 0x27BF),  # misc symbols, dingbats
    (0x2300, 0x23FF),  # technical (⌚ ⏰)
    (0x2B00, 0x2BFF),  # arrows, stars (⭐)
    (0x2190, 0x21FF),  # arrows
    (0xE0020, 0xE007F),  # tag characters (subdivision flags)
)
_EMOJI_JOINERS = {0x200D, 0xFE0E, 0xFE0F, 0x20E3, 0x00A9, 0x00AE, 0x203C, 0x2049,
                  0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299}


def _is_emoji_char(ch: str) -> bool:
    cp = ord(ch)
    return cp in _EMOJI_JOINERS or any(lo <= cp <= hi for lo, hi in _EMOJI_RANGES)


def is_emoji_only(text: str) -> bool:
    """True when the text has at least one emoji and nothing but emoji and spaces."""
    chars = [ch for ch in text if not ch.isspace()]
    return bool(chars) and all(_is_emoji_char(ch) for ch in chars) and any(
        ord(ch) not in (0x200D, 0xFE0E, 0xFE0F, 0x20E3) for ch in chars
    )


_HAN = re.compile(r"[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]")


def has_chinese(text: str) -> bool:
    """True when the text contains at least one Chinese character."""
    return bool(text) and _HAN.search(text) is not None
