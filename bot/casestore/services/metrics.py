"""Service metrics (办事数量、驳回次数、办理进度、异常办结), for agents (all) or one department."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter

from sqlalchemy import func, select

from bot.casestore.models import Event, Item, Notification, Outbox
from bot.casestore.services.common import StoreBase, Viewer, is_overdue, iso, rate
from bot.rules.workdays import count_working_days


class Metrics(StoreBase):
    def metrics(self, on: dt.date | None, viewer: Viewer) -> dict:
        on = on or self.today()
        with self.db.reading() as s:
            q = select(Item.item_no, Item.kind, Item.department, Item.state, Item.deadline,
                       Item.return_count, Item.decision_working_days, Item.decided_on, Item.application_id)
            if viewer.role == "department":
                q = q.where(Item.department == viewer.department)
            rows = s.execute(q).all()
            rq = select(func.count()).select_from(Event).where(Event.action == "return")
            if viewer.role == "department":
                rq = rq.where(Event.item_id.in_(select(Item.id).where(Item.department == viewer.department)))
            returns = s.execute(rq).scalar_one()
            outbox = dict(s.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all()) \
                if viewer.role == "agent" else None
            retrying = s.execute(select(func.count()).select_from(Outbox).where(
                Outbox.status == "pending", Outbox.attempts > 0)).scalar_one() if viewer.role == "agent" else None
            # pushed notices (bot/casestore/notify.py) by state, for the dashboard's alerts
            notices = dict(s.execute(select(Notification.status, func.count()).group_by(Notification.status)).all()) \
                if viewer.role == "agent" else None
            notices_retrying = s.execute(select(func.count()).select_from(Notification).where(
                Notification.status == "pending", Notification.attempts > 0)).scalar_one() \
                if viewer.role == "agent" else None
        total = len(rows)
        by_state = dict(Counter(r.state for r in rows))
        by_item: dict[str, dict] = {}
        by_dept: dict[str, dict] = {}
        for r in rows:
            for bucket, key in ((by_item, r.kind), (by_dept, r.department)):
                b = bucket.setdefault(key, {"total": 0, "by_state": {}, "returned_items": 0, "returns": 0,
                                            "rejected": 0, "overdue": 0})
                b["total"] += 1
                b["by_state"][r.state] = b["by_state"].get(r.state, 0) + 1
                b["returned_items"] += 1 if r.return_count else 0
                b["returns"] += r.return_count or 0
                b["rejected"] += r.state == "rejected"
                b["overdue"] += is_overdue(r.state, r.deadline, on)
        decided = [r for r in rows if r.decided_on is not None]
        rejected = sum(1 for r in rows if r.state == "rejected")
        days = [r.decision_working_days for r in decided if r.decision_working_days is not None]
        overdue = [
            {"item_id": r.item_no, "kind": r.kind, "department": r.department, "state": r.state,
             "deadline": iso(r.deadline), "days_overdue": count_working_days(r.deadline, on)}
            for r in rows if is_overdue(r.state, r.deadline, on)
        ]
        late = sum(1 for r in decided if r.deadline and r.decided_on > r.deadline)
        out = {
            "as_of": on.isoformat(),
            "scope": viewer.department or "all",
            "applications_total": len({r.application_id for r in rows}),
            "items_total": total,
            "by_state": by_state,
            "by_item": by_item,
            "by_department": by_dept,
            "returns_total": returns,
            "return_rate": rate(sum(1 for r in rows if r.return_count), total),
            "rejection_rate": rate(rejected, len(decided)),
            "decision_working_days": {
                "count": len(days),
                "mean": round(statistics.fmean(days), 2) if days else None,
                "median": statistics.median(days) if days else None,
            },
            "overdue": {"count": len(overdue), "items": overdue[:200]},
            "decided_late": late,
        }
        if outbox is not None:
            out["outbox"] = {"pending": outbox.get("pending", 0), "delivered": outbox.get("delivered", 0),
                             "retrying": retrying, "dead": outbox.get("dead", 0)}
        if notices is not None:
            out["notifications"] = {state: notices.get(state, 0)
                                    for state in ("pending", "sending", "sent", "cancelled", "dead")}
            out["notifications"]["retrying"] = notices_retrying
            # the same figures as GET /api/v1/dead-letters' alerts: a dead letter needs a person
            out["alerts"] = {"outbox_dead": outbox.get("dead", 0), "notifications_dead": notices.get("dead", 0)}
        return out

