"""Compose answers from the repair guide.

`answer(item, department, topic, today)` renders one topic of one guide section. Time limits
and publicity periods are never taken from section text: they are rendered from the dated rule
versions in force on `today` (rules.yml), so a rule change changes every answer. Every answer
ends with the guide section and the legal basis it was built from, and every answer that rests
on an unverified fact (section, rule or instrument) carries the guide's caveat
「以受理机关最新规定为准」.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot import clock
from bot.guide.lexicon import Topic
from bot.guide.loader import Citation, Guide, RuleVersion, Section, load_guide, zh_date
from bot.rules.inputs import PENALTY_TYPES, PROCEDURES, REASONS, SUBJECT_TYPES
from bot.rules.workdays import add_working_days
from bot.texts import t


class _LexiconView(Mapping):
    """A read-only view of one mapping of the default guide's lexicon (guides/lexicon.yml), for
    callers without a guide at hand; with a guide, use `guide.lexicon.topics` directly."""

    def __init__(self, attr: str):
        self._attr = attr

    def _data(self) -> dict:
        return getattr(load_guide().lexicon, self._attr)

    def __getitem__(self, key):
        return self._data()[key]

    def __iter__(self):
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())


# Topic codes are shared with the Rasa slot `topic` and the entity `topic`; labels, intents and
# keywords live in guides/lexicon.yml.
TOPICS: Mapping[str, Topic] = _LexiconView("topics")
INTENT_TOPICS: Mapping[str, str] = _LexiconView("intent_topics")
# The order of a full guide card (agent lookup).
CARD_ORDER = ("applicability", "conditions", "materials", "process", "time_limit", "channels",
              "fee", "publicity_period", "effects", "objection", "basis")
# What to offer after an answer on a topic.
NEXT_TOPICS = {
    "applicability": ("conditions", "materials", "process"),
    "conditions": ("materials", "publicity_period", "process"),
    "materials": ("time_limit", "channels", "process"),
    "time_limit": ("materials", "channels", "effects"),
    "process": ("materials", "channels", "time_limit"),
    "channels": ("materials", "process", "time_limit"),
    "fee": ("materials", "process", "channels"),
    "effects": ("conditions", "materials", "publicity_period"),
    "publicity_period": ("conditions", "materials", "time_limit"),
    "objection": ("basis", "process", "channels"),
    "basis": ("conditions", "materials", "objection"),
}

_GRADES = (("minor", "轻微失信行为"), ("general", "一般失信行为"), ("serious", "严重失信行为"))

OUT_OF_SCOPE_LEAD = "这个问题不在四川信用修复“一件事”的办理范围内，不过可以告诉您该去哪里："
OUT_OF_SCOPE_TAIL = "如果您有四川省内的行政处罚信息、经营异常名录或严重失信主体名单需要修复，随时问我。"


@dataclass(frozen=True)
class Answer:
    """What the user sees: `text` (ending with the source line), the guide `source`
    (`penalty_info/tax`, `faq/two_notices`), quick-reply `buttons` ({title, payload}) and the
    caveat if any fact it rests on is unverified."""

    text: str
    source: str
    buttons: tuple[dict, ...] = ()
    caveat: str | None = None
    topic: str | None = None
    item: str | None = None
    department: str | None = None
    kind: str = "answer"  # answer | faq | out_of_scope | clarify | suggest | card
    full: str = ""   # the whole answer (「详细」); `text` is the phone-sized reply
    plain: str = ""  # at most three plain sentences without citations (「听不懂」)

    @property
    def detail(self) -> str:
        return self.full or self.text


@dataclass
class _Block:
    """One rendered topic: lines, the rules it used and whether anything was unverified."""

    lines: list[str] = field(default_factory=list)
    rules: list[RuleVersion] = field(default_factory=list)
    unverified: bool = False
    citations: list[Citation] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)  # nearest-version fallbacks (Guide.rule_for)
    short_lines: list[str] | None = None  # a compact variant of `lines` for chat replies


def _rule(guide: Guide, block: _Block, topic: str, item: str, department: str | None,
          on: dt.date) -> RuleVersion | None:
    """The rule for an answer, through the one lookup `Guide.rule_for` (with its fallback
    caveat recorded on the block, shown once)."""
    rule, caveat = guide.rule_for(topic, item, department, on)
    if caveat and caveat not in block.caveats:
        block.caveats.append(caveat)
        block.unverified = True
    return rule


# ----- small helpers ---------------------------------------------------------------------------
def payload(intent: str, **entities: str | None) -> str:
    ents = {k: v for k, v in entities.items() if v}
    return f"/{intent}{json.dumps(ents, ensure_ascii=False, separators=(',', ':'))}" if ents else f"/{intent}"


def months_text(months: int) -> str:
    if months and months % 12 == 0:
        return f"{months // 12}年"
    return f"{months}个月"


# Topics whose answer differs by department: a department-less answer offers to narrow down.
DEPARTMENT_MATTERS = ("materials", "time_limit", "conditions", "publicity_period", "channels")


def short_title(guide: Guide, section: Section) -> str:
    item = guide.item_short(section.item, section.department)
    if section.source.endswith("/default"):
        return item
    return f"{item}·{guide.departments[section.department]['short']}"


def plain_text(lines: Iterable[str], limit: int = 3) -> str:
    """At most `limit` short plain sentences: citations, brackets and numbering removed."""
    import re

    sentences: list[str] = []
    for line in lines:
        line = re.sub(r"《[^》]*》|（[^）]*）|\([^)]*\)|【[^】]*】|※.*$", "", line)
        line = re.sub(r"^\s*(?:(?:\d+[.、]|[·•①-⑩]|\[[^\]]*\])\s*)+", "", line).strip()
        if line.endswith(("：", ":")):
            continue
        for part in re.split(r"(?<=[。；！？])", line):
            part = part.strip().rstrip("；")
            if len(part) < 4:
                continue
            if len(part) > 45:
                part = _cut(part, 45).rstrip("，、")
            sentences.append(part if part.endswith(("。", "！", "？", "…")) else part + "。")
            if len(sentences) == limit:
                return "".join(sentences)
    return "".join(sentences)


def section_title(guide: Guide, section: Section) -> str:
    dept = "通用" if section.source.endswith("/default") else guide.department_name(section.department)
    return f"{guide.item_name(section.item)}/{dept}"


def citation_text(guide: Guide, c: Citation, with_dates: bool = False) -> str:
    text = c.text()
    if not c.verified and "未核实" not in c.article:
        text += "（未核实）"
    if with_dates:
        inst = guide.instruments[c.instrument]
        until = inst.get("in_force_until")
        validity = f"{inst['in_force_from']}起施行，" + (f"{until}失效" if until else "现行有效")
        text += f"【{validity}】"
    return text


def _dedup(citations: Iterable[Citation]) -> list[Citation]:
    seen, out = set(), []
    for c in citations:
        key = (c.instrument, c.article)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def _unverified_citations(citations: Iterable[Citation]) -> bool:
    return any(not c.verified or "未核实" in c.article for c in citations)


def _source_line(guide: Guide, title: str, citations: list[Citation], limit: int = 3) -> str:
    cites = _dedup(citations)
    shown = "；".join(citation_text(guide, c) for c in cites[:limit])
    more = f"等{len(cites)}项" if len(cites) > limit else ""
    return f"来源：办事指引·{title}" + (f"；依据：{shown}{more}" if shown else "")


def _caveat_line(guide: Guide) -> str:
    return f"※ 部分内容尚未逐条核实，{guide.caveat}。"


SHORT_BODY = 190  # characters of answer body in a chat reply; with header, source, caveat ≈ 300


def _cut(line: str, limit: int) -> str:
    """`line` cut at the last sentence end (or comma) before `limit`."""
    if len(line) <= limit:
        return line
    for marks in ("。；！？", "，、"):
        end = max(line.rfind(m, 0, limit) for m in marks)
        if end >= limit // 3:
            return line[:end + 1]
    return line[:limit] + "…"


def short_source(citations: Iterable[Citation]) -> str:
    cites = _dedup(citations)
    if not cites:
        return ""
    more = t("guide.source_more", n=len(cites)) if len(cites) > 1 else ""
    return t("guide.source_short", first=f"《{cites[0].title}》", more=more)


def compact(header: str | None, body: Iterable[str], citations: Iterable[Citation] = (),
            caveat: bool = False, offer: str | None = None, budget: int = SHORT_BODY) -> tuple[str, bool]:
    """A phone-sized reply: the answer first (as many whole lines as fit `budget`), one offer,
    the caveat once, one compact source line. Returns (text, something_was_left_out)."""
    out: list[str] = []
    used, cut = 0, False
    for line in body:
        if not line:
            continue
        if out and used + len(line) > budget:
            cut = True
            break
        if len(line) > budget:
            short = _cut(line, budget)
            cut = cut or short != line
            line = short
        out.append(line)
        used += len(line)
    parts = ([header] if header else []) + out
    if offer:
        parts.append(offer)
    if caveat:
        parts.append(t("guide.caveat_short"))
    src = short_source(citations)
    if src:
        parts.append(src)
    if cut:
        parts.append(t("guide.more"))
    return "\n".join(parts), cut


def detail_button() -> dict:
    return {"title": t("guide.more_button"), "payload": t("guide.more_button")}


def department_buttons(guide: Guide, item: str, topic: str) -> tuple[dict, ...]:
    """One offer to narrow down by department: the departments that decide `item` most often."""
    codes = [c for c in ("market_regulation", "tax", "other") if c in guide.departments
             and not guide.section(item, c).not_applicable]
    return tuple(
        {"title": guide.departments[c]["short"], "payload": payload("choose_item", item=item, department=c)}
        for c in codes
    )


def _rule_lines_in_force(guide: Guide, topic: str, item: str, today: dt.date) -> list[RuleVersion]:
    return [r for r in guide.rules if r.topic == topic and r.item == item and r.in_force(today)]


def _dept_label(guide: Guide, code: str) -> str:
    return "各部门" if code == "any" else guide.department_name(code)


# ----- topic renderers ---------------------------------------------------------------------------
def _render_publicity(guide: Guide, section: Section, today: dt.date, block: _Block) -> None:
    item, dept = section.item, section.department
    specific = dept if dept != "any" else None
    if item == "penalty_info":
        rule = _rule(guide, block, "penalty_publicity", item, specific or "any", today)
        if rule is None:
            block.lines.append("指引中没有适用于今天的公示期限规定，请向作出处罚决定的部门确认。")
            block.unverified = True
        else:
            block.rules.append(rule)
            block.lines.append(f"按目前（{zh_date(today)}起作出的处罚决定）适用的规定，公示期从处罚决定之日起计算：")
            for key, label in _GRADES:
                v = rule.values.get(key)
                if not v:
                    continue
                lo, hi = v.get("min_months", 0), v.get("max_months")
                if lo:
                    block.lines.append(f"· {label}：最短公示{months_text(lo)}，最长{months_text(hi)}")
                else:
                    block.lines.append(f"· {label}：最长公示{months_text(hi)}，履行义务后即可申请修复")
            block.lines.append("满最短公示期并履行义务后，可申请提前停止公示；达到最长公示期的自动停止公示，无需申请。")
            if specific is None:
                for other in _rule_lines_in_force(guide, "penalty_publicity", item, today):
                    if other.department != "any" and other.values != rule.values:
                        block.lines.append(f"（{_dept_label(guide, other.department)}的处罚期限另有规定，可告诉我部门。）")
        np_rule = _rule(guide, block, "penalty_not_published", item, specific or "any", today)
        if np_rule is not None:
            block.rules.append(np_rule)
            kinds = [f"适用{PROCEDURES.get(p, p)}作出的处罚" for p in np_rule.values.get("procedures", [])]
            kinds += [f"仅给予{PENALTY_TYPES.get(p, p)}的处罚" for p in np_rule.values.get("only_penalties", [])]
            if kinds:
                block.lines.append("、".join(kinds) + "不公示，也就无需修复。")
        block.lines.append("处罚决定日期较早的，按当时施行的规定计算，可告诉我决定日期帮您推算。")
    elif item == "serious_list":
        rule = _rule(guide, block, "serious_list_terms", item, specific or "any", today)
        if rule is None:
            block.lines.append("指引中没有该名单的期限规定，请向列入名单的部门确认。")
            block.unverified = True
        else:
            block.rules.append(rule)
            block.lines.append(_serious_terms_text(guide, rule, specific))
            if specific is None:
                block.lines.append("各部门的名单期限不同：")
                for other in _rule_lines_in_force(guide, "serious_list_terms", item, today):
                    if other.department != "any":
                        block.rules.append(other)
                        block.lines.append(f"· {_dept_label(guide, other.department)}：{_serious_terms_text(guide, other, other.department, short=True)}")
        block.lines.append("期限从列入名单之日起计算。")
    else:  # abnormal_list
        rules = _abnormal_rules(guide, section, today, block)
        if not rules:
            block.lines.append("指引中没有该部门的经营异常名录规定。")
        block.lines.append("经营异常名录没有“到期自动移出”的公示期：履行相应义务并申请后才会移出。")
        for rule in rules:
            block.rules.append(rule)
            v = rule.values
            if v.get("escalate_after_months"):
                who = "" if specific else f"（{_dept_label(guide, rule.department)}）"
                block.lines.append(
                    f"列入满{months_text(v['escalate_after_months'])}仍未履行义务的，将被列入{v.get('escalates_to', '严重违法失信名单')}{who}。"
                )


def _serious_terms_text(guide: Guide, rule: RuleVersion, dept: str | None, short: bool = False) -> str:
    v = rule.values
    parts = []
    if v.get("term_months"):
        parts.append(f"列入期限最长{months_text(v['term_months'])}，期满移出")
    if v.get("early_repair") is False:
        parts.append("不能申请提前移出")
    elif v.get("min_months") is None:
        parts.append("可申请提前移出的最短列入期限指引中尚未核实")
    elif v.get("min_months") == 0 and v.get("wait_after_correction_months"):
        # 人社: no minimum listing time, but six months after the correction (「即可…并须满6个月」 read
        # as a contradiction to an applicant)
        parts.append(f"纠正失信行为、履行义务满{months_text(v['wait_after_correction_months'])}后可申请提前移出")
    elif v.get("min_months") == 0:
        parts.append("纠正失信行为、履行义务后即可申请提前移出")
    else:
        parts.append(f"列入满{months_text(v['min_months'])}且纠正失信行为后可申请提前移出")
        if v.get("wait_after_correction_months"):
            parts.append(f"并须纠正失信行为满{months_text(v['wait_after_correction_months'])}")
    text = "，".join(parts)
    if short:
        return text
    who = _dept_label(guide, dept) if dept else "一般规定"
    return f"{who}：{text}。"


def _abnormal_rules(guide: Guide, section: Section, today: dt.date, block: _Block) -> list[RuleVersion]:
    dept = section.department
    if dept != "any":
        rule = _rule(guide, block, "abnormal_list_terms", section.item, dept, today)
        return [rule] if rule else []
    return _rule_lines_in_force(guide, "abnormal_list_terms", section.item, today)


def _render_time_limit(guide: Guide, section: Section, today: dt.date, block: _Block) -> None:
    item, dept = section.item, section.department
    specific = dept if dept != "any" else None
    main = _rule(guide, block, "decision_limit", item, specific or "any", today)
    lines = block.lines
    if main is not None:
        block.rules.append(main)
        who = _dept_label(guide, main.department) if main.department != "any" else "作出决定的部门"
        if specific and main.department == "any":
            who = guide.department_name(specific)
        v = main.values
        if v.get("platform_working_days"):
            lines.append(f"信用中国网站收到申请后及时推送认定部门，并在{v['platform_working_days']}个工作日内答复。")
        lines.append(f"{who}收到申请后{v['working_days']}个工作日内作出决定（不含受理当天，节假日顺延）。")
        due = add_working_days(today, int(v["working_days"]))
        lines.append(f"例如今天（{zh_date(today)}）受理的，最迟{zh_date(due.date)}前作出决定。")
        if due.caveat:
            lines.append(due.caveat)
    others = [
        r for r in _rule_lines_in_force(guide, "decision_limit", item, today)
        if r is not main and (specific is None or r.department == specific) and r.department != "any"
    ]
    if main is None and not others:
        lines.append("指引中没有列明这一事项由该部门办理的时限，请以受理机关的规定为准。")
        block.unverified = True
    for r in others:
        block.rules.append(r)
        who = _dept_label(guide, r.department)
        if r.subject_types:
            who += "（" + "、".join(SUBJECT_TYPES.get(s, s) for s in r.subject_types) + "）"
        prefix = "其中，" if main is not None else ""
        lines.append(f"{prefix}{who}：收到申请后{r.values['working_days']}个工作日内作出决定。")
    lines.append("材料不全的，受理机关会一次性告知需要补正的全部内容，补正后重新计算。")


def _render_conditions(guide: Guide, section: Section, today: dt.date, block: _Block) -> None:
    block.lines += [f"{n}. {c}" for n, c in enumerate(section.conditions, 1)]
    item, dept = section.item, section.department
    specific = dept if dept != "any" else None
    if item == "penalty_info":
        rule = _rule(guide, block, "penalty_publicity", item, specific or "any", today)
        if rule is not None:
            block.rules.append(rule)
            parts = []
            for key, label in _GRADES:
                v = rule.values.get(key)
                if v:
                    lo = v.get("min_months", 0)
                    parts.append(f"{label[:2]}{'满' + months_text(lo) if lo else '履行义务后即可申请'}")
            # First: the periods are what people ask, and a phone-sized reply keeps its first lines.
            block.lines.insert(0, "最短公示期（按今天作出的决定适用的规定）：" + "；".join(parts) + "。")
    elif item == "serious_list":
        rule = _rule(guide, block, "serious_list_terms", item, specific or "any", today)
        if rule is not None:
            block.rules.append(rule)
            block.lines.append("期限要求：" + _serious_terms_text(guide, rule, specific))
    else:
        for rule in _abnormal_rules(guide, section, today, block):
            block.rules.append(rule)
            duties = rule.values.get("duty_by_reason", {})
            if duties:
                who = "" if specific else f"（{_dept_label(guide, rule.department)}）"
                block.lines.append(f"按列入原因应履行的义务{who}：")
                block.lines += [f"· {REASONS.get(k, k)}：{v}" for k, v in duties.items()]
            if rule.values.get("escalate_after_months"):
                block.lines.append(
                    f"注意：列入满{months_text(rule.values['escalate_after_months'])}仍未履行义务的，将被列入{rule.values.get('escalates_to', '严重违法失信名单')}。"
                )


def _render_materials(guide: Guide, section: Section, block: _Block) -> None:
    for n, m in enumerate(section.materials, 1):
        notes = ["必交" if m.required else "视情况提交"]
        if m.conditional:
            notes[0] = m.conditional
        if m.generated:
            notes.append("系统自动生成")
        if m.fetched_by_department:
            notes.append("部门通过数据共享自行获取，一般无需您提交")
        block.lines.append(f"{n}. {m.name}（{'；'.join(notes)}）：{m.description}")
    block.short_lines = [f"{n}. {m.name}（{'；'.join(_short_notes(m))}）" for n, m in enumerate(section.materials, 1)]
    block.lines.append("不需要提供信用报告或信用修复培训证明。")
    block.short_lines.append("不需要信用报告或培训证明。")


def _short_notes(m) -> list[str]:
    notes = ["必交" if m.required else "视情况"]
    if m.conditional:
        notes[0] = m.conditional
    if m.generated:
        notes.append("系统生成")
    if m.fetched_by_department:
        notes.append("部门能查到的不用交")
    return notes


def _render_basis(guide: Guide, section: Section, today: dt.date, block: _Block) -> None:
    cites = list(section.basis)
    for topic in ("penalty_publicity", "decision_limit", "serious_list_terms", "abnormal_list_terms"):
        dept = section.department if section.department != "any" else "any"
        rule = _rule(guide, block, topic, section.item, dept, today)
        if rule is not None:
            block.rules.append(rule)
            cites += list(rule.basis)
    for n, c in enumerate(_dedup(cites), 1):
        block.lines.append(f"{n}. {citation_text(guide, c, with_dates=True)}")
    block.lines.append(f"本节指引最近核对：{section.last_reviewed}。")


def topic_block(guide: Guide, section: Section, topic: str, today: dt.date) -> _Block:
    """Render one topic of a section (no header, no source line)."""
    block = _Block()
    if topic == "applicability":
        block.lines.append(section.applicability)
        block.lines.append(guide.items[section.item]["summary"])
    elif topic == "conditions":
        _render_conditions(guide, section, today, block)
    elif topic == "materials":
        _render_materials(guide, section, block)
    elif topic == "time_limit":
        _render_time_limit(guide, section, today, block)
    elif topic == "process":
        block.lines += [f"{n}. {p}" for n, p in enumerate(section.process, 1)]
    elif topic == "channels":
        block.short_lines = []
        for c in section.channels:
            kind = "线上" if c["kind"] == "online" else "线下"
            note = f"：{c['note']}" if c.get("note") else ""
            block.lines.append(f"· [{kind}] {c['name']}{note}")
            block.short_lines.append(f"· [{kind}] {c['name']}")
    elif topic == "fee":
        block.lines.append(guide.service["fee"])
        block.lines.append(guide.service["paid_agent_warning"])
    elif topic == "effects":
        block.lines.append(section.effects)
    elif topic == "publicity_period":
        _render_publicity(guide, section, today, block)
    elif topic == "objection":
        block.lines.append(section.objection)
    elif topic == "basis":
        _render_basis(guide, section, today, block)
    else:
        raise ValueError(f"unknown topic {topic!r}")
    if topic == "basis":
        block.citations = list(section.basis)
    elif block.rules:
        block.citations = [c for r in block.rules for c in r.basis] + list(section.basis)
    else:
        block.citations = list(section.basis)
    if topic == "fee" and "fee" in guide.faq_topics:
        block.citations = list(_faq_citations(guide, "fee")) + block.citations
    block.unverified = (
        block.unverified
        or not section.verified
        or any(not r.verified for r in block.rules)
        or _unverified_citations(block.citations)
    )
    return block


def _faq_citations(guide: Guide, topic_id: str) -> tuple[Citation, ...]:
    return guide._citations(guide.faq_topics[topic_id].get("basis", ()), f"faq.yml: field topics.{topic_id}")


# ----- public API ----------------------------------------------------------------------------------
def _today(today: dt.date | None) -> dt.date:
    return today or clock.today()


def topic_buttons(item: str, department: str | None, topics: Iterable[str]) -> tuple[dict, ...]:
    return tuple(
        {"title": TOPICS[t].label, "payload": payload(TOPICS[t].intent, item=item, department=department)}
        for t in topics
    )


def answer(
    item: str,
    department: str | None,
    topic: str,
    today: dt.date | None = None,
    guide: Guide | None = None,
) -> Answer:
    """One topic of the guide section for (item, department), as the user sees it."""
    guide = guide or load_guide()
    today = _today(today)
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}")
    if topic == "fee":
        return fee_answer(guide, item=item, department=department)
    section = guide.section(item, department)
    title = section_title(guide, section)
    if section.not_applicable:
        return _not_applicable(guide, section, topic, title)
    block = topic_block(guide, section, topic, today)
    header = f"【{title} · {TOPICS[topic].label}】"
    lines = [header, *block.lines, *block.caveats]
    if department is None and topic in ("materials", "time_limit", "conditions", "publicity_period", "channels"):
        lines.append("不同部门的要求可能不同，告诉我作出决定的部门（如市场监管、税务），可以给您更具体的答复。")
    caveat = guide.caveat if block.unverified else None
    if caveat:
        lines.append(_caveat_line(guide))
    lines.append(_source_line(guide, title, block.citations))
    dept_code = department if section.source != f"{item}/default" else None
    narrow = department is None and topic in DEPARTMENT_MATTERS
    short_header = f"【{short_title(guide, section)}·{TOPICS[topic].label}】"
    body = [*(block.short_lines if block.short_lines is not None else block.lines), *block.caveats]
    text, cut = compact(short_header, body, block.citations, caveat=bool(caveat),
                        offer=t("guide.offer_department") if narrow else None)
    buttons = department_buttons(guide, item, topic) if narrow else topic_buttons(item, dept_code, NEXT_TOPICS[topic])
    if cut or narrow:
        buttons = (*buttons, detail_button())
    return Answer(
        text=text,
        source=section.source,
        buttons=buttons,
        caveat=caveat,
        topic=topic,
        item=item,
        department=dept_code,
        full="\n".join(lines),
        plain=plain_text(block.short_lines if block.short_lines is not None else block.lines),
    )


def _not_applicable(guide: Guide, section: Section, topic: str, title: str) -> Answer:
    item = section.item
    # Departments that do decide this item: the ones without a not_applicable note.
    deciders = [
        code for code, sec in guide.items[item]["departments"].items()
        if not sec.get("not_applicable") and code != "other"
    ]
    buttons = tuple(
        {"title": f"{guide.departments[d]['short']}·{TOPICS[topic].label}",
         "payload": payload(TOPICS[topic].intent, item=item, department=d)}
        for d in deciders[:3]
    )
    text = "\n".join([
        f"【{title}】",
        section.not_applicable,
        _source_line(guide, title, list(section.basis)),
    ])
    return Answer(text=text, source=section.source, buttons=buttons, caveat=None, topic=topic,
                  item=item, department=section.department)


def fee_answer(guide: Guide | None = None, item: str | None = None, department: str | None = None) -> Answer:
    guide = guide or load_guide()
    ans = faq_answer("fee", guide=guide)
    return Answer(text=ans.text, source=ans.source, buttons=ans.buttons, caveat=ans.caveat, topic="fee",
                  item=item, department=department, kind="answer", full=ans.full, plain=ans.plain)


def rule_texts(guide: Guide, today: dt.date | None = None) -> dict[str, str]:
    """Periods and time limits as words, from the dated rules in force `today` (guide.rule_for):
    the values the `{placeholders}` of faq.yml answers and item FAQs may name, so that no number
    of months or working days is written into a text."""
    today = today or clock.today()

    def rule(topic: str, item: str, department: str | None = None):
        return guide.rule_for(topic, item, department, today)[0]

    out: dict[str, str] = {}
    pen = rule("penalty_publicity", "penalty_info")
    if pen:
        v = pen.values
        out |= {"general_min": months_text(v["general"]["min_months"]),
                "general_max": months_text(v["general"]["max_months"]),
                "serious_min": months_text(v["serious"]["min_months"]),
                "serious_max": months_text(v["serious"]["max_months"])}
    for key, (item, dept) in {"penalty_days": ("penalty_info", None),
                              "samr_days": ("penalty_info", "market_regulation"),
                              "abnormal_days": ("abnormal_list", "market_regulation"),
                              "serious_days": ("serious_list", None),
                              "serious_samr_days": ("serious_list", "market_regulation")}.items():
        lim = rule("decision_limit", item, dept)
        if lim:
            out[key] = str(lim.values["working_days"])
    abn = rule("abnormal_list_terms", "abnormal_list", "market_regulation")
    if abn and abn.values.get("escalate_after_months"):
        out["abnormal_escalate"] = months_text(abn.values["escalate_after_months"])
    ser = rule("serious_list_terms", "serious_list")
    if ser:
        out["list_min"] = months_text(ser.values.get("min_months") or 0)
        out["list_term"] = months_text(ser.values["term_months"])
    hrss = rule("serious_list_terms", "serious_list", "hrss")
    if hrss and hrss.values.get("wait_after_correction_months"):
        out["hrss_wait"] = months_text(hrss.values["wait_after_correction_months"])
    civil = rule("serious_list_terms", "serious_list", "civil_affairs")
    if civil:
        out["civil_term"] = months_text(civil.values["term_months"])
    return out


def fill_rules(text: str, guide: Guide, today: dt.date | None = None) -> str:
    """`text` with its `{placeholders}` replaced by rule_texts (text without any is returned as is)."""
    if not text or "{" not in text:
        return text
    return text.format_map(rule_texts(guide, today))


def faq_answer(topic_id: str, guide: Guide | None = None) -> Answer:
    """A general topic of faq.yml (一件事, 双书同达, fee, 年报, …) or an out-of-scope answer.
    Periods and time limits in its texts are `{placeholders}` filled from the dated rules."""
    guide = guide or load_guide()
    t_ = {k: fill_rules(v, guide) if k in ("answer", "short", "plain") else v
          for k, v in guide.faq_topics[topic_id].items()}
    cites = list(_faq_citations(guide, topic_id))
    title = f"常见问题/{t_['title']}"
    body = t_["answer"]
    if t_.get("include"):
        body += guide.service[t_["include"]]
    if t_.get("out_of_scope"):
        lines = [OUT_OF_SCOPE_LEAD, body, OUT_OF_SCOPE_TAIL]
        kind = "out_of_scope"
    else:
        lines = [f"【{t_['title']}】", body]
        kind = "faq"
    unverified = not t_["verified"] or _unverified_citations(cites)
    caveat = guide.caveat if unverified else None
    if caveat:
        lines.append(_caveat_line(guide))
    lines.append(_source_line(guide, title, cites))
    buttons: tuple[dict, ...] = ()
    if kind == "out_of_scope":
        buttons = item_buttons(guide, "applicability")
    text, cut = compact(f"【{t_['title']}】", [t_.get("short") or body], cites, caveat=bool(caveat))
    if cut or t_.get("short"):
        buttons = (*buttons, detail_button())
    return Answer(text=text, source=f"faq/{topic_id}", buttons=buttons, caveat=caveat,
                  topic=topic_id, kind=kind, full="\n".join(lines),
                  plain=t_.get("plain") or plain_text([t_.get("short") or body]))


def item_faq_answer(item: str, index: int, department: str | None = None, guide: Guide | None = None) -> Answer:
    """One question-and-answer pair from an item's FAQ (found by search)."""
    guide = guide or load_guide()
    section = guide.section(item, department)
    title = section_title(guide, section)
    if section.not_applicable:
        return _not_applicable(guide, section, "applicability", title)
    qa = dict(guide.items[item]["default"]["faq"][index])  # search indexes the default section's FAQ
    qa["a"] = fill_rules(qa["a"], guide)
    lines = [f"【{title} · 常见问题】", f"问：{qa['q']}", f"答：{qa['a']}"]
    unverified = not section.verified or _unverified_citations(section.basis)
    caveat = guide.caveat if unverified else None
    if caveat:
        lines.append(_caveat_line(guide))
    lines.append(_source_line(guide, title, list(section.basis)))
    dept_code = department if section.source != f"{item}/default" else None
    text, cut = compact(f"【{qa['q']}】", [qa["a"]], section.basis, caveat=bool(caveat))
    buttons = topic_buttons(item, dept_code, ("conditions", "materials", "process"))
    return Answer(text=text, source=section.source, buttons=(*buttons, detail_button()) if cut else buttons,
                  caveat=caveat, topic="faq", item=item, department=dept_code,
                  full="\n".join(lines), plain=plain_text([qa["a"]]))


