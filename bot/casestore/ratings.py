"""好差评: five-level ratings after a closed case or a handoff; a bad one opens a follow-up.

Levels, which of them are bad, and the working days a supervisor has to handle a bad rating
come from guides/ratings.yml (dated, cited; the deadline is marked unverified there, and every
task carries the guide's caveat while it is). One rating per case (or per handoff): a second
answer for the same target changes nothing and returns the first (idempotent for retries).

For the dashboard: `summary()` counts ratings by level, department and service item, with the
satisfaction rate (share of levels 4–5) and the follow-ups open, overdue and done.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from bot.casestore.errors import ApiError, conflict, invalid, not_found
from bot.casestore.models import Application, FollowUp, Rating
from bot.rules.workdays import add_working_days

GUIDE_FILE = "ratings.yml"


@functools.lru_cache(maxsize=4)
def rating_guide(root: str) -> dict:
    data = yaml.safe_load((Path(root) / GUIDE_FILE).read_text(encoding="utf-8"))
    levels = {int(x["level"]): x for x in data["levels"]}
    if sorted(levels) != [1, 2, 3, 4, 5]:
        raise ValueError(f"{GUIDE_FILE}: levels must be exactly 1..5")
    return {"levels": levels, "followup": data["followup"]}


def _guide(store) -> dict:
    return rating_guide(str(store.guide.root))


def followup_rule(store, on: dt.date) -> dict:
    for r in _guide(store)["followup"]:
        start = dt.date.fromisoformat(str(r["valid_from"]))
        end = dt.date.fromisoformat(str(r["valid_until"])) if r.get("valid_until") else None
        if start <= on and (end is None or on <= end):
            return r
    raise ValueError(f"{GUIDE_FILE}: no follow-up rule in force on {on}")


def level_names(store) -> dict[int, str]:
    return {n: x["name"] for n, x in _guide(store)["levels"].items()}


def parse_level(store, value: Any) -> int | None:
    """5..1, or the level's name (非常满意 … 非常不满意)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 1 <= value <= 5:
        return value
    if isinstance(value, str):
        value = value.strip()
        if value.isdigit() and 1 <= int(value) <= 5:
            return int(value)
        for n, name in level_names(store).items():
            if value == name:
                return n
    return None


def add_rating(store, body: Any, viewer) -> tuple[dict, bool]:
    from bot.casestore.caseno import normalize_case_no

    if not isinstance(body, dict):
        raise invalid([{"field": "", "message": "请求内容应为JSON对象。"}])
    problems = []
    context = body.get("context", "case")
    if context not in ("case", "handoff"):
        problems.append({"field": "context", "message": "评价对象应为 case（办件）或 handoff（人工服务）。"})
    level = parse_level(store, body.get("level"))
    if level is None:
        problems.append({"field": "level", "message": "评价等级应为1至5（5非常满意、4满意、3基本满意、2不满意、1非常不满意）。"})
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 1000):
        problems.append({"field": "reason", "message": "评价理由应为不超过1000字的文字。"})
    target = None
    if context == "case":
        target = normalize_case_no(str(body.get("case_no") or ""))
        if target is None:
            problems.append({"field": "case_no", "message": "请填写要评价的申请编号 case_no。"})
    else:
        target = body.get("handoff_id")
        if not isinstance(target, str) or not 1 <= len(target) <= 120:
            problems.append({"field": "handoff_id", "message": "请填写人工服务的编号 handoff_id（1至120个字符）。"})
    department = body.get("department")
    if department is not None and department not in store.guide.departments:
        problems.append({"field": "department", "message": "部门代码不在办事指南中。"})
    if problems:
        raise invalid(problems)
    now, today = store.clock(), store.today()
    with store.db.writing() as s:
        kind = None
        if context == "case":
            app = s.execute(select(Application).where(Application.case_no == target)).scalar_one_or_none()
            if app is None:
                raise not_found()
            items = list(app.items)
            if not all(i.state in ("rejected", "result_shared") for i in items):
                raise conflict("case_not_closed", "该申请尚未办结，办结后再评价。")
            departments = sorted({i.department for i in items})
            department = department or (departments[0] if len(departments) == 1 else None)
            kinds = sorted({i.kind for i in items})
            kind = kinds[0] if len(kinds) == 1 else None
        existing = s.execute(select(Rating).where(Rating.context == context, Rating.target == target)).scalar_one_or_none()
        if existing is not None:
            return _view(store, s, existing), False
        r = Rating(context=context, target=target, level=level, reason=(reason or "").strip()[:1000] or None,
                   department=department, kind=kind, channel=_opt(body.get("channel"), 20),
                   channel_user_id=_opt(body.get("channel_user_id"), 128), created_by=viewer.actor, created_at=now)
        s.add(r)
        s.flush()
        if _guide(store)["levels"][level]["bad"]:
            rule = followup_rule(store, today)
            due = add_working_days(today, int(rule["working_days"]))
            caveat = None if rule["verified"] else store.guide.caveat
            if due.caveat:
                caveat = "；".join(c for c in (caveat, due.caveat) if c)
            s.add(FollowUp(rating_id=r.id, department=department, status="open", opened_on=today, due_on=due.date,
                           limit_working_days=int(rule["working_days"]), rule_basis=_basis(store, rule),
                           rule_verified=bool(rule["verified"]), caveat=caveat, created_at=now))
            s.flush()
        return _view(store, s, r), True


