"""The plain-Chinese explanation of path results (bot.rules.explain)."""

from __future__ import annotations

import pytest

from bot.rules.engine import determine_paths
from bot.rules.explain import (
    SHORT_LIMIT, details, details_button, explain_record, explain_result, short, zh_date_weekday,
)

AS_OF = "2026-11-25"


def pen(dept="tax", decided="2026-03-10", severity="general", **extra):
    rec = {"kind": "penalty", "department": dept, "decision_date": decided, "procedure": "general",
           "severity": severity, "penalties": ["fine"], "obligations_fulfilled": True}
    rec.update(extra)
    return rec


def run(*records, as_of=AS_OF, **top):
    return determine_paths({"as_of": as_of, "records": list(records), **top})


@pytest.mark.parametrize(
    "iso, text",
    [
        ("2027-03-11", "2027年3月11日（星期四）"),
        ("2026-11-25", "2026年11月25日（星期三）"),
        ("2026-10-10", "2026年10月10日（星期六）"),
        ("2024-02-29", "2024年2月29日（星期四）"),
    ],
    ids=["a Thursday", "a Wednesday", "a make-up Saturday is still a Saturday", "leap day"],
)
def test_dates_carry_the_weekday(iso, text):
    assert zh_date_weekday(iso) == text


def test_not_yet_names_the_first_day_with_weekday_and_the_automatic_end():
    text = explain_record(run(pen(decided="2026-10-10"))["results"][0])
    assert "暂时还不能申请，2027年1月11日（星期一）起可以申请" in text
    assert "2027年10月11日（星期一）起不再公示" in text
    assert "最短公示期（3个月）尚未届满" in text


def test_eligible_record_lists_authority_channel_materials_limit_and_basis():
    text = explain_record(run(pen(dept="market_regulation"))["results"][0])
    assert "结论：现在就可以申请修复" in text
    assert "办理机关：市场监管部门" in text
    assert "国家企业信用信息公示系统（四川）" in text
    assert "已履行法定义务的证明（部门自行核查、无需提交）" in text
    assert "已消除不良影响的说明或证明（需提交）" in text
    assert "7个工作日内作出决定" in text
    assert "预计最迟2026年12月4日（星期五）作出决定" in text
    assert "《市场监督管理信用修复管理办法》（国家市场监督管理总局令第107号）" in text
    assert "申请时还须符合：已消除危害后果和不良社会影响" in text


def test_unverified_rule_brings_the_caveat():
    text = explain_record(run(pen(dept="market_regulation"))["results"][0])
    assert "「以受理机关最新规定为准」" in text


def test_verified_only_answer_has_no_caveat():
    result = run({"kind": "abnormal_list", "department": "market_regulation", "listed_date": "2025-07-01",
                  "reason": "annual_report", "corrected": True})
    text = explain_result(result)
    assert "以受理机关最新规定为准" not in text
    assert "已补报并公示年度报告（部门自行核查、无需提交；如适用）" in text
    assert "5个工作日内作出决定" in text
    assert "综合安排" not in text  # one record: no combined plan


def test_needs_info_asks_the_missing_questions():
    rec = {"kind": "penalty", "department": "tax", "procedure": "general", "penalties": ["fine"]}
    text = explain_record(run(rec)["results"][0])
    assert "请告诉我：处罚决定日期" in text
    assert "请告诉我：失信行为严重程度" in text
    assert "请告诉我：是否已履行处罚决定的全部义务" in text


def test_needs_correction_says_what_to_do_first():
    text = explain_record(run(pen(obligations_fulfilled=False))["results"][0])
    assert "先做什么" in text and "尚未全面履行行政处罚决定规定的义务" in text


def test_not_needed_and_not_repairable_say_why():
    result = run(
        pen(procedure="simple"),
        pen(dept="market_regulation", decided="2026-01-20", severity="serious", penalties=["license_revocation"]),
    )
    first, second = (explain_record(r) for r in result["results"])
    assert "无需申请修复" in first and "简易程序" in first
    assert "不能申请提前修复" in second and "2029年1月21日起自动停止公示" in second
    assert "需要的材料" not in second


def test_inferred_severity_is_explained():
    rec = pen(decided="2026-10-12", penalties=["warning"])
    del rec["severity"]
    text = explain_record(run(rec)["results"][0])
    assert "推定为“轻微”" in text


