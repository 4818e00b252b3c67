"""Dead letters: what the case store gave up sending, as alerts for agents and the dashboard.

Two kinds: result-sharing deliveries (`outbox`, after CASESTORE_OUTBOX_MAX_ATTEMPTS) and pushed
notices (`notifications`: too many failures, a refusal that will not change, or an uncertain
send that was not repeated to avoid a duplicate). `retry` puts one back in the queue once the
cause is fixed — for a notice whose send was uncertain, only after a person checked it did not
arrive (the request says so with `confirmed_not_received`).
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.casestore.errors import conflict, invalid, not_found
from bot.casestore.models import Item, Notification, Outbox, Result


def dead_letters(store, limit: int = 200) -> dict:
    from bot.casestore.notify import notification_view

    with store.db.reading() as s:
        outbox = s.execute(select(Outbox, Item.item_no).join(Result, Result.id == Outbox.result_id)
                           .join(Item, Item.id == Result.item_id).where(Outbox.status == "dead")
                           .order_by(Outbox.dead_at.desc(), Outbox.id.desc()).limit(limit)).all()
        notices = s.execute(select(Notification).where(Notification.status == "dead")
                            .order_by(Notification.id.desc()).limit(limit)).scalars().all()
        counts = alert_counts(store, s)
        return {
            "alerts": counts,
            "outbox": [{"id": o.id, "item_id": item_no, "subscriber": o.subscriber, "attempts": o.attempts,
                        "last_error": o.last_error, "dead_at": _iso(o.dead_at),
                        "last_attempt_at": _iso(o.last_attempt_at)} for o, item_no in outbox],
            "notifications": [notification_view(n) for n in notices],
        }


def alert_counts(store, s=None) -> dict:
    def count(sess):
        return {
            "outbox_dead": sess.execute(select(func.count()).select_from(Outbox)
                                        .where(Outbox.status == "dead")).scalar_one(),
            "notifications_dead": sess.execute(select(func.count()).select_from(Notification)
                                               .where(Notification.status == "dead")).scalar_one(),
        }

    if s is not None:
        return count(s)
    with store.db.reading() as sess:
        return count(sess)


def retry(store, kind: str, row_id: int, body: dict) -> dict:
    now = store.clock()
    with store.db.writing() as s:
        if kind == "outbox":
            row = s.get(Outbox, row_id)
            if row is None:
                raise not_found("投递记录")
            if row.status != "dead":
                raise conflict("not_dead", "该投递不在失败队列中。")
            row.status, row.attempts, row.dead_at, row.next_attempt_at = "pending", 0, None, now
            return {"id": row.id, "kind": kind, "status": row.status}
        if kind == "notifications":
            row = s.get(Notification, row_id)
            if row is None:
                raise not_found("通知")
            if row.status != "dead":
                raise conflict("not_dead", "该通知不在失败队列中。")
            if (row.last_error or "").startswith(("发送结果不确定", "发送中断")) and not body.get("confirmed_not_received"):
                raise invalid([{"field": "confirmed_not_received",
                                "message": "这条通知可能已经送达。请先向用户核实没有收到，再以 confirmed_not_received=true 重发。"}])
            row.status, row.attempts, row.next_attempt_at = "pending", 0, now
            return {"id": row.id, "kind": kind, "status": row.status}
    raise not_found("失败队列")


def _iso(value):
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"
