"""What every case-store service module shares: who is calling (`Viewer`), state names and
allowed moves, the store's base (database, guide, clock) and small view helpers."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.casestore.db import Database
from bot.casestore.errors import forbidden, not_found
from bot.casestore.models import Application, Reminder, Upload, china_date, utcnow
from bot.casestore.settings import Settings

STATE_NAMES = {
    "submitted": "已提交，待受理",
    "accepted": "已受理，审核中",
    "returned": "已退回，请补正材料",
    "approved": "已同意修复，结果共享中",
    "rejected": "不予修复",
    "result_shared": "已修复，结果已共享",
    "withdrawn": "已撤回",
}
APPLICATION_STATE_NAMES = {
    "submitted": "已提交",
    "in_progress": "办理中",
    "returned": "需补正材料",
    "completed": "已办结",
    "withdrawn": "已撤回",
}
# action -> (states it may start from, resulting state)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({"submitted"}), "accepted"),
    "return": (frozenset({"submitted", "accepted"}), "returned"),
    "approve": (frozenset({"accepted"}), "approved"),
    "reject": (frozenset({"accepted"}), "rejected"),
    "resubmit": (frozenset({"returned"}), "submitted"),
    "share": (frozenset({"approved"}), "result_shared"),
    "withdraw": (frozenset({"submitted", "returned"}), "withdrawn"),  # by the applicant, before acceptance
}
ACTION_NAMES = {
    "accept": "受理", "return": "退回补正", "approve": "同意修复", "reject": "不予修复",
    "resubmit": "补正后重新提交", "share": "结果共享", "withdraw": "撤回申请",
}
OPEN_STATES = ("submitted", "accepted")  # the department's clock is running
FINAL_STATES = ("rejected", "result_shared", "withdrawn")


@dataclass(frozen=True)
class Viewer:
    """Who is calling: agent | assistant | department | applicant | upload (token)."""

    role: str
    department: str | None = None
    name: str | None = None

    @property
    def actor(self) -> str:
        base = f"{self.role}:{self.department}" if self.department else self.role
        return f"{base}/{self.name}" if self.name else base

    @property
    def trusted(self) -> bool:
        return self.role in ("agent", "assistant")


def request_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def mask_phone(phone: str | None) -> str | None:
    from bot.parsing.masking import mask_phone as _mask

    return _mask(phone) if phone else phone



class StoreBase:
    """Settings, database, guide and clock; the service mixins build on these."""

    def __init__(self, settings: Settings, db: Database | None = None, guide=None,
                 clock: Callable[[], dt.datetime] = utcnow):
        from bot.guide.loader import load_guide

        self.settings = settings
        self.db = db or Database(settings.database_url)
        self.guide = guide or load_guide()
        self.clock = clock

    def today(self) -> dt.date:
        """The business date: China's calendar date, or the project's pinned ASSISTANT_TODAY."""
        if os.environ.get("ASSISTANT_TODAY"):
            from bot.clock import today

            return today()
        return china_date(self.clock())

    def ping(self) -> None:
        with self.db.reading() as s:
            s.execute(select(1)).scalar_one()


def application_state(states: Iterable[str]) -> str:
    states = list(states)
    if not states or all(s == "submitted" for s in states):
        return "submitted"
    if all(s == "withdrawn" for s in states):
        return "withdrawn"
    if any(s == "returned" for s in states):
        return "returned"
    if all(s in FINAL_STATES for s in states):
        return "completed"
    return "in_progress"


def is_overdue(state: str, deadline: dt.date | None, today: dt.date) -> bool:
    return state in OPEN_STATES and deadline is not None and today > deadline


def phone_matches(stored: str, given: str | None, *, allow_last4: bool) -> bool:
    """The applicant's phone: the full number (any usual spelling) or, for reading, its last 4 digits."""
    import hmac

    from bot.casestore.validation import identifiers

    if not isinstance(given, str) or not given.strip():
        return False
    given = unicodedata.normalize("NFKC", given).strip()  # full-width digits are digits
    if not given.isascii():  # other scripts' digits are never a phone number here
        return False
    if allow_last4 and len(given) == 4 and given.isdigit():
        return hmac.compare_digest(given, stored[-4:])
    check = identifiers().check_mobile(given)
    return check.ok and hmac.compare_digest(check.value, stored)


def applicant_app(s: Session, number: str, viewer: Viewer, phone: str | None,
                  token_app_id: int | None = None) -> Application:
    """The application an applicant (full phone), an upload link or a trusted caller may change."""
    app = s.execute(select(Application).where(Application.case_no == number)).scalar_one_or_none()
    if app is None:
        raise not_found()
    if viewer.role == "upload":
        if token_app_id != app.id:
            raise not_found()
    elif viewer.role == "applicant" or (viewer.trusted and phone):
        if not phone_matches(app.agent_phone, phone, allow_last4=False):
            raise not_found()
    elif not viewer.trusted:
        raise forbidden("无权修改该申请。")
    return app


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    return value.isoformat()


def opt_text(value: Any, limit: int = 1000) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()[:limit]
    return None


def upload_view(u: Upload) -> dict:
    return {"upload_id": u.upload_id, "material_id": u.material_id, "filename": u.filename,
            "content_type": u.content_type, "size": u.size, "sha256": u.sha256,
            "uploaded_at": iso(u.created_at)}


def reminder_view(r: Reminder) -> dict:
    return {"id": r.id, "subject_code": r.subject_code, "phone": mask_phone(r.phone),
            "channel_user_id": r.channel_user_id, "channel": r.channel,
            "remind_on": iso(r.remind_on), "summary": r.summary, "sent_at": iso(r.sent_at)}


def public_actor(actor: str) -> str:
    """Applicants see which body acted, not the officer's name."""
    return actor.split("/", 1)[0]


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
