"""/api/v1/dead-letters: deliveries and notices the case store gave up on (alerts)."""

from __future__ import annotations

from sanic import Blueprint

from bot.casestore import deadletters
from bot.casestore.authz import requires
from bot.casestore.errors import ApiError
from bot.casestore.routes.common import json_body, ok, run, store


def blueprint() -> Blueprint:
    bp = Blueprint("deadletters")

    @bp.get("/api/v1/dead-letters")
    @requires("agent", message="只有坐席可以查看发送失败的记录。")
    async def listing(request, viewer):
        return ok(await run(request, deadletters.dead_letters, store(request)))

    @bp.post("/api/v1/dead-letters/<kind>/<row_id:int>/retry")
    @requires("agent", message="只有坐席可以重新发送。")
    async def retry(request, viewer, kind, row_id):
        if kind not in ("outbox", "notifications"):
            raise ApiError(404, "not_found", "失败队列只有 outbox（结果共享）和 notifications（通知）两种。")
        body = json_body(request, optional=True)
        return ok(await run(request, deadletters.retry, store(request), kind, row_id, body if isinstance(body, dict) else {}))

    return bp
