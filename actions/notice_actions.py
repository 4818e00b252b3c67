"""双书同达 in chat: open a 信用修复告知书 from its QR code (record pre-filled), consent to
notices, 「不要再提醒」, and 好差评. Back-end calls go through bot.casestore.client."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.casestore.client import CaseStoreError, CaseStoreNotFound
from bot.clock import today
from bot.dialogue import record_flow
from bot.dialogue.casestore_access import case_channel, case_store_client
from bot.dialogue.rating import read_reason
from bot.rules.engine import InputError, zh_date
from bot.rules.explain import explain_result
from bot.texts import t

_TOKEN = re.compile(r"notice[=:\"\s]*\"?([A-Za-z0-9_\-]+-\d+\.[A-Za-z0-9_\-]{22})")


def notice_token(tracker: Tracker) -> str | None:
    """The QR token: the `notice_token` entity of `/open_notice{...}`, or a pasted link."""
    for e in tracker.latest_message.get("entities") or []:
        if e.get("entity") == "notice_token" and e.get("value"):
            return str(e["value"])
    m = _TOKEN.search(tracker.latest_message.get("text") or "")
    return m.group(1) if m else None


def prefill(notice: dict) -> tuple[list[dict], dict[str, Any]]:
    """The chat's records and applicant slots from a notice: what the document says, and
    nothing it does not (whether the duties are done yet is asked, not assumed)."""
    record = {k: v for k, v in notice["record"].items() if k not in ("obligations_fulfilled", "corrected")}
    record["decision_number"] = notice["decision_number"]
    slots = {"subject_type": notice["subject"]["subject_type"], "subject_name": notice["subject"]["name"],
             "uscc": notice["subject"]["uscc"]}
    return [record], slots


class ActionOpenNotice(Action):
    def name(self) -> str:
        return "action_open_notice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        token = notice_token(tracker)
        if not token:
            dispatcher.utter_message(text=t("notice.opened_unknown"))
            return []
        client = case_store_client()
        try:
            notice = await client.notice_by_token(token)
        except CaseStoreNotFound:
            dispatcher.utter_message(text=t("notice.opened_unknown"))
            return []
        except CaseStoreError:
            dispatcher.utter_message(text=t("notice.opened_down"))
            return []
        finally:
            await client.aclose()
        records, slots = prefill(notice)
        try:
            result = record_flow.determine_for_records(records, slots["subject_type"], today())
        except InputError:
            dispatcher.utter_message(text=t("notice.opened_unknown"))
            return []
        head = t("notice.opened", subject_name=notice["subject"]["name"], department_name=notice["department_name"],
                 decision_number=notice["decision_number"], decision_date=zh_date(dt.date.fromisoformat(notice["decision_date"])))
        buttons = []
        statuses = {r["status"] for r in result["results"]}
        if "eligible" in statuses:
            buttons.append({"title": t("notice.button_apply"), "payload": "/start_application"})
        buttons.append({"title": t("notice.button_remind_and_status"), "payload": "/consent_notices"})
        dispatcher.utter_message(text=head + "\n" + explain_result(result), buttons=buttons)
        events: list[EventType] = [SlotSet(k, v) for k, v in slots.items()]
        events += [SlotSet("records", records), SlotSet("paths_result", result),
                   SlotSet("paths_status", [r["status"] for r in result["results"]]),
                   SlotSet("notice_no", notice["notice_no"])]
        return events


class ActionConsentNotices(Action):
    """「办理进度也通知我」: consent on the channel the user is on."""

    def name(self) -> str:
        return "action_consent_notices"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        channel = case_channel(tracker.get_latest_input_channel())
        case_no, notice_no, uscc = tracker.get_slot("case_no"), tracker.get_slot("notice_no"), tracker.get_slot("uscc")
        waiting = waiting_records(tracker)  # the engine's answer in this chat
        if not (case_no or notice_no or uscc or waiting):
            dispatcher.utter_message(text=t("notice.consent_nothing"))
            return []
        # WeChat's subscribe-message popup (bot/channels/wechat.py): one consent per accepted template
        templates = [None]
        if channel == "wechat":
            templates = (tracker.latest_message.get("metadata") or {}).get("subscribe_templates") or [None]
        try:
            dates = await register_notices(tracker, channel, status=True, templates=templates)
        except CaseStoreError:
            dispatcher.utter_message(text=t("notice.consent_down"))
            return []
        what = [t("notice.consent_what_reminder", dates="、".join(dates))] if dates else []
        if case_no or notice_no or uscc:
            what.append(t("notice.consent_what_status"))
        dispatcher.utter_message(text=t("notice.consent_done", what="，".join(what),
                                        channel_name={"wechat": "微信公众号", "web": "网页对话"}[channel]))
        offer_sms(dispatcher, channel)
        return []


def offer_sms(dispatcher: CollectingDispatcher, channel: str) -> None:
    """A reminder in the web chat is seen only while the page is open: offer a text message too."""
    if channel == "web":
        dispatcher.utter_message(text=t("notice.sms_offer"),
                                 buttons=[{"title": t("notice.sms_button"), "payload": "/sms_reminder"}])


async def register_notices(tracker: Tracker, channel: str, *, phone: str | None = None, status: bool,
                           templates: list | None = None) -> list[str]:
    """Reminders on the earliest date of every waiting record and, with `status`, progress notices
    for the case / 告知书 / subject of this chat, on `channel`; the reminder dates (Chinese).
    Raises CaseStoreError."""
    case_no, notice_no, uscc = tracker.get_slot("case_no"), tracker.get_slot("notice_no"), tracker.get_slot("uscc")
    user = tracker.sender_id
    client = case_store_client()
    dates = []
    try:
        if status and (case_no or notice_no or uscc):
            for template in templates or [None]:
                await client.add_consent(channel=channel, channel_user_id=user, phone=phone, case_no=case_no,
                                         notice_no=notice_no, subject_code=uscc, template_id=template,
                                         source="wechat_subscribe" if template else "notice_qr" if notice_no else "chat")
        for r in waiting_records(tracker):
            await client.add_reminder(subject_code=uscc, remind_on=r["earliest_date"], summary=record_flow.reminder_summary(r),
                                      channel=channel, phone=phone, channel_user_id=user)
            dates.append(zh_date(dt.date.fromisoformat(r["earliest_date"])))
    finally:
        await client.aclose()
    return dates


def asked_for_progress(tracker: Tracker) -> bool:
    """Progress notices were agreed to in this chat (「办理进度也通知我」, the 告知书's offer)."""
    return any(e.get("event") == "action" and e.get("name") == "action_consent_notices" for e in tracker.events or [])


def waiting_records(tracker: Tracker) -> list[dict]:
    """The engine's results in this chat that may be applied for on a later date (a reminder each)."""
    return [r for r in (tracker.get_slot("paths_result") or {}).get("results", [])
            if r.get("earliest_date") and r["earliest_date"] > today().isoformat()]


class ActionSmsReminder(Action):
    """「短信提醒我」: the same reminders and notices by text message, to a phone the user gives
    (or the one already in the application form)."""

    def name(self) -> str:
        return "action_sms_reminder"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not (waiting_records(tracker) or (asked_for_progress(tracker) and (tracker.get_slot("case_no") or tracker.get_slot("notice_no")
                                                             or tracker.get_slot("uscc")))):
            dispatcher.utter_message(text=t("notice.consent_nothing"))
            return []
        phone = phone_in(tracker.latest_message.get("text") or "") or tracker.get_slot("agent_phone")
        if phone:  # 「短信提醒我 13912345678」, or the phone of the application form
            await register_sms(dispatcher, tracker, phone)
            return []
        return [SlotSet("sms_phone", None), SlotSet("sms_tries", None), FollowupAction("sms_form")]


async def register_sms(dispatcher: CollectingDispatcher, tracker: Tracker, phone: str) -> bool:
    from bot.parsing.masking import mask_phone

    # progress notices by text message only when progress notices were asked for in this chat
    # (「办理进度也通知我」), not after 「到期提醒我」 alone
    status = asked_for_progress(tracker)
    try:
        dates = await register_notices(tracker, "sms", phone=phone, status=status)
    except CaseStoreError:
        dispatcher.utter_message(text=t("notice.sms_down"))
        return False
    case_no = notice_no = uscc = None
    if status:
        case_no, notice_no, uscc = tracker.get_slot("case_no"), tracker.get_slot("notice_no"), tracker.get_slot("uscc")
    what = [t("notice.consent_what_reminder", dates="、".join(dates))] if dates else []
    if case_no or notice_no or uscc:
        what.append(t("notice.consent_what_status"))
    dispatcher.utter_message(text=t("notice.sms_done", what="，".join(what), phone=mask_phone(phone)))
    return True


# sms_phone when no phone is given: declined / a question answered / asked for something else
SMS_DECLINED, SMS_ANSWERED, SMS_LEFT = "", "-", "->"


def phone_in(text: str) -> str | None:
    """A mobile number in the message (「发到 139 1234 5678 嘛」), or None."""
    from bot.facts import applicant
    from bot.parsing.identifiers import check_mobile

    phone = applicant.mine_applicant(text or "").agent_phone
    if not phone and check_mobile(text or "").ok:
        phone = check_mobile(text).value
    return phone


class ActionAskSmsPhone(Action):
    def name(self) -> str:
        return "action_ask_sms_phone"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=t("notice.sms_bad_phone" if tracker.get_slot("sms_tries") else "notice.sms_ask_phone"))
        return []


