"""Pushed notices (双书同达 reminders and case status), with consent, at most once each.

Who is told: only people who said yes — a `consents` row (in chat, from the 告知书 QR flow,
or a WeChat subscribe consent), or a reminder they asked for (`reminders`, the existing
at-next-visit flow: a pushed reminder is marked sent there, so the next chat does not repeat
it). 「不要再提醒」 (`stop`) revokes the consents, stops the reminders and cancels what is
queued for that person.

What is sent: a `notifications` row per message. Rows are queued idempotently (a unique
`dedupe_key`: `reminder:<id>`, `status:<item>:<version>:<consent>`), status changes in the same
transaction as the change itself (`on_transition`), reminders when they fall due
(`queue_due_reminders`, by the business date).

How: `send_due(store, now)` claims due rows by a conditional UPDATE pending → sending (its own
committed transaction, attempts + 1) before calling the channel, and records the outcome
after. A definite failure (the channel answered with an error, or refused the connection) is
retried after base·2^(n-1) seconds (the outbox's back-off settings) and goes to `dead` after
CASESTORE_NOTIFY_MAX_ATTEMPTS; a refusal that will not change (the user unsubscribed or
declined: WeChat 43004/43101) goes to `dead` at once. An uncertain outcome — a timeout after
the request left, or the sender killed mid-send — is never retried automatically: the row is
found `sending` with an expired lease and moved to `dead` with the reason, for a person to
check. So a notice can never be sent twice, also across a restart; the dead letters
(`dead_letters`) are visible to agents and on the dashboard.

Channels: `wechat` — wechatpy's WeChatClient (template message when a template id is
configured, 订阅通知 when the person accepted a subscribe template, else a 客服 text), one access
token per app id in a session storage shared by every process (bot/wechat_tokens.py: Redis when
WECHAT_TOKEN_REDIS_URL is set, else a SQLite file on this machine); `sms` — the `SmsSender`
interface, `LoggingSms` by default (masked log line); `web` — the widget's inbox: the open
widget fetches its messages (`take_inbox`), which marks them sent.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.casestore.errors import invalid
from bot.casestore.models import (
    Application,
    Consent,
    Item,
    Notification,
    Reminder,
)
from bot.texts import t

log = logging.getLogger("bot.casestore.notify")
BATCH = 50
PUSH_CHANNELS = ("wechat", "sms")   # sent by the scheduler; `web` waits for the widget
CONSENT_CHANNELS = ("wechat", "web", "sms")
CHANNEL_NAMES = {"wechat": "微信公众号", "web": "网页对话", "sms": "短信"}


# ------------------------------------------------------------------------------------------
# senders
# ------------------------------------------------------------------------------------------
class SendError(Exception):
    """`permanent`: retrying will not help; `uncertain`: the message may have gone out."""

    def __init__(self, message: str, *, permanent: bool = False, uncertain: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.uncertain = uncertain


@dataclass(frozen=True)
class Message:
    kind: str                 # reminder | status
    title: str
    text: str
    fields: dict[str, str]
    subscribe_template: str = ""   # a 订阅通知 template the person accepted (consent.template_id)


class Sender(Protocol):
    def send(self, recipient: str, message: Message) -> None: ...


class SmsSender(Sender, Protocol):
    """An SMS gateway: `send(phone, message)`; raise SendError on failure."""


class LoggingSms:
    """The default SMS sender: writes a masked line to the log (no gateway configured)."""

    def __init__(self, settings=None):
        self.sent: list[tuple[str, str]] = []

    def send(self, recipient: str, message: Message) -> None:
        from bot.parsing.masking import mask_phone

        log.info("SMS to %s: %s", mask_phone(recipient), message.text)
        self.sent.append((recipient, message.text))


def token_storage(settings):
    """The wechatpy session storage the access token lives in: shared with every other process
    that calls the WeChat API for this app (bot/wechat_tokens.py: Redis, else a SQLite file)."""
    from bot.wechat_tokens import shared_storage

    return shared_storage(settings.wechat_token_redis_url, settings.wechat_token_file or None)


def wechat_client(settings):
    from wechatpy import WeChatClient

    base = settings.wechat_api_base.rstrip("/") + "/"

    class Client(WeChatClient):
        API_BASE_URL = base

        def fetch_access_token(self):
            return self._fetch_access_token(url=f"{base}token", params={
                "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})

    return Client(settings.wechat_app_id, settings.wechat_app_secret,
                  session=token_storage(settings),
                  timeout=settings.delivery_timeout)


class WeChatSender:
    # the user unsubscribed / refused / the openid is not ours: retrying cannot help
    PERMANENT = frozenset({40003, 43004, 43101, 40037})

    def __init__(self, settings, client=None):
        self.settings = settings
        self.client = client or wechat_client(settings)

    def send(self, recipient: str, message: Message) -> None:
        import requests
        from wechatpy.exceptions import WeChatClientException

        template = (self.settings.wechat_template_reminder if message.kind == "reminder"
                    else self.settings.wechat_template_status)
        try:
            if message.subscribe_template:  # 订阅通知: the template the person subscribed to
                self.client.message.send_subscribe_message(recipient, message.subscribe_template,
                                                           subscribe_data(self.settings, message))
            elif template:
                data = {"first": {"value": message.title},
                        **{k: {"value": v} for k, v in message.fields.items()},
                        "remark": {"value": message.text}}
                self.client.message.send_template(recipient, template, data)
            else:
                self.client.message.send_text(recipient, message.text)
        except WeChatClientException as exc:
            code = getattr(exc, "errcode", None)
            if code is None:  # an HTTP error status: nothing was accepted
                status = getattr(getattr(exc, "response", None), "status_code", None)
                raise SendError(f"WeChat HTTP {status}") from None
            raise SendError(f"WeChat {code}: {getattr(exc, 'errmsg', '')}",
                            permanent=code in self.PERMANENT) from None
        except (requests.ConnectionError, requests.ConnectTimeout) as exc:  # never left
            if isinstance(exc, requests.ReadTimeout):
                raise SendError("WeChat timeout after sending", uncertain=True) from None
            raise SendError(f"WeChat unreachable: {type(exc).__name__}") from None
        except requests.RequestException as exc:  # read timeout, broken answer: may have gone out
            raise SendError(f"WeChat answer lost: {type(exc).__name__}", uncertain=True) from None


# WeChat's limits per 订阅通知 field type (characters)
_FIELD_LIMITS = {"thing": 20, "phrase": 5, "character_string": 32, "name": 10}


def subscribe_data(settings, message: Message) -> dict:
    """The 订阅通知 data for a message: WECHAT_SUBSCRIBE_FIELDS maps each template key to the
    title, the text or a keyword; values are cut to WeChat's length for the field type."""
    values = {"title": message.title, "text": message.text, **message.fields}
    data = {}
    for pair in settings.wechat_subscribe_fields.split(","):
        key, _, source = pair.strip().partition("=")
        if not key or source not in values:
            continue
        kind = key.rstrip("0123456789")
        limit = _FIELD_LIMITS.get(kind, 20)
        value = values[source]
        data[key] = {"value": value if len(value) <= limit else value[: limit - 1] + "…"}
    return data


