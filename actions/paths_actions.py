"""Which repair path applies: gather the facts of one record, explain the result, remind.

Thin: facts come from bot.facts, the questions from bot.dialogue.record_flow, the decision
from bot.rules.engine and the wording from bot.rules.explain."""

from __future__ import annotations

import abc
import datetime as dt
import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.casestore.client import CaseStoreError, CaseStoreRejected
from bot.clock import today
from bot.guide import first as guide_first
from bot.guide import load_guide
from bot.dialogue import record_flow
from bot.dialogue.casestore_access import case_channel, case_store_client
from bot.dialogue.failures import count_failure, hand_over_after_failures, reset_failures
from bot.dialogue.field_help import asks_plainer, field_asked_about, field_help, plain_words, record_question_about
from actions.digression import answer_if_guide_question
from bot.facts import applicant, extract_answer, extract_record_facts
from bot.dialogue.application import SLOT_LABELS, shown_value
from bot.facts.several import split_records
from bot.facts.statement import states_a_record
from bot.dialogue.questions import looks_like_question
from bot.facts.answers import DateValue
from bot.rules.engine import InputError
from bot.rules.inputs import REASONS, RECORD_KEYS, SERVICE_ITEM, SEVERITIES
from bot.dialogue import consent
from bot.rules.explain import details_button, short, zh_date_weekday
from bot.parsing.dates import parse_date
from bot.parsing.identifiers import check_uscc
from bot.parsing.ranges import month_range
from bot.texts import t

logger = logging.getLogger(__name__)

KIND_OF_ITEM = {item: kind for kind, item in SERVICE_ITEM.items()}
# the facts of a record of each kind that may be said while another of its questions is pending
OTHER_FACTS = {"penalty": ("fact_department", "fact_severity", "fact_fulfilled"),
               "abnormal_list": ("fact_department", "fact_reason", "fact_corrected"),
               "serious_list": ("fact_department", "fact_corrected")}
DATE_SLOTS = ("fact_date", "fact_corrected_date")


def _date_said(text: str, tracker: Tracker) -> Dict[Text, Any]:
    """The record's date said beside another answer, when none is known yet: a vague one
    (「今年5月」) counted from its latest day and said back with the verdict (「按最晚的…算」)."""
    said = parse_date(text, today())
    if said is None or said.value > today() or tracker.get_slot("fact_date") is not None:
        return {}
    day = record_flow.latest_day(said.value, said.precision, today())
    out: Dict[Text, Any] = {"fact_date": day.isoformat()}
    if said.precision != "day":
        out["fact_extra"] = {**(tracker.get_slot("fact_extra") or {}), record_flow.DATE_ESTIMATE: out["fact_date"],
                             record_flow.DATE_YEAR: day.year}
    return out


def _heard(out: Dict[Text, Any]) -> str:
    """The facts kept from an answer, said back (「记下了：…」); a vague date as its latest day."""
    estimate = (out.get("fact_extra") or {}).get(record_flow.DATE_ESTIMATE)
    parts = []
    for name, v in out.items():
        if name == "fact_extra":
            continue
        if name == "fact_date":
            key = "facts.heard.fact_date_latest" if v == estimate else "facts.heard.fact_date"
            parts.append(t(key, value=zh_date_weekday(v)))
        else:
            parts.append(t(f"facts.heard.{name}", value=_fact_shown(name, v)))
    return "，".join(parts)


def _facts(tracker: Tracker) -> Dict[str, Any]:
    return {slot: tracker.get_slot(slot) for slot in record_flow.FACT_SLOTS}


def _apply_only() -> "re.Pattern[str]":
    """「开始申请」「我要申请修复」「那就申请嘛」: asking to apply, nothing else (guides/lexicon.yml)."""

    words = load_guide().lexicon.section("apply_request")

    def alt(key: str) -> str:
        return "|".join(re.escape(w) for w in sorted(words[key], key=len, reverse=True))

    return re.compile(f"^(?:{alt('lead')})*(?:{alt('apply')})(?:{alt('suffix')})?(?:{alt('tail')})*$")


def asks_to_apply(tracker: Tracker, value: Any) -> bool:
    """The answer to a form's question is only 「开始申请」 (typed, or its button): the form's
    question stays, with a word why — not 「没听明白」 and the question again in other words."""
    text = re.sub(r"[\s，。！？!?,.~～]+", "", str(value or ""))
    if text.startswith("/start_application"):
        return True
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name") == "start_application" and bool(_apply_only().match(text))


class ActionStartRecord(Action):
    """Start describing a record: take every fact the user's sentence already gives."""

    def name(self) -> Text:
        return "action_start_record"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        about_duty = about_an_open_duty(dispatcher, tracker, text)
        if about_duty is not None:
            return about_duty + [FollowupAction("action_listen")]
        if not states_a_record(text, today()):
            # 「我是法人本人来办」 after a verdict (NLU: inform): the applicant, not a new record
            after_verdict = applicant_after_verdict(dispatcher, tracker, text)
            if after_verdict is not None:
                followed = any(e.get("event") == "followup" for e in after_verdict)
                return after_verdict + ([] if followed else [FollowupAction("action_listen")])
            if follow_up_question(dispatcher, tracker, text):
                return [FollowupAction("action_listen")]
        return start_record(dispatcher, tracker, text)


