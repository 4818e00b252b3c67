"""Tables of the case store. Nothing is ever deleted: state changes are updates plus an
`events` row (who, when, what, why).

Times are naive UTC (`utcnow()`); business dates (received, deadline, decided) are dates in
China Standard Time.
"""

from __future__ import annotations


from sqlalchemy import (
    JSON, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

from bot.clock import CHINA as CST, china_date, utcnow  # noqa: E402,F401 - the one clock


class Application(Base):
    __tablename__ = "applications"

    id = Column(Integer, primary_key=True)
    case_no = Column(String(24), nullable=False, unique=True)
    idempotency_key = Column(String(200), unique=True)
    request_hash = Column(String(64), nullable=False)
    subject_type = Column(String(40), nullable=False)
    subject_name = Column(String(200), nullable=False)
    uscc = Column(String(18), nullable=False, index=True)
    legal_rep = Column(String(100), nullable=False)
    agent_name = Column(String(100), nullable=False)
    agent_phone = Column(String(11), nullable=False)
    channel = Column(String(20), nullable=False)
    conversation_id = Column(String(128), index=True)
    commitment_accepted_at = Column(DateTime, nullable=False)
    submitted_by = Column(String(60), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    payload = Column(JSON, nullable=False)
    applicant_version = Column(Integer, nullable=False, default=1, server_default="1")  # +1 per correction

    items = relationship("Item", back_populates="application", order_by="Item.seq")
    uploads = relationship("Upload", back_populates="application", order_by="Upload.id")
    declared_materials = relationship("DeclaredMaterial", order_by="DeclaredMaterial.id")


class Item(Base):
    """One record (one service item, one deciding department) of an application."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("application_id", "seq"),)

    id = Column(Integer, primary_key=True)
    item_no = Column(String(32), nullable=False, unique=True)
    application_id = Column(Integer, ForeignKey("applications.id"), nullable=False, index=True)
    seq = Column(Integer, nullable=False)
    kind = Column(String(32), nullable=False)
    department = Column(String(40), nullable=False, index=True)
    record = Column(JSON, nullable=False)
    state = Column(String(20), nullable=False, index=True)
    version = Column(Integer, nullable=False)
    received_on = Column(Date, nullable=False)
    deadline = Column(Date)
    limit_working_days = Column(Integer)
    rule_id = Column(String(80))
    rule_basis = Column(Text)
    rule_verified = Column(Boolean)
    deadline_caveat = Column(Text)
    missing = Column(JSON)  # last 一次性告知 list
    reasons = Column(JSON)  # rejection reasons
    depends_on = Column(JSON)  # item_nos of this application decided first (list removal before penalty)
    return_count = Column(Integer, nullable=False, default=0)
    first_received_on = Column(Date, nullable=False)
    decided_on = Column(Date)
    decided_at = Column(DateTime)
    decision_working_days = Column(Integer)
    shared_at = Column(DateTime)
    updated_at = Column(DateTime, nullable=False, default=utcnow)

    application = relationship("Application", back_populates="items")

    __mapper_args__ = {"version_id_col": version}


class DeclaredMaterial(Base):
    """The materials listed in the submission (一套材料), with the upload they point to."""

    __tablename__ = "declared_materials"

    id = Column(Integer, primary_key=True)
    application_id = Column(Integer, ForeignKey("applications.id"), nullable=False, index=True)
    material_id = Column(String(60), nullable=False)
    upload_id = Column(String(40))


class Upload(Base):
    """A file stored under the upload dir; linked to an application or to a draft."""

    __tablename__ = "uploads"

    id = Column(Integer, primary_key=True)
    upload_id = Column(String(40), nullable=False, unique=True)
    application_id = Column(Integer, ForeignKey("applications.id"), index=True)
    draft_id = Column(String(128), index=True)
    material_id = Column(String(60))
    filename = Column(String(255), nullable=False)
    content_type = Column(String(100), nullable=False)
    size = Column(Integer, nullable=False)
    sha256 = Column(String(64), nullable=False)
    storage_path = Column(String(500), nullable=False)
    uploaded_by = Column(String(60), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    application = relationship("Application", back_populates="uploads")


class Event(Base):
    """Audit trail: every change, who made it, when, what and why."""

    __tablename__ = "events"

    id = Column(Integer, primary_key=True)
    application_id = Column(Integer, ForeignKey("applications.id"), nullable=False, index=True)
    item_id = Column(Integer, ForeignKey("items.id"), index=True)
    at = Column(DateTime, nullable=False, default=utcnow)
    actor = Column(String(120), nullable=False)
    action = Column(String(40), nullable=False)
    from_state = Column(String(20))
    to_state = Column(String(20))
    detail = Column(JSON)


class Result(Base):
    """The repair result of an approved item, shared to the subscribers (结果共享互认)."""

    __tablename__ = "results"

    id = Column(Integer, primary_key=True)
    item_id = Column(Integer, ForeignKey("items.id"), nullable=False, unique=True)
    payload = Column(JSON, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class Outbox(Base):
    """One delivery of one result to one subscriber; retried with back-off until acknowledged."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("result_id", "subscriber"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id = Column(Integer, primary_key=True)
    result_id = Column(Integer, ForeignKey("results.id"), nullable=False)
    subscriber = Column(String(100), nullable=False)
    url = Column(String(500), nullable=False)
    delivery_id = Column(String(64), nullable=False, unique=True)
    status = Column(String(16), nullable=False, default="pending")  # pending | delivered | dead
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime, nullable=False)
    locked_until = Column(DateTime)
    last_error = Column(Text)
    last_attempt_at = Column(DateTime)
    delivered_at = Column(DateTime)
    dead_at = Column(DateTime)  # gave up after CASESTORE_OUTBOX_MAX_ATTEMPTS: an alert
    created_at = Column(DateTime, nullable=False, default=utcnow)


class UploadToken(Base):
    __tablename__ = "upload_tokens"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    application_id = Column(Integer, ForeignKey("applications.id"))
    draft_id = Column(String(128))
    material_id = Column(String(60))
    created_by = Column(String(60), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)
    used_at = Column(DateTime)


class Reminder(Base):
    """双书同达 reminder: tell the subject when repair becomes possible."""

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_due", "sent_at", "remind_on"),)

    id = Column(Integer, primary_key=True)
    subject_code = Column(String(18), nullable=True, index=True)  # unknown at a chat path check
    phone = Column(String(11))
    channel_user_id = Column(String(128))
    channel = Column(String(20), nullable=False)
    remind_on = Column(Date, nullable=False)
    summary = Column(Text, nullable=False)
    created_by = Column(String(60), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    sent_at = Column(DateTime)
    stopped_at = Column(DateTime)  # 「不要再提醒」


# ------------------------------------------------------------------------------------------
# 双书同达: the 信用修复告知书 served with a decision, consent to be told, pushed notices
# ------------------------------------------------------------------------------------------
class Notice(Base):
    """A 信用修复告知书 made from a department's penalty or listing decision.

    The rules engine's answer at posting time is kept (`result`), so the document can be
    re-rendered exactly as served. The QR token is signed from the notice number
    (bot/casestore/notice.py), so nothing secret is stored here."""

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("department", "decision_number"),)

    id = Column(Integer, primary_key=True)
    notice_no = Column(String(32), nullable=False, unique=True)
    request_hash = Column(String(64), nullable=False)
    subject_type = Column(String(40), nullable=False)
    subject_name = Column(String(200), nullable=False)
    uscc = Column(String(18), nullable=False, index=True)
    kind = Column(String(32), nullable=False)
    department = Column(String(40), nullable=False, index=True)
    decision_number = Column(String(100), nullable=False)
    decision_date = Column(Date, nullable=False)
    record = Column(JSON, nullable=False)  # the engine record
    result = Column(JSON, nullable=False)  # the engine's answer for that record
    earliest_date = Column(Date)
    auto_end_date = Column(Date)
    created_by = Column(String(120), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class Consent(Base):
    """The subject agreed to be told (reminders and/or status changes) on one channel."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_user", "channel", "channel_user_id"),)

    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False)  # wechat | web | sms
    channel_user_id = Column(String(128))          # WeChat openid / widget sender id
    phone = Column(String(11))
    subject_code = Column(String(18), index=True)
    case_no = Column(String(24), index=True)
    notice_id = Column(Integer, ForeignKey("notices.id"))
    reminders = Column(Boolean, nullable=False, default=True)
    status_updates = Column(Boolean, nullable=False, default=True)
    source = Column(String(30), nullable=False)    # chat | notice_qr | wechat_subscribe | api
    template_id = Column(String(100))               # WeChat subscribe template the user accepted
    template_used_at = Column(DateTime)             # a one-time grant, used by the message it carried
    created_by = Column(String(120), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    revoked_at = Column(DateTime)


class Notification(Base):
    """One message to one person (reminder or status change), delivered at most once.

    `dedupe_key` makes queueing idempotent; a row is claimed (`sending`) in its own committed
    transaction before the send, so a crash mid-send leaves it `sending` and it is never sent
    again automatically (it shows up as uncertain in the dead letters instead)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)

    id = Column(Integer, primary_key=True)
    dedupe_key = Column(String(200), nullable=False, unique=True)
    consent_id = Column(Integer, ForeignKey("consents.id"), index=True)
    reminder_id = Column(Integer, ForeignKey("reminders.id"), index=True)
    item_id = Column(Integer, ForeignKey("items.id"), index=True)
    kind = Column(String(20), nullable=False)       # reminder | status | rating
    channel = Column(String(20), nullable=False)
    recipient = Column(String(128), nullable=False)
    payload = Column(JSON, nullable=False)          # {"title", "text", "fields", "url"}
    status = Column(String(16), nullable=False, default="pending")  # pending|sending|sent|dead|cancelled
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime, nullable=False)
    locked_until = Column(DateTime)
    last_error = Column(Text)
    sent_at = Column(DateTime)
    created_at = Column(DateTime, nullable=False, default=utcnow)