class ValidateSmsForm(FormValidationAction):
    """The phone for text-message reminders: a mobile number in the message (「发到139…吧」);
    「算了」 or a refusal ends it without one; one more chance after something else."""

    def name(self) -> str:
        return "validate_sms_form"

    async def validate_sms_phone(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        from bot.dialogue import consent

        if value is None:
            return {"sms_phone": None}
        text = str(value).strip()
        phone = phone_in(text)
        if phone:
            return {"sms_phone": phone}
        if (tracker.latest_message.get("intent") or {}).get("name") == "sms_reminder":
            return {"sms_phone": None}  # 「短信提醒我」 again: the phone is asked again
        if leaving_to(tracker):
            return {"sms_phone": SMS_LEFT}
        if read_reason(text) is None or consent.read_consent(text).answer == consent.NO:
            return {"sms_phone": SMS_DECLINED}
        if await answer_confident_question(dispatcher, tracker):
            return {"sms_phone": SMS_ANSWERED}
        if tracker.get_slot("sms_tries"):
            return {"sms_phone": SMS_DECLINED}
        return {"sms_phone": None, "sms_tries": 1}


class ActionSaveSmsReminder(Action):
    def name(self) -> str:
        return "action_save_sms_reminder"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        phone = tracker.get_slot("sms_phone")
        done: list[EventType] = [SlotSet("sms_phone", None), SlotSet("sms_tries", None)]
        if phone == SMS_LEFT:
            return done + [FollowupAction(leaving_to(tracker) or "action_listen")]
        if phone == SMS_DECLINED:
            dispatcher.utter_message(text=t("notice.sms_declined"))
        elif phone and phone != SMS_ANSWERED:
            await register_sms(dispatcher, tracker, phone)
        return done


class ActionStopReminders(Action):
    """「不要再提醒」."""

    def name(self) -> str:
        return "action_stop_reminders"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        from bot.guide import load_guide

        client = case_store_client()
        try:
            # 「不要再提醒 13912345678」: the text messages to that phone stop too, from any chat
            out = await client.stop_reminders(tracker.sender_id, phone=phone_in(tracker.latest_message.get("text") or ""))
        except CaseStoreError:
            dispatcher.utter_message(text=t("notice.stop_down", hotline=load_guide().service["hotline"]))
            return []
        finally:
            await client.aclose()
        count = out["reminders_stopped"] + out["consents_revoked"] + out["notifications_cancelled"]
        dispatcher.utter_message(text=t("notice.stopped", count=count) if count else t("notice.stopped_none"))
        return []


class ActionRate(Action):
    """好差评 from the buttons (`/rate{"rating_level": 1..5}`) for the case in the conversation."""

    def name(self) -> str:
        return "action_rate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        level = next((e.get("value") for e in tracker.latest_message.get("entities") or []
                      if e.get("entity") == "rating_level"), None)
        case_no = tracker.get_slot("case_no")
        handoff_id = offered_handoff_rating(tracker)
        if level is None:
            buttons = [{"title": t(f"rating.level_{n}"), "payload": f'/rate{{"rating_level": {n}}}'} for n in range(5, 0, -1)]
            dispatcher.utter_message(text=t("staff14b.handback.rating_question" if handoff_id else "rating.ask"),
                                     buttons=buttons)
            return []
        if not case_no and not handoff_id:
            dispatcher.utter_message(text=t("rating.unknown_case"))
            return []
        # a handoff just handed back is what is being rated; else the case of this conversation
        target = {"context": "handoff", "handoff_id": str(handoff_id)} if handoff_id else {"case_no": case_no}
        client = case_store_client()
        try:
            rating = await client.rate(**target, level=int(level), channel=case_channel(
                tracker.get_latest_input_channel()), channel_user_id=tracker.sender_id)
        except CaseStoreError as e:
            # 409: an item of the case is still being decided (its own rejection was told already)
            dispatcher.utter_message(text=t("rating.not_closed" if e.status == 409 else "rating.down"))
            return []
        finally:
            await client.aclose()
        task = rating.get("followup")
        if task:
            y, m, d = (int(x) for x in task["due_on"].split("-"))
            dispatcher.utter_message(text=t("rating.thanks_bad", due_on=f"{y}年{m}月{d}日"))
            if not rating.get("reason") and rating.get("id") is not None and not tracker.active_loop_name:
                # the optional reason: asked once, in the user's words, for the supervisor (not while
                # another form goes on: the hand-back resumed it)
                return [SlotSet("rating_id", rating["id"]), FollowupAction("rating_reason_form")]
        else:
            dispatcher.utter_message(text=t("rating.thanks"))
        return []


