"""Welcome and human hand-off, driven through rasa-sdk like the action server does."""

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.core_actions import ActionHumanHandoff, ActionSessionStart
from bot.guide import load_guide
from bot.nlu.text_guard import TextGuard


pytestmark = pytest.mark.usefixtures("chat_env")


def tracker(slots=None, events=None, text="", intent="greet"):
    return Tracker(
        sender_id="t1",
        slots=slots or {},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []},
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def test_session_start_welcomes_and_lists_what_it_can_do():
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart().run(dispatcher, tracker(slots={"session_started_metadata": {"opening": True}}), {})
    text = dispatcher.messages[0]["text"]
    for capability in ("条件", "修复路径", "一张表单", "进度", "免费"):
        assert capability in text
    assert events[0] == SessionStarted()
    assert events[-1] == ActionExecuted("action_listen")


async def test_a_session_opened_by_a_question_gets_no_welcome_before_its_answer():
    """「我们屋头那个小卖部遭列进经营异常了 咋个整嘛」 as the first message: the answer first, not
    the 120-character list of what the assistant can do (only opening the widget or following
    the WeChat account is greeted)."""
    for meta in (None, {}, {"channel": "wechat", "msg_type": "text"}, {"opening": "yes"}):
        dispatcher = CollectingDispatcher()
        events = await ActionSessionStart().run(dispatcher, tracker(slots={"session_started_metadata": meta}), {})
        assert dispatcher.messages == [], meta
        assert events[0] == SessionStarted() and events[-1] == ActionExecuted("action_listen")


async def test_session_start_keeps_filled_slots_across_sessions():
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart().run(
        dispatcher, tracker(slots={"subject_name": "成都某某科技有限公司", "agent_phone": None}), {}
    )
    assert SlotSet("subject_name", "成都某某科技有限公司") in events
    assert not any(e.get("name") == "agent_phone" for e in events)


async def test_human_handoff_gives_the_configured_hotline_and_window():
    dispatcher = CollectingDispatcher()
    await ActionHumanHandoff().run(dispatcher, tracker(intent="request_human"), {})
    text = dispatcher.messages[0]["text"]
    service = load_guide().service
    assert service["hotline"] in text
    assert service["window"] in text
    assert "保留" in text  # what was filled is not lost


def test_text_guard_truncates_a_5000_character_message_and_strips_invisible_characters():
    from rasa.shared.nlu.training_data.message import Message

    guard = TextGuard({"max_chars": 300})
    long_message = Message(data={"text": "我想问一下信用修复\u200b" * 500})
    emoji_message = Message(data={"text": "\ufeff😀😀\u200b"})
    guard.process([long_message, emoji_message])
    assert len(long_message.get("text")) == 300
    assert "\u200b" not in long_message.get("text")
    assert emoji_message.get("text") == "😀😀"


GREET_DOMAIN = {"responses": {"utter_greet": [{"text": "您好！请直接说您的问题，也可以点下面的按钮。",
                                                "buttons": [{"title": "我的记录能修复吗", "payload": "/check_paths"}]}]}}


def _turn(*bot_texts):
    events = [{"event": "action", "name": "action_session_start"},
              *({"event": "bot", "text": text} for text in bot_texts),
              {"event": "session_started"}, {"event": "action", "name": "action_listen"},
              {"event": "user", "text": "你好"}]
    return tracker(events=events, text="你好")


async def test_a_first_hello_gets_the_welcome_once_then_only_the_buttons():
    """A new WeChat user's 「你好」: the welcome, then not a second 「您好！请直接说您的问题」."""
    from actions.core_actions import ActionGreet
    from bot.replies import WELCOME

    d = CollectingDispatcher()
    await ActionGreet().run(d, _turn(WELCOME), GREET_DOMAIN)
    assert [m["text"] for m in d.messages] == ["也可以点下面的按钮："]
    assert d.messages[0]["buttons"] == GREET_DOMAIN["responses"]["utter_greet"][0]["buttons"]


@pytest.mark.parametrize("events", [
    [],  # no welcome said (a 「你好」 that asked something opens without it)
    [{"event": "bot", "text": "WELCOME"}],  # another bot text
], ids=["no welcome", "other text"])
async def test_a_hello_later_in_the_chat_gets_the_greeting(events):
    from actions.core_actions import ActionGreet

    d = CollectingDispatcher()
    await ActionGreet().run(d, _turn(*(e["text"] for e in events)), GREET_DOMAIN)
    assert d.messages[0].get("response") == "utter_greet"


async def test_a_hello_in_a_later_turn_after_the_welcome_gets_the_greeting():
    from actions.core_actions import ActionGreet
    from bot.replies import WELCOME

    earlier = [{"event": "bot", "text": WELCOME}, {"event": "user", "text": "你好"},
               {"event": "bot", "text": "也可以点下面的按钮："}]
    events = [*earlier, {"event": "action", "name": "action_listen"}, {"event": "user", "text": "你好"}]
    d = CollectingDispatcher()
    await ActionGreet().run(d, tracker(events=events, text="你好"), GREET_DOMAIN)
    assert d.messages[0].get("response") == "utter_greet"


def _at_phone(text: str, asked: str = "agent_phone") -> Tracker:
    t = tracker(slots={"requested_slot": asked}, text=text, intent="request_human")
    t.active_loop = {"name": "application_form"}
    return t


@pytest.mark.parametrize("text, hands_over", [
    ("电话可以不给不，不想给电话", False),   # hand try: handed to an agent (out of hours: 12 days)
    ("不给电话行不行", False),
    ("我要找人工", True),                   # a call for a person still is one
    ("你们的电话是多少", True),
])
async def test_refusing_the_phone_is_answered_not_handed_over(text, hands_over):
    d = CollectingDispatcher()
    events = await ActionHumanHandoff().run(d, _at_phone(text), {})
    if hands_over:  # the handoff's notice (or, with no case store here, the hotline), not the phone's why
        assert "只用于" not in said_all(d) and "12345" in said_all(d)
    else:
        assert events == [] and "只用于" in d.messages[0]["text"] and "窗口" in d.messages[0]["text"]


def said_all(d: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in d.messages)


async def test_refusing_the_phone_before_it_is_asked_is_answered_too():
    """Review hand try: 「电话可以不留不」 at the agent's question handed over to an agent who was off."""
    d = CollectingDispatcher()
    events = await ActionHumanHandoff().run(d, _at_phone("电话可以不留不", asked="agent_name"), {})
    assert events == [] and "只用于" in said_all(d)
