"""Automatic handoff: an angry message (guides/lexicon.yml angry_words) becomes 「转人工」 with the
user's words kept; the third failed answer in a row (the guide found nothing clear, or
「没太明白」) opens a handoff by itself, with the conversation so far, and pauses the assistant."""

from __future__ import annotations

import httpx
import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher

from actions.core_actions import ActionHumanHandoff
from actions.guide_actions import ActionGuideFallback
from bot.channels.limits import guard
from bot.dialogue.auto_handoff import failed_in_a_row, is_angry
from tests.casestore_fixtures import AGENT, ASSISTANT, Server, auth, database_url

GIBBERISH = "嗯嗯那个啥子哦咧"  # nothing the guide can answer


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("auto-handoff")
    url, _ = database_url("sqlite", tmp)
    srv = Server(tmp, url, [], RASA_URL="http://127.0.0.1:9")
    yield srv
    srv.stop()


@pytest.mark.parametrize("text, angry", [
    ("你们这个破系统，气死我了", True),
    ("我都说了好几遍了，电话是13912345678", True),
    ("鬼火冒，到底能不能办嘛", True),
    ("税务罚款交了能修复吗", False),
    ("烦死了别发了", False),          # 「不要再提醒」, not a call for a human
    ("/request_human", False),
    ("", False),
])
def test_angry_words_come_from_the_lexicon(text, angry):
    assert is_angry(text) is angry


async def test_an_angry_message_reaches_rasa_as_the_handoff_request_with_the_users_words():
    seen = []

    async def rasa(message):
        seen.append(message)

    msg = UserMessage("你们这个破系统气死我了", CollectingOutputChannel(), "web-angry", input_channel="web",
                      metadata={"channel_ui": "web"})
    await guard(rasa)(msg)
    assert seen[0].text == "/request_human"
    assert seen[0].metadata["shown"] == "你们这个破系统气死我了" and seen[0].metadata["handoff_reason"] == "angry"


def _tracker(sender: str, events: list[dict], latest: dict) -> Tracker:
    return Tracker(sender_id=sender, slots={}, latest_message=latest, events=events, paused=False,
                   followup_action=None, active_loop={}, latest_action_name="action_listen")


def _status(server, conv):
    return httpx.get(f"{server.base}/api/v1/handoffs/status", params={"conversation_id": conv},
                     headers=auth(AGENT), timeout=10).json()


async def test_angry_handoff_apologises_and_is_marked_angry(server, monkeypatch):
    monkeypatch.setenv("CASESTORE_URL", server.base)
    monkeypatch.setenv("CASESTORE_ASSISTANT_TOKEN", ASSISTANT)
    latest = {"text": "/request_human", "intent": {"name": "request_human", "confidence": 1.0}, "entities": [],
              "metadata": {"shown": "破系统气死我了", "handoff_reason": "angry"}}
    events = [{"event": "user", "text": "/request_human", "metadata": latest["metadata"]}]
    d = CollectingDispatcher()
    assert await ActionHumanHandoff().run(d, _tracker("web-angry-1", events, latest), {}) == [ConversationPaused()]
    assert "着急" in d.messages[0]["text"]
    from sqlalchemy import select

    from bot.casestore.db import Database
    from bot.casestore.models import Handoff

    db = Database(server.database_url)
    with db.reading() as s:
        h = s.execute(select(Handoff).where(Handoff.conversation_id == "web-angry-1")).scalar_one()
        assert h.reason == "angry" and h.transcript[-1]["text"] == "破系统气死我了"
    db.dispose()


def _failed_turns(n: int) -> list[dict]:
    out = []
    for i in range(n):
        out.append({"event": "user", "text": f"{GIBBERISH}{i}"})
        out.append({"event": "bot", "text": "您想问哪一项？", "metadata": {"failed_answer": True}})
    return out


def test_failures_are_counted_in_a_row_and_reset_by_an_answer_or_a_hand_back():
    now = {"event": "user", "text": "还是不懂"}
    assert failed_in_a_row(_failed_turns(2) + [now]) == 2
    answered = _failed_turns(1) + [{"event": "user", "text": "材料"}, {"event": "bot", "text": "需要以下材料"}]
    assert failed_in_a_row(answered + _failed_turns(1) + [now]) == 1
    assert failed_in_a_row(_failed_turns(2) + [{"event": "resume"}] + [now]) == 0
    default = [{"event": "user", "text": "x"}, {"event": "bot", "text": "没太明白", "metadata": {"utter_action": "utter_default"}}]
    assert failed_in_a_row(default + _failed_turns(1) + [now]) == 2


