"""Reminders (双书同达): registered in chat or by an agent, listed when due, marked sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update

from bot.casestore.errors import invalid, not_found
from bot.casestore.models import Notification, Reminder
from bot.casestore.services.common import StoreBase, Viewer, reminder_view
from bot.casestore.validation import CHANNELS, parse_date


def due_query(on: dt.date, channel_user_id: str | None = None):
    """The one query for reminders due by `on`: not yet sent and not stopped (「不要再提醒」).
    Used by the at-next-visit flow (`due_reminders`) and by the pushed notices
    (bot.casestore.notify.queue_due_reminders)."""
    q = select(Reminder).where(Reminder.remind_on <= on, Reminder.sent_at.is_(None), Reminder.stopped_at.is_(None))
    if channel_user_id:
        q = q.where(Reminder.channel_user_id == channel_user_id)
    return q


class Reminders(StoreBase):
    def add_reminder(self, body: Any, viewer: Viewer) -> tuple[dict, bool]:
        from bot.casestore.validation import identifiers

        ids = identifiers()
        problems: list[dict] = []
        if not isinstance(body, dict):
            raise invalid([{"field": "", "message": "请求内容应为JSON对象。"}])
        code = body.get("subject_code")
        check = ids.check_uscc(code) if isinstance(code, str) else None
        subject = check.value if check is not None and check.ok else None
        if code is not None and subject is None:
            problems.append({"field": "subject_code",
                             "message": check.message_zh if check else "请填写18位统一社会信用代码。"})
        elif code is None and not body.get("channel_user_id"):
            problems.append({"field": "subject_code",
                             "message": "请填写18位统一社会信用代码（在对话中提醒时可只给渠道用户编号）。"})
        phone = body.get("phone")
        if phone is not None:
            pc = ids.check_mobile(phone) if isinstance(phone, str) else None
            if pc is None or not pc.ok:
                problems.append({"field": "phone", "message": pc.message_zh if pc else "手机号格式不正确。"})
            else:
                phone = pc.value
        user = body.get("channel_user_id")
        if user is not None and (not isinstance(user, str) or not 1 <= len(user) <= 128):
            problems.append({"field": "channel_user_id", "message": "渠道用户编号应为1至128个字符。"})
        if not phone and not user:
            problems.append({"field": "phone", "message": "请提供手机号或渠道用户编号（channel_user_id），以便按时提醒。"})
        channel = body.get("channel")
        if not isinstance(channel, str) or (channel not in CHANNELS and channel != "sms"):
            problems.append({"field": "channel", "message": "提醒渠道应为 wechat、web、window、api 或 sms。"})
        remind_on = parse_date(body.get("remind_on"))
        if remind_on is None:
            problems.append({"field": "remind_on", "message": "提醒日期格式应为YYYY-MM-DD。"})
        summary = body.get("summary")
        if not isinstance(summary, str) or not summary.strip() or len(summary) > 2000:
            problems.append({"field": "summary", "message": "请填写记录摘要（不超过2000字）。"})
        if problems:
            raise invalid(problems)
        with self.db.writing() as s:
            existing = s.execute(select(Reminder).where(
                Reminder.subject_code.is_(None) if subject is None else Reminder.subject_code == subject,
                Reminder.remind_on == remind_on,
                Reminder.channel == channel, Reminder.summary == summary.strip(),
                Reminder.phone.is_(None) if not phone else Reminder.phone == phone,
                Reminder.channel_user_id.is_(None) if not user else Reminder.channel_user_id == user,
            )).scalars().first()
            if existing is not None:
                return reminder_view(existing), False
            r = Reminder(subject_code=subject, phone=phone or None, channel_user_id=user,
                         channel=channel, remind_on=remind_on, summary=summary.strip(),
                         created_by=viewer.actor, created_at=self.clock())
            s.add(r)
            s.flush()
            return reminder_view(r), True

    def due_reminders(self, on: dt.date, viewer: Viewer, channel_user_id: str | None = None) -> list[dict]:
        """Unsent reminders due on `on`. Agents see all (or one user's); the assistant only one
        chat user's, to remind them when they come back."""
        with self.db.reading() as s:
            rows = s.execute(due_query(on, channel_user_id).order_by(Reminder.remind_on, Reminder.id)).scalars()
            return [reminder_view(r) for r in rows]

    def mark_reminder_sent(self, reminder_id: int, viewer: Viewer) -> dict:
        with self.db.writing() as s:
            r = s.get(Reminder, reminder_id)
            if r is None:
                raise not_found("提醒")
            if r.sent_at is None:
                r.sent_at = self.clock()
            # told in the chat: the same reminder queued for a push or the widget is not sent again
            s.execute(update(Notification).where(Notification.reminder_id == r.id, Notification.status == "pending")
                      .values(status="cancelled", last_error="已在对话中提醒")
                      .execution_options(synchronize_session=False))
            return reminder_view(r)

