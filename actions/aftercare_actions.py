"""After submission: withdraw a case (「撤回申请」) or correct an applicant field (「名字写错了
咋个改」), each with an explicit confirm read by the one consent reader.

Thin: the case store does the transition and the audit (bot.casestore.client.withdraw /
correct_applicant); the words come from guides/messages.yml."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet

from bot.casestore.client import (
    CaseStoreError,
    CaseStoreNotFound,
    CaseStoreRejected,
    CaseStoreUnavailable,
)
from bot.casestore.caseno import looks_like_case_no
from bot.dialogue import application as form
from bot.dialogue import consent
from bot.dialogue.casestore_access import case_store_client
from bot.dialogue.failures import HELP_AFTER_FAILURES, count_failure, reset_failures
from bot.guide import load_guide
from bot.facts.applicant import mobile_in
from bot.texts import t

AMEND_SLOTS = ("agent_phone", "uscc", "subject_name", "legal_rep", "agent_name")
WITHDRAW_WORDS = consent.WITHDRAW_WORDS
AMEND_WORDS = consent.AMEND_WORDS


def _case_no(tracker: Tracker) -> str | None:
    case_no, _ = form.parse_lookup(tracker.latest_message.get("text") or "")
    return case_no or tracker.get_slot("pending_case_no") or tracker.get_slot("case_no")


def _another_chats_case(tracker: Tracker) -> bool:
    """The case to withdraw or correct was not submitted in this conversation: the case store
    then checks the full phone given at submission, which is asked (it was never asked, and a
    withdrawal from a new chat always failed; fourth hand try)."""
    case_no = tracker.get_slot("pending_case_no")
    return bool(case_no) and case_no != tracker.get_slot("case_no")


def _phone_for(tracker: Tracker) -> str | None:
    return tracker.get_slot("pending_phone") or tracker.get_slot("agent_phone")


def _not_found(tracker: Tracker) -> str:
    if tracker.get_slot("pending_phone"):
        return t("chat.withdraw.not_matched", hotline=load_guide().service["hotline"])
    return t("form.lookup.not_found")


class _CaseAndPhone:
    """The case number and, for another conversation's case, the phone: the first two questions
    of the withdrawal and the correction forms. `ends` is the form's answer slot, set to False to
    end the form without doing anything."""

    ends = ""

    def _case_slots(self, tracker: Tracker) -> List[Text]:
        # the case not yet known: its phone listed too, so that one said with the number is read
        # (sixth hand try: 「XF-… 电话135…」 — the phone asked for again)
        unknown = not tracker.get_slot("pending_case_no")
        return ["pending_case_no", "pending_phone"] if unknown or _another_chats_case(tracker) else ["pending_case_no"]

    async def extract_pending_case_no(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if tracker.get_slot("pending_case_no"):
            return {}
        return {"pending_case_no": _case_no(tracker)}

    async def validate_pending_case_no(self, value, dispatcher, tracker, domain):
        if value and await _state_of(value, tracker.get_slot("pending_phone") or tracker.get_slot("agent_phone")) \
                == "withdrawn":
            # 「确认撤回」 tapped twice (seventh hand try: asked again, and 「不撤回」 answered
            # 「继续办理」 of a case already withdrawn)
            dispatcher.utter_message(text=t("chat.withdraw.already", case_no=value))
            return {"pending_case_no": None, self.ends: False}
        if value:
            return {"pending_case_no": value}
        if tracker.get_slot("requested_slot") != "pending_case_no":
            return {"pending_case_no": None}  # none in this conversation: the form asks for it
        failures = tracker.get_slot("form_failures")
        counts, _ = count_failure(failures, "pending_case_no")
        if looks_like_case_no(tracker.latest_message.get("text") or "") and counts["pending_case_no"] < HELP_AFTER_FAILURES:
            # one character wrong (the last one checks the rest): asked once more, not given up
            dispatcher.utter_message(text=t("chat.withdraw.bad_case_no"))
            return {"pending_case_no": None, "form_failures": counts}
        dispatcher.utter_message(text=t("chat.withdraw.no_case_given", hotline=load_guide().service["hotline"]))
        return {"pending_case_no": None, self.ends: False, "form_failures": reset_failures(failures, "pending_case_no")}

    async def extract_pending_phone(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        # the phone's own question is read by its from_text mapping; here only a phone said with
        # the request (「撤回 XF-20261125-48275 13980001234」)
        if tracker.get_slot("pending_phone") or tracker.get_slot("requested_slot") == "pending_phone":
            return {}
        phone = mobile_in(tracker.latest_message.get("text") or "")
        return {"pending_phone": phone} if phone else {}

    async def validate_pending_phone(self, value, dispatcher, tracker, domain):
        text = str(value or "")
        phone = mobile_in(text)
        failures = tracker.get_slot("form_failures")
        hotline = load_guide().service["hotline"]
        counts, _ = count_failure(failures, "pending_phone")
        if phone and not await _phone_matches(tracker.get_slot("pending_case_no"), phone):
            # checked now, not after 「确定撤回吗？」 was answered (sixth hand try)
            if counts["pending_phone"] >= HELP_AFTER_FAILURES:
                dispatcher.utter_message(text=t("chat.withdraw.no_phone", hotline=hotline))
                return {"pending_phone": None, self.ends: False,
                        "form_failures": reset_failures(failures, "pending_phone")}
            dispatcher.utter_message(text=t("chat.withdraw.phone_not_matched", hotline=hotline))
            return {"pending_phone": None, "form_failures": counts}
        if phone:
            return {"pending_phone": phone, "form_failures": reset_failures(failures, "pending_phone")}
        said = consent.read_consent(text)
        if said.answer == consent.NO or load_guide().lexicon.mentions(text, "forgot_words") \
                or counts["pending_phone"] >= HELP_AFTER_FAILURES:
            dispatcher.utter_message(text=t("chat.withdraw.no_phone", hotline=hotline))
            return {"pending_phone": None, self.ends: False,
                    "form_failures": reset_failures(failures, "pending_phone")}
        dispatcher.utter_message(text=t("chat.withdraw.phone_invalid", hotline=hotline))
        return {"pending_phone": None, "form_failures": counts}


async def _look_up(case_no: str, phone: str) -> tuple[bool | None, dict]:
    """(found: True, False, or None when the case store cannot be asked; the case as its applicant sees it)."""
    client = case_store_client()
    try:
        return True, await client.lookup(case_no, phone=phone)
    except CaseStoreNotFound:
        return False, {}
    except CaseStoreError:
        return None, {}
    finally:
        await client.aclose()


async def _state_of(case_no: str, phone: str | None) -> str | None:
    """The case's state as the case store gives it to its applicant (None when it cannot be asked)."""
    if not phone:
        return None
    found, case = await _look_up(case_no, phone)
    return case.get("state") if found else None


