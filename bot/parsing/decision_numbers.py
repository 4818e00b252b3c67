"""Find and normalise administrative penalty decision numbers (文号)."""
from __future__ import annotations

import re

DECISION_NUMBER_EXAMPLE = "马市监处罚〔2026〕193号"

_HAN = r"\u4e00-\u9fff"
_OPEN = r"〔\[【（(﹝〖［"
_CLOSE = r"〕\]】）)﹞〗］"
_PATTERN = re.compile(
    rf"(?P<paren>[（(]\s*[{_HAN}]{{1,8}}\s*[）)])?\s*(?P<prefix>[{_HAN}]{{0,30}})\s*"
    rf"[{_OPEN}]\s*(?P<year>(?:19|20)\d{{2}})\s*[{_CLOSE}]\s*"
    rf"第?\s*(?P<serial>\d{{1,8}})\s*[号號]"
)
# Words users put in front of the number; everything up to the last one is dropped.
_LEAD_IN = re.compile(r".*(?:文号|编号|号码|决定书|关于|我的|是|为|叫)")
_MAX_PREFIX = 20
_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def normalise_decision_number(text: str) -> str | None:
    """Canonical '<prefix>〔YYYY〕<n>号' for the first decision number in text, else None."""
    if not text:
        return None
    text = text.translate(_DIGITS)
    for match in _PATTERN.finditer(text):
        prefix = match["prefix"]
        if match["paren"] is None:
            prefix = _LEAD_IN.sub("", prefix)
        prefix = prefix[-_MAX_PREFIX:]
        if not prefix:
            continue
        if match["paren"] is not None:
            inner = re.sub(r"[\s（()）]", "", match["paren"])
            prefix = f"（{inner}）{prefix}"
        serial = int(match["serial"])
        if serial == 0:
            continue
        return f"{prefix}〔{match['year']}〕{serial}号"
    return None
