"""From an NLU result (intent, entities), the conversation slots and the raw text to
(item, department, topic) — or a clarification, a general FAQ, an out-of-scope answer, an agent
lookup or a retrieval fallback — and then to the answer the user sees.

`respond()` is the single entry point used by the Rasa actions and by `bot.eval_guide`, so the
held-out evaluation measures exactly what users get.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from bot import clock
from bot.guide import answer as compose
from bot.guide import first
from bot.guide.agent_query import AGENT_PREFIX, is_agent_query, lookup  # noqa: F401
from bot.guide.answer import INTENT_TOPICS, TOPICS, Answer
from bot.guide.lexicon import Lexicon, Mention, codes
from bot.guide.loader import Guide, load_guide
from bot.guide.when_said import waiting_line
from bot.texts import t

# Intents (domain/guide.yml) -------------------------------------------------------------------
FAQ_INTENTS = {"ask_two_notices": "two_notices", "ask_one_thing": "one_thing"}
OUT_OF_SCOPE_INTENTS = {
    "ask_personal_credit": "personal_credit_report",
    "ask_court_dishonest": "court_dishonest_debtor",
    "ask_other_province": "other_province",
}
CONTEXT_INTENTS = {"choose_item", "inform"}  # only names an item/department: topic from context
AGENT_INTENT = "agent_lookup"
FALLBACK_INTENT = "nlu_fallback"
GUIDE_INTENTS = set(INTENT_TOPICS) | set(FAQ_INTENTS) | set(OUT_OF_SCOPE_INTENTS) | CONTEXT_INTENTS | {
    AGENT_INTENT, FALLBACK_INTENT}

@dataclass(frozen=True)
class Resolution:
    kind: str  # answer | overview | faq | out_of_scope | clarify | agent_lookup | search
    item: str | None = None
    department: str | None = None
    topic: str | None = None
    faq_id: str | None = None
    items: tuple[str, ...] = ()  # clarification candidates


@dataclass
class Reply:
    answer: Answer
    resolution: Resolution
    slots: dict[str, Any] = field(default_factory=dict)  # slot values to set afterwards


# ----- mentions in the raw text (the lexicon: guides/lexicon.yml via guide.lexicon) ----------------
def lexicon(guide: Guide | None = None) -> Lexicon:
    return (guide or load_guide()).lexicon


def mentions(text: str, guide: Guide | None = None) -> list[Mention]:
    return lexicon(guide).scan(text)


_codes = codes


def fuzzy_code(word: str, kind: str, guide: Guide, cutoff: float = 0.6) -> str | None:
    return guide.lexicon.fuzzy_code(word, kind, cutoff)


def normalise_entity(value: Any, kind: str, guide: Guide) -> str | None:
    return guide.lexicon.normalise(value, kind)


def _entity_codes(entities: Iterable[dict], kind: str, guide: Guide) -> list[str]:
    return guide.lexicon.entity_codes(entities, kind)


def _fuzzy_items(text: str, guide: Guide) -> list[str]:
    return guide.lexicon.fuzzy_items(text)


def _drop_grade_words(items: list[str], ms: list[Mention], guide: Guide) -> list[str]:
    """「严重失信的行政处罚」: 严重失信 is the penalty's grade here, not the serious list."""
    if "penalty_info" in items and "serious_list" in items:
        serious_words = {m.text for m in ms if m.kind == "item" and m.code == "serious_list"}
        if serious_words <= guide.lexicon.grade_words:
            return [c for c in items if c != "serious_list"]
    return items


def _asks_when_to_apply(text: str, guide: Guide) -> bool:
    """「多久能移出」「要等好久才能修复」: when one may apply, not how long the department takes."""
    lex = guide.lexicon
    has = lambda name: any(w in text for w in lex.section(name))
    return has("when_words") and has("apply_words") and not has("processing_words")