# ------------------------------------------------------------------------------------------
# 好差评
# ------------------------------------------------------------------------------------------
class Rating(Base):
    """A five-level satisfaction rating after a closed case or a handoff."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("context", "target"),)

    id = Column(Integer, primary_key=True)
    context = Column(String(20), nullable=False)    # case | handoff
    target = Column(String(140), nullable=False)    # case number, or handoff id
    level = Column(Integer, nullable=False)         # 1 非常不满意 .. 5 非常满意
    reason = Column(Text)
    department = Column(String(40), index=True)
    kind = Column(String(32))
    channel = Column(String(20))
    channel_user_id = Column(String(128))
    created_by = Column(String(120), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class FollowUp(Base):
    """A supervisor's task after a bad rating, due within the guide's working days."""

    __tablename__ = "followups"

    id = Column(Integer, primary_key=True)
    rating_id = Column(Integer, ForeignKey("ratings.id"), nullable=False, unique=True)
    department = Column(String(40), index=True)
    status = Column(String(16), nullable=False, default="open", index=True)  # open | done
    opened_on = Column(Date, nullable=False)
    due_on = Column(Date, nullable=False)
    limit_working_days = Column(Integer, nullable=False)
    rule_basis = Column(Text, nullable=False)
    rule_verified = Column(Boolean, nullable=False)
    caveat = Column(Text)
    resolution = Column(Text)
    closed_by = Column(String(120))
    closed_at = Column(DateTime)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class LookupFailure(Base):
    """One failed look-up (unknown case number or wrong phone), kept a day for the limits in
    bot/casestore/services/lookups.py. Keys only: the case number and a hash of the client."""

    __tablename__ = "lookup_failures"
    __table_args__ = (Index("ix_lookup_failures_case", "case_key", "at"),
                      Index("ix_lookup_failures_client", "client_key", "at"))

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False)
    case_key = Column(String(40))
    client_key = Column(String(40))
# ------------------------------------------------------------------------------------------
# Staff side (help-desk agents, department officers, supervisors): see bot/casestore/staff/
# ------------------------------------------------------------------------------------------
class StaffUser(Base):
    """A named staff account. role: agent | officer (of one department) | supervisor."""

    __tablename__ = "staff_users"

    id = Column(Integer, primary_key=True)
    username = Column(String(40), nullable=False, unique=True)
    display_name = Column(String(60), nullable=False)
    role = Column(String(20), nullable=False)
    department = Column(String(40))  # officers only
    password_hash = Column(String(200), nullable=False)
    dev_default = Column(Boolean, nullable=False, default=False)  # refused under APP_ENV=production
    active = Column(Boolean, nullable=False, default=True)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_login_at = Column(DateTime)


class StaffSession(Base):
    """A login session: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "staff_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    user_id = Column(Integer, ForeignKey("staff_users.id"), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_seen_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)
    ended_at = Column(DateTime)


