"""The answer composer: one topic of one section, numbers only from dated rules, a source line
on every answer and the caveat on everything that rests on an unverified fact."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from bot.guide.answer import TOPICS, answer, card, clarify_item, faq_answer, overview
from bot.guide.loader import DEFAULT_GUIDE_DIR, Guide, load_guide

TODAY = dt.date(2026, 11, 25)
CAVEAT = "以受理机关最新规定为准"
GUIDE = load_guide()


def _allowed_months(guide: Guide) -> set[int]:
    months = set()
    for rule in guide.rules:
        for key, value in _walk(rule.values):
            if key.endswith("months") and isinstance(value, int):
                months.add(value)
    return months


def _walk(values, key=""):
    if isinstance(values, dict):
        for k, v in values.items():
            yield from _walk(v, k)
    else:
        yield key, values


def _body(text: str) -> str:
    """The answer without its source line (citations carry document numbers)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("来源：") and "【" not in line[:1])


@pytest.mark.parametrize("item", sorted(GUIDE.items))
@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_every_topic_answers_with_a_source_line(item, topic):
    for dept in [None, *GUIDE.departments]:
        ans = answer(item, dept, topic, today=TODAY)
        assert ans.detail.splitlines()[-1].startswith("来源：办事指引·")
        assert "\n\n" not in ans.detail  # Rasa's REST channel would split the answer there
        if topic == "fee":
            assert ans.source == "faq/fee"
        else:
            assert ans.source == (f"{item}/{dept}" if dept else f"{item}/default")


