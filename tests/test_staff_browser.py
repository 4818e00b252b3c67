"""The staff pages in headless Debian Chromium: an officer logs in, sees only their
department's items (overdue ones in red), returns one with two reasons, approves another,
cannot open another department's item by URL; the supervisor's dashboard shows the changed
counts. Screenshots of each page go to docs/screenshots/ only under `make screenshots`
(WRITE_SCREENSHOTS=1); a plain test run leaves the committed pictures alone."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest

from tests.browser import CHROMIUM_ARGS, DESKTOP, PHONE, chromium_path
from tests.casestore_fixtures import REPO, Server, database_url
from tests.staff_fixtures import (
    PASSWORD,
    TWO_DEPT_RECORDS,
    add_users,
    applicant_view,
    item_no,
    new_case,
)

SHOTS = REPO / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    """Like tests/browser.py's, but closed at the end of this module: a session-wide sync
    Playwright keeps an event loop running that breaks later pytest-asyncio tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("staff-browser")
    url, _ = database_url("sqlite", tmp)
    srv = Server(tmp, url, [])
    add_users(srv)
    yield srv
    srv.stop()


def make_overdue(server, item: str, days: int = 9) -> None:
    """Move an item's deadline into the past (as if it had been waiting for weeks)."""
    from sqlalchemy import update

    from bot.casestore.db import Database
    from bot.casestore.models import Item
    from bot.clock import china_date, utcnow

    db = Database(server.database_url)
    with db.writing() as s:
        s.execute(update(Item).where(Item.item_no == item).values(deadline=china_date(utcnow()) - dt.timedelta(days=days)))
    db.dispose()


def login(page, server, username: str) -> None:
    page.goto(f"{server.base}/dept")  # any staff page sends an anonymous visitor to the login
    assert "/staff/login" in page.url
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def state_count(page, state: str) -> int:
    return int(page.locator(f'#by-state tr[data-key="{state}"] td').inner_text())


def shot(page, name: str) -> None:
    """A screenshot for docs/ — written only by `make screenshots` (WRITE_SCREENSHOTS=1)."""
    if os.environ.get("WRITE_SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_officer_returns_one_item_with_two_reasons_approves_another_and_the_dashboard_counts_change(
        server, browser):
    to_return, to_approve = new_case(server), new_case(server)
    both = new_case(server, records=TWO_DEPT_RECORDS)
    late = new_case(server)
    make_overdue(server, item_no(late, "tax"))

    boss_ctx = browser.new_context(**DESKTOP)
    boss = boss_ctx.new_page()
    boss_errors: list[str] = []
    boss.on("console", lambda m: boss_errors.append(m.text) if m.type == "error" else None)
    login(boss, server, "boss1")
    assert boss.url.endswith("/dashboard")
    before = {s: state_count(boss, s) for s in ("submitted", "returned", "result_shared")}

    ctx = browser.new_context(**DESKTOP)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, server, "tax1")
    assert page.url.endswith("/dept")
    queue = page.locator("table").first
    listed = queue.locator("tr[data-item]").evaluate_all("rows => rows.map(r => r.dataset.item)")
    assert item_no(to_return, "tax") in listed and item_no(both, "tax") in listed
    assert item_no(both, "market_regulation") not in page.content()  # only their department
    # overdue first (earliest deadline), in red, with the working days it is late
    late_row = queue.locator(f'tr[data-item="{item_no(late, "tax")}"]')
    assert listed[0] == item_no(late, "tax")
    assert "已超期" in late_row.inner_text() and "个工作日" in late_row.inner_text()
    color = late_row.locator(".overdue").evaluate("e => getComputedStyle(e).color")
    assert color == "rgb(176, 0, 32)"
    shot(page, "dept-queue.png")

    # return one for 补正 with two reasons from the guide's materials list
    page.get_by_role("link", name=item_no(to_return, "tax")).click()
    page.get_by_role("button", name="受理").click()
    assert page.locator("#item-state").inner_text() == "已受理，审核中"
    page.get_by_label("已缴清税款、滞纳金和罚款的凭证").check()
    page.get_by_label(re.compile("授权委托书")).check()
    page.get_by_label("给申请人的说明（可选）").fill("请两项一并补交")
    shot(page, "dept-item.png")
    page.get_by_role("button", name="退回补正").click()
    assert page.locator("#item-state").inner_text() == "已退回，请补正材料"
    assert page.get_by_role("status").inner_text().startswith("已退回补正")
    told = applicant_view(server, to_return["case_no"])["items"][0]["missing"]
    assert len(told) == 2

    # approve another
    page.goto(f"{server.base}/dept/items/{item_no(to_approve, 'tax')}")
    page.get_by_role("button", name="受理").click()
    page.get_by_role("button", name="同意修复").click()
    assert page.locator("#item-state").inner_text() in ("已同意修复，结果共享中", "已修复，结果已共享")

    assert errors == []  # no CSP violations or script errors on the pages

    # another department's item by URL: not found, nothing of it shown
    r = page.goto(f"{server.base}/dept/items/{item_no(both, 'market_regulation')}")
    assert r.status == 404
    assert "不属于本部门" in page.content() and both["applicant"]["name"] not in page.content()

    boss.reload()
    after = {s: state_count(boss, s) for s in ("submitted", "returned", "result_shared")}
    assert after["returned"] == before["returned"] + 1
    assert after["result_shared"] == before["result_shared"] + 1
    assert after["submitted"] == before["submitted"] - 2
    assert int(boss.locator("#kpi-overdue").inner_text()) >= 1
    # ECharts (from npm, built by vite) draws the charts under the strict CSP: SVG, no errors
    boss.wait_for_selector('[data-chart="states"].is-drawn svg', timeout=15_000)
    assert boss.locator('[data-chart="states"] svg text', has_text="已退回").count() >= 1
    assert boss.locator('[data-chart="return_reasons"].is-drawn').count() == 1
    assert boss_errors == []
    shot(boss, "dashboard.png")
    ctx.close()
    boss_ctx.close()


def test_pages_fit_a_phone_screen(server, browser):
    case = new_case(server)
    ctx = browser.new_context(**PHONE)
    page = ctx.new_page()
    page.goto(f"{server.base}/staff/login")
    shot(page, "login-phone.png")
    login(page, server, "tax1")
    for path in ("/dept", f"/dept/items/{item_no(case, 'tax')}", "/dashboard"):
        page.goto(server.base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)  # wide tables scroll inside their box, not the page
        # every button is a comfortable touch target
        small = page.locator("main button").evaluate_all(
            "bs => bs.filter(b => b.getBoundingClientRect().height < 44).map(b => b.textContent)")
        assert small == [], (path, small)
    page.goto(server.base + "/dept")
    shot(page, "dept-queue-phone.png")
    ctx.close()


def test_console_guide_and_case_search_in_the_browser(server, browser):
    case = new_case(server)
    ctx = browser.new_context(**DESKTOP)
    page = ctx.new_page()
    page.goto(f"{server.base}/console")
    page.get_by_label("用户名").fill("agent1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile("/console$"))
    page.get_by_label("问题或关键词").fill("经营异常 材料")
    page.get_by_role("button", name="查询").click()
    assert "材料" in page.locator("#guide-answer").inner_text()
    page.get_by_label("案件号、企业名称或统一社会信用代码").fill("示例科技")
    page.get_by_role("button", name="查找").click()
    assert case["case_no"] in page.locator("#case-results").inner_text()
    shot(page, "console.png")
    ctx.close()
