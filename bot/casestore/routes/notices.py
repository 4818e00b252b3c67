"""/api/v1/notices: 信用修复告知书 (双书同达) from a decision — JSON, PDF, QR token look-up."""

from __future__ import annotations

from sanic import Blueprint
from sanic.response import raw

from bot.casestore import notice
from bot.casestore.authz import STAFF, TRUSTED, requires
from bot.casestore.routes.common import json_body, ok, run, store


def blueprint() -> Blueprint:
    bp = Blueprint("notices")

    @bp.post("/api/v1/notices")
    @requires(*STAFF, message="只有作出决定的部门（或坐席代为登记）可以生成信用修复告知书。")
    async def create(request, viewer):
        body = json_body(request)
        view, created = await run(request, notice.create_notice, store(request), body, viewer)
        return ok(view, 201 if created else 200)

    @bp.get("/api/v1/notices/by-token/<token>")
    @requires(*TRUSTED, message="只有智能助手或坐席可以用二维码调取告知书。")
    async def by_token(request, viewer, token):
        return ok(await run(request, notice.notice_by_token, store(request), token, viewer))

    @bp.get("/api/v1/notices/<notice_no>")
    @requires("agent", "department", "assistant")
    async def get(request, viewer, notice_no):
        return ok(await run(request, notice.get_notice, store(request), notice_no, viewer))

    @bp.get("/api/v1/notices/<notice_no>/pdf")
    @requires("agent", "department")
    async def pdf(request, viewer, notice_no):
        data = await run(request, notice.notice_pdf, store(request), notice_no, viewer)
        return raw(data, content_type="application/pdf",
                   headers={"Content-Disposition": f'inline; filename="{notice_no}.pdf"'})

    return bp
