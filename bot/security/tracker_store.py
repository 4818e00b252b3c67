"""Rasa's SQL tracker store with every event encrypted at rest.

Why this and not "personal data only in the case store's draft": with Rasa 3.6 the user's own
words (which carry the phone, the ID number, the credit code) are stored as `user` events,
slot values as `slot` events, the bot's summary as `bot` events, and entities inside
`parse_data` — keeping them out of the tracker would mean rewriting the whole dialogue and
every policy's featurisation. Encrypting each event's JSON (`data` column) in the one class
every write and read goes through covers all of them, needs no change to the dialogue, and
keeps Rasa's API, `rasa export` and the tracker's logic working on plain events in memory.
Only the columns Rasa queries stay plain: sender id, event type, timestamp, intent and
action name (none holds personal data the user typed).

endpoints.yml:
    tracker_store:
      type: bot.security.tracker_store.EncryptedSQLTrackerStore
      (same keys as `type: SQL`)

Recent conversations are kept in memory (issue 12, bench/README.md): reading a 40-turn
conversation back (SQL, decrypting ~500 rows, JSON, replaying the events) cost 20–50 ms of every
turn, and the policies' replay of the same history (bot/rasa_patches.py, patch 4) started from
nothing each time because each turn had a new tracker object. A kept tracker is handed out again
only when the database still holds exactly the rows it was built from or saved with (the count
and the highest id of the sender's rows, one indexed query), and when nobody added events to the
object without saving them; a new session, a save of another object for the same sender or any
mismatch drops it, and the tracker is read from the database as before. When a second replica
has only added rows after the kept ones (round-robin balancing sends a conversation's turns to
both), just those rows are decrypted and applied, as Rasa's replay would; a turn that failed
half-way, a deleted or changed conversation or a new session among the new rows all fall back
to the database. TRACKER_CACHE_SIZE (default 64 conversations; 0 = off) and
TRACKER_CACHE_SECONDS (default 600, idle time before a conversation is dropped) bound it.
TRACKER_CACHE_CHECK=1 reads the database on every hit as well and raises when the kept tracker's
events differ from it (the conversation tests run with it on, tests/chat_stack.py).

Loading this class also installs the log masking and pseudonymising filters in the Rasa
process and applies the production switch (bot/security/production.py).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Optional

import sqlalchemy as sa

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.env import env_number
from bot.security import production
from bot.security.crypto import Sealer
from bot.security.pseudonym import register as register_sender

logger = logging.getLogger(__name__)


@dataclass
class _Kept:
    tracker: DialogueStateTracker
    rows: tuple[int, int]  # (count, highest id) of the sender's rows it matches
    events: int  # len(tracker.events) when it matched them
    used: float



class EncryptedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        production.enforce("rasa")
        from bot.log_privacy import mask_personal_data_in_logs

        mask_personal_data_in_logs()
        self.sealer = Sealer()
        self.cache_size = env_number("TRACKER_CACHE_SIZE", 64, int)
        self.cache_seconds = env_number("TRACKER_CACHE_SECONDS", 600, int)
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self.cache_check = os.environ.get("TRACKER_CACHE_CHECK", "").strip() == "1"
        super().__init__(*args, **kwargs)

    def _rows(self, session: Any, sender_id: str) -> tuple[int, int]:
        count, highest = session.execute(
            sa.select(sa.func.count(self.SQLEvent.id), sa.func.max(self.SQLEvent.id))
            .where(self.SQLEvent.sender_id == sender_id)).one()
        return int(count or 0), int(highest or 0)

    def _keep(self, sender_id: str, tracker: DialogueStateTracker, rows: tuple[int, int]) -> None:
        if not self.cache_size:
            return
        now = time.monotonic()
        self._kept[sender_id] = _Kept(tracker, rows, len(tracker.events), now)
        self._kept.move_to_end(sender_id)
        while len(self._kept) > self.cache_size:
            self._kept.popitem(last=False)
        while self._kept:
            oldest = next(iter(self._kept.values()))
            if now - oldest.used <= self.cache_seconds:
                break
            self._kept.popitem(last=False)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool
                        ) -> Optional[DialogueStateTracker]:
        register_sender(sender_id)
        with self.session_scope() as session:
            keeps = bool(self.cache_size) and not fetch_events_from_all_sessions
            kept = self._kept.pop(sender_id, None) if keeps else None
            rows = self._rows(session, sender_id) if keeps else (0, 0)
            if (kept is not None and len(kept.tracker.events) == kept.events
                    and time.monotonic() - kept.used <= self.cache_seconds
                    and (kept.rows == rows or self._catch_up(session, kept, rows))):
                if self.cache_check:
                    self._check(session, kept.tracker)
                self._keep(sender_id, kept.tracker, rows)
                return kept.tracker
            stored = self._event_query(session, sender_id,
                                       fetch_events_from_all_sessions=fetch_events_from_all_sessions).all()
            events = [json.loads(self.sealer.open(row.data)) for row in stored]
            # a write that landed between the two queries (a read outside the conversation's
            # lock, e.g. the WeChat channel's is-paused check): not kept, read again next time
            unchanged = keeps and self._rows(session, sender_id) == rows
        if self.domain and events:
            tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
            if unchanged:
                self._keep(sender_id, tracker, rows)
            return tracker
        return None

    def last_seen(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The conversation as this process last read or saved it, without asking the database
        (None when it is not kept). For a look right after this process handled a message —
        was it paused? (bot/channels/handoff_relay.py) — not for handling the next one."""
        kept = self._kept.get(sender_id)
        return kept.tracker if kept is not None else None

    def rows_signature(self, sender_id: str) -> tuple[int, int]:
        """(count, highest id) of the sender's rows in every session: one indexed query, no
        decryption. It changes with every saved event (and with a deleted conversation), so a
        reader that keeps what it built from the rows can tell when to read them again (the web
        widget's history and polls, bot/channels/web.py)."""
        with self.session_scope() as session:
            return self._rows(session, sender_id)

    def _catch_up(self, session: Any, kept: _Kept, rows: tuple[int, int]) -> bool:
        """Another process (a second replica) added rows after the kept ones: apply just those,
        as Rasa's replay would. False — read everything — when rows were deleted or changed
        below the kept ones, or a new session starts among the new ones."""
        count, highest = kept.rows
        below = session.execute(sa.select(sa.func.count(self.SQLEvent.id)).where(
            self.SQLEvent.sender_id == kept.tracker.sender_id, self.SQLEvent.id <= highest)).scalar()
        if int(below or 0) != count or rows[0] <= count:
            return False
        new = session.execute(sa.select(self.SQLEvent.type_name, self.SQLEvent.data).where(
            self.SQLEvent.sender_id == kept.tracker.sender_id, self.SQLEvent.id > highest)
            .order_by(self.SQLEvent.id)).all()
        if len(new) != rows[0] - count or any(r.type_name == SessionStarted.type_name for r in new):
            return False
        from rasa.shared.core.events import deserialise_events

        for event in deserialise_events([json.loads(self.sealer.open(row.data)) for row in new]):
            kept.tracker.update(event)
        return True

    def _check(self, session: Any, tracker: DialogueStateTracker) -> None:
        stored = [json.loads(self.sealer.open(row.data)) for row in
                  self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False)]
        kept = [json.loads(json.dumps(event.as_dict())) for event in tracker.events]
        if kept != stored:
            raise AssertionError(f"tracker cache: the kept tracker of {tracker.sender_id} has "
                                 f"{len(kept)} events, the database {len(stored)}, or they differ")

    async def save(self, tracker: DialogueStateTracker) -> None:
        sender_id = tracker.sender_id
        register_sender(sender_id)
        await self.stream_events(tracker)
        kept = self._kept.pop(sender_id, None)
        with self.session_scope() as session:
            # only a tracker handed out from memory (or read into it) can be kept after the save
            mine = kept is not None and kept.tracker is tracker
            before = self._rows(session, sender_id) if mine else None
            added = []
            if mine and kept.rows == before and kept.events <= len(tracker.events):
                # the database holds exactly the kept events of this session: the new ones are
                # those after them (Rasa's _additional_events counts the session's rows again)
                unsaved = itertools.islice(tracker.events, kept.events, None)
            else:
                unsaved = self._additional_events(session, tracker)
            for event in unsaved:
                data = event.as_dict()
                row = self.SQLEvent(
                    sender_id=sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    action_name=data.get("name"),
                    data=self.sealer.seal(json.dumps(data)),
                )
                session.add(row)
                added.append((event, row))
            session.flush()
            ids = [row.id for _, row in added]
            session.commit()
        # keep it only when it is the object read from (or saved to) exactly these rows and it
        # starts no new session (a later read would then begin at the new session's start)
        if (mine and kept.rows == before
                and kept.events + len(ids) == len(tracker.events)
                and not any(isinstance(event, SessionStarted) for event, _ in added)):
            self._keep(sender_id, tracker, (before[0] + len(ids), max([before[1], *ids])))