async def _phone_matches(case_no: str | None, phone: str) -> bool:
    """Whether the case store finds `case_no` with this phone (True when it cannot be asked: the
    withdrawal or correction itself is checked again)."""
    if not case_no:
        return True
    found, _ = await _look_up(case_no, phone)
    return found is not False


class ActionAskPendingCaseNo(Action):
    def name(self) -> Text:
        return "action_ask_pending_case_no"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        dispatcher.utter_message(text=t("chat.withdraw.ask_case_no"))
        return []


class ActionAskPendingPhone(Action):
    def name(self) -> Text:
        return "action_ask_pending_phone"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        dispatcher.utter_message(text=t("chat.withdraw.ask_phone", case_no=tracker.get_slot("pending_case_no")))
        return []


def _accepted(exc: CaseStoreError) -> bool:
    return exc.code in ("already_accepted", "accepted", "conflict", "not_withdrawable", "not_amendable") \
        or exc.status == 409


def _problems(exc: CaseStoreError) -> str:
    return "；".join(d.get("message", "") for d in exc.details if isinstance(d, dict)) or exc.message


def _consent_buttons(prefix: str) -> list[dict]:
    return [{"title": t(f"{prefix}.button_yes"), "payload": t("form.payload.agree")},
            {"title": t(f"{prefix}.button_no"), "payload": t("form.payload.disagree")}]


