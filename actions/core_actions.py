"""Session start (welcome) and hand-off to a human."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.guide import load_guide
from bot.dialogue.casestore_access import take_due_reminders
from bot.replies import WELCOME, due_reminders_text, human_handoff_text
from bot.texts import t


def opened_by_user(tracker: Tracker) -> bool:
    """The welcome is for someone who opened the chat (the widget, a new WeChat follower); a
    first message that asks something gets its answer first, not the list of what we can do."""
    meta = tracker.get_slot("session_started_metadata") or {}
    return isinstance(meta, dict) and meta.get("opening") is True


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        # Carry slots over so a half-filled form survives a new session.
        events.extend(
            SlotSet(key, value)
            for key, value in tracker.current_slot_values().items()
            if value is not None and key != "session_started_metadata"
        )
        if opened_by_user(tracker):
            dispatcher.utter_message(text=WELCOME)
        due = await take_due_reminders(tracker.sender_id)
        if due:
            dispatcher.utter_message(text=due_reminders_text(due),
                                     buttons=[{"title": t("chat.session.reminders_button"), "payload": "/start_application"}])
        events.append(ActionExecuted("action_listen"))
        return events


def welcomed_this_turn(tracker: Tracker) -> bool:
    """The welcome (action_session_start, just before the user's message was logged) was said
    in this turn: a first 「你好」 opens the chat."""
    events = list(tracker.events or [])
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=None)
    if last_user is None:
        return False
    for event in reversed(events[:last_user]):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot" and event.get("text") == WELCOME:
            return True
    return False


class ActionGreet(Action):
    """A greeting. Right after the welcome (a first 「你好」 opens the chat with it) the same
    「您好！请直接说您的问题」 again would be the second greeting on the phone's screen: only the
    buttons follow, with a short line."""

    def name(self) -> Text:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        if welcomed_this_turn(tracker):
            greet = ((domain or {}).get("responses") or {}).get("utter_greet") or [{}]
            dispatcher.utter_message(text=t("chat.session.greet_after_welcome"), buttons=greet[0].get("buttons") or [])
        else:
            dispatcher.utter_message(response="utter_greet")
        return []


class ActionHumanHandoff(Action):
    def name(self) -> Text:
        return "action_human_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        if tracker.active_loop_name == "application_form" and tracker.get_slot("requested_slot") == "confirm":
            # 「电话不对」 at the summary is a correction, not a call for a human.
            from actions.application_actions import _apply_correction, form_state
            from bot.dialogue import application as form

            said = ((tracker.latest_message.get("metadata") or {}).get("shown")
                    or tracker.latest_message.get("text") or "")
            reply = form.read_summary_reply(said, form_state(tracker))
            if reply.answer == "correction":
                return [SlotSet(k, v) for k, v in _apply_correction(reply.correction, dispatcher, tracker).items()]
        text = tracker.latest_message.get("text") or ""
        lexicon = load_guide().lexicon
        about_phone = tracker.get_slot("requested_slot") == "agent_phone" or any(
            w in text for w in lexicon.section("correction_fields")["applicant"]["agent_phone"])
        if tracker.active_loop_name == "application_form" and about_phone and not lexicon.mentions(text, "human_words"):
            # 「电话可以不给不，不想给电话」 (NLU: request_human, as 「你们的电话」 is): why the phone
            # is needed and the way without it; the form then asks again (hand try: it handed over)
            dispatcher.utter_message(text=t("form.phone_refused"))
            return []
        if not lexicon.mentions(text, "human_words"):
            # 「刚才打电话问了 我妹妹上周已经帮他交了」 after 「请先履行」 (NLU: request_human, for 打电话):
            # news about the duty, not a call for a human (fourth hand try: handed over, news lost)
            from actions.paths_actions import about_an_open_duty

            about_duty = about_an_open_duty(dispatcher, tracker, text)
            if about_duty is not None:
                return about_duty
        from rasa_sdk.events import ConversationPaused

        from bot.dialogue.auto_handoff import reason_of
        from bot.dialogue.handoff import notice_of, open_handoff

        reason = reason_of(tracker.latest_message)  # asked, or angry (bot/dialogue/auto_handoff.py)
        handoff = await open_handoff(tracker, reason)  # a help-desk agent takes over (console)
        if reason == "angry":
            dispatcher.utter_message(text=t("staff14b.auto.angry"))
        if handoff is None:  # case store unreachable: the hotline, never silence
            dispatcher.utter_message(text=human_handoff_text())
            return []
        dispatcher.utter_message(text=notice_of(handoff))
        return [ConversationPaused()]
