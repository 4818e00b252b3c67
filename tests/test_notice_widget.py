"""The 信用修复告知书's QR code in a real browser (Debian Chromium) against the real Rasa + actions +
case store (tests/chat_stack.py): a department posts a decision, the QR code is read back from the
PDF, and opening it shows the widget with the record already filled in — the subject, the decision
and the engine's earliest date — and the offer to be reminded. After the subject opts in, a status
change of their case appears in the open widget by itself, and is still there after a reload.

Needs the trained model and the built pages (`make test` does both before pytest)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import httpx
import pypdf
import pytest

from bot.channels.web import DIST
from tests.browser import CHROMIUM_ARGS, PHONE, chromium_path
from tests.casestore_fixtures import USCC_OK, application
from tests.chat_stack import ASSISTANT_TOKEN, MODEL, ChatStack

pytestmark = pytest.mark.skipif(not MODEL.exists() and not os.environ.get("CI"),
                                reason="no trained model: run `make model` first")
SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
DECISION = {"subject": {"name": "成都锦程商贸有限公司", "uscc": USCC_OK}, "kind": "penalty",
            "decision_number": "成市监处罚〔2026〕66号", "decision_date": "2026-11-20", "severity": "general",
            "procedure": "general", "penalties": ["fine"], "duties": ["缴纳罚款3000元"]}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not (DIST / "widget.html").exists():
        pytest.fail("the widget is not built: run `make pages` (make test does)")
    s = ChatStack(tmp_path_factory.mktemp("noticewidget"), today="2026-12-01",
                  CASESTORE_NOTICE_SECRET="widget-notice-secret", WIDGET_NOTICE_POLL_SECONDS="1",
                  CASESTORE_NOTIFY_INTERVAL="1")
    s.env["RASA_PUBLIC_URL"] = s.rasa_url  # where the case store's /widget (the QR link) leads
    with s:
        yield s


@pytest.fixture(scope="module")
def browser():
    """This module's own Playwright, closed after it (a session-wide one, still running when
    the pytest-asyncio tests come, breaks their event loop)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(**PHONE)
    p = ctx.new_page()
    p.errors = []
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    yield p
    ctx.close()


def zh(iso: str) -> str:
    y, m, d = (int(x) for x in iso.split("-"))
    return f"{y}年{m}月{d}日"


def qr_payload(pdf: bytes) -> str:
    """The text of the QR code printed in the PDF, read back from its image."""
    import zxingcpp

    for p in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for img in p.images:
            for code in zxingcpp.read_barcodes(img.image.convert("L")):
                if code.format == zxingcpp.BarcodeFormat.QRCode:
                    return code.text
    raise AssertionError("no QR code in the notice")


def idle(page):
    page.wait_for_function("() => { const f = document.querySelector('.cr-composer');"
                           " return f && f.getAttribute('aria-busy') === 'false'; }", timeout=90_000)


def log_text(page) -> str:
    return page.locator(".MessageList").inner_text()


def test_the_qr_code_opens_the_widget_with_the_record_and_status_notices_arrive(stack, page):
    dept = {"Authorization": "Bearer dev-market_regulation"}
    notice = httpx.post(f"{stack.casestore_url}/api/v1/notices", headers=dept, json=DECISION, timeout=30).json()
    pdf = httpx.get(f"{stack.casestore_url}{notice['pdf']}", headers=dept, timeout=60)
    assert pdf.status_code == 200, pdf.text
    link = qr_payload(pdf.content)
    assert link == notice["qr_url"] and "notice=" in link  # what a phone camera reads

    page.goto(link)  # the case store's /widget → the widget on the Rasa server, token and all
    assert page.url.startswith(stack.widget_url)
    page.wait_for_function("() => document.body.innerText.includes('成市监处罚〔2026〕66号')", timeout=90_000)
    idle(page)
    shown = log_text(page)
    assert "成都锦程商贸有限公司" in shown  # the record is there: nothing asked again
    assert zh(notice["earliest_date"]) in shown  # the engine's earliest date
    assert page.locator(".cr-user", has_text="我扫了告知书上的二维码").count() == 1  # not the token
    assert "open_notice" not in shown
    offer = page.locator(".cr-bot").last.locator(".cr-btn", has_text="到期提醒我")
    assert offer.count() == 1

    before = page.locator(".cr-bot").count()
    offer.click()
    page.wait_for_function(f"() => document.querySelectorAll('.cr-bot').length > {before}", timeout=90_000)
    idle(page)
    told = "\n".join(page.locator(".cr-bot").nth(i).inner_text() for i in range(before, page.locator(".cr-bot").count()))
    assert zh(notice["earliest_date"]) + "可以申请时" in told and "办理进度" in told, told
    # a page's reminder shows only while it is open: a text message is offered too
    assert page.locator(".cr-bot").last.locator(".cr-btn", has_text="短信提醒我").count() == 1

    # The subject applies (another channel) and the department accepts: the open widget is told.
    body = application(records=[{"kind": "penalty_info", "department": "tax", "decision_number": "川税稽罚〔2026〕18号",
                                 "reason": "逾期申报", "date": "2026-03-10", "obligations_fulfilled": True,
                                 "severity": "general"}], channel="wechat")
    case = httpx.post(f"{stack.casestore_url}/api/v1/applications", json=body, timeout=10, headers={
        "Authorization": f"Bearer {ASSISTANT_TOKEN}", "Idempotency-Key": "notice-widget-1"}).json()
    item = case["items"][0]
    r = httpx.post(f"{stack.casestore_url}/api/v1/items/{item['item_id']}/accept",
                   headers={"Authorization": "Bearer dev-tax"}, json={}, timeout=10)
    assert r.status_code == 200, r.text
    page.wait_for_selector(".cr-bot >> text=信用修复办理进度", timeout=60_000)
    assert item["item_id"] in log_text(page) and "已受理" in log_text(page)
    assert page.locator(".cr-bot").filter(has_text="信用修复办理进度").count() == 1  # once
    if os.environ.get("WRITE_SCREENSHOTS") == "1":  # only under `make screenshots`
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "notice-widget-phone.png"))

    page.reload()  # the notice is part of the conversation now
    page.wait_for_selector(".cr-bot >> text=信用修复办理进度", timeout=60_000)
    idle(page)
    assert page.locator(".cr-bot").filter(has_text="信用修复办理进度").count() == 1
    assert page.locator(".cr-user", has_text="我扫了告知书上的二维码").count() == 1  # not opened again
    assert page.errors == []