class StaffAudit(Base):
    """Every staff action (logins, page views of a case, decisions, replies), who and when."""

    __tablename__ = "staff_audit"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    username = Column(String(40), nullable=False, index=True)
    role = Column(String(20))
    action = Column(String(40), nullable=False)
    target = Column(String(80))
    ok = Column(Boolean, nullable=False, default=True)
    client = Column(String(64))
    detail = Column(JSON)


class Handoff(Base):
    """A conversation handed to a human agent (转人工), until the agent hands it back."""

    __tablename__ = "handoffs"
    __table_args__ = (Index("ix_handoffs_open", "status", "created_at"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(20), nullable=False)
    reason = Column(String(20), nullable=False)  # asked | failed_answers | form_failures | angry
    status = Column(String(16), nullable=False, default="waiting")  # waiting | active | closed
    transcript = Column(JSON, nullable=False)
    slots = Column(JSON, nullable=False)
    records = Column(JSON)
    form = Column(String(60))  # the active form when the bot paused
    in_office_hours = Column(Boolean, nullable=False, default=True)
    agent = Column(String(40))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    first_response_at = Column(DateTime)
    closed_at = Column(DateTime)
    slot_changes = Column(JSON)


class HandoffMessage(Base):
    """A line said during a handoff, by the user or by the agent."""

    __tablename__ = "handoff_messages"

    id = Column(Integer, primary_key=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id"), nullable=False, index=True)
    at = Column(DateTime, nullable=False, default=utcnow)
    sender = Column(String(10), nullable=False)  # user | agent
    agent = Column(String(40))
    text = Column(Text, nullable=False)
    delivered_at = Column(DateTime)
