"""What a chat channel does for a conversation a help-desk agent has taken over (转人工).

- `relay_user_message`: Rasa paused the conversation (action_human_handoff), so the bot does not
  answer; the user's words (from the widget or WeChat; `is_paused` tells) go to the case store (POST /api/v1/handoffs/user-messages) and appear
  in the agent's console.
- `rating_offered` / `rate_handoff`: after the agent hands back, the case store puts a 好差评
  question into the conversation (a bot message whose `custom.handoff_rating` names the handoff,
  bot/casestore/staff/rasa_bridge.py); the widget's five buttons answer it here. Only a handoff
  that was offered in this very conversation can be rated from it.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.shared.core.events import BotUttered

from bot.texts import t

logger = logging.getLogger(__name__)


async def is_paused(agent: Any, sender: str) -> bool:
    """Whether a help-desk agent has the conversation (Rasa paused it); False when unknown."""
    store = getattr(agent, "tracker_store", None) if agent is not None else None
    if store is None:
        return False
    try:
        tracker = await store.retrieve(sender)
    except Exception:  # the tracker store is down: the bot answers as usual
        logger.exception("handoff relay: could not read the conversation state")
        return False
    return bool(tracker is not None and tracker.is_paused())


async def relay_user_message(sender: str, text: str) -> bool:
    """Best effort: False (and a warning) when the case store does not take it."""
    from bot.casestore.client import CaseStoreError
    from bot.dialogue.casestore_access import case_store_client

    client = case_store_client()
    try:
        await client._request("POST", "/api/v1/handoffs/user-messages",
                              json={"conversation_id": sender, "text": text})
        return True
    except CaseStoreError as exc:
        logger.warning("handoff relay: the case store did not take a user message (%s)", exc.code)
        return False
    finally:
        await client.aclose()


def offered_rating(event: Any) -> dict | None:
    if not isinstance(event, BotUttered):
        return None
    custom = (event.data or {}).get("custom")
    offer = custom.get("handoff_rating") if isinstance(custom, dict) else None
    return offer if isinstance(offer, dict) else None


def rating_offered(tracker, handoff_id: Any) -> bool:
    if not isinstance(handoff_id, (int, str)) or isinstance(handoff_id, bool) or not str(handoff_id).isdigit():
        return False
    for event in list(tracker.events) if tracker else []:
        offer = offered_rating(event)
        if offer and str(offer.get("handoff_id")) == str(handoff_id):
            return True
    return False


async def rate_handoff(sender: str, handoff_id: Any, level: Any) -> tuple[int, dict]:
    """(HTTP status, answer for the page): {"message": thanks} or {"error", "message"}."""
    from bot.casestore.client import CaseStoreError, CaseStoreRejected
    from bot.dialogue.casestore_access import case_store_client

    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
        return 422, {"error": "level_invalid", "message": t("staff14b.rating.bad_level")}
    client = case_store_client()
    try:
        rating = await client.rate(context="handoff", handoff_id=str(handoff_id), level=level,
                                   channel="web", channel_user_id=sender)
    except CaseStoreRejected:
        return 422, {"error": "level_invalid", "message": t("staff14b.rating.bad_level")}
    except CaseStoreError:
        return 502, {"error": "casestore_unreachable", "message": t("rating.down")}
    finally:
        await client.aclose()
    task = rating.get("followup")
    if task:
        y, m, d = (int(x) for x in task["due_on"].split("-"))
        return 200, {"level": rating.get("level", level),
                     "message": t("rating.thanks_bad", due_on=f"{y}年{m}月{d}日")}
    return 200, {"level": rating.get("level", level), "message": t("rating.thanks")}
