"""Result sharing (结果共享互认) through an outbox table.

An approved item gets one `results` row and one `outbox` row per configured subscriber in the
same transaction as the approval, so nothing can be lost between "approved" and "queued".
`deliver_due(now)` POSTs every due row to its subscriber with a stable delivery id
(`Idempotency-Key` and `X-Delivery-Id` headers: a retry carries the same id, so the subscriber
can drop duplicates). A 2xx answer is an acknowledgement; anything else (error status,
timeout, refused connection) is retried after base·2^(n-1) seconds, at most `max`, up to
CASESTORE_OUTBOX_MAX_ATTEMPTS tries; then the row goes to the dead letters (`status='dead'`,
`dead_at`): an alert for agents and the dashboard (bot/casestore/deadletters.py), where it can
be sent again once the subscriber is fixed. Nothing is lost: the row and its result stay. When every subscriber of a result has acknowledged,
the item moves approved → result_shared.

Rows are claimed with a short lease (`locked_until`) by a conditional UPDATE, so the server's
background loop and a manual `deliver_due` call never post the same row at the same time.
"""

from __future__ import annotations

import datetime as dt
import logging

import httpx
from sqlalchemy import select, update

from bot.casestore.models import Item, Outbox, Result, utcnow
from bot.casestore.service import CaseStore, Viewer

log = logging.getLogger("bot.casestore.outbox")
LEASE = dt.timedelta(seconds=120)
BATCH = 100


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Wait after the `attempts`-th failed attempt: base, 2·base, 4·base, ... at most cap."""
    return min(cap, base * (2 ** max(attempts - 1, 0)))


def deliver_due(now: dt.datetime | None = None, store: CaseStore | None = None,
                client: httpx.Client | None = None) -> dict:
    """Deliver every outbox row due at `now` (naive UTC; default: the current time).

    Returns counts {"attempted", "delivered", "failed", "shared"}. Safe to call concurrently.
    """
    if store is None:  # a one-off run from the environment's settings
        from bot.casestore.settings import Settings

        own = CaseStore(Settings.from_env())
        try:
            return deliver_due(now, own, client)
        finally:
            own.db.dispose()
    now = now or utcnow()
    settings = store.settings
    stats = {"attempted": 0, "delivered": 0, "failed": 0, "shared": 0}
    claimed = _claim(store, now)
    if not claimed:
        return stats
    own_client = client is None
    client = client or httpx.Client(timeout=settings.delivery_timeout)
    try:
        for row in claimed:
            stats["attempted"] += 1
            ok, error = _post(client, row)
            if ok:
                stats["delivered"] += 1
                stats["shared"] += _acknowledge(store, row["id"], now)
            else:
                stats["failed"] += 1
                _fail(store, row["id"], now, error)
    finally:
        if own_client:
            client.close()
    return stats


def _claim(store: CaseStore, now: dt.datetime) -> list[dict]:
    with store.db.writing() as s:
        due = s.execute(
            select(Outbox.id, Outbox.url, Outbox.delivery_id, Outbox.subscriber, Result.payload)
            .join(Result, Result.id == Outbox.result_id)
            .where(Outbox.status == "pending", Outbox.next_attempt_at <= now)
            .where((Outbox.locked_until.is_(None)) | (Outbox.locked_until <= now))
            .order_by(Outbox.next_attempt_at, Outbox.id).limit(BATCH)
        ).all()
        claimed = []
        for row in due:
            got = s.execute(
                update(Outbox)
                .where(Outbox.id == row.id, Outbox.status == "pending")
                .where((Outbox.locked_until.is_(None)) | (Outbox.locked_until <= now))
                .values(locked_until=now + LEASE)
                .execution_options(synchronize_session=False)
            ).rowcount
            if got == 1:
                claimed.append({"id": row.id, "url": row.url, "delivery_id": row.delivery_id,
                                "subscriber": row.subscriber, "payload": row.payload})
        return claimed


def _post(client: httpx.Client, row: dict) -> tuple[bool, str | None]:
    headers = {"Idempotency-Key": row["delivery_id"], "X-Delivery-Id": row["delivery_id"],
               "Content-Type": "application/json; charset=utf-8"}
    body = dict(row["payload"], delivery_id=row["delivery_id"], subscriber=row["subscriber"])
    try:
        resp = client.post(row["url"], json=body, headers=headers)
    except httpx.HTTPError as exc:
        return False, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= resp.status_code < 300:
        return True, None
    return False, f"HTTP {resp.status_code}: {resp.text[:300]}"


def _acknowledge(store: CaseStore, outbox_id: int, now: dt.datetime) -> int:
    """Mark delivered; when the whole result is acknowledged, approved → result_shared."""
    with store.db.writing() as s:
        row = s.get(Outbox, outbox_id)
        if row.status == "delivered":
            return 0
        row.status = "delivered"
        row.attempts += 1
        row.last_attempt_at = now
        row.delivered_at = now
        row.locked_until = None
        row.last_error = None
        s.flush()
        pending = s.execute(select(Outbox.id).where(Outbox.result_id == row.result_id,
                                                    Outbox.status != "delivered")).first()
        if pending is not None:
            return 0
        item = s.execute(select(Item).join(Result, Result.item_id == Item.id)
                         .where(Result.id == row.result_id)).scalar_one()
        if item.state != "approved":
            return 0
        subscribers = s.execute(select(Outbox.subscriber).where(Outbox.result_id == row.result_id)
                                .order_by(Outbox.id)).scalars().all()
        store._transition(s, item, "share", Viewer("system", name="outbox"),
                          {"subscribers": list(subscribers)})
        return 1


def _fail(store: CaseStore, outbox_id: int, now: dt.datetime, error: str | None) -> None:
    settings = store.settings
    with store.db.writing() as s:
        row = s.get(Outbox, outbox_id)
        if row.status == "delivered":
            return
        row.attempts += 1
        row.last_attempt_at = now
        row.last_error = error
        row.locked_until = None
        if row.attempts >= settings.outbox_max_attempts:
            row.status = "dead"
            row.dead_at = now
            log.error("ALERT: delivery %s to %s gave up after %d attempts: %s", row.delivery_id,
                      row.subscriber, row.attempts, error)
            return
        row.next_attempt_at = now + dt.timedelta(
            seconds=backoff_seconds(row.attempts, settings.outbox_backoff_base, settings.outbox_backoff_max))
        log.warning("delivery %s to %s failed (attempt %d): %s", row.delivery_id, row.subscriber,
                    row.attempts, error)
