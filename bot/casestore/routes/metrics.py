"""/api/v1/metrics: service metrics for agents (all) and departments (their own)."""

from __future__ import annotations

from sanic import Blueprint

from bot.casestore.authz import STAFF, requires
from bot.casestore.errors import ApiError
from bot.casestore.routes.common import ok, run, store
from bot.casestore.validation import parse_date


def blueprint() -> Blueprint:
    bp = Blueprint("metrics")

    @bp.get("/api/v1/metrics")
    @requires(*STAFF, message="只有坐席或部门可以查看统计。")
    async def metrics(request, viewer):
        raw_on = request.args.get("on")
        on = parse_date(raw_on) if raw_on else None
        if raw_on and on is None:
            raise ApiError(400, "bad_date", "日期格式应为YYYY-MM-DD，例如 ?on=2026-12-01。")
        return ok(await run(request, store(request).metrics, on, viewer))

    return bp