def default_senders(settings) -> dict[str, Sender]:
    senders: dict[str, Sender] = {}
    if settings.wechat_app_id and settings.wechat_app_secret:
        senders["wechat"] = WeChatSender(settings)
    spec = settings.sms_sender or "log"
    if spec == "log":
        senders["sms"] = LoggingSms(settings)
    else:
        module, _, name = spec.partition(":")
        senders["sms"] = getattr(importlib.import_module(module), name)(settings)
    return senders


# ------------------------------------------------------------------------------------------
# consent and 「不要再提醒」
# ------------------------------------------------------------------------------------------
def add_consent(store, body: Any, viewer) -> tuple[dict, bool]:
    from bot.casestore.caseno import normalize_case_no
    from bot.casestore.validation import identifiers

    if not isinstance(body, dict):
        raise invalid([{"field": "", "message": "请求内容应为JSON对象。"}])
    ids = identifiers()
    problems = []
    channel = body.get("channel")
    if channel not in CONSENT_CHANNELS:
        problems.append({"field": "channel", "message": "通知渠道应为 wechat（公众号）、web（网页对话）或 sms（短信）。"})
    user = body.get("channel_user_id")
    if user is not None and (not isinstance(user, str) or not 1 <= len(user) <= 128):
        problems.append({"field": "channel_user_id", "message": "渠道用户编号应为1至128个字符。"})
    phone = body.get("phone")
    if phone is not None:
        pc = ids.check_mobile(phone) if isinstance(phone, str) else None
        if pc is None or not pc.ok:
            problems.append({"field": "phone", "message": pc.message_zh if pc else "手机号格式不正确。"})
        else:
            phone = pc.value
    if channel == "sms" and not phone:
        problems.append({"field": "phone", "message": "短信通知需要手机号。"})
    if channel in ("wechat", "web") and not user:
        problems.append({"field": "channel_user_id", "message": "公众号或网页通知需要渠道用户编号（openid 或会话编号）。"})
    code = body.get("subject_code")
    if code is not None:
        check = ids.check_uscc(code) if isinstance(code, str) else None
        if check is None or not check.ok:
            problems.append({"field": "subject_code", "message": check.message_zh if check else "统一社会信用代码格式不正确。"})
        else:
            code = check.value
    case_no = body.get("case_no")
    if case_no is not None:
        case_no = normalize_case_no(str(case_no))
        if case_no is None:
            problems.append({"field": "case_no", "message": "申请编号格式不正确。"})
    notice_no = body.get("notice_no")
    if not (code or case_no or notice_no):
        problems.append({"field": "case_no", "message": "请指定要通知的申请编号 case_no、告知书编号 notice_no 或统一社会信用代码 subject_code。"})
    source = body.get("source", "chat")
    if source not in ("chat", "notice_qr", "wechat_subscribe", "api"):
        problems.append({"field": "source", "message": "来源应为 chat、notice_qr、wechat_subscribe 或 api。"})
    reminders = body.get("reminders", True)
    status_updates = body.get("status_updates", True)
    if not isinstance(reminders, bool) or not isinstance(status_updates, bool) or not (reminders or status_updates):
        problems.append({"field": "status_updates", "message": "reminders 与 status_updates 应为 true/false，且至少一项为 true。"})
    template = body.get("template_id")
    if template is not None and (not isinstance(template, str) or len(template) > 100):
        problems.append({"field": "template_id", "message": "模板编号不超过100个字符。"})
    if problems:
        raise invalid(problems)
    from bot.casestore.models import Notice

    with store.db.writing() as s:
        notice_id = None
        if notice_no:
            n = s.execute(select(Notice).where(Notice.notice_no == str(notice_no).strip().upper())).scalar_one_or_none()
            if n is None:
                raise invalid([{"field": "notice_no", "message": "没有找到该告知书。"}])
            notice_id, code = n.id, code or n.uscc
        existing = s.execute(select(Consent).where(
            Consent.channel == channel, Consent.revoked_at.is_(None),
            Consent.channel_user_id.is_(None) if not user else Consent.channel_user_id == user,
            Consent.phone.is_(None) if not phone else Consent.phone == phone,
            Consent.case_no.is_(None) if not case_no else Consent.case_no == case_no,
            Consent.subject_code.is_(None) if not code else Consent.subject_code == code,
            # each subscribe-message template the user accepted is a permission of its own
            Consent.template_id.is_(None) if not template else Consent.template_id == template,
        )).scalars().first()
        if existing is not None:
            existing.reminders = existing.reminders or reminders
            existing.status_updates = existing.status_updates or status_updates
            return consent_view(existing), False
        c = Consent(channel=channel, channel_user_id=user, phone=phone, subject_code=code, case_no=case_no,
                    notice_id=notice_id, reminders=reminders, status_updates=status_updates, source=source,
                    template_id=template, created_by=viewer.actor, created_at=store.clock())
        s.add(c)
        s.flush()
        return consent_view(c), True


