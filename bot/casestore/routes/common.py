"""What every route module shares: running service calls off the event loop, JSON in and out.

Database work is synchronous SQLAlchemy run in a small thread pool (`run`): the event loop
stays free while SQLite fsyncs or waits for the write lock, and every request gets its own
short transaction. This is simpler than an async driver (none is needed for SQLite, and
psycopg2 works unchanged) and correct as long as no ORM object crosses threads — the service
returns plain dicts.
"""

from __future__ import annotations

import asyncio
import functools
import json

from sanic.response import HTTPResponse, json as json_response

from bot.casestore.errors import ApiError

dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
MAX_JSON_BYTES = 1024 * 1024


async def run(request_or_app, fn, *args, **kwargs):
    """`fn(*args, **kwargs)` in the app's database thread pool."""
    app = getattr(request_or_app, "app", request_or_app)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(app.ctx.executor, functools.partial(fn, *args, **kwargs))


def store(request):
    return request.app.ctx.store


def ok(data, status: int = 200) -> HTTPResponse:
    return json_response(data, status=status, dumps=dumps)


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


def json_object(request, *, optional: bool = False) -> dict:
    body = json_body(request, optional=optional)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", "请求内容应为JSON对象。")
    return body


def multipart_files(request) -> tuple[list[tuple[str, str, bytes]], str | None]:
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


def norm(case_no: str | None) -> str | None:
    from bot.casestore.caseno import normalize_case_no

    return normalize_case_no(case_no) if case_no else None
