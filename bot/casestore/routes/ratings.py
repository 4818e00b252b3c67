"""好差评: ratings, the supervisors' follow-up tasks, and the counts for the dashboard."""

from __future__ import annotations

from sanic import Blueprint

from bot.casestore import ratings
from bot.casestore.authz import STAFF, TRUSTED, requires
from bot.casestore.routes.common import json_body, ok, run, store


def blueprint() -> Blueprint:
    bp = Blueprint("ratings")

    @bp.post("/api/v1/ratings")
    @requires(*TRUSTED, message="只有智能助手或坐席可以提交评价。")
    async def rate(request, viewer):
        view, created = await run(request, ratings.add_rating, store(request), json_body(request), viewer)
        return ok(view, 201 if created else 200)

    @bp.post("/api/v1/ratings/<rating_id:int>/reason")
    @requires(*TRUSTED, message="只有智能助手或坐席可以补充评价理由。")
    async def reason(request, viewer, rating_id):
        return ok(await run(request, ratings.add_reason, store(request), rating_id, json_body(request), viewer))

    @bp.get("/api/v1/ratings/summary")
    @requires(*STAFF, message="只有坐席或部门可以查看评价统计。")
    async def summary(request, viewer):
        return ok(await run(request, ratings.summary, store(request), viewer))

    @bp.get("/api/v1/followups")
    @requires(*STAFF, message="只有坐席或部门可以查看督办任务。")
    async def followups(request, viewer):
        status = request.args.get("status") or None
        return ok({"followups": await run(request, ratings.followups, store(request), viewer, status)})

    @bp.post("/api/v1/followups/<followup_id:int>/close")
    @requires(*STAFF, message="只有坐席或部门可以办结督办任务。")
    async def close(request, viewer, followup_id):
        return ok(await run(request, ratings.close_followup, store(request), followup_id, json_body(request), viewer))

    return bp