def stop(store, body: Any, viewer) -> dict:
    """「不要再提醒」: revoke consents, stop reminders, cancel queued notices of one person."""
    from bot.casestore.validation import identifiers

    if not isinstance(body, dict):
        raise invalid([{"field": "", "message": "请求内容应为JSON对象。"}])
    user, phone = body.get("channel_user_id"), body.get("phone")
    if phone is not None:
        pc = identifiers().check_mobile(phone) if isinstance(phone, str) else None
        phone = pc.value if pc is not None and pc.ok else None
        if phone is None:
            raise invalid([{"field": "phone", "message": "手机号格式不正确。"}])
    if not isinstance(user, str) and not phone:
        raise invalid([{"field": "channel_user_id", "message": "请指定渠道用户编号或手机号。"}])
    now = store.clock()
    with store.db.writing() as s:
        def who(model, user_col, phone_col):
            conds = []
            if isinstance(user, str):
                conds.append(user_col == user)
            if phone:
                conds.append(phone_col == phone)
            return or_(*conds)

        consents = s.execute(update(Consent).where(Consent.revoked_at.is_(None),
                                                   who(Consent, Consent.channel_user_id, Consent.phone))
                             .values(revoked_at=now).execution_options(synchronize_session=False)).rowcount
        reminders = s.execute(update(Reminder).where(Reminder.sent_at.is_(None), Reminder.stopped_at.is_(None),
                                                     who(Reminder, Reminder.channel_user_id, Reminder.phone))
                              .values(stopped_at=now).execution_options(synchronize_session=False)).rowcount
        recipients = [r for r in (user, phone) if r]
        cancelled = s.execute(update(Notification).where(Notification.status == "pending",
                                                         Notification.recipient.in_(recipients))
                              .values(status="cancelled", last_error="用户要求不要再提醒")
                              .execution_options(synchronize_session=False)).rowcount
    return {"consents_revoked": consents, "reminders_stopped": reminders, "notifications_cancelled": cancelled,
            "stopped_at": _iso(now)}