def item_buttons(guide: Guide, topic: str | None, items: Iterable[str] | None = None,
                 department: str | None = None) -> tuple[dict, ...]:
    intent = TOPICS[topic].intent if topic else "choose_item"
    return tuple(
        {"title": guide.items[code]["short"], "payload": payload(intent, item=code, department=department)}
        for code in (items or guide.items)
    )


def clarify_item(topic: str | None, guide: Guide | None = None, items: Iterable[str] | None = None,
                 department: str | None = None) -> Answer:
    """One short question when the service item is unknown, with one button per item."""
    guide = guide or load_guide()
    codes = list(items or guide.items)
    what = f"的{TOPICS[topic].label}" if topic else ""
    dept = f"{guide.department_name(department)}" if department else ""
    text = f"请问您想了解哪类信用记录{what}？{dept and '（' + dept + '）'}"
    return Answer(text=text, source="clarify", buttons=item_buttons(guide, topic, codes, department),
                  topic=topic, department=department, kind="clarify")


def overview(item: str, department: str | None = None, guide: Guide | None = None) -> Answer:
    """When only the item is known: what it is, and which topics to ask about."""
    guide = guide or load_guide()
    section = guide.section(item, department)
    title = section_title(guide, section)
    if section.not_applicable:
        return _not_applicable(guide, section, "applicability", title)
    lines = [f"【{title}】", guide.items[item]["summary"], "您想了解哪一方面？可以问条件、材料、时限、流程、在哪办、公示多久等。"]
    caveat = guide.caveat if not section.verified else None
    if caveat:
        lines.append(_caveat_line(guide))
    lines.append(_source_line(guide, title, list(section.basis)))
    dept_code = department if section.source != f"{item}/default" else None
    text, _ = compact(f"【{short_title(guide, section)}】", lines[1:3], section.basis, caveat=bool(caveat))
    return Answer(text=text, source=section.source,
                  buttons=topic_buttons(item, dept_code, ("conditions", "materials", "time_limit")),
                  caveat=caveat, topic=None, item=item, department=dept_code,
                  full="\n".join(lines), plain=plain_text([guide.items[item]["summary"]]))