async def test_the_third_failed_answer_in_a_row_opens_a_handoff(server, monkeypatch):
    monkeypatch.setenv("CASESTORE_URL", server.base)
    monkeypatch.setenv("CASESTORE_ASSISTANT_TOKEN", ASSISTANT)
    latest = {"text": GIBBERISH, "intent": {"name": "nlu_fallback", "confidence": 0.2}, "entities": []}

    # the second failure: only the suggestions, no handoff
    d = CollectingDispatcher()
    events = await ActionGuideFallback().run(
        d, _tracker("web-failed-1", _failed_turns(1) + [{"event": "user", "text": GIBBERISH}], latest), {})
    assert ConversationPaused() not in events and _status(server, "web-failed-1")["status"] == "none"
    assert d.messages[0].get("failed_answer") is True  # marked, so the next turn can count it

    d = CollectingDispatcher()
    events = await ActionGuideFallback().run(
        d, _tracker("web-failed-1", _failed_turns(2) + [{"event": "user", "text": GIBBERISH}], latest), {})
    assert events[-1] == ConversationPaused()
    said = "\n".join(m["text"] for m in d.messages)
    assert "没能答上" in said and ("稍候" in said or "上线" in said)
    status = _status(server, "web-failed-1")
    assert status["status"] == "waiting"


async def test_the_number_of_failures_comes_from_the_guide(server, monkeypatch):
    from bot.guide.loader import load_guide

    assert load_guide().service["handoff_after_failed_answers"] == 3  # guides/service.yml today
    monkeypatch.setitem(load_guide().service, "handoff_after_failed_answers", 2)
    monkeypatch.setenv("CASESTORE_URL", server.base)
    monkeypatch.setenv("CASESTORE_ASSISTANT_TOKEN", ASSISTANT)
    latest = {"text": GIBBERISH, "intent": {"name": "nlu_fallback", "confidence": 0.2}, "entities": []}
    events = await ActionGuideFallback().run(
        CollectingDispatcher(), _tracker("web-failed-2", _failed_turns(1) + [{"event": "user", "text": GIBBERISH}], latest), {})
    assert events[-1] == ConversationPaused()  # the second failure is enough once the guide says 2
    assert _status(server, "web-failed-2")["status"] == "waiting"


async def test_a_clear_answer_is_not_a_failure(monkeypatch):
    monkeypatch.setenv("CASESTORE_URL", "http://127.0.0.1:9")
    latest = {"text": "税务行政处罚信用修复要什么材料", "intent": {"name": "nlu_fallback", "confidence": 0.3},
              "entities": []}
    d = CollectingDispatcher()
    events = await ActionGuideFallback().run(
        d, _tracker("web-failed-2", _failed_turns(2) + [{"event": "user", "text": latest["text"]}], latest), {})
    assert ConversationPaused() not in events
    assert not d.messages[0].get("failed_answer")


def _uscc_turn(sender: str, failures: dict | None) -> Tracker:
    """The application form asking for the credit code, answered with a wrong one."""
    wrong = "91350100M000100Y44"
    slots = {"subject_name": "成都小河餐饮有限公司", "uscc": None, "requested_slot": "uscc",
             "form_failures": failures, "records": []}
    events = [{"event": "user", "text": "开始申请", "input_channel": "rest"},
              {"event": "bot", "text": "请填写18位统一社会信用代码。"},
              {"event": "user", "text": wrong, "parse_data": {}, "input_channel": "rest"},
              {"event": "slot", "name": "uscc", "value": wrong}]
    return Tracker(sender, slots, {"text": wrong, "intent": {"name": "inform", "confidence": 1.0}, "entities": []},
                   events, False, None, {"name": "application_form"}, "action_listen")


FORM = {"forms": {"application_form": {"required_slots": ["uscc"]}}}


async def test_the_third_miss_at_one_question_hands_the_form_to_an_agent(server, monkeypatch):
    """A person who cannot get the credit code right gets the help text after two misses and a
    help-desk agent, with the form kept, after the third (guides/service.yml)."""
    from actions.application_actions import ValidateApplicationForm

    monkeypatch.setenv("CASESTORE_URL", server.base)
    monkeypatch.setenv("CASESTORE_ASSISTANT_TOKEN", ASSISTANT)
    d = CollectingDispatcher()
    second = await ValidateApplicationForm().run(d, _uscc_turn("web-form-miss-1", {"uscc": 1}), FORM)
    assert ConversationPaused() not in second and "人工" in "\n".join(m["text"] or "" for m in d.messages)
    assert _status(server, "web-form-miss-1")["status"] == "none"
    d = CollectingDispatcher()
    third = await ValidateApplicationForm().run(d, _uscc_turn("web-form-miss-1", {"uscc": 2}), FORM)
    assert third[-1] == ConversationPaused()
    told = "\n".join(m["text"] or "" for m in d.messages)
    assert "校验位" in told and "人工客服" in told and "留着" in told, told
    status = _status(server, "web-form-miss-1")
    assert status["status"] == "waiting" and status["form"] == "application_form"
    assert status["slots"]["subject_name"] == "成都小河餐饮有限公司"  # the agent sees what was filled
