"""The guide actions through rasa-sdk: what the user sees and which slots are set."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.guide_actions as ga

TODAY = dt.date(2026, 11, 25)


@pytest.fixture(autouse=True)
def _pin_today(monkeypatch):
    monkeypatch.setattr(ga, "today", lambda: TODAY)


def user_turn(text: str, intent: str, entities: list[dict] | None = None,
              confidence: float = 0.95) -> list[dict]:
    return [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text,
         "parse_data": {"intent": {"name": intent, "confidence": confidence}, "entities": entities or []}},
    ]


def make_tracker(history: list[dict], text: str, intent: str, entities: list[dict] | None = None,
                 confidence: float = 0.95) -> Tracker:
    """A tracker whose events hold `history` then the latest user message; slots are the state
    after both (including what entity mappings set from the latest message)."""
    events = history + user_turn(text, intent, entities, confidence)
    for e in entities or []:
        if e["entity"] in ga.GUIDE_SLOTS:
            events.append({"event": "slot", "name": e["entity"], "value": e["value"]})
    slots: dict[str, Any] = {k: None for k in ga.GUIDE_SLOTS}
    for e in events:
        if e["event"] == "slot":
            slots[e["name"]] = e["value"]
    return Tracker(
        sender_id="guide-test", slots=slots,
        latest_message={"text": text, "intent": {"name": intent, "confidence": confidence},
                        "entities": entities or []},
        events=events, paused=False, followup_action=None, active_loop={},
        latest_action_name="action_listen",
    )


async def run(action, tracker: Tracker) -> tuple[str, list[dict], dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    text = "\n".join(m.get("text") or "" for m in dispatcher.messages)
    buttons = [b for m in dispatcher.messages for b in m.get("buttons") or []]
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return text, buttons, slots


def answered(text: str, buttons: list[dict], slots: dict) -> list[dict]:
    """The slot events an answer leaves in the conversation, to build the next turn."""
    return [{"event": "slot", "name": k, "value": v} for k, v in slots.items()]


async def test_answer_with_entities_shows_the_guide_section():
    tracker = make_tracker([], "税务局的黑名单要交啥子材料", "ask_materials",
                           [{"entity": "department", "value": "tax"}, {"entity": "item", "value": "serious_list"}])
    text, buttons, slots = await run(ga.ActionAnswerGuide(), tracker)
    assert text.startswith("【严重失信主体名单·税务·申请材料】")
    assert "已缴清税款、滞纳金和罚款的凭证（必交；部门能查到的不用交）" in text
    assert text.count("以受理机关最新规定为准") == 1  # the caveat once
    assert "依据：《重大税收违法失信主体信息公布管理办法》" in text  # one compact source line
    assert len(text) <= 300  # phone-sized
    assert [b["title"] for b in buttons] == ["办理时限", "办理渠道", "办理流程"]
    assert {k: v for k, v in slots.items() if k != "guide_last"} == {
        "item": "serious_list", "department": "tax", "topic": "materials"}


async def test_follow_up_how_long_uses_the_previous_question():
    first = make_tracker([], "市场监管局的处罚要啥材料", "ask_materials",
                         [{"entity": "department", "value": "market_regulation"},
                          {"entity": "item", "value": "penalty_info"}])
    _, _, slots = await run(ga.ActionAnswerGuide(), first)
    history = first.events + [{"event": "action", "name": "action_answer_guide"}] + answered("", [], slots)
    text, _, slots = await run(ga.ActionAnswerGuide(), make_tracker(history, "那要多久？", "ask_time_limit"))
    assert text.startswith("【行政处罚信息·市场监管·办理时限】")
    assert "市场监管部门收到申请后7个工作日内作出决定" in text
    assert "最迟2026年12月4日前作出决定" in text
    assert slots["topic"] == "time_limit"


async def test_follow_up_switching_department():
    history = answered("", [], {"item": "serious_list", "department": "hrss", "topic": "conditions"})
    tracker = make_tracker(history, "应急局的呢", "choose_item", [{"entity": "department", "value": "emergency"}])
    text, _, slots = await run(ga.ActionAnswerGuide(), tracker)
    assert text.startswith("【严重失信主体名单·应急·受理条件】")
    assert "列入满1年且纠正失信行为后可申请提前移出" in text
    assert slots["department"] == "emergency"


async def test_new_item_drops_a_department_that_does_not_decide_it():
    history = answered("", [], {"item": "penalty_info", "department": "tax", "topic": "materials"})
    tracker = make_tracker(history, "那经营异常名录呢", "choose_item", [{"entity": "item", "value": "abnormal_list"}])
    text, _, slots = await run(ga.ActionAnswerGuide(), tracker)
    assert text.startswith("【经营异常名录·申请材料】")
    assert slots["department"] is None


async def test_ambiguous_item_asks_with_three_buttons_then_answers():
    tracker = make_tracker([], "需要满足啥子条件", "ask_conditions")
    text, buttons, slots = await run(ga.ActionAnswerGuide(), tracker)
    assert text.startswith("【受理条件】") and "3个月" in text and "1年" in text  # answer first
    assert "请问您想了解哪类" not in text
    assert [b["title"] for b in buttons] == ["行政处罚信息", "经营异常名录", "严重失信主体名单"]
    assert buttons[0]["payload"] == '/ask_conditions{"item":"penalty_info"}'
    history = tracker.events + [{"event": "action", "name": "action_answer_guide"}] + answered("", [], slots)
    tracker = make_tracker(history, "黑名单那个", "choose_item", [{"entity": "item", "value": "serious_list"}])
    text, _, _ = await run(ga.ActionAnswerGuide(), tracker)
    assert text.startswith("【严重失信主体名单·受理条件】")


@pytest.mark.parametrize("intent,text,where", [
    ("ask_personal_credit", "信用卡逾期征信能修复不", "中国人民银行征信中心"),
    ("ask_court_dishonest", "被列为失信被执行人了咋办", "执行法院"),
    ("ask_other_province", "重庆罚的能在这修复吗", "外省部门"),
])
async def test_out_of_scope_is_answered_kindly_with_where_to_go(intent, text, where):
    said, buttons, slots = await run(ga.ActionAnswerGuide(), make_tracker([], text, intent))
    assert where in said and "这里" in said or where in said and "本助手" in said
    assert len(said) <= 300
    assert len(buttons) >= 3 and set(slots) <= {"guide_last"}


async def test_two_notices_and_one_thing():
    said, _, _ = await run(ga.ActionAnswerGuide(), make_tracker([], "双书同达啥意思", "ask_two_notices"))
    assert said.startswith("【什么是“双书同达”】") and "信用修复告知书" in said
    said, _, _ = await run(ga.ActionAnswerGuide(), make_tracker([], "一件事是啥子", "ask_one_thing"))
    assert "一次申请" in said and "依据：《四川省信用修复“一件事”工作实施方案》" in said


async def test_agent_lookup_action_shows_the_card():
    tracker = make_tracker([], "/查 税务 严重失信 材料", "agent_lookup")
    said, _, slots = await run(ga.ActionAgentLookup(), tracker)
    assert said.startswith("【指引卡片】严重失信主体名单信息信用修复/税务部门 · 申请材料")
    assert len(said) <= 600 and "■ 法律依据" not in said
    assert slots == {}


async def test_fallback_answers_a_clear_match_and_offers_neighbours():
    tracker = make_tracker([], "处罚信息挂在网上好多个月", "nlu_fallback", confidence=0.3)
    said, buttons, slots = await run(ga.ActionGuideFallback(), tracker)
    assert said.startswith("【行政处罚信息·公示期限】")
    assert buttons and slots["topic"] == "publicity_period"


async def test_fallback_offers_closest_topics_instead_of_i_dont_understand():
    tracker = make_tracker([], "那个修复了过后咋个样", "nlu_fallback", confidence=0.3)
    said, buttons, _ = await run(ga.ActionGuideFallback(), tracker)
    assert buttons, said
    assert "不理解" not in said


async def test_action_never_crashes_without_an_answer(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("broken")

    monkeypatch.setattr(ga, "respond", boom)
    said, _, _ = await run(ga.ActionAnswerGuide(), make_tracker([], "材料", "ask_materials"))
    assert "12345" in said


async def test_elder_mode_gets_plain_words_without_citations():
    """The widget's 大字 mode (metadata.elder) gets the plain version; 「详细」 stays available."""
    entities = [{"entity": "department", "value": "tax"}, {"entity": "item", "value": "serious_list"}]
    normal = make_tracker([], "税务局的黑名单要交啥子材料", "ask_materials", entities)
    elder = make_tracker([], "税务局的黑名单要交啥子材料", "ask_materials", entities)
    elder.latest_message["metadata"] = {"elder": True}
    plain_text, _, plain_slots = await run(ga.ActionAnswerGuide(), elder)
    full_text, _, full_slots = await run(ga.ActionAnswerGuide(), normal)
    assert "依据：" in full_text and "依据：" not in plain_text  # no legal citations
    assert "《" not in plain_text
    assert "详细" in plain_text
    assert len(plain_text) < len(full_text)
    assert plain_slots == full_slots  # the conversation's context is the same


