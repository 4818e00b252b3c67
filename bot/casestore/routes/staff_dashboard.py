"""The service dashboard (/dashboard, /dashboard.csv): supervisors see all, officers their own department."""

from __future__ import annotations

from urllib.parse import quote

from sanic import Blueprint
from sanic.response import HTTPResponse

from bot.casestore.staff.web import (
    audit_action,
    page_ctx,
    render,
    require,
    run,
    staff_blueprint,
)


def blueprint() -> Blueprint:
    bp = staff_blueprint("staff_dashboard")

    @bp.get("/dashboard")
    @require("supervisor", "officer")
    async def dashboard(request):
        from bot.casestore.staff import dashboard as dash

        scope = _dashboard_scope(request)
        data = await run(request, dash.compute, request.app.ctx.store, scope)
        await audit_action(request, "view_dashboard", target=scope or "all")
        guide = request.app.ctx.store.guide
        charts = {
            "states": [[s["name"], s["count"]] for s in data["by_state"]],
            "departments": [[d["name"], d["total"]] for d in data["by_department"]],
            "kinds": [[k["name"], k["total"]] for k in data["by_kind"]],
            "return_reasons": [[r["name"], r["count"]] for r in data["return_reasons"]],
            "decision_days": data["decision_days_histogram"],
            "handoff_seconds": data["handoff_histogram"],
            "ratings_levels": data["ratings"]["levels"],
            "ratings_by_department": [r[:2] for r in data["ratings"]["by_department"]],
            "ratings_by_item": [r[:2] for r in data["ratings"]["by_item"]],
        }
        return render("dashboard.html", **page_ctx(
            request, d=data, charts=charts,
            departments=[(c, guide.department_name(c)) for c in guide.departments],
            can_choose=request.ctx.staff.user.role == "supervisor"))

    @bp.get("/dashboard.csv")
    @require("supervisor", "officer")
    async def dashboard_csv(request):
        from bot.casestore.staff import dashboard as dash

        scope = _dashboard_scope(request)
        body = await run(request, dash.items_csv, request.app.ctx.store, scope)
        await audit_action(request, "export_csv", target=scope or "all")
        name = f"信用修复事项_{scope or 'all'}_{request.app.ctx.store.today().isoformat()}.csv"
        return HTTPResponse(body, content_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})

    return bp


def _dashboard_scope(request) -> str | None:
    user = request.ctx.staff.user
    if user.role == "officer":
        return user.department  # departments see their own figures only
    wanted = request.args.get("department") or None
    return wanted if wanted in request.app.ctx.store.guide.departments else None
