"""Human handoff: the assistant's API (open a handoff, pass the user's messages, fetch the
agent's replies) and the console's pages (one conversation: transcript, records, form; reply,
fill fields, hand back)."""

from __future__ import annotations

from sanic import Blueprint
from sanic.response import redirect

from bot.casestore.authz import requires
from bot.casestore.errors import ApiError
from bot.casestore.routes.common import json_object, ok
from bot.casestore.staff import handoff, rasa_bridge
from bot.casestore.staff.web import (
    audit_action,
    error_page,
    page_ctx,
    render,
    require,
    run,
    staff_blueprint,
)
from bot.texts import t


def blueprint() -> Blueprint:
    bp = staff_blueprint("staff_handoffs")

    # ---------------------------------------------------------------- the assistant's API
    @bp.post("/api/v1/handoffs")
    @requires("assistant", "agent", message="只有智能助手可以转人工。")
    async def open_handoff(request, viewer):
        view, created = await run(request, handoff.open_handoff, request.app.ctx.store, json_object(request))
        return ok(_json(view), 201 if created else 200)

    @bp.get("/api/v1/handoffs/status")
    @requires("assistant", "agent", message="只有智能助手可以查询转人工状态。")
    async def handoff_status(request, viewer):
        conv = request.args.get("conversation_id") or ""
        if not 1 <= len(conv) <= 128:
            raise ApiError(400, "conversation_id_required", t("staff.handoff.bad_conversation"))
        return ok(await run(request, handoff.status_for_conversation, request.app.ctx.store, conv))

    @bp.post("/api/v1/handoffs/user-messages")
    @requires("assistant", message="只有智能助手可以转交用户消息。")
    async def user_message(request, viewer):
        body = json_object(request)
        conv = body.get("conversation_id")
        if not isinstance(conv, str) or not 1 <= len(conv) <= 128:
            raise ApiError(422, "validation_failed", t("staff.handoff.bad_conversation"))
        return ok(await run(request, handoff.user_message, request.app.ctx.store, conv, body.get("text")), 201)

    # ---------------------------------------------------------------- console pages
    @bp.get("/console/handoffs/<handoff_id:int>")
    @require("agent", "supervisor")
    async def handoff_page(request, handoff_id):
        return await _page(request, handoff_id, notice=_notice(request.args.get("done")))

    @bp.post("/console/handoffs/<handoff_id:int>/reply")
    @require("agent")
    async def reply(request, handoff_id):
        store = request.app.ctx.store
        user = request.ctx.staff.user
        try:
            msg = await run(request, handoff.agent_reply, store, handoff_id, user.username,
                            (request.form or {}).get("text"))
        except ApiError as exc:
            return await _page(request, handoff_id, error=exc.message, status=exc.status)
        delivered = await run(request, rasa_bridge.say, msg["conversation_id"], msg["text"])
        if delivered:
            await run(request, handoff.mark_delivered, store, msg["id"])
        await audit_action(request, "handoff_reply", target=str(handoff_id), detail={"delivered": delivered})
        return redirect(f"/console/handoffs/{handoff_id}?done={'sent' if delivered else 'not_sent'}", status=303)

    @bp.post("/console/handoffs/<handoff_id:int>/fields")
    @require("agent")
    async def fields(request, handoff_id):
        store = request.app.ctx.store
        user = request.ctx.staff.user
        form = request.form or {}
        changes = {k[len("slot_"):]: v.strip() for k, v in ((k, form.get(k) or "") for k in form)
                   if k.startswith("slot_") and v.strip()}
        try:
            result = await run(request, handoff.set_fields, store, handoff_id, user.username, changes)
        except ApiError as exc:
            return await _page(request, handoff_id, error=exc.message, status=exc.status)
        if result["changed"]:
            await run(request, rasa_bridge.set_slots, result["conversation_id"], result["changed"])
        await audit_action(request, "handoff_fields", target=str(handoff_id),
                           detail={"slots": sorted(result["changed"])})
        return redirect(f"/console/handoffs/{handoff_id}?done=fields_saved", status=303)

    @bp.post("/console/handoffs/<handoff_id:int>/handback")
    @require("agent")
    async def hand_back(request, handoff_id):
        store = request.app.ctx.store
        user = request.ctx.staff.user
        try:
            result = await run(request, handoff.hand_back, store, handoff_id, user.username)
        except ApiError as exc:
            return await _page(request, handoff_id, error=exc.message, status=exc.status)
        from bot.casestore.ratings import level_names

        rating = rasa_bridge.rating_event(handoff_id, level_names(store))
        resumed = await run(request, rasa_bridge.resume, result["conversation_id"], result["form"], rating)
        await audit_action(request, "handoff_handback", target=str(handoff_id), detail={"resumed": resumed})
        return redirect(f"/console/handoffs/{handoff_id}?done=handed_back", status=303)

    return bp


def _notice(done: str | None) -> str | None:
    return t(f"staff.handoff.{done}") if done in ("sent", "not_sent", "fields_saved", "handed_back") else None


def _json(view: dict) -> dict:
    return {k: (v.isoformat() + "Z" if hasattr(v, "isoformat") else v) for k, v in view.items()}


async def _page(request, handoff_id: int, *, notice=None, error=None, status: int = 200):
    try:
        h = await run(request, handoff.detail, request.app.ctx.store, handoff_id)
    except ApiError:
        return error_page(request, 404, t("staff.error.not_found"))
    if request.args.get("live") != "1":  # the page's own refresh (staff.js) is not a new view
        await audit_action(request, "view_handoff", target=str(handoff_id))
    h["reason_name"] = t(f"staff.handoff.reason.{h['reason']}")
    h["status_name"] = t(f"staff.handoff.status.{h['status']}")
    return render("handoff.html", status, **page_ctx(request, h=h, notice=notice, error=error))
