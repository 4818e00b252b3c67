"""Periods in months (民法典 arts. 201-203): the start day is not counted; N months from D end
on the corresponding day of the N-th month (its last day where there is none). A minimum
period is served once that end day is over, so the earliest day to apply is the next day."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(start: dt.date, months: int) -> dt.date:
    """The corresponding day `months` months after `start`, clamped to the month's end."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(start.day, last))


def period_end(start: dt.date, months: int) -> dt.date:
    """Last day of a period of `months` months counted from the day after `start`."""
    return add_months(start, months)


def day_after_period(start: dt.date, months: int) -> dt.date:
    """First day after the period: when an applicant may apply / publicity has stopped."""
    return period_end(start, months) + dt.timedelta(days=1)
