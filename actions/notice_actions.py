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
        client = case_store_client()
        dates = []
        try:
            # WeChat's subscribe-message popup (bot/channels/wechat.py): one consent per accepted template
            templates = [None]
            if channel == "wechat":
                templates = (tracker.latest_message.get("metadata") or {}).get("subscribe_templates") or [None]
            if case_no or notice_no or uscc:
                for template in templates:
                    await client.add_consent(channel=channel, channel_user_id=tracker.sender_id, case_no=case_no,
                                             notice_no=notice_no, subject_code=uscc, template_id=template,
                                             source="wechat_subscribe" if template else
                                             "notice_qr" if notice_no else "chat")
            for r in waiting:
                await client.add_reminder(subject_code=uscc, remind_on=r["earliest_date"],
                                          summary=record_flow.reminder_summary(r), channel=channel,
                                          channel_user_id=tracker.sender_id)
                dates.append(zh_date(dt.date.fromisoformat(r["earliest_date"])))
        except CaseStoreError:
            dispatcher.utter_message(text=t("notice.consent_down"))
            return []
        finally:
            await client.aclose()
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


def waiting_records(tracker: Tracker) -> list[dict]:
    """The engine's results in this chat whose earliest date is still to come."""
    return [r for r in (tracker.get_slot("paths_result") or {}).get("results", [])
            if r.get("earliest_date") and r["earliest_date"] > today().isoformat()]


class ActionSmsReminder(Action):
    """「短信提醒我」: the same reminders and notices by text message, to a phone the user gives
    (or the one already in the application form)."""

    def name(self) -> str:
        return "action_sms_reminder"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not (tracker.get_slot("case_no") or tracker.get_slot("notice_no") or tracker.get_slot("uscc")
                or waiting_records(tracker)):
            dispatcher.utter_message(text=t("notice.consent_nothing"))
            return []
        phone = tracker.get_slot("agent_phone")
        if phone:
            await register_sms(dispatcher, tracker, phone)
            return []
        return [SlotSet("sms_phone", None), SlotSet("sms_tries", None), FollowupAction("sms_form")]


async def register_sms(dispatcher: CollectingDispatcher, tracker: Tracker, phone: str) -> bool:
    from bot.parsing.masking import mask_phone

    case_no, notice_no, uscc = tracker.get_slot("case_no"), tracker.get_slot("notice_no"), tracker.get_slot("uscc")
    client = case_store_client()
    dates = []
    try:
        if case_no or notice_no or uscc:
            await client.add_consent(channel="sms", phone=phone, channel_user_id=tracker.sender_id, case_no=case_no,
                                     notice_no=notice_no, subject_code=uscc,
                                     source="notice_qr" if notice_no else "chat")
        for r in waiting_records(tracker):
            await client.add_reminder(subject_code=uscc, remind_on=r["earliest_date"],
                                      summary=record_flow.reminder_summary(r), channel="sms", phone=phone,
                                      channel_user_id=tracker.sender_id)
            dates.append(zh_date(dt.date.fromisoformat(r["earliest_date"])))
    except CaseStoreError:
        dispatcher.utter_message(text=t("notice.sms_down"))
        return False
    finally:
        await client.aclose()
    what = [t("notice.consent_what_reminder", dates="、".join(dates))] if dates else []
    if case_no or notice_no or uscc:
        what.append(t("notice.consent_what_status"))
    dispatcher.utter_message(text=t("notice.sms_done", what="，".join(what), phone=mask_phone(phone)))
    return True


SMS_DECLINED, SMS_ANSWERED = "", "-"  # sms_phone when no phone is given: declined / a question answered


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
        from actions.digression import answer_if_guide_question
        from bot.dialogue import consent
        from bot.facts import applicant
        from bot.parsing.identifiers import check_mobile

        if value is None:
            return {"sms_phone": None}
        text = str(value).strip()
        phone = applicant.mine_applicant(text).agent_phone
        if not phone and check_mobile(text).ok:
            phone = check_mobile(text).value
        if phone:
            return {"sms_phone": phone}
        if read_reason(text) is None or consent.read_consent(text).answer == consent.NO:
            return {"sms_phone": SMS_DECLINED}
        if await answer_if_guide_question(dispatcher, tracker, resumes_form=False):
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
            out = await client.stop_reminders(tracker.sender_id)
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
        except CaseStoreError:
            dispatcher.utter_message(text=t("rating.down"))
            return []
        finally:
            await client.aclose()
        task = rating.get("followup")
        if task:
            y, m, d = (int(x) for x in task["due_on"].split("-"))
            dispatcher.utter_message(text=t("rating.thanks_bad", due_on=f"{y}年{m}月{d}日"))
            if not rating.get("reason") and rating.get("id") is not None:
                # the optional reason: asked once, in the user's words, for the supervisor
                return [SlotSet("rating_id", rating["id"]), FollowupAction("rating_reason_form")]
        else:
            dispatcher.utter_message(text=t("rating.thanks"))
        return []


def offered_handoff_rating(tracker: Tracker) -> str | None:
    """The handoff whose 好差评 the hand-back asked for (a bot message with `custom.handoff_rating`,
    bot/casestore/staff/rasa_bridge.py), unless a rating was given in the chat since. The widget
    answers it with its own card; other channels (WeChat) answer here, with the five levels."""
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


class ValidateRatingReasonForm(FormValidationAction):
    """Whatever the user says next is the reason, unless it skips it or is a guide question
    (answered; the reason is then not asked again)."""

    def name(self) -> str:
        return "validate_rating_reason_form"

    async def validate_rating_reason(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        from actions.digression import answer_if_guide_question

        if value is None:  # not said yet (the slot was only cleared): the form asks
            return {"rating_reason": None}
        reason = read_reason(str(value))
        if reason is not None and await answer_if_guide_question(dispatcher, tracker, resumes_form=False):
            return {"rating_reason": ""}
        return {"rating_reason": reason or ""}


class ActionSaveRatingReason(Action):
    def name(self) -> str:
        return "action_save_rating_reason"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        from bot.guide import load_guide

        rating_id, reason = tracker.get_slot("rating_id"), tracker.get_slot("rating_reason")
        done: list[EventType] = [SlotSet("rating_id", None), SlotSet("rating_reason", None)]
        if rating_id is None:
            return done
        if not reason:
            if read_reason(tracker.latest_message.get("text")) is None:  # skipped, not a question answered
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
