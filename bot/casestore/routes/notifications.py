"""Consent to be told, 「不要再提醒」, the widget's inbox, and the sent/queued notices."""

from __future__ import annotations

from sanic import Blueprint

from bot.casestore import notify
from bot.casestore.authz import TRUSTED, requires
from bot.casestore.errors import ApiError
from bot.casestore.routes.common import json_body, ok, run, store

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

    @bp.post("/api/v1/notifications/run")
    @requires("agent", message="只有坐席可以立即发送到期通知。")
    async def run_now(request, viewer):
        return ok(await run(request, notify.send_due, store(request)))

    return bp
