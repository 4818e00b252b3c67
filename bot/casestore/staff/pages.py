"""Server-rendered staff pages (sanic blueprint): login, department workbench, dashboard,
help-desk console. Permission checks at the route (`require`), CSRF on every POST, an audit
row for every staff action, and strict security headers (CSP, no framing, no caching,
noindex) on every page. Staff pages are never linked from the applicant's channels and
answer a login page to anyone without a staff session.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
from pathlib import Path
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint
from sanic.response import HTTPResponse, html, redirect
from sanic.response import file as file_response

from bot.casestore.errors import ApiError
from bot.casestore.staff import audit, workbench
from bot.casestore.staff.accounts import AccountError, Accounts, SessionView, csrf_ok
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
    return html(_env.get_template(template).render(**ctx), status=status)


bp = Blueprint("staff_pages")


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


def _set_cookie(request, response: HTTPResponse, name: str, value: str, max_age: int | None) -> None:
    response.cookies[name] = value
    c = response.cookies[name]
    c["httponly"] = True
    c["samesite"] = "Strict"
    c["path"] = "/"
    if max_age is not None:
        c["max-age"] = max_age
    if _secure_cookies(request):
        c["secure"] = True


def _clear_cookie(request, response: HTTPResponse, name: str) -> None:
    _set_cookie(request, response, name, "", 0)


def _same_origin(request) -> bool:
    """POSTs must come from our own pages (Origin/Referer, when the browser sends one)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin != "null"
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


