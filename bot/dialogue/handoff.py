"""Handing a conversation to a human agent: what the assistant sends to the case store (the
conversation so far, the detected records, the partly filled form and the active form) and
what it tells the user. Used by `action_human_handoff` (actions/core_actions.py)."""

from __future__ import annotations

from typing import Any

from bot.dialogue.casestore_access import case_channel, case_store_client

TRANSCRIPT_TURNS = 40
INTERNAL_SLOTS = {"requested_slot", "session_started_metadata"}


def transcript(events: list[dict], limit: int = TRANSCRIPT_TURNS) -> list[dict]:
    """The last user and bot messages of the tracker, oldest first."""
    lines = []
    for e in events:
        meta = e.get("metadata") or {}
        if e.get("event") == "user" and e.get("text") and not meta.get("hidden"):
            # what the user typed (a button's title, an angry message turned into 「转人工」)
            lines.append({"sender": "user", "text": str(meta.get("shown") or e["text"])[:2000]})
        elif e.get("event") in ("restart", "session_started"):
            lines = []
        elif e.get("event") == "bot" and e.get("text"):
            lines.append({"sender": "bot", "text": str(e["text"])[:2000]})
    return lines[-limit:]


def handoff_body(tracker, reason: str) -> dict:
    slots = {k: v for k, v in tracker.current_slot_values().items()
             if k not in INTERNAL_SLOTS and v is not None and isinstance(v, (str, int, float, bool))}
    records = tracker.get_slot("records") if isinstance(tracker.get_slot("records"), list) else []
    channel = (tracker.get_latest_input_channel() or "rest")
    return {"conversation_id": tracker.sender_id, "channel": case_channel(channel), "reason": reason,
            "transcript": transcript(list(tracker.events)), "slots": slots, "records": records[:20],
            "form": (tracker.active_loop or {}).get("name")}


async def open_handoff(tracker, reason: str = "asked") -> dict | None:
    """The case store's handoff (with the `notice` to show the user), or None when it is not
    reachable (the caller then gives the hotline instead)."""
    from bot.casestore.client import CaseStoreError

    client = case_store_client()
    try:
        return await client._request("POST", "/api/v1/handoffs", json=handoff_body(tracker, reason))
    except CaseStoreError:
        return None
    finally:
        await client.aclose()


def notice_of(handoff: dict[str, Any]) -> str:
    return str(handoff.get("notice") or "")
