"""Service dashboard figures (四(一)(三): counts, returns, rejections, speed, abnormal cases),
for every department (supervisors) or one (its officers). Read-only; computed from the items,
their audit events and the handoffs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import statistics
from collections import Counter

from sqlalchemy import select

from bot.casestore.models import Application, Event, Handoff, Item, Rating
from bot.casestore.service import STATE_NAMES, CaseStore, is_overdue
from bot.casestore.staff.workbench import working_days_left

APPROVED = ("approved", "result_shared")
DECIDED = APPROVED + ("rejected",)
FAST_RESPONSE_SECONDS = 60  # the anchors' target: a human answers within one minute


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100) of `values`; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


DAY_BUCKETS = ((0, 1, "1天内"), (2, 3, "2–3天"), (4, 5, "4–5天"), (6, 10, "6–10天"),
               (11, 15, "11–15天"), (16, None, "16天以上"))  # working days to decision (labels only)
SECOND_BUCKETS = ((0, 30, "30秒内"), (31, 60, "31–60秒"), (61, 300, "1–5分钟"), (301, 1800, "5–30分钟"),
                  (1801, None, "30分钟以上"))  # first human response


def histogram(values, buckets) -> list[list]:
    """[[label, count], …] for every bucket (empty ones too, so the axis keeps its shape)."""
    out = []
    for low, high, label in buckets:
        out.append([label, sum(1 for v in values if v >= low and (high is None or v <= high))])
    return out


def _ratings(store: CaseStore, department: str | None) -> dict:
    """好差评 by department and by service item (bot/casestore/ratings.py's summary)."""
    from types import SimpleNamespace

    from bot.casestore.ratings import summary

    viewer = SimpleNamespace(role="department", department=department) if department else SimpleNamespace(
        role="supervisor", department=None)
    data = summary(store, viewer)
    guide = store.guide

    def rates(groups: dict, name) -> list[list]:
        return [[name(k) if k != "unknown" else "人工服务及其他", round((b["satisfaction_rate"] or 0) * 100, 1),
                 b["total"]] for k, b in sorted(groups.items()) if b["total"]]

    return {"levels": [[n, c] for n, c in data["by_level"].items()],
            "by_department": rates(data["by_department"], guide.department_name),
            "by_item": rates(data["by_item"], guide.item_name),
            "by_context": {k: b["total"] for k, b in data["by_context"].items()}}


def _items(store: CaseStore, department: str | None):
    with store.db.reading() as s:
        q = (select(Item.id, Item.item_no, Item.kind, Item.department, Item.state, Item.received_on,
                    Item.first_received_on, Item.deadline, Item.return_count, Item.reasons,
                    Item.decided_on, Item.decision_working_days, Application.case_no,
                    Application.subject_name, Application.channel)
             .join(Application, Application.id == Item.application_id).order_by(Item.id))
        if department:
            q = q.where(Item.department == department)
        rows = s.execute(q).all()
        eq = select(Event.item_id, Event.detail).where(Event.action == "return")
        if department:
            eq = eq.where(Event.item_id.in_(select(Item.id).where(Item.department == department)))
        returns = s.execute(eq).all()
        handoffs = s.execute(select(Handoff.created_at, Handoff.first_response_at, Handoff.status,
                                    Handoff.in_office_hours, Handoff.reason)).all() if department is None else []
        rq = select(Rating.level)
        if department:
            rq = rq.where(Rating.department == department)
        ratings = [r for (r,) in s.execute(rq).all()]
    return rows, returns, handoffs, ratings


def compute(store: CaseStore, department: str | None = None) -> dict:
    guide = store.guide
    today = store.today()
    rows, returns, handoffs, ratings = _items(store, department)

    def count(key) -> list[dict]:
        c = Counter(key(r) for r in rows)
        return [{"key": k, "count": n} for k, n in c.most_common()]

    by_state = Counter(r.state for r in rows)
    by_kind: dict[str, Counter] = {}
    by_dept: dict[str, Counter] = {}
    for r in rows:
        by_kind.setdefault(r.kind, Counter())[r.state] += 1
        by_dept.setdefault(r.department, Counter())[r.state] += 1

    reason_count: Counter = Counter()
    for _item_id, detail in returns:
        for m in (detail or {}).get("missing") or []:
            reason_count[m.get("name") or "其他"] += 1
    reject_count: Counter = Counter()
    for r in rows:
        if r.state == "rejected":
            for reason in r.reasons or []:
                reject_count[reason] += 1

    decided = [r for r in rows if r.state in DECIDED and r.decided_on is not None]
    days = [r.decision_working_days for r in decided if r.decision_working_days is not None]
    approved = [r for r in rows if r.state in APPROVED]
    first_time = [r for r in approved if not r.return_count]
    overdue = [r for r in rows if is_overdue(r.state, r.deadline, today)]
    late = [r for r in decided if r.deadline and r.decided_on > r.deadline]

    answered = [(h.first_response_at - h.created_at).total_seconds() for h in handoffs
                if h.first_response_at is not None]
    in_hours = [(h.first_response_at - h.created_at).total_seconds() for h in handoffs
                if h.first_response_at is not None and h.in_office_hours]
    state_order = list(STATE_NAMES)

    def table(counter_map: dict[str, Counter], name) -> list[dict]:
        out = []
        for key, c in sorted(counter_map.items(), key=lambda kv: -sum(kv[1].values())):
            out.append({"key": key, "name": name(key), "total": sum(c.values()),
                        "states": [c.get(s, 0) for s in state_order]})
        return out

    from bot.casestore.deadletters import alert_counts

    return {
        "dead_letters": alert_counts(store) if department is None else None,
        "ratings": _ratings(store, department),
        "decision_days_histogram": histogram(days, DAY_BUCKETS),
        "handoff_histogram": histogram(answered, SECOND_BUCKETS) if department is None else [],
        "as_of": today,
        "scope": department,
        "scope_name": guide.department_name(department) if department else "全部部门",
        "states": [{"key": s, "name": STATE_NAMES[s]} for s in state_order],
        "items_total": len(rows),
        "applications_total": len({r.case_no for r in rows}),
        "by_state": [{"key": s, "name": STATE_NAMES[s], "count": by_state.get(s, 0)} for s in state_order],
        "by_kind": table(by_kind, guide.item_name),
        "by_department": table(by_dept, guide.department_name),
        "returns_total": len(returns),
        "returned_items": sum(1 for r in rows if r.return_count),
        "return_reasons": [{"name": k, "count": n} for k, n in reason_count.most_common(20)],
        "rejections_total": by_state.get("rejected", 0),
        "reject_reasons": [{"name": k, "count": n} for k, n in reject_count.most_common(20)],
        "decided_total": len(decided),
        "decision_days": {"count": len(days),
                          "median": statistics.median(days) if days else None,
                          "p90": percentile(days, 90)},
        "first_time_right": {"approved": len(approved), "without_return": len(first_time),
                             "rate": round(len(first_time) / len(approved), 4) if approved else None},
        "satisfaction": {"count": len(ratings),
                         "mean": round(statistics.fmean(ratings), 2) if ratings else None,
                         "satisfied_rate": round(sum(1 for x in ratings if x >= 4) / len(ratings), 4)
                         if ratings else None},
        "overdue": [_row(guide, r, today) for r in overdue],
        "late_decisions": [_row(guide, r, today) for r in late],
        "handoffs": None if department else {
            "total": len(handoffs),
            "waiting": sum(1 for h in handoffs if h.status == "waiting"),
            "answered": len(answered),
            "median_seconds": statistics.median(answered) if answered else None,
            "p90_seconds": percentile(answered, 90),
            "answered_in_hours": len(in_hours),
            "within_target": sum(1 for s in in_hours if s <= FAST_RESPONSE_SECONDS),
            "target_seconds": FAST_RESPONSE_SECONDS,
            "by_reason": dict(Counter(h.reason for h in handoffs)),
        },
    }


def _row(guide, r, today: dt.date) -> dict:
    return {"item_no": r.item_no, "case_no": r.case_no, "subject_name": r.subject_name,
            "kind_name": guide.item_name(r.kind, r.department), "department_name": guide.department_name(r.department),
            "state_name": STATE_NAMES[r.state], "deadline": r.deadline, "decided_on": r.decided_on,
            "days_left": working_days_left(r.deadline, today)}


CSV_HEADER = ["事项编号", "案件号", "申请主体", "事项", "部门", "状态", "首次受理日", "办理期限", "办结日",
              "办理工作日", "退回次数", "是否超期", "渠道"]


def items_csv(store: CaseStore, department: str | None = None) -> bytes:
    """Every item in scope as CSV (UTF-8 with BOM so Excel opens the Chinese correctly)."""
    rows, _, _, _ = _items(store, department)
    today = store.today()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_HEADER)
    for r in rows:
        w.writerow([r.item_no, r.case_no, _csv_safe(r.subject_name), store.guide.item_name(r.kind, r.department),
                    store.guide.department_name(r.department), STATE_NAMES[r.state],
                    r.first_received_on, r.deadline or "", r.decided_on or "",
                    "" if r.decision_working_days is None else r.decision_working_days, r.return_count or 0,
                    "是" if is_overdue(r.state, r.deadline, today) else "否", r.channel])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _csv_safe(value: str) -> str:
    """No spreadsheet formulas from applicant-typed names (CSV injection)."""
    return "'" + value if value and value[0] in "=+-@\t\r" else value