def consent_view(c: Consent) -> dict:
    from bot.parsing.masking import mask_phone

    return {"id": c.id, "channel": c.channel, "channel_user_id": c.channel_user_id,
            "phone": mask_phone(c.phone) if c.phone else None, "subject_code": c.subject_code,
            "case_no": c.case_no, "reminders": c.reminders, "status_updates": c.status_updates,
            "source": c.source, "created_at": _iso(c.created_at), "revoked_at": _iso(c.revoked_at)}


# ------------------------------------------------------------------------------------------
# queueing
# ------------------------------------------------------------------------------------------
def _recipient(channel: str, user: str | None, phone: str | None) -> str | None:
    return phone if channel == "sms" else user


def _queue(s, **row) -> bool:
    """Insert one notification unless its dedupe key exists (savepoint: a race is harmless)."""
    if s.execute(select(Notification.id).where(Notification.dedupe_key == row["dedupe_key"])).first():
        return False
    try:
        with s.begin_nested():
            s.add(Notification(status="pending", attempts=0, **row))
        return True
    except IntegrityError:
        return False


def status_message(guide, item: Item, action: str, detail: dict) -> Message | None:
    from bot.casestore.service import STATE_NAMES

    names = {"accept": "push_accepted", "return": "push_returned", "approve": "push_approved",
             "reject": "push_rejected", "share": "push_shared"}
    key = names.get(action)
    if key is None:
        return None
    missing = "；".join(m["name"] + (f"（{m['note']}）" if m.get("note") else "") for m in detail.get("missing") or [])
    text = t(f"notice.{key}", item_no=item.item_no, department_name=guide.department_name(item.department),
             deadline=_zh(item.deadline) if item.deadline else "按规定时限", missing=missing,
             reasons="；".join(detail.get("reasons") or []), hotline=guide.service.get("hotline", "12345"))
    if action == "reject" and all(i.state in ("rejected", "result_shared") for i in item.application.items):
        text += t("notice.push_rate_hint")  # the whole case is closed now: 好差评
    if action != "share":
        text += t("notice.stop_hint")
    return Message("status", t("notice.push_status_title"), text,
                   {"keyword1": item.item_no, "keyword2": STATE_NAMES.get(item.state, item.state),
                    "keyword3": guide.department_name(item.department)})


def on_transition(store, s, item: Item, action: str, detail: dict) -> int:
    """Queue one status notice per consenting person, in the transaction of the change."""
    message = status_message(store.guide, item, action, detail)
    if message is None:
        return 0
    app: Application = item.application
    consents = s.execute(select(Consent).where(
        Consent.revoked_at.is_(None), Consent.status_updates.is_(True),
        or_(Consent.case_no == app.case_no,
            (Consent.channel_user_id == app.conversation_id) & (Consent.case_no.is_(None)),
            (Consent.subject_code == app.uscc) & (Consent.case_no.is_(None))),
    ).order_by(Consent.id)).scalars().all()
    now, n = store.clock(), 0
    seen = set()
    for c in consents:
        recipient = _recipient(c.channel, c.channel_user_id, c.phone)
        if not recipient or (c.channel, recipient) in seen:
            continue
        seen.add((c.channel, recipient))
        payload = _payload(message)
        if c.channel == "sms":  # a reply to a text message does not reach the assistant
            payload["text"] = message.text + t("notice.sms_reply_hint")
        if c.channel == "wechat" and c.template_id:
            payload["subscribe_template"] = c.template_id
        n += _queue(s, dedupe_key=f"status:{item.id}:{item.version}:{c.channel}:{recipient}"[:200],
                    consent_id=c.id, item_id=item.id, kind="status", channel=c.channel, recipient=recipient,
                    payload=payload, next_attempt_at=now, created_at=now)
    return n


