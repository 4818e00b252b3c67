"""Puts what the agent does into the user's conversation, through Rasa's HTTP API.

    reply      -> a `bot` event, sent on the user's latest channel (execute_side_effects)
    fields     -> `slot` events
    hand back  -> `resume`, a 好差评 question for the handoff (a bot message whose
                  `custom.handoff_rating` the widget shows as five buttons), then the active form
                  runs again and asks its pending question, and the assistant listens

RASA_URL (default http://127.0.0.1:5005) and RASA_API_TOKEN (Rasa's `--auth-token`). Every call
is best effort: when Rasa is unreachable the message stays undelivered in the case store,
the console says so, and the assistant picks it up at the user's next message.
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import quote

import httpx

log = logging.getLogger("bot.casestore.handoff")


def _base() -> str:
    return (os.environ.get("RASA_URL") or "http://127.0.0.1:5005").rstrip("/")


def _params(extra: dict | None = None) -> dict:
    params = {"output_channel": "latest", "execute_side_effects": "true", **(extra or {})}
    token = os.environ.get("RASA_API_TOKEN")
    if token:
        params["token"] = token
    return params


_client: httpx.Client | None = None


def _http() -> httpx.Client:
    """One client kept for the process (thread-safe): opening one costs ~40 ms of CPU."""
    global _client
    if _client is None or _client.is_closed:
        _client = httpx.Client(timeout=5, limits=httpx.Limits(keepalive_expiry=4))
    return _client


def _post(path: str, body: Any) -> bool:
    try:
        r = _http().post(f"{_base()}{path}", params=_params(), json=body)
    except httpx.HTTPError as exc:
        log.warning("rasa unreachable for handoff: %s", type(exc).__name__)
        return False
    if r.status_code >= 300:
        log.warning("rasa refused handoff call %s: %s", path.split("/")[-1], r.status_code)
        return False
    return True


def _events(conversation_id: str, events: list[dict]) -> bool:
    return _post(f"/conversations/{quote(conversation_id, safe='')}/tracker/events", events)


def say(conversation_id: str, text: str) -> bool:
    return _events(conversation_id, [{"event": "bot", "text": text, "metadata": {"from": "agent"}}])


def set_slots(conversation_id: str, changes: dict[str, Any]) -> bool:
    return _events(conversation_id, [{"event": "slot", "name": k, "value": v} for k, v in changes.items()])


def rating_event(handoff_id: int, levels: dict[int, str]) -> dict:
    from bot.texts import t

    # the five levels as buttons too: channels without the widget's card (WeChat shows numbered
    # options) answer with them (actions/notice_actions.py rates the handoff); the widget shows the card
    buttons = [{"title": levels[n], "payload": f'/rate{{"rating_level": {n}}}'} for n in sorted(levels, reverse=True)]
    return {"event": "bot", "text": t("staff14b.handback.rating_ask"), "metadata": {"from": "agent"},
            "data": {"buttons": buttons, "custom": {"handoff_rating": {
                "handoff_id": handoff_id, "question": t("staff14b.handback.rating_question"),
                "levels": [{"level": n, "name": levels[n]} for n in sorted(levels, reverse=True)]}}}}


def resume(conversation_id: str, form: str | None, rating: dict | None = None) -> bool:
    """Hand the conversation back: the assistant listens again and an interrupted form asks its
    pending question (the form runs through /execute, which does not listen by itself)."""
    events = [{"event": "resume"}] + ([rating] if rating else [])
    if not _events(conversation_id, events):
        return False
    ok = True
    if form:
        ok = _post(f"/conversations/{quote(conversation_id, safe='')}/execute", {"name": form})
    return _events(conversation_id, [{"event": "action", "name": "action_listen"}]) and ok
