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

Loading this class also installs the log masking and pseudonymising filters in the Rasa
process and applies the production switch (bot/security/production.py).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.security import production
from bot.security.crypto import Sealer
from bot.security.pseudonym import register as register_sender

logger = logging.getLogger(__name__)


class EncryptedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        production.enforce("rasa")
        from bot.log_privacy import mask_personal_data_in_logs

        mask_personal_data_in_logs()
        self.sealer = Sealer()
        super().__init__(*args, **kwargs)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool
                        ) -> Optional[DialogueStateTracker]:
        register_sender(sender_id)
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id,
                                     fetch_events_from_all_sessions=fetch_events_from_all_sessions).all()
            events = [json.loads(self.sealer.open(row.data)) for row in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        register_sender(tracker.sender_id)
        await self.stream_events(tracker)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                session.add(self.SQLEvent(
                    sender_id=tracker.sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    action_name=data.get("name"),
                    data=self.sealer.seal(json.dumps(data)),
                ))
            session.commit()
