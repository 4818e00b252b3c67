"""Request checks and response headers for everything the case store serves.

Request: query values, the path and the Idempotency-Key header must not carry control
characters, lone surrogates or direction overrides (400, never a 500 from the database).
Response: a Content-Security-Policy on every answer — pages may run only their own scripts
(`request.ctx.csp_nonce`, e.g. `<script nonce="{nonce}">`) and be framed only by
CASESTORE_FRAME_ANCESTORS (default: 'self') — plus nosniff and no-referrer. A handler that
sets its own Content-Security-Policy keeps it.
"""

from __future__ import annotations

import secrets

from bot.casestore.errors import ApiError
from bot.casestore.routes.common import bad_text

JSON_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def page_csp(nonce: str, frame_ancestors: str) -> str:
    return ("default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; "
            f"frame-ancestors {frame_ancestors}")


def install(app, frame_ancestors: str) -> None:
    @app.middleware("request")
    async def _check_request(request):
        request.ctx.csp_nonce = secrets.token_urlsafe(16)
        if bad_text(request.path):
            raise ApiError(400, "bad_characters", "请求地址含有不允许的字符。")
        for name, values in request.args.items():
            if bad_text(name) or any(bad_text(v) or len(v) > 2000 for v in values):
                raise ApiError(400, "bad_characters", f"查询参数 {name[:40]} 含有不允许的字符或过长。",
                               [{"field": name[:40], "message": "含有不允许的字符或过长"}])
        key = request.headers.get("idempotency-key")
        if key is not None and (bad_text(key) or not key.isprintable()):
            raise ApiError(400, "bad_characters", "Idempotency-Key 含有不允许的字符。",
                           [{"field": "Idempotency-Key", "message": "含有不允许的字符"}])

    @app.middleware("response")
    async def _headers(request, response):
        headers = response.headers
        ctype = getattr(response, "content_type", None) or headers.get("content-type", "") or ""
        if "content-security-policy" not in headers:
            nonce = getattr(request.ctx, "csp_nonce", None) or secrets.token_urlsafe(16)
            headers["content-security-policy"] = (page_csp(nonce, frame_ancestors)
                                                  if ctype.startswith("text/html") else JSON_CSP)
        headers.setdefault("x-content-type-options", "nosniff")
        headers.setdefault("referrer-policy", "no-referrer")
        if ctype.startswith("text/html"):
            legacy = {"'self'": "SAMEORIGIN", "'none'": "DENY"}.get(frame_ancestors.strip())
            if legacy:
                headers.setdefault("x-frame-options", legacy)
            headers.setdefault("cache-control", "no-store")