def test_combined_plan_for_several_records():
    result = run(
        pen(),
        {"kind": "serious_list", "department": "tax", "listed_date": "2026-06-01", "corrected": True},
        {"kind": "serious_list", "department": "emergency", "listed_date": "2026-02-01", "corrected": True},
        pen(procedure="simple"),
        {"kind": "serious_list", "department": "hrss", "listed_date": "2026-01-10", "corrected": False},
        {"kind": "abnormal_list", "department": "market_regulation", "listed_date": "2026-01-10", "reason": "annual_report"},
    )
    text = explain_result(result)
    assert "综合安排（一次申请、同步修复）" in text
    assert "现在就可以一次申请：第1条、第2条（税务部门）" in text
    assert "谁认定、谁修复" in text
    assert "稍后申请：第3条，2027年2月2日（星期二）起" in text
    assert "需先纠正：第5条" in text
    assert "需补充信息：第6条——是否已纠正失信行为、履行相关义务" in text
    assert "无需办理：第4条" in text
    assert "信用修复不收取任何费用" in text
    assert text.count("【第") == 6


def test_combined_plan_orders_list_removal_before_the_market_penalty():
    result = run(
        pen(dept="market_regulation"),
        {"kind": "abnormal_list", "department": "market_regulation", "listed_date": "2025-07-01",
         "reason": "annual_report", "corrected": True},
    )
    text = explain_result(result)
    assert "现在就可以一次申请：第1条、第2条（市场监管部门）" in text
    assert "办理顺序：市场监管部门先办理第2条的移出，移出后再对第1条作出修复决定" in text
    assert "稍后申请" not in text
    assert "须先办理第2条记录的修复" not in text


def test_an_uncorrected_abnormal_list_still_comes_first():
    result = run(
        pen(dept="market_regulation"),
        {"kind": "abnormal_list", "department": "market_regulation", "listed_date": "2025-07-01",
         "reason": "annual_report", "corrected": False},
    )
    text = explain_result(result)
    assert "稍后申请：第1条，日期待定，须在第2条移出后再申请" in text
    assert "办理顺序" not in text


def test_weekends_only_caveat_reaches_the_explanation():
    text = explain_result(run(pen(decided="2026-11-30"), as_of="2027-03-01"))
    assert "2027年的法定节假日安排尚未收录" in text
    assert "2027年3月4日（星期四）" in text


# ---------------------------------------------------------------- phone-sized verdicts (short)
CAVEAT = "以受理机关最新规定为准"


def test_short_verdict_gives_the_answer_first_with_the_weekday():
    text = short(run(pen(decided="2026-10-10")))
    first = text.splitlines()[0]
    assert first == "行政处罚信息信用修复（税务部门）：2027年1月11日（星期一）起可以申请。"
    assert len(text) <= SHORT_LIMIT
    assert sum(line.startswith("依据：") for line in text.splitlines()) == 1
    assert "查看详情" in text
    assert "需要的材料" not in text  # materials are in the details


def test_short_verdict_for_an_eligible_record_says_when_the_decision_is_due():
    text = short(run(pen(dept="market_regulation")))
    assert text.startswith("行政处罚信息信用修复（市场监管部门）：现在就可以申请，今天提交预计最迟2026年12月4日（星期五）出结果。")
    assert text.count(CAVEAT) == 1


def test_short_verdict_names_the_instruments_and_leaves_the_articles_to_the_details():
    """Fourth hand try: 「…行政处罚信息修复（条款序号未核实）等3项」 in the first reply read as jargon.
    The phone's verdict names each instrument once; the articles and which are unverified are in
    the details, and the caveat still says the rules are to be confirmed."""
    result = run(pen(dept="market_regulation"))
    text = short(result)
    source = next(line for line in text.splitlines() if line.startswith("依据："))
    assert source.startswith("依据：《市场监督管理信用修复管理办法》（国家市场监督管理总局令第107号）")
    assert "未核实" not in text and "修复（" not in source and text.count(CAVEAT) == 1
    assert "行政处罚信息修复（条款序号未核实）" in details(result)


