"""Case numbers that are easy to read aloud: `XF-20261125-48275`.

`XF` (信 修) + the submission date + four random digits + one check digit (Luhn), digits only
after the prefix, so there is nothing to confuse (no I/O/l/0 letters). The check digit
catches one wrong or two swapped digits when a number is read out over the phone. When a day
gets crowded the random part grows to six digits (`XF-20261125-4827519`).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata

PREFIX = "XF"
_PATTERN = re.compile(r"^XF(\d{8})(\d{5}|\d{7})$")
# A case number inside a sentence, spaces or dashes allowed, check digit not yet checked.
_IN_TEXT = re.compile(r"XF[\s\-‐‑–—_.]*\d{8}[\s\-‐‑–—_.]*\d{5}")


def luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def new_case_no(day: dt.date, wide: bool = False) -> str:
    body = f"{secrets.randbelow(10 ** (6 if wide else 4)):0{6 if wide else 4}d}"
    date = day.strftime("%Y%m%d")
    return f"{PREFIX}-{date}-{body}{luhn_digit(date + body)}"


def looks_like_case_no(text: str) -> bool:
    """Something shaped like a case number (XF + 8 + 5 digits), whether or not its check digit is right."""
    return bool(_IN_TEXT.search(unicodedata.normalize("NFKC", text or "").upper()))


def normalize_case_no(text: str) -> str | None:
    """`xf 20261125 48275` / `XF2026112548275` -> `XF-20261125-48275`; None if not a case number."""
    compact = re.sub(r"[\s\-‐‑–—_.]", "", unicodedata.normalize("NFKC", text or "")).upper()
    m = _PATTERN.match(compact)
    if not m:
        return None
    date, tail = m.group(1), m.group(2)
    if luhn_digit(date + tail[:-1]) != tail[-1]:
        return None
    return f"{PREFIX}-{date}-{tail}"
