"""Find dates in free Chinese text: absolute, Chinese-numeral and relative forms."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable, Literal, Optional

from .numerals import FULLWIDTH_DIGITS, parse_int

# "lunar_month": a lunar month said without its day (「农历三月」); its value is the month's last
# day in the calendar (the latest day it can stand for), not the 1st of a calendar month.
Precision = Literal["day", "month", "year", "lunar_month"]


@dataclass(frozen=True)
class ParsedDate:
    """A date found in text; month/year precision dates point at the 1st of the period, a
    lunar month at its last day."""

    value: date
    precision: Precision
    span: tuple[int, int]


_CN_DIGIT = "〇零○一二三四五六七八九"
_CN_MONTH = "一二三四五六七八九十"
_CN_DAY = "一二三四五六七八九十廿卅"
_CN_COUNT = "一二两三四五六七八九十"

_YEAR = rf"(?P<y>(?<!\d)\d{{4}}|[{_CN_DIGIT}]{{4}})"
_MONTH = rf"(?P<m>(?<!\d)\d{{1,2}}|[{_CN_MONTH}]{{1,3}})"
_DAY = (
    rf"(?P<d>\d{{1,2}}(?!\s*[\d.万千元块])|[{_CN_DAY}]{{1,4}}(?=\s*[日号號]))\s*[日号號]?"
)
_MONTH_DAY = rf"{_MONTH}\s*月份?(?:\s*{_DAY})?"

_ABS_CN = re.compile(rf"{_YEAR}\s*年(?:\s*{_MONTH_DAY})?")
_ABS_SEP = re.compile(
    r"(?<![\d.])(?P<y>\d{4})\s*(?P<sep>[-/.])\s*(?P<m>\d{1,2})"
    r"(?:\s*(?P=sep)\s*(?P<d>\d{1,2}))?(?![\d.])(?!\s*[元万千块])"
)
_ABS_COMPACT = re.compile(
    r"(?<![0-9A-Za-z])(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?![0-9A-Za-z])"
)
# 「今年七十多了」「今年80岁」: an age, not a date (sixth hand try: the decision dated this year)
_REL_YEAR = re.compile(rf"(?P<ry>大前年|前年|去年|今年|明年)"
                       rf"(?!\s*(?:都|已经|才|有)?\s*[0-9{_CN_DIGIT}十百]{{1,4}}\s*多?\s*(?:岁|了))"
                       rf"(?:\s*{_MONTH_DAY})?")
# 统一月度, 每月, 第一月 are not dates.
_NO_YEAR = re.compile(rf"(?<![\d年{_CN_DIGIT}统唯单同第每逐]){_MONTH_DAY}")
_REL_WORD = re.compile(
    r"大前天|前天|昨天|昨日|今天|今日|上个?月|本月|这个月|上个?(?:周|星期|礼拜)"
)
_AGO = re.compile(
    rf"(?P<n>(?<!\d)\d{{1,3}}|[{_CN_COUNT}]{{1,3}}|半)\s*"
    r"(?P<unit>天|日|周|星期|个?礼拜|个半?月|月|年)\s*(?:前|以前|之前)"
)

_YEAR_OFFSETS = {"大前年": -3, "前年": -2, "去年": -1, "今年": 0, "明年": 1}

# Lunar months, as older applicants say them (「去年腊月」「正月初八」「农历三月」): converted with the
# lunardate package. 腊月 of a lunar year falls in January–February of the next calendar year,
# so reading 「去年腊月」 as last December would count from a day that is too early.
_LUNAR_WORDS = {"正月": 1, "冬月": 11, "腊月": 12}
_LUNAR_DAY = r"(?P<ld>初[一二三四五六七八九十]|十[一二三四五六七八九]|二十[一二三四五六七八九]?|廿[一二三四五六七八九]|三十)"
_LUNAR = re.compile(
    rf"(?:(?P<ry>大前年|前年|去年|今年)|{_YEAR}\s*年)?\s*"
    rf"(?:(?:农历|阴历)?\s*(?P<lw>正月|冬月|腊月)|(?:农历|阴历)\s*(?P<lm>[{_CN_MONTH}]{{1,3}}|\d{{1,2}})\s*月)"
    rf"(?:\s*{_LUNAR_DAY})?"
)


def _month_start(year: int, month: int, months_back: int = 0) -> date:
    index = year * 12 + (month - 1) - months_back
    return date(index // 12, index % 12 + 1, 1)


def _build(year: int, month: Optional[str], day: Optional[str]) -> tuple[date, Precision] | None:
    if not 1900 <= year <= 2100:
        return None
    if month is None:
        return date(year, 1, 1), "year"
    m = parse_int(month)
    if m is None or not 1 <= m <= 12:
        return None
    if day is None:
        return date(year, m, 1), "month"
    d = parse_int(day)
    if d is None:
        return None
    try:
        return date(year, m, d), "day"
    except ValueError:
        return None


def _from_absolute(match: re.Match, today: date) -> tuple[date, Precision] | None:
    year = parse_int(match["y"])
    if year is None:
        return None
    return _build(year, match["m"], match["d"])


def _from_relative_year(match: re.Match, today: date) -> tuple[date, Precision] | None:
    return _build(today.year + _YEAR_OFFSETS[match["ry"]], match["m"], match["d"])


def _from_no_year(match: re.Match, today: date) -> tuple[date, Precision] | None:
    """Month (and day) without a year: this year, or last year if that is still ahead."""
    found = _build(today.year, match["m"], match["d"])
    if found is not None and found[0] <= today:
        return found
    if found is None and match["d"] is None:
        return None
    return _build(today.year - 1, match["m"], match["d"])


def _from_word(match: re.Match, today: date) -> tuple[date, Precision] | None:
    word = match.group(0)
    days_back = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2, "大前天": 3}
    if word in days_back:
        return today - timedelta(days=days_back[word]), "day"
    if word in ("本月", "这个月"):
        return _month_start(today.year, today.month), "month"
    if word.endswith("月"):  # 上月 / 上个月
        return _month_start(today.year, today.month, 1), "month"
    # 上周 etc.: Monday of the previous week
    return today - timedelta(days=today.weekday() + 7), "day"


def _from_ago(match: re.Match, today: date) -> tuple[date, Precision] | None:
    raw, unit = match["n"], match["unit"]
    half = raw == "半"
    n = 0 if half else parse_int(raw)
    if n is None:
        return None
    try:
        if unit in ("天", "日"):
            return today - timedelta(days=n), "day"
        if unit in ("周", "星期") or unit.endswith("礼拜"):
            return today - timedelta(weeks=n), "day"
        if unit == "个半月":
            return _month_start(today.year, today.month, n + 1), "month"
        if unit in ("月", "个月"):
            if half:
                return today - timedelta(days=15), "day"
            return _month_start(today.year, today.month, n), "month"
        # 年: same month n years back (半年 = 6 months)
        months = 6 if half else 12 * n
        return _month_start(today.year, today.month, months), "month"
    except (ValueError, OverflowError):
        return None


def _lunar_day(word: str) -> int | None:
    if word.startswith("初"):
        return parse_int(word[1:])
    if word.startswith("廿"):
        rest = parse_int(word[1:])
        return None if rest is None else 20 + rest
    return parse_int(word)


def _from_lunar(match: re.Match, today: date) -> tuple[date, Precision] | None:
    """A lunar month (and day): a day is exact; a month alone stands for its last day (the
    latest day it can mean, never too early), in the calendar: 「2026年农历三月」 is 2026-05-16."""
    from lunardate import LunarDate

    month = _LUNAR_WORDS.get(match["lw"] or "") or parse_int(match["lm"] or "")
    if month is None or not 1 <= month <= 12:
        return None
    try:
        this_year = LunarDate.from_solar_date(today.year, today.month, today.day).year
        if match["ry"]:
            years = [this_year + _YEAR_OFFSETS[match["ry"]]]
        elif match["y"]:
            year = parse_int(match["y"])
            years = [year] if year is not None else []
        else:
            years = [this_year, this_year - 1]  # the latest such month not after today
        day = _lunar_day(match["ld"]) if match["ld"] else None
        if match["ld"] and not day:
            return None
        for year in years:
            # no year said: the latest such month (or day) that has begun — as _from_no_year does
            first = LunarDate(year, month, day or 1).to_solar_date()
            if len(years) > 1 and first > today:
                continue
            if day:
                return first, "day"
            after = LunarDate(year + 1, 1, 1) if month == 12 else LunarDate(year, month + 1, 1)
            return after.to_solar_date() - timedelta(days=1), "lunar_month"
    except (ValueError, TypeError):
        return None
    return None


_Resolver = Callable[[re.Match, date], Optional[tuple[date, Precision]]]
_PATTERNS: tuple[tuple[re.Pattern, _Resolver], ...] = (
    (_LUNAR, _from_lunar),
    (_ABS_CN, _from_absolute),
    (_ABS_SEP, _from_absolute),
    (_ABS_COMPACT, _from_absolute),
    (_REL_YEAR, _from_relative_year),
    (_NO_YEAR, _from_no_year),
    (_REL_WORD, _from_word),
    (_AGO, _from_ago),
)


def parse_all_dates(text: str, today: date) -> list[ParsedDate]:
    """All dates in text, in order; invalid calendar dates are skipped."""
    if not text:
        return []
    text = text.translate(FULLWIDTH_DIGITS)
    candidates: list[tuple[int, int, re.Match, _Resolver]] = []
    for pattern, resolver in _PATTERNS:
        for match in pattern.finditer(text):
            if match.end() > match.start():
                candidates.append((match.start(), match.end(), match, resolver))
    # Earliest, then longest match wins; an invalid match still hides its overlaps,
    # so 2023年2月30日 is not reread as 2023年2月.
    candidates.sort(key=lambda c: (c[0], -c[1]))
    results: list[ParsedDate] = []
    yearless: list[bool] = []
    last_end = -1
    for start, end, match, resolver in candidates:
        if start < last_end:
            continue
        last_end = end
        found = resolver(match, today)
        if found is not None:
            results.append(ParsedDate(found[0], found[1], (start, end)))
            yearless.append(resolver is _from_no_year)
    return _day_of_the_month_said(results, yearless)


def _day_of_the_month_said(results: list[ParsedDate], yearless: list[bool]) -> list[ParsedDate]:
    """「前年十月份，好像是10月8号」: a month, then a day of that month said without its year, is
    that day of the month said first (2024-10-08), not the month alone (read as 2024-10-31) or
    this year's 10月8号."""
    out, merged = list(results), set()
    for i, first in enumerate(results):
        later = next((j for j in range(i + 1, len(results)) if first.precision == "month" and j not in merged
                      and yearless[j] and results[j].precision == "day"
                      and results[j].value.month == first.value.month), None)
        if later is not None:
            try:
                out[i] = ParsedDate(date(first.value.year, first.value.month, results[later].value.day), "day", first.span)
                merged.add(later)
            except ValueError:  # 「去年2月，2月30号」: no such day, the month stays
                pass
    return [d for j, d in enumerate(out) if j not in merged]


def parse_date(text: str, today: date) -> ParsedDate | None:
    """The first date mentioned in text, or None."""
    found = parse_all_dates(text, today)
    return found[0] if found else None
