"""The single application form (一张表单): collect, validate, summarise, correct, submit, look up.

Thin: every rule and text comes from bot.dialogue.application / record_flow, the guide and the
rules engine; the case store is reached through bot.casestore.client."""

from __future__ import annotations

import re
import uuid
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.digression import answer_if_guide_question
from actions.paths_actions import FactSlotsValidation, _facts
from bot.casestore.caseno import looks_like_case_no
from bot.casestore.client import CaseStoreError, CaseStoreNotFound, CaseStoreRejected, CaseStoreUnavailable
from bot.clock import now, today
from bot.dialogue import application as form
from bot.dialogue import record_flow
from bot.dialogue.casestore_access import agent_lookup_allowed, case_channel, case_store_client
from bot.dialogue.failures import count_failure, reset_failures
from bot.dialogue.field_help import field_asked_about, field_help
from bot.dialogue.questions import looks_like_question
from bot.rules.explain import zh_date_weekday
from bot.dialogue import consent
from bot.facts import applicant, extract_answer, extract_record_facts
from bot.guide.first import human_buttons
from bot.texts import t
from bot.guide import load_guide
from bot.parsing.identifiers import check_mobile, check_uscc, uscc_subject_hint
from bot.rules.explain import short_head

FORM_SLOTS = form.APPLICANT_SLOTS + form.TAIL_SLOTS


def form_state(tracker: Tracker) -> Dict[str, Any]:
    names = FORM_SLOTS + tuple(record_flow.FACT_SLOTS) + ("records", "fact_extra", "collecting_record",
                                                            "commitment_record")
    return {name: tracker.get_slot(name) for name in names}


