"""Mask personal data (mobile numbers, ID numbers) for display and logs."""
from __future__ import annotations

import logging
import re

_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_PHONE = re.compile(
    r"(?<![0-9A-Za-z])(?P<cc>(?:\+|00)?86[\s-]?)?(?P<head>1[3-9]\d)(?P<sep1>[\s-]?)(?P<mid>\d{4})"
    r"(?P<sep2>[\s-]?)(?P<tail>\d{4})(?![0-9A-Za-z])"
)


def _keep_ends(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def mask_phone(phone: str) -> str:
    """'13812341234' -> '138****1234' (same length)."""
    return _keep_ends(phone, 3, 4)


def mask_id(id_number: str) -> str:
    """'510104199001011234' -> '510***********1234' (same length)."""
    return _keep_ends(id_number, 3, 4)


def mask_text(text: str) -> str:
    """Mask every 18-character ID number and mainland mobile number in text."""
    if not text:
        return text
    text = _ID.sub(lambda m: mask_id(m.group(0)), text)
    return _PHONE.sub(
        lambda m: f"{m['cc'] or ''}{m['head']}{m['sep1']}****{m['sep2']}{m['tail']}", text
    )


class PersonalDataFilter(logging.Filter):
    """Logging filter that masks phones and ID numbers in the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # badly formed args: mask what we can, never drop the record
            message = f"{record.msg} {record.args!r}"
        record.msg = mask_text(str(message))
        record.args = None
        return True
