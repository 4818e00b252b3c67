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


def test_lookup_shows_the_section_asked_alone_with_a_button_for_the_whole_card():
    ans = lookup("/查 税务 严重失信 材料", today=TODAY)
    assert ans.kind == "card" and ans.source == "serious_list/tax"
    assert ans.text.startswith("【指引卡片】严重失信主体名单信息信用修复/税务部门 · 申请材料")
    assert "已缴清税款、滞纳金和罚款的凭证" in ans.text and "■ 适用情形" not in ans.text
    assert len(ans.text) <= 600
    assert [b["title"] for b in ans.buttons] == ["全部"]
    assert lookup(ans.buttons[0]["payload"], today=TODAY).text.count("■ ") >= 11


def test_lookup_returns_the_whole_card_on_request():
    ans = lookup("/查 税务 严重失信 材料 全部", today=TODAY)
    assert ans.kind == "card" and ans.source == "serious_list/tax"
    text = ans.detail
    assert text.startswith("【指引卡片】严重失信主体名单信息信用修复/税务部门")
    for heading in ("适用情形", "受理条件", "申请材料", "办理流程", "办理时限", "办理渠道", "收费",
                    "公示期限", "修复效果", "异议与救济", "法律依据", "常见问题"):
        assert f"■ {heading}" in text
    assert text.index("■ 申请材料") < text.index("■ 适用情形")  # asked topic first
    assert "以受理机关最新规定为准" in text
    assert text.splitlines()[-2].startswith("依据：")
    assert text.count("《重大税收违法失信主体信息公布管理办法》") == 1  # each legal basis once


def test_lookup_without_department_gives_the_default_card():
    ans = lookup("/查 经营异常 全部", today=TODAY)
    assert ans.source == "abnormal_list/default" and "■ 办理时限" in ans.detail


def test_lookup_without_item_explains_usage():
    ans = lookup("/查 税务", today=TODAY)
    assert ans.source == "usage" and "例：/查 税务 严重失信 材料" in ans.detail
    assert len(ans.buttons) == 3


def test_lookup_for_a_department_that_does_not_decide_the_item():
    ans = lookup("/查 税务 经营异常", today=TODAY)
    assert "税务部门不作出经营异常名录决定" in ans.detail


def test_every_section_card_is_short_and_cites_each_basis_once():
    """Every department x item x topic card: the section alone, at most 600 characters, each
    instrument named once, 「已核实」 only when nothing in the card is unverified."""
    from bot.guide.answer import TOPICS, card
    from bot.guide.loader import load_guide

    guide = load_guide()
    for item in guide.items:
        for dept in (None, *guide.departments):
            for topic in TOPICS:
                c = card(item, dept, today=TODAY, guide=guide, first=topic, alone=True)
                where = (item, dept, topic)
                assert len(c.text) <= 600, (where, len(c.text))
                for inst in guide.instruments.values():
                    assert c.text.count(f"《{inst['title']}》（{inst['number']}）") <= 1, (where, inst["id"])
                if "核实状态：已核实" in c.text:
                    assert "未核实" not in c.text.replace("核实状态：已核实", ""), where
                    assert c.caveat is None, where


def test_card_verified_flag_is_false_when_any_rule_is_unverified():
    from bot.guide.answer import card

    c = card("penalty_info", "market_regulation", today=TODAY, first="time_limit", alone=True)
    assert "条款序号未核实" in c.text and "核实状态：未核实" in c.text
