"""The staff audit log: every login, page view of a case, decision, reply and export."""

from __future__ import annotations

from sqlalchemy import select

from bot.casestore.db import Database
from bot.casestore.models import StaffAudit, utcnow


def record(db: Database, username: str, action: str, *, role: str | None = None,
           target: str | None = None, ok: bool = True, client: str | None = None,
           detail: dict | None = None, clock=utcnow) -> None:
    with db.writing() as s:
        s.add(StaffAudit(at=clock(), username=(username or "?")[:40], role=role, action=action[:40],
                         target=(target or None) and str(target)[:80], ok=ok,
                         client=(client or None) and client[:64], detail=detail or None))


def recent(db: Database, *, username: str | None = None, limit: int = 100) -> list[dict]:
    with db.reading() as s:
        q = select(StaffAudit).order_by(StaffAudit.id.desc()).limit(limit)
        if username:
            q = q.where(StaffAudit.username == username)
        return [{"at": a.at, "username": a.username, "role": a.role, "action": a.action,
                 "target": a.target, "ok": a.ok, "detail": a.detail or {}}
                for a in s.execute(q).scalars()]