def _merged_citations(guide: Guide, citations: Iterable[Citation]) -> list[str]:
    """Each instrument once, with every article the card relies on."""
    order: list[str] = []
    articles: dict[str, list[str]] = {}
    first: dict[str, Citation] = {}
    for c in citations:
        if c.instrument not in articles:
            order.append(c.instrument)
            articles[c.instrument] = []
            first[c.instrument] = c
        for part in (c.article or "").split("、"):
            if part and part not in articles[c.instrument]:
                articles[c.instrument].append(part)
    out = []
    for inst in order:
        c = first[inst]
        text = f"《{c.title}》（{c.number}）" + "、".join(articles[inst])
        if not c.verified and "未核实" not in text:
            text += "（未核实）"
        out.append(text)
    return out


CARD_LIMIT = 600  # characters of a help-desk card for one section


def card(item: str, department: str | None = None, today: dt.date | None = None,
         guide: Guide | None = None, first: str | None = None, alone: bool = False,
         query: str = "") -> Answer:
    """A help-desk card. `alone` (the help-desk lookup's default): the `first` section alone
    (≤ 600 characters) and a 「全部」 button; otherwise the whole guide card, `first` topic first. Each
    legal basis is listed once; 「已核实」 only when the section and every rule and instrument
    the card uses are verified."""
    guide = guide or load_guide()
    today = _today(today)
    section = guide.section(item, department)
    title = section_title(guide, section)
    dept_code = department if section.source != f"{item}/default" else None
    if section.not_applicable:
        lines = [f"【指引卡片】{title}", section.not_applicable, _source_line(guide, title, list(section.basis))]
        return Answer(text="\n".join(lines), source=section.source, topic="card", item=item,
                      department=department, kind="card")
    order = list(CARD_ORDER)
    if first in order:
        order.remove(first)
        order.insert(0, first)
    full = not (alone and first in order)
    if not full:
        order = [first]
    blocks = [(topic, topic_block(guide, section, topic, today)) for topic in order]
    unverified = not section.verified or any(b.unverified for _, b in blocks)
    flag = "未核实" if unverified else "已核实"
    label = f" · {TOPICS[first].label}" if first in CARD_ORDER and not full else ""
    head = [f"【指引卡片】{title}{label}", f"核实状态：{flag}；最近核对：{section.last_reviewed}；编号：{section.source}"]
    body: list[str] = []
    citations: list[Citation] = []
    for topic, block in blocks:
        if len(blocks) > 1:
            body.append(f"{'▶ ' if topic == first else ''}■ {TOPICS[topic].label}")
        if topic == "basis":
            continue  # listed once, below
        body += block.lines + block.caveats
        citations += block.citations
    if full and section.faq:
        body.append("■ 常见问题")
        for qa in section.faq:
            body += [f"问：{qa['q']}", f"答：{qa['a']}"]
    basis = "依据：" + "；".join(_merged_citations(guide, citations + list(section.basis)))
    tail = [basis]
    if unverified:
        tail.append(_caveat_line(guide))
    buttons: tuple[dict, ...] = ()
    if not full:
        more = f"{query.strip()} 全部" if query.strip() else f"/查 {guide.items[item]['short']} 全部"
        buttons = ({"title": t("guide.all_button"), "payload": more},)
        room = CARD_LIMIT - sum(len(x) + 1 for x in head + tail)
        kept, used = [], 0
        for line in body:
            if used + len(line) + 1 > room - 20:
                kept.append("……（点「全部」看完整卡片）")
                break
            kept.append(line)
            used += len(line) + 1
        body = kept
    text = "\n".join(head + body + tail)
    return Answer(text=text, source=section.source, buttons=buttons, caveat=guide.caveat if unverified else None,
                  topic="card", item=item, department=dept_code, kind="card", full=text)
