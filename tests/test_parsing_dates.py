from datetime import date

import pytest

from bot.parsing.dates import ParsedDate, parse_all_dates, parse_date

TODAY = date(2026, 11, 25)  # a Wednesday


@pytest.mark.parametrize(
    "text, expected, precision",
    [
        # absolute, Arabic digits
        ("2024年3月5日", date(2024, 3, 5), "day"),
        ("2024年3月5号", date(2024, 3, 5), "day"),
        ("2024年3月5", date(2024, 3, 5), "day"),
        ("2024 年 3 月 5 日", date(2024, 3, 5), "day"),
        ("2024-03-05", date(2024, 3, 5), "day"),
        ("2024/3/5", date(2024, 3, 5), "day"),
        ("2024.3.5", date(2024, 3, 5), "day"),
        ("20240305", date(2024, 3, 5), "day"),
        ("２０２４年３月５日", date(2024, 3, 5), "day"),
        ("２０２４－０３－０５", date(2024, 3, 5), "day"),
        # Chinese numerals
        ("二〇二四年三月五日", date(2024, 3, 5), "day"),
        ("二零二四年三月五号", date(2024, 3, 5), "day"),
        ("二〇二四年十二月三十一日", date(2024, 12, 31), "day"),
        ("二〇二五年十月廿五日", date(2025, 10, 25), "day"),
        # month ends and leap day
        ("2024年1月31日", date(2024, 1, 31), "day"),
        ("2025-04-30", date(2025, 4, 30), "day"),
        ("2024-02-29", date(2024, 2, 29), "day"),
        ("2024年2月29日", date(2024, 2, 29), "day"),
        # month / year only
        ("2024年3月", date(2024, 3, 1), "month"),
        ("2024年3月份", date(2024, 3, 1), "month"),
        ("2024-03", date(2024, 3, 1), "month"),
        ("2024年", date(2024, 1, 1), "year"),
        # no year: this year, or last year when still ahead
        ("三月五号", date(2026, 3, 5), "day"),
        ("11月25日", date(2026, 11, 25), "day"),
        ("11月26日", date(2025, 11, 26), "day"),
        ("十二月五号", date(2025, 12, 5), "day"),
        ("3月", date(2026, 3, 1), "month"),
        ("12月", date(2025, 12, 1), "month"),
        # relative to TODAY
        ("今天", date(2026, 11, 25), "day"),
        ("昨天", date(2026, 11, 24), "day"),
        ("前天", date(2026, 11, 23), "day"),
        ("大前天", date(2026, 11, 22), "day"),
        ("上个月", date(2026, 10, 1), "month"),
        ("上月", date(2026, 10, 1), "month"),
        ("上周", date(2026, 11, 16), "day"),  # Monday of last week
        ("去年三月", date(2025, 3, 1), "month"),
        ("去年3月", date(2025, 3, 1), "month"),
        ("去年三月五号", date(2025, 3, 5), "day"),
        ("去年", date(2025, 1, 1), "year"),
        ("前年", date(2024, 1, 1), "year"),
        ("今年5月", date(2026, 5, 1), "month"),
        ("3天前", date(2026, 11, 22), "day"),
        ("十天前", date(2026, 11, 15), "day"),
        ("两周前", date(2026, 11, 11), "day"),
        ("两个月前", date(2026, 9, 1), "month"),
        ("11个月前", date(2025, 12, 1), "month"),
        ("半个月前", date(2026, 11, 10), "day"),
        ("半年前", date(2026, 5, 1), "month"),
        ("一年前", date(2025, 11, 1), "month"),
        ("3年前", date(2023, 11, 1), "month"),
    ],
)
def test_parse_date(text, expected, precision):
    found = parse_date(text, TODAY)
    assert found is not None
    assert (found.value, found.precision) == (expected, precision)


@pytest.mark.parametrize(
    "text",
    [
        "2023-02-29",
        "2023年2月29日",
        "2023-02-30",
        "2023年2月30日",
        "20230230",
        "2024年13月1日",
        "2024-04-31",
        "2月29号",  # 2026 is not a leap year
        "",
        "你好",
        "asdf!@#$",
        "马市监处罚〔2026〕193号",
        "罚款20000元",
        "身份证510104199001011230",
        "手机13812345678",
        "😀😀",
        "统一月度报表",
        "每月",
    ],
)
def test_no_date(text):
    assert parse_date(text, TODAY) is None


def test_date_in_sentence_has_span():
    text = "我是2024年3月5日被处罚的"
    found = parse_date(text, TODAY)
    assert found == ParsedDate(date(2024, 3, 5), "day", (2, 11))
    assert text[found.span[0]: found.span[1]] == "2024年3月5日"


def test_span_with_full_width_digits():
    text = "于２０２４年３月５日"
    found = parse_date(text, TODAY)
    assert text[found.span[0]: found.span[1]] == "２０２４年３月５日"


def test_month_date_followed_by_amount():
    found = parse_date("2024年3月罚了2万", TODAY)
    assert (found.value, found.precision) == (date(2024, 3, 1), "month")


