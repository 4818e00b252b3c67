"""Errors: always JSON {"error", "message", "details"} with a Chinese message, never a stack trace."""

from __future__ import annotations

import logging

from sanic.exceptions import InvalidUsage, MethodNotSupported, NotFound, PayloadTooLarge, SanicException
from sanic.response import json as json_response

from bot.casestore.errors import ApiError
from bot.casestore.routes.common import dumps

log = logging.getLogger("bot.casestore")

_SANIC_ERRORS = {
    NotFound: (404, "not_found", "没有这个接口地址，请核对请求路径。"),
    MethodNotSupported: (405, "method_not_allowed", "该接口不支持这种请求方法。"),
    PayloadTooLarge: (413, "payload_too_large", "上传的内容过大，请压缩或分批上传。"),
    InvalidUsage: (400, "bad_request", "请求格式不正确。"),
}


async def on_error(request, exc):
    if isinstance(exc, ApiError):
        return json_response(exc.body(), status=exc.status, dumps=dumps)
    for kind, (status, code, message) in _SANIC_ERRORS.items():
        if isinstance(exc, kind):
            return json_response({"error": code, "message": message, "details": []}, status=status,
                                 dumps=dumps)
    if isinstance(exc, SanicException) and 400 <= getattr(exc, "status_code", 500) < 500:
        return json_response({"error": "bad_request", "message": "请求无法处理，请检查后重试。", "details": []},
                             status=exc.status_code, dumps=dumps)
    log.exception("unhandled error on %s %s", getattr(request, "method", "?"),
                  getattr(request, "path", "?"), exc_info=exc)
    return json_response({"error": "internal_error", "message": "服务暂时出现问题，请稍后再试。", "details": []},
                         status=500, dumps=dumps)
