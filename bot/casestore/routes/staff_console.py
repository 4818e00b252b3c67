"""The help-desk console (/console): guide and case look-ups, the handoff queue."""

from __future__ import annotations

from sanic import Blueprint

from bot.casestore.errors import ApiError
from bot.casestore.staff.web import (
    EXTRA_ACTIONS,
    audit_action,
    error_page,
    page_ctx,
    record_rows,
    render,
    require,
    run,
    staff_blueprint,
)
from bot.texts import t


def blueprint() -> Blueprint:
    bp = staff_blueprint("staff_console")

    @bp.get("/console")
    @require("agent", "supervisor")
    async def console(request):
        from bot.casestore.staff import console as look

        store = request.app.ctx.store
        gq = (request.args.get("q") or "").strip()[:look.MAX_QUERY]
        cq = (request.args.get("case") or "").strip()[:look.MAX_QUERY]
        guide = await run(request, look.guide_answer, store, gq) if gq else None
        cases = await run(request, look.find_cases, store, cq) if cq else None
        if gq:
            await audit_action(request, "guide_search", detail={"q": gq})
        if cq:
            await audit_action(request, "case_search", detail={"q": cq, "found": len(cases or [])})
        handoffs = await run(request, _handoff_queue, request.app)
        return render("console.html", **page_ctx(request, gq=gq, cq=cq, guide=guide, cases=cases,
                                                 handoffs=handoffs))

    @bp.get("/console/cases/<case_no>")
    @require("agent", "supervisor")
    async def console_case(request, case_no):
        from bot.casestore.service import ACTION_NAMES, STATE_NAMES, Viewer

        store = request.app.ctx.store
        try:
            view = await run(request, store.get_application, case_no[:40], Viewer("agent"))
        except ApiError:
            await audit_action(request, "view_case", target=case_no[:80], ok=False)
            return error_page(request, 404, t("staff.error.case_not_found"))
        await audit_action(request, "view_case", target=view["case_no"])
        return render("console_case.html", **page_ctx(
            request, app=view, action_names=ACTION_NAMES | EXTRA_ACTIONS, state_names=STATE_NAMES,
            record_rows=record_rows))

    return bp


def _handoff_queue(app) -> dict:
    try:
        from bot.casestore.staff import handoff
    except ImportError:  # pragma: no cover - built in a later step
        return {"open": [], "office": None}
    return handoff.queue(app.ctx.store)
