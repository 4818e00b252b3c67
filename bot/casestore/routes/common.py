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
import math
import re

from sanic.response import HTTPResponse, json as json_response

from bot.casestore.errors import ApiError

dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
MAX_JSON_BYTES = 1024 * 1024
MAX_DEPTH = 20
MAX_INT = 2**53 - 1  # what every JSON reader (and a JavaScript page) holds exactly
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e"
                        "\u2066-\u2069\ud800-\udfff\ufeff]")


async def run(request_or_app, fn, *args, **kwargs):
    """`fn(*args, **kwargs)` in the app's database thread pool."""
    app = getattr(request_or_app, "app", request_or_app)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(app.ctx.executor, functools.partial(fn, *args, **kwargs))


def store(request):
    return request.app.ctx.store


def ok(data, status: int = 200) -> HTTPResponse:
    return json_response(data, status=status, dumps=dumps)


class _Refused(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _no_constant(name: str):
    raise _Refused("bad_number", f"不接受 {name}，数字必须是有限的数值。")


def _int(text: str) -> int:
    if len(text.lstrip("-")) > 15 or abs(int(text)) > MAX_INT:
        raise _Refused("bad_number", f"整数超出范围（绝对值不能超过{MAX_INT}）。")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("bad_number", "数字超出范围，必须是有限的数值。")
    return value


def bad_text(value: str) -> bool:
    """Lone surrogates, NUL and other control characters (tab and line breaks are fine),
    and the invisible direction overrides that make text read differently than it is stored."""
    return bool(_BAD_CHARS.search(value))


def check_tree(data, max_depth: int = MAX_DEPTH) -> None:
    """Depth, and every key and text value, of parsed JSON (iteratively: no recursion)."""
    stack = [(data, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        if depth > max_depth:
            raise ApiError(400, "too_deep", f"JSON嵌套过深（不能超过{max_depth}层）。")
        if isinstance(node, dict):
            for key, value in node.items():
                sub = f"{path}.{key}" if path else str(key)
                if bad_text(key):
                    raise _bad_chars(path or "（字段名）")
                stack.append((value, sub, depth + 1))
        elif isinstance(node, list):
            for n, value in enumerate(node):
                stack.append((value, f"{path}[{n}]", depth + 1))
        elif isinstance(node, str) and bad_text(node):
            raise _bad_chars(path)


def _bad_chars(field: str) -> ApiError:
    return ApiError(400, "bad_characters", "提交的内容含有不允许的字符（控制字符、空字符或无效编码），请删除后重试。",
                    [{"field": field, "message": "含有不允许的字符"}])


def json_body(request, *, optional: bool = False):
    """The request's JSON: at most 1 MB and 20 levels deep, finite numbers in range, and no
    control characters, lone surrogates or direction overrides in any text (else 400)."""
    body = request.body or b""
    if len(body) > MAX_JSON_BYTES:
        raise ApiError(413, "payload_too_large", "请求内容过大（JSON不能超过1 MB）。")
    if not body.strip():
        if optional:
            return {}
        raise ApiError(400, "empty_body", "请求内容为空，请以JSON格式提交。")
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constant, parse_int=_int,
                          parse_float=_float)
    except _Refused as exc:
        raise ApiError(400, exc.code, exc.message) from None
    except RecursionError:
        raise ApiError(400, "too_deep", f"JSON嵌套过深（不能超过{MAX_DEPTH}层）。") from None
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "bad_json", "请求内容不是有效的JSON，请检查格式（如引号、逗号、括号是否完整）。") from None
    check_tree(data)
    return data


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