def test_numbers_in_answers_come_from_the_rules():
    months = _allowed_months(GUIDE)
    years = {m // 12 for m in months if m % 12 == 0}
    working_days = {v for r in GUIDE.rules for k, v in _walk(r.values) if k.endswith("working_days")}
    for item in GUIDE.items:
        for dept in [None, *GUIDE.departments]:
            for topic in TOPICS:
                body = _body(answer(item, dept, topic, today=TODAY).detail)
                for n in re.findall(r"(\d+)个工作日", body):
                    assert int(n) in working_days, (item, dept, topic, n)
                for n in re.findall(r"(\d+)个月", body):
                    assert int(n) in months, (item, dept, topic, n)
                for n in re.findall(r"(?<![\d-])(\d{1,2})年(?!\d|\d*月)", body):
                    assert int(n) in years, (item, dept, topic, n)


def test_time_limit_is_rendered_from_the_rule_in_force():
    ans = answer("penalty_info", "market_regulation", "time_limit", today=TODAY)
    assert "7个工作日" in ans.detail
    assert "2026年12月4日" in ans.detail  # 7 working days after Wednesday 2026-11-25
    assert ans.caveat == CAVEAT and CAVEAT in ans.detail  # the rule is unverified
    general = answer("penalty_info", None, "time_limit", today=TODAY)
    assert "3个工作日" in general.detail and "10个工作日" in general.detail


def test_publicity_period_renders_every_grade():
    text = answer("penalty_info", None, "publicity_period", today=TODAY).detail
    assert "一般失信行为：最短公示3个月，最长1年" in text
    assert "严重失信行为：最短公示1年，最长3年" in text
    assert "简易程序" in text


def test_a_rule_change_changes_every_answer(tmp_path: Path):
    dest = tmp_path / "guides"
    shutil.copytree(DEFAULT_GUIDE_DIR, dest)
    rules = dest / "rules.yml"
    text = rules.read_text(encoding="utf-8")
    text = text.replace("      - {instrument: samr_order_107, article: 办理时限（条款序号未核实）}\n    values: {working_days: 7}",
                        "      - {instrument: samr_order_107, article: 办理时限（条款序号未核实）}\n    values: {working_days: 9}", 1)
    text = text.replace("      general: {min_months: 3, max_months: 12}\n      serious: {min_months: 12, max_months: 36}\n  - id: penalty_publicity_samr107",
                        "      general: {min_months: 6, max_months: 12}\n      serious: {min_months: 12, max_months: 36}\n  - id: penalty_publicity_samr107", 1)
    rules.write_text(text, encoding="utf-8")
    changed = Guide(dest)
    assert "9个工作日" in answer("penalty_info", "market_regulation", "time_limit", today=TODAY, guide=changed).detail
    assert "一般失信行为：最短公示6个月" in answer("penalty_info", None, "publicity_period", today=TODAY, guide=changed).detail
    assert "一般满6个月" in answer("penalty_info", None, "conditions", today=TODAY, guide=changed).detail
    assert "9个工作日" in card("penalty_info", "market_regulation", today=TODAY, guide=changed).detail


def test_the_rule_version_follows_the_date():
    before = answer("penalty_info", None, "publicity_period", today=dt.date(2025, 1, 10)).detail
    after = answer("penalty_info", None, "publicity_period", today=TODAY).detail
    assert "轻微失信行为：最短公示3个月" in before  # Order 58: no separate minor grade
    assert "轻微失信行为：最长公示3个月，履行义务后即可申请修复" in after


def test_materials_mark_what_the_department_fetches():
    ans = answer("penalty_info", "tax", "materials", today=TODAY)
    assert "已缴清税款、滞纳金和罚款的凭证（必交；部门通过数据共享自行获取，一般无需您提交）" in ans.detail
    assert "信用承诺书（必交；系统自动生成）" in ans.detail
    assert "不需要提供信用报告" in ans.detail
    assert ans.source == "penalty_info/tax"


def test_conditions_for_serious_list_by_department():
    hrss = answer("serious_list", "hrss", "conditions", today=TODAY).detail
    assert "已支付全部拖欠的农民工工资" in hrss
    # fourth hand try: 「…后即可申请提前移出，并须纠正失信行为满6个月」 read as a contradiction
    assert "履行义务满6个月后可申请提前移出" in hrss and "即可申请" not in hrss
    civil = answer("serious_list", "civil_affairs", "publicity_period", today=TODAY).detail
    assert "最长2年" in civil and "不能申请提前移出" in civil
    abnormal = answer("abnormal_list", "market_regulation", "conditions", today=TODAY).detail
    assert "补报未报年份的年度报告并公示" in abnormal and "列入满3年" in abnormal


def test_verified_answer_has_no_caveat_and_unverified_has_it():
    verified = answer("serious_list", "hrss", "materials", today=TODAY)
    assert verified.caveat is None and CAVEAT not in verified.detail
    unverified = answer("serious_list", "statistics", "materials", today=TODAY)
    assert unverified.caveat == CAVEAT and CAVEAT in unverified.detail


def test_source_line_cites_section_and_basis():
    text = answer("penalty_info", "market_regulation", "materials", today=TODAY).detail
    last = text.splitlines()[-1]
    assert last.startswith("来源：办事指引·行政处罚信息信用修复/市场监管部门；依据：《")
    assert "国家市场监督管理总局令第107号" in last


def test_basis_lists_instruments_with_validity_dates():
    text = answer("abnormal_list", "market_regulation", "basis", today=TODAY).detail
    assert "《企业信息公示暂行条例》（国务院令第654号）" in text
    assert "2014-10-01起施行，现行有效" in text
    assert "最近核对：2026-11-25" in text


def test_department_that_does_not_decide_the_item_says_who_does():
    ans = answer("abnormal_list", "tax", "materials", today=TODAY)
    assert "税务部门不作出经营异常名录决定" in ans.detail
    assert ans.source == "abnormal_list/tax"
    payloads = [b["payload"] for b in ans.buttons]
    assert '/ask_materials{"item":"abnormal_list","department":"market_regulation"}' in payloads


def test_fee_answer_warns_against_paid_agents():
    ans = answer("serious_list", "tax", "fee", today=TODAY)
    assert "不收取任何费用" in ans.detail and "删除失信记录" in ans.detail and "12345" in ans.detail
    assert ans.source == "faq/fee"


def test_follow_up_buttons_keep_item_and_department():
    ans = answer("penalty_info", "tax", "materials", today=TODAY)
    assert [b["title"] for b in ans.buttons] == ["办理时限", "办理渠道", "办理流程"]
    assert ans.buttons[0]["payload"] == '/ask_time_limit{"item":"penalty_info","department":"tax"}'


@pytest.mark.parametrize("topic_id,where", [
    ("personal_credit_report", "中国人民银行征信中心"),
    ("court_dishonest_debtor", "执行法院"),
    ("other_province", "外省部门"),
])
def test_out_of_scope_is_kind_and_says_where_to_go(topic_id, where):
    ans = faq_answer(topic_id)
    assert ans.kind == "out_of_scope"
    assert ans.detail.startswith("这个问题不在四川信用修复“一件事”的办理范围内，不过可以告诉您该去哪里")
    assert where in ans.detail
    assert ans.source == f"faq/{topic_id}"
    assert ans.detail.splitlines()[-1].startswith("来源：办事指引·常见问题/")


def test_general_faq_answers_cite_the_plan():
    ans = faq_answer("two_notices")
    assert "信用修复告知书" in ans.detail and "川发改财金〔2024〕269号" in ans.detail
    assert faq_answer("one_thing").source == "faq/one_thing"


def test_clarification_offers_three_items():
    ans = clarify_item("materials")
    assert ans.kind == "clarify" and "申请材料" in ans.detail
    assert [b["title"] for b in ans.buttons] == ["行政处罚信息", "经营异常名录", "严重失信主体名单"]
    assert ans.buttons[2]["payload"] == '/ask_materials{"item":"serious_list"}'


def test_overview_when_only_the_item_is_known():
    ans = overview("abnormal_list")
    assert ans.source == "abnormal_list/default" and len(ans.buttons) == 3


def test_card_has_every_topic_and_puts_the_asked_one_first():
    c = card("serious_list", "tax", today=TODAY, first="materials")
    assert c.source == "serious_list/tax"
    headings = re.findall(r"■ (\S+)", c.detail)
    assert headings[0] == "申请材料"
    assert {TOPICS[t].label for t in TOPICS} <= set(headings)
    assert "核实状态：未核实" in c.detail and CAVEAT in c.detail
    assert "\n\n" not in c.detail