def queue_due_reminders(store, today: dt.date | None = None, now: dt.datetime | None = None) -> int:
    """A notification for every reminder due by `today` (business date) on a push channel or
    the widget, unless already queued, sent or stopped."""
    from bot.casestore.services.reminders import due_query

    today = today or store.today()
    now, n = now or store.clock(), 0
    with store.db.writing() as s:
        # only those a channel can carry and not yet queued: a backlog of window/api reminders
        # (told at the next visit) or of queued ones never hides the rest behind the limit
        queued = select(Notification.id).where(Notification.reminder_id == Reminder.id).exists()
        rows = s.execute(due_query(today).where(Reminder.channel.in_(CONSENT_CHANNELS), ~queued)
                         .order_by(Reminder.id).limit(500)).scalars().all()
        for r in rows:
            channel = r.channel if r.channel in CONSENT_CHANNELS else None
            recipient = _recipient(channel, r.channel_user_id, r.phone) if channel else None
            if channel is None or not recipient:
                continue  # told at the next chat visit (window/api reminders)
            message = Message("reminder", t("notice.push_reminder_title"),
                              t("notice.push_reminder_sms" if channel == "sms" else "notice.push_reminder",
                                summary=r.summary.rstrip("。")),
                              {"keyword1": r.summary[:20], "keyword2": _zh(r.remind_on)})
            n += _queue(s, dedupe_key=f"reminder:{r.id}", reminder_id=r.id, kind="reminder", channel=channel,
                        recipient=recipient, payload=_payload(message), next_attempt_at=now, created_at=now)
    return n


def _payload(m: Message) -> dict:
    return {"kind": m.kind, "title": m.title, "text": m.text, "fields": m.fields}


# ------------------------------------------------------------------------------------------
# sending
# ------------------------------------------------------------------------------------------
def send_due(store, now: dt.datetime | None = None, senders: dict[str, Sender] | None = None,
             today: dt.date | None = None) -> dict:
    """Queue due reminders, settle interrupted sends, send every due notice once."""
    now = now or store.clock()
    senders = default_senders(store.settings) if senders is None else senders
    stats = {"queued": queue_due_reminders(store, today, now), "attempted": 0, "sent": 0, "failed": 0,
             "dead": _settle_interrupted(store, now)}
    for row in _claim(store, now, [c for c in PUSH_CHANNELS if c in senders]):
        stats["attempted"] += 1
        message = Message(**row["payload"])
        grant = _one_time_grant(store, row) if message.subscribe_template else None
        if grant is False:  # that 订阅通知 already carried its one message: a 客服 text instead
            message = replace(message, subscribe_template="")
        try:
            senders[row["channel"]].send(row["recipient"], message)
        except SendError as exc:
            dead = _failed(store, row["id"], now, exc)
            stats["dead" if dead else "failed"] += 1
            continue
        except Exception as exc:  # a bug in a sender: treat as uncertain, never resend
            log.exception("sender %s crashed", row["channel"])
            _failed(store, row["id"], now, SendError(f"{type(exc).__name__}: {exc}", uncertain=True))
            stats["dead"] += 1
            continue
        _sent(store, row["id"], now, grant_of=row["consent_id"] if grant else None)
        stats["sent"] += 1
    return stats


def _claim(store, now: dt.datetime, channels: list[str]):
    """Yield due rows one at a time, each claimed (pending → sending) just before its send."""
    if not channels:
        return
    with store.db.writing() as s:
        due = s.execute(select(Notification.id).where(
            Notification.status == "pending", Notification.next_attempt_at <= now,
            Notification.channel.in_(channels)).order_by(Notification.next_attempt_at, Notification.id)
            .limit(BATCH)).scalars().all()
    for nid in due:  # one committed claim per row: a crash leaves at most this row uncertain
        with store.db.writing() as s:
            got = s.execute(update(Notification).where(Notification.id == nid, Notification.status == "pending")
                            .values(status="sending", attempts=Notification.attempts + 1,
                                    locked_until=now + dt.timedelta(seconds=store.settings.notify_lease))
                            .execution_options(synchronize_session=False)).rowcount
            if got != 1:
                continue
            row = s.get(Notification, nid)
            claimed = {"id": nid, "channel": row.channel, "recipient": row.recipient, "payload": dict(row.payload),
                       "consent_id": row.consent_id}
        yield claimed


