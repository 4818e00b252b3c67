"""The department workbench (/dept): the officer's queue, one item, decisions, materials."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from sanic import Blueprint
from sanic.response import file as file_response
from sanic.response import redirect

from bot.casestore.errors import ApiError
from bot.casestore.staff import workbench
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
    bp = staff_blueprint("staff_dept")

    @bp.get("/dept")
    @require("officer")
    async def dept_queue(request):
        user = request.ctx.staff.user
        q = await run(request, workbench.queue, request.app.ctx.store, user.department)
        await audit_action(request, "view_queue", target=user.department)
        return render("dept_queue.html", **page_ctx(
            request, q=q, department_name=request.app.ctx.store.guide.department_name(user.department)))

    @bp.get("/dept/items/<item_no>")
    @require("officer")
    async def dept_item(request, item_no):
        return await _item_page(request, item_no, notice=_notice(request.args.get("done")))

    @bp.post("/dept/items/<item_no>/<action>")
    @require("officer")
    async def dept_act(request, item_no, action):
        if action not in ACTIONS:
            return error_page(request, 404, t("staff.error.not_found"))
        user = request.ctx.staff.user
        form = request.form or {}
        payload: dict = {"officer": user.username, "note": (form.get("note") or "").strip() or None}
        if action == "return":
            missing: list = [{"material_id": m} for m in form.getlist("missing") or []]
            for line in (form.get("missing_other") or "").splitlines():
                if line.strip():
                    missing.append(line.strip())
            payload["missing"] = missing
        elif action == "reject":
            payload["reasons"] = [r.strip() for r in (form.get("reasons") or "").splitlines() if r.strip()]
        version = form.get("version")
        try:
            version = int(version) if version not in (None, "") else None
        except ValueError:
            version = None
        store = request.app.ctx.store
        from bot.casestore.service import Viewer

        try:
            await run(request, workbench.item_detail, store, user.department, item_no)  # 404 if not ours
            result = await run(request, store.act, item_no, action, Viewer("department", user.department),
                               payload, version)
        except ApiError as exc:
            await audit_action(request, f"item_{action}", target=item_no[:80], ok=False,
                         detail={"error": exc.code})
            if exc.status == 404:
                return error_page(request, 404, t("staff.error.item_not_found"))
            return await _item_page(request, item_no, error=exc.message,
                                    details=[d.get("message", "") for d in exc.details], status=exc.status)
        await audit_action(request, f"item_{action}", target=item_no,
                     detail={"to": result["state"], **({"missing": [m["name"] for m in result["last_missing"]]}
                                                       if action == "return" else {}),
                             **({"reasons": result["reasons"]} if action == "reject" else {})})
        return redirect(f"/dept/items/{quote(item_no)}?done={action}", status=303)

    @bp.get("/dept/uploads/<upload_id>")
    @require("officer")
    async def dept_upload(request, upload_id):
        user = request.ctx.staff.user
        store = request.app.ctx.store
        try:
            up = await run(request, workbench.upload_for_department, store, user.department, upload_id)
        except ApiError:
            await audit_action(request, "download", target=upload_id[:80], ok=False)
            return error_page(request, 404, t("staff.error.not_found"))
        base = Path(store.settings.upload_dir).resolve()
        path = Path(up["storage_path"]).resolve()
        if base not in path.parents or not path.is_file():
            return error_page(request, 404, t("staff.error.file_missing"))
        inline = request.args.get("inline") == "1" and up["content_type"] in (
            "application/pdf", "image/png", "image/jpeg")
        await audit_action(request, "download", target=up["upload_id"], detail={"case_no": up["case_no"],
                                                                         "inline": inline})
        disposition = "inline" if inline else "attachment"
        resp = await file_response(str(path), mime_type=up["content_type"], headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(up['filename'])}",
            "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        })
        return resp

    return bp


ACTIONS = {"accept", "return", "approve", "reject"}


def _notice(done: str | None) -> str | None:
    return t(f"staff.dept.done.{done}") if done in ACTIONS else None


async def _item_page(request, item_no: str, *, error: str | None = None, notice: str | None = None,
                     details: list | None = None, status: int = 200):
    user = request.ctx.staff.user
    store = request.app.ctx.store
    try:
        d = await run(request, workbench.item_detail, store, user.department, item_no)
    except ApiError as exc:
        await audit_action(request, "view_item", target=item_no[:80], ok=False, detail={"status": exc.status})
        return error_page(request, exc.status, t("staff.error.item_not_found"))
    await audit_action(request, "view_item", target=item_no)
    from bot.casestore.service import ACTION_NAMES, STATE_NAMES

    return render("dept_item.html", status, **page_ctx(
        request, d=d, app=d["application"], item=d["item"], error=error, notice=notice,
        details=details or [], department_name=store.guide.department_name(user.department),
        record_rows=record_rows(d["item"]["record"]), action_names=ACTION_NAMES | EXTRA_ACTIONS,
        state_names=STATE_NAMES,
        material_names={k: v.get("name", k) for k, v in store.guide.materials.items()}))