def time_question_intent(text: str, guide: Guide) -> str | None:
    """「要好久才弄得好哦」: how long the department takes (ask_time_limit); 「好久才能移出」: when
    one may apply (ask_publicity_period); None when the message asks no "how long"."""
    lex = guide.lexicon
    has = lambda name: any(w in text for w in lex.section(name))
    if not has("when_words"):
        return None
    if has("done_words") or (has("processing_words") and not has("apply_words")):
        return "ask_time_limit"
    return "ask_publicity_period" if has("apply_words") else None


# ----- resolution --------------------------------------------------------------------------------
def resolve(
    intent: str | None,
    entities: Iterable[dict] | None,
    slots: dict[str, Any] | None,
    text: str,
    guide: Guide | None = None,
) -> Resolution:
    guide = guide or load_guide()
    slots = slots or {}
    text = text or ""
    if is_agent_query(text) or intent == AGENT_INTENT:
        return Resolution("agent_lookup")
    if intent in OUT_OF_SCOPE_INTENTS:
        return Resolution("out_of_scope", faq_id=OUT_OF_SCOPE_INTENTS[intent])
    ms = mentions(text, guide)
    text_items = _codes(ms, "item")
    strong_oos = [m.code for m in ms if m.kind == "oos" and m.text not in guide.lexicon.weak_out_of_scope]
    # Another province wins even when an item is named (重庆的行政处罚); the other out-of-scope
    # keywords only when no item is named (征信 may come up in a question about materials).
    if "other_province" in strong_oos or (strong_oos and not text_items):
        code = "other_province" if "other_province" in strong_oos else strong_oos[0]
        return Resolution("out_of_scope", faq_id=code)
    if intent in FAQ_INTENTS:
        return Resolution("faq", faq_id=FAQ_INTENTS[intent])
    if intent not in INTENT_TOPICS and intent not in CONTEXT_INTENTS:
        # NLU unsure, but the words ask "how long": answered, not offered as two buttons
        intent = time_question_intent(text, guide) or intent
    if intent not in INTENT_TOPICS and intent not in CONTEXT_INTENTS:
        return Resolution("search")

    items = _entity_codes(entities, "item", guide)
    for code in text_items:
        if code not in items:
            items.append(code)
    items = _drop_grade_words(items, ms, guide)
    if not items:
        items = _fuzzy_items(text, guide)
    if not items:
        items = _codes(ms, "item_hint")[:1]
    depts = _entity_codes(entities, "department", guide)
    for code in _codes(ms, "department"):
        if code not in depts:
            depts.append(code)
    if not depts:
        depts = _codes(ms, "department_hint")[:1]

    topic = INTENT_TOPICS.get(intent)
    if topic == "time_limit" and _asks_when_to_apply(text, guide):
        topic = "publicity_period"
    if topic == "publicity_period" and time_question_intent(text, guide) == "ask_time_limit":
        topic = "time_limit"  # 「要好久才弄得好」: how long the department takes, not when to apply
    if topic == "applicability" and any(w in text for w in guide.lexicon.section("how_words")):
        topic = "process"  # 「遭列进经营异常了 咋个整嘛」: what to do, not who is listed
    elif topic == "applicability" and any(w in text for w in guide.lexicon.section("materials_words")):
        topic = "materials"  # 「年报没报进了异常名录 要带啥子去办」
    if topic is None:  # a context intent: the topic named in this message, else the one before
        named = _entity_codes(entities, "topic", guide)
        topic = named[0] if named else slots.get("topic")
        if topic not in TOPICS:
            topic = None
    if topic == "fee":
        return Resolution("answer", items[0] if items else slots.get("item"), None, "fee")

    slot_item = slots.get("item") if slots.get("item") in guide.items else None
    slot_dept = slots.get("department") if slots.get("department") in guide.departments else None
    department = depts[0] if depts else None
    if len(items) > 1:
        return Resolution("clarify", topic=topic, department=department or slot_dept, items=tuple(items))
    item = items[0] if items else slot_item
    if department is None and slot_dept:
        # Keep the department from the conversation unless the item changed to one that
        # department does not decide.
        changed = items and items[0] != slot_item
        if not (changed and guide.section(item, slot_dept).not_applicable):
            department = slot_dept
    if item is None:
        candidates = tuple(
            code for code in guide.items
            if department is None or not guide.section(code, department).not_applicable
        )
        if len(candidates) == 1:
            item = candidates[0]
        else:
            return Resolution("clarify", topic=topic, department=department, items=candidates)
    if topic is None:
        return Resolution("overview", item, department)
    return Resolution("answer", item, department, topic)