@pytest.mark.parametrize("status,starts_form", [("eligible", True), ("not_needed", False), ("not_yet", False)])
async def test_details_typed_after_a_verdict_are_kept(status, starts_form):
    """「我是法人本人来办 我叫刘德明」 instead of tapping 「开始申请」: kept and said back; the form
    starts only when a record can be applied for now, otherwise the user is told why not."""
    from tests.action_helpers import slot_events, tracker as make

    verdict = {"results": [{"index": 0, "status": status}]}
    t_ = make("我是法人本人来办 我叫刘德明", "nlu_fallback", 0.4, slots={"paths_result": verdict, "records": [{}]})
    dispatcher = CollectingDispatcher()
    events = await ga.ActionGuideFallback().run(dispatcher, t_, {})
    text = "\n".join(m.get("text") or "" for m in dispatcher.messages)
    assert "刘德明" in text and "记下了" in text
    assert slot_events(events)["legal_rep"] == "刘德明" and slot_events(events)["agent_name"] == "刘德明"
    followups = [e.get("name") for e in events if e.get("event") == "followup"]
    assert followups == (["application_form"] if starts_form else [])
    if not starts_form:
        assert "还没有要申请修复的记录" in text


async def test_without_a_verdict_details_are_not_taken_for_an_application():
    from tests.action_helpers import tracker as make

    dispatcher = CollectingDispatcher()
    events = await ga.ActionGuideFallback().run(dispatcher, make("我是法人本人来办 我叫刘德明", "nlu_fallback", 0.4), {})
    assert not [e for e in events if e.get("event") == "followup"]