def test_parse_all_dates_in_order():
    found = parse_all_dates("2024年3月5日处罚，去年三月履行，2025/1/2申请", TODAY)
    assert [(d.value, d.precision) for d in found] == [
        (date(2024, 3, 5), "day"),
        (date(2025, 3, 1), "month"),
        (date(2025, 1, 2), "day"),
    ]


def test_invalid_date_is_skipped_not_shortened():
    found = parse_all_dates("2023年2月30日，2024年2月29日", TODAY)
    assert [d.value for d in found] == [date(2024, 2, 29)]


def test_month_precision_across_new_year():
    assert parse_date("上个月", date(2026, 1, 10)).value == date(2025, 12, 1)
    assert parse_date("两个月前", date(2026, 1, 10)).value == date(2025, 11, 1)


def test_long_input_is_handled():
    text = "这是一段很长的文字，" * 500 + "2024年3月5日"
    found = parse_date(text, TODAY)
    assert found.value == date(2024, 3, 5)


@pytest.mark.parametrize("text", ["9" * 5000, "年月日号" * 1250, "〔" * 5000, "2024-" * 1000])
def test_pathological_input_does_not_raise(text):
    parse_all_dates(text, TODAY)


# Lunar months, as older applicants say them. Said on 2026-11-25 (lunar 2026年十月初七): 腊月 of the
# lunar year 2025 ran from 2026-01-19 to 2026-02-16, so 「去年腊月」 is never read as December 2025
# (counting from it would tell the applicant to apply too early). A month alone is its last day
# (the latest day it can stand for; not the end of the calendar month it ends in, which was up to a
# month later than needed and said back a day outside the lunar month); a day is exact.
@pytest.mark.parametrize("text, expected, precision", [
    ("去年腊月", date(2026, 2, 16), "lunar_month"),  # 2026-01-19 .. 2026-02-16
    ("去年腊月 具体记不到了", date(2026, 2, 16), "lunar_month"),
    ("2025年腊月", date(2026, 2, 16), "lunar_month"),
    ("腊月二十三罚的", date(2026, 2, 10), "day"),  # lunar 2025-12-23
    ("腊月廿三", date(2026, 2, 10), "day"),
    ("正月初八", date(2026, 2, 24), "day"),  # lunar 2026-01-08
    ("今年正月", date(2026, 3, 18), "lunar_month"),  # 2026-02-17 .. 2026-03-18
    ("冬月里罚的", date(2026, 1, 18), "lunar_month"),  # lunar 2026 冬月 starts 2026-12-09: not yet, so 2025's
    ("去年冬月", date(2026, 1, 18), "lunar_month"),  # 2025-12-20 .. 2026-01-18
    ("农历三月十五", date(2026, 5, 1), "day"),
    ("农历十月初六", date(2026, 11, 14), "day"),  # lunar 2026-10-06 (today is lunar 2026-10-17)
    ("农历十月二十", date(2025, 12, 9), "day"),  # lunar 2026-10-20 is still ahead: last year's
    ("今年农历三月", date(2026, 5, 16), "lunar_month"),  # 2026-04-17 .. 2026-05-16
    ("阴历八月", date(2026, 10, 9), "lunar_month"),  # 2026-09-11 .. 2026-10-09
    # calendar months are still calendar months
    ("去年三月", date(2025, 3, 1), "month"),
    ("2025年12月", date(2025, 12, 1), "month"),
    ("三月十五号", date(2026, 3, 15), "day"),
])
def test_lunar_months_are_converted_and_never_read_as_calendar_months(text, expected, precision):
    found = parse_date(text, TODAY)
    assert found is not None and (found.value, found.precision) == (expected, precision)


@pytest.mark.parametrize("text, pinned", [
    ("今年农历三月", date(2026, 5, 16)),   # was pinned to 2026-05-31, after the lunar month ended
    ("去年腊月", date(2026, 2, 16)),
    ("2026年3月", date(2026, 3, 31)),     # a calendar month: its last day
])
def test_a_month_without_its_day_counts_from_its_last_day(text, pinned):
    from bot.dialogue.record_flow import latest_day

    found = parse_date(text, TODAY)
    assert latest_day(found.value, found.precision, TODAY) == pinned


@pytest.mark.parametrize("text, expected", [
    # hand try: stored as 2024-10-31 and only seen at the summary
    ("前年十月份，好像是10月8号", [(date(2024, 10, 8), "day")]),
    ("前年十月份被列进去的，好像是10月8号", [(date(2024, 10, 8), "day")]),
    ("今年3月，3月31号", [(date(2026, 3, 31), "day")]),
    # another month's day is another date
    ("2025年3月 好像是4月2号", [(date(2025, 3, 1), "month"), (date(2026, 4, 2), "day")]),
    ("去年2月，2月30号", [(date(2025, 2, 1), "month")]),  # no such day: the month stays
])
def test_a_month_then_its_day_is_that_day(text, expected):
    assert [(d.value, d.precision) for d in parse_all_dates(text, TODAY)] == expected
