"""What every staff page shares: templates, sessions and the route guard (`require`),
CSRF checks, cookies, audit rows and the security headers. The pages themselves are the
blueprints bot/casestore/routes/staff_*.py (login, dept, dashboard, console, handoffs). Permission checks at the route (`require`), CSRF on every POST, an audit
row for every staff action, and strict security headers (CSP, no framing, no caching,
noindex) on every page. Staff pages are never linked from the applicant's channels and
answer a login page to anyone without a staff session.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic.response import HTTPResponse, html, redirect

from bot.casestore.staff import audit
from bot.casestore.staff.accounts import Accounts, SessionView, csrf_ok
from bot.casestore.staff.config import StaffSettings
from bot.clock import CHINA
from bot.texts import t

HERE = Path(__file__).resolve().parent
COOKIE = "staff_session"
LOGIN_CSRF_COOKIE = "staff_login_csrf"
HOME = {"agent": "/console", "officer": "/dept", "supervisor": "/dashboard"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
STAFF_PREFIXES = ("/staff", "/dept", "/dashboard", "/console")

_env = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def _zh_datetime(value) -> str:
    if value is None or value == "":
        return ""
    import datetime as dt

    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.rstrip("Z"))
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.timezone.utc).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    return str(value)


_env.filters["zh_dt"] = _zh_datetime
_env.globals["t"] = t


def render(template: str, status: int = 200, /, **ctx) -> HTTPResponse:
    """A staff page with its own strict CSP (no inline script or style at all), which the case
    store's general headers (bot/casestore/http_guard.py) leave as it is."""
    return html(_env.get_template(template).render(**ctx), status=status,
                headers={"Content-Security-Policy": CSP})




# ------------------------------------------------------------------------------------------
# plumbing
# ------------------------------------------------------------------------------------------
async def run(request, fn, *args, **kwargs):
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(request.app.ctx.executor, functools.partial(fn, *args, **kwargs))


def accounts(app) -> Accounts:
    acc = getattr(app.ctx, "staff_accounts", None)
    if acc is None:
        store = app.ctx.store
        guide = store.guide
        acc = Accounts(store.db, StaffSettings.from_env(),
                       {c: guide.department_name(c) for c in guide.departments}, clock=store.clock)
        app.ctx.staff_accounts = acc
    return acc


def client_of(request) -> str:
    return (request.ip or "")[:64]


def _secure_cookies(request) -> bool:
    return request.app.ctx.settings.base_url.startswith("https://")


def set_cookie(request, response: HTTPResponse, name: str, value: str, max_age: int | None) -> None:
    response.cookies[name] = value
    c = response.cookies[name]
    c["httponly"] = True
    c["samesite"] = "Strict"
    c["path"] = "/"
    if max_age is not None:
        c["max-age"] = max_age
    if _secure_cookies(request):
        c["secure"] = True


def clear_cookie(request, response: HTTPResponse, name: str) -> None:
    set_cookie(request, response, name, "", 0)


def same_origin(request) -> bool:
    """POSTs must come from our own pages: the browser's Sec-Fetch-Site when it sends one,
    else Origin (or Referer) naming this host. Non-browser clients without either rely on the
    CSRF token alone."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin != "null"
    return urlsplit(origin).netloc == request.headers.get("host", "")


def audit_action(request, action: str, *, target: str | None = None, ok: bool = True,
           detail: dict | None = None, username: str | None = None, role: str | None = None):
    sess: SessionView | None = getattr(request.ctx, "staff", None)
    return run(request, audit.record, request.app.ctx.store.db,
               username or (sess.user.username if sess else "?"), action,
               role=role or (sess.user.role if sess else None), target=target, ok=ok,
               client=client_of(request), detail=detail, clock=request.app.ctx.store.clock)


def page_ctx(request, **extra) -> dict:
    sess: SessionView | None = getattr(request.ctx, "staff", None)
    return {"staff": sess.user if sess else None, "csrf": sess.csrf_token if sess else "",
            "path": request.path, **extra}


def error_page(request, status: int, message: str) -> HTTPResponse:
    return render("error.html", status, **page_ctx(request, code=status, message=message))


def require(*roles: str):
    """Route guard: a live staff session with one of `roles`; on POST also CSRF + same origin."""

    def deco(handler):
        @functools.wraps(handler)
        async def wrapper(request, *args, **kwargs):
            sess = await run(request, accounts(request.app).session, request.cookies.get(COOKIE))
            if sess is None:
                target = request.path + (f"?{request.query_string}" if request.query_string else "")
                return redirect(f"/staff/login?next={quote(target, safe='')}", status=303)
            request.ctx.staff = sess
            if roles and sess.user.role not in roles:
                await audit_action(request, "denied", target=request.path, ok=False)
                return error_page(request, 403, t("staff.error.forbidden_role"))
            if request.method == "POST":
                given = (request.form.get("csrf_token") if request.form else None) \
                    or request.headers.get("x-csrf-token")
                if not same_origin(request) or not csrf_ok(sess.csrf_token, given):
                    await audit_action(request, "csrf_refused", target=request.path, ok=False)
                    return error_page(request, 403, t("staff.error.csrf"))
            return await handler(request, *args, **kwargs)

        return wrapper

    return deco


def staff_blueprint(name: str):
    """The one preamble of every staff page module (routes/staff_*.py): a blueprint whose
    responses carry the staff security headers."""
    from sanic import Blueprint

    bp = Blueprint(name)
    bp.middleware(security_headers, "response")
    return bp


async def security_headers(request, response):
    if not request.path.startswith(STAFF_PREFIXES):
        return
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h["X-Frame-Options"] = "DENY"
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "same-origin"
    h["Cache-Control"] = "no-store"
    h["X-Robots-Tag"] = "noindex, nofollow"



EXTRA_ACTIONS = {"submit": "提交申请", "route": "分送部门", "upload": "上传材料"}


def record_rows(record: dict) -> list[tuple[str, str]]:
    """The record's facts as (中文标签, value), known fields first, booleans as 是/否."""
    from bot.texts import catalogue

    texts = catalogue()
    rows = []
    for key, value in record.items():
        if key in ("kind", "department") or value in (None, "", [], {}):
            continue
        label = texts.get(f"staff.record_fields.{key}", key)
        if isinstance(value, bool):
            value = "是" if value else "否"
        rows.append((label, str(value)))
    return rows
