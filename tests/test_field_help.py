"""「这个代码在哪看哦」 at the application form's questions: where the fact is found and what it
means, then the same question — not 「好的，重新填信用代码」, not the office's address, and never
「啥意思」 taken as the agent's name (hand try, 2026-12-05)."""

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.application_actions import ActionCorrectField, ValidateApplicationForm
from bot.dialogue.field_help import field_asked_about
from bot.facts.applicant import mine_applicant
from tests.action_helpers import said, tracker

pytestmark = pytest.mark.usefixtures("chat_env")

RECORD = {"kind": "penalty", "department": "tax", "decision_date": "2026-01-10", "severity": "general",
          "obligations_fulfilled": True}


@pytest.mark.parametrize("text, asked, about", [
    # the question just asked, in the words applicants use
    ("这个代码在哪看哦", "uscc", "uscc"),
    ("要电话做啥子", "agent_phone", "agent_phone"),   # seventh hand try: the process card
    ("要手机号干啥", "agent_phone", "agent_phone"),
    ("在哪看哦", "uscc", "uscc"),
    ("信用代码找不到咋办", "uscc", "uscc"),
    ("我不晓得代码是好多", "uscc", "uscc"),
    ("这是啥子意思", "agent_name", "agent_name"),
    ("经办人是啥意思", "agent_name", "agent_name"),
    ("啥子是经办人哦", "agent_name", "agent_name"),   # hand try: 「好的，重新填经办人。」
    ("什么叫法定代表人", "legal_rep", "legal_rep"),
    ("法人是谁哦", "legal_rep", "legal_rep"),
    ("名称在营业执照哪里", "subject_name", "subject_name"),
    ("电话填哪个的", "agent_phone", "agent_phone"),
    ("代码在执照哪个地方哦？", "uscc", "uscc"),   # hand try: answered with a guide topic
    ("信用代码印在哪点", "uscc", "uscc"),
    # another field, named by a word of its own
    ("代码在哪里找", "legal_rep", "uscc"),
    ("经办人填哪个", "legal_rep", "agent_name"),
    # not a question about a field
    ("91350100M000100Y43", "uscc", None),
    ("法人是张三", "legal_rep", None),
    ("不知道", "uscc", None),            # an answer the form counts, with its own help
    ("政务中心在哪", "uscc", None),       # where to go: the guide's office answer
    ("政务中心在哪个地方", "uscc", None),
    ("去哪里办", "agent_phone", None),
    ("要交钱不", "uscc", None),
    ("你们电话是好多", "uscc", None),     # the hotline, not the agent's phone
    ("成都某某科技有限公司", "subject_name", None),
    ("这个日期在哪看", "fact_date", None),   # a record's own question: not one of these fields
    ("代码在哪看", "fact_date", "uscc"),
    # second hand try: a 协会 has no business licence; told where its code is instead
    ("我们协会没得营业执照啊", "uscc", "no_license"),
    ("没有营业执照咋个填", "subject_name", "no_license"),
    ("我们没有营业执照了 能修复不", None, None),  # outside the form: a question for the guide (吊销?)
    ("没营业执照", "fact_date", None),   # at a record's question: not about the form's fields
])
def test_which_field_a_message_asks_about(text, asked, about):
    assert field_asked_about(text, asked) == about


@pytest.mark.parametrize("text", ["经办人是啥意思", "经办人是哪个", "法定代表人是啥子", "法人是谁"])
def test_question_words_are_never_a_name(text):
    assert mine_applicant(text).slots() == {}


@pytest.mark.parametrize("asked, text, fact", [
    ("uscc", "这个代码在哪看哦", "营业执照"),
    ("uscc", "信用代码找不到咋办", "国家企业信用信息公示系统"),
    ("agent_name", "经办人是啥意思", "授权委托书"),
    ("legal_rep", "法人是谁哦", "法定代表人"),
])
async def test_the_form_answers_and_asks_the_same_question_again(asked, text, fact):
    order = ["subject_name", "uscc", "legal_rep", "agent_name"]
    before = dict(zip(order, ["成都某某科技有限公司", "91350100M000100Y43", "张三"]))
    slots = {"records": [RECORD], **{k: v for k, v in before.items() if order.index(k) < order.index(asked)},
             "requested_slot": asked, asked: text}
    domain = {"forms": {"application_form": {"required_slots": ["subject_name", "uscc", "legal_rep", "agent_name"]}}}
    d = CollectingDispatcher()
    events = await ValidateApplicationForm().run(d, tracker(text, intent="inform", slots=slots,
                                                             active_loop="application_form"), domain)
    assert events == [SlotSet(asked, None), SlotSet("requested_slot", asked)]  # no failure counted
    reply = said(d)
    assert fact in reply and "没找到" not in reply and "请只发" not in reply
    assert len(reply) <= 120  # one phone screen


async def test_read_as_a_correction_it_is_answered_not_cleared():
    """NLU reads 「这个代码在哪看哦」 as correct_field (代码): the code already given stays."""
    slots = {"uscc": "91350100M000100Y43", "requested_slot": "legal_rep"}
    d = CollectingDispatcher()
    events = await ActionCorrectField().run(d, tracker("这个代码在哪看哦", intent="correct_field", slots=slots,
                                                       active_loop="application_form"), {})
    assert events == []
    assert "营业执照" in said(d) and "重新填" not in said(d)


