"""Answer first, in the user's words.

What `respond()` does before (and instead of) asking a counter-question:

* `general_answer(topic)` — a question whose item is unknown still gets the general answer, with
  how it differs by item / grade / department in one or two short lines, then ONE offer to narrow
  down (item buttons). A counter-question alone is left for questions without any general answer.
* `faq_by_pattern(text)` — the common questions of faq.yml (年报, 承诺书, 结果共享, 第三方网站,
  异议 vs 修复, 简易程序/警告, 吊销, 征信, 失信被执行人) named by their `patterns`, whatever the NLU says.
* offices: 「我在南充」, a 区县 name → that 市（州）'s 政务服务中心 (guides/offices.yml); hours questions
  are answered as hours. Unverified details are never shown as facts: the reply says so and
  points to 12345.
* 「听不懂」「说简单点」「太长了」 → the last answer again in at most three plain sentences, with
  12345, the window and the human option; 「详细」 → the whole last answer; abuse → a calm reply
  and the human option.
* `is_question(text)` — a question (「被罚款了，要公示多久」) versus a statement of facts
  (「3月10号被市场监管局罚了2万，已经交了」), for whoever routes between the guide and the path
  engine.

The last answer is remembered in the slot `guide_last` as a small JSON spec, so it can be re-said
plainly or in full.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from bot.guide import answer as compose
from bot.guide.answer import Answer
from bot.guide.loader import Guide, _read_yaml
from bot.texts import t

LAST_SLOT = "guide_last"
PLAIN_MAX_LEN = 20   # 「太长了看不懂 说简单点」: a request, not a question that happens to say 不懂
ABUSE_MAX_LEN = 25


# ----- questions versus statements --------------------------------------------------------------
def is_question(text: str, guide: Guide) -> bool:
    """True when the message asks something (question words, 吗/呢/嘛, a question mark)."""
    text = text or ""
    return any(m in text for m in guide.lexicon.section("question_markers"))


# ----- FAQ patterns -------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _faq_patterns(guide_id: int, guide: Guide) -> list[tuple[str, re.Pattern]]:
    out = []
    for tid, topic in guide.faq_topics.items():
        for p in topic.get("patterns", ()):
            out.append((tid, re.compile(p, re.IGNORECASE)))
    return out


def faq_by_pattern(text: str, guide: Guide) -> str | None:
    """The faq.yml topic whose pattern matches `text` first (topic order), else None."""
    for tid, rx in _faq_patterns(id(guide), guide):
        if rx.search(text or ""):
            return tid
    return None


# ----- offices ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Office:
    city: str
    city_name: str
    name: str
    address: str | None
    hours: str | None
    phone: str | None
    window: str
    source: str | None        # the page the details come from (its name)
    verified: bool            # true only with an official source that states the details
    read_on: str | None = None
    url: str | None = None


def _source(o: dict) -> tuple[str | None, str | None, str | None]:
    src = o.get("source")
    if isinstance(src, dict):
        return src.get("name"), str(src.get("read_on") or "") or None, src.get("url")
    return src, None, None


def _office(o: dict, city: str, city_name: str, window: str) -> Office:
    name, read_on, url = _source(o)
    return Office(city, city_name, o["name"], o.get("address"), o.get("hours"), o.get("phone"),
                  o.get("one_thing_window") or window, name, bool(o.get("verified")) and bool(name),
                  read_on, url)


@functools.lru_cache(maxsize=8)
def _offices(guide_id: int, guide: Guide) -> tuple[dict[str, Office], dict[str, list[str]]]:
    """Offices by code — a 市（州） code (`nanchong`) or a 区县 centre (`chengdu/0`) — and the
    words that pick them."""
    path = guide.root / "offices.yml"
    data = _read_yaml(path) if path.exists() else {"offices": []}
    offices: dict[str, Office] = {}
    words: dict[str, list[str]] = {}

    def add(word: str, code: str) -> None:
        words.setdefault(word, [])
        if code not in words[word]:
            words[word].append(code)

    for o in data["offices"]:
        offices[o["city"]] = _office(o, o["city"], o["city_name"], guide.service["window"])
        for w in [*o.get("names", ()), *o.get("districts", ())]:
            add(w, o["city"])
        for n, c in enumerate(o.get("counties", ())):
            code = f"{o['city']}/{n}"
            offices[code] = _office(c, o["city"], o["city_name"], guide.service["window"])
            for w in c.get("words", ()):
                add(w, code)
    return offices, words


def offices(guide: Guide) -> dict[str, Office]:
    """The 21 市（州） centres by city code (区县 centres are reached through `office(code)`)."""
    return {k: v for k, v in _offices(id(guide), guide)[0].items() if "/" not in k}


def office(code: str, guide: Guide) -> Office | None:
    return _offices(id(guide), guide)[0].get(code)


def find_city(text: str, guide: Guide) -> tuple[str | None, str | None]:
    """(office code, None) for the 市（州） or 区县 named in `text` — a 区县 with its own sourced
    centre gives that centre's code (`chengdu/0`); (None, word) when the word names places in
    several cities (市中区); (None, None) when none is named."""
    _, words = _offices(id(guide), guide)
    from bot.facts.applicant import subject_name_in

    name = subject_name_in(text or "")
    if name:  # 「店名叫锦江区王二孃便利店」: a 区 inside a shop's name is not where the user asks about
        text = text.replace(name, " ")
    ambiguous = None
    for w in sorted(words, key=len, reverse=True):
        if len(w) >= 2 and w in (text or ""):
            codes_ = words[w]
            counties = [c for c in codes_ if "/" in c]
            if len(counties) == 1:
                return counties[0], None
            if len({c.split("/")[0] for c in codes_}) == 1:
                return codes_[0].split("/")[0], None
            ambiguous = ambiguous or w
    return None, ambiguous


def _details(o: Office) -> list[str]:
    parts = []
    if o.address:
        parts.append(t("guide.office.address", address=o.address))
    if o.hours:
        parts.append(t("guide.office.hours", hours=o.hours))
    if o.phone:
        parts.append(t("guide.office.phone", phone=o.phone))
    return parts


def office_answer(city: str, guide: Guide, hours_only: bool = False) -> Answer:
    """The centre for an office code: the details its source states — as facts when the source is
    official, else introduced by the source and its date, with 「本助手未核实」 and 12345 — or,
    without details, the plain statement that they are not verified."""
    o = office(city, guide) or offices(guide)[city]
    service = guide.service
    sourced = bool(o.source and (o.address or o.hours or o.phone))
    if hours_only:
        if o.hours and o.verified:
            text = t("guide10b.office.hours_of", name=o.name, hours=o.hours)
        elif o.hours and sourced:
            text = "\n".join([t("guide10b.office.hours_according", name=o.name, source=o.source,
                                 read_on=o.read_on or "-"),
                               t("guide.office.hours", hours=o.hours), t("guide10b.office.unverified_tail")])
        else:
            text = t("guide.office.hours_city", name=o.name, hours=service["hours"])
    else:
        parts = [t("guide.office.found", name=o.name, window=o.window)]
        if sourced and o.verified:
            parts += _details(o)
            parts.append(t("guide10b.office.source_line", source=o.source, read_on=o.read_on or "-"))
            if not (o.hours and o.phone):
                parts.append(t("guide10b.office.missing_details"))
        elif sourced:
            parts.append(t("guide10b.office.according", source=o.source, read_on=o.read_on or "-"))
            parts += _details(o)
            parts.append(t("guide10b.office.unverified_tail"))
        else:
            parts.append(t("guide.office.address_unverified"))
        text = "\n".join(parts)
    if not o.verified:
        text += "\n" + t("guide.caveat_short")
    plain = compose.plain_text([text])
    if sourced:  # plain words keep the details whole (a generic shortening would cut the hours)
        said = [o.name] + ([o.hours] if hours_only and o.hours else [x for x in (o.address, o.hours) if x])
        plain = "，".join(said) + "。" + ("" if o.verified else t("guide10b.office.plain_unverified"))
    return Answer(text=text, source=f"office/{city}", caveat=None if o.verified else guide.caveat,
                  topic="hours" if hours_only else "office", kind="office", full=text, plain=plain)


def hours_answer(guide: Guide) -> Answer:
    text = t("guide.office.hours_general", hours=guide.service["hours"]) + "\n" + t("guide.office.ask_city")
    return Answer(text=text, source="office/hours", caveat=guide.caveat, topic="hours", kind="office",
                  full=text, plain=compose.plain_text([text]))


def ask_city_answer(guide: Guide, ambiguous: str | None = None) -> Answer:
    lead = t("guide.office.ambiguous", word=ambiguous) if ambiguous else t("guide.general.channels")
    text = lead + "\n" + t("guide.office.ask_city")
    return Answer(text=text, source="office/ask", topic="office", kind="office", full=text,
                  plain=compose.plain_text([t("guide.general.channels")]))


# ----- general answers (the item is not known) -----------------------------------------------------
def _months(n: int | None) -> str:
    return compose.months_text(n or 0)


def general_answer(topic: str, guide: Guide, today: dt.date, department: str | None = None) -> Answer | None:
    """The general answer to `topic` across the three items (None: no general answer exists)."""
    if topic in ("objection",):
        ans = compose.faq_answer("objection_vs_repair", guide=guide)
        return ans
    if topic == "fee":
        return compose.fee_answer(guide)
    key = f"guide.general.{topic}"
    rules = []
    values: dict[str, Any] = {}
    pen, _ = guide.rule_for("penalty_publicity", "penalty_info", department, today)
    ser, _ = guide.rule_for("serious_list_terms", "serious_list", department, today)
    if topic in ("publicity_period", "conditions"):
        if pen is None:
            return None
        rules.append(pen)
        v = pen.values
        values = {
            "minor": t("guide.general.minor_now"),
            "general_min": _months(v["general"]["min_months"]), "general_max": _months(v["general"]["max_months"]),
            "serious_min": _months(v["serious"]["min_months"]), "serious_max": _months(v["serious"]["max_months"]),
            "list_min": _months((ser.values.get("min_months") if ser else 12) or 12),
        }
        if ser:
            rules.append(ser)
    elif topic == "time_limit":
        pen_l, _ = guide.rule_for("decision_limit", "penalty_info", "any", today)
        samr_l, _ = guide.rule_for("decision_limit", "penalty_info", "market_regulation", today)
        abn_l, _ = guide.rule_for("decision_limit", "abnormal_list", "market_regulation", today)
        if not (pen_l and samr_l and abn_l):
            return None
        rules += [pen_l, samr_l, abn_l]
        values = {"penalty_days": pen_l.values["working_days"], "samr_days": samr_l.values["working_days"],
                  "abnormal_days": abn_l.values["working_days"]}
    elif topic == "materials":
        section = guide.section("penalty_info")
        names = [m.name.split("（")[0] for m in section.materials if m.required]
        values = {"materials": "、".join(names)}
    elif topic not in ("channels", "process", "effects", "basis", "applicability"):
        return None
    body = t(key, **values)
    citations = [c for r in rules for c in r.basis] + list(guide.section("penalty_info").basis)
    unverified = any(not r.verified for r in rules) or compose._unverified_citations(citations)
    label = guide.lexicon.topics[topic].label
    offer = t("guide.offer_item")
    text, _ = compose.compact(f"【{label}】", body.split("\n"), citations, caveat=unverified, offer=offer,
                              budget=240)
    buttons = compose.item_buttons(guide, topic, department=department)
    full = "\n".join([f"【{label}（总体）】", body, offer, compose._source_line(guide, label, citations, limit=4)])
    plain_key = f"guide.plain.{topic}"
    from bot.texts import catalogue

    plain = catalogue().get(plain_key) or compose.plain_text(body.split("\n"))
    return Answer(text=text, source=f"general/{topic}", buttons=buttons,
                  caveat=guide.caveat if unverified else None, topic=topic, department=department,
                  kind="general", full=full, plain=plain)


# ----- plain words, details, abuse -----------------------------------------------------------------
def _has_any(text: str, words) -> bool:
    low = (text or "").lower()
    return any(w.lower() in low for w in words)


def is_plain_request(text: str, guide: Guide) -> bool:
    return len(text or "") <= PLAIN_MAX_LEN and _has_any(text, guide.lexicon.section("plain_requests"))


def is_detail_request(text: str, guide: Guide) -> bool:
    body = re.sub(r"[\s，。,.!！?？~～吧呀啊嘛哈呢]+", "", text or "")
    body = re.sub(r"^(我要|我想|请|麻烦)?(看|说|讲)?", "", body)
    return bool(body) and len(body) <= 6 and any(body.startswith(w) or body == w
                                                 for w in guide.lexicon.section("detail_requests"))


def is_abuse(text: str, guide: Guide) -> bool:
    """A short message with an abusive word and nothing about credit records (a 垃圾处理公司
    asking about its penalty is a question, not abuse)."""
    if len(text or "") > ABUSE_MAX_LEN or not _has_any(text, guide.lexicon.section("abuse_words")):
        return False
    about = ("item", "item_hint", "department", "department_hint", "topic")
    return not any(m.kind in about for m in guide.lexicon.scan(text))


# 「我不想承诺」「不办了」「拒绝承诺」: a refusal of the act itself (「收不收费」「按钮点不动」「写错了」 are not)
_REFUSED_ACTS = re.compile(
    r"(不想|不愿意?|不要|不肯|不得行|不行|拒绝|算了|不|别|先不|暂时不|暂不|莫)再?(作|做|签|给|去|来)?(信用)?"
    r"(承诺|提交|申请|办|弄|搞|填|修复)|(承诺|提交)个?(锤子|屁|鬼)")
# 「不是本人可以代办不」「康定有办的地方没」: a question ending in 不/没 (吗), not a refusal
_ENDS_AS_QUESTION = re.compile(r"[不没]有?[?？!！。~～]*$|[吗嘛呢么][?？!！。~～]*$|[?？]")


def refusal_answer(text: str) -> Answer | None:
    """「不得行 我不想承诺」 with no form open: acknowledged as a refusal (nothing is submitted or
    recorded), never answered as a question about materials. Questions (「不承诺可以吗」) and
    hesitations are not refusals here (bot.dialogue.consent)."""
    from bot.dialogue.consent import NO, read_consent

    if len(text or "") > ABUSE_MAX_LEN or not _REFUSED_ACTS.search(text or "") or _ENDS_AS_QUESTION.search(text):
        return None
    if read_consent(text).answer != NO:
        return None
    key = "guide.refusal.commitment" if "承诺" in text else "guide.refusal.other"
    body = t(key)
    return Answer(text=body, source="refusal", buttons=human_buttons(), kind="refusal", full=body, plain=body)


_OWN_CASE = re.compile(r"申请|提交|交上去|案件|修复|办的|办了|递")


def asks_progress(text: str, guide: Guide) -> bool:
    """「我上个月申请的修复 现在咋样了」: how one's own submitted case is going."""
    text = text or ""
    return bool(_OWN_CASE.search(text)) and any(w in text for w in guide.lexicon.section("progress_words"))


