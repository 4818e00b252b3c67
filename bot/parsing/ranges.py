"""Vague month ranges: 「去年六七月份」「今年3、4月」「2025年5到6月」 -> (year, first month, last month).

A range is not a date; the assistant asks once for the day, naming the range it heard."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.parsing.numerals import parse_int

_MONTH = r"(十[一二]?|[一二三四五六七八九]|1[0-2]|[1-9])"
_RANGE = re.compile(
    rf"(今年|去年|前年|(\d{{4}})\s*年)?\s*{_MONTH}\s*(?:[、,，/\-~～到至或]|月到|月至|月或|月、)?\s*{_MONTH}\s*月"
)
_YEARS = {"今年": 0, "去年": -1, "前年": -2}


@dataclass(frozen=True)
class MonthRange:
    year: int
    first: int
    last: int


def month_range(text: str, today: dt.date) -> MonthRange | None:
    """The month range in `text`, or None (a single month is not a range)."""
    m = _RANGE.search(text or "")
    if not m:
        return None
    first, last = parse_int(m.group(3)), parse_int(m.group(4))
    if not first or not last or not 1 <= first < last <= 12 or last - first > 2:
        return None
    if m.group(2):
        year = int(m.group(2))
    elif m.group(1):
        year = today.year + _YEARS[m.group(1)]
    else:
        year = today.year if last <= today.month else today.year - 1
    return MonthRange(year, first, last)
