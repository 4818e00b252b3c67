"""Help-desk console look-ups: the guide (the short answer of the section and topic asked) and
cases by case number, company name or credit code (agents and supervisors only)."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import or_, select

from bot.casestore import caseno
from bot.casestore.models import Application
from bot.casestore.service import APPLICATION_STATE_NAMES, CaseStore, application_state

MAX_QUERY = 100
_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


def guide_answer(store: CaseStore, text: str) -> dict:
    """{"answer": text of the short card, "source", "others": [{title, query}]} for a query such as
    「税务 行政处罚 材料」 or 「经营异常多久能移出」."""
    from bot.guide import agent_query
    from bot.guide import answer as compose
    from bot.guide.search import search

    guide = store.guide
    text = (text or "").strip()[:MAX_QUERY]
    if not text:
        return {"answer": None, "source": None, "others": []}
    today = store.today()
    q = agent_query.parse(text, guide)
    others: list[dict] = []
    if q.item and q.topic:
        ans = compose.answer(q.item, q.department, q.topic, today=today, guide=guide)
    else:
        hits = search(text, k=5, guide=guide, prefer_item=q.item, department=q.department)
        ans = None
        for hit in hits:
            if hit.kind == "section" and hit.topic:
                a = compose.answer(hit.item, hit.department or q.department, hit.topic, today=today, guide=guide)
            elif hit.kind == "faq":
                a = compose.faq_answer(hit.topic, guide=guide)
            elif hit.kind == "item_faq" and hit.faq_index is not None:
                a = compose.item_faq_answer(hit.item, hit.faq_index, hit.department, guide=guide)
            else:
                continue
            if ans is None:
                ans = a
            else:
                others.append({"title": hit.title, "text": a.text})
        if ans is None and q.item:
            ans = compose.overview(q.item, q.department, guide=guide)
    if ans is None:
        return {"answer": None, "source": None, "others": [], "usage": agent_query.USAGE}
    return {"answer": ans.text, "source": ans.source, "caveat": ans.caveat, "others": others[:4]}


def find_cases(store: CaseStore, text: str, limit: int = 20) -> list[dict]:
    """Cases whose number, credit code or company name matches (newest first)."""
    raw = unicodedata.normalize("NFKC", (text or "")).strip()[:MAX_QUERY]
    if len(raw) < 2:
        return []
    number = caseno.normalize_case_no(raw)
    code = raw.upper().replace(" ", "")
    with store.db.reading() as s:
        conds = []
        if number:
            conds.append(Application.case_no == number)
        if _USCC.match(code):
            conds.append(Application.uscc == code)
        if not number and not _USCC.match(code):
            pattern = "%" + raw.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conds.append(Application.subject_name.like(pattern, escape="\\"))
        apps = s.execute(select(Application).where(or_(*conds)).order_by(Application.id.desc()).limit(limit)
                         ).scalars().all()
        out = []
        for a in apps:
            states = [i.state for i in a.items]
            out.append({"case_no": a.case_no, "subject_name": a.subject_name, "uscc": a.uscc,
                        "submitted_at": a.created_at,
                        "state_name": APPLICATION_STATE_NAMES[application_state(states)],
                        "items": [store.guide.item_name(i.kind, i.department) + "·" + store.guide.department_name(i.department)
                                  for i in a.items]})
        return out