async def test_details_after_a_verdict_are_kept_whatever_the_intent():
    """The NLU once read 「我是法人本人来办 我叫刘德明」 as a question about the court's list."""
    from tests.action_helpers import slot_events, tracker as make

    verdict = {"results": [{"index": 0, "status": "eligible"}]}
    t_ = make("我是法人本人来办 我叫刘德明", "ask_court_dishonest", 0.8,
              slots={"paths_result": verdict, "records": [{}]})
    dispatcher = CollectingDispatcher()
    events = await ga.ActionAnswerGuide().run(dispatcher, t_, {})
    assert slot_events(events)["legal_rep"] == "刘德明"
    assert [e.get("name") for e in events if e.get("event") == "followup"] == ["application_form"]
    assert "老赖" not in "\n".join(m.get("text") or "" for m in dispatcher.messages)


async def test_a_question_with_details_after_a_verdict_is_answered():
    from tests.action_helpers import tracker as make

    verdict = {"results": [{"index": 0, "status": "eligible"}]}
    t_ = make("我是法人刘德明 要带啥子材料", "ask_materials", 0.9,
              slots={"paths_result": verdict, "records": [{}], "item": "penalty_info"})
    dispatcher = CollectingDispatcher()
    events = await ga.ActionAnswerGuide().run(dispatcher, t_, {})
    assert not [e for e in events if e.get("event") == "followup" and e.get("name") == "application_form"]
    assert "材料" in "\n".join(m.get("text") or "" for m in dispatcher.messages)


