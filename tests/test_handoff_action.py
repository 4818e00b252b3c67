"""「转人工」 in the chat: action_human_handoff opens a handoff in the (real) case store with the
conversation so far and the partly filled form, tells the user, and pauses the assistant;
when the case store is unreachable the user gets the hotline instead of silence."""

from __future__ import annotations

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher

from actions.core_actions import ActionHumanHandoff
from tests.casestore_fixtures import AGENT, ASSISTANT, Server, auth, database_url


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("handoff-action")
    url, _ = database_url("sqlite", tmp)
    srv = Server(tmp, url, [], RASA_URL="http://127.0.0.1:9")
    yield srv
    srv.stop()


def conversation(sender: str) -> Tracker:
    events = [
        {"event": "user", "text": "我想给成都小河餐饮有限公司修复税务处罚", "input_channel": "rest"},
        {"event": "bot", "text": "好的。请问法定代表人姓名？"},
        {"event": "user", "text": "王小河", "input_channel": "rest"},
        {"event": "bot", "text": "请提供经办人手机号。"},
        {"event": "user", "text": "转人工", "input_channel": "rest"},
    ]
    return Tracker(sender_id=sender, slots={"subject_name": "成都小河餐饮有限公司", "legal_rep": "王小河",
                                            "agent_phone": None, "requested_slot": "agent_phone"},
                   latest_message={"text": "转人工", "intent": {"name": "request_human", "confidence": 1.0},
                                   "entities": []},
                   events=events, paused=False, followup_action=None,
                   active_loop={"name": "application_form"}, latest_action_name="action_listen")


async def test_asking_for_a_human_opens_a_handoff_and_pauses_the_assistant(server, monkeypatch):
    monkeypatch.setenv("CASESTORE_URL", server.base)
    monkeypatch.setenv("CASESTORE_ASSISTANT_TOKEN", ASSISTANT)
    dispatcher = CollectingDispatcher()
    events = await ActionHumanHandoff().run(dispatcher, conversation("web-handoff-1"), {})
    assert events == [ConversationPaused()]
    said = dispatcher.messages[0]["text"]
    assert "人工" in said and ("稍候" in said or "上线" in said)
    status = httpx.get(f"{server.base}/api/v1/handoffs/status", params={"conversation_id": "web-handoff-1"},
                       headers=auth(AGENT), timeout=10).json()
    assert status["status"] == "waiting" and status["form"] == "application_form"
    assert status["slots"] == {"subject_name": "成都小河餐饮有限公司", "legal_rep": "王小河"}
    from sqlalchemy import select

    from bot.casestore.db import Database
    from bot.casestore.models import Handoff

    db = Database(server.database_url)
    with db.reading() as s:
        h = s.execute(select(Handoff).where(Handoff.conversation_id == "web-handoff-1")).scalar_one()
        transcript, channel = h.transcript, h.channel
    db.dispose()
    assert [m["text"] for m in transcript][-1] == "转人工" and len(transcript) == 5
    assert channel == "web"


async def test_without_the_case_store_the_user_gets_the_hotline_not_silence(monkeypatch):
    monkeypatch.setenv("CASESTORE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CASESTORE_TIMEOUT", "1")
    dispatcher = CollectingDispatcher()
    events = await ActionHumanHandoff().run(dispatcher, conversation("web-handoff-2"), {})
    assert events == []
    assert "12345" in dispatcher.messages[0]["text"]


def rated_after_handback(text: str, entities: list, earlier: list | None = None, handoff_id: int = 41) -> Tracker:
    """A conversation whose agent handed back with the 好差评 offer, then the user's `text`."""
    events = [
        {"event": "user", "text": "转人工", "input_channel": "wechat"},
        {"event": "bot", "text": "坐席已结束人工服务，智能助手继续为您办理。请为刚才的人工服务评价（好差评）：",
         "data": {"custom": {"handoff_rating": {"handoff_id": handoff_id, "question": "您对刚才的人工服务满意吗？"}}}},
        *(earlier or []),
        {"event": "user", "text": text, "parse_data": {"entities": entities}, "input_channel": "wechat"},
    ]
    return Tracker(sender_id="wx-rate-1", slots={}, latest_message={"text": text, "entities": entities,
                                                                   "intent": {"name": "rate", "confidence": 1.0}},
                   events=events, paused=False, followup_action=None, active_loop={},
                   latest_action_name="action_listen")


async def test_a_handoff_is_rated_in_the_chat_where_the_page_card_is_not_shown(server, monkeypatch):
    """WeChat shows the hand-back's rating question as text: 「评价」 gives the five levels (numbered
    options there), the level goes to that handoff, and a bad one asks why."""
    from actions.notice_actions import ActionRate

    monkeypatch.setenv("CASESTORE_URL", server.base)
    monkeypatch.setenv("CASESTORE_ASSISTANT_TOKEN", ASSISTANT)
    d = CollectingDispatcher()
    await ActionRate().run(d, rated_after_handback("评价", []), {})
    assert "人工服务满意吗" in d.messages[0]["text"] and len(d.messages[0]["buttons"]) == 5
    d = CollectingDispatcher()
    level = [{"entity": "rating_level", "value": 2}]
    events = await ActionRate().run(d, rated_after_handback('/rate{"rating_level": 2}', level), {})
    assert "督办负责人" in d.messages[0]["text"]
    assert {"event": "followup", "name": "rating_reason_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events]
    summary = httpx.get(f"{server.base}/api/v1/ratings/summary", headers=auth(AGENT), timeout=10).json()
    assert summary["by_context"]["handoff"]["by_level"]["不满意"] == 1
    # once rated, a later rating in the conversation is not the handoff's again
    d = CollectingDispatcher()
    again = rated_after_handback('/rate{"rating_level": 5}', [{"entity": "rating_level", "value": 5}],
                                 earlier=[{"event": "user", "text": '/rate{"rating_level": 2}',
                                           "parse_data": {"entities": level}}])
    await ActionRate().run(d, again, {})
    assert "没有找到要评价的办件" in d.messages[0]["text"]


async def test_rating_the_handoff_inside_the_resumed_form_is_not_taken_as_the_answer(server, monkeypatch):
    """The hand-back resumed the application form (asking the credit code); 「/rate 4」 (a numbered
    option in WeChat) is the handoff's rating, not a wrong credit code: rated, no miss counted, and
    the credit code asked again."""
    from actions.application_actions import ValidateApplicationForm

    monkeypatch.setenv("CASESTORE_URL", server.base)
    monkeypatch.setenv("CASESTORE_ASSISTANT_TOKEN", ASSISTANT)
    level = [{"entity": "rating_level", "value": 4}]
    t = rated_after_handback('/rate{"rating_level": 4}', level, handoff_id=42)
    t.slots.update({"requested_slot": "uscc", "uscc": '/rate{"rating_level": 4}', "form_failures": {"uscc": 2}})
    t.active_loop = {"name": "application_form"}
    t.sender_id = "wx-rate-in-form"
    d = CollectingDispatcher()
    events = await ValidateApplicationForm().run(d, t, {"forms": {"application_form": {"required_slots": ["uscc"]}}})
    assert "感谢您的评价" in d.messages[0]["text"]
    assert {e["name"]: e["value"] for e in events if e.get("event") == "slot"}["uscc"] is None
    assert ConversationPaused() not in events  # not a third miss
    summary = httpx.get(f"{server.base}/api/v1/ratings/summary", headers=auth(AGENT), timeout=10).json()
    assert summary["by_context"]["handoff"]["by_level"]["满意"] == 1