async def test_a_real_correction_still_corrects():
    slots = {"uscc": "91350100M000100Y43", "requested_slot": "legal_rep"}
    d = CollectingDispatcher()
    events = await ActionCorrectField().run(d, tracker("代码写错了", intent="correct_field", slots=slots,
                                                       active_loop="application_form"), {})
    assert SlotSet("uscc", None) in events or "uscc" in str(events)


@pytest.mark.parametrize("form, asked, text, plain", [
    ("record_form", "fact_department", "还是听不懂", "决定书最上面"),
    ("record_form", "fact_date", "听不懂 说简单点", "落款"),
    ("application_form", "agent_name", "看不懂", "授权委托书"),
])
async def test_not_understood_gets_plainer_words_then_a_human(form, asked, text, plain):
    """Hand try (elderly user): 「还是听不懂」 at the department question got 「没听明白是哪个部门。请说
    部门名称」 — the same words again, and no human offered."""
    from actions.paths_actions import ValidateRecordForm

    action = ValidateRecordForm() if form == "record_form" else ValidateApplicationForm()
    slots = {"fact_kind": "penalty_info", "fact_department": "tax", "requested_slot": asked, asked: text}
    if form == "application_form":
        slots = {"records": [RECORD], "subject_name": "成都某某科技有限公司", "uscc": "91350100M000100Y43",
                 "legal_rep": "张三", "requested_slot": asked, asked: text}
    # the domain's static list differs from the form's own (else rasa_sdk leaves the next question to Rasa)
    domain = {"forms": {form: {"required_slots": ["fact_kind", "fact_department", "fact_date", "subject_name"]
                               if form == "record_form" else ["subject_name", "uscc", "legal_rep", "agent_name"]}}}
    first = CollectingDispatcher()
    events = await action.run(first, tracker(text, slots=slots, active_loop=form), domain)
    assert plain in said(first) and "人工" not in said(first) and "12345" not in said(first)
    assert SlotSet("requested_slot", asked) in events and SlotSet(asked, None) in events
    failures = next(e["value"] for e in events if e.get("name") == "form_failures")
    again = CollectingDispatcher()
    await action.run(again, tracker(text, slots={**slots, "form_failures": failures}, active_loop=form), domain)
    assert plain in said(again) and ("人工" in said(again) or "12345" in said(again))


def test_why_the_phone_is_asked_is_answered():
    """Hand try: 「为啥子要电话哦」 got an unrelated 「选择信用记录类型」."""
    assert field_asked_about("为啥子要电话哦", "agent_phone") == "agent_phone"


@pytest.mark.parametrize("text, asked, fact", [
    ("不晓得 啥子叫失信程度", "fact_severity", "轻微"),   # second hand try: a verdict that still needed it
    ("这个日期在哪看", "fact_date", "落款"),
])
async def test_a_question_about_a_record_question_is_answered(text, asked, fact):
    from actions.paths_actions import ValidateRecordForm

    slots = {"fact_kind": "penalty", "fact_department": "tax", "fact_date": "2026-01-10",
             "requested_slot": asked, asked: text}
    domain = {"forms": {"record_form": {"required_slots": ["fact_kind", "fact_department", "fact_date",
                                                             "fact_severity", "subject_name"]}}}
    d = CollectingDispatcher()
    events = await ValidateRecordForm().run(d, tracker(text, slots=slots, active_loop="record_form"), domain)
    assert fact in said(d) and SlotSet(asked, None) in events
    assert not any(e.get("name") == "form_failures" for e in events)


async def test_a_field_named_at_a_record_question_is_about_that_field():
    """Review hand try: 「代码在哪点看嘛」 at the record-kind question got the kinds explained."""
    from actions.paths_actions import ValidateRecordForm

    text = "代码在哪点看嘛"
    slots = {"requested_slot": "fact_kind", "fact_kind": text}
    domain = {"forms": {"record_form": {"required_slots": ["fact_kind", "subject_name"]}}}
    d = CollectingDispatcher()
    await ValidateRecordForm().run(d, tracker(text, slots=slots, active_loop="record_form"), domain)
    assert "营业执照" in said(d) and "行政处罚" not in said(d)


async def test_not_understood_at_the_uploads_gets_plain_words():
    """Review hand try: 「听不懂」 at the materials step got 「材料传好了吗？」 and the same line again."""
    slots = {"records": [RECORD], "subject_name": "成都某某科技有限公司", "uscc": "91350100M000100Y43",
             "legal_rep": "张三", "agent_name": "张三", "agent_phone": "13812341234",
             "requested_slot": "materials_confirmed", "materials_confirmed": "听不懂"}
    domain = {"forms": {"application_form": {"required_slots": ["materials_confirmed", "commitment_accepted"]}}}
    d = CollectingDispatcher()
    events = await ValidateApplicationForm().run(d, tracker("听不懂", slots=slots, active_loop="application_form"), domain)
    assert "拍照" in said(d) and "窗口" in said(d) and SlotSet("materials_confirmed", None) in events