class ValidateApplicationForm(FactSlotsValidation):
    def name(self) -> Text:
        return "validate_application_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> List[Text]:
        return form.required_slots(form_state(tracker), today())

    # ----- a record finished inside the form: decide it at once --------------------------
    async def after_fact(self, slots: Dict[Text, Any], dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        facts = {**_facts(tracker), **{k: v for k, v in slots.items() if k in record_flow.FACT_SLOTS}}
        extra = slots.get("fact_extra", tracker.get_slot("fact_extra"))
        subject_type = tracker.get_slot("subject_type")
        if record_flow.missing_fact_slots(facts, extra, subject_type, today()):
            return slots
        record = record_flow.record_from_facts(facts, extra)
        records = list(tracker.get_slot("records") or []) + [record]
        result = record_flow.determine_for_records(records, subject_type, today())
        this = result["results"][-1]
        if this["status"] == "eligible":
            dispatcher.utter_message(text=t("form.record_added", n=len(records)))
        else:
            # one short line (third hand try: the whole explanation, ~700 characters, in one bubble)
            key = "form.record_not_now" if this["status"] == "not_yet" else "form.record_not_now_other"
            dispatcher.utter_message(text=t(key, explanation=short_head({"results": [this]})))
        cleared = {slot: None for slot in record_flow.FACT_SLOTS}
        return {**slots, **cleared, "fact_extra": None, "records": records, "paths_result": result,
                "collecting_record": False}

    # ----- applicant fields ----------------------------------------------------------------
    async def _invalid(self, slot: str, message: str, dispatcher: CollectingDispatcher, tracker: Tracker,
                       mined: Any = None, **more: Any) -> Dict[Text, Any]:
        # 「信用代码是91350100M000100Y44嘛」 tries the asked field: an answer to correct, not a question
        tried = mined is not None and slot in mined.invalid
        if not tried and await answer_if_guide_question(dispatcher, tracker):
            return {slot: None, **more}
        dispatcher.utter_message(text=message)
        failures, help_text = count_failure(tracker.get_slot("form_failures"), slot)
        if help_text:
            dispatcher.utter_message(text=help_text)
        return {slot: None, "form_failures": failures, **more}

    def _ok(self, slot: str, value: Any, tracker: Tracker, **more: Any) -> Dict[Text, Any]:
        return {slot: value, "form_failures": reset_failures(tracker.get_slot("form_failures"), slot), **more}

    def _mined(self, slot: str, text: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> tuple[Any, Dict[Text, Any]]:
        """Every applicant fact (and record) in the message, whatever was asked: (the facts,
        slot values for the fields not asked and still empty)."""
        mined = applicant.mine_applicant(text)
        more: Dict[Text, Any] = {}
        for name, value in mined.slots().items():
            if name != slot and tracker.get_slot(name) is None:
                more[name] = value
        # the legal representative's slot holds the raw answer while its own question is answered
        rep = mined.legal_rep or (tracker.get_slot("legal_rep") if slot != "legal_rep" else None)
        if mined.agent_is_legal_rep and rep and slot != "agent_name" and tracker.get_slot("agent_name") is None:
            more["agent_name"] = rep
        elif mined.agent_is_legal_rep and slot != "agent_name" and tracker.get_slot("agent_name") is None:
            more["agent_is_legal_rep"] = True  # the name comes later
        if more:
            # the asked field first, so the applicant sees every fact that was taken
            asked = {slot: getattr(mined, slot)} if getattr(mined, slot, None) else {}
            heard = "，".join(f"{form.SLOT_LABELS[k]}{form.shown_value(k, v)}" for k, v in {**asked, **more}.items()
                             if k in form.SLOT_LABELS)
            if heard:
                dispatcher.utter_message(text=t("form.also_heard", facts=heard))
        for name, why in mined.invalid.items():
            if name != slot and tracker.get_slot(name) is None and name not in more:
                dispatcher.utter_message(text=why)  # 「小张」: said why it was not taken
                if name == "uscc" and mined.typed.get("uscc"):
                    more["uscc_heard"] = mined.typed["uscc"]  # quoted when the code is asked
        more.update(self._record_in(text, dispatcher, tracker))
        return mined, more

    def _record_in(self, text: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        """A record described inside an applicant answer is never dropped: it is added (the
        form then asks what it lacks)."""
        if tracker.get_slot("collecting_record"):
            return {}
        extracted = extract_record_facts(text, today())
        record, _ = record_flow.pin_imprecise_dates(extracted.to_record(), extracted.precisions(), today())
        date = record.get("decision_date") or record.get("listed_date")
        if not record.get("kind") or not date:
            return {}
        for old in tracker.get_slot("records") or []:
            if old.get("kind") == record["kind"] and (old.get("decision_date") or old.get("listed_date")) == date:
                return {}
        values = record_flow.facts_from_record(record)
        values["fact_department"] = values["fact_department"] or record_flow.default_department(
            record.get("kind"), tracker.get_slot("subject_type"))
        out: Dict[Text, Any] = {k: v for k, v in values.items() if v is not None}
        extra = record_flow.extra_of(record)
        out["fact_extra"] = extra or None
        out["collecting_record"] = True
        dispatcher.utter_message(text=t("form.record_heard", record=form.record_line(
            len(tracker.get_slot("records") or []) + 1, record, None)))
        return out

    async def validate_subject_type(self, value, dispatcher, tracker, domain):
        code = extract_answer("subject_type", str(value), today())
        if code is None:
            return await self._invalid("subject_type", t("form.invalid.subject_type"), dispatcher, tracker)
        return self._ok("subject_type", code, tracker)

    async def validate_subject_name(self, value, dispatcher, tracker, domain):
        text = str(value).strip()
        mined, more = self._mined("subject_name", text, dispatcher, tracker)
        name = mined.subject_name or (text if form.is_subject_name(text) else None)
        if not name:
            why = mined.invalid.get("subject_name") or t("form.invalid.subject_name")
            return await self._invalid("subject_name", why, dispatcher, tracker, mined, **more)
        return self._ok("subject_name", name, tracker, **more)

    async def validate_uscc(self, value, dispatcher, tracker, domain):
        text = str(value).strip()
        mined, more = self._mined("uscc", text, dispatcher, tracker)
        if tracker.get_slot("uscc_heard"):
            more["uscc_heard"] = None  # answered now: its own check says what is wrong, if anything
        if mined.uscc:
            more.pop("uscc", None)
            return self._ok("uscc", mined.uscc, tracker, **self._kind_of_code(mined.uscc, dispatcher, tracker, more))
        check = check_uscc(text)
        if check.ok:
            return self._ok("uscc", check.value, tracker, **self._kind_of_code(check.value, dispatcher, tracker, more))
        # why alone: the code's question that follows has the example (not the same example twice)
        typed = mined.typed.get("uscc")
        message = check_uscc(typed).reason_zh if typed else (
            check.reason_zh if re.fullmatch(r"[0-9A-Za-z\s\-]{6,}", text) else t("form.invalid.uscc_none"))
        return await self._invalid("uscc", message, dispatcher, tracker, mined, **more)

    @staticmethod
    def _kind_of_code(code: str, dispatcher: CollectingDispatcher, tracker: Tracker,
                      more: Dict[Text, Any]) -> Dict[Text, Any]:
        """The subject's kind from a valid code's first characters (91 企业, 92 个体工商户, 93 合作社,
        5 社会组织). A kind said before (「是个行业协会」) that the code contradicts is replaced, and
        the applicant told why: a wrong client's code pasted shows up here, not at the department."""
        hint = uscc_subject_hint(code)
        said = more.get("subject_type") or tracker.get_slot("subject_type")
        if hint and said and said != hint:
            dispatcher.utter_message(text=t(
                "form.uscc_kind_differs", prefix=code[:1] if hint == "social_org" else code[:2],
                code_kind=form.shown_value("subject_type", hint), said_kind=form.shown_value("subject_type", said)))
        if hint and (said is None or said != hint):
            more["subject_type"] = hint
        return more

    async def validate_legal_rep(self, value, dispatcher, tracker, domain):
        text = str(value).strip()
        mined, more = self._mined("legal_rep", text, dispatcher, tracker)
        name = mined.legal_rep or (text if form.is_person_name(text) else None)
        if not name and mined.agent_is_legal_rep and mined.agent_name:
            name = mined.agent_name
        if not name:
            # 「刘建华 我是会计我来办 我叫陈静」「我老汉叫杨德明 我叫杨磊」: the other person named is the
            # legal representative (third hand try: dropped, 「请只发法定代表人的姓名」)
            other = applicant.named_first(text)
            name = other if other and other != mined.agent_name else None
        said_self = False
        if not name:
            name, said_self = applicant.bare_name_beside_facts(text)
        if not name:
            why = mined.invalid.get("legal_rep") or applicant.nickname_reason(text) or t("form.invalid.legal_rep")
            return await self._invalid("legal_rep", why, dispatcher, tracker, mined, **more)
        if (said_self or mined.agent_is_legal_rep or tracker.get_slot("agent_is_legal_rep")) \
                and tracker.get_slot("agent_name") is None:
            more["agent_name"] = name  # 「我是老板本人」 said before: not asked for the agent again
        return self._ok("legal_rep", name, tracker, **more)

    async def validate_agent_name(self, value, dispatcher, tracker, domain):
        text = str(value).strip()
        fixed = self._earlier_name_fixed("agent_name", text, dispatcher, tracker)
        if fixed is not None:
            return fixed
        mined, more = self._mined("agent_name", text, dispatcher, tracker)
        if form.means_same_person(text) and tracker.get_slot("legal_rep") and not mined.agent_name:
            return self._ok("agent_name", tracker.get_slot("legal_rep"), tracker, **more)
        name = mined.agent_name or (text if form.is_person_name(text) else None) or applicant.name_doing(text)
        if not name:
            why = mined.invalid.get("agent_name") or applicant.nickname_reason(text) or t("form.invalid.agent_name")
            return await self._invalid("agent_name", why, dispatcher, tracker, mined, **more)
        return self._ok("agent_name", name, tracker, **more)

    async def validate_agent_phone(self, value, dispatcher, tracker, domain):
        text = str(value).strip()
        fixed = self._earlier_name_fixed("agent_phone", text, dispatcher, tracker)
        if fixed is not None:
            return fixed
        mined, more = self._mined("agent_phone", text, dispatcher, tracker)
        if mined.agent_phone:
            return self._ok("agent_phone", mined.agent_phone, tracker, **more)
        check = check_mobile(text)
        if not check.ok:
            # 「没得手机 只有座机028-…」: what to do without one, not 「手机号中有无效字符：没、得…」
            why = t("form.phone_none") if has_no_mobile(text) else check.reason_zh
            return await self._invalid("agent_phone", why, dispatcher, tracker, mined, **more)
        return self._ok("agent_phone", check.value, tracker, **more)

    def _earlier_name_fixed(self, slot: str, text: str, dispatcher: CollectingDispatcher,
                            tracker: Tracker) -> Dict[Text, Any] | None:
        """「不对 是何大民 民族的民」 while the next question is asked (second hand try: 「请只发经办人的
        姓名」, and the wrong legal representative kept): the earlier name is corrected, said back, and
        this question asked again."""
        # the answer being validated sits in its own slot already: not a name taken earlier
        fix = form.earlier_name_corrected(text, {**form_state(tracker), slot: None})
        if fix is None or not fix.slot or not fix.value:
            return None
        dispatcher.utter_message(text=t("form.corrected", label=form.SLOT_LABELS[fix.slot], value=fix.value))
        return {slot: None, fix.slot: fix.value, **{other: fix.value for other in fix.also}}

    # ----- materials, commitment, confirmation -----------------------------------------------
    def _field_changed(self, slot: str, text: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any] | None:
        """「电话打错了，是158…」「那经办人改成法人刘明本人嘛」 at the materials or commitment step:
        an applicant field changed with its new value — taken, and this step asked again (hand
        tries: read as 「不同意」 / a guide question, and the change lost)."""
        reply = form.read_summary_reply(text, form_state(tracker))
        fix = reply.correction
        if reply.answer != "correction" or fix is None or fix.record_index is not None or not fix.slot or not fix.value:
            return None
        values = _apply_correction(fix, dispatcher, tracker)
        values.pop("confirm", None)
        return {**values, slot: None}

    async def validate_materials_confirmed(self, value, dispatcher, tracker, domain):
        changed = self._field_changed("materials_confirmed", str(value), dispatcher, tracker)
        if changed is not None:
            return changed
        if load_guide().lexicon.mentions(str(value), "photo_words") and looks_like_question(str(value)) \
                and not load_guide().lexicon.mentions(str(value), "upload_done_words"):
            dispatcher.utter_message(text=t("form.upload_how"), buttons=_done_button())
            return {"materials_confirmed": None}
        if await answer_if_guide_question(dispatcher, tracker):
            return {"materials_confirmed": None}
        said = form.read_consent(str(value), materials=True)
        if said.answer == consent.NO:
            dispatcher.utter_message(text=t("form.materials.not_yet"))
            return {"materials_confirmed": None}
        if said.answer == consent.UNCLEAR:
            dispatcher.utter_message(text=t("form.materials.unclear"), buttons=_done_button())
            return {"materials_confirmed": None}
        materials = _materials(tracker)
        needed = form.materials_to_upload(materials)
        if not needed:
            return {"materials_confirmed": True}
        try:
            uploaded = await _uploaded_ids(tracker)
        except CaseStoreError:
            dispatcher.utter_message(text=t("form.materials.unreachable"))
            return {"materials_confirmed": None}
        missing = form.missing_uploads(materials, uploaded)
        if missing:
            # a fresh upload page for each (a link works once; a material may have become needed
            # since the list was shown — hand try: the 授权委托书 after the agent was corrected had
            # no link at all, and the user was stuck)
            urls = await _upload_links(_draft_id(tracker), missing)
            lines = [t("form.materials.upload_line", n=n, name=m.name, url=urls[m.id]) if m.id in urls
                     else t("form.materials.upload_line_nolink", n=n, name=m.name)
                     for n, m in enumerate(missing, 1)]
            dispatcher.utter_message(text=t("form.materials.still_missing", names="、".join(m.name for m in missing))
                                     + "\n" + "\n".join(lines))
            return {"materials_confirmed": None}
        return {"materials_confirmed": True}

    async def validate_commitment_accepted(self, value, dispatcher, tracker, domain):
        text = str(value)
        changed = self._field_changed("commitment_accepted", text, dispatcher, tracker)
        if changed is not None:
            return {**changed, "commitment_record": None}
        if load_guide().lexicon.mentions(text, "commitment_public_words") and looks_like_question(text):
            # 「要公开啊？公开到哪点去」「会挂到网上不」: answered; the form asks again, with the buttons
            dispatcher.utter_message(text=t("form.commitment.public"))
            return {"commitment_accepted": None, "commitment_record": None}
        if load_guide().lexicon.mentions(text, "commitment_without_words") and (
                looks_like_question(text) or form.read_consent(text).why == "question"):
            # 「不同意也不行吗」 (fourth hand try: answered with objections and administrative review)
            dispatcher.utter_message(text=t("form.commitment.required"))
            return {"commitment_accepted": None, "commitment_record": None}
        if load_guide().lexicon.mentions(text, "plain_requests") or load_guide().lexicon.mentions(
                text, "cannot_read_words"):
            # 「啥意思 看不懂」 at the commitment: the commitment in plain words (fourth hand try: a
            # general explanation of credit repair); the form asks again, with the buttons. Not
            # understood again (sixth hand try: the same paragraph three times): a person
            plain = t("form.commitment.plain")
            said_before = _said_since_the_question(tracker, plain, t("form.commitment.ask", text="").split("\n")[0])
            if said_before or load_guide().lexicon.mentions(text, "cannot_read_words"):
                dispatcher.utter_message(text=t("guide.plain.again", hotline=load_guide().service["hotline"]),
                                         buttons=list(human_buttons()))
            else:
                dispatcher.utter_message(text=plain)
            return {"commitment_accepted": None, "commitment_record": None}
        said = form.read_consent(text)
        if said.answer == consent.YES and consent.bare_hum(text):
            # 「嗯」 is no undertaking (hand try: after 「我先不承诺」 a 「嗯」 recorded it as accepted)
            said = consent.Consent(consent.UNCLEAR, "bare hum")
        if said.answer == consent.YES and (consent.submits_only(text) or consent.asks_to_submit(text)):
            # 「确认提交」 after 「不同意」: sending the form is not the undertaking (third hand try)
            dispatcher.utter_message(text=t("form.commitment.submit_first"))
            return {"commitment_accepted": None, "commitment_record": None}
        if said.answer == consent.YES:
            # Only an explicit agreement records the commitment: when, and the exact words.
            return {"commitment_accepted": True,
                    "commitment_record": {"accepted_at": now().isoformat(timespec="seconds"), "words": text}}
        if said.answer == consent.UNCLEAR and consent.defers(text):
            # 「这个承诺我要先问下老板」: not a question and not a refusal; nothing recorded
            dispatcher.utter_message(text=t("form9b.ask_later"))  # the form asks again, with the buttons
            return {"commitment_accepted": None, "commitment_record": None}
        if said.answer == consent.UNCLEAR and await answer_if_guide_question(dispatcher, tracker):
            return {"commitment_accepted": None}
        if said.answer == consent.NO:
            dispatcher.utter_message(text=t("form.commitment.refused"), buttons=_commitment_buttons())
        else:  # the form asks again right after, with the buttons
            dispatcher.utter_message(text=t("form.commitment.unclear"))
        return {"commitment_accepted": None, "commitment_record": None}

    async def validate_confirm(self, value, dispatcher, tracker, domain):
        text = str(value)
        if consent.withdraws_commitment(text):
            # 「我没同意承诺哦」「我不同意承诺 先不交」: taken back, nothing submitted, asked again
            dispatcher.utter_message(text=t("form.commitment.withdrawn"))
            return {"confirm": None, "commitment_accepted": None, "commitment_record": None}
        reply = form.read_summary_reply(text, form_state(tracker))
        if reply.answer == consent.YES:
            return {"confirm": True}
        if reply.answer == "correction":
            return _apply_correction(reply.correction, dispatcher, tracker)
        if await answer_if_guide_question(dispatcher, tracker):
            return {"confirm": None}
        key = "form.confirm.not_now" if reply.answer == consent.NO else "form.confirm.unclear"
        dispatcher.utter_message(text=t(key), buttons=_confirm_buttons())
        return {"confirm": None}


def has_no_mobile(text: str) -> bool:
    """「只有座机」「莫得手机」 (guides/lexicon.yml `no_mobile_words`), or a landline number."""
    return (load_guide().lexicon.mentions(text, "no_mobile_words")
            or bool(re.search(r"(?<!\d)0\d{2,3}[-－ ]?\d{7,8}(?!\d)", text)))


def _done_button() -> list[dict]:
    return [{"title": t("form.materials.button_done"), "payload": t("form.payload.done")}]


def _commitment_buttons() -> list[dict]:
    return [{"title": t("form.commitment.button_yes"), "payload": t("form.payload.agree")},
            {"title": t("form.commitment.button_no"), "payload": t("form.payload.disagree")}]


def _said_since_the_question(tracker: Tracker, said: str, question_start: str) -> bool:
    """Whether the bot said `said` since it last asked the question beginning `question_start`."""
    for event in reversed(tracker.events or []):
        text = event.get("text") or "" if event.get("event") == "bot" else ""
        if said in text:
            return True
        if text.startswith(question_start):
            return False
    return False


def _confirm_buttons() -> list[dict]:
    return [{"title": t("form.confirm.button_submit"), "payload": t("form.payload.submit")},
            {"title": t("form.confirm.button_cancel"), "payload": "/cancel"}]


def _apply_correction(fix: form.Correction, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
    """A correction said at the summary: a new value is taken at once (the summary is shown
    again); without one, that field is asked again. Slot values for the form."""
    out: Dict[Text, Any] = {"confirm": None}
    if fix.record_index is not None:
        records = list(tracker.get_slot("records") or [])
        if not 0 <= fix.record_index < len(records):
            dispatcher.utter_message(text=t("form.no_such_record", n=fix.record_index + 1, count=len(records)))
            return out
        if fix.slot == "fact_date" and fix.value:
            records[fix.record_index] = record_flow.redated(records[fix.record_index], fix.value)
            dispatcher.utter_message(text=t("form.corrected", label=t("form.record_date", n=fix.record_index + 1),
                                            value=zh_date_weekday(fix.value)))
            return {**out, "records": records}
        record = records.pop(fix.record_index)
        facts = record_flow.facts_from_record(record)
        slot = fix.slot or "fact_date"
        facts[slot] = None
        if slot == "fact_kind":
            facts = {k: None for k in facts}
        extra = record_flow.extra_of(record)
        dispatcher.utter_message(text=t("form.record_correct", n=fix.record_index + 1))
        return {**out, **facts, "records": records, "fact_extra": extra or None, "collecting_record": True}
    if fix.slot is None:
        dispatcher.utter_message(text=t("form.confirm.which_field"))
        return out
    label = form.SLOT_LABELS[fix.slot]
    if fix.value:
        dispatcher.utter_message(text=t("form.corrected", label=label, value=form.shown_value(fix.slot, fix.value)))
        out[fix.slot] = fix.value
        for other in fix.also:
            out[other] = fix.value
        for other, value in fix.others:
            dispatcher.utter_message(text=t("form.corrected", label=form.SLOT_LABELS[other],
                                            value=form.shown_value(other, value)))
            out[other] = value
        if fix.slot == "uscc" and uscc_subject_hint(fix.value):
            out["subject_type"] = uscc_subject_hint(fix.value)
        return out
    dispatcher.utter_message(text=t("form.correct_again", label=label))
    out[fix.slot] = None
    if fix.slot == "uscc":
        out["subject_type"] = None
    return out


def _eligible(tracker: Tracker) -> tuple[list[dict], list[int]]:
    records = tracker.get_slot("records") or []
    results = form.record_results(records, tracker.get_slot("subject_type"), today())
    return records, form.eligible_indexes(results)


def _materials(tracker: Tracker) -> list[form.MaterialNeed]:
    records, indexes = _eligible(tracker)
    return form.materials_for(records, indexes, state=form_state(tracker))


def _draft_id(tracker: Tracker) -> str:
    return tracker.get_slot("upload_draft_id") or f"chat-{uuid.uuid4().hex[:16]}"


async def _uploads(tracker: Tracker) -> list[dict]:
    draft = tracker.get_slot("upload_draft_id")
    if not draft:
        return []
    client = case_store_client()
    try:
        return await client.draft_uploads(draft)
    finally:
        await client.aclose()


async def _uploaded_ids(tracker: Tracker) -> set[str]:
    return {u["material_id"] for u in await _uploads(tracker) if u.get("material_id")}


async def _upload_links(draft: str, need: list) -> Dict[str, str]:
    """A one-time upload page per material of `need` not uploaded yet to the draft ({} when the
    case store cannot be reached: the lines then say to try again or bring paper)."""
    if not need:
        return {}
    client = case_store_client()
    urls: Dict[str, str] = {}
    try:
        uploaded = {u["material_id"] for u in await client.draft_uploads(draft)}
        for m in need:
            if m.id not in uploaded:
                urls[m.id] = (await client.create_upload_token(draft_id=draft, material_id=m.id))["url"]
    except CaseStoreError:
        return {}
    finally:
        await client.aclose()
    return urls


class ActionAskMaterialsConfirmed(Action):
    """The whole materials list once (with upload links); asked again, one short line."""

    def name(self) -> Text:
        return "action_ask_materials_confirmed"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        materials = _materials(tracker)
        shown = sorted(m.id for m in materials)
        if tracker.get_slot("materials_shown") == shown and tracker.get_slot("upload_draft_id"):
            dispatcher.utter_message(text=t("form.materials.again"), buttons=_done_button())
            return []
        draft = _draft_id(tracker)
        urls = await _upload_links(draft, form.materials_to_upload(materials))
        dispatcher.utter_message(text=form.materials_text(materials, urls, form_state(tracker)),
                                 buttons=_done_button())
        return [SlotSet("upload_draft_id", draft), SlotSet("materials_shown", shown)]


class ActionAskUscc(Action):
    """The credit-code question; it quotes a code typed earlier that failed its check (kept in
    `uscc_heard` by paths_actions.applicant_heard), so the user knows it was read."""

    def name(self) -> Text:
        return "action_ask_uscc"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        typed = tracker.get_slot("uscc_heard")
        kind = form.subject_type_of(form_state(tracker))
        if typed:
            dispatcher.utter_message(text=t("form.ask_uscc_heard", code=typed))
        elif kind in ("social_org", "individual_business", "farmer_coop"):
            # a 协会 has a 登记证书, not a 营业执照 (second hand try); a 个体户 or a 合作社 an example
            # of its own kind (fifth hand try: an enterprise's 91… shown to both)
            dispatcher.utter_message(text=t(f"form.ask_uscc_{kind}"))
        else:
            dispatcher.utter_message(response="utter_ask_uscc")
        return []


class ActionAskApplicationFormFactKind(Action):
    """「要修复的是哪一类记录？」 in the application form. Asked right after 「开始申请」 when none of
    the records the user described can be applied for now (「不用办」「暂不能申请」), it first says so:
    the form otherwise seemed to forget the record and start over (hand try, 2026-12-05)."""

    def name(self) -> Text:
        return "action_ask_application_form_fact_kind"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        records = tracker.get_slot("records") or []
        result = tracker.get_slot("paths_result") or {}
        just_started = (tracker.latest_message.get("intent") or {}).get("name") == "start_application"
        # the verdict just given is in paths_result (set with the records): no need to decide again
        if records and just_started and result.get("results") and not form.eligible_indexes(result["results"]):
            grades = record_flow.per_grade(result["results"], records, tracker.get_slot("subject_type"), today())
            dispatcher.utter_message(text=t("form.none_to_apply_yet", verdict="\n".join(grades) or short_head(result)))
        dispatcher.utter_message(response="utter_ask_fact_kind")
        return []


class ActionAskLegalRep(Action):
    """「法定代表人的姓名是？」, or 「经营者…」 for an individual business."""

    def name(self) -> Text:
        return "action_ask_legal_rep"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        kind = form.subject_type_of(form_state(tracker)) or "unknown"
        dispatcher.utter_message(text=t(f"form.ask_legal_rep.{kind}"))
        return []


def _said_this_turn(tracker: Tracker, text: str) -> bool:
    """The assistant already said `text` since the user's latest message."""
    for event in reversed(list(tracker.events or [])):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot" and event.get("text") == text:
            return True
    return False


class ActionAskCommitmentAccepted(Action):
    def name(self) -> Text:
        return "action_ask_commitment_accepted"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        commitment = load_guide().service["commitment_text"]
        if _said_this_turn(tracker, t("form.commitment.refused")):
            return []  # 「不同意」: the refusal's reply has the buttons already (one bubble, not two)
        if any(e.get("event") == "bot" and commitment in (e.get("text") or "") for e in tracker.events):
            # asked again after a refusal or a question: one short line, not the whole text
            dispatcher.utter_message(text=t("form.commitment.again"), buttons=_commitment_buttons())
            return []
        text = t("form.commitment.ask", text=commitment)
        materials = _materials(tracker)
        if not form.materials_to_upload(materials) and not tracker.get_slot("materials_shown"):
            names = "、".join(m.name for m in materials if m.generated or m.fetched_by_department)
            text = t("form.materials.none", names=names) + "\n" + text
        dispatcher.utter_message(text=text, buttons=_commitment_buttons())
        return [SlotSet("materials_shown", sorted(m.id for m in materials))]


class ActionAskConfirm(Action):
    def name(self) -> Text:
        return "action_ask_confirm"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        records = tracker.get_slot("records") or []
        results = form.record_results(records, tracker.get_slot("subject_type"), today())
        try:
            uploaded = sorted(await _uploaded_ids(tracker))
        except CaseStoreError:
            uploaded = []
        state = form_state(tracker)
        dispatcher.utter_message(text=form.summary_text(state, results, _materials(tracker), uploaded),
                                 buttons=_confirm_buttons())
        return []


class ActionCorrectField(Action):
    """「手机号写错了」「名字不对 就是张德贵」: take the new value, or ask that field again."""

    def name(self) -> Text:
        return "action_correct_field"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        about = field_asked_about(text, tracker.get_slot("requested_slot"))
        if about:  # 「这个代码在哪看哦」 reads like 「代码不对」 to NLU: a question, the form asks again
            dispatcher.utter_message(text=field_help(about))
            return []
        reply = form.read_summary_reply(text, form_state(tracker))
        fix = reply.correction if reply.answer == "correction" else form.parse_correction(text)
        values = _apply_correction(fix, dispatcher, tracker)
        return [SlotSet(k, v) for k, v in values.items()]


class ActionRemoveRecord(Action):
    def name(self) -> Text:
        return "action_remove_record"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        index = form.parse_record_index(text)
        records = list(tracker.get_slot("records") or [])
        # outside a form only right after a verdict (not after submission)
        if index is None or not 0 <= index < len(records) or (
                not tracker.active_loop_name and not tracker.get_slot("paths_result")):
            dispatcher.utter_message(text=t("form.which_record", count=len(records)))
            return []
        records.pop(index)
        if tracker.active_loop_name:
            dispatcher.utter_message(text=t("form.record_removed", n=index + 1))
            return [SlotSet("records", records), SlotSet("confirm", None)]
        # after a verdict, before any form (fifth hand try: 「删除第1条记录」 got a guide page, and a
        # record said again became a second one): removed, and what is left decided again
        from actions.paths_actions import verdict_events, verdict_reply_buttons
        from bot.rules.explain import short

        if not records:
            dispatcher.utter_message(text=t("form.record_removed_none", n=index + 1))
            return [SlotSet("records", None), SlotSet("paths_result", None), SlotSet("paths_status", None)]
        result = record_flow.determine_for_records(records, tracker.get_slot("subject_type"), today())
        dispatcher.utter_message(text=t("form.record_removed", n=index + 1) + "\n" + short(result),
                                 buttons=verdict_reply_buttons(result))
        return verdict_events(records, result)


class ActionCancelApplication(Action):
    def name(self) -> Text:
        return "action_cancel_application"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        if not tracker.active_loop_name and tracker.get_slot("case_no"):
            # 「取消申请」 after submission means the case: withdrawing needs its own confirm.
            dispatcher.utter_message(text=t("chat.withdraw.offer", case_no=tracker.get_slot("case_no")),
                                     buttons=[{"title": t("chat.withdraw.button_offer"),
                                               "payload": "/withdraw_application"}])
            return [ActiveLoop(None)]
        dispatcher.utter_message(response="utter_application_cancelled")
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("confirm", None),
                SlotSet("commitment_accepted", None), SlotSet("commitment_record", None),
                SlotSet("submission_pending", False)]


class ActionSubmitApplication(Action):
    """Submit through the case store; a retry with the same form reuses the idempotency key."""

    def name(self) -> Text:
        return "action_submit_application"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        records, indexes = _eligible(tracker)
        if not indexes:
            dispatcher.utter_message(text=t("form.nothing_to_submit"))
            return [SlotSet("submission_pending", False)]
        channel = case_channel(tracker.get_latest_input_channel())
        client = case_store_client()
        try:
            uploads = await client.draft_uploads(tracker.get_slot("upload_draft_id")) if tracker.get_slot("upload_draft_id") else []
            payload = form.build_payload(form_state(tracker), indexes, uploads, channel, tracker.sender_id)
            case = await client.submit(payload, form.idempotency_key(tracker.sender_id, payload))
        except CaseStoreRejected as exc:
            problems = "；".join(d.get("message", "") for d in exc.details) or str(exc)
            dispatcher.utter_message(text=t("form.rejected", problems=problems))
            return [SlotSet("confirm", None), SlotSet("submission_pending", False)]
        except CaseStoreError:
            dispatcher.utter_message(
                text=t("form.unavailable"),
                buttons=[{"title": t("form.button_resubmit"), "payload": "/resubmit"}],
            )
            return [SlotSet("submission_pending", True)]
        finally:
            await client.aclose()
        dispatcher.utter_message(text=form.submission_reply(case))
        return [
            SlotSet("case_no", case["case_no"]),
            SlotSet("submission_pending", False),
            SlotSet("records", [r for i, r in enumerate(records) if i not in indexes]),
            SlotSet("confirm", None),
            SlotSet("commitment_accepted", None),
            SlotSet("commitment_record", None),
            SlotSet("materials_confirmed", None),
            SlotSet("materials_shown", None),
            SlotSet("upload_draft_id", None),
        ]


class ActionLookupCase(Action):
    """Case number + phone (last 4 digits) shows every item's state; agents need only the number."""

    def name(self) -> Text:
        return "action_lookup_case"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        case_no, phone = form.parse_lookup(text)
        # 「1234」 alone after 「请同时发经办人手机后四位」: the case asked about (it was read as 再见)
        case_no = case_no or (tracker.get_slot("lookup_case_no") if phone else None) or tracker.get_slot("case_no")
        agent = agent_lookup_allowed(tracker.sender_id, text)
        if not case_no:
            # 「XF-20261125-48275 5678」 with a wrong last digit: the number is mistyped, not missing
            if looks_like_case_no(text):
                dispatcher.utter_message(text=t("form.lookup.bad_number"))
            elif load_guide().lexicon.mentions(text, "forgot_words"):  # 「案件号忘了」
                dispatcher.utter_message(text=t("form.lookup.forgot", hotline=load_guide().service["hotline"]))
            else:
                dispatcher.utter_message(text=t("form.lookup.ask"))
            return []
        if not phone and not agent:
            if tracker.get_slot("case_no") == case_no and tracker.get_slot("agent_phone"):
                phone = tracker.get_slot("agent_phone")
            else:
                dispatcher.utter_message(text=t("form.lookup.need_phone", case_no=case_no))
                return [SlotSet("lookup_case_no", case_no)]
        client = case_store_client(agent=agent)
        try:
            case = await client.lookup(case_no, phone=None if agent else phone)
        except CaseStoreNotFound:
            # 「不对不对 尾号是1234」 next is about the same case (fifth hand try: asked for it again)
            dispatcher.utter_message(text=t("form.lookup.not_found"))
            return [SlotSet("lookup_case_no", case_no)]
        except CaseStoreUnavailable:
            dispatcher.utter_message(text=t("form.lookup.unavailable"))
            return []
        except CaseStoreError:
            dispatcher.utter_message(text=t("form.lookup.failed"))
            return []
        finally:
            await client.aclose()
        dispatcher.utter_message(text=form.lookup_reply(case))
        return [SlotSet("lookup_case_no", None)] if tracker.get_slot("lookup_case_no") else []


class ActionCollectAnotherRecord(Action):
    def name(self) -> Text:
        return "action_collect_another_record"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        asked = tracker.get_slot("requested_slot")
        text = tracker.latest_message.get("text") or ""
        if asked in YES_NO_STEPS and not wants_another_record(text):
            # 「核对过了 没问题」 at the summary, misread by NLU: the answer to the question asked, read
            # by the form's own validator (a slot set here would not be validated by the form)
            validate = getattr(ValidateApplicationForm(), f"validate_{asked}")
            slots = await validate(text, dispatcher, tracker, domain)
            return [SlotSet(k, v) for k, v in slots.items()]
        dispatcher.utter_message(text=t("form.another_record"))
        return [SlotSet("collecting_record", True), SlotSet("confirm", None)]


YES_NO_STEPS = ("materials_confirmed", "commitment_accepted", "confirm")


def wants_another_record(text: str) -> bool:
    """The button, or words of adding (guides/lexicon.yml `add_record_words`)."""
    text = text.strip()
    if text.startswith("/"):
        return True
    return load_guide().lexicon.mentions(text, "add_record_words")
