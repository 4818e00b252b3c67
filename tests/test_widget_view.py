"""The widget's polls (bot/channels/web.py WebChatInput._view) read the conversation again only
when its rows changed: a poll on an unchanged conversation decrypts nothing, and whatever was
saved since — an agent's reply, a pushed notice, a restart, another process's turn — is on the
page at the next poll, exactly as a full read shows it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rasa.core.tracker_store import AwaitableTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, BotUttered, ConversationPaused, Restarted,
                                     SessionStarted, UserUttered)

from bot.channels.web import WebChatInput, view_of
from bot.security.tracker_store import EncryptedSQLTrackerStore

KEY = "0nS0cHz4Wm4Kc7LxW4r2nNfX2O6qvK3c5yYb1tG8aQ0="


class CountingStore(EncryptedSQLTrackerStore):
    full_reads = 0

    async def retrieve_full_tracker(self, sender_id):
        type(self).full_reads += 1
        return await super().retrieve_full_tracker(sender_id)


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_ENCRYPTION_KEY", KEY)
    monkeypatch.delenv("TRACKER_CACHE_CHECK", raising=False)
    domain = Domain.load("domain")
    db = str(tmp_path / "tracker.db")
    CountingStore.full_reads = 0
    mine = CountingStore(domain=domain, dialect="sqlite", db=db)
    other = EncryptedSQLTrackerStore(domain=domain, dialect="sqlite", db=db)  # another replica
    app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=AwaitableTrackerStore(mine))))
    return WebChatInput("secret"), lambda: SimpleNamespace(app=app, ctx=SimpleNamespace()), mine, other


async def say(store, sender, *events) -> None:
    tracker = await store.get_or_create_tracker(sender)
    for event in events:
        tracker.update(event)
    await store.save(tracker)


async def started(store, sender="web-u1") -> None:
    await say(store, sender, ActionExecuted("action_session_start"), BotUttered("您好，我是信用修复助手"),
              SessionStarted(), ActionExecuted("action_listen"),
              UserUttered("罚款了咋修复", {"name": "ask_guide", "confidence": 0.9}),
              ActionExecuted("action_answer_guide"), BotUttered("交清罚款后可以申请。"), ActionExecuted("action_listen"))


async def test_a_poll_on_an_unchanged_conversation_reads_nothing_again(setup):
    widget, new_request, mine, _ = setup
    await started(mine)
    first = await widget._view(new_request(), "web-u1")
    for _ in range(5):
        assert await widget._view(new_request(), "web-u1") is first
    assert CountingStore.full_reads == 1
    assert [m["text"] for m in first.items] == ["您好，我是信用修复助手", "罚款了咋修复", "交清罚款后可以申请。"]


@pytest.mark.parametrize("events, check", [
    ([BotUttered("坐席：您好，我是小王")], lambda v: v.items[-1]["text"] == "坐席：您好，我是小王"),
    ([BotUttered("提醒：公示期已满", metadata={"pushed": True})], lambda v: "提醒：公示期已满" in v.pushed),
    ([ActionExecuted("action_human_handoff"), ConversationPaused()], lambda v: v.paused),
    ([ActionExecuted("action_restart"), Restarted()], lambda v: v.items == [] and v.last is None),
], ids=["agent reply", "pushed notice", "paused", "restart"])
async def test_what_another_process_saved_is_seen_at_the_next_poll(setup, events, check):
    widget, new_request, mine, other = setup
    await started(mine)
    before = await widget._view(new_request(), "web-u1")
    assert not check(before)
    await say(other, "web-u1", *events)
    after = await widget._view(new_request(), "web-u1")
    assert check(after)
    assert after == view_of(await other.retrieve_full_tracker("web-u1"))  # as a full read shows it
    assert CountingStore.full_reads == 2


async def test_conversations_are_kept_apart_and_the_oldest_dropped(setup, monkeypatch):
    import bot.channels.web as web

    monkeypatch.setattr(web, "KEPT_VIEWS", 2)
    widget, new_request, mine, _ = setup
    for sender in ("web-a", "web-b", "web-c"):
        await started(mine, sender)
        await widget._view(new_request(), sender)
    assert list(widget._views) == ["web-b", "web-c"]
    assert (await widget._view(new_request(), "web-a")).items[0]["who"] == "bot"
    assert CountingStore.full_reads == 4


async def test_without_a_signature_every_poll_reads_the_store(setup):
    widget, _, mine, _ = setup
    await started(mine)

    class Plain:  # a tracker store of Rasa's own: no rows_signature
        reads = 0

        async def retrieve_full_tracker(self, sender):
            Plain.reads += 1
            return await mine.retrieve_full_tracker(sender)

    app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=Plain())))
    for _ in range(3):
        assert len((await widget._view(SimpleNamespace(app=app, ctx=SimpleNamespace()), "web-u1")).items) == 3
    assert Plain.reads == 3


async def test_one_request_asks_for_the_rows_once_unless_it_changed_them(setup, monkeypatch):
    """A poll checks the session's idle time and then reads the history: one signature query.
    A message looks again after it was handled (its reply is new rows)."""
    widget, new_request, mine, _ = setup
    await started(mine)
    asked = []
    signature = mine.rows_signature
    monkeypatch.setattr(mine, "rows_signature", lambda sender: asked.append(sender) or signature(sender))
    poll = new_request()
    first = await widget._view(poll, "web-u1")
    assert await widget._view(poll, "web-u1") is first and asked == ["web-u1"]
    message = new_request()
    await widget._view(message, "web-u1")
    await say(mine, "web-u1", UserUttered("那要多久", {"name": "ask_time", "confidence": 0.9}),
              BotUttered("3个工作日"))
    after = await widget._view(message, "web-u1", fresh=True)
    assert after.items[-1]["text"] == "3个工作日" and len(asked) == 3
