"""/api/v1/paths/determine: the rules engine (which path, earliest date) over HTTP; no token."""

from __future__ import annotations

from sanic import Blueprint

from bot.casestore.errors import ApiError
from bot.casestore.routes.common import json_body, ok, run


def blueprint() -> Blueprint:
    bp = Blueprint("paths")

    @bp.post("/api/v1/paths/determine")
    async def determine(request):
        body = json_body(request)
        try:
            from bot.rules.engine import InputError, determine_paths
        except ImportError:
            raise ApiError(503, "engine_unavailable", "办理路径判断功能暂时不可用，请稍后再试。") from None
        try:
            result = await run(request, determine_paths, body)
        except InputError as exc:
            errors = list(getattr(exc, "errors", []) or [])
            raise ApiError(422, "validation_failed",
                           f"提交的信息有{len(errors)}处需要修改，请逐项核对。", errors) from None
        return ok(result)

    return bp
