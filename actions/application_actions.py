"""The single application form (一张表单): collect, validate, summarise, correct, submit, look up.

Thin: every rule and text comes from bot.dialogue.application / record_flow, the guide and the
rules engine; the case store is reached through bot.casestore.client."""

from __future__ import annotations

import uuid
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.digression import answer_if_guide_question
from actions.paths_actions import FactSlotsValidation, _facts
from bot.casestore.client import CaseStoreError, CaseStoreNotFound, CaseStoreRejected, CaseStoreUnavailable
from bot.clock import today
from bot.dialogue import application as form
from bot.dialogue import record_flow
from bot.dialogue.casestore_access import agent_lookup_allowed, case_channel, case_store_client
from bot.dialogue.failures import count_failure, reset_failures
from bot.facts import extract_answer
from bot.guide import load_guide
from bot.parsing.identifiers import check_mobile, check_uscc, uscc_subject_hint
from bot.rules.explain import explain_record

FORM_SLOTS = form.APPLICANT_SLOTS + form.TAIL_SLOTS


def form_state(tracker: Tracker) -> Dict[str, Any]:
    names = FORM_SLOTS + tuple(record_flow.FACT_SLOTS) + ("records", "fact_extra", "collecting_record")
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
            dispatcher.utter_message(text=f"已加入申请：第{len(records)}条记录现在就可以申请修复。")
        else:
            dispatcher.utter_message(
                text=explain_record(this) + "\n这条记录本次不能一起提交；可以说“到期提醒我”，也可以继续填写其他记录。"
            )
        cleared = {slot: None for slot in record_flow.FACT_SLOTS}
        return {**slots, **cleared, "fact_extra": None, "records": records, "paths_result": result,
                "collecting_record": False}

    # ----- applicant fields ----------------------------------------------------------------
    async def _invalid(self, slot: str, message: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        if await answer_if_guide_question(dispatcher, tracker):
            return {slot: None}
        dispatcher.utter_message(text=message)
        failures, help_text = count_failure(tracker.get_slot("form_failures"), slot)
        if help_text:
            dispatcher.utter_message(text=help_text)
        return {slot: None, "form_failures": failures}

    def _ok(self, slot: str, value: Any, tracker: Tracker, **more: Any) -> Dict[Text, Any]:
        return {slot: value, "form_failures": reset_failures(tracker.get_slot("form_failures"), slot), **more}

    async def validate_subject_type(self, value, dispatcher, tracker, domain):
        code = extract_answer("subject_type", str(value), today())
        if code is None:
            return await self._invalid("subject_type", "请选择主体类型：企业、个体工商户、农民专业合作社或社会组织。", dispatcher, tracker)
        return self._ok("subject_type", code, tracker)

    async def validate_subject_name(self, value, dispatcher, tracker, domain):
        text = str(value).strip()
        if not form.is_subject_name(text):
            return await self._invalid(
                "subject_name", "主体名称应与营业执照或登记证书上的一致，例如“成都某某科技有限公司”“武侯区张三小吃店”。",
                dispatcher, tracker)
        return self._ok("subject_name", text, tracker)

    async def validate_uscc(self, value, dispatcher, tracker, domain):
        check = check_uscc(str(value))
        if not check.ok:
            return await self._invalid("uscc", check.message_zh, dispatcher, tracker)
        more = {}
        hint = uscc_subject_hint(check.value)
        if hint and not tracker.get_slot("subject_type"):
            more["subject_type"] = hint
        return self._ok("uscc", check.value, tracker, **more)

    async def validate_legal_rep(self, value, dispatcher, tracker, domain):
        text = str(value).strip()
        if not form.is_person_name(text):
            return await self._invalid("legal_rep", "请填写法定代表人（负责人、经营者）的姓名，例如“张三”。", dispatcher, tracker)
        return self._ok("legal_rep", text, tracker)

    async def validate_agent_name(self, value, dispatcher, tracker, domain):
        text = str(value).strip()
        if form.means_same_person(text) and tracker.get_slot("legal_rep"):
            return self._ok("agent_name", tracker.get_slot("legal_rep"), tracker)
        if not form.is_person_name(text):
            return await self._invalid("agent_name", "请填写经办人姓名，例如“李四”；如果是法定代表人本人办理，回复“本人”。", dispatcher, tracker)
        return self._ok("agent_name", text, tracker)

    async def validate_agent_phone(self, value, dispatcher, tracker, domain):
        check = check_mobile(str(value))
        if not check.ok:
            return await self._invalid("agent_phone", check.message_zh, dispatcher, tracker)
        return self._ok("agent_phone", check.value, tracker)

    # ----- materials, commitment, confirmation -----------------------------------------------
    async def validate_materials_confirmed(self, value, dispatcher, tracker, domain):
        if await answer_if_guide_question(dispatcher, tracker):
            return {"materials_confirmed": None}
        if form.read_yes_no(str(value)) is False:
            dispatcher.utter_message(text="好的，上传完成后回复“好了”继续；需要帮助可以说“转人工”。")
            return {"materials_confirmed": None}
        materials = _materials(tracker)
        needed = form.materials_to_upload(materials)
        if not needed:
            return {"materials_confirmed": True}
        try:
            uploaded = await _uploaded_ids(tracker)
        except CaseStoreError:
            dispatcher.utter_message(text="案件系统暂时连不上，无法确认上传的材料。您填写的信息都保留着，请稍后回复“好了”再试。")
            return {"materials_confirmed": None}
        missing = form.missing_uploads(materials, uploaded)
        if missing:
            dispatcher.utter_message(
                text="还缺以下必需材料，请一次上传齐：" + "；".join(f"{m.name}（{m.description}）" for m in missing)
            )
            return {"materials_confirmed": None}
        return {"materials_confirmed": True}

    async def validate_commitment_accepted(self, value, dispatcher, tracker, domain):
        if await answer_if_guide_question(dispatcher, tracker):
            return {"commitment_accepted": None}
        if form.read_yes_no(str(value)) is True:
            return {"commitment_accepted": True}
        dispatcher.utter_message(text="信用修复需要作出信用承诺后才能提交。同意请回复“同意”；不想继续可以说“取消”。")
        return {"commitment_accepted": None}

    async def validate_confirm(self, value, dispatcher, tracker, domain):
        text = str(value)
        if form.read_yes_no(text) is True:
            return {"confirm": True}
        if await answer_if_guide_question(dispatcher, tracker):
            return {"confirm": None}
        dispatcher.utter_message(text="请回复“确认提交”；要修改请直接说要改哪一项，例如“手机号写错了”。")
        return {"confirm": None}


def _eligible(tracker: Tracker) -> tuple[list[dict], list[int]]:
    records = tracker.get_slot("records") or []
    results = form.record_results(records, tracker.get_slot("subject_type"), today())
    return records, form.eligible_indexes(results)


def _materials(tracker: Tracker) -> list[form.MaterialNeed]:
    records, indexes = _eligible(tracker)
    return form.materials_for(records, indexes)


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


class ActionAskMaterialsConfirmed(Action):
    def name(self) -> Text:
        return "action_ask_materials_confirmed"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        materials = _materials(tracker)
        draft = _draft_id(tracker)
        urls: Dict[str, str] = {}
        need = form.materials_to_upload(materials)
        if need:
            client = case_store_client()
            try:
                uploaded = {u["material_id"] for u in await client.draft_uploads(draft)}
                for m in need:
                    if m.id not in uploaded:
                        urls[m.id] = (await client.create_upload_token(draft_id=draft, material_id=m.id))["url"]
            except CaseStoreError:
                urls = {}
            finally:
                await client.aclose()
        dispatcher.utter_message(
            text=form.materials_text(materials, urls),
            buttons=[{"title": "好了，继续", "payload": "好了"}],
        )
        return [SlotSet("upload_draft_id", draft)]


class ActionAskCommitmentAccepted(Action):
    def name(self) -> Text:
        return "action_ask_commitment_accepted"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        text = load_guide().service["commitment_text"]
        dispatcher.utter_message(
            text=f"最后一步，请阅读并确认信用承诺：\n{text}",
            buttons=[{"title": "同意并承诺", "payload": "同意"}, {"title": "不同意", "payload": "不同意"}],
        )
        return []


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
        dispatcher.utter_message(
            text=form.summary_text(state, results, _materials(tracker), uploaded),
            buttons=[{"title": "确认提交", "payload": "确认提交"}, {"title": "取消申请", "payload": "/cancel"}],
        )
        return []


class ActionCorrectField(Action):
    """「手机号写错了」「改一下第2条记录的日期」: clear that field so the form asks it again."""

    def name(self) -> Text:
        return "action_correct_field"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        fix = form.parse_correction(text)
        events: List[EventType] = [SlotSet("confirm", None)]
        records = list(tracker.get_slot("records") or [])
        if fix.record_index is not None:
            if not 0 <= fix.record_index < len(records):
                dispatcher.utter_message(text=f"没有第{fix.record_index + 1}条记录。目前共有{len(records)}条。")
                return events
            record = records.pop(fix.record_index)
            facts = record_flow.facts_from_record(record)
            slot = fix.slot or "fact_date"
            facts[slot] = None
            if slot == "fact_kind":
                facts = {k: None for k in facts}
            events += [SlotSet(k, v) for k, v in facts.items()]
            extra = record_flow.extra_of(record)
            events += [SlotSet("records", records), SlotSet("fact_extra", extra or None), SlotSet("collecting_record", True)]
            dispatcher.utter_message(text=f"好的，修改第{fix.record_index + 1}条记录。")
            return events
        if fix.slot is None:
            dispatcher.utter_message(
                text="要修改哪一项？可以说：主体名称、信用代码、法定代表人、经办人、手机号，或“第1条记录的日期”。"
            )
            return events
        events.append(SlotSet(fix.slot, None))
        if fix.slot == "uscc" and not tracker.get_slot("subject_type"):
            events.append(SlotSet("subject_type", None))
        dispatcher.utter_message(text=f"好的，重新填写{form.SLOT_LABELS[fix.slot]}。")
        return events


class ActionRemoveRecord(Action):
    def name(self) -> Text:
        return "action_remove_record"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        index = form.parse_record_index(text)
        records = list(tracker.get_slot("records") or [])
        if index is None or not 0 <= index < len(records):
            dispatcher.utter_message(text=f"请说明删除第几条记录，目前共有{len(records)}条。")
            return []
        records.pop(index)
        dispatcher.utter_message(text=f"已删除第{index + 1}条记录。")
        return [SlotSet("records", records), SlotSet("confirm", None)]


class ActionCancelApplication(Action):
    def name(self) -> Text:
        return "action_cancel_application"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        dispatcher.utter_message(response="utter_application_cancelled")
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("confirm", None),
                SlotSet("commitment_accepted", None), SlotSet("submission_pending", False)]


