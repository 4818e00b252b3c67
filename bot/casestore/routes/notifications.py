"""Consent to be told, 「不要再提醒」, the widget's inbox, and the sent/queued notices."""

from __future__ import annotations

import re

from sanic import Blueprint

from bot.casestore import notify
from bot.casestore.authz import TRUSTED, requires
from bot.casestore.errors import ApiError
from bot.casestore.routes.common import json_body, ok, run, store

_WIDGET_SENDER = re.compile(r"web-[a-z0-9]{8,40}")


def blueprint() -> Blueprint:
    bp = Blueprint("notifications")

    @bp.post("/api/v1/consents")
    @requires(*TRUSTED, message="只有智能助手或坐席可以登记通知授权。")
    async def consent(request, viewer):
        view, created = await run(request, notify.add_consent, store(request), json_body(request), viewer)
        return ok(view, 201 if created else 200)

    @bp.post("/api/v1/consents/stop")
    @requires(*TRUSTED, message="只有智能助手或坐席可以停止提醒。")
    async def stop(request, viewer):
        return ok(await run(request, notify.stop, store(request), json_body(request), viewer))

    @bp.get("/api/v1/notifications/inbox")
    @requires(*TRUSTED, message="只有智能助手可以取网页对话的通知。")
    async def inbox(request, viewer):
        user = request.args.get("channel_user_id")
        if not user:
            raise ApiError(400, "channel_user_id_required", "请提供会话编号 channel_user_id。")
        return ok({"notifications": await run(request, notify.take_inbox, store(request), user)})

    @bp.get("/widget/notices")
    async def widget_notices(request):
        """The open widget's own notices. No token: the page's random session id (web-…,
        kept in the browser) is the credential, as it is for the chat itself."""
        sender = request.args.get("sender") or ""
        if not _WIDGET_SENDER.fullmatch(sender):
            raise ApiError(400, "bad_sender", "会话编号格式不正确。")
        return ok({"notifications": await run(request, notify.take_inbox, store(request), sender)})

    @bp.post("/api/v1/notifications/run")
    @requires("agent", message="只有坐席可以立即发送到期通知。")
    async def run_now(request, viewer):
        return ok(await run(request, notify.send_due, store(request)))

    return bp
