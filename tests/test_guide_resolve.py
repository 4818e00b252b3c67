"""From NLU intent + entities + conversation slots + raw text to the answer."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.guide.resolve import mentions, normalise_entity, resolve, respond
from bot.guide.loader import load_guide

TODAY = dt.date(2026, 11, 25)
GUIDE = load_guide()


def ent(kind, value):
    return {"entity": kind, "value": value}


def test_question_with_item_and_department_entities():
    reply = respond("ask_materials", [ent("item", "serious_list"), ent("department", "tax")], {},
                    "税务黑名单要交啥子材料", today=TODAY)
    assert reply.answer.source == "serious_list/tax" and reply.answer.topic == "materials"
    assert {k: v for k, v in reply.slots.items() if k != "guide_last"} == {
        "item": "serious_list", "department": "tax", "topic": "materials"}
    assert '"source":"serious_list/tax"' in reply.slots["guide_last"]  # for 「听不懂」/「详细」


def test_text_backs_up_missed_entities():
    res = resolve("ask_time_limit", [], {}, "市监局的罚款记录修复要几天")
    assert (res.item, res.department, res.topic) == ("penalty_info", "market_regulation", "time_limit")


def test_entity_typos_and_raw_values_are_normalised():
    assert normalise_entity("黑明单", "item", GUIDE) == "serious_list"
    assert normalise_entity("市场监官局", "department", GUIDE) == "market_regulation"
    assert normalise_entity("异常名录", "item", GUIDE) == "abnormal_list"
    assert normalise_entity("penalty_info", "item", GUIDE) == "penalty_info"


def test_follow_up_how_long_after_materials_uses_the_context():
    first = respond("ask_materials", [ent("item", "penalty_info")], {}, "行政处罚修复要啥材料", today=TODAY)
    second = respond("ask_time_limit", [], first.slots, "那要多久？", today=TODAY)
    assert second.answer.source == "penalty_info/default"
    assert second.answer.topic == "time_limit"
    assert "3个工作日" in second.answer.detail


def test_follow_up_with_another_department_keeps_item_and_topic():
    slots = {"item": "penalty_info", "department": None, "topic": "time_limit"}
    reply = respond("choose_item", [ent("department", "tax")], slots, "税务的呢", today=TODAY)
    assert reply.answer.source == "penalty_info/tax" and reply.answer.topic == "time_limit"


def test_follow_up_with_another_item_keeps_a_department_that_decides_it():
    slots = {"item": "penalty_info", "department": "tax", "topic": "materials"}
    reply = respond("choose_item", [ent("item", "serious_list")], slots, "那黑名单呢", today=TODAY)
    assert reply.answer.source == "serious_list/tax"
    # Tax does not decide the abnormal list: the department is dropped, not carried over.
    reply = respond("choose_item", [ent("item", "abnormal_list")], slots, "那经营异常呢", today=TODAY)
    assert reply.answer.source == "abnormal_list/default"


def test_no_item_gets_the_general_answer_first_then_three_buttons():
    reply = respond("ask_materials", [], {}, "修复要交哪些材料", today=TODAY)
    assert reply.answer.kind == "general"
    assert "信用承诺书" in reply.answer.text and "请问您想了解哪类" not in reply.answer.text
    assert len(reply.answer.buttons) == 3
    assert reply.slots["topic"] == "materials" and reply.slots["item"] is None
    # The button answer (choose_item) then answers the remembered topic.
    after = respond("choose_item", [ent("item", "abnormal_list")], reply.slots, "/choose_item", today=TODAY)
    assert after.answer.source == "abnormal_list/default" and after.answer.topic == "materials"


def test_department_without_item_offers_only_items_it_decides():
    reply = respond("ask_conditions", [ent("department", "hrss")], {}, "人社局的修复条件", today=TODAY)
    assert reply.answer.kind == "general" and "履行" in reply.answer.text
    assert [b["title"] for b in reply.answer.buttons] == ["行政处罚信息", "严重失信主体名单"]


def test_two_items_named_asks_which():
    res = resolve("ask_materials", [], {}, "行政处罚和经营异常名录分别要啥材料")
    assert res.kind == "clarify" and set(res.items) == {"penalty_info", "abnormal_list"}


def test_severity_grade_is_not_the_serious_list():
    res = resolve("ask_publicity_period", [ent("item", "penalty_info")], {}, "严重失信的行政处罚要公示几年")
    assert (res.kind, res.item) == ("answer", "penalty_info")


@pytest.mark.parametrize("intent,text,faq", [
    ("ask_personal_credit", "征信逾期咋个修复", "personal_credit_report"),
    ("ask_court_dishonest", "被法院列为老赖了", "court_dishonest_debtor"),
    ("ask_other_province", "重庆的处罚能在这修复不", "other_province"),
    ("ask_conditions", "失信被执行人怎么修复", "court_dishonest_debtor"),  # keyword beats a wrong intent
    ("nlu_fallback", "我们公司纳税信用被评成D级了 能修复不", "tax_credit_rating"),
    ("ask_conditions", "纳税信用等级咋个修复", "tax_credit_rating"),
])
def test_out_of_scope(intent, text, faq):
    reply = respond(intent, [], {}, text, today=TODAY)
    assert reply.answer.kind == "out_of_scope" and reply.answer.source == f"faq/{faq}"
    assert set(reply.slots) <= {"guide_last"}


def test_a_tax_penalty_is_not_the_tax_credit_rating():
    reply = respond("ask_applicability", [], {}, "被税务局罚款了能修复吗", today=TODAY)
    assert reply.answer.kind != "out_of_scope" and "纳税信用级别" not in reply.answer.text


def test_general_topics_and_fee():
    assert respond("ask_two_notices", [], {}, "双书同达啥意思", today=TODAY).answer.source == "faq/two_notices"
    assert respond("ask_one_thing", [], {}, "一件事是啥", today=TODAY).answer.source == "faq/one_thing"
    fee = respond("ask_fee", [], {"item": "penalty_info"}, "要钱不", today=TODAY)
    assert fee.answer.source == "faq/fee" and fee.slots["topic"] == "fee"


def test_nlu_fallback_uses_retrieval():
    reply = respond("nlu_fallback", [], {}, "黑名单要挂好久哦", today=TODAY)
    assert reply.answer.source == "serious_list/default"
    assert reply.answer.topic == "publicity_period"


def test_nlu_fallback_offers_buttons_when_nothing_is_close():
    reply = respond("nlu_fallback", [], {}, "今天吃啥子", today=TODAY)
    assert reply.answer.kind == "suggest" and reply.answer.buttons
    assert "不明白" not in reply.answer.detail


def test_fallback_with_context_prefers_the_item_in_the_conversation():
    slots = {"item": "abnormal_list", "department": None, "topic": "materials"}
    reply = respond("nlu_fallback", [], slots, "那个是在哪个网站上弄嘛", today=TODAY)
    assert reply.answer.source.startswith("abnormal_list/")


def test_agent_prefix_wins_over_the_intent():
    reply = respond("ask_materials", [], {}, "/查 税务 严重失信 材料", today=TODAY)
    assert reply.answer.kind == "card" and reply.answer.source == "serious_list/tax"


def test_mentions_use_longest_aliases():
    found = [(m.kind, m.code) for m in mentions("个体工商户被市场监督管理局列入经营异常名录", GUIDE)]
    assert ("department", "market_regulation") in found and ("item", "abnormal_list") in found
    assert found.count(("department", "market_regulation")) == 1
