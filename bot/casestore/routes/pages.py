"""Health check, the old widget address (a redirect to the Rasa web channel) and the API description."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sanic import Blueprint
from sanic.response import raw, redirect

from bot.casestore.errors import ApiError
from bot.casestore.routes.common import ok, run, store

log = logging.getLogger("bot.casestore")
OPENAPI = Path(__file__).resolve().parents[3] / "docs" / "openapi.yaml"


def blueprint() -> Blueprint:
    bp = Blueprint("pages")

    @bp.get("/healthz")
    async def healthz(request):
        try:
            await run(request, store(request).ping)
        except Exception:
            log.exception("health check failed")
            return ok({"status": "error", "database": "unavailable"}, 503)
        return ok({"status": "ok", "database": "ok"})

    @bp.get("/widget")
    async def widget(request):
        """The chat widget moved to the Rasa server's web channel (bot/channels/web.py)."""
        rasa = os.environ.get("RASA_PUBLIC_URL") or f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"
        query = f"?{request.query_string}" if request.query_string else ""  # e.g. the 告知书 QR ?notice=
        return redirect(rasa.rstrip("/") + "/webhooks/web/" + query)

    @bp.get("/api/v1/openapi.yaml")
    async def openapi(request):
        try:
            return raw(OPENAPI.read_bytes(), content_type="application/yaml; charset=utf-8")
        except OSError:
            raise ApiError(404, "not_found", "接口说明文件不存在。") from None

    return bp
