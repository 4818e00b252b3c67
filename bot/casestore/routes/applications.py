"""/api/v1/applications: submit (assistant/agent), look up (token or phone), resubmit."""

from __future__ import annotations

from sanic import Blueprint

from bot.casestore.authz import TRUSTED, applicant_or_token, requires
from bot.casestore.routes.common import json_body, json_object, ok, run, store


def blueprint() -> Blueprint:
    bp = Blueprint("applications")

    @bp.post("/api/v1/applications")
    @requires(*TRUSTED, message="只有智能助手或坐席可以提交申请。")
    async def submit(request, viewer):
        body = json_body(request)
        view, created = await run(request, store(request).submit, body,
                                  request.headers.get("idempotency-key"), viewer)
        return ok(view, 201 if created else 200)

    @bp.get("/api/v1/applications/<case_no>")
    @applicant_or_token(missing="请提供手机号（?phone=完整手机号或后4位）或访问令牌。")
    async def lookup(request, viewer, phone, case_no):
        return ok(await run(request, store(request).get_application, case_no, viewer, phone))

    @bp.post("/api/v1/applications/<case_no>/resubmit")
    @applicant_or_token(missing="请提供申请时填写的完整手机号（?phone=）或访问令牌。",
                        trusted_only="部门不能代替申请人补正材料。")
    async def resubmit(request, viewer, phone, case_no):
        body = json_object(request, optional=True)
        return ok(await run(request, store(request).resubmit, case_no, viewer, phone, body))

    return bp