async def test_own_record_question_the_nlu_was_unsure_of_is_answered_then_the_record_is_taken_down():
    """「…遭列进经营异常了 年报忘求了报 咋个整嘛」 with the NLU unsure (a 40-epoch model did that):
    the same as with a confident intent — the answer, then the record's questions."""
    from tests.action_helpers import tracker as make

    t_ = make("我们屋头那个小卖部遭列进经营异常了 年报忘求了报 咋个整嘛", "nlu_fallback", 0.4)
    dispatcher = CollectingDispatcher()
    events = await ga.ActionGuideFallback().run(dispatcher, t_, {})
    said = "\n".join(m.get("text") or "" for m in dispatcher.messages)
    assert "补报" in said
    assert [e.get("name") for e in events if e.get("event") == "followup"] == ["record_form"]


@pytest.mark.parametrize("action, intent", [("ActionAnswerGuide", "ask_personal_credit"),
                                            ("ActionGuideFallback", "nlu_fallback")])
async def test_a_departments_record_called_zhengxin_is_taken_down(action, intent):
    """Hand try: 「我征信上有个记录 是去年6月税务局罚的款 咋个修复」 got the 人民银行 card, then
    「不是银行的 是税务局罚款」 a conditions card: the record was never taken down."""
    from tests.action_helpers import tracker as make

    t_ = make("我征信上有个记录 是去年6月税务局罚的款 咋个修复", intent, 0.9)
    dispatcher = CollectingDispatcher()
    events = await getattr(ga, action)().run(dispatcher, t_, {})
    said = "\n".join(m.get("text") or "" for m in dispatcher.messages)
    assert "可以在这里申请修复" in said and "pbccrc" not in said
    assert [e.get("name") for e in events if e.get("event") == "followup"] == ["record_form"]
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots.get("fact_department") == "tax" and slots.get("fact_date") == "2025-06-30"


@pytest.mark.parametrize("action, intent", [("ActionAnswerGuide", "ask_process"),
                                            ("ActionGuideFallback", "nlu_fallback")])
async def test_taking_the_application_up_again_after_cancelling(action, intent):
    """Fourth hand try: 「还是办嘛 刚才说错了」 after 「算了 不办了」 was 「抱歉，我没太明白」."""
    from tests.action_helpers import tracker as make

    kept = {"records": [{"kind": "penalty", "department": "tax"}], "subject_name": "成都德贵商贸有限公司"}
    events = await getattr(ga, action)().run(CollectingDispatcher(), make("还是办嘛 刚才说错了", intent, 0.6, slots=kept), {})
    assert [e.get("name") for e in events if e.get("event") == "followup"] == ["application_form"]
    # submitted already, or nothing kept: no form
    for slots in ({**kept, "case_no": "XF-20261125-12345"}, {}):
        events = await getattr(ga, action)().run(CollectingDispatcher(), make("还是办嘛", intent, 0.6, slots=slots), {})
        assert "application_form" not in [e.get("name") for e in events if e.get("event") == "followup"]


async def test_a_bank_credit_question_still_gets_the_bank_card():
    from tests.action_helpers import tracker as make

    t_ = make("信用卡逾期了征信能修复不", "ask_personal_credit", 0.9)
    dispatcher = CollectingDispatcher()
    await ga.ActionAnswerGuide().run(dispatcher, t_, {})
    assert "pbccrc" in "\n".join(m.get("text") or "" for m in dispatcher.messages)


@pytest.mark.parametrize("text,intent,slots", [
    # a question with details under an unsure NLU: answered, no form
    ("我是法人刘德明 要带啥子材料", "nlu_fallback", {"records": [{}]}),
    # the verdict's records were submitted already: a name typed later does not open a new form
    ("我叫刘德明", "nlu_fallback", {"records": [], "case_no": "XF-20261201-48275"}),
])
async def test_details_after_a_verdict_do_not_always_open_the_form(text, intent, slots):
    from tests.action_helpers import tracker as make

    verdict = {"results": [{"index": 0, "status": "eligible"}]}
    dispatcher = CollectingDispatcher()
    events = await ga.ActionGuideFallback().run(dispatcher, make(text, intent, 0.4, slots={"paths_result": verdict,
                                                                                          **slots}), {})
    assert "application_form" not in [e.get("name") for e in events if e.get("event") == "followup"]


