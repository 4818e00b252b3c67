"""Working days (工作日) per the State Council holiday calendar, via chinese-calendar.

The day of receipt is not counted; weekends and public holidays are skipped; make-up working
days (调休) count. For a year the installed chinese-calendar does not know, weekends-only is
used and the result says so in `caveat` (never an exception).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from dataclasses import dataclass

import chinese_calendar

FALLBACK_CAVEAT_KEY = "paths.reason.calendar_fallback"  # guides/messages.yml, {year}


@dataclass(frozen=True)
class WorkdayResult:
    date: dt.date
    caveat: str | None = None
    unknown_years: tuple[int, ...] = ()  # years counted weekends-only (the caveat's reason)


def is_working_day(day: dt.date) -> tuple[bool, bool]:
    """(is working day, known from the official calendar)."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return day.weekday() < 5, False


def add_working_days(start: dt.date, days: int) -> WorkdayResult:
    """The date on which `days` working days counted after `start` have passed."""
    if days < 0:
        raise ValueError("days must be >= 0")
    current, counted, unknown_years = start, 0, set()
    while counted < days:
        current += dt.timedelta(days=1)
        working, known = is_working_day(current)
        if not known:
            unknown_years.add(current.year)
        if working:
            counted += 1
    return WorkdayResult(current, _caveat(unknown_years), tuple(sorted(unknown_years)))


@dataclass(frozen=True)
class WorkdayCount:
    days: int
    caveat: str | None = None


def working_days_between(start: dt.date, end: dt.date) -> WorkdayCount:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count, current, unknown_years = 0, start, set()
    while current < end:
        current += dt.timedelta(days=1)
        working, known = is_working_day(current)
        if not known:
            unknown_years.add(current.year)
        count += working
    return WorkdayCount(count, _caveat(unknown_years))


def _caveat(years: set[int]) -> str | None:
    if not years:
        return None
    from bot.texts import t

    return "；".join(t(FALLBACK_CAVEAT_KEY, year=y) for y in sorted(years))


def count_working_days(start: dt.date, end: dt.date) -> int:
    """The same number as `working_days_between(start, end).days`, without walking day by day:
    weekdays by arithmetic, then the calendar's holidays on weekdays out and make-up working
    days on weekends in (binary search in two sorted lists)."""
    if end <= start:
        return 0
    first, days = start + dt.timedelta(days=1), (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5 + sum(1 for i in range(rest) if (first + dt.timedelta(days=weeks * 7 + i)).weekday() < 5)
    off, on = _calendar_exceptions()
    count -= bisect.bisect_right(off, end) - bisect.bisect_left(off, first)
    count += bisect.bisect_right(on, end) - bisect.bisect_left(on, first)
    return count


@functools.lru_cache(maxsize=1)
def _calendar_exceptions() -> tuple[list, list]:
    """(holidays falling on weekdays, make-up working days falling on weekends), sorted."""
    off = sorted(d for d in chinese_calendar.holidays if d.weekday() < 5 and is_working_day(d) == (False, True))
    on = sorted(d for d in chinese_calendar.workdays if d.weekday() >= 5 and is_working_day(d) == (True, True))
    return off, on
