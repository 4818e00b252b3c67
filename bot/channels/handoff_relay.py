"""What a chat channel does for a conversation a help-desk agent has taken over (转人工).

- `handle`: every channel's message goes through it. Rasa paused the conversation
  (action_human_handoff), so the bot does not answer; the user's words (REST, widget or WeChat:
  `arrived_while_paused` tells) go to the case store (POST /api/v1/handoffs/user-messages) and appear in the
  agent's console, and until an agent answers the user is told they were passed on.
- `rating_offered` / `rate_handoff`: after the agent hands back, the case store puts a 好差评
  question into the conversation (a bot message whose `custom.handoff_rating` names the handoff,
  bot/casestore/staff/rasa_bridge.py); the widget's five buttons answer it here. Only a handoff
  that was offered in this very conversation can be rated from it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, UserUttered

from bot.texts import t

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Withdrawn:
    """The user took the handoff back before an agent answered (「不要人工，我自己弄」): what to
    say, and the form to go on with (None: none was active)."""

    reply: str
    form: str | None


async def relay_user_message(sender: str, text: str) -> str | Withdrawn | None:
    """Pass the words on; what to tell the user (None: nothing, an agent is answering).

    While no agent has answered, the case store says the words were passed on (and, outside
    office hours, when an agent will read them); when it does not take them, the user is told
    to send again or call the hotline. Never silence while nobody is reading."""
    from bot.casestore.client import CaseStoreError
    from bot.dialogue.casestore_access import case_store_client

    client = case_store_client()
    try:
        answer = await client.handoff_user_message(sender, text)
        reply = answer.get("reply") if isinstance(answer, dict) else None
        if isinstance(answer, dict) and answer.get("status") == "withdrawn" and isinstance(reply, str):
            form = answer.get("form")
            return Withdrawn(reply, form if isinstance(form, str) and form else None)
        return reply if isinstance(reply, str) and reply else None
    except CaseStoreError as exc:
        logger.warning("handoff relay: the case store did not take a user message (%s)", exc.code)
        from bot.channels.limits import hotline

        return t("staff.handoff.passed_failed", hotline=hotline())
    finally:
        await client.aclose()


async def handle(agent: Any, message: Any, on_new_message: Any) -> Any:
    """Rasa handles the message (every channel calls this). When it arrived while a help-desk
    agent has the conversation, Rasa said nothing; the words go to the agent's console and the
    user gets the case store's acknowledgement, if any, on the same channel."""
    from bot.channels.typed_buttons import take_typed_button

    take_typed_button(_kept(agent, message.sender_id), message)  # a button's title typed: the button
    result = await on_new_message(message)
    sender = message.sender_id
    if arrived_while_paused(await _tracker(agent, sender), message.text):
        reply = await relay_user_message(sender, message.text or "")
        out = getattr(message, "output_channel", None)
        if isinstance(reply, Withdrawn):
            if out is not None:
                await out.send_text_message(sender, reply.reply)
            await resume_here(agent, sender, reply.form, out)
        elif reply and out is not None:
            await out.send_text_message(sender, reply)
    return result


async def resume_here(agent: Any, sender: str, form: str | None, out: Any) -> None:
    """What an agent's hand-back does (bot/casestore/staff/rasa_bridge.py `resume`), in this
    process: the assistant listens again and the interrupted form asks its pending question on
    the user's channel."""
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.shared.core.events import ConversationResumed

    processor = getattr(agent, "processor", None)
    if processor is None:
        return
    out = out or CollectingOutputChannel()
    async with agent.lock_store.lock(sender):
        tracker = await processor.fetch_tracker_and_update_session(sender, out)
        tracker.update(ConversationResumed())
        if form and form in processor.domain.action_names_or_texts:
            prediction = PolicyPrediction.for_action_name(processor.domain, form, None, 1.0)
            await processor._run_action(processor._get_action(form), tracker, out, processor.nlg, prediction)
        if tracker.latest_action_name != ACTION_LISTEN_NAME:
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        await processor.save_tracker(tracker)


def arrived_while_paused(tracker: Any, text: str | None) -> bool:
    """The latest user message is this one and came after the pause (not the 转人工 itself,
    which comes before it). Read after Rasa saved the message: from the tracker store's memory
    when it kept the conversation, else one read (there were two, before and after)."""
    if tracker is None or not tracker.is_paused():
        return False
    for event in reversed(tracker.events):
        if isinstance(event, ConversationPaused):
            return False
        if isinstance(event, UserUttered):
            return event.text == text
    return False


def _kept(agent: Any, sender: str) -> Any:
    """The conversation as the tracker store keeps it in memory, or None (no database read)."""
    store = getattr(agent, "tracker_store", None) if agent is not None else None
    inner = getattr(store, "_tracker_store", store)
    seen = getattr(inner, "last_seen", None)
    return seen(sender) if callable(seen) else None


async def _tracker(agent: Any, sender: str) -> Any:
    store = getattr(agent, "tracker_store", None) if agent is not None else None
    if store is None:
        return None
    inner = getattr(store, "_tracker_store", store)  # Rasa wraps it in an AwaitableTrackerStore
    seen = getattr(inner, "last_seen", None)  # just saved by this process: no database read
    tracker = seen(sender) if callable(seen) else None
    if tracker is not None:
        return tracker
    try:
        return await store.retrieve(sender)
    except Exception:  # the tracker store is down: the bot answered as usual
        logger.exception("handoff relay: could not read the conversation state")
        return None


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
        answer = {"level": rating.get("level", level), "message": t("rating.thanks_bad", due_on=f"{y}年{m}月{d}日")}
        if not rating.get("reason") and rating.get("id") is not None:
            # the optional reason: the page shows a box for the user's own words
            answer["reason"] = {"rating_id": rating["id"], "question": t("rating.ask_reason_box"),
                                "skip": t("rating.button_skip"), "send": t("rating.button_send_reason")}
        return 200, answer
    return 200, {"level": rating.get("level", level), "message": t("rating.thanks")}


async def give_reason(sender: str, rating_id: Any, reason: Any) -> tuple[int, dict]:
    """The optional reason of a bad handoff rating, from the page's box (the case store checks
    that the rating is this conversation's)."""
    from bot.casestore.client import CaseStoreError, CaseStoreNotFound, CaseStoreRejected
    from bot.dialogue.casestore_access import case_store_client
    from bot.dialogue.rating import read_reason

    if isinstance(rating_id, bool) or not isinstance(rating_id, int):
        return 404, {"error": "rating_unknown", "message": t("staff14b.rating.unknown")}
    said = read_reason(reason if isinstance(reason, str) else None)
    if said is None:
        return 422, {"error": "reason_empty", "message": t("rating.reason_empty")}
    client = case_store_client()
    try:
        await client.rating_reason(rating_id, said, channel_user_id=sender)
    except CaseStoreNotFound:
        return 404, {"error": "rating_unknown", "message": t("staff14b.rating.unknown")}
    except CaseStoreRejected:
        return 422, {"error": "reason_empty", "message": t("rating.reason_empty")}
    except CaseStoreError as e:
        if e.status == 409:
            return 409, {"error": "reason_given", "message": t("rating.reason_given")}
        return 502, {"error": "casestore_unreachable", "message": t("rating.reason_down_short")}
    finally:
        await client.aclose()
    return 200, {"message": t("rating.reason_thanks")}
