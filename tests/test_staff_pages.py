"""Staff login, roles, sessions, CSRF, audit and the department workbench, over real HTTP
against `python -m bot.casestore serve` (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest

from tests.casestore_fixtures import PDF, PHONE, REPO, Server, backends, database_url
from tests.staff_fixtures import (
    PASSWORD,
    TWO_DEPT_RECORDS,
    StaffClient,
    add_users,
    applicant_view,
    csrf_of,
    item_no,
    new_case,
)


@pytest.fixture(scope="module", params=backends())
def server(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"staff-{request.param}")
    url, schema = database_url(request.param, tmp)
    srv = Server(tmp, url, [], STAFF_LOGIN_MAX_FAILURES="3", STAFF_LOCK_MINUTES="15")
    add_users(srv)
    yield srv
    srv.stop()
    if schema is not None:
        schema.drop()


@pytest.fixture
def staff(server):
    clients: list[StaffClient] = []

    def make(username: str | None = None) -> StaffClient:
        c = StaffClient(server.base)
        if username:
            r = c.login(username)
            assert r.status_code == 303, r.text
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


def audit_rows(server, username: str) -> list[dict]:
    from bot.casestore.db import Database
    from bot.casestore.staff import audit

    db = Database(server.database_url)
    try:
        return audit.recent(db, username=username, limit=500)
    finally:
        db.dispose()


def state_in_page(html: str) -> str:
    return re.search(r'id="item-state">([^<]+)<', html).group(1)


# ------------------------------------------------------------------------------------------
# login, roles, headers
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/dept", "/dashboard", "/console", "/dept/items/XF-20261201-00001-1"])
def test_staff_pages_need_a_login(server, path):
    r = httpx.get(server.base + path, follow_redirects=False, timeout=10)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/staff/login?next=")


def test_login_page_is_chinese_and_locked_down(server):
    r = httpx.get(server.base + "/staff/login", timeout=10)
    assert r.status_code == 200
    assert "工作人员登录" in r.text and 'lang="zh-CN"' in r.text
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    assert "noindex" in r.headers["x-robots-tag"]


def test_officer_logs_in_to_their_workbench_and_out_again(server, staff):
    c = staff()
    r = c.login("tax1")
    assert r.status_code == 303 and r.headers["location"] == "/dept"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = c.get("/dept")
    assert page.status_code == 200 and "税务部门" in page.text and "税务李经办" in page.text
    out = c.post("/staff/logout")
    assert out.status_code == 303
    # the old cookie is dead on the server, not just forgotten by the browser
    again = httpx.get(server.base + "/dept", cookies={"staff_session": c_cookie(r)},
                      follow_redirects=False, timeout=10)
    assert again.status_code == 303 and again.headers["location"].startswith("/staff/login")


def c_cookie(login_response: httpx.Response) -> str:
    return re.search(r"staff_session=([^;]+)", login_response.headers["set-cookie"]).group(1)


def test_each_role_lands_on_its_page_and_is_kept_out_of_others(server, staff):
    agent = staff()
    assert agent.login("agent1").headers["location"] == "/console"
    assert agent.get("/dept").status_code == 403
    assert agent.get("/dashboard").status_code == 403
    boss = staff()
    assert boss.login("boss1").headers["location"] == "/dashboard"
    assert boss.get("/dept").status_code == 403
    officer = staff("market1")
    assert officer.get("/console").status_code == 403


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(server, staff):
    c = staff()
    r = c.login("tax1", "not-the-password")
    assert r.status_code == 401 and "用户名或密码不正确" in r.text and "staff_session=" not in r.headers.get("set-cookie", "")
    r = c.login("nobody", "whatever-123")
    assert r.status_code == 401 and "用户名或密码不正确" in r.text


def test_repeated_wrong_passwords_lock_the_account(server, staff):
    from bot.casestore.db import Database
    from bot.casestore.staff.accounts import Accounts
    from bot.casestore.staff.config import StaffSettings

    db = Database(server.database_url)
    Accounts(db, StaffSettings(), {"tax": "税务部门"}).add_user("locked1", "待锁定", "officer", PASSWORD, "tax")
    db.dispose()
    c = staff()
    for _ in range(3):
        assert c.login("locked1", "wrong-password-1").status_code == 401
    r = c.login("locked1")  # the right password no longer helps
    assert r.status_code == 401 and "锁定" in r.text
    failed = [a for a in audit_rows(server, "locked1") if a["action"] == "login" and not a["ok"]]
    assert len(failed) == 4


def test_login_form_needs_its_csrf_token(server):
    with httpx.Client(base_url=server.base, timeout=10) as c:
        c.get("/staff/login")
        r = c.post("/staff/login", data={"username": "tax1", "password": PASSWORD, "csrf_token": "forged"})
        assert r.status_code == 403 and "staff_session=" not in r.headers.get("set-cookie", "")


def test_next_parameter_cannot_send_the_user_elsewhere(server, staff):
    c = staff()
    page = c.get("/staff/login?next=//evil.example/")
    r = c.http.post("/staff/login", data={"username": "tax1", "password": PASSWORD,
                                          "csrf_token": csrf_of(page.text), "next": "//evil.example/"},
                    headers={"Origin": server.base})
    assert r.status_code == 303 and r.headers["location"] == "/dept"


# ------------------------------------------------------------------------------------------
# the department workbench
# ------------------------------------------------------------------------------------------
def test_queue_shows_only_the_officers_department_sorted_by_deadline(server, staff):
    case = new_case(server, records=TWO_DEPT_RECORDS)
    tax_item, market_item = item_no(case, "tax"), item_no(case, "market_regulation")
    tax = staff("tax1")
    page = tax.get("/dept").text
    assert tax_item in page and market_item not in page
    market = staff("market1")
    page = market.get("/dept").text
    assert market_item in page and tax_item not in page
    # sorted by deadline: the rows' deadlines never go down
    rows = re.findall(r'data-item="[^"]+">.*?<td>(\d{4}-\d\d-\d\d)</td>\s*<td>(\d{4}-\d\d-\d\d|—)</td>',
                      tax.get("/dept").text, flags=re.DOTALL)
    deadlines = [d for _, d in rows if d != "—"]
    assert deadlines == sorted(deadlines) and deadlines
    assert "个工作日" in page


def test_an_officer_cannot_open_or_act_on_another_departments_item_by_url(server, staff):
    case = new_case(server, records=TWO_DEPT_RECORDS)
    tax_item = item_no(case, "tax")
    up = httpx.post(f"{server.base}/api/v1/applications/{case['case_no']}/materials",
                    params={"phone": PHONE}, files={"file": ("完税证明.pdf", PDF, "application/pdf")},
                    data={"material_id": "tax_paid_proof"}, timeout=10)
    assert up.status_code == 201, up.text
    upload_id = up.json()["uploads"][0]["upload_id"]
    hrss = StaffClient(server.base)  # an officer of a department with no item in this case
    from bot.casestore.db import Database
    from bot.casestore.staff.accounts import Accounts
    from bot.casestore.staff.config import StaffSettings

    db = Database(server.database_url)
    Accounts(db, StaffSettings(), {"hrss": "人社"}).add_user("hrss1", "人社经办", "officer", PASSWORD, "hrss")
    db.dispose()
    assert hrss.login("hrss1").status_code == 303
    for path in (f"/dept/items/{tax_item}", f"/dept/uploads/{upload_id}", f"/dept/uploads/{upload_id}?inline=1"):
        r = hrss.get(path)
        assert r.status_code == 404, path
        assert case["applicant"]["name"] not in r.text and "%PDF" not in r.text
    r = hrss.post(f"/dept/items/{tax_item}/accept")
    assert r.status_code == 404
    # an officer of the other department of the same case still cannot open the tax item
    market = staff("market1")
    assert market.get(f"/dept/items/{tax_item}").status_code == 404
    assert market.post(f"/dept/items/{tax_item}/accept").status_code == 404
    assert applicant_view(server, case["case_no"])["items"][0]["state"] == "submitted"
    # the tax officer opens and downloads it
    tax = staff("tax1")
    page = tax.get(f"/dept/items/{tax_item}")
    assert page.status_code == 200 and "完税证明.pdf" in page.text
    dl = tax.get(f"/dept/uploads/{upload_id}")
    assert dl.status_code == 200 and dl.content == PDF
    assert dl.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in dl.headers["content-security-policy"]
    denied = [a for a in audit_rows(server, "hrss1") if not a["ok"]]
    assert {a["action"] for a in denied} >= {"view_item", "download"}
    hrss.close()


def test_officer_accepts_returns_with_two_reasons_and_the_applicant_is_told_all_of_them(server, staff):
    case = new_case(server)
    item = item_no(case, "tax")
    tax = staff("tax1")
    page = tax.get(f"/dept/items/{item}").text
    assert state_in_page(page) == "已提交，待受理"
    choices = re.findall(r'name="missing" value="([^"]+)"', page)
    assert "tax_paid_proof" in choices and "repair_application" not in choices  # generated ones excluded
    r = tax.post(f"/dept/items/{item}/accept", {"version": "1"})
    assert r.status_code == 303
    page = tax.get(r.headers["location"]).text
    assert state_in_page(page) == "已受理，审核中" and "已受理" in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    r = tax.post(f"/dept/items/{item}/return", {"version": version, "missing": ["tax_paid_proof", "agent_authorization"],
                                               "note": "请一并提供"})
    assert r.status_code == 303, r.text
    seen = applicant_view(server, case["case_no"])["items"][0]
    assert seen["state"] == "returned"
    names = [m["name"] for m in seen["missing"]]
    assert len(names) == 2 and any("完税" in n or "税款" in n for n in names) and any("授权" in n for n in names)
    page = tax.get(f"/dept/items/{item}").text
    assert "退回补正" in page and "税务李经办" in page  # the audit trail names the officer
    actions = [a["action"] for a in audit_rows(server, "tax1")]
    assert {"login", "view_item", "item_accept", "item_return"} <= set(actions)


def test_return_without_any_reason_is_refused_with_a_chinese_message(server, staff):
    case = new_case(server)
    item = item_no(case, "tax")
    tax = staff("tax1")
    r = tax.post(f"/dept/items/{item}/return", {})
    assert r.status_code == 422 and "一次性列出" in r.text
    assert applicant_view(server, case["case_no"])["items"][0]["state"] == "submitted"


def test_officer_approves_and_rejects_with_reasons(server, staff):
    tax = staff("tax1")
    approve_case, reject_case = new_case(server), new_case(server)
    for case in (approve_case, reject_case):
        assert tax.post(f"/dept/items/{item_no(case, 'tax')}/accept").status_code == 303
    r = tax.post(f"/dept/items/{item_no(approve_case, 'tax')}/approve")
    assert r.status_code == 303
    assert applicant_view(server, approve_case["case_no"])["items"][0]["state"] in ("approved", "result_shared")
    r = tax.post(f"/dept/items/{item_no(reject_case, 'tax')}/reject", {"reasons": "未缴清罚款\n仍在失信惩戒期内"})
    assert r.status_code == 303
    seen = applicant_view(server, reject_case["case_no"])["items"][0]
    assert seen["state"] == "rejected" and seen["reasons"] == ["未缴清罚款", "仍在失信惩戒期内"]
    # a decided item offers no more buttons, and a stale form cannot move it again
    page = tax.get(f"/dept/items/{item_no(reject_case, 'tax')}").text
    assert "/approve" not in page and "/reject" not in page
    r = tax.post(f"/dept/items/{item_no(reject_case, 'tax')}/approve")
    assert r.status_code == 409 and "不能同意修复" in r.text


def test_a_post_without_the_sessions_csrf_token_or_from_another_origin_changes_nothing(server, staff):
    case = new_case(server)
    item = item_no(case, "tax")
    tax = staff("tax1")
    assert tax.post(f"/dept/items/{item}/accept", csrf="forged").status_code == 403
    assert tax.post(f"/dept/items/{item}/accept", origin="https://evil.example").status_code == 403
    assert applicant_view(server, case["case_no"])["items"][0]["state"] == "submitted"
    refused = [a for a in audit_rows(server, "tax1") if a["action"] == "csrf_refused"]
    assert len(refused) >= 2


def test_stale_version_is_refused(server, staff):
    case = new_case(server)
    item = item_no(case, "tax")
    tax = staff("tax1")
    r = tax.post(f"/dept/items/{item}/accept", {"version": "99"})
    assert r.status_code == 409 and "刷新" in r.text


# ------------------------------------------------------------------------------------------
# accounts CLI
# ------------------------------------------------------------------------------------------
def cli(server, *args, stdin: str = "", **env) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "bot.casestore", "users", *args], check=False, input=stdin, text=True,
                          capture_output=True, cwd=REPO, timeout=60,
                          env={**os.environ, "DATABASE_URL": server.database_url, "PYTHONPATH": str(REPO), **env})


def test_cli_creates_an_officer_who_can_log_in(server, staff):
    r = cli(server, "add", "stats1", "--display", "统计钱经办", "--role", "officer", "--department", "statistics",
            "--password-stdin", stdin="Tong-Ji-2026!q\n")
    assert r.returncode == 0, r.stderr
    assert "stats1" in cli(server, "list").stdout
    c = staff()
    assert c.login("stats1", "Tong-Ji-2026!q").headers["location"] == "/dept"
    assert "统计部门" in c.get("/dept").text


@pytest.mark.parametrize("args, stdin, message", [
    (["add", "weak1", "--display", "弱", "--role", "agent", "--password-stdin"], "short\n", "至少10位"),
    (["add", "nodept", "--display", "无部门", "--role", "officer", "--password-stdin"], "Good-Pass-2026\n", "必须指定部门"),
    (["add", "x1", "--display", "某", "--role", "officer", "--department", "moon", "--password-stdin"],
     "Good-Pass-2026\n", "必须指定部门"),
])
def test_cli_refuses_bad_accounts_in_chinese(server, args, stdin, message):
    r = cli(server, *args, stdin=stdin)
    assert r.returncode == 2 and message in r.stderr


def test_no_default_passwords_in_production(server, staff):
    r = cli(server, "seed-dev", APP_ENV="production")
    assert r.returncode == 2 and "production" in r.stderr
    r = cli(server, "add", "prod1", "--display", "某", "--role", "agent", "--password-stdin",
            stdin="dev-Qw8!zx-2026\n", APP_ENV="production")
    assert r.returncode == 2 and "默认密码" in r.stderr


# ------------------------------------------------------------------------------------------
# the service dashboard
# ------------------------------------------------------------------------------------------
def kpi(html: str, name: str) -> str:
    return re.search(rf'id="kpi-{name}">([^<]*)<', html).group(1).strip()


def state_count(html: str, state: str) -> int:
    table = html.split('id="by-state"', 1)[1].split("</table>", 1)[0]
    return int(re.search(rf'data-key="{state}">.*?<td class="num">(\d+)</td>', table, flags=re.DOTALL).group(1))


def test_dashboard_counts_follow_the_officers_decisions(server, staff):
    boss = staff("boss1")
    before = boss.get("/dashboard").text
    tax = staff("tax1")
    returned, approved = new_case(server), new_case(server)
    tax.post(f"/dept/items/{item_no(returned, 'tax')}/return",
             {"missing": ["tax_paid_proof", "agent_authorization"]})
    tax.post(f"/dept/items/{item_no(approved, 'tax')}/accept")
    tax.post(f"/dept/items/{item_no(approved, 'tax')}/approve")
    after = boss.get("/dashboard").text
    assert state_count(after, "returned") == state_count(before, "returned") + 1
    shared = state_count(after, "result_shared") + state_count(after, "approved")
    assert shared == state_count(before, "result_shared") + state_count(before, "approved") + 1
    returns_before, returns_after = (int(kpi(h, "returns").split("/")[0]) for h in (before, after))
    assert returns_after == returns_before + 1
    reasons = after.split('id="return-reasons"', 1)[1].split("</table>", 1)[0]
    assert "授权" in reasons
    assert "%" in kpi(after, "ftr")  # approved without a return: a rate exists now


def test_officers_see_their_own_departments_figures_only(server, staff):
    new_case(server, records=TWO_DEPT_RECORDS)
    market = staff("market1")
    page = market.get("/dashboard?department=tax").text  # asking for another department is ignored
    assert "服务看板 · 市场监管部门" in page
    table = page.split("<caption>按部门</caption>", 1)[1].split("</table>", 1)[0]
    assert 'data-key="market_regulation"' in table and 'data-key="tax"' not in table
    csv_text = market.get("/dashboard.csv").content.decode("utf-8-sig")
    assert "市场监管部门" in csv_text and "税务部门" not in csv_text


def test_dashboard_csv_export(server, staff):
    case = new_case(server)
    boss = staff("boss1")
    r = boss.get("/dashboard.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    text = r.content.decode("utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert header[:3] == ["事项编号", "案件号", "申请主体"]
    assert item_no(case, "tax") in text
    only_tax = boss.get("/dashboard.csv?department=market_regulation").content.decode("utf-8-sig")
    assert item_no(case, "tax") not in only_tax


# ------------------------------------------------------------------------------------------
# the help-desk console: guide and case look-ups
# ------------------------------------------------------------------------------------------
def test_console_guide_search_gives_the_short_card_of_the_topic_asked(server, staff):
    agent = staff("agent1")
    page = agent.get("/console", params={"q": "税务 行政处罚 材料"}).text
    answer = page.split('id="guide-answer"', 1)[1].split("</div>", 1)[0]
    assert "材料" in answer and "税" in answer
    assert len(re.sub(r"<[^>]+>", "", answer)) < 1200  # one topic, not the whole 2k card


def test_console_finds_cases_by_number_name_and_credit_code(server, staff):
    from tests.casestore_fixtures import USCC_OK

    case = new_case(server)
    agent = staff("agent1")
    for q in (case["case_no"], case["case_no"].replace("-", " ").lower(), "示例科技", USCC_OK):
        page = agent.get("/console", params={"case": q}).text
        assert case["case_no"] in page.split('id="case-results"', 1)[1], q
    detail = agent.get(f"/console/cases/{case['case_no']}")
    assert detail.status_code == 200 and "成都示例科技有限公司" in detail.text
    assert PHONE not in detail.text  # the phone stays masked
    assert staff("tax1").get("/console", params={"case": "示例科技"}).status_code == 403


def test_dashboard_shows_satisfaction_once_ratings_exist(server, staff):
    from bot.casestore.db import Database
    from bot.casestore.models import Rating

    db = Database(server.database_url)
    with db.writing() as s:
        for n, level in enumerate((5, 4, 2)):
            s.add(Rating(context="case", target=f"XF-SAT-{n}", level=level, department="tax",
                         created_by="test"))
    db.dispose()
    page = staff("boss1").get("/dashboard").text
    assert re.search(r'id="kpi-satisfaction">66\.7%<', page) and "3 条评价" in page
    market = staff("market1").get("/dashboard").text  # another department's ratings are not theirs
    assert re.search(r'id="kpi-satisfaction">—<', market)


def test_dashboard_alerts_supervisors_to_dead_letters_and_has_the_chart_data(server, staff):
    import json

    from bot.casestore.db import Database
    from bot.casestore.models import Notification
    from bot.clock import utcnow

    boss = staff("boss1")
    page = boss.get("/dashboard").text
    assert 'id="dead-letters"' not in page  # nothing failed: no alarm
    data = json.loads(page.split('id="dashboard-data">', 1)[1].split("</script>", 1)[0])
    assert [label for label, _ in data["decision_days"]][0] == "1天内"  # the histogram's buckets
    assert {"states", "departments", "return_reasons", "handoff_seconds", "ratings_levels",
            "ratings_by_department", "ratings_by_item"} <= set(data)
    assert 'data-chart="ratings_by_department"' in page and 'src="/staff/static/dashboard-charts.js"' in page

    db = Database(server.database_url)
    with db.writing() as s:
        s.add(Notification(dedupe_key="dead-alert-test", kind="status", channel="wechat", recipient="o-test",
                           payload={"text": "x"}, status="dead", attempts=8, next_attempt_at=utcnow(),
                           last_error="45015"))
    db.dispose()
    page = boss.get("/dashboard").text
    alert = page.split('id="dead-letters"', 1)[1].split("</p>", 1)[0]
    assert "通知 1 条" in alert
    assert 'id="dead-letters"' not in staff("tax1").get("/dashboard").text  # the supervisors' alarm
