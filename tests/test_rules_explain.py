"""The plain-Chinese explanation of path results (bot.rules.explain)."""

from __future__ import annotations

import pytest

from bot.rules.engine import determine_paths
from bot.rules.explain import explain_record, explain_result, zh_date_weekday

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
    assert "现在就可以一次申请：第2条" in text
    assert "稍后申请：第1条，须在第2条移出后再申请" in text


def test_weekends_only_caveat_reaches_the_explanation():
    text = explain_result(run(pen(decided="2026-11-30"), as_of="2027-03-01"))
    assert "2027年的法定节假日安排尚未收录" in text
    assert "2027年3月4日（星期四）" in text