def _audit(request, action: str, *, target: str | None = None, ok: bool = True,
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
                await _audit(request, "denied", target=request.path, ok=False)
                return error_page(request, 403, t("staff.error.forbidden_role"))
            if request.method == "POST":
                given = (request.form.get("csrf_token") if request.form else None) \
                    or request.headers.get("x-csrf-token")
                if not _same_origin(request) or not csrf_ok(sess.csrf_token, given):
                    await _audit(request, "csrf_refused", target=request.path, ok=False)
                    return error_page(request, 403, t("staff.error.csrf"))
            return await handler(request, *args, **kwargs)

        return wrapper

    return deco


@bp.middleware("response")
async def _security_headers(request, response):
    if not request.path.startswith(STAFF_PREFIXES):
        return
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h["X-Frame-Options"] = "DENY"
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "no-referrer"
    h["Cache-Control"] = "no-store"
    h["X-Robots-Tag"] = "noindex, nofollow"


@bp.get("/staff/static/<name>")
async def static(request, name):
    allowed = {"staff.css": "text/css; charset=utf-8", "staff.js": "text/javascript; charset=utf-8"}
    if name not in allowed:
        return error_page(request, 404, t("staff.error.not_found"))
    return HTTPResponse((HERE / "static" / name).read_bytes(), content_type=allowed[name],
                        headers={"Cache-Control": "no-cache"})


# ------------------------------------------------------------------------------------------
# login / logout
# ------------------------------------------------------------------------------------------
def _safe_next(raw: str | None, role: str) -> str:
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw \
            and raw.split("?", 1)[0].startswith(STAFF_PREFIXES[1:]):
        return raw
    return HOME.get(role, "/staff/login")


@bp.get("/staff/login")
async def login_form(request):
    token = secrets.token_urlsafe(24)
    resp = render("login.html", **page_ctx(request, login_csrf=token, next=request.args.get("next", ""),
                                             error=None))
    _set_cookie(request, resp, LOGIN_CSRF_COOKIE, token, 3600)
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
        _set_cookie(request, resp, LOGIN_CSRF_COOKIE, fresh, 3600)
        return resp

    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if not _same_origin(request) or not cookie_token or not csrf_ok(cookie_token, form.get("csrf_token")):
        return again(t("staff.error.csrf"), 403)
    try:
        token, sess = await run(request, accounts(request.app).login, username, form.get("password") or "")
    except AccountError as exc:
        await _audit(request, "login", ok=False, username=username or "?", detail={"reason": str(exc)})
        return again(str(exc), 401)
    request.ctx.staff = sess
    await _audit(request, "login")
    resp = redirect(_safe_next(nxt, sess.user.role), status=303)
    _set_cookie(request, resp, COOKIE, token, None)  # a browser-session cookie; the server expires it
    _clear_cookie(request, resp, LOGIN_CSRF_COOKIE)
    return resp


@bp.post("/staff/logout")
@require()
async def logout(request):
    await run(request, accounts(request.app).logout, request.cookies.get(COOKIE))
    await _audit(request, "logout")
    resp = redirect("/staff/login", status=303)
    _clear_cookie(request, resp, COOKIE)
    return resp


@bp.get("/staff")
@require()
async def staff_home(request):
    return redirect(HOME.get(request.ctx.staff.user.role, "/staff/login"), status=303)


# ------------------------------------------------------------------------------------------
# department workbench
# ------------------------------------------------------------------------------------------
ACTIONS = {"accept", "return", "approve", "reject"}


@bp.get("/dept")
@require("officer")
async def dept_queue(request):
    user = request.ctx.staff.user
    q = await run(request, workbench.queue, request.app.ctx.store, user.department)
    await _audit(request, "view_queue", target=user.department)
    return render("dept_queue.html", **page_ctx(
        request, q=q, department_name=request.app.ctx.store.guide.department_name(user.department)))


@bp.get("/dept/items/<item_no>")
@require("officer")
async def dept_item(request, item_no):
    return await _item_page(request, item_no, notice=_notice(request.args.get("done")))


def _notice(done: str | None) -> str | None:
    return t(f"staff.dept.done.{done}") if done in ACTIONS else None


async def _item_page(request, item_no: str, *, error: str | None = None, notice: str | None = None,
                     details: list | None = None, status: int = 200):
    user = request.ctx.staff.user
    store = request.app.ctx.store
    try:
        d = await run(request, workbench.item_detail, store, user.department, item_no)
    except ApiError as exc:
        await _audit(request, "view_item", target=item_no[:80], ok=False, detail={"status": exc.status})
        return error_page(request, exc.status, t("staff.error.item_not_found"))
    await _audit(request, "view_item", target=item_no)
    from bot.casestore.service import ACTION_NAMES, STATE_NAMES

    return render("dept_item.html", status, **page_ctx(
        request, d=d, app=d["application"], item=d["item"], error=error, notice=notice,
        details=details or [], department_name=store.guide.department_name(user.department),
        record_rows=record_rows(d["item"]["record"]), action_names=ACTION_NAMES | EXTRA_ACTIONS,
        state_names=STATE_NAMES,
        material_names={k: v.get("name", k) for k, v in store.guide.materials.items()}))


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


@bp.post("/dept/items/<item_no>/<action>")
@require("officer")
async def dept_act(request, item_no, action):
    if action not in ACTIONS:
        return error_page(request, 404, t("staff.error.not_found"))
    user = request.ctx.staff.user
    form = request.form or {}
    payload: dict = {"officer": user.username, "note": (form.get("note") or "").strip() or None}
    if action == "return":
        missing: list = [{"material_id": m} for m in form.getlist("missing") or []]
        for line in (form.get("missing_other") or "").splitlines():
            if line.strip():
                missing.append(line.strip())
        payload["missing"] = missing
    elif action == "reject":
        payload["reasons"] = [r.strip() for r in (form.get("reasons") or "").splitlines() if r.strip()]
    version = form.get("version")
    try:
        version = int(version) if version not in (None, "") else None
    except ValueError:
        version = None
    store = request.app.ctx.store
    from bot.casestore.service import Viewer

    try:
        await run(request, workbench.item_detail, store, user.department, item_no)  # 404 if not ours
        result = await run(request, store.act, item_no, action, Viewer("department", user.department),
                           payload, version)
    except ApiError as exc:
        await _audit(request, f"item_{action}", target=item_no[:80], ok=False,
                     detail={"error": exc.code})
        if exc.status == 404:
            return error_page(request, 404, t("staff.error.item_not_found"))
        return await _item_page(request, item_no, error=exc.message,
                                details=[d.get("message", "") for d in exc.details], status=exc.status)
    await _audit(request, f"item_{action}", target=item_no,
                 detail={"to": result["state"], **({"missing": [m["name"] for m in result["last_missing"]]}
                                                   if action == "return" else {}),
                         **({"reasons": result["reasons"]} if action == "reject" else {})})
    return redirect(f"/dept/items/{quote(item_no)}?done={action}", status=303)


@bp.get("/dept/uploads/<upload_id>")
@require("officer")
async def dept_upload(request, upload_id):
    user = request.ctx.staff.user
    store = request.app.ctx.store
    try:
        up = await run(request, workbench.upload_for_department, store, user.department, upload_id)
    except ApiError:
        await _audit(request, "download", target=upload_id[:80], ok=False)
        return error_page(request, 404, t("staff.error.not_found"))
    base = Path(store.settings.upload_dir).resolve()
    path = Path(up["storage_path"]).resolve()
    if base not in path.parents or not path.is_file():
        return error_page(request, 404, t("staff.error.file_missing"))
    inline = request.args.get("inline") == "1" and up["content_type"] in (
        "application/pdf", "image/png", "image/jpeg")
    await _audit(request, "download", target=up["upload_id"], detail={"case_no": up["case_no"],
                                                                     "inline": inline})
    disposition = "inline" if inline else "attachment"
    resp = await file_response(str(path), mime_type=up["content_type"], headers={
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(up['filename'])}",
        "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
    })
    return resp


