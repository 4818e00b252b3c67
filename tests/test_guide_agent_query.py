"""Help-desk lookup: a compact query returns the whole guide card."""

from __future__ import annotations

import datetime as dt

from bot.guide.agent_query import lookup, parse

TODAY = dt.date(2026, 11, 25)


def test_parse_compact_query_with_and_without_spaces():
    for text in ("/查 税务 严重失信 材料", "/查税务严重失信材料", "／查 税务局，黑名单，材料"):
        q = parse(text)
        assert (q.item, q.department, q.topic) == ("serious_list", "tax", "materials"), text


def test_parse_tolerates_typos():
    q = parse("/查 黑明单 市场监官")
    assert (q.item, q.department) == ("serious_list", "market_regulation")


def test_lookup_returns_the_whole_card():
    ans = lookup("/查 税务 严重失信 材料", today=TODAY)
    assert ans.kind == "card" and ans.source == "serious_list/tax"
    text = ans.text
    assert text.startswith("【指引卡片】严重失信主体名单信息信用修复/税务部门")
    for heading in ("适用情形", "受理条件", "申请材料", "办理流程", "办理时限", "办理渠道", "收费",
                    "公示期限", "修复效果", "异议与救济", "法律依据", "常见问题"):
        assert f"■ {heading}" in text
    assert text.index("■ 申请材料") < text.index("■ 适用情形")  # asked topic first
    assert "以受理机关最新规定为准" in text
    assert text.splitlines()[-1].startswith("来源：办事指引·严重失信主体名单信息信用修复/税务部门")


def test_lookup_without_department_gives_the_default_card():
    ans = lookup("/查 经营异常", today=TODAY)
    assert ans.source == "abnormal_list/default" and "■ 办理时限" in ans.text


def test_lookup_without_item_explains_usage():
    ans = lookup("/查 税务", today=TODAY)
    assert ans.source == "usage" and "例：/查 税务 严重失信 材料" in ans.text
    assert len(ans.buttons) == 3


def test_lookup_for_a_department_that_does_not_decide_the_item():
    ans = lookup("/查 税务 经营异常", today=TODAY)
    assert "税务部门不作出经营异常名录决定" in ans.text