async def test_two_records_asked_about_at_once_are_taken_one_by_one():
    """Second hand try: one guide page for both mixed them (「经营异常名录…其他作出决定的行政机关」)."""
    from rasa_sdk.executor import CollectingDispatcher

    from actions.guide_actions import ActionAnswerGuide
    from tests.action_helpers import said, tracker

    text = "我去年遭罚了，环保局罚的，还有个年报没报上了经营异常，两个都想修复咋个整"
    d = CollectingDispatcher()
    events = await ActionAnswerGuide().run(d, tracker(text, intent="ask_conditions"), {})
    assert "2条记录" in said(d) and "其他作出决定的行政机关" not in said(d)
    assert any(e.get("event") == "followup" and e.get("name") == "record_form" for e in events)


async def test_plain_words_right_after_a_verdict_reach_the_verdict_through_the_action(monkeypatch):
    """Review hand try: 「看不懂」 after a verdict still got the general plain text — the guide
    action read the slots before the message without the verdict (paths_result)."""
    from bot.dialogue import record_flow

    monkeypatch.setenv("ASSISTANT_TODAY", TODAY.isoformat())
    fine = {"kind": "penalty", "department": "tax", "decision_date": "2026-06-30", "severity": "general",
            "obligations_fulfilled": False}
    result = record_flow.determine_for_records([fine], None, TODAY)
    history = user_turn("今年6月份遭税务局罚了2万，一般的，钱还没交", "check_paths") + [
        {"event": "action", "name": "action_explain_paths"},
        {"event": "slot", "name": "paths_result", "value": result},
        {"event": "slot", "name": "guide_last", "value": None},
    ]
    d = CollectingDispatcher()
    await ga.ActionAnswerGuide().run(d, make_tracker(history, "看不懂", "ask_plain"), {})
    text = "\n".join(m.get("text") or "" for m in d.messages)
    assert "要先把该办的办了" in text, text


@pytest.mark.parametrize("action", [ga.ActionAnswerGuide, ga.ActionGuideFallback])
async def test_a_duty_said_done_after_the_verdict_is_taken_by_either_guide_action(monkeypatch, action):
    """Review hand try: 「昨天交清了撒」 after 「请先履行」 went to the fallback action (NLU unsure)
    and got 「抱歉，我没太明白」."""
    from bot.dialogue import record_flow

    monkeypatch.setenv("ASSISTANT_TODAY", TODAY.isoformat())
    fine = {"kind": "penalty", "department": "tax", "decision_date": "2026-06-30", "severity": "general",
            "obligations_fulfilled": False}
    result = record_flow.determine_for_records([fine], None, TODAY)
    history = user_turn("今年6月份遭税务局罚了2万，一般的，钱还莫交", "check_paths") + [
        {"event": "slot", "name": "paths_result", "value": result},
        {"event": "slot", "name": "records", "value": [fine]},
    ]
    tracker = make_tracker(history, "昨天交清了撒", "nlu_fallback")
    tracker.slots.update(paths_result=result, records=[fine])
    d = CollectingDispatcher()
    events = await action().run(d, tracker, {})
    assert any(e.get("name") == "records" and e["value"][0]["obligations_fulfilled"] for e in events)
    assert "现在就可以申请" in "\n".join(m.get("text") or "" for m in d.messages)


