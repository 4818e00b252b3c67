"""A guide question asked in the middle of a form: answer it, then the form asks again."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.clock import today
from bot.guide.resolve import CONTEXT_INTENTS, FALLBACK_INTENT, GUIDE_INTENTS, respond

QUESTION_INTENTS = GUIDE_INTENTS - CONTEXT_INTENTS - {FALLBACK_INTENT}
MIN_CONFIDENCE = 0.6
RESUME_NOTE = "（先回答您的问题，我们接着填表。）"


def is_guide_question(tracker: Tracker) -> bool:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name") in QUESTION_INTENTS and (intent.get("confidence") or 0) >= MIN_CONFIDENCE


async def answer_if_guide_question(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    if not is_guide_question(tracker):
        return False
    message = tracker.latest_message
    reply = respond(
        message["intent"]["name"],
        message.get("entities"),
        {k: tracker.get_slot(k) for k in ("item", "department", "topic")},
        message.get("text") or "",
        today=today(),
    )
    dispatcher.utter_message(text=f"{RESUME_NOTE}\n{reply.answer.text}")
    return True
