"""/api/v1/metrics: service metrics for agents (all) and departments (their own)."""

from __future__ import annotations

from sanic import Blueprint

from bot.casestore.authz import STAFF, requires
from bot.casestore.errors import ApiError
from bot.casestore.routes.common import ok, run, store
from bot.casestore.validation import parse_date


MAX_YEARS = 2


def check_range(on, today) -> None:
    """`?on=` within two years of today (400 otherwise): statistics of the year 9999 mean nothing."""
    import datetime as dt

    if abs((on - today).days) > MAX_YEARS * 366:
        lo, hi = today - dt.timedelta(days=MAX_YEARS * 365), today + dt.timedelta(days=MAX_YEARS * 365)
        raise ApiError(400, "date_out_of_range", f"日期应在{lo.isoformat()}至{hi.isoformat()}之间。",
                       [{"field": "on", "message": "超出可查询的范围"}])


def blueprint() -> Blueprint:
    bp = Blueprint("metrics")

    @bp.get("/api/v1/metrics")
    @requires(*STAFF, message="只有坐席或部门可以查看统计。")
    async def metrics(request, viewer):
        raw_on = request.args.get("on")
        on = parse_date(raw_on) if raw_on else None
        if raw_on and on is None:
            raise ApiError(400, "bad_date", "日期格式应为YYYY-MM-DD，例如 ?on=2026-12-01。")
        if on is not None:
            check_range(on, store(request).today())
        return ok(await run(request, store(request).metrics, on, viewer))

    return bp
