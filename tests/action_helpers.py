"""Build rasa-sdk trackers the way the action server does, for calling actions directly."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def tracker(text: str = "", intent: str = "inform", confidence: float = 1.0, slots: dict[str, Any] | None = None,
            entities: list[dict] | None = None, active_loop: str | None = None,
            sender: str = "test-user") -> Tracker:
    return Tracker(
        sender_id=sender,
        slots=dict(slots or {}),
        latest_message={"text": text, "intent": {"name": intent, "confidence": confidence},
                        "entities": entities or []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def said(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def slot_events(events: list) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