@pytest.mark.parametrize("text", ["还是不懂", "说简单点嘛", "看不懂"])
async def test_not_understood_after_the_plain_words_offers_a_person(text):
    """Fifth hand try: 「看不懂」「说简单点嘛」「还是不懂」 got the same plain paragraph three times.
    Plainer words, then a human: the second time, a person (button, hotline, window)."""
    from bot.texts import t

    plain = "简单说：信用记录修复，就是把已经改正的处罚或名单提前撤下来，不收钱。\\n" + t("guide.plain.tail")
    told = make_tracker([{"event": "bot", "text": plain}], text, "ask_plain")
    d = CollectingDispatcher()
    await ga.ActionAnswerGuide().run(d, told, {})
    reply = "\n".join(m.get("text") or "" for m in d.messages)
    assert "请人帮您办" in reply and "简单说" not in reply
    assert [b["title"] for b in d.messages[0]["buttons"]] == ["转人工"]


async def test_who_cannot_read_is_offered_a_person_at_once():
    """Sixth hand try: 「字都认不到 眼睛不好」 got the last card in 「简单说」 words."""
    told = make_tracker([{"event": "bot", "text": "【办理时限】…"}], "字都认不到 眼睛不好", "ask_plain")
    d = CollectingDispatcher()
    await ga.ActionAnswerGuide().run(d, told, {})
    reply = "\n".join(m.get("text") or "" for m in d.messages)
    assert "请人帮您办" in reply and "简单说" not in reply


async def test_the_first_not_understood_gets_the_plain_words():
    d = CollectingDispatcher()
    told = make_tracker([{"event": "bot", "text": "【什么是双书同达】…"}], "看不懂", "ask_plain")
    await ga.ActionAnswerGuide().run(d, told, {})
    reply = "\n".join(m.get("text") or "" for m in d.messages)
    assert "简单说" in reply and "请人帮您办" not in reply


@pytest.mark.parametrize("text", ["我拍了决定书的照片 你看一哈嘛", "[图片]"])
async def test_a_photo_mentioned_asks_for_the_words_on_it(text):
    """Fifth hand try: 「我拍了决定书的照片 你看一哈嘛」 → 「抱歉，我没太明白您的问题」."""
    said, _, _ = await run(ga.ActionGuideFallback(), make_tracker([], text, "nlu_fallback", confidence=0.3))
    assert "照片里的字我认不了" in said and "哪个单位罚的" in said


async def test_an_unsure_blacklist_asks_which_list():
    """Fifth hand try: 「我那个小卖部上了啥子黑名单」 → 「抱歉，我没太明白」; for a shop it is most often
    the abnormal list, which the applicant cannot tell apart."""
    said, buttons, _ = await run(ga.ActionGuideFallback(),
                                 make_tracker([], "我儿子叫我来问 说我那个小卖部上了啥子黑名单", "nlu_fallback", confidence=0.3))
    assert "经营异常名录" in said and "严重失信主体名单" in said and "没太明白" not in said
    assert [b["title"] for b in buttons] == ["经营异常名录", "严重失信主体名单"]


async def test_an_own_listing_said_with_doubt_takes_the_record_down():
    """Sixth hand try: 「说我上了啥子异常名录 看不懂」 (an elderly applicant) → 「抱歉，我没太明白」."""
    from tests.action_helpers import slot_events

    d = CollectingDispatcher()
    events = await ga.ActionGuideFallback().run(
        d, make_tracker([], "说我上了啥子异常名录 看不懂", "nlu_fallback", confidence=0.3), {})
    assert slot_events(events).get("fact_kind") == "abnormal_list"
    assert [e.get("name") for e in events if e.get("event") == "followup"] == ["record_form"]


async def test_two_short_questions_in_one_message_are_both_answered():
    """Seventh hand try: 「要好久 要钱不」 got only the fee."""
    told = make_tracker([], "要好久哦 要钱不", "ask_fee")
    told.slots.update({"item": "penalty_info", "department": "market_regulation"})
    d = CollectingDispatcher()
    await ga.ActionAnswerGuide().run(d, told, {})
    texts_ = [m.get("text") or "" for m in d.messages]
    assert len(texts_) == 2 and "不收取任何费用" in texts_[0] and "工作日" in texts_[1], texts_


async def test_one_question_gets_one_answer():
    d = CollectingDispatcher()
    await ga.ActionAnswerGuide().run(d, make_tracker([], "修复要钱不", "ask_fee"), {})
    assert len(d.messages) == 1