# ----- retrieval fallback -----------------------------------------------------------------------
MIN_SEARCH_SCORE = 8.0
DIRECT_MARGIN = 1.1  # best / second best (of a different section+topic) to answer directly


def _hit_answer(hit, department: str | None, today: dt.date, guide: Guide) -> Answer:
    if hit.kind == "faq":
        return compose.faq_answer(hit.topic, guide=guide)
    if hit.kind == "item_faq":
        return compose.item_faq_answer(hit.item, hit.faq_index, department=department, guide=guide)
    return compose.answer(hit.item, department or hit.department, hit.topic, today=today, guide=guide)


def _hit_button(hit, department: str | None, guide: Guide) -> dict:
    if hit.kind == "faq":
        intent = {v: k for k, v in {**FAQ_INTENTS, **OUT_OF_SCOPE_INTENTS}.items()}.get(hit.topic, "ask_fee")
        return {"title": hit.title, "payload": f"/{intent}"}
    if hit.kind == "item_faq":
        return {"title": hit.title, "payload": hit.title}
    dept = department or hit.department
    title = guide.items[hit.item]["short"] + (f"·{guide.departments[dept]['short']}" if dept else "")
    return {"title": f"{title}·{TOPICS[hit.topic].label}",
            "payload": compose.payload(TOPICS[hit.topic].intent, item=hit.item, department=dept)}


def search_reply(text: str, slots: dict[str, Any], today: dt.date, guide: Guide) -> Reply:
    """NLU is unsure: retrieve the closest guide sections. A clear winner is answered (with the
    runners-up as buttons); otherwise the closest topics are offered as buttons."""
    from bot.guide.search import search, tokens

    ms = mentions(text, guide)
    text_items = _codes(ms, "item")
    if not text_items:  # a mistyped item name (黑明单)
        text_items = _fuzzy_items(text, guide)
    slot_item = slots.get("item") if slots.get("item") in guide.items else None
    # The item named in the text, else the one in the conversation.
    scope = tuple(text_items) or ((slot_item,) if slot_item else ())
    depts = _codes(ms, "department") or _codes(ms, "department_hint")
    department = depts[0] if depts else None
    query = text
    if scope:
        # Item and department are settled: search for the topic with their words removed.
        for m in ms:
            if m.kind in ("item", "department", "department_hint"):
                query = query.replace(m.text, " ")
        if not tokens(query, guide):
            query = text
    hits = search(query, k=6, guide=guide, only_items=scope, department=department)
    if hits and department is None and slot_item and hits[0].item == slot_item:
        department = slots.get("department") if slots.get("department") in guide.departments else None
    resolution = Resolution("search")
    if not hits or hits[0].score < MIN_SEARCH_SCORE:
        ans = Answer(
            text="抱歉，我没太明白您的问题。您可以换个说法，或者选择想了解的信用记录类型：",
            source="none", buttons=compose.item_buttons(guide, None), kind="suggest")
        return Reply(ans, resolution)
    best = hits[0]
    runners = [h for h in hits[1:] if (h.item, h.topic) != (best.item, best.topic)][:2]
    if (best.kind == "section" and runners and runners[0].kind == "section" and not text_items
            and not slot_item and runners[0].topic == best.topic and runners[0].item != best.item
            and best.score < DIRECT_MARGIN * runners[0].score):
        # Clear topic, unclear item: ask which item, as for an NLU question without an item.
        res = Resolution("clarify", topic=best.topic, department=department, items=tuple(guide.items))
        ans = first.general_answer(best.topic, guide, today, department) or compose.clarify_item(
            best.topic, guide=guide, department=department)
        return Reply(ans, res, {"item": None, "department": department, "topic": best.topic})
    if not runners or best.score >= DIRECT_MARGIN * runners[0].score:
        ans = _hit_answer(best, department, today, guide)
        extra = tuple(_hit_button(h, department, guide) for h in runners)
        ans = Answer(ans.text, ans.source, extra + ans.buttons[: max(0, 3 - len(extra))], ans.caveat,
                     ans.topic, ans.item, ans.department, ans.kind)
        slots_out = {}
        if best.kind == "section":
            slots_out = {"item": best.item, "department": ans.department, "topic": best.topic}
        return Reply(ans, Resolution("search", best.item, ans.department, best.topic), slots_out)
    options = [best, *runners]
    ans = Answer(
        text="我不太确定您想问的是哪一项，下面哪个最接近？",
        source="suggest",
        buttons=tuple(_hit_button(h, department, guide) for h in options),
        kind="suggest",
    )
    return Reply(ans, resolution)


