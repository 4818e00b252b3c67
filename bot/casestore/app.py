"""HTTP API of the case store (sanic 21.12). See docs/api.md and docs/openapi.yaml.

Database work is synchronous SQLAlchemy run in a small thread pool (`_run`): the event loop
stays free while SQLite fsyncs or waits for the write lock, and every request gets its own
short transaction. This is simpler than an async driver (none is needed for SQLite, and
psycopg2 works unchanged) and correct as long as no ORM object crosses threads — the service
returns plain dicts.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import itertools
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sanic import Sanic
from sanic.exceptions import (
    InvalidUsage, MethodNotSupported, NotFound, PayloadTooLarge, SanicException,
)
from sanic.response import HTTPResponse, html, json as json_response, raw

from bot.casestore import uploads as files
from bot.casestore.errors import ApiError, forbidden, unauthorized
from bot.casestore.service import CaseStore, Viewer, hash_token
from bot.casestore.settings import Settings
from bot.casestore.upload_page import message_page, upload_form
from bot.casestore.validation import parse_date

log = logging.getLogger("bot.casestore")
_names = itertools.count(1)
_dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def create_app(settings: Settings | None = None, store: CaseStore | None = None) -> Sanic:
    """The sanic app; the schema must already be migrated (see `bot.casestore.db.migrate`)."""
    settings = settings or Settings.from_env()
    app = Sanic(f"casestore_{next(_names)}", dumps=_dumps)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    # Whole-request cap: every allowed file at full size plus form overhead. Per-file sizes
    # are checked in uploads.check_files (413 with the file named).
    app.config.REQUEST_MAX_SIZE = settings.upload_max_bytes * settings.upload_max_files + 1024 * 1024
    app.config.REQUEST_TIMEOUT = 60
    app.config.RESPONSE_TIMEOUT = 60
    app.ctx.settings = settings
    app.ctx.store = store
    app.ctx.dept_tokens = settings.department_tokens()
    app.ctx.executor = None
    app.ctx.outbox_task = None

    @app.before_server_start
    async def _start(app_, _loop):
        app_.ctx.executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="casestore-db")
        if app_.ctx.store is None:
            app_.ctx.store = CaseStore(settings)
        _mask_logs()

    @app.after_server_start
    async def _start_outbox(app_, _loop):
        if settings.outbox_interval > 0:
            app_.ctx.outbox_task = asyncio.get_running_loop().create_task(_outbox_loop(app_))

    @app.before_server_stop
    async def _stop(app_, _loop):
        if app_.ctx.outbox_task is not None:
            app_.ctx.outbox_task.cancel()
            try:
                await app_.ctx.outbox_task
            except (asyncio.CancelledError, Exception):
                pass
        if app_.ctx.executor is not None:
            app_.ctx.executor.shutdown(wait=True)

    _routes(app)
    app.error_handler.add(Exception, _on_error)
    return app


async def _run(request_or_app, fn, *args, **kwargs):
    app = getattr(request_or_app, "app", request_or_app)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(app.ctx.executor, functools.partial(fn, *args, **kwargs))


async def _outbox_loop(app: Sanic) -> None:
    from bot.casestore.outbox import deliver_due

    interval = app.ctx.settings.outbox_interval
    while True:
        try:
            await _run(app, deliver_due, None, app.ctx.store)
        except asyncio.CancelledError:
            raise
        except Exception:  # keep the loop alive; the rows stay pending and are retried
            log.exception("outbox run failed")
        await asyncio.sleep(interval)


def _mask_logs() -> None:
    from bot.parsing.masking import PersonalDataFilter

    for name in ("sanic.root", "sanic.error", "sanic.access", "bot.casestore"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, PersonalDataFilter) for f in logger.filters):
            logger.addFilter(PersonalDataFilter())


# ------------------------------------------------------------------------------------------
# auth and request helpers
# ------------------------------------------------------------------------------------------
def viewer_of(request, *, required: bool = True) -> Viewer | None:
    header = request.headers.get("authorization", "")
    if not header:
        if required:
            raise unauthorized()
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise unauthorized()
    settings: Settings = request.app.ctx.settings
    if settings.agent_token and hmac.compare_digest(token, settings.agent_token):
        return Viewer("agent")
    if settings.assistant_token and hmac.compare_digest(token, settings.assistant_token):
        return Viewer("assistant")
    for tok, dept in request.app.ctx.dept_tokens.items():
        if hmac.compare_digest(token, tok):
            return Viewer("department", dept)
    raise unauthorized("访问令牌无效。")


MAX_JSON_BYTES = 1024 * 1024


def json_body(request, *, optional: bool = False):
    body = request.body or b""
    if len(body) > MAX_JSON_BYTES:
        raise ApiError(413, "payload_too_large", "请求内容过大（JSON不能超过1 MB）。")
    if not body.strip():
        if optional:
            return {}
        raise ApiError(400, "empty_body", "请求内容为空，请以JSON格式提交。")
    try:
        return json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "bad_json", "请求内容不是有效的JSON，请检查格式（如引号、逗号、括号是否完整）。") from None


def _ok(data, status: int = 200) -> HTTPResponse:
    return json_response(data, status=status, dumps=_dumps)


def _multipart_files(request) -> tuple[list[tuple[str, str, bytes]], str | None]:
    ctype = request.headers.get("content-type", "")
    if not ctype.lower().startswith("multipart/form-data"):
        raise ApiError(400, "multipart_required", "请使用 multipart/form-data 表单上传文件（字段名 file）。")
    try:
        form_files = request.files or {}
        form = request.form or {}
    except Exception:
        raise ApiError(400, "bad_multipart", "上传的表单格式不正确，请重新选择文件上传。") from None
    out = []
    for _field, entries in form_files.items():
        for f in entries:
            out.append((f.name, f.type, f.body))
    material_id = form.get("material_id") or request.args.get("material_id") or None
    return out, material_id


# ------------------------------------------------------------------------------------------
# routes
# ------------------------------------------------------------------------------------------
def _routes(app: Sanic) -> None:  # noqa: C901 - a flat list of small handlers
    @app.get("/healthz")
    async def healthz(request):
        try:
            await _run(request, request.app.ctx.store.ping)
        except Exception:
            log.exception("health check failed")
            return _ok({"status": "error", "database": "unavailable"}, 503)
        return _ok({"status": "ok", "database": "ok"})

    @app.get("/widget")
    async def widget(request):
        """The website chat widget (talks to Rasa's REST channel)."""
        from bot.channels.widget import widget_page

        return html(widget_page())

    @app.get("/api/v1/openapi.yaml")
    async def openapi(request):
        try:
            return raw(OPENAPI.read_bytes(), content_type="application/yaml; charset=utf-8")
        except OSError:
            raise ApiError(404, "not_found", "接口说明文件不存在。") from None

    @app.post("/api/v1/applications")
    async def submit(request):
        viewer = viewer_of(request)
        body = json_body(request)
        view, created = await _run(request, request.app.ctx.store.submit, body,
                                   request.headers.get("idempotency-key"), viewer)
        return _ok(view, 201 if created else 200)

    @app.get("/api/v1/applications/<case_no>")
    async def lookup(request, case_no):
        viewer = viewer_of(request, required=False)
        phone = request.args.get("phone")
        if viewer is None:
            if not phone:
                raise unauthorized("请提供手机号（?phone=完整手机号或后4位）或访问令牌。")
            viewer = Viewer("applicant")
        return _ok(await _run(request, request.app.ctx.store.get_application, case_no, viewer, phone))

    @app.post("/api/v1/applications/<case_no>/resubmit")
    async def resubmit(request, case_no):
        viewer, phone = _applicant_or_trusted(request)
        body = json_body(request, optional=True)
        if not isinstance(body, dict):
            raise ApiError(400, "bad_json", "请求内容应为JSON对象。")
        return _ok(await _run(request, request.app.ctx.store.resubmit, case_no, viewer, phone, body))

    @app.post("/api/v1/applications/<case_no>/materials")
    async def upload_materials(request, case_no):
        token = request.args.get("token")
        if token:
            viewer, phone, token_hash = Viewer("upload"), None, hash_token(token)
        else:
            (viewer, phone), token_hash = _applicant_or_trusted(request), None
        result = await _store_upload(request, viewer, phone, case_no=case_no, token_hash=token_hash)
        return _ok(result, 201)

    @app.post("/api/v1/items/<item_id>/<action>")
    async def item_action(request, item_id, action):
        viewer = viewer_of(request)
        if viewer.role not in ("department", "agent"):
            raise forbidden("只有负责该事项的部门可以办理。")
        body = json_body(request, optional=True)
        if not isinstance(body, dict):
            raise ApiError(400, "bad_json", "请求内容应为JSON对象。")
        version = _expected_version(request, body)
        return _ok(await _run(request, request.app.ctx.store.act, item_id, action, viewer, body, version))

    @app.post("/api/v1/upload-tokens")
    async def upload_token(request):
        viewer = viewer_of(request)
        body = json_body(request)
        return _ok(await _run(request, request.app.ctx.store.create_upload_token, body, viewer), 201)

    @app.get("/api/v1/uploads")
    async def draft_uploads(request):
        viewer = viewer_of(request)
        draft_id = request.args.get("draft_id")
        if not draft_id:
            raise ApiError(400, "draft_id_required", "请提供草稿编号 draft_id。")
        return _ok({"uploads": await _run(request, request.app.ctx.store.draft_uploads, draft_id, viewer)})

    @app.get("/upload/<token>")
    async def upload_page(request, token):
        store: CaseStore = request.app.ctx.store
        try:
            target = await _run(request, store.token_target, hash_token(token))
        except ApiError as exc:
            return html(message_page("无法上传", exc.message), status=exc.status)
        s = request.app.ctx.settings
        return html(upload_form(token, target, store.guide.materials,
                                s.upload_max_bytes / 1024 / 1024, s.upload_max_files))

    @app.post("/upload/<token>")
    async def upload_post(request, token):
        wants_json = "application/json" in request.headers.get("accept", "")
        try:
            result = await _store_upload(request, Viewer("upload"), None, case_no=None,
                                         token_hash=hash_token(token), from_page=True)
        except ApiError as exc:
            if wants_json:
                raise
            return html(message_page("上传未成功", exc.message, items=[d["message"] for d in exc.details]),
                        status=exc.status)
        if wants_json:
            return _ok(result, 201)
        return html(message_page("上传成功", "材料已收到，请回到对话中继续办理。", ok=True,
                                 items=[u["filename"] for u in result["uploads"]]), status=201)

    @app.post("/api/v1/reminders")
    async def add_reminder(request):
        viewer = viewer_of(request)
        body = json_body(request)
        view, created = await _run(request, request.app.ctx.store.add_reminder, body, viewer)
        return _ok(view, 201 if created else 200)

    @app.get("/api/v1/reminders/due")
    async def due_reminders(request):
        viewer = viewer_of(request)
        raw_on = request.args.get("on")
        on = parse_date(raw_on) if raw_on else request.app.ctx.store.today()
        if on is None:
            raise ApiError(400, "bad_date", "日期格式应为YYYY-MM-DD，例如 ?on=2026-12-01。")
        rows = await _run(request, request.app.ctx.store.due_reminders, on, viewer,
                          request.args.get("channel_user_id") or None)
        return _ok({"on": on.isoformat(), "reminders": rows})

    @app.post("/api/v1/reminders/<reminder_id:int>/sent")
    async def reminder_sent(request, reminder_id):
        viewer = viewer_of(request)
        return _ok(await _run(request, request.app.ctx.store.mark_reminder_sent, reminder_id, viewer))

    @app.get("/api/v1/metrics")
    async def metrics(request):
        viewer = viewer_of(request)
        raw_on = request.args.get("on")
        on = parse_date(raw_on) if raw_on else None
        if raw_on and on is None:
            raise ApiError(400, "bad_date", "日期格式应为YYYY-MM-DD，例如 ?on=2026-12-01。")
        return _ok(await _run(request, request.app.ctx.store.metrics, on, viewer))

    @app.post("/api/v1/paths/determine")
    async def determine(request):
        body = json_body(request)
        try:
            from bot.rules.engine import InputError, determine_paths
        except ImportError:
            raise ApiError(503, "engine_unavailable", "办理路径判断功能暂时不可用，请稍后再试。") from None
        try:
            result = await _run(request, determine_paths, body)
        except InputError as exc:
            errors = list(getattr(exc, "errors", []) or [])
            raise ApiError(422, "validation_failed",
                           f"提交的信息有{len(errors)}处需要修改，请逐项核对。", errors) from None
        return _ok(result)


def _applicant_or_trusted(request) -> tuple[Viewer, str | None]:
    viewer = viewer_of(request, required=False)
    phone = request.args.get("phone")
    if viewer is None:
        if not phone:
            raise unauthorized("请提供申请时填写的完整手机号（?phone=）或访问令牌。")
        return Viewer("applicant"), phone
    if not viewer.trusted:
        raise forbidden("部门不能代替申请人补正材料。")
    return viewer, phone


def _expected_version(request, body: dict) -> int | None:
    raw_v = request.headers.get("if-match")
    if raw_v is not None:
        raw_v = raw_v.strip().strip('"').removeprefix("W/").strip('"')
    elif "version" in body:
        raw_v = body["version"]
    if raw_v is None:
        return None
    try:
        value = int(raw_v)
        if isinstance(raw_v, bool):
            raise ValueError
    except (TypeError, ValueError):
        raise ApiError(400, "bad_version", "版本号应为整数（If-Match 请求头或 version 字段）。") from None
    return value


async def _store_upload(request, viewer: Viewer, phone: str | None, *, case_no: str | None,
                        token_hash: str | None, from_page: bool = False) -> dict:
    store: CaseStore = request.app.ctx.store
    settings: Settings = request.app.ctx.settings
    target_case, draft_id = case_no, None
    if token_hash is not None:  # check the token before touching the disk
        target = await _run(request, store.token_target, token_hash)
        draft_id = target["draft_id"]
        if from_page:
            target_case = target["case_no"]
        elif target["case_no"] is None or target["case_no"] != _norm(case_no):
            raise ApiError(404, "not_found", "没有找到该申请，请核对编号。")
    received, material_id = _multipart_files(request)
    checked = files.check_files(received, settings.upload_max_bytes, settings.upload_max_files)
    stored = await _run(request, files.store_files, checked, settings.upload_dir,
                        files.folder_for(_norm(target_case) if target_case else None, draft_id))
    try:
        rows = await _run(request, store.record_uploads, case_no=target_case,
                          draft_id=draft_id if target_case is None else None, viewer=viewer, phone=phone,
                          stored=stored, material_id=material_id, token_hash=token_hash)
    except BaseException:
        await _run(request, files.remove_files, stored)  # the DB said no: leave nothing behind
        raise
    return {"case_no": _norm(target_case) if target_case else None, "draft_id": draft_id, "uploads": rows}


def _norm(case_no: str | None) -> str | None:
    from bot.casestore.caseno import normalize_case_no

    return normalize_case_no(case_no) if case_no else None


# ------------------------------------------------------------------------------------------
# errors: always JSON {"error", "message", "details"}, never a stack trace
# ------------------------------------------------------------------------------------------
_SANIC_ERRORS = {
    NotFound: (404, "not_found", "没有这个接口地址，请核对请求路径。"),
    MethodNotSupported: (405, "method_not_allowed", "该接口不支持这种请求方法。"),
    PayloadTooLarge: (413, "payload_too_large", "上传的内容过大，请压缩或分批上传。"),
    InvalidUsage: (400, "bad_request", "请求格式不正确。"),
}


async def _on_error(request, exc):
    if isinstance(exc, ApiError):
        return json_response(exc.body(), status=exc.status, dumps=_dumps)
    for kind, (status, code, message) in _SANIC_ERRORS.items():
        if isinstance(exc, kind):
            return json_response({"error": code, "message": message, "details": []}, status=status,
                                 dumps=_dumps)
    if isinstance(exc, SanicException) and 400 <= getattr(exc, "status_code", 500) < 500:
        return json_response({"error": "bad_request", "message": "请求无法处理，请检查后重试。", "details": []},
                             status=exc.status_code, dumps=_dumps)
    log.exception("unhandled error on %s %s", getattr(request, "method", "?"),
                  getattr(request, "path", "?"), exc_info=exc)
    return json_response({"error": "internal_error", "message": "服务暂时出现问题，请稍后再试。", "details": []},
                         status=500, dumps=_dumps)