def progress_answer() -> Answer:
    """The look-up: the case number and the phone's last four digits."""
    body = t("form.lookup.ask")
    buttons = ({"title": t("guide.progress_button"), "payload": "/lookup_case"},)
    return Answer(text=body, source="progress", buttons=buttons, kind="progress", full=body, plain=body)


def human_buttons() -> tuple[dict, ...]:
    return ({"title": t("guide.human_button"), "payload": "/request_human"},)


def abuse_answer(guide: Guide) -> Answer:
    text = t("guide.abuse", hotline=guide.service["hotline"])
    return Answer(text=text, source="abuse", buttons=human_buttons(), kind="abuse", full=text, plain=text)


def plain_answer(last: Answer | None) -> Answer:
    """The last answer again in at most three short plain sentences, then 12345 / window / human."""
    if last is None or not last.plain:
        body = t("guide.plain.none")
    else:
        body = t("guide.plain.lead") + last.plain
    text = body + "\n" + t("guide.plain.tail")
    return Answer(text=text, source="plain" if last is None else last.source, buttons=human_buttons(),
                  topic=last.topic if last else None, item=last.item if last else None,
                  department=last.department if last else None, kind="plain", full=text, plain=body)


def plain_text_answer(body: str) -> Answer:
    """Plain words already made (a verdict said plainly), then 12345 / window / human."""
    text = body + "\n" + t("guide.plain.tail")
    return Answer(text=text, source="plain", buttons=human_buttons(), kind="plain", full=text, plain=body)


