"""A guide question asked in the middle of a form: answer it, then the form asks again (only
the pending question, in one short line)."""

from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.clock import today
from bot.dialogue.questions import looks_like_question, second_question
from bot.guide.resolve import CONTEXT_INTENTS, FALLBACK_INTENT, GUIDE_INTENTS, respond
from bot.rules.inputs import SERVICE_ITEM as ITEM_OF_KIND
from bot.texts import t

QUESTION_INTENTS = GUIDE_INTENTS - CONTEXT_INTENTS - {FALLBACK_INTENT}
MIN_CONFIDENCE = 0.6
RANKED_CONFIDENCE = 0.2  # a question by its words may use a weaker guide intent


def question_intent(tracker: Tracker) -> str | None:
    """The guide intent to answer the latest message with, or None when it is not a question."""
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    if intent.get("name") in QUESTION_INTENTS and (intent.get("confidence") or 0) >= MIN_CONFIDENCE:
        return intent["name"]
    if not looks_like_question(message.get("text") or ""):
        return None
    for ranked in message.get("intent_ranking") or []:
        if ranked.get("name") in QUESTION_INTENTS and (ranked.get("confidence") or 0) >= RANKED_CONFIDENCE:
            return ranked["name"]
    return FALLBACK_INTENT


def is_guide_question(tracker: Tracker) -> bool:
    return question_intent(tracker) is not None


async def answer_if_guide_question(dispatcher: CollectingDispatcher, tracker: Tracker,
                                   resumes_form: bool = True) -> bool:
    """Answer the latest message when it is a guide question; `resumes_form` says, before the
    answer, that the form goes on after it (not so when the question ends the form)."""
    intent = question_intent(tracker)
    if intent is None:
        return False
    message = tracker.latest_message
    context = {k: tracker.get_slot(k) for k in ("item", "department", "topic")}
    kind = tracker.get_slot("fact_kind")
    if kind in ITEM_OF_KIND:
        # the record being described is the context: 「要好久」 asks about its item and department
        context["item"] = ITEM_OF_KIND[kind]
        context["department"] = tracker.get_slot("fact_department") or context["department"]
    reply = respond(
        intent,
        message.get("entities"),
        context,
        message.get("text") or "",
        today=today(),
    )
    if reply.answer.kind == "refusal":  # a refusal inside a form is the form's to read (consent)
        return False
    answer = re.sub(r"\n{2,}", "\n", reply.answer.text)
    lead = resumes_form and reply.answer.kind != "abuse"  # an apology is not 「先回答您的问题」
    dispatcher.utter_message(text=t("form.resume") + "\n" + answer if lead else answer)
    answer_second_question(dispatcher, message.get("text") or "", intent, context)
    return True


def answer_second_question(dispatcher: CollectingDispatcher, text: str, answered: str | None,
                           context: dict) -> None:
    """「要好久哦 要钱不」: the other short question answered too, in its own bubble (seventh hand
    try: only the fee)."""
    second = second_question(text, answered)
    if second is None:
        return
    reply = respond(second[0], [], context, second[1], today=today())
    if reply.answer.kind not in ("refusal", "suggest", "abuse"):
        dispatcher.utter_message(text=re.sub(r"\n{2,}", "\n", reply.answer.text))
