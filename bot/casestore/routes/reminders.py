"""/api/v1/reminders: register (assistant/agent), list due, mark sent."""

from __future__ import annotations

from sanic import Blueprint

from bot.casestore.authz import TRUSTED, requires
from bot.casestore.errors import ApiError, forbidden
from bot.casestore.routes.common import json_body, ok, run, store
from bot.casestore.routes.metrics import check_range
from bot.casestore.validation import parse_date


def blueprint() -> Blueprint:
    bp = Blueprint("reminders")

    @bp.post("/api/v1/reminders")
    @requires(*TRUSTED, message="只有智能助手或坐席可以登记提醒。")
    async def add_reminder(request, viewer):
        body = json_body(request)
        view, created = await run(request, store(request).add_reminder, body, viewer)
        return ok(view, 201 if created else 200)

    @bp.get("/api/v1/reminders/due")
    @requires(*TRUSTED, message="只有坐席可以查询到期提醒。")
    async def due_reminders(request, viewer):
        user = request.args.get("channel_user_id") or None
        if viewer.role == "assistant" and not user:
            raise forbidden("助手只能查询某一位用户的到期提醒（channel_user_id）。")
        raw_on = request.args.get("on")
        on = parse_date(raw_on) if raw_on else store(request).today()
        if on is None:
            raise ApiError(400, "bad_date", "日期格式应为YYYY-MM-DD，例如 ?on=2026-12-01。")
        check_range(on, store(request).today())
        rows = await run(request, store(request).due_reminders, on, viewer, user)
        return ok({"on": on.isoformat(), "reminders": rows})

    @bp.post("/api/v1/reminders/<reminder_id:int>/sent")
    @requires(*TRUSTED, message="只有坐席可以标记提醒已发送。")
    async def reminder_sent(request, viewer, reminder_id):
        if not 1 <= reminder_id <= 2**31 - 1:
            raise ApiError(404, "not_found", "没有找到该提醒，请核对编号。")
        return ok(await run(request, store(request).mark_reminder_sent, reminder_id, viewer))

    return bp
