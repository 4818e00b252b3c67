"""The tracker store's memory of recent conversations (bot/security/tracker_store.py) changes
speed, not what a turn sees: whatever happened in the database — a second replica's turn, a
turn that failed before saving, a new session, a deleted conversation — a read returns exactly
what a store without the memory returns."""

from __future__ import annotations

import json

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, BotUttered, SessionStarted, SlotSet,
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.security.tracker_store import EncryptedSQLTrackerStore

KEY = "0nS0cHz4Wm4Kc7LxW4r2nNfX2O6qvK3c5yYb1tG8aQ0="


@pytest.fixture(scope="module")
def domain():
    return Domain.load("domain")


@pytest.fixture
def stores(tmp_path, monkeypatch, domain):
    monkeypatch.setenv("TRACKER_ENCRYPTION_KEY", KEY)
    monkeypatch.delenv("TRACKER_CACHE_CHECK", raising=False)
    db = str(tmp_path / "tracker.db")

    def make(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return EncryptedSQLTrackerStore(domain=domain, dialect="sqlite", db=db)

    return make


def turn(tracker: DialogueStateTracker, text: str, reply: str) -> None:
    tracker.update(UserUttered(text, {"name": "ask_guide", "confidence": 0.9}))
    tracker.update(ActionExecuted("action_answer_guide"))
    tracker.update(BotUttered(reply))
    tracker.update(SlotSet("topic", text))
    tracker.update(ActionExecuted("action_listen"))


def events(tracker) -> list:
    return [json.loads(json.dumps(e.as_dict())) for e in tracker.events] if tracker else []


async def new_conversation(store, sender="u1") -> DialogueStateTracker:
    tracker = await store.get_or_create_tracker(sender)
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    return tracker


async def test_a_saved_conversation_is_handed_out_again_and_equals_the_database(stores):
    store, plain = stores(), stores(TRACKER_CACHE_SIZE="0")
    await new_conversation(store)
    first = await store.retrieve("u1")
    turn(first, "要准备哪些材料", "材料如下")
    await store.save(first)
    again = await store.retrieve("u1")
    assert again is first  # no SQL read, no decryption, no replay
    assert events(again) == events(await plain.retrieve("u1"))
    assert again.get_slot("topic") == "要准备哪些材料"


async def test_a_kept_conversation_saves_its_new_events_once_without_counting_rows(stores, monkeypatch):
    store, plain = stores(), stores(TRACKER_CACHE_SIZE="0")
    await new_conversation(store)
    counted = []
    original = EncryptedSQLTrackerStore._additional_events
    monkeypatch.setattr(EncryptedSQLTrackerStore, "_additional_events",
                        lambda self, session, tracker: counted.append(1) or original(self, session, tracker))
    tracker = await store.retrieve("u1")
    for text in ("要准备哪些材料", "那要多久", "修复收费吗"):
        turn(tracker, text, "好的")
        await store.save(tracker)
        assert await store.retrieve("u1") is tracker
    assert counted == []  # the kept tracker knows which events the database holds
    assert events(await plain.retrieve("u1")) == events(tracker)  # each event stored once
    other = stores()  # a tracker this store did not hand out: Rasa's count, as before
    theirs = await other.retrieve("u1")
    turn(theirs, "什么是双书同达", "同时送达")
    await plain.save(theirs)
    assert counted == [1]
    assert events(await plain.retrieve("u1")) == events(theirs)


async def test_another_replica_writing_the_same_conversation_is_seen(stores):
    mine, other = stores(), stores()
    await new_conversation(mine)
    kept = await mine.retrieve("u1")
    theirs = await other.retrieve("u1")
    turn(theirs, "那要多久", "5个工作日")
    await other.save(theirs)
    seen = await mine.retrieve("u1")
    assert seen is kept  # caught up: only the other replica's rows were read
    assert seen.get_slot("topic") == "那要多久"
    assert events(seen) == events(await stores(TRACKER_CACHE_SIZE="0").retrieve("u1"))
    # and on with this replica: its save adds only its own turn
    turn(seen, "修复收费吗", "不收费")
    await mine.save(seen)
    assert events(await stores(TRACKER_CACHE_SIZE="0").retrieve("u1")) == events(seen)
    assert await mine.retrieve("u1") is seen


async def test_rows_changed_below_the_kept_ones_mean_a_fresh_read(stores):
    mine, other = stores(), stores()
    await new_conversation(mine)
    kept = await mine.retrieve("u1")
    theirs = await other.retrieve("u1")
    turn(theirs, "那要多久", "5个工作日")
    await other.save(theirs)
    with mine.session_scope() as session:  # e.g. a retention job removed the oldest row
        first = session.query(mine.SQLEvent).order_by(mine.SQLEvent.id).first()
        session.delete(first)
        session.commit()
    seen = await mine.retrieve("u1")
    assert seen is not kept
    assert events(seen) == events(await stores(TRACKER_CACHE_SIZE="0").retrieve("u1"))


async def test_a_new_session_started_elsewhere_means_a_fresh_read(stores):
    mine, other = stores(), stores()
    await new_conversation(mine)
    kept = await mine.retrieve("u1")
    theirs = await other.retrieve("u1")
    theirs.update(ActionExecuted("action_session_start"))
    theirs.update(SessionStarted())
    theirs.update(ActionExecuted("action_listen"))
    await other.save(theirs)
    seen = await mine.retrieve("u1")
    assert seen is not kept
    assert events(seen) == events(await stores(TRACKER_CACHE_SIZE="0").retrieve("u1"))


async def test_a_turn_that_failed_before_saving_leaves_nothing_behind(stores):
    store = stores()
    await new_conversation(store)
    tracker = await store.retrieve("u1")
    turn(tracker, "修复收费吗", "不收费")  # ... and then the turn failed: no save
    read = await store.retrieve("u1")
    assert read is not tracker
    assert read.get_slot("topic") is None
    assert [e.get("text") for e in events(read) if e["event"] == "user"] == []


async def test_a_new_session_is_read_from_its_start_as_rasa_does(stores):
    store, plain = stores(), stores(TRACKER_CACHE_SIZE="0")
    await new_conversation(store)
    tracker = await store.retrieve("u1")
    turn(tracker, "要准备哪些材料", "材料如下")
    await store.save(tracker)
    tracker = await store.retrieve("u1")
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(SlotSet("topic", "要准备哪些材料"))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    read = await store.retrieve("u1")
    assert read is not tracker and len(read.events) < len(tracker.events)
    assert events(read) == events(await plain.retrieve("u1"))
    # the next save adds only the new turn's events, nothing twice
    turn(read, "那要多久", "5个工作日")
    await store.save(read)
    assert events(await plain.retrieve("u1")) == events(read)


async def test_a_deleted_conversation_is_gone(stores):
    store = stores()
    await new_conversation(store)
    assert await store.retrieve("u1") is not None
    with store.session_scope() as session:
        session.query(store.SQLEvent).delete()
        session.commit()
    assert await store.retrieve("u1") is None


async def test_the_full_history_is_always_read_from_the_database(stores):
    store = stores()
    await new_conversation(store)
    kept = await store.retrieve("u1")
    full = await store.retrieve_full_tracker("u1")
    assert full is not kept  # it starts before the session start, the kept one at it
    assert events(full) == events(await stores(TRACKER_CACHE_SIZE="0").retrieve_full_tracker("u1"))
    assert events(full)[-len(kept.events):] == events(kept) and len(full.events) > len(kept.events)


async def test_memory_is_bounded_by_count_and_off_when_zero(stores):
    store = stores(TRACKER_CACHE_SIZE="2")
    for sender in ("a", "b", "c"):
        await new_conversation(store, sender)
        await store.retrieve(sender)
    assert list(store._kept) == ["b", "c"]
    off = stores(TRACKER_CACHE_SIZE="0")
    await new_conversation(off, "d")
    first = await off.retrieve("d")
    assert await off.retrieve("d") is not first and not off._kept


async def test_idle_conversations_are_dropped(stores, monkeypatch):
    store = stores(TRACKER_CACHE_SECONDS="600")
    await new_conversation(store)
    kept = await store.retrieve("u1")
    import bot.security.tracker_store as module

    later = module.time.monotonic() + 601
    monkeypatch.setattr(module.time, "monotonic", lambda: later)
    assert await store.retrieve("u1") is not kept


async def test_the_check_mode_notices_a_kept_tracker_that_differs(stores):
    store = stores(TRACKER_CACHE_CHECK="1")
    await new_conversation(store)
    kept = await store.retrieve("u1")
    assert await store.retrieve("u1") is kept  # equal: no complaint
    kept.events[-1].timestamp += 1  # what a bug in the memory would look like
    with pytest.raises(AssertionError, match="tracker cache"):
        await store.retrieve("u1")


async def test_events_are_still_encrypted_at_rest(stores):
    store = stores()
    tracker = await new_conversation(store)
    turn(tracker, "我的电话13912345678", "记下了")
    await store.save(tracker)
    with store.session_scope() as session:
        data = [row.data for row in session.query(store.SQLEvent)]
    assert data and not any("13912345678" in d or "记下了" in d for d in data)


async def test_a_write_between_the_two_reads_is_not_kept(stores, monkeypatch):
    """A read outside the conversation's lock (the WeChat channel's is-paused check) while
    another replica saves: what was read is not kept with the wrong row count."""
    store, plain = stores(), stores(TRACKER_CACHE_SIZE="0")
    await new_conversation(store)
    store._kept.clear()
    original = store._event_query

    def query_after_a_write(session, sender_id, **kw):
        with store.session_scope() as other:
            data = BotUttered("另一个副本的回复").as_dict()
            other.add(store.SQLEvent(sender_id=sender_id, type_name="bot", timestamp=data["timestamp"],
                                     data=store.sealer.seal(json.dumps(data))))
            other.commit()
        monkeypatch.setattr(store, "_event_query", original)
        return original(session, sender_id, **kw)

    monkeypatch.setattr(store, "_event_query", query_after_a_write)
    first = await store.retrieve("u1")
    again = await store.retrieve("u1")
    assert events(again) == events(await plain.retrieve("u1"))
    assert [e.get("text") for e in events(again)].count("另一个副本的回复") == 1
    assert first is not again