# ----- withdraw ------------------------------------------------------------------------------
class ActionAskWithdrawConfirm(Action):
    def name(self) -> Text:
        return "action_ask_withdraw_confirm"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        case_no = tracker.get_slot("pending_case_no")
        if tracker.get_slot("withdraw_asked"):
            dispatcher.utter_message(text=t("chat.withdraw.unclear", case_no=case_no),
                                     buttons=_consent_buttons("chat.withdraw"))
        else:
            dispatcher.utter_message(text=t("chat.withdraw.ask", case_no=case_no),
                                     buttons=_consent_buttons("chat.withdraw"))
        return [SlotSet("withdraw_asked", True)]


class ValidateWithdrawForm(_CaseAndPhone, FormValidationAction):
    ends = "withdraw_confirm"

    def name(self) -> Text:
        return "validate_withdraw_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> List[Text]:
        if isinstance(tracker.get_slot("withdraw_confirm"), bool):
            return []  # answered (or no case to withdraw): the form ends; raw words are validated first
        return [*self._case_slots(tracker), "withdraw_confirm"]

    async def validate_withdraw_confirm(self, value, dispatcher, tracker, domain):
        if value is False:  # no case found: the form ends without a withdrawal
            return {"withdraw_confirm": False}
        said = consent.read_consent(str(value), agree_words=WITHDRAW_WORDS)
        if said.answer == consent.YES and not consent.bare_hum(str(value)):  # 「嗯」 withdraws nothing
            return {"withdraw_confirm": True}
        if said.answer == consent.NO:
            return {"withdraw_confirm": False}
        return {"withdraw_confirm": None}


class ActionWithdrawCase(Action):
    """The confirmed withdrawal; nothing happens without an explicit yes."""

    def name(self) -> Text:
        return "action_withdraw_case"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        case_no = tracker.get_slot("pending_case_no")
        done: List[EventType] = [SlotSet("pending_case_no", None), SlotSet("withdraw_confirm", None),
                                 SlotSet("withdraw_asked", None), SlotSet("pending_phone", None)]
        if not case_no or tracker.get_slot("withdraw_confirm") is not True:
            if case_no:
                dispatcher.utter_message(text=t("chat.withdraw.kept", case_no=case_no))
            return done
        client = case_store_client()
        try:
            await client.withdraw(case_no, phone=_phone_for(tracker),
                                  conversation_id=tracker.sender_id,
                                  reason=tracker.latest_message.get("text") or "")
        except CaseStoreNotFound:
            dispatcher.utter_message(text=_not_found(tracker))
            return done
        except CaseStoreUnavailable:
            dispatcher.utter_message(text=t("chat.withdraw.unavailable"))
            return done
        except (CaseStoreRejected, CaseStoreError) as exc:
            if _accepted(exc):  # the case store names the department to contact
                dispatcher.utter_message(text=exc.message)
            else:
                dispatcher.utter_message(text=t("chat.withdraw.failed", problems=_problems(exc)))
            return done
        finally:
            await client.aclose()
        dispatcher.utter_message(text=t("chat.withdraw.done", case_no=case_no))
        return done