# ----- the single entry point --------------------------------------------------------------------
OFFICE_INTENTS = {"ask_office", "ask_channel", "choose_item", "inform", FALLBACK_INTENT}


def _conversation(intent: str | None, text: str, slots: dict[str, Any], today: dt.date,
                  guide: Guide) -> Reply | None:
    """Abuse, plain words, details, office and hours questions, common questions by pattern
    (bot/guide/first.py) — before the (item, department, topic) resolution."""
    if intent == "abuse" or first.is_abuse(text, guide):
        return Reply(first.abuse_answer(guide), Resolution("abuse"))
    refusal = first.refusal_answer(text)
    if refusal is not None:
        return Reply(refusal, Resolution("refusal"))
    last = first.render_spec(slots.get(first.LAST_SLOT), guide, today)
    if intent == "ask_plain" or first.is_plain_request(text, guide):
        if last is None and (slots.get("paths_result") or {}).get("results"):
            # 「看不懂 那我到底要不要弄嘛」 right after a verdict (third hand try: the bank answer of
            # before the verdict, in plain words): the verdict, plainly
            from bot.dialogue.record_flow import per_grade
            from bot.rules.explain import plain_verdict

            results = slots["paths_result"]["results"]
            # a grade not known: the three grades' outcomes are the plainest answer there is
            grades = per_grade(results, [r.get("record") or {} for r in results], None, today, guide)
            body = "\n".join(grades) if grades else t("guide.plain.lead") + plain_verdict(slots["paths_result"])
            return Reply(first.plain_text_answer(body), Resolution("plain"))
        return Reply(first.plain_answer(last), Resolution("plain"))
    if (intent == "ask_detail" or first.is_detail_request(text, guide)) and last is not None:
        return Reply(first.detail_answer(last), Resolution("detail"))
    lex = guide.lexicon
    city, ambiguous = first.find_city(text, guide)
    last_city = None
    try:
        last_src = json.loads(slots.get(first.LAST_SLOT) or "{}").get("source", "")
        if last_src.startswith("office/") and first.office(last_src[7:], guide) is not None:
            last_city = last_src[7:]
    except (ValueError, AttributeError):
        pass
    ms = lex.scan(text)
    named_item = bool(codes(ms, "item") or codes(ms, "item_hint"))
    if intent == "ask_hours" or any(w in text for w in lex.section("hours_words")):
        where = city or last_city
        ans = first.office_answer(where, guide, hours_only=True) if where else first.hours_answer(guide)
        return Reply(ans, Resolution("office"))
    office_words = any(w in text for w in lex.section("office_words"))
    if city and (office_words or intent in OFFICE_INTENTS or not named_item):
        return Reply(first.office_answer(city, guide), Resolution("office"))
    if ambiguous and (office_words or intent in OFFICE_INTENTS):
        return Reply(first.ask_city_answer(guide, ambiguous), Resolution("office"))
    in_context = slots.get("item") in guide.items
    online = any(w in text for w in ("网站", "网上", "线上", "入口", "手机"))
    named_dept = bool(codes(ms, "department"))
    if named_item and named_dept and (intent == "ask_office" or office_words):
        # 「市场监管局的处罚在哪里办」: that item's channels for that department (its own system).
        ans = compose.answer(codes(ms, "item")[0] if codes(ms, "item") else codes(ms, "item_hint")[0],
                             codes(ms, "department")[0], "channels", today=today, guide=guide)
        return Reply(ans, Resolution("answer", ans.item, ans.department, "channels"),
                     {"item": ans.item, "department": ans.department, "topic": "channels"})
    if intent == "ask_office" or (office_words and not named_item and not in_context and not online
                                  and intent in OFFICE_INTENTS and not named_dept):
        return Reply(first.ask_city_answer(guide), Resolution("office"))
    if first.asks_progress(text, guide):
        return Reply(first.progress_answer(), Resolution("progress"))
    faq_id = first.faq_by_pattern(text, guide)
    if faq_id:
        kind = "out_of_scope" if guide.faq_topics[faq_id].get("out_of_scope") else "faq"
        return Reply(compose.faq_answer(faq_id, guide=guide), Resolution(kind, faq_id=faq_id))
    return None