def about_an_open_duty(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> List[EventType] | None:
    """After 「暂不能申请…请先履行」, whichever action the message reached (the record's start, the
    guide, the guide's fallback when NLU is unsure): 「下个月交清了好久能修」 is answered with the date,
    「昨天交清了」 updates the record and decides again. None: the message is neither."""
    if tracker.active_loop_name or text.startswith("/"):
        return None
    if answer_after_duties(dispatcher, tracker, text) or answer_why_wait(dispatcher, tracker, text):
        return []
    updated = duty_done_update(dispatcher, tracker, text)
    if updated is not None:
        return updated
    # 「不对 是去年11月」 (sixth hand try: read as a new record, NLU check_paths)
    return date_corrected_after_verdict(dispatcher, tracker, text)


def answer_why_wait(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> bool:
    """「为啥子要等那么久 能不能提前」 after 「…起可以申请」: no, and why — the shortest period the rule
    sets, the date it ends, the reminder (fourth hand try: the conditions list, never a plain no)."""
    results = (tracker.get_slot("paths_result") or {}).get("results") or []
    waiting = [r for r in results if r.get("status") == "not_yet" and r.get("earliest_date")]
    if not waiting or not load_guide().lexicon.mentions(text, "earlier_words"):
        return False
    for n, r in enumerate(waiting, 1):
        months = (r.get("periods") or {}).get("min_months")
        dispatcher.utter_message(text=t("chat.paths.no_earlier", months=months,
                                        date=zh_date_weekday(r["earliest_date"])) if months
                                 else t("chat.paths.no_earlier_date", date=zh_date_weekday(r["earliest_date"])),
                                 # the reminder it offers, on this bubble (not only the verdict's above)
                                 buttons=verdict_buttons({"not_yet"}) if n == len(waiting) else [])
    return True


def duty_done_update(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> List[EventType] | None:
    """「交了」「昨天交清了」 after 「暂不能申请…请先履行」: the record updated and decided again
    (bot/dialogue/record_flow.py duty_done) — the user's words are not lost or answered with the
    guide."""
    results = (tracker.get_slot("paths_result") or {}).get("results") or []
    records = tracker.get_slot("records") or []
    if not results or not records or tracker.active_loop_name:
        return None
    updated = record_flow.duty_done(results, records, text, today())
    if updated is None:
        return None
    try:
        result = record_flow.determine_for_records(updated, tracker.get_slot("subject_type"), today())
    except InputError:
        return None
    dispatcher.utter_message(text=t("chat.paths.duty_done") + "\n" + short(result),
                             buttons=verdict_reply_buttons(result))
    return verdict_events(updated, result)


def asks_for_progress(text: str) -> bool:
    """A case number (「查询进度 XF-20261125-19932 1234」) or a progress question (guides/lexicon.yml
    `form_progress_words`)."""
    from bot.dialogue.application import parse_lookup

    return bool(parse_lookup(text)[0]) or load_guide().lexicon.mentions(text, "form_progress_words")


def answer_after_duties(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> bool:
    """「那我下个月交清了 好久能修」 after 「暂不能申请…请先履行」: when it can be repaired once done
    (bot/dialogue/record_flow.py after_duties), not the guide's general table of periods."""
    results = (tracker.get_slot("paths_result") or {}).get("results") or []
    said = record_flow.after_duties(results, text, today()) if results and not tracker.active_loop_name else []
    for line in said:
        dispatcher.utter_message(text=line)
    return bool(said)


def follow_up_question(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> bool:
    """「那我下个月交清了 好久能修」「那我还要申请不」 right after a verdict (NLU: check_paths): a
    question about the record just decided, answered from the guide for its item and department —
    the intake does not start again with 「要修复的是哪一类记录？」 (second hand try)."""
    results = (tracker.get_slot("paths_result") or {}).get("results") or []
    if not results or not looks_like_question(text) or extract_record_facts(text, today()).kind:
        return False
    from bot.guide.resolve import respond

    last = results[-1]
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""
    context = {"item": last.get("service_item"), "department": last.get("authority"), "topic": None}
    reply = respond(intent if intent.startswith("ask_") else "nlu_fallback",
                    (tracker.latest_message or {}).get("entities"), context, text, today=today())
    if reply.answer.kind == "refusal":
        return False
    if reply.answer.kind == "suggest" or not reply.answer.text:
        # 「那我还要申请不」「能不能早点」: the verdict again, with how it could change
        dispatcher.utter_message(text=t("chat.paths.as_decided") + "\n" + short(tracker.get_slot("paths_result")))
        return True
    dispatcher.utter_message(text=reply.answer.text)
    return True


def date_corrected_after_verdict(dispatcher: CollectingDispatcher, tracker: Tracker,
                                 text: str) -> List[EventType] | None:
    """「不对 是去年 2025年11月」 right after a verdict (fifth hand try: an objection's guide page,
    and the record said again became a second one): the date of the record just decided (the
    last one) is corrected — a month counts from its last day, said so — and the records are
    decided again. None when the message is not that."""
    result = tracker.get_slot("paths_result") or {}
    records = list(tracker.get_slot("records") or [])
    if not result.get("results") or not records or tracker.active_loop_name \
            or not load_guide().lexicon.mentions(text, "wrong_words") \
            or len(text) > 40 or looks_like_question(text) or tracker.get_slot("case_no"):
        return None
    from bot.parsing.dates import parse_all_dates

    facts = extract_record_facts(text, today())
    last = records[-1]
    if (facts.kind and facts.kind != last.get("kind")) or (facts.department and facts.department != last.get(
            "department")) or load_guide().lexicon.mentions(text, "add_record_words"):
        return None  # 「不对 是经营异常 2025年5月」「另外还有个…」: another record, not this one's date
    # 「去年 2025年11月」: the most precise date said; 「不是2025年3月 是2025年5月」: the last of them
    found = [d for d in parse_all_dates(text, today()) if d.precision in ("day", "month")]
    said = max(found, key=lambda d: (d.precision == "day", d.span[0]), default=None)
    if said is None or said.value > today():
        return None
    index = len(records) - 1
    day = record_flow.latest_day(said.value, said.precision, today())
    records[index] = record_flow.redated(records[index], day.isoformat())
    decided = record_flow.determine_for_records(records, tracker.get_slot("subject_type"), today())
    lines = [t("form.corrected", label=t("form.record_date", n=index + 1), value=zh_date_weekday(day.isoformat()))]
    if said.precision != "day":
        lines.append(t("chat.paths.estimate", date=zh_date_weekday(day.isoformat())))
    lines.append(short(decided))
    dispatcher.utter_message(text="\n".join(lines), buttons=verdict_reply_buttons(decided))
    return verdict_events(records, decided)


def applicant_after_verdict(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> List[EventType] | None:
    """After a path verdict the user types the applicant's details instead of tapping 「开始申请」
    (「我是法人本人来办 我叫刘德明」, the company's name): kept, said back, and the application
    starts with them; when no record can be applied for now, the user is told so, not misread."""
    result = tracker.get_slot("paths_result") or {}
    # a question (「我是法人刘德明 要带啥子材料」) is answered; records already submitted are not offered again
    if not result.get("results") or not tracker.get_slot("records") or looks_like_question(text):
        return None
    more, heard = applicant_heard(text, tracker)
    if not more:
        return None
    events: List[EventType] = [SlotSet(k, v) for k, v in more.items()]
    statuses = {r.get("status") for r in result["results"]}
    if "eligible" in statuses:
        say_heard(dispatcher, more, heard)
        return events + [FollowupAction("application_form")]
    buttons = verdict_buttons(statuses) + [{"title": t("chat.paths.button_add"), "payload": "/add_record"}]
    warning = mistyped_uscc(more)
    said = ([t("chat.paths.nothing_to_apply", facts=heard)] if heard else []) + ([warning] if warning else [])
    for n, text_ in enumerate(said):
        dispatcher.utter_message(text=text_, buttons=buttons if n == len(said) - 1 else None)
    return events


def start_record(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> List[EventType]:
    """The slot events that start describing a record from `text` (every fact it gives, the
    applicant's details in it too: 「我们公司91510100MA6CQ7FW7R 去年遭市场监管局罚了」 keeps the
    code for the application, it is not asked again)."""
    applicant_said, heard = applicant_heard(text, tracker)
    queued = [q for q in (tracker.get_slot("queued_records") or []) if q != text]
    several = split_records(text, today())
    if len(several) > 1:
        # Several records in one message: none is dropped; the first now, the rest queued.
        text, queued = several[0], several[1:] + queued
        dispatcher.utter_message(text=t("facts.several", n=len(several)))
    facts = extract_record_facts(text, today())
    # A year alone (「去年」) is asked for; a month counts from its last day (never too early), said so.
    precisions = facts.precisions()
    year_only = {k for k, p in precisions.items() if p == "year" and k in ("decision_date", "listed_date")}
    raw = facts.to_record()
    year_hint = None
    for key in year_only:
        year_hint = dt.date.fromisoformat(raw.pop(key)).year
    record, estimated = record_flow.pin_imprecise_dates(
        raw, {k: p for k, p in precisions.items() if k not in year_only}, today())
    events: List[EventType] = [SlotSet(slot, None) for slot in record_flow.FACT_SLOTS]
    events.append(SlotSet("form_failures", None))
    item = _entity(tracker, "item")
    kind = record.get("kind") or KIND_OF_ITEM.get(item or "")
    department = record.get("department") or _entity(tracker, "department")
    date = record.get("decision_date") or record.get("listed_date")
    subject_type = tracker.get_slot("subject_type") or facts.subject_type
    department = department or record_flow.default_department(kind, subject_type)
    known = {**record_flow.facts_from_record(record), "fact_kind": kind,
             "fact_department": department, "fact_date": date}
    events += [SlotSet(slot, value) for slot, value in known.items() if value is not None]
    extra = record_flow.extra_of(record)
    if estimated:
        extra[record_flow.DATE_ESTIMATE] = record[estimated[0]]
    if year_hint:
        extra[record_flow.DATE_YEAR] = year_hint
    vague = month_range(text, today()) if not date else None
    if vague:
        # 「税务局罚了款 就是今年六七月份的事」: the range kept for the date's question (it was dropped)
        extra.update(record_flow.range_hint(vague))
    events.append(SlotSet("fact_extra", extra or None))
    if subject_type and not tracker.get_slot("subject_type"):
        events.append(SlotSet("subject_type", subject_type))
        applicant_said.pop("subject_type", None)  # what the record says of the subject stands
    say_heard(dispatcher, applicant_said, heard)
    events += [SlotSet(k, v) for k, v in applicant_said.items()]
    events.append(SlotSet("queued_records", queued or None))
    return events


def _entity(tracker: Tracker, name: str) -> Optional[str]:
    return next(tracker.get_latest_entity_values(name), None)


def verdict_reply_buttons(result: dict) -> List[Dict[Text, Any]]:
    """A verdict's buttons: its next steps, 「再添加一条记录」, 「查看详情」."""
    return verdict_buttons({r["status"] for r in result["results"]}) + [
        {"title": t("chat.paths.button_add"), "payload": "/add_record"},
        details_button() | {"payload": "/ask_path_details"}]


def verdict_events(records: list, result: dict) -> List[EventType]:
    """What a verdict leaves in the conversation: the records, the result, their statuses — and no
    last guide answer, so that 「看不懂」 next is about this verdict."""
    return [SlotSet("records", records), SlotSet("paths_result", result),
            SlotSet("paths_status", [r["status"] for r in result["results"]]),
            SlotSet(guide_first.LAST_SLOT, None)]


def verdict_buttons(statuses: set) -> List[Dict[Text, Any]]:
    """The next steps a path verdict offers: apply now, be reminded (the 「再添加」 and details
    buttons follow)."""
    buttons = []
    if "eligible" in statuses:
        buttons.append({"title": t("chat.paths.button_apply"), "payload": "/start_application"})
    if "not_yet" in statuses:
        buttons.append({"title": t("chat.paths.button_remind"), "payload": "/request_reminder"})
    return buttons


def applicant_heard(text: str, tracker: Tracker) -> tuple[Dict[Text, Any], str]:
    """(the applicant slots a message holds that are not filled yet, the words that say them back).

    A credit code that fails its check (「91510100MA6CQ7FW7S」, one character off) is not taken,
    but kept as typed in `uscc_heard`: the user is told at once (mistyped_uscc) and the
    application form's code question quotes it (action_ask_uscc), so nothing typed is lost."""
    if text.startswith("/"):
        return {}, ""
    mined = applicant.mine_applicant(text)
    more: Dict[Text, Any] = {k: v for k, v in mined.slots().items() if tracker.get_slot(k) is None}
    typed = mined.typed.get("uscc")
    if typed and not mined.uscc and tracker.get_slot("uscc") is None and typed != tracker.get_slot("uscc_heard"):
        more["uscc_heard"] = typed
    if mined.agent_is_legal_rep and tracker.get_slot("agent_name") is None:
        rep = mined.legal_rep or tracker.get_slot("legal_rep")
        if rep:
            more["agent_name"] = rep
        else:
            more["agent_is_legal_rep"] = True  # 「我是老板本人」: asked for the name, not the agent
    parts = [f"{SLOT_LABELS[k]}{shown_value(k, v)}" for k, v in more.items() if k in SLOT_LABELS]
    if more.get("agent_is_legal_rep"):
        parts.append(t("form.heard_same_person"))
    return more, "，".join(parts)


def mistyped_uscc(more: Dict[Text, Any]) -> Optional[str]:
    """What to say of a credit code kept as typed by applicant_heard (None: there is none)."""
    typed = more.get("uscc_heard")
    return t("form.uscc_heard", code=typed, why=check_uscc(typed).reason_zh) if typed else None


def say_heard(dispatcher: CollectingDispatcher, more: Dict[Text, Any], heard: str) -> None:
    """Say back the applicant's details applicant_heard kept, and a credit code that failed."""
    if heard:
        dispatcher.utter_message(text=t("form.also_heard", facts=heard))
    warning = mistyped_uscc(more)
    if warning:
        dispatcher.utter_message(text=warning)


# common questions of how to do what a record's question asks about (guides/faq.yml)
_HOW_TO_TOPICS = ("decision_document", "annual_report_howto")


class FactSlotsValidation(FormValidationAction):
    """Validation of the fact_* slots, shared by the record form and the application form."""

    @abc.abstractmethod
    def name(self) -> Text:
        """Each form's validation action names itself."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        from actions.notice_actions import ActionRate, rates_offered_handoff

        asked = tracker.get_slot("requested_slot")
        said = str(tracker.get_slot(asked) or "") if asked else ""  # the answer, as typed
        if said and asks_to_apply(tracker, said):
            # 「开始申请」 at a question of the record (the application starts with its missing
            # facts) or of the application form: the question is asked again after one line why
            record = (tracker.active_loop or {}).get("name") == "record_form"
            dispatcher.utter_message(text=t("facts.apply_first" if record else "form.applying"))
            return await self._ask_again(asked, [], dispatcher, tracker, domain)
        if said and asks_for_progress(said):
            # 「查询进度 XF-… 1234」「我是查进度」 in the middle of a form (third hand try: read as a
            # date, the agent's name; only 「取消」 got out): looked up, then the question again
            from actions.application_actions import ActionLookupCase

            await ActionLookupCase().run(dispatcher, tracker, domain)
            dispatcher.utter_message(text=t("form.lookup.in_form"))
            return await self._ask_again(asked, [], dispatcher, tracker, domain)
        plain = plain_words(asked) if said and asks_plainer(said) else None
        if plain:
            # 「听不懂」: the question in plainer words; counted, so that the second time a human
            # is offered and the third hands over (bot/dialogue/failures.py)
            before = tracker.get_slot("form_failures")
            failures, help_text = count_failure(before, asked)
            dispatcher.utter_message(text=plain)
            if help_text:
                dispatcher.utter_message(text=help_text)
            events = [SlotSet("form_failures", failures)]
            handed = await hand_over_after_failures(dispatcher, tracker, before, events)
            if handed:
                return [SlotSet(asked, None), *events, *handed]
            return await self._ask_again(asked, events, dispatcher, tracker, domain)
        # 「这个代码在哪看哦」 (a field of the applicant, named or the one asked): where it is found and
        # what it means; 「不晓得 啥子叫失信程度」 (the record's question): that question in plain
        # words. A field named wins: 「代码在哪点看嘛」 at the record-kind question is about the code.
        if said and asked in record_flow.FACT_SLOTS and tracker.get_slot("collecting_record") \
                and tracker.get_slot("records") and load_guide().lexicon.mentions(said, "stop_adding_words"):
            # 「算了 不加了」 while another record is described in the application: no more records
            dispatcher.utter_message(text=t("form.no_more_records"))
            events = [SlotSet("collecting_record", False), SlotSet("fact_extra", None),
                      *[SlotSet(slot, None) for slot in record_flow.FACT_SLOTS]]
            tracker.add_slots(events)
            next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
            return events + ([next_slot] if next_slot else [])
        how_to = guide_first.faq_by_pattern(said, load_guide()) if said and asked in record_flow.FACT_SLOTS else None
        if how_to in _HOW_TO_TOPICS:
            # 「啥子是决定书哦」「还没有 年报咋个补嘛」 at a record's question (fifth hand try: the
            # date's plain words did not say what the document is; the way to file the report was
            # never said): the answer, then the question again — or, when the message also answers
            # it, the form takes that answer
            from bot.guide.answer import faq_answer

            dispatcher.utter_message(text=faq_answer(how_to, guide=load_guide()).text)
            field = record_flow.answer_field(asked, tracker.get_slot("fact_kind"))
            if extract_answer(field, said, today()) is None:
                return await self._ask_again(asked, [], dispatcher, tracker, domain)
        about = field_asked_about(said, asked) if said else None
        help_text = field_help(about) if about else (
            plain_words(asked) if said and record_question_about(said, asked) else None)
        if help_text:
            dispatcher.utter_message(text=help_text)
            return await self._ask_again(asked, [], dispatcher, tracker, domain)
        if asked and rates_offered_handoff(tracker):
            # 「评价」 after a hand-back that resumed this form: rated, then the question asked again
            rated = await ActionRate().run(dispatcher, tracker, domain)
            return await self._ask_again(asked, [e for e in rated if e.get("event") == "slot"],
                                         dispatcher, tracker, domain)
        before = tracker.get_slot("form_failures")  # the validation updates the tracker's slots
        events = await super().run(dispatcher, tracker, domain)
        # the same question failed as often as the guide allows: a help-desk agent takes over
        return events + await hand_over_after_failures(dispatcher, tracker, before, events)

    async def _ask_again(self, asked: str, events: List[EventType], dispatcher: CollectingDispatcher,
                         tracker: Tracker, domain: DomainDict) -> List[EventType]:
        """The answer to `asked` is dropped and the same question comes next: the slot emptied,
        and the form's own next question named (without it Rasa would fall back to the domain's
        static list of slots and ask another form's question)."""
        events = [SlotSet(asked, None), *events]
        tracker.add_slots(events)
        next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
        return events + ([next_slot] if next_slot else [])

    async def after_fact(self, slots: Dict[Text, Any], dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        """Hook: called with the validated slot values; may add more."""
        return slots

    def applicant_in(self, text: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        """Applicant facts said while a record is described (「嗯 我是老板本人 店名叫锦江区王二孃便利店
        电话13912345678」): kept for the application, said back, never asked again."""
        more, heard = applicant_heard(text, tracker)
        say_heard(dispatcher, more, heard)
        return more

    async def _validate(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        if slot in record_flow.FACT_SLOTS:
            more = self.applicant_in(str(value), dispatcher, tracker)
            if more:
                # the applicant's details, not an answer to this question: kept, the question stays
                own = await self._validate_fact(slot, value, dispatcher, tracker, quiet=True)
                return {**more, **own}
        return await self._validate_fact(slot, value, dispatcher, tracker)

    async def _validate_fact(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             quiet: bool = False) -> Dict[Text, Any]:
        if slot == "fact_kind":
            # A whole sentence may answer several questions at once.
            extracted = extract_record_facts(str(value), today())
            facts, _ = record_flow.pin_imprecise_dates(extracted.to_record(), extracted.precisions(), today())
            if facts.get("kind"):
                return await self.after_fact(_slots_from_record(facts, tracker, answering=slot), dispatcher, tracker)
            before = await self._facts_before_kind(str(value), facts, dispatcher, tracker)
            if before is not None:
                return before
        if slot in DATE_SLOTS:
            vague = month_range(str(value), today())
            if vague:
                # 「去年六七月份」: one precise question naming the range, not an error.
                dispatcher.utter_message(text=t("facts.date_range", year=vague.year, first=vague.first,
                                                last=vague.last))
                extra = {**(tracker.get_slot("fact_extra") or {}), **record_flow.range_hint(vague)}
                return {slot: None, "fact_extra": extra}
        parsed = extract_answer(record_flow.answer_field(slot, tracker.get_slot("fact_kind")), str(value), today())
        hinted = (tracker.get_slot("fact_extra") or {}).get(record_flow.DATE_YEAR)
        if slot in DATE_SLOTS and parsed and hinted:
            # 「去年六七月份」 then 「7月15号」: the day is in the year already said. The answer's
            # precision stays: 「去年 记不到几月了」 is a year, counted from its last day, never taken
            # for 1 January (hand try: 「不用办，…已自动停止公示」 for a penalty of late 2025)
            moved = record_flow.in_year_said(str(parsed), str(value), int(hinted))
            if moved != str(parsed):
                parsed = DateValue(dt.date.fromisoformat(moved), getattr(parsed, "precision", "day"))
        estimated: Dict[Text, Any] = {}
        if isinstance(parsed, DateValue):
            # 「去年三月」: count from the period's last day, never too early (and said so).
            precision = parsed.precision
            day = record_flow.latest_day(parsed.date, precision, today())
            parsed = None if day > today() else day.isoformat()
            if parsed and precision != "day" and slot in DATE_SLOTS:
                estimated = {"fact_extra": {**(tracker.get_slot("fact_extra") or {}),
                                            record_flow.DATE_ESTIMATE: parsed,
                                            record_flow.DATE_YEAR: day.year}}
        if parsed is None and slot in DATE_SLOTS and hinted and not month_range(str(value), today()) \
                and consent.read_consent(str(value)).why == "unsure":
            # 「去年」 then 「不晓得」: counted from the year's last day (never too early), and said so;
            # 「今年六七月份」 then 「不晓得哪天」: from the range's last month's end
            last = (tracker.get_slot("fact_extra") or {}).get(record_flow.DATE_RANGE_LAST)
            day = record_flow.latest_day(dt.date.fromisoformat(f"{last}-01"), "month", today()) if last \
                else record_flow.latest_day(dt.date(int(hinted), 1, 1), "year", today())
            extra = {**(tracker.get_slot("fact_extra") or {}), record_flow.DATE_ESTIMATE: day.isoformat()}
            return await self.after_fact({slot: day.isoformat(), "fact_extra": extra,
                                          "form_failures": reset_failures(tracker.get_slot("form_failures"), slot)},
                                         dispatcher, tracker)
        if parsed is None:
            if quiet:
                return {slot: None}
            other = self._other_facts(slot, value, dispatcher, tracker)
            if other:
                return {slot: None, **other}  # 「罚款早就交了」 at the date question: kept, the date asked again
            better = self._better_date(slot, value, tracker)
            if better:
                # 「去年七月份」 was taken as the month's last day; 「7月15号」 now is that day
                dispatcher.utter_message(text=t("chat.paths.date_now", date=zh_date_weekday(better)))
                extra = {k: v for k, v in (tracker.get_slot("fact_extra") or {}).items()
                         if k != record_flow.DATE_ESTIMATE}
                return {slot: None, "fact_date": better, "fact_extra": extra or None}
            if await answer_if_guide_question(dispatcher, tracker):
                return {slot: None}
            dispatcher.utter_message(text=t(f"facts.invalid.{slot}"))
            failures, help_text = count_failure(tracker.get_slot("form_failures"), slot)
            if help_text:
                dispatcher.utter_message(text=help_text)
            return {slot: None, "form_failures": failures}
        result: Dict[Text, Any] = {slot: parsed, "form_failures": reset_failures(tracker.get_slot("form_failures"), slot),
                                   **estimated}
        if slot == "fact_department" and parsed == "other":
            # 「交通运输局」: none of the seven departments, but the application names it
            said = extract_record_facts(str(value), today()).authority_name
            if said:
                result["fact_extra"] = {**(tracker.get_slot("fact_extra") or {}), "authority_name": said}
        if slot != "fact_kind" and not quiet:
            # 「2026年3月10日罚的 2万 已经交了 一般失信」 at the date: the rest is kept too, never asked
            result.update({k: v for k, v in self._other_facts(slot, value, dispatcher, tracker).items()
                           if k not in result})
        if slot == "fact_kind" and not tracker.get_slot("fact_department"):
            default = record_flow.default_department(parsed, tracker.get_slot("subject_type"))
            if default:
                result["fact_department"] = default
        return await self.after_fact(result, dispatcher, tracker)

    async def _facts_before_kind(self, text: str, facts: Dict[str, Any], dispatcher: CollectingDispatcher,
                                 tracker: Tracker) -> Optional[Dict[Text, Any]]:
        """「一般」「2026年5月6日」「市场监管」 at the kind question, one fact per message (second
        hand try: each was refused as no kind, and the third miss handed over to a human): a grade
        is a penalty's, so the kind is known; a department or a date is kept and said back, and
        the kind asked again without counting a miss. None: nothing of the sort."""
        graded = [kind for kind, keys in RECORD_KEYS.items() if "severity" in keys]
        if facts.get("severity") and len(graded) == 1:  # only one kind of record is graded 轻微/一般/严重
            return await self.after_fact(_slots_from_record({**facts, "kind": graded[0]}, tracker, answering="fact_kind"),
                                         dispatcher, tracker)
        out: Dict[Text, Any] = {}
        if facts.get("department") and tracker.get_slot("fact_department") is None:
            out["fact_department"] = facts["department"]
        out.update(_date_said(text, tracker))
        if not out:
            return None
        dispatcher.utter_message(text=t("form.also_heard", facts=_heard(out)))
        return {"fact_kind": None, **out}

    def _other_facts(self, slot: str, value: Any, dispatcher: CollectingDispatcher,
                     tracker: Tracker) -> Dict[Text, Any]:
        """Facts of this record said while another question is pending (「罚款早就交了」 at the date,
        「好像是市场监管」 after 「民政局还是哪个局」): kept, said back; a department named again
        replaces the one heard before."""
        text = str(value)
        if text.startswith("/"):
            return {}
        kind = tracker.get_slot("fact_kind")
        extracted = extract_record_facts(text, today())
        # the record's kind is known from the form: 「钱早都交清了」 names no kind, but is the fine paid
        found = record_flow.facts_from_record(extracted.to_record(extracted.kind or kind))
        out: Dict[Text, Any] = {}
        for name in OTHER_FACTS.get(kind or "", ()):
            new = found.get(name)
            if new is None or name == slot:
                continue
            if tracker.get_slot(name) is None or (name == "fact_department" and tracker.get_slot(name) != new) \
                    or (name in ("fact_fulfilled", "fact_corrected") and new is True and tracker.get_slot(name) is False):
                # 「交了 昨天交清的」 after 「罚款还莫交」: the news replaces the earlier answer (final review:
                # it was lost, and its day taken for the decision date)
                out[name] = new
        if found.get("fact_date") and slot not in DATE_SLOTS:
            # 「税务局 今年5月」 at the department: the record's date (the reader's judgement, not a
            # paid or corrected day) is kept too — it was asked again
            out.update(_date_said(text, tracker))
        if out:
            dispatcher.utter_message(text=t("form.also_heard", facts=_heard(out)))
        return out

    def _better_date(self, slot: str, value: Any, tracker: Tracker) -> Optional[str]:
        """The exact day, said while another question is pending, of a date that was estimated."""
        extra = tracker.get_slot("fact_extra") or {}
        if slot in DATE_SLOTS or not extra.get(record_flow.DATE_ESTIMATE):
            return None
        # the record's own date as the reader classes it: 「昨天交清的」 is the day it was paid (final review)
        facts = extract_record_facts(str(value), today())
        if facts.date is None or facts.date_precision != "day":
            return None
        parsed = facts.date.isoformat()
        if extra.get(record_flow.DATE_YEAR):
            parsed = record_flow.in_year_said(str(parsed), str(value), int(extra[record_flow.DATE_YEAR]))
        return parsed if dt.date.fromisoformat(str(parsed)) <= today() else None

    async def validate_fact_kind(self, value, dispatcher, tracker, domain):
        return await self._validate("fact_kind", value, dispatcher, tracker)

    async def validate_fact_department(self, value, dispatcher, tracker, domain):
        return await self._validate("fact_department", value, dispatcher, tracker)

    async def validate_fact_date(self, value, dispatcher, tracker, domain):
        return await self._validate("fact_date", value, dispatcher, tracker)

    async def validate_fact_severity(self, value, dispatcher, tracker, domain):
        return await self._validate("fact_severity", value, dispatcher, tracker)

    async def validate_fact_fulfilled(self, value, dispatcher, tracker, domain):
        return await self._validate("fact_fulfilled", value, dispatcher, tracker)

    async def validate_fact_reason(self, value, dispatcher, tracker, domain):
        return await self._validate("fact_reason", value, dispatcher, tracker)

    async def validate_fact_corrected(self, value, dispatcher, tracker, domain):
        return await self._validate("fact_corrected", value, dispatcher, tracker)

    async def validate_fact_corrected_date(self, value, dispatcher, tracker, domain):
        return await self._validate("fact_corrected_date", value, dispatcher, tracker)


class ValidateRecordForm(FactSlotsValidation):
    def name(self) -> Text:
        return "validate_record_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        return record_flow.fact_slots_of_form(
            _facts(tracker), tracker.get_slot("fact_extra"), tracker.get_slot("subject_type"), today()
        )


def _fact_shown(name: str, value: Any) -> str:
    """A record fact as the chat says it back (「市场监管部门」「一般」「已履行」)."""
    if name == "fact_department":
        from bot.guide import load_guide

        return load_guide().department_name(value)
    if name == "fact_severity":
        return SEVERITIES.get(value, str(value))
    if isinstance(value, bool) and name == "fact_corrected":
        return t("facts.heard.corrected_yes") if value else t("facts.heard.corrected_no")
    if isinstance(value, bool):
        return t("facts.heard.yes") if value else t("facts.heard.no")
    return REASONS.get(value, str(value)) if name == "fact_reason" else str(value)


def _slots_from_record(record: Dict[str, Any], tracker: Tracker, answering: str) -> Dict[Text, Any]:
    """Fact slots from an extracted record, keeping what is already known (except the slot
    being answered, which holds the raw answer text)."""
    values = record_flow.facts_from_record(record)
    values["fact_department"] = values["fact_department"] or record_flow.default_department(
        record.get("kind"), tracker.get_slot("subject_type"))
    out: Dict[Text, Any] = {
        k: v for k, v in values.items() if v is not None and (k == answering or tracker.get_slot(k) is None)
    }
    extra = record_flow.extra_of(record)
    if extra:
        out["fact_extra"] = {**(tracker.get_slot("fact_extra") or {}), **extra}
    return out


class ActionAskFactDate(Action):
    """The date's question of both forms. When the year alone was said (「去年罚的」, kept in
    fact_extra), it is said back and only the month and day asked (fourth hand try: the plain
    question after 「去年」 read as if nothing had been heard)."""

    def name(self) -> Text:
        return "action_ask_fact_date"

    async def run(self, dispatcher, tracker, domain) -> List[EventType]:
        year = (tracker.get_slot("fact_extra") or {}).get(record_flow.DATE_YEAR)
        if year:
            dispatcher.utter_message(text=t("facts.ask_date_in_year", year=year))
        else:
            dispatcher.utter_message(response="utter_ask_fact_date")
        return []


class ActionExplainPaths(Action):
    """Add the described record to the list, decide every record, explain, offer next steps."""

    def name(self) -> Text:
        return "action_explain_paths"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        record = record_flow.record_from_facts(_facts(tracker), tracker.get_slot("fact_extra"))
        records = list(tracker.get_slot("records") or []) + [record]
        try:
            result = record_flow.determine_for_records(records, tracker.get_slot("subject_type"), today())
        except InputError as exc:
            # what the user can act on (「…两者矛盾」); a field the engine does not know is our own
            # fault, never shown with its internal name
            shown = [e["message"] for e in exc.errors if not re.search(r"[A-Za-z_]{4,}", e["message"])]
            logger.warning("record refused by the rules engine: %s", exc.errors)
            dispatcher.utter_message(text=t("chat.paths.bad_record", problems="；".join(shown)) if shown
                                     else t("chat.paths.bad_record_unknown"))
            return [SlotSet(slot, None) for slot in record_flow.FACT_SLOTS]
        buttons = verdict_reply_buttons(result)
        queued = tracker.get_slot("queued_records") or []
        if queued:
            # the next record the user already described: one tap sends its own words
            buttons.insert(0, {"title": t("facts.next_record", n=len(records) + 1), "payload": queued[0]})
        # phone-sized: the answer first, one line per record; 「查看详情」 (actions/paths_details.py) the rest
        grades = record_flow.per_grade(result["results"], records, tracker.get_slot("subject_type"), today())
        # 「不清楚」 the grade of the only record: each grade's date instead of 「还要问您…才能判断」
        text = grades.pop(0) if grades and len(records) == 1 else short(result)
        if len(records) > 1:
            # the record just added is named, then one line per record
            text = t("form9b.paths_added", n=len(records), count=len(records)) + "\n" + text
        estimate = (tracker.get_slot("fact_extra") or {}).get(record_flow.DATE_ESTIMATE)
        if estimate:
            text = t("chat.paths.estimate", date=zh_date_weekday(estimate)) + "\n" + text
        dispatcher.utter_message(text=text, buttons=buttons)
        for line in grades:
            dispatcher.utter_message(text=line)  # 「不清楚」 the grade of one of several records
        events: List[EventType] = [SlotSet(slot, None) for slot in record_flow.FACT_SLOTS]
        events += [SlotSet("fact_extra", None), *verdict_events(records, result)]
        # The verdict's context survives for follow-ups (「那要多久？」「要啥材料」).
        if record.get("kind") in SERVICE_ITEM:
            events.append(SlotSet("item", SERVICE_ITEM[record["kind"]]))
        if record.get("department"):
            events.append(SlotSet("department", record["department"]))
        return events


class ActionRequestReminder(Action):
    """双书同达: remind the applicant on the earliest date of every record not yet eligible."""

    def name(self) -> Text:
        return "action_request_reminder"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        from actions.notice_actions import waiting_records

        waiting = waiting_records(tracker)
        if not waiting:
            dispatcher.utter_message(text=t("chat.paths.no_waiting"))
            return []
        channel = case_channel(tracker.get_latest_input_channel())
        client = case_store_client()
        confirmed = []
        try:
            for r in waiting:
                summary = record_flow.reminder_summary(r)
                await client.add_reminder(
                    subject_code=tracker.get_slot("uscc"),
                    remind_on=r["earliest_date"],
                    summary=summary,
                    channel=channel,
                    channel_user_id=tracker.sender_id,
                )
                confirmed.append(zh_date_weekday(r["earliest_date"]))
        except CaseStoreRejected as exc:
            problems = "；".join(d.get("message", "") for d in exc.details)
            dispatcher.utter_message(text=t("chat.paths.remind_rejected", problems=problems))
            return []
        except CaseStoreError:
            dispatcher.utter_message(text=t("chat.paths.remind_unavailable", dates="、".join(
                zh_date_weekday(r["earliest_date"]) for r in waiting)))
            return []
        finally:
            await client.aclose()
        dispatcher.utter_message(text=t("chat.paths.remind_ok_web" if channel == "web" else "chat.paths.remind_ok",
                                        dates="、".join(confirmed)))
        from actions.notice_actions import offer_sms

        offer_sms(dispatcher, channel)
        return []