def add_reason(store, rating_id: int, body: Any, viewer) -> dict:
    """The optional reason, said after the level (the chat asks for it after a bad rating; the
    widget's rating card has a box for it). Given once: a second, different reason is refused,
    the same one again changes nothing (a retry). The assistant may only add to a rating given
    in the same conversation (`channel_user_id`)."""
    body = body if isinstance(body, dict) else {}
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 1000:
        raise invalid([{"field": "reason", "message": "评价理由应为1至1000字的文字。"}])
    reason = reason.strip()
    with store.db.writing() as s:
        r = s.get(Rating, rating_id)
        # the assistant writes only into a rating given in the same conversation (never into one
        # an agent entered, which has no conversation)
        if r is None or (viewer.role == "assistant" and (not r.channel_user_id
                                                         or body.get("channel_user_id") != r.channel_user_id)):
            raise ApiError(404, "not_found", "没有找到这条评价。")
        if r.reason and r.reason != reason:
            raise conflict("reason_given", "这条评价已经写过理由，不能再改。")
        r.reason = reason
        s.flush()
        return _view(store, s, r)


def _basis(store, rule: dict) -> str:
    out = []
    for ref in rule["basis"]:
        inst = store.guide.instruments[ref["instrument"]]
        out.append(f"《{inst['title']}》（{inst['number']}）{ref.get('article', '')}")
    return "；".join(out)


def _opt(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _view(store, s, r: Rating) -> dict:
    f = s.execute(select(FollowUp).where(FollowUp.rating_id == r.id)).scalar_one_or_none()
    return {"id": r.id, "context": r.context, "target": r.target, "level": r.level,
            "level_name": level_names(store)[r.level], "reason": r.reason, "department": r.department,
            "kind": r.kind, "created_at": _iso(r.created_at),
            "followup": followup_view(store, f) if f else None}


def followup_view(store, f: FollowUp, today: dt.date | None = None) -> dict:
    today = today or store.today()
    return {"id": f.id, "rating_id": f.rating_id, "department": f.department, "status": f.status,
            "opened_on": _iso(f.opened_on), "due_on": _iso(f.due_on), "working_days": f.limit_working_days,
            "basis": f.rule_basis, "verified": f.rule_verified, "caveat": f.caveat,
            "overdue": f.status == "open" and today > f.due_on, "resolution": f.resolution,
            "closed_at": _iso(f.closed_at), "closed_by": f.closed_by}


def followups(store, viewer, status: str | None = None) -> list[dict]:
    with store.db.reading() as s:
        q = select(FollowUp, Rating).join(Rating, Rating.id == FollowUp.rating_id)
        if viewer.role == "department":
            q = q.where(FollowUp.department == viewer.department)
        if status:
            q = q.where(FollowUp.status == status)
        rows = s.execute(q.order_by(FollowUp.due_on, FollowUp.id).limit(500)).all()
        names = level_names(store)
        return [followup_view(store, f) | {"rating": {"level": r.level, "level_name": names[r.level],
                                                        "reason": r.reason, "context": r.context, "target": r.target}}
                for f, r in rows]


def close_followup(store, followup_id: int, body: Any, viewer) -> dict:
    resolution = body.get("resolution") if isinstance(body, dict) else None
    if not isinstance(resolution, str) or not resolution.strip() or len(resolution) > 2000:
        raise invalid([{"field": "resolution", "message": "请写明处理结果（核实、整改、回访情况，不超过2000字）。"}])
    with store.db.writing() as s:
        f = s.get(FollowUp, followup_id)
        if f is None or (viewer.role == "department" and f.department != viewer.department):
            raise not_found("督办任务")
        if f.status != "done":
            f.status, f.resolution = "done", resolution.strip()
            f.closed_at, f.closed_by = store.clock(), viewer.actor
        return followup_view(store, f)


def summary(store, viewer) -> dict:
    """Ratings for the dashboard: by level, by department, by service item; follow-ups."""
    today = store.today()
    names = level_names(store)
    with store.db.reading() as s:
        q = select(Rating.level, Rating.department, Rating.kind, Rating.context)
        fq = select(FollowUp.status, FollowUp.due_on)
        if viewer.role == "department":
            q = q.where(Rating.department == viewer.department)
            fq = fq.where(FollowUp.department == viewer.department)
        rows = s.execute(q).all()
        frows = s.execute(fq).all()

    def bucket() -> dict:
        return {"total": 0, "by_level": {names[n]: 0 for n in range(5, 0, -1)}, "satisfied": 0, "bad": 0}

    bad_levels = {n for n, x in _guide(store)["levels"].items() if x["bad"]}
    total, by_dept, by_item, by_context = bucket(), {}, {}, {}
    for level, dept, kind, context in rows:
        for b in (total, by_dept.setdefault(dept or "unknown", bucket()), by_item.setdefault(kind or "unknown", bucket()),
                  by_context.setdefault(context, bucket())):
            b["total"] += 1
            b["by_level"][names[level]] += 1
            b["satisfied"] += level >= 4
            b["bad"] += level in bad_levels
    for b in (total, *by_dept.values(), *by_item.values(), *by_context.values()):
        b["satisfaction_rate"] = round(b["satisfied"] / b["total"], 4) if b["total"] else None
    return {"as_of": today.isoformat(), "scope": getattr(viewer, "department", None) or "all", **total,
            "by_department": by_dept, "by_item": by_item, "by_context": by_context,
            "followups": {"open": sum(1 for st, _ in frows if st == "open"),
                          "overdue": sum(1 for st, due in frows if st == "open" and today > due),
                          "done": sum(1 for st, _ in frows if st == "done")}}


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    return value.isoformat()

