"""A path verdict fits a phone screen; 「查看详情」 gives the full explanation of that verdict."""

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.paths_actions import ActionExplainPaths
from actions.paths_details import ActionShowPathDetails
from tests.action_helpers import said, slot_events, tracker

pytestmark = pytest.mark.usefixtures("chat_env")

MARKET_PENALTY = {"fact_kind": "penalty", "fact_department": "market_regulation", "fact_date": "2026-03-10",
                  "fact_severity": "general", "fact_fulfilled": True}
ABNORMAL = {"kind": "abnormal_list", "department": "market_regulation", "listed_date": "2025-07-01",
            "reason": "annual_report", "corrected": True}


async def test_the_verdict_is_short_and_offers_the_details_button():
    d = CollectingDispatcher()
    events = await ActionExplainPaths().run(d, tracker(slots=MARKET_PENALTY), {})
    text = said(d)
    assert text.startswith("行政处罚信息信用修复（市场监管部门）：现在就可以申请")
    assert len(text) <= 300, len(text)
    assert text.count("以受理机关最新规定为准") == 1
    assert "需要的材料" not in text
    buttons = d.messages[0]["buttons"]
    assert {"title": "查看详情", "payload": "/ask_path_details"} in buttons

    d2 = CollectingDispatcher()
    await ActionShowPathDetails().run(d2, tracker(slots={"paths_result": slot_events(events)["paths_result"]}), {})
    full = said(d2)
    assert "需要的材料" in full and "办理时限" in full and "依据：" in full
    assert full.count("以受理机关最新规定为准") == 1


async def test_two_dependent_records_one_line_each_and_the_order_in_the_details():
    d = CollectingDispatcher()
    events = await ActionExplainPaths().run(d, tracker(slots={**MARKET_PENALTY, "records": [ABNORMAL]}), {})
    text = said(d)
    assert len(text) <= 300
    assert "1. 经营异常名录（市场监管）：现在就可以申请。" in text
    assert "2. 行政处罚（市场监管）：现在就可以申请，与第1条一起交、先办第1条。" in text
    d2 = CollectingDispatcher()
    await ActionShowPathDetails().run(d2, tracker(slots={"paths_result": slot_events(events)["paths_result"]}), {})
    assert "办理顺序：市场监管部门先办理第1条的移出，移出后再对第2条作出修复决定" in said(d2)


async def test_details_without_a_verdict_say_what_to_do():
    d = CollectingDispatcher()
    await ActionShowPathDetails().run(d, tracker(), {})
    assert "还没有判断过记录" in said(d)
