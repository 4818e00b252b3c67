"""Staff login and logout (/staff/login, /staff/logout, /staff) and the pages' CSS."""

from __future__ import annotations

import secrets

from sanic import Blueprint
from sanic.response import HTTPResponse, redirect

from bot.casestore.staff.accounts import AccountError
from bot.casestore.staff.web import (
    COOKIE,
    HERE,
    HOME,
    LOGIN_CSRF_COOKIE,
    accounts,
    audit_action,
    clear_cookie,
    csrf_ok,
    error_page,
    page_ctx,
    render,
    require,
    run,
    same_origin,
    set_cookie,
    staff_blueprint,
)
from bot.texts import t


PAGES_DIST = HERE.parents[1] / "pages" / "dist"


def blueprint() -> Blueprint:
    bp = staff_blueprint("staff_login")

    @bp.get("/staff/static/<name>")
    async def static(request, name):
        allowed = {"staff.css": "text/css; charset=utf-8", "staff.js": "text/javascript; charset=utf-8",
                   "dashboard-charts.js": "text/javascript; charset=utf-8"}
        # the dashboard's ECharts bundle is built by vite from bot/pages (make pages)
        path = (PAGES_DIST if name == "dashboard-charts.js" else HERE / "static") / name
        if name not in allowed or not path.is_file():
            return error_page(request, 404, t("staff.error.not_found"))
        return HTTPResponse(path.read_bytes(), content_type=allowed[name], headers={"Cache-Control": "no-cache"})

    @bp.get("/staff/login")
    async def login_form(request):
        token = secrets.token_urlsafe(24)
        resp = render("login.html", **page_ctx(request, login_csrf=token, next=request.args.get("next", ""),
                                                 error=None))
        set_cookie(request, resp, LOGIN_CSRF_COOKIE, token, 3600)
        return resp

    @bp.post("/staff/login")
    async def login(request):
        form = request.form or {}
        username = (form.get("username") or "").strip()[:40]
        nxt = form.get("next") or ""
        fresh = secrets.token_urlsafe(24)

        def again(message: str, status: int):
            resp = render("login.html", status,
                          **page_ctx(request, login_csrf=fresh, next=nxt, error=message, username=username))
            set_cookie(request, resp, LOGIN_CSRF_COOKIE, fresh, 3600)
            return resp

        cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
        if not same_origin(request) or not cookie_token or not csrf_ok(cookie_token, form.get("csrf_token")):
            return again(t("staff.error.csrf"), 403)
        try:
            token, sess = await run(request, accounts(request.app).login, username, form.get("password") or "")
        except AccountError as exc:
            await audit_action(request, "login", ok=False, username=username or "?", detail={"reason": str(exc)})
            return again(str(exc), 401)
        request.ctx.staff = sess
        await audit_action(request, "login")
        resp = redirect(_safe_next(nxt, sess.user.role), status=303)
        set_cookie(request, resp, COOKIE, token, None)  # a browser-session cookie; the server expires it
        clear_cookie(request, resp, LOGIN_CSRF_COOKIE)
        return resp

    @bp.post("/staff/logout")
    @require()
    async def logout(request):
        await run(request, accounts(request.app).logout, request.cookies.get(COOKIE))
        await audit_action(request, "logout")
        resp = redirect("/staff/login", status=303)
        clear_cookie(request, resp, COOKIE)
        return resp

    @bp.get("/staff")
    @require()
    async def staff_home(request):
        return redirect(HOME.get(request.ctx.staff.user.role, "/staff/login"), status=303)

    return bp


ROLE_PAGES = {"agent": ("/console",), "officer": ("/dept", "/dashboard"),
              "supervisor": ("/dashboard", "/console")}


def _safe_next(raw: str | None, role: str) -> str:
    """Back to the page asked for before the login, if it is ours and the role may open it."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw \
            and raw.split("?", 1)[0].startswith(ROLE_PAGES.get(role, ())):
        return raw
    return HOME.get(role, "/staff/login")