def register(app) -> None:
    """Mount the staff pages on the case store app."""
    app.blueprint(bp)


# ------------------------------------------------------------------------------------------
# service dashboard
# ------------------------------------------------------------------------------------------
def _dashboard_scope(request) -> str | None:
    user = request.ctx.staff.user
    if user.role == "officer":
        return user.department  # departments see their own figures only
    wanted = request.args.get("department") or None
    return wanted if wanted in request.app.ctx.store.guide.departments else None


@bp.get("/dashboard")
@require("supervisor", "officer")
async def dashboard(request):
    from bot.casestore.staff import dashboard as dash

    scope = _dashboard_scope(request)
    data = await run(request, dash.compute, request.app.ctx.store, scope)
    await _audit(request, "view_dashboard", target=scope or "all")
    guide = request.app.ctx.store.guide
    charts = {
        "states": [[s["name"], s["count"]] for s in data["by_state"]],
        "departments": [[d["name"], d["total"]] for d in data["by_department"]],
        "kinds": [[k["name"], k["total"]] for k in data["by_kind"]],
        "return_reasons": [[r["name"], r["count"]] for r in data["return_reasons"]],
    }
    return render("dashboard.html", **page_ctx(
        request, d=data, charts=charts,
        departments=[(c, guide.department_name(c)) for c in guide.departments],
        can_choose=request.ctx.staff.user.role == "supervisor"))


@bp.get("/dashboard.csv")
@require("supervisor", "officer")
async def dashboard_csv(request):
    from bot.casestore.staff import dashboard as dash

    scope = _dashboard_scope(request)
    body = await run(request, dash.items_csv, request.app.ctx.store, scope)
    await _audit(request, "export_csv", target=scope or "all")
    name = f"信用修复事项_{scope or 'all'}_{request.app.ctx.store.today().isoformat()}.csv"
    return HTTPResponse(body, content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


# ------------------------------------------------------------------------------------------
# help-desk console
# ------------------------------------------------------------------------------------------
@bp.get("/console")
@require("agent", "supervisor")
async def console(request):
    from bot.casestore.staff import console as look

    store = request.app.ctx.store
    gq = (request.args.get("q") or "").strip()[:look.MAX_QUERY]
    cq = (request.args.get("case") or "").strip()[:look.MAX_QUERY]
    guide = await run(request, look.guide_answer, store, gq) if gq else None
    cases = await run(request, look.find_cases, store, cq) if cq else None
    if gq:
        await _audit(request, "guide_search", detail={"q": gq})
    if cq:
        await _audit(request, "case_search", detail={"q": cq, "found": len(cases or [])})
    handoffs = await run(request, _handoff_queue, request.app)
    return render("console.html", **page_ctx(request, gq=gq, cq=cq, guide=guide, cases=cases,
                                             handoffs=handoffs))


def _handoff_queue(app) -> dict:
    try:
        from bot.casestore.staff import handoff
    except ImportError:  # pragma: no cover - built in a later step
        return {"open": [], "office": None}
    return handoff.queue(app.ctx.store)


@bp.get("/console/cases/<case_no>")
@require("agent", "supervisor")
async def console_case(request, case_no):
    from bot.casestore.service import ACTION_NAMES, STATE_NAMES, Viewer

    store = request.app.ctx.store
    try:
        view = await run(request, store.get_application, case_no[:40], Viewer("agent"))
    except ApiError:
        await _audit(request, "view_case", target=case_no[:80], ok=False)
        return error_page(request, 404, t("staff.error.case_not_found"))
    await _audit(request, "view_case", target=view["case_no"])
    return render("console_case.html", **page_ctx(
        request, app=view, action_names=ACTION_NAMES | EXTRA_ACTIONS, state_names=STATE_NAMES,
        record_rows=record_rows))