def detail_answer(last: Answer) -> Answer:
    buttons = tuple(b for b in last.buttons if b.get("title") != t("guide.more_button"))
    return Answer(text=last.detail, source=last.source, buttons=buttons, caveat=last.caveat, topic=last.topic,
                  item=last.item, department=last.department, kind=last.kind, full=last.detail,
                  plain=last.plain)


# ----- remembering the last answer ----------------------------------------------------------------
def spec_of(ans: Answer, extra: dict | None = None) -> str | None:
    """A JSON spec from which `render_spec` rebuilds `ans` (None for answers not worth re-saying)."""
    src = ans.source or ""
    if ans.kind in ("plain", "abuse", "refusal", "progress", "clarify", "suggest", "card") or src in ("none", "usage"):
        return None
    spec = {"source": src, "topic": ans.topic, "item": ans.item, "department": ans.department, "kind": ans.kind}
    spec.update(extra or {})
    return json.dumps(spec, ensure_ascii=False, separators=(",", ":"))


def render_spec(raw: Any, guide: Guide, today: dt.date) -> Answer | None:
    """The answer a `spec_of` spec describes, rendered again today (None when unusable)."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        spec = json.loads(raw)
        src, topic = spec.get("source", ""), spec.get("topic")
        if src.startswith("faq/"):
            return compose.faq_answer(src[4:], guide=guide)
        if src.startswith("general/"):
            return general_answer(src[8:], guide, today, spec.get("department"))
        if src.startswith("office/"):
            code = src[7:]
            if code == "hours":
                return hours_answer(guide)
            if code == "ask":
                return ask_city_answer(guide)
            return office_answer(code, guide, hours_only=topic == "hours")
        item = spec.get("item")
        if item in guide.items:
            if topic == "fee":
                return compose.fee_answer(guide, item=item)
            if topic in guide.lexicon.topics:
                return compose.answer(item, spec.get("department"), topic, today=today, guide=guide)
            return compose.overview(item, spec.get("department"), guide=guide)
    except (ValueError, KeyError, TypeError):
        return None
    return None