def _one_time_grant(store, row: dict) -> bool | None:
    """For a message carried by a 订阅通知: True when its one-time grant is still unused, False
    when used up, None when grants are long-term (WECHAT_SUBSCRIBE_ONCE=0) or unknown."""
    if not store.settings.wechat_subscribe_once or row.get("consent_id") is None:
        return None
    with store.db.reading() as s:
        consent = s.get(Consent, row["consent_id"])
        return None if consent is None else consent.template_used_at is None


def _sent(store, nid: int, now: dt.datetime, grant_of: int | None = None) -> None:
    with store.db.writing() as s:
        row = s.get(Notification, nid)
        row.status, row.sent_at, row.locked_until, row.last_error = "sent", now, None, None
        if grant_of is not None:  # the one-time grant is used up by this message
            consent = s.get(Consent, grant_of)
            if consent is not None and consent.template_used_at is None:
                consent.template_used_at = now
        if row.reminder_id is not None:
            r = s.get(Reminder, row.reminder_id)
            if r.sent_at is None:
                r.sent_at = now


def _failed(store, nid: int, now: dt.datetime, exc: SendError) -> bool:
    from bot.casestore.outbox import backoff_seconds

    settings = store.settings
    with store.db.writing() as s:
        row = s.get(Notification, nid)
        row.locked_until = None
        row.last_error = str(exc)[:500]
        if exc.uncertain or exc.permanent or row.attempts >= settings.notify_max_attempts:
            row.status = "dead"
            if exc.uncertain:
                row.last_error = f"发送结果不确定，为避免重复未自动重发：{exc}"[:500]
        else:
            row.status = "pending"
            row.next_attempt_at = now + dt.timedelta(seconds=backoff_seconds(
                row.attempts, settings.outbox_backoff_base, settings.outbox_backoff_max))
        log.warning("notice %s on %s failed (attempt %d): %s", nid, row.channel, row.attempts, exc)
        return row.status == "dead"


def _settle_interrupted(store, now: dt.datetime) -> int:
    """Rows left `sending` by a sender that died: the message may have gone out, so they are
    not resent; they go to the dead letters for a person to check."""
    with store.db.writing() as s:
        return s.execute(update(Notification).where(Notification.status == "sending",
                                                    Notification.locked_until <= now)
                         .values(status="dead", locked_until=None,
                                 last_error="发送中断（发送程序重启），结果不确定，为避免重复未自动重发")
                         .execution_options(synchronize_session=False)).rowcount


def take_inbox(store, channel_user_id: str) -> list[dict]:
    """The widget's pending messages for one chat user; taking them marks them sent."""
    now = store.clock()
    out = []
    with store.db.writing() as s:
        rows = s.execute(select(Notification).where(Notification.channel == "web",
                                                    Notification.recipient == channel_user_id,
                                                    Notification.status == "pending")
                         .order_by(Notification.id).limit(20)).scalars().all()
        for row in rows:
            row.status, row.sent_at, row.attempts = "sent", now, row.attempts + 1
            if row.reminder_id is not None:
                r = s.get(Reminder, row.reminder_id)
                if r.sent_at is None:
                    r.sent_at = now
            out.append({"id": row.id, "kind": row.kind, "title": row.payload["title"], "text": row.payload["text"]})
    return out


def notification_view(n: Notification) -> dict:
    from bot.parsing.masking import mask_phone

    return {"id": n.id, "kind": n.kind, "channel": n.channel,
            "recipient": mask_phone(n.recipient) if n.channel == "sms" else n.recipient,
            "status": n.status, "attempts": n.attempts, "last_error": n.last_error,
            "title": n.payload.get("title"), "text": n.payload.get("text"),
            "created_at": _iso(n.created_at), "sent_at": _iso(n.sent_at)}


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    return value.isoformat()


def _zh(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"

