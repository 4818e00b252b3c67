"""While a help-desk agent has the conversation (bot/channels/handoff_relay.py `handle`, used by
the REST, widget and WeChat channels): the user's words go to the console, and the user is
never met with silence — the case store's acknowledgement comes back on the same channel,
or, when the words could not be passed on, a Chinese apology with the hotline."""

from __future__ import annotations

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, ConversationResumed, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.casestore.client import CaseStoreUnavailable
from bot.channels import handoff_relay

HANDOFF = [ActionExecuted("action_listen"), UserUttered("转人工"), ActionExecuted("action_human_handoff"),
           BotUttered("已为您转接人工客服"), ConversationPaused()]


@pytest.mark.parametrize("events, text, passed_on", [
    (HANDOFF, "转人工", False),                                          # the request itself
    (HANDOFF + [UserUttered("在不在")], "在不在", True),                   # a message while paused
    (HANDOFF + [UserUttered("在不在"), UserUttered("人呢")], "人呢", True),
    (HANDOFF + [UserUttered("在不在")], "人呢", False),                    # not handled (lock): not this one
    (HANDOFF + [ConversationResumed(), UserUttered("谢谢")], "谢谢", False),  # handed back
    ([ActionExecuted("action_listen"), UserUttered("你好")], "你好", False),
])
def test_which_messages_are_passed_to_the_agent(events, text, passed_on):
    tracker = DialogueStateTracker.from_events("u1", events)
    assert handoff_relay.arrived_while_paused(tracker, text) is passed_on


class _Store:
    def __init__(self, events):
        self.events = events

    async def retrieve(self, sender):
        return DialogueStateTracker.from_events(sender, self.events)


class _Agent:
    def __init__(self, events):
        self.tracker_store = _Store(events)


async def _say(agent, text, relay, monkeypatch):
    monkeypatch.setattr(handoff_relay, "relay_user_message", relay)
    out = CollectingOutputChannel()

    async def rasa(message):  # Rasa logs the message and, paused, predicts nothing
        agent.tracker_store.events = agent.tracker_store.events + [UserUttered(message.text)]

    await handoff_relay.handle(agent, UserMessage(text, out, "u1"), rasa)
    return [m["text"] for m in out.messages]


async def test_the_user_hears_back_until_an_agent_answers(monkeypatch):
    seen = []

    async def relay(sender, text):
        seen.append(text)
        return "收到，已转给人工客服，坐席看到后会在这里回复您。"

    agent = _Agent(list(HANDOFF))
    assert await _say(agent, "信用代码在哪里看", relay, monkeypatch) == ["收到，已转给人工客服，坐席看到后会在这里回复您。"]
    assert seen == ["信用代码在哪里看"]


async def test_nothing_is_added_once_an_agent_is_talking(monkeypatch):
    async def relay(sender, text):
        return None

    assert await _say(_Agent(list(HANDOFF)), "好的 我等一下", relay, monkeypatch) == []


async def test_not_paused_nothing_is_relayed(monkeypatch):
    async def relay(sender, text):
        raise AssertionError("relayed")

    assert await _say(_Agent([ActionExecuted("action_listen")]), "你好", relay, monkeypatch) == []


async def test_when_the_case_store_is_down_the_user_is_told_to_send_again(monkeypatch):
    class Client:
        async def handoff_user_message(self, *a, **k):
            raise CaseStoreUnavailable()

        async def aclose(self):
            pass

    monkeypatch.setattr("bot.dialogue.casestore_access.case_store_client", lambda: Client())
    said = await _say(_Agent(list(HANDOFF)), "人呢", handoff_relay.relay_user_message, monkeypatch)
    assert len(said) == 1 and "没能转给人工客服" in said[0] and "12345" in said[0]


async def test_the_pause_is_read_from_the_tracker_store_memory_when_it_kept_the_conversation(monkeypatch):
    """Right after Rasa saved the message, the tracker store's kept copy tells whether it came
    while paused: no database read on every message of every channel."""
    from rasa.core.tracker_store import AwaitableTrackerStore

    class Kept:
        domain = None
        event_broker = None

        def __init__(self):
            self.events = list(HANDOFF)

        def last_seen(self, sender):
            return DialogueStateTracker.from_events(sender, self.events)

        async def retrieve(self, sender):
            raise AssertionError("read from the database")

    class Agent:
        tracker_store = AwaitableTrackerStore(Kept())

    async def relay(sender, text):
        return "收到，已转给人工客服，坐席看到后会在这里回复您。"

    monkeypatch.setattr(handoff_relay, "relay_user_message", relay)
    out = CollectingOutputChannel()
    store = Agent.tracker_store._tracker_store

    async def rasa(message):
        store.events = store.events + [UserUttered(message.text)]

    await handoff_relay.handle(Agent(), UserMessage("人呢", out, "u1"), rasa)
    assert [m["text"] for m in out.messages] == ["收到，已转给人工客服，坐席看到后会在这里回复您。"]


async def test_taking_the_handoff_back_resumes_the_form_on_the_same_channel(monkeypatch):
    """Hand try: 「不要人工」「返回」「继续填表」 were all passed to an agent who was off until Monday."""
    resumed = []

    async def relay(sender, text):
        return handoff_relay.Withdrawn("好的，不转人工了，您填的都还在，我们接着填：", "application_form")

    async def resume_here(agent, sender, form, out):
        resumed.append((sender, form))
        await out.send_text_message(sender, "经办人的手机号是多少？")

    monkeypatch.setattr(handoff_relay, "resume_here", resume_here)
    said = await _say(_Agent(list(HANDOFF)), "不要人工，我自己弄", relay, monkeypatch)
    assert said == ["好的，不转人工了，您填的都还在，我们接着填：", "经办人的手机号是多少？"]
    assert resumed == [("u1", "application_form")]


async def test_resume_here_listens_again_and_runs_the_form():
    """The events an agent's hand-back adds, in this process: resumed, the form run, listening."""
    from rasa.shared.core.domain import Domain

    events = list(HANDOFF) + [UserUttered("不要人工")]
    domain = Domain.from_yaml('version: "3.1"\nforms:\n  application_form: {required_slots: []}\n')
    ran = []

    class Lock:
        def lock(self, sender):
            import contextlib

            @contextlib.asynccontextmanager
            async def held():
                ran.append("locked")
                yield

            return held()

    class Processor:
        def __init__(self):
            self.domain, self.nlg = domain, None
            self.tracker = DialogueStateTracker.from_events("u1", events)

        async def fetch_tracker_and_update_session(self, sender, out):
            return self.tracker

        def _get_action(self, name):
            return name

        async def _run_action(self, action, tracker, out, nlg, prediction):
            ran.append(action)
            tracker.update(ActionExecuted(action))

        async def save_tracker(self, tracker):
            ran.append("saved")

    class Agent:
        processor, lock_store = Processor(), Lock()

    await handoff_relay.resume_here(Agent(), "u1", "application_form", CollectingOutputChannel())
    tracker = Agent.processor.tracker
    assert not tracker.is_paused() and tracker.latest_action_name == "action_listen"
    assert ran == ["locked", "application_form", "saved"]
