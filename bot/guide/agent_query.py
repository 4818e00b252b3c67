"""Help-desk lookup: an agent types a compact query and gets the whole guide card at once.

    /查 税务 严重失信 材料      -> card for serious_list/tax, 申请材料 first
    /查 市监 行政处罚           -> card for penalty_info/market_regulation
    /查 经营异常                -> card for abnormal_list/default

Words are matched against the guide's item and department aliases and the topic keywords, with
or without spaces between them. A missing item is answered with a short usage note.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.guide import answer as compose
from bot.guide.answer import Answer
from bot.guide.lexicon import codes
from bot.guide.loader import Guide, load_guide

AGENT_PREFIX = re.compile(r"^\s*(?:[/／]\s*查|查询卡片|坐席查询)[\s:：,，]*")


def is_agent_query(text: str) -> bool:
    return bool(text) and AGENT_PREFIX.match(text) is not None


USAGE = (
    "坐席查询用法：/查 [部门] 事项 [主题]\n"
    "事项：行政处罚 | 经营异常 | 严重失信；部门：市场监管、税务、人社、应急、统计、民政、发改、其他部门；"
    "主题：条件、材料、时限、流程、渠道、收费、公示期、效果、异议、依据。\n"
    "例：/查 税务 严重失信 材料"
)


@dataclass(frozen=True)
class AgentQuery:
    item: str | None
    department: str | None
    topic: str | None
    unknown: tuple[str, ...] = ()


def parse(text: str, guide: Guide | None = None, entities: Iterable[dict] | None = None) -> AgentQuery:
    guide = guide or load_guide()
    body = AGENT_PREFIX.sub("", text or "", count=1)
    lex = guide.lexicon
    ms = lex.scan(body)
    items = codes(ms, "item") or lex.entity_codes(entities, "item") or codes(ms, "item_hint")
    depts = codes(ms, "department") or lex.entity_codes(entities, "department") or codes(ms, "department_hint")
    topics = codes(ms, "topic") or lex.entity_codes(entities, "topic")
    # Leftover words that matched nothing (reported so the agent can fix a typo).
    covered = set()
    for m in ms:
        covered.update(range(m.start, m.start + len(m.text)))
    leftovers, word = [], ""
    for i, ch in enumerate(body):
        if i in covered or ch.isspace() or ch in "，,、;；:：/":
            if word:
                leftovers.append(word)
            word = ""
        else:
            word += ch
    if word:
        leftovers.append(word)
    unknown = []
    leftovers = [w for w in leftovers if w not in ("全部", "完整", "整张")]
    for w in leftovers:  # typos: 黑明单, 市场监官
        item, dept = lex.fuzzy_code(w, "item"), lex.fuzzy_code(w, "department")
        if item and not items:
            items = [item]
        elif dept and not depts:
            depts = [dept]
        else:
            unknown.append(w)
    return AgentQuery(items[0] if items else None, depts[0] if depts else None,
                      topics[0] if topics else None, tuple(unknown))


def lookup(text: str, today: dt.date | None = None, guide: Guide | None = None,
           entities: Iterable[dict] | None = None) -> Answer:
    guide = guide or load_guide()
    q = parse(text, guide, entities)
    if q.item is None:
        note = f"未识别：{'、'.join(q.unknown)}\n" if q.unknown else ""
        return Answer(text=note + USAGE, source="usage",
                      buttons=compose.item_buttons(guide, None, department=q.department), kind="card")
    body = AGENT_PREFIX.sub("", text or "", count=1)
    full = any(w in body for w in ("全部", "完整", "整张"))
    ans = compose.card(q.item, q.department, today=today, guide=guide,
                       first=q.topic or (None if full else "applicability"), alone=not full, query=text)
    if q.unknown:
        ans = Answer(ans.text + f"\n（未识别的词：{'、'.join(q.unknown)}）", ans.source, ans.buttons, ans.caveat,
                     ans.topic, ans.item, ans.department, ans.kind, ans.full)
    return ans