def rates_offered_handoff(tracker: Tracker) -> bool:
    """Inside a form the hand-back resumed: the message is the 好差评 the hand-back asked for
    (「评价」 or a level), not the answer to the form's question."""
    intent = (tracker.latest_message or {}).get("intent") or {}
    text = ((tracker.latest_message or {}).get("text") or "").strip()
    return (intent.get("name") == "rate" and (text.startswith("/") or (intent.get("confidence") or 0) >= LEAVING_CONFIDENCE)
            and offered_handoff_rating(tracker) is not None)


def offered_handoff_rating(tracker: Tracker) -> str | None:
    """The handoff whose 好差评 the hand-back asked for (a bot message with `custom.handoff_rating`,
    bot/casestore/staff/rasa_bridge.py), unless a rating was given in the chat since. The widget
    answers it with its own card; other channels (WeChat) answer here, with the five levels."""
    if tracker.get_latest_input_channel() == "web":
        return None  # the page rates a handoff with its card (POST /webhooks/web/rating): 「评价」 is the case's
    events = list(tracker.events or [])
    # the message being answered now is the newest user event: look before it
    now = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    for e in reversed(events[:now]):
        kind = e.get("event")
        if kind == "user" and any(x.get("entity") == "rating_level"
                                  for x in (e.get("parse_data") or {}).get("entities") or []):
            return None  # rated since
        if kind == "bot":
            offer = ((e.get("data") or {}).get("custom") or {}).get("handoff_rating")
            if isinstance(offer, dict) and offer.get("handoff_id") is not None:
                return str(offer["handoff_id"])
        if kind in ("session_started", "restart"):
            return None
    return None