# ----- correct an applicant field after submission -------------------------------------------
class ValidateAmendForm(_CaseAndPhone, FormValidationAction):
    ends = "amend_confirm"

    def name(self) -> Text:
        return "validate_amend_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> List[Text]:
        if isinstance(tracker.get_slot("amend_confirm"), bool):
            return []  # raw words (from_text) are still to be read by validate_amend_confirm
        return [*self._case_slots(tracker), "amend_change", "amend_confirm"]

    async def extract_amend_change(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        """The field and new value, from the message that asked for the change or a later one."""
        if tracker.get_slot("amend_change") or tracker.get_slot("requested_slot") in (
                "amend_confirm", "pending_phone", "pending_case_no"):
            return {}  # the phone that proves the case is the applicant's is no change of the phone
        text = tracker.latest_message.get("text") or ""
        reply = form.read_summary_reply(text, _applicant(tracker))
        fix = reply.correction if reply.answer == "correction" else None
        if reply.answer == consent.NO and tracker.get_slot("requested_slot") == "amend_change":
            return {"amend_confirm": False}  # 「算了」: nothing is changed
        if fix and fix.slot in AMEND_SLOTS and fix.value:
            return {"amend_change": {"slot": fix.slot, "value": fix.value, "also": list(fix.also),
                                     "others": [list(o) for o in fix.others if o[0] in AMEND_SLOTS]}}
        return {}

    async def validate_amend_confirm(self, value, dispatcher, tracker, domain):
        if value is False:
            return {"amend_confirm": False}
        said = consent.read_consent(str(value), agree_words=AMEND_WORDS)
        if said.answer == consent.YES and consent.bare_hum(str(value)):
            said = consent.Consent(consent.UNCLEAR, "bare hum")
        if said.answer == consent.UNCLEAR:
            change = tracker.get_slot("amend_change") or {}
            dispatcher.utter_message(text=t("chat.amend.unclear", label=form.SLOT_LABELS.get(change.get("slot"), ""),
                                            value=change.get("value")), buttons=_consent_buttons("chat.amend"))
            return {"amend_confirm": None}
        return {"amend_confirm": said.answer == consent.YES}


def _change_words(change: Dict[str, Any]) -> tuple[str, str]:
    """(labels, values) of a change as the chat says it: 「法定代表人、经办人」「王德福、王小军」."""
    pairs = [(change.get("slot"), change.get("value")), *[tuple(o) for o in change.get("others") or []]]
    labels = "、".join(form.SLOT_LABELS.get(slot, "") for slot, _ in pairs)
    return labels, "、".join(str(form.shown_value(slot, value)) for slot, value in pairs)


def _applicant(tracker: Tracker) -> Dict[str, Any]:
    return {s: tracker.get_slot(s) for s in form.APPLICANT_SLOTS}


class ActionAskAmendChange(Action):
    def name(self) -> Text:
        return "action_ask_amend_change"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        dispatcher.utter_message(text=t("chat.amend.ask_field", case_no=tracker.get_slot("pending_case_no")))
        return []


class ActionAskAmendConfirm(Action):
    def name(self) -> Text:
        return "action_ask_amend_confirm"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        label, value = _change_words(tracker.get_slot("amend_change") or {})
        dispatcher.utter_message(
            text=t("chat.amend.confirm", case_no=tracker.get_slot("pending_case_no"), label=label, value=value),
            buttons=_consent_buttons("chat.amend"))
        return []


class ActionAmendCase(Action):
    def name(self) -> Text:
        return "action_amend_case"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        case_no = tracker.get_slot("pending_case_no")
        change = tracker.get_slot("amend_change") or {}
        done: List[EventType] = [SlotSet("pending_case_no", None), SlotSet("amend_change", None),
                                 SlotSet("amend_confirm", None), SlotSet("pending_phone", None)]
        if not case_no or not change.get("slot"):
            return done
        if tracker.get_slot("amend_confirm") is not True:
            dispatcher.utter_message(text=t("chat.amend.kept", case_no=case_no))
            return done
        changes = {field: change["value"] for field in [change["slot"], *change.get("also", [])]}
        changes.update({field: value for field, value in change.get("others") or []})
        client = case_store_client()
        try:
            await client.correct_applicant(case_no, {_API_FIELDS.get(k, k): v for k, v in changes.items()},
                                           phone=_phone_for(tracker),
                                           conversation_id=tracker.sender_id)
        except CaseStoreNotFound:
            dispatcher.utter_message(text=_not_found(tracker))
            return done
        except CaseStoreUnavailable:
            dispatcher.utter_message(text=t("chat.amend.unavailable"))
            return done
        except (CaseStoreRejected, CaseStoreError) as exc:
            dispatcher.utter_message(text=exc.message if _accepted(exc)
                                     else t("chat.amend.failed", problems=_problems(exc)))
            return done
        finally:
            await client.aclose()
        label, value = _change_words(change)
        dispatcher.utter_message(text=t("chat.amend.done", case_no=case_no, label=label, value=value))
        return done + [SlotSet(k, v) for k, v in changes.items()]


# the case store's applicant field names (docs/api.md) for the chat's slots
_API_FIELDS = {"subject_name": "name"}
