"""Thin Rasa actions over bot/guide: answer a guide question, the help-desk lookup and the
retrieval fallback. All logic lives in bot.guide.resolve.respond(), which bot.eval_guide also
uses, so what is evaluated is what users get."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.digression import answer_second_question
from actions.paths_actions import about_an_open_duty, applicant_after_verdict, start_record
from bot import clock
from bot.dialogue.questions import looks_like_question
from bot.facts import extract_record_facts
from bot.facts.applicant import mine_applicant
from bot.facts.several import split_records
from bot.dialogue.field_help import field_asked_about, field_help
from bot.guide import first as guide_first
from bot.guide.answer import Answer
from bot.guide.loader import load_guide
from bot.facts.statement import asks_about_own_record, states_a_record
from bot.guide.resolve import FALLBACK_INTENT, respond
from bot.texts import t

logger = logging.getLogger(__name__)
# what the guide reads of the conversation as it was before the latest message (paths_result: the
# verdict, which 「看不懂」 right after it asks about)
GUIDE_SLOTS = ("item", "department", "topic", "guide_last", "paths_result")


def today() -> dt.date:
    """The date rules are applied on (the project's one clock; tests pin ASSISTANT_TODAY)."""
    return clock.today()


def slots_before_latest_message(tracker: Tracker) -> Dict[Text, Any]:
    """item/department/topic as they were before the latest user message (entity mappings may
    already have overwritten the slots with what this message says)."""
    values: Dict[Text, Any] = {}
    pending: Dict[Text, Any] = {}
    for event in tracker.events:
        kind = event.get("event")
        if kind == "user":
            values.update(pending)
            pending = {}
        elif kind == "slot" and event.get("name") in GUIDE_SLOTS:
            pending[event["name"]] = event.get("value")
        elif kind in ("restart", "session_started"):
            values, pending = {}, {}
    if not any(e.get("event") == "user" for e in tracker.events):
        # A tracker without events (e.g. built by hand): fall back to the current slots.
        return {k: tracker.get_slot(k) for k in GUIDE_SLOTS}
    return values


def _latest(tracker: Tracker) -> tuple[str | None, list, str, float]:
    msg = tracker.latest_message or {}
    intent = (msg.get("intent") or {}).get("name")
    confidence = (msg.get("intent") or {}).get("confidence") or 0.0
    return intent, list(msg.get("entities") or []), msg.get("text") or "", confidence


def _elder(tracker: Tracker) -> bool:
    """The website widget's 大字 (elder) mode asks for plain words (metadata.elder)."""
    return ((tracker.latest_message or {}).get("metadata") or {}).get("elder") is True


def _send(dispatcher: CollectingDispatcher, answer: Answer, elder: bool = False, failed: bool = False,
          form_follows: bool = False) -> None:
    text = answer.text
    if elder and answer.plain and answer.plain != answer.text:
        text = t("guide.elder_plain", plain=answer.plain)
    buttons = [dict(b) for b in answer.buttons]
    if form_follows:
        # the record's questions come next: no offer to narrow down that would ask them twice
        offers = {t("guide.offer_department"), t("guide.offer_item"), t("guide.more")}
        text = "\n".join(line for line in text.split("\n") if line not in offers)
        buttons = []
    extra = {"failed_answer": True} if failed else {}  # counted by bot/dialogue/auto_handoff.py
    dispatcher.utter_message(text=text, buttons=buttons, **extra)


def _own_listing(text: str) -> bool:
    """「说我上了啥子异常名录」「我们店被列了个啥子名录」: someone's own listing, reported with doubt — a
    word of the speaker (record_statement.own_words) and a list verb (list_verbs, listed_into)."""
    lexicon = load_guide().lexicon
    return any(w in text for w in lexicon.section("record_statement")["own_words"]) and (
        lexicon.mentions(text, "list_verbs") or lexicon.mentions(text, "listed_into"))


def _plainer_again(tracker: Tracker, intent: str | None, text: str) -> bool:
    """「还是不懂」 when the last reply was already the plain words: plainer words do not exist, a
    person does (the rule: plainer words, then a human)."""
    guide = load_guide()
    if guide.lexicon.mentions(text, "cannot_read_words"):
        return True  # 「字都认不到」: a person, at once
    if intent != "ask_plain" and not guide_first.is_plain_request(text, guide):
        return False
    last = next((e.get("text") or "" for e in reversed(tracker.events or []) if e.get("event") == "bot"), "")
    return last.rstrip().endswith(t("guide.plain.tail"))


def _slot_events(values: Dict[Text, Any]) -> List[EventType]:
    return [SlotSet(k, v) for k, v in values.items() if k in GUIDE_SLOTS]


def _answer(dispatcher: CollectingDispatcher, intent: str, entities, slots, text: str,
            elder: bool = False, outcome: dict | None = None, form_follows: bool = False) -> List[EventType]:
    """Send the guide's answer; on any failure a Chinese apology with the hotline, never silence."""
    try:
        reply = respond(intent, entities, slots, text, today=today(), guide=load_guide())
    except Exception:
        logger.exception("guide answer failed")
        service = load_guide().service
        dispatcher.utter_message(text=f"抱歉，暂时无法查询办事指引，请稍后再试，或拨打{service['hotline']}咨询。")
        return []
    if outcome is not None:
        outcome["kind"] = reply.answer.kind
    _send(dispatcher, reply.answer, elder, failed=outcome is not None and reply.answer.kind == "suggest",
          form_follows=form_follows and reply.answer.kind != "suggest")  # suggestions keep their buttons
    return _slot_events(reply.slots)


def _taken_up_again(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> List[EventType] | None:
    """What both guide actions check first, outside a form: the record's open duty (「交了」「下个月
    交清了好久能修」「能不能提前」), the date of the record just decided corrected (「不对 是2025年11月」)
    and the cancelled application taken up again (「还是办嘛」)."""
    about_duty = about_an_open_duty(dispatcher, tracker, text)  # and a date corrected after a verdict
    if about_duty is not None:
        return about_duty
    if not tracker.active_loop_name and resumes_application(tracker, text):
        return [FollowupAction("application_form")]
    return None


def resumes_application(tracker: Tracker, text: str) -> bool:
    """「还是办嘛 刚才说错了」 after 「不办了」: the application taken up again with what it kept
    (guides/lexicon.yml `resume_application_words`; fourth hand try: 「抱歉，我没太明白」)."""
    if text.startswith("/") or tracker.get_slot("case_no") or not tracker.get_slot("records"):
        return False
    words = load_guide().lexicon.section("resume_application_words")
    return any(w in text for w in words)


def _says_bank_credit(text: str) -> bool:
    """The message uses a word of the bank credit report (guides/faq.yml personal_credit_report
    keywords: 征信, 信用卡, …)."""
    topic = load_guide().faq_topics.get("personal_credit_report") or {}
    return any(w in text for w in topic.get("keywords") or [])


def _record_called_bank_credit(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> List[EventType]:
    """「我征信上有个记录 是去年6月税务局罚的款」: a department's record, called 征信 — not the bank's
    credit report (it got the 人民银行 card, and the record was never taken down): said so, then
    the record's facts are taken down."""
    dispatcher.utter_message(text=t("guide.public_not_bank_credit"))
    return start_record(dispatcher, tracker, text) + [FollowupAction("record_form")]


class ActionAnswerGuide(Action):
    """Answer a question from the guide by (item, department, topic), using the conversation
    for what the message leaves out; ask one short question when the item is unclear."""

    def name(self) -> Text:
        return "action_answer_guide"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        intent, entities, text, _ = _latest(tracker)
        about = field_asked_about(text, None) if not text.startswith("/") else None
        if about:
            # 「代码在哪看」「经办人是啥意思」 before any form: where it is, what it means (second hand
            # try: read as a withdrawal, 「请发要撤回的案件号」)
            dispatcher.utter_message(text=field_help(about))
            return []
        if _plainer_again(tracker, intent, text):
            dispatcher.utter_message(text=t("guide.plain.again", hotline=load_guide().service["hotline"]),
                                     buttons=list(guide_first.human_buttons()))
            return []
        own = not tracker.active_loop_name and not text.startswith("/")
        taken_up = _taken_up_again(dispatcher, tracker, text)
        if taken_up is not None:
            return taken_up
        if own and states_a_record(text, today()):
            # 「我们屋头那个小卖部遭列进经营异常了」: the user's own record, not a question
            return start_record(dispatcher, tracker, text) + [FollowupAction("record_form")]
        if own:
            # 「我是法人本人来办 我叫刘德明」 after a verdict, whatever the NLU made of it
            after_verdict = applicant_after_verdict(dispatcher, tracker, text)
            if after_verdict is not None:
                return after_verdict
        mine = own and asks_about_own_record(text, today())
        if mine and len(split_records(text, today())) > 1:
            # 「我去年遭罚了，环保局罚的，还有个年报没报上了经营异常，两个都想修复咋个整」: the records
            # one by one; one guide page for both would mix them (an abnormal list 「by 环保局」)
            return start_record(dispatcher, tracker, text) + [FollowupAction("record_form")]
        if mine and _says_bank_credit(text):
            return _record_called_bank_credit(dispatcher, tracker, text)
        events = _answer(dispatcher, intent, entities, slots_before_latest_message(tracker), text,
                         elder=_elder(tracker), form_follows=mine)
        if not mine:
            answer_second_question(dispatcher, text, intent,
                                   {k: tracker.get_slot(k) for k in ("item", "department", "topic")})
        if mine:
            # 「…遭列进经营异常了 年报忘求了报 咋个整嘛」: answered first, then that record's facts
            # are taken down (what it said is kept, only what is missing is asked)
            return events + start_record(dispatcher, tracker, text) + [FollowupAction("record_form")]
        return events


class ActionAgentLookup(Action):
    """Help-desk lookup: `/查 税务 严重失信 材料` -> the whole guide card."""

    def name(self) -> Text:
        return "action_agent_lookup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        _, entities, text, _ = _latest(tracker)
        _answer(dispatcher, "agent_lookup", entities, {}, text)
        return []


class ActionGuideFallback(Action):
    """NLU is unsure: full-text retrieval over the guide. A clear best match is answered (with
    the next closest as buttons); otherwise the closest topics are offered as buttons."""

    def name(self) -> Text:
        return "action_guide_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        _, entities, text, _ = _latest(tracker)
        taken_up = _taken_up_again(dispatcher, tracker, text)  # 「昨天交清了撒」 after 「请先履行」
        if taken_up is not None:
            return taken_up
        if states_a_record(text, today()):
            # NLU was unsure, but the user is telling us about their own record: gather its facts.
            return start_record(dispatcher, tracker, text) + [FollowupAction("record_form")]
        after_verdict = applicant_after_verdict(dispatcher, tracker, text)
        if after_verdict is not None:
            return after_verdict
        if tracker.get_slot("case_no") and not tracker.active_loop_name and mine_applicant(text).agent_phone \
                and load_guide().lexicon.mentions(text, "phone_changed_words") and not looks_like_question(text):
            # 「电话换了哈 新的是136…」 after submission (seventh hand try: 「没太明白」): the change, confirmed first
            return [FollowupAction("amend_form")]
        if load_guide().lexicon.mentions(text, "photo_words"):
            dispatcher.utter_message(text=t("guide.photo_words"))
            return []
        if load_guide().lexicon.mentions(text, "vague_list_words"):
            dispatcher.utter_message(text=t("guide.which_list"), buttons=[
                {"title": t("guide.which_list_abnormal"), "payload": t("guide.which_list_abnormal")},
                {"title": t("guide.which_list_serious"), "payload": t("guide.which_list_serious")}])
            return []
        outcome: Dict[Text, Any] = {}
        mine = not text.startswith("/") and asks_about_own_record(text, today())
        if not mine and _own_listing(text) and extract_record_facts(text, today()).kind is not None:
            # 「说我上了啥子异常名录 看不懂」 (sixth hand try, an elderly applicant: 「抱歉，我没太明白」):
            # their own record, hesitantly said — its facts are asked one by one
            return start_record(dispatcher, tracker, text) + [FollowupAction("record_form")]
        if mine and _says_bank_credit(text):
            return _record_called_bank_credit(dispatcher, tracker, text)
        events = _answer(dispatcher, FALLBACK_INTENT, entities, slots_before_latest_message(tracker), text,
                         outcome=outcome, form_follows=mine)
        if mine and outcome.get("kind") != "suggest":
            # as in action_answer_guide: the question about their own record answered, then its facts
            return events + start_record(dispatcher, tracker, text) + [FollowupAction("record_form")]
        if outcome.get("kind") != "suggest":
            return events
        from bot.dialogue.auto_handoff import failed_answers_before_handoff, failed_in_a_row

        if failed_in_a_row(tracker.events) + 1 < failed_answers_before_handoff():
            return events
        # The third failed answer running: a help-desk agent takes over (bot/dialogue/auto_handoff.py).
        from rasa_sdk.events import ConversationPaused

        from bot.dialogue.handoff import notice_of, open_handoff

        handoff = await open_handoff(tracker, "failed_answers")
        if handoff is None:  # the case store is down: the suggestions stand, the hotline offered
            return events
        dispatcher.utter_message(text=t("staff14b.auto.failed_answers"))
        dispatcher.utter_message(text=notice_of(handoff))
        return events + [ConversationPaused()]
