"""Who is calling, resolved once at the route (in the spirit of FastAPI's dependencies).

A handler declares who may call it; the caller is resolved from the request before the
handler runs and passed in as `viewer`, and a caller who may not is turned away with a
Chinese 401 (no or unknown credential) or 403 (known, but not allowed here):

    @bp.post("/api/v1/reminders")
    @requires(*TRUSTED, message="只有智能助手或坐席可以登记提醒。")
    async def add_reminder(request, viewer): ...

    @bp.get("/api/v1/applications/<case_no>")
    @applicant_or_token(missing="请提供手机号……")
    async def lookup(request, viewer, phone, case_no): ...

Roles: agent (坐席/管理), assistant (the chat assistant), department (one department's
officers), applicant (no token, proves the case with the phone), upload (a one-time link).
The services below only scope data to the caller (a department's own items, the phone check).
"""

from __future__ import annotations

import functools
import hmac

from bot.casestore.errors import forbidden, unauthorized
from bot.casestore.services.common import Viewer
from bot.casestore.settings import Settings

TRUSTED = ("agent", "assistant")
STAFF = ("agent", "department")


def resolve(request, *, required: bool = True) -> Viewer | None:
    """The caller named by `Authorization: Bearer <token>`; None when there is none and
    `required` is false. An unknown or malformed credential is always 401."""
    cached = getattr(request.ctx, "viewer", None)
    if cached is not None:
        return cached
    header = request.headers.get("authorization", "")
    if not header:
        if required:
            raise unauthorized()
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise unauthorized()
    viewer = _match(request.app, token)
    if viewer is None:
        raise unauthorized("访问令牌无效。")
    request.ctx.viewer = viewer
    return viewer


def _match(app, token: str) -> Viewer | None:
    settings: Settings = app.ctx.settings
    found = None
    # compare against every credential (constant time each), so timing does not tell which matched
    if settings.agent_token and hmac.compare_digest(token, settings.agent_token):
        found = Viewer("agent")
    if settings.assistant_token and hmac.compare_digest(token, settings.assistant_token):
        found = found or Viewer("assistant")
    for tok, dept in app.ctx.dept_tokens.items():
        if hmac.compare_digest(token, tok):
            found = found or Viewer("department", dept)
    return found


def requires(*roles: str, message: str = "无权使用该功能。"):
    """The handler gets `viewer` (one of `roles`, or any known caller when none are given)."""

    def decorate(handler):
        @functools.wraps(handler)
        async def wrapper(request, *args, **kwargs):
            viewer = resolve(request)
            if roles and viewer.role not in roles:
                raise forbidden(message)
            return await handler(request, viewer, *args, **kwargs)

        return wrapper

    return decorate


async def _limited(request, viewer, phone, handler, args, kwargs):
    """A phone-proven call under the look-up limits (bot/casestore/services/lookups.py): a 404
    (unknown case or wrong phone) counts against the case and, for callers without a token,
    against the client; over a limit the call is refused with 429 before anything is read."""
    from bot.casestore.caseno import normalize_case_no
    from bot.casestore.errors import ApiError
    from bot.casestore.routes.common import run
    from bot.casestore.services.lookups import client_key

    raw = str(kwargs.get("case_no") or "")
    case_key = (normalize_case_no(raw) or raw)[:40] or None
    client = client_key(request.remote_addr or request.ip) if viewer.role == "applicant" else None
    store = request.app.ctx.store
    await run(request, store.check_lookup_allowed, case_key, client)
    try:
        return await handler(request, viewer, phone, *args, **kwargs)
    except ApiError as exc:
        if exc.status == 404:
            await run(request, store.record_lookup_failure, case_key, client)
        raise


def applicant_or_token(*, missing: str, trusted_only: str | None = None):
    """A token holder, or an applicant who gives `?phone=`: the handler gets `(viewer, phone)`.

    `trusted_only`: token holders other than agent/assistant are refused with this message
    (used where an applicant changes their case: departments may not act for them)."""

    def decorate(handler):
        @functools.wraps(handler)
        async def wrapper(request, *args, **kwargs):
            viewer = resolve(request, required=False)
            phone = request.args.get("phone")
            if viewer is None:
                if not phone:
                    raise unauthorized(missing)
                viewer = Viewer("applicant")
            elif trusted_only and not viewer.trusted:
                raise forbidden(trusted_only)
            if not phone:
                return await handler(request, viewer, phone, *args, **kwargs)
            return await _limited(request, viewer, phone, handler, args, kwargs)

        return wrapper

    return decorate