class ActionSubmitApplication(Action):
    """Submit through the case store; a retry with the same form reuses the idempotency key."""

    def name(self) -> Text:
        return "action_submit_application"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        records, indexes = _eligible(tracker)
        if not indexes:
            dispatcher.utter_message(text="目前没有可以提交的记录。先告诉我您的记录情况吧。")
            return [SlotSet("submission_pending", False)]
        channel = case_channel(tracker.get_latest_input_channel())
        client = case_store_client()
        try:
            uploads = await client.draft_uploads(tracker.get_slot("upload_draft_id")) if tracker.get_slot("upload_draft_id") else []
            payload = form.build_payload(form_state(tracker), indexes, uploads, channel, tracker.sender_id)
            case = await client.submit(payload, form.idempotency_key(tracker.sender_id, payload))
        except CaseStoreRejected as exc:
            problems = "；".join(d.get("message", "") for d in exc.details) or str(exc)
            dispatcher.utter_message(text=f"案件系统没有接收这份申请，请修改后再提交：{problems}")
            return [SlotSet("confirm", None), SlotSet("submission_pending", False)]
        except CaseStoreError:
            dispatcher.utter_message(
                text="抱歉，信用修复案件系统暂时连不上，申请还没有提交。您填写的信息都已保留，"
                "稍后回复“重新提交”即可，不会重复提交。",
                buttons=[{"title": "重新提交", "payload": "/resubmit"}],
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
            SlotSet("materials_confirmed", None),
            SlotSet("upload_draft_id", None),
        ]


