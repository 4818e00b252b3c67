"""Uploads: one-time upload links, a draft's uploads, materials for a case (API), and the
phone page behind an upload link (`/upload/{token}`)."""

from __future__ import annotations

from sanic import Blueprint
from sanic.response import html

from bot.casestore import uploads as files
from bot.casestore.authz import TRUSTED, applicant_or_token, requires
from bot.casestore.errors import ApiError
from bot.casestore.routes.common import json_body, multipart_files, norm, ok, run, store
from bot.casestore.services.common import Viewer, hash_token
from bot.casestore.settings import Settings
from bot.casestore.upload_page import message_page, upload_form


def blueprint() -> Blueprint:
    bp = Blueprint("uploads")

    @bp.post("/api/v1/upload-tokens")
    @requires(*TRUSTED, message="只有智能助手或坐席可以生成上传链接。")
    async def upload_token(request, viewer):
        body = json_body(request)
        return ok(await run(request, store(request).create_upload_token, body, viewer), 201)

    @bp.get("/api/v1/uploads")
    @requires(*TRUSTED, message="只有智能助手或坐席可以查询草稿材料。")
    async def draft_uploads(request, viewer):
        draft_id = request.args.get("draft_id")
        if not draft_id:
            raise ApiError(400, "draft_id_required", "请提供草稿编号 draft_id。")
        return ok({"uploads": await run(request, store(request).draft_uploads, draft_id, viewer)})

    @bp.post("/api/v1/applications/<case_no>/materials")
    async def upload_materials(request, case_no):
        token = request.args.get("token")
        if token:
            result = await store_upload(request, Viewer("upload"), None, case_no=case_no,
                                        token_hash=hash_token(token))
        else:
            result = await _applicant_upload(request, case_no)
        return ok(result, 201)

    @bp.get("/upload/<token>")
    async def upload_page(request, token):
        s = store(request)
        try:
            target = await run(request, s.token_target, hash_token(token))
        except ApiError as exc:
            return html(message_page("无法上传", exc.message), status=exc.status)
        settings = request.app.ctx.settings
        return html(upload_form(token, target, s.guide.materials,
                                settings.upload_max_bytes / 1024 / 1024, settings.upload_max_files,
                                nonce=request.ctx.csp_nonce))

    @bp.post("/upload/<token>")
    async def upload_post(request, token):
        wants_json = "application/json" in request.headers.get("accept", "")
        try:
            result = await store_upload(request, Viewer("upload"), None, case_no=None,
                                        token_hash=hash_token(token), from_page=True)
        except ApiError as exc:
            if wants_json:
                raise
            return html(message_page("上传未成功", exc.message, items=[d["message"] for d in exc.details]),
                        status=exc.status)
        if wants_json:
            return ok(result, 201)
        return html(message_page("上传成功", "材料已收到，请回到对话中继续办理。", ok=True,
                                 items=[u["filename"] for u in result["uploads"]]), status=201)

    return bp


@applicant_or_token(missing="请提供申请时填写的完整手机号（?phone=）或访问令牌。",
                    trusted_only="部门不能代替申请人补正材料。")
async def _applicant_upload(request, viewer, phone, case_no):
    return await store_upload(request, viewer, phone, case_no=case_no, token_hash=None)


async def store_upload(request, viewer: Viewer, phone: str | None, *, case_no: str | None,
                       token_hash: str | None, from_page: bool = False) -> dict:
    s = store(request)
    settings: Settings = request.app.ctx.settings
    target_case, draft_id = case_no, None
    if token_hash is not None:  # check the token before touching the disk
        target = await run(request, s.token_target, token_hash)
        draft_id = target["draft_id"]
        if from_page:
            target_case = target["case_no"]
        elif target["case_no"] is None or target["case_no"] != norm(case_no):
            raise ApiError(404, "not_found", "没有找到该申请，请核对编号。")
    elif case_no is not None:  # the phone (or token holder) is checked before touching the disk
        await run(request, s.check_case_writer, case_no, viewer, phone)
    received, material_id = multipart_files(request)
    checked = files.check_files(received, settings.upload_max_bytes, settings.upload_max_files)
    stored = await run(request, files.store_files, checked, settings.upload_dir,
                       files.folder_for(norm(target_case) if target_case else None, draft_id))
    try:
        rows = await run(request, s.record_uploads, case_no=target_case,
                         draft_id=draft_id if target_case is None else None, viewer=viewer, phone=phone,
                         stored=stored, material_id=material_id, token_hash=token_hash)
    except BaseException:
        await run(request, files.remove_files, stored)  # the DB said no: leave nothing behind
        raise
    return {"case_no": norm(target_case) if target_case else None, "draft_id": draft_id, "uploads": rows}