def test_short_verdict_for_the_market_penalty_and_its_abnormal_list_explains_the_order():
    result = run(
        pen(dept="market_regulation"),
        {"kind": "abnormal_list", "department": "market_regulation", "listed_date": "2025-07-01",
         "reason": "annual_report", "corrected": True},
    )
    text = short(result)
    lines = text.splitlines()
    assert lines[0] == "1. 行政处罚（市场监管）：现在就可以申请，与第2条一起交、先办第2条。"
    assert lines[1] == "2. 经营异常名录（市场监管）：现在就可以申请。"
    assert "第1、2条可以一张表单一次申请" in text
    assert text.count(CAVEAT) == 1 and len(text) <= SHORT_LIMIT
    # the details give the order and the penalty's later deadline (its clock starts at the removal)
    full = details(result)
    assert "办理顺序：市场监管部门先办理第2条的移出" in full
    assert "预计最迟2026年12月11日（星期五）作出决定" in full


def test_six_records_fit_a_phone_screen_one_line_each():
    result = run(
        pen(),
        {"kind": "serious_list", "department": "tax", "listed_date": "2026-06-01", "corrected": True},
        {"kind": "serious_list", "department": "emergency", "listed_date": "2026-02-01", "corrected": True},
        pen(procedure="simple"),
        {"kind": "serious_list", "department": "hrss", "listed_date": "2026-01-10", "corrected": False},
        {"kind": "abnormal_list", "department": "market_regulation", "listed_date": "2026-01-10", "reason": "annual_report"},
    )
    text = short(result)
    assert len(text) <= SHORT_LIMIT, (len(text), text)
    lines = text.splitlines()
    assert lines[:6] == [
        "1. 行政处罚（税务）：现在就可以申请。",
        "2. 严重失信主体名单（税务）：现在就可以申请。",
        "3. 严重失信主体名单（应急）：2027年2月2日（星期二）起可以申请。",
        "4. 行政处罚（税务）：无需办理。",
        "5. 严重失信主体名单（人社）：暂不能申请，须先纠正失信行为，纠正后再满6个月。",
        "6. 经营异常名录（市场监管）：还要问您是否已纠正失信行为、履行相关义务。",
    ]
    assert text.count(CAVEAT) <= 1
    assert "查看详情" in text
    full = details(result)
    assert len(full) > 1000  # the details keep everything: materials, time limits, basis, plan
    assert "需要的材料" in full and "办理时限" in full and "依据：" in full and "综合安排" in full
    assert full.count(CAVEAT) == 1


def test_short_verdict_never_exceeds_its_limit_even_when_squeezed():
    result = run(pen(), pen(dept="market_regulation"), pen(dept="emergency", severity="serious"))
    text = short(result, limit=120)
    assert len(text) <= 120
    assert text.splitlines()[0].startswith("1. ")


def test_details_button_has_a_chinese_title():
    assert details_button() == {"title": "查看详情"}


def test_a_record_that_ends_before_repair_could_be_applied_for_needs_nothing():
    """Second hand try: listed 2024-03-01 (3 years), wages paid last month (6 months after): the
    verdict said 「2027年5月1日起可以申请」 — after the list ends by itself on 2027-03-02."""
    import datetime as dt

    from bot.dialogue import record_flow
    from bot.rules.explain import short

    record = {"kind": "serious_list", "department": "hrss", "listed_date": "2024-03-01", "corrected": True,
              "corrected_date": "2026-10-31"}
    text = short(record_flow.determine_for_records([record], None, dt.date(2026, 11, 25)))
    assert "不用申请" in text and "2027年3月2日" in text and "起可以申请" not in text
    from bot.rules.explain import explain_record

    details = explain_record(record_flow.determine_for_records([record], None, dt.date(2026, 11, 25))["results"][0])
    assert "结论：不用申请" in details


def test_plain_words_of_a_record_that_ends_first_say_it_ends_by_itself():
    """「看不懂」 after 「不用申请，…期满自动停止」 must not turn into 「要等到…」."""
    from bot.rules.explain import plain_verdict

    ends_first = {"index": 0, "status": "not_yet", "earliest_date": "2027-09-01", "auto_end_date": "2027-03-01"}
    waits = {"index": 0, "status": "not_yet", "earliest_date": "2027-03-01", "auto_end_date": "2029-03-01"}
    assert "不用申请" in plain_verdict({"results": [ends_first]}) and "要等" not in plain_verdict({"results": [ends_first]})
    assert "要等到2027年3月1日" in plain_verdict({"results": [waits]})
