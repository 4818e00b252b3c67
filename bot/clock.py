"""The one clock of the project: China's date and time (Asia/Shanghai), whatever the server's zone.

`ASSISTANT_TODAY=YYYY-MM-DD` pins the business date (tests, demos). Every module asks this one
for "today" and "now"; nothing calls `date.today()` or `datetime.now()` itself.
"""

from __future__ import annotations

import datetime as dt
import os

CHINA = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")  # no DST since 1991


def utcnow() -> dt.datetime:
    """Naive UTC now (what the databases store)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def now() -> dt.datetime:
    """Aware China time now."""
    return dt.datetime.now(CHINA)


def china_date(moment: dt.datetime) -> dt.date:
    """The calendar date in China of a moment (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(CHINA).date()


def today() -> dt.date:
    """The business date: the pinned ASSISTANT_TODAY, or China's calendar date now."""
    pinned = os.environ.get("ASSISTANT_TODAY")
    if pinned:
        return dt.date.fromisoformat(pinned)
    return china_date(utcnow())


def china_now(moment_utc: dt.datetime | None = None) -> dt.datetime:
    """Aware China time of a moment (naive UTC; now when None) on the business date: with
    ASSISTANT_TODAY pinned, the pinned date at the moment's time of day, so that office hours and
    「明天」 agree with the dates the conversation uses."""
    moment = (moment_utc or utcnow()).replace(tzinfo=dt.timezone.utc).astimezone(CHINA)
    pinned = os.environ.get("ASSISTANT_TODAY")
    if pinned:
        day = dt.date.fromisoformat(pinned)
        moment = moment.replace(year=day.year, month=day.month, day=day.day)
    return moment
