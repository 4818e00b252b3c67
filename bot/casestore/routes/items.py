"""/api/v1/items/{item_id}/{action}: a department's (or agent's) decision on one item."""

from __future__ import annotations

from sanic import Blueprint

from bot.casestore.authz import STAFF, requires
from bot.casestore.errors import ApiError
from bot.casestore.routes.common import json_object, ok, run, store


def blueprint() -> Blueprint:
    bp = Blueprint("items")

    @bp.post("/api/v1/items/<item_id>/<action>")
    @requires(*STAFF, message="只有负责该事项的部门可以办理。")
    async def item_action(request, viewer, item_id, action):
        body = json_object(request, optional=True)
        version = expected_version(request, body)
        return ok(await run(request, store(request).act, item_id, action, viewer, body, version))

    return bp


def expected_version(request, body: dict) -> int | None:
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
