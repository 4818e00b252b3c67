"""Human handoff (转人工): a conversation handed from the assistant to a help-desk agent.

The assistant opens a handoff with the conversation so far, the detected records, the slots
(the partly filled form) and the active form, then pauses. The agent replies, may fill or
correct form fields, and hands back; replies and field changes are injected into the
conversation through Rasa's HTTP API (rasa_bridge.py) and are also kept here for channels
that fetch them. First human response time is measured from the handoff's creation.
Office hours come from guides/service.yml (`agent_hours`, on working days).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from bot.casestore.errors import ApiError, invalid, not_found
from bot.casestore.models import Handoff, HandoffMessage
from bot.casestore.service import CaseStore
from bot.clock import CHINA, china_now
from bot.rules.workdays import is_working_day
from bot.texts import t

REASONS = ("asked", "failed_answers", "form_failures", "angry")
OPEN = ("waiting", "active")
MAX_TEXT = 2000
MAX_TRANSCRIPT = 200


def agent_hours(store: CaseStore) -> list[tuple[dt.time, dt.time]]:
    raw = store.guide.service.get("agent_hours") or "09:00-17:00"
    spans = []
    for part in raw.split(","):
        start, _, end = part.strip().partition("-")
        spans.append((dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())))
    return spans


def office_status(store: CaseStore, now_utc: dt.datetime | None = None) -> tuple[bool, dt.datetime]:
    """(agents are on duty now, when they are next on duty) in China time."""
    now = china_now(now_utc or store.clock())
    spans = agent_hours(store)
    day = now.date()
    for offset in range(30):
        d = day + dt.timedelta(days=offset)
        if not is_working_day(d)[0]:
            continue
        for start, end in spans:
            begin = dt.datetime.combine(d, start, CHINA)
            finish = dt.datetime.combine(d, end, CHINA)
            if offset == 0 and begin <= now < finish:
                return True, now
            if begin > now:
                return False, begin
    return False, now  # pragma: no cover - no working day within a month


def when_text(moment: dt.datetime, now: dt.datetime) -> str:
    local_now = china_now(now)
    if moment.date() == local_now.date():
        day = t("staff.handoff.today")
    elif moment.date() == local_now.date() + dt.timedelta(days=1):
        day = t("staff.handoff.tomorrow")
    else:
        day = t("staff.handoff.on_date", month=moment.month, day=moment.day)
    return f"{day}{moment.strftime('%H:%M')}"


def _text(value: Any, field: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid([{"field": field, "message": t("staff.handoff.need_text")}])
    return value.strip()[:limit]


def _view(h: Handoff, messages: list[HandoffMessage] | None = None, now: dt.datetime | None = None) -> dict:
    out = {
        "id": h.id, "conversation_id": h.conversation_id, "channel": h.channel, "reason": h.reason,
        "status": h.status, "in_office_hours": h.in_office_hours, "agent": h.agent,
        "created_at": h.created_at, "first_response_at": h.first_response_at, "closed_at": h.closed_at,
        "form": h.form, "slots": h.slots or {}, "records": h.records or [], "transcript": h.transcript or [],
        "slot_changes": h.slot_changes or [],
        "first_response_seconds": (h.first_response_at - h.created_at).total_seconds()
        if h.first_response_at else None,
    }
    if now is not None:
        out["waiting_seconds"] = int(((h.first_response_at or now) - h.created_at).total_seconds())
    if messages is not None:
        out["messages"] = [{"id": m.id, "at": m.at, "sender": m.sender, "agent": m.agent, "text": m.text,
                            "delivered_at": m.delivered_at} for m in messages]
    return out


def open_handoff(store: CaseStore, body: Any) -> tuple[dict, bool]:
    """(handoff, created): a conversation has at most one open handoff."""
    if not isinstance(body, dict):
        raise invalid([{"field": "", "message": t("staff.handoff.bad_body")}])
    problems = []
    conv = body.get("conversation_id")
    if not isinstance(conv, str) or not 1 <= len(conv) <= 128:
        problems.append({"field": "conversation_id", "message": t("staff.handoff.bad_conversation")})
    channel = body.get("channel")
    if not isinstance(channel, str) or not 1 <= len(channel) <= 20:
        problems.append({"field": "channel", "message": t("staff.handoff.bad_channel")})
    reason = body.get("reason", "asked")
    if reason not in REASONS:
        problems.append({"field": "reason", "message": t("staff.handoff.bad_reason")})
    transcript = body.get("transcript", [])
    if not isinstance(transcript, list) or len(transcript) > MAX_TRANSCRIPT or not all(
            isinstance(x, dict) and x.get("sender") in ("user", "bot") and isinstance(x.get("text"), str)
            for x in transcript):
        problems.append({"field": "transcript", "message": t("staff.handoff.bad_transcript")})
    slots = body.get("slots", {})
    if not isinstance(slots, dict) or len(slots) > 100:
        problems.append({"field": "slots", "message": t("staff.handoff.bad_slots")})
    records = body.get("records", [])
    if not isinstance(records, list) or len(records) > 20:
        problems.append({"field": "records", "message": t("staff.handoff.bad_records")})
    form = body.get("form")
    if form is not None and (not isinstance(form, str) or len(form) > 60):
        problems.append({"field": "form", "message": t("staff.handoff.bad_form")})
    if problems:
        raise invalid(problems)
    now = store.clock()
    on_duty, next_open = office_status(store, now)
    with store.db.writing() as s:
        existing = s.execute(select(Handoff).where(Handoff.conversation_id == conv, Handoff.status.in_(OPEN))
                             ).scalars().first()
        if existing is not None:
            return _notice(store, _view(existing), on_duty, next_open, now), False
        h = Handoff(conversation_id=conv, channel=channel, reason=reason, status="waiting",
                    transcript=[{"sender": x["sender"], "text": x["text"][:MAX_TEXT], "at": x.get("at")}
                                for x in transcript],
                    slots={str(k)[:60]: v for k, v in slots.items()}, records=records, form=form,
                    in_office_hours=on_duty, created_at=now)
        s.add(h)
        s.flush()
        return _notice(store, _view(h), on_duty, next_open, now), True


def _notice(store: CaseStore, view: dict, on_duty: bool, next_open: dt.datetime, now: dt.datetime) -> dict:
    view["notice"] = t("staff.handoff.notice_on_duty") if on_duty else t(
        "staff.handoff.notice_after_hours", when=when_text(next_open, now), hotline=store.guide.service["hotline"])
    if not on_duty:
        view["notice"] += _hours_caveat(store)
    return view


def _hours_caveat(store: CaseStore) -> str:
    """Said after an office-hours time while guides/service.yml has the hours unverified."""
    if store.guide.service.get("agent_hours_verified", False):
        return ""
    return t("staff14b.auto.hours_unverified")


def queue(store: CaseStore) -> dict:
    now = store.clock()
    on_duty, next_open = office_status(store, now)
    with store.db.reading() as s:
        rows = s.execute(select(Handoff).where(Handoff.status.in_(OPEN)).order_by(Handoff.id)).scalars().all()
        items = [_view(h, now=now) for h in rows]
    for h in items:
        h["label"] = h["conversation_id"][-8:]
        h["reason_name"] = t(f"staff.handoff.reason.{h['reason']}")
        h["status_name"] = t(f"staff.handoff.status.{h['status']}")
        h["waiting"] = t("staff.handoff.minutes", n=h["waiting_seconds"] // 60, s=h["waiting_seconds"] % 60)
    office = t("staff.handoff.office_on") if on_duty else t("staff.handoff.office_off", when=when_text(next_open, now))
    return {"open": items, "office": office}


def detail(store: CaseStore, handoff_id: int) -> dict:
    with store.db.reading() as s:
        h = s.get(Handoff, handoff_id)
        if h is None:
            raise not_found("会话")
        msgs = s.execute(select(HandoffMessage).where(HandoffMessage.handoff_id == h.id)
                         .order_by(HandoffMessage.id)).scalars().all()
        return _view(h, list(msgs), now=store.clock())


def _open(s, handoff_id: int) -> Handoff:
    h = s.get(Handoff, handoff_id)
    if h is None:
        raise not_found("会话")
    if h.status not in OPEN:
        raise ApiError(409, "handoff_closed", t("staff.handoff.closed"))
    return h


def agent_reply(store: CaseStore, handoff_id: int, agent: str, text: Any) -> dict:
    text = _text(text, "text")
    now = store.clock()
    with store.db.writing() as s:
        h = _open(s, handoff_id)
        if h.first_response_at is None:
            h.first_response_at = now
        h.status = "active"
        h.agent = agent
        m = HandoffMessage(handoff_id=h.id, at=now, sender="agent", agent=agent, text=text)
        s.add(m)
        s.flush()
        return {"id": m.id, "conversation_id": h.conversation_id, "text": text}


def withdraws(text: str, store: CaseStore) -> bool:
    """「不要人工」「算了 我自己弄」 (guides/lexicon.yml `handoff_withdraw`), in a short message."""
    return len(text) <= 40 and store.guide.lexicon.mentions(text, "handoff_withdraw")


def user_message(store: CaseStore, conversation_id: str, text: Any) -> dict:
    """A message the user sent while the assistant was paused (from the assistant).

    `reply` is what the user is told while no agent has answered yet (status waiting): that the
    words were passed on, and outside office hours when an agent will read them. Once an agent
    is talking with the user it is None: the agent answers, and an acknowledgement of every
    message would only be noise. Before an agent answered, 「不要人工」 withdraws the handoff:
    status "withdrawn", with the form the assistant goes on with.
    """
    text = _text(text, "text")
    now = store.clock()
    with store.db.writing() as s:
        h = s.execute(select(Handoff).where(Handoff.conversation_id == conversation_id,
                                            Handoff.status.in_(OPEN))).scalars().first()
        if h is None:
            raise not_found("会话")
        waiting = h.status == "waiting"
        if waiting and withdraws(text, store):
            # 「不要人工，我自己弄」 before an agent answered: taken back, the assistant goes on
            h.status = "closed"
            h.closed_at = now
            s.add(HandoffMessage(handoff_id=h.id, at=now, sender="user", text=text))
            s.flush()
            return {"id": None, "handoff_id": h.id, "status": "withdrawn", "form": h.form,
                    "reply": t("staff.handoff.withdrawn_form" if h.form else "staff.handoff.withdrawn")}
        # the whole acknowledgement once; after that a short one (a phone screen, not a wall)
        again = waiting and s.execute(select(func.count(HandoffMessage.id)).where(
            HandoffMessage.handoff_id == h.id, HandoffMessage.sender == "user")).scalar() > 0
        m = HandoffMessage(handoff_id=h.id, at=now, sender="user", text=text)
        s.add(m)
        s.flush()
        result = {"id": m.id, "handoff_id": h.id, "status": h.status, "reply": None}
    if again:
        result["reply"] = t("staff.handoff.passed_again")
    elif waiting:
        on_duty, next_open = office_status(store, now)
        result["reply"] = t("staff.handoff.passed_on_duty") if on_duty else t(
            "staff.handoff.passed_after_hours", when=when_text(next_open, now),
            hotline=store.guide.service["hotline"]) + _hours_caveat(store)
    return result


def set_fields(store: CaseStore, handoff_id: int, agent: str, changes: dict[str, Any]) -> dict:
    """Fill or correct form fields (slots) for the user; only slots the form already has."""
    now = store.clock()
    with store.db.writing() as s:
        h = _open(s, handoff_id)
        slots = dict(h.slots or {})
        unknown = sorted(k for k in changes if k not in slots)
        if unknown:
            raise invalid([{"field": k, "message": t("staff.handoff.unknown_field")} for k in unknown])
        changed = {k: v for k, v in changes.items() if slots.get(k) != v}
        slots.update(changed)
        h.slots = slots
        log = list(h.slot_changes or [])
        log += [{"slot": k, "value": v, "by": agent, "at": now.isoformat()} for k, v in changed.items()]
        h.slot_changes = log
        if h.first_response_at is None:
            h.first_response_at = now
        h.status = "active"
        h.agent = h.agent or agent
        return {"conversation_id": h.conversation_id, "changed": changed}


def hand_back(store: CaseStore, handoff_id: int, agent: str) -> dict:
    now = store.clock()
    with store.db.writing() as s:
        h = _open(s, handoff_id)
        h.status = "closed"
        h.closed_at = now
        h.agent = h.agent or agent
        return {"conversation_id": h.conversation_id, "form": h.form}


def mark_delivered(store: CaseStore, message_id: int) -> None:
    with store.db.writing() as s:
        m = s.get(HandoffMessage, message_id)
        if m is not None and m.delivered_at is None:
            m.delivered_at = store.clock()


def status_for_conversation(store: CaseStore, conversation_id: str) -> dict:
    """For the assistant: the conversation's handoff state and the agent messages not yet
    delivered (marked delivered on reading)."""
    now = store.clock()
    with store.db.writing() as s:
        h = s.execute(select(Handoff).where(Handoff.conversation_id == conversation_id)
                      .order_by(Handoff.id.desc())).scalars().first()
        if h is None:
            return {"status": "none", "messages": []}
        msgs = s.execute(select(HandoffMessage).where(HandoffMessage.handoff_id == h.id,
                                                      HandoffMessage.sender == "agent",
                                                      HandoffMessage.delivered_at.is_(None))
                         .order_by(HandoffMessage.id)).scalars().all()
        for m in msgs:
            m.delivered_at = now
        return {"status": h.status, "form": h.form, "slots": h.slots or {},
                "messages": [{"text": m.text, "at": m.at.isoformat() + "Z"} for m in msgs]}