class ActionLookupCase(Action):
    """Case number + phone (last 4 digits) shows every item's state; agents need only the number."""

    def name(self) -> Text:
        return "action_lookup_case"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        case_no, phone = form.parse_lookup(text)
        case_no = case_no or tracker.get_slot("case_no")
        agent = agent_lookup_allowed(tracker.sender_id, text)
        if not case_no:
            dispatcher.utter_message(text="请发送案件号和经办人手机号后四位，例如“查询进度 XF-20261125-48275 1234”。")
            return []
        if not phone and not agent:
            if tracker.get_slot("case_no") == case_no and tracker.get_slot("agent_phone"):
                phone = tracker.get_slot("agent_phone")
            else:
                dispatcher.utter_message(text=f"为保护信息安全，请同时发送经办人手机号后四位，例如“{case_no} 1234”。")
                return []
        client = case_store_client(agent=agent)
        try:
            case = await client.lookup(case_no, phone=None if agent else phone)
        except CaseStoreNotFound:
            dispatcher.utter_message(text="没有找到这个案件，请核对案件号和手机号后四位。")
            return []
        except CaseStoreUnavailable:
            dispatcher.utter_message(text="案件系统暂时连不上，请稍后再查询。")
            return []
        except CaseStoreError:
            dispatcher.utter_message(text="查询没有成功，请核对案件号和手机号后四位。")
            return []
        finally:
            await client.aclose()
        dispatcher.utter_message(text=form.lookup_reply(case))
        return []


class ActionCollectAnotherRecord(Action):
    def name(self) -> Text:
        return "action_collect_another_record"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        dispatcher.utter_message(text="好的，再添加一条记录。")
        return [SlotSet("collecting_record", True), SlotSet("confirm", None)]