class ActionAskRatingReason(Action):
    def name(self) -> str:
        return "action_ask_rating_reason"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=t("rating.ask_reason"),
                                 buttons=[{"title": t("rating.button_skip"), "payload": "/deny"}])
        return []


# What the user may ask for instead of answering the reason or phone question: the form ends and
# that is done (the words are not taken as the answer, and not lost).
LEAVING = {"request_human": "action_human_handoff", "stop_reminders": "action_stop_reminders",
           "rate": "action_rate", "start_application": "application_form",
           "consent_notices": "action_consent_notices", "request_reminder": "action_request_reminder"}
LEAVING_CONFIDENCE = 0.8


def leaving_to(tracker: Tracker, payload_only: bool = False) -> str | None:
    """The action the latest message asks for instead of the pending answer, or None: a button
    (or a message the channel guard turned into one: an angry one is 「转人工」), or, unless
    `payload_only`, words NLU is sure of."""
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    text = (message.get("text") or "").strip()
    sure = not payload_only and (intent.get("confidence") or 0) >= LEAVING_CONFIDENCE
    if intent.get("name") in LEAVING and (text.startswith("/") or sure):
        return LEAVING[intent["name"]]
    return None


async def answer_confident_question(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """A guide question NLU is sure of (not the fallback: 「坐席什么都不懂」 is a complaint, not a
    question about credit repair) is answered."""
    from actions.digression import answer_if_guide_question, question_intent
    from bot.guide.resolve import FALLBACK_INTENT

    if question_intent(tracker) in (None, FALLBACK_INTENT):
        return False
    return await answer_if_guide_question(dispatcher, tracker, resumes_form=False)


class ValidateRatingReasonForm(FormValidationAction):
    """Whatever the user says next is the reason, in their words (a confident guide question is
    answered too), unless it skips it or asks for something else (then done: an angry message is
    the reason and a human takes over)."""

    def name(self) -> str:
        return "validate_rating_reason_form"

    async def validate_rating_reason(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is None:  # not said yet (the slot was only cleared): the form asks
            return {"rating_reason": None}
        if leaving_to(tracker, payload_only=True):  # typed words are the reason, whatever NLU says
            shown = (tracker.latest_message.get("metadata") or {}).get("shown")  # an angry message's words
            return {"rating_reason": read_reason(shown) or "" if shown else ""}
        reason = read_reason(str(value))
        if reason is not None:
            await answer_confident_question(dispatcher, tracker)
        return {"rating_reason": reason or ""}


class ActionSaveRatingReason(Action):
    def name(self) -> str:
        return "action_save_rating_reason"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        from bot.guide import load_guide

        rating_id, reason = tracker.get_slot("rating_id"), tracker.get_slot("rating_reason")
        follow = leaving_to(tracker, payload_only=True)
        done: list[EventType] = [SlotSet("rating_id", None), SlotSet("rating_reason", None)]
        done += [FollowupAction(follow)] if follow else []
        if rating_id is None:
            return done
        if not reason:
            if not follow:
                dispatcher.utter_message(text=t("rating.reason_skipped"))
            return done
        client = case_store_client()
        try:
            await client.rating_reason(rating_id, reason, channel_user_id=tracker.sender_id)
        except CaseStoreError:
            dispatcher.utter_message(text=t("rating.reason_down", hotline=load_guide().service["hotline"]))
            return done
        finally:
            await client.aclose()
        dispatcher.utter_message(text=t("rating.reason_thanks"))
        return done