def respond(
    intent: str | None,
    entities: Iterable[dict] | None,
    slots: dict[str, Any] | None,
    text: str,
    today: dt.date | None = None,
    guide: Guide | None = None,
) -> Reply:
    """What the assistant says (and which slots it sets) for one user message. The answer is
    remembered in the slot `guide_last` so that 「听不懂」 and 「详细」 can re-say it."""
    guide = guide or load_guide()
    today = today or clock.today()
    slots = dict(slots or {})
    entities = list(entities or ())
    text = text or ""
    if is_agent_query(text):
        return Reply(lookup(text, today=today, guide=guide, entities=entities), Resolution("agent_lookup"))
    reply = _conversation(intent, text, slots, today, guide)
    if reply is None:
        reply = _respond_guide(intent, entities, slots, text, today, guide)
    spec = first.spec_of(reply.answer)
    if spec:
        reply.slots[first.LAST_SLOT] = spec
    return reply


def _respond_guide(intent: str | None, entities: list[dict], slots: dict[str, Any], text: str,
                   today: dt.date, guide: Guide) -> Reply:
    res = resolve(intent, entities, slots, text, guide)
    if res.kind == "agent_lookup":
        return Reply(lookup(text, today=today, guide=guide, entities=entities), res)
    if res.kind == "out_of_scope":
        return Reply(compose.faq_answer(res.faq_id, guide=guide), res)
    if res.kind == "faq":
        return Reply(compose.faq_answer(res.faq_id, guide=guide), res)
    if res.kind == "search":
        return search_reply(text, slots, today, guide)
    if res.kind == "clarify":
        general = first.general_answer(res.topic, guide, today, res.department) if res.topic else None
        if general is not None and len(res.items) > 1:
            # Answer first: the general answer with how it differs, then one offer to narrow down.
            general = Answer(general.text, general.source,
                             compose.item_buttons(guide, res.topic, res.items, res.department),
                             general.caveat, general.topic, None, res.department, general.kind,
                             general.full, general.plain)
            return Reply(general, res, {"item": None, "department": res.department, "topic": res.topic})
        ans = compose.clarify_item(res.topic, guide=guide, items=res.items, department=res.department)
        return Reply(ans, res, {"item": None, "department": res.department, "topic": res.topic})
    if res.kind == "overview":
        ans = compose.overview(res.item, res.department, guide=guide)
        return Reply(ans, res, {"item": res.item, "department": ans.department})
    if res.topic == "fee":
        return Reply(compose.fee_answer(guide, item=res.item), res, {"topic": "fee"})
    ans = compose.answer(res.item, res.department, res.topic, today=today, guide=guide)
    line = waiting_line(text, res.item, res.department, res.topic, today, guide)
    if line:  # 「前年被税务罚过款，现在能不能…」: what that date means today, first
        ans = replace(ans, text=line + "\n" + ans.text, full=line + "\n" + (ans.full or ans.text))
    return Reply(ans, res, {"item": res.item, "department": res.department, "topic": res.topic})
