"""The chat widget in a real browser (Debian Chromium): opened from a 告知书's QR link it sends
the token to the assistant instead of a greeting, and shows the notices queued for its session."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.browser import browser, phone_page  # noqa: F401 - fixtures
from tests.casestore_fixtures import (
    AGENT,
    ASSISTANT,
    DEPT,
    USCC_OK,
    Server,
    auth,
    database_url,
)

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("noticewidget")
    url, _schema = database_url("sqlite", tmp)
    srv = Server(tmp, url, [], RASA_PUBLIC_URL="http://127.0.0.1:5999")
    yield srv
    srv.stop()


def test_the_qr_link_opens_the_widget_with_the_notice_and_shows_queued_notices(server, phone_page):  # noqa: F811
    notice = httpx.post(f"{server.base}/api/v1/notices", headers=auth(DEPT["market_regulation"]), timeout=30, json={
        "subject": {"name": "成都示例科技有限公司", "uscc": USCC_OK}, "kind": "penalty",
        "decision_number": "成市监处罚〔2026〕66号", "decision_date": "2026-11-20", "severity": "general",
        "procedure": "general", "penalties": ["fine"], "duties": ["缴纳罚款3000元"]}).json()
    sender = "web-widgettest01"
    httpx.post(f"{server.base}/api/v1/reminders", headers=auth(ASSISTANT), timeout=10, json={
        "channel": "web", "channel_user_id": sender, "remind_on": "2026-01-05", "summary": "市场监管部门的行政处罚信息"})
    assert httpx.post(f"{server.base}/api/v1/notifications/run", headers=auth(AGENT), timeout=30).status_code == 200
    sent: list[dict] = []

    def rasa(route):
        body = json.loads(route.request.post_data)
        sent.append(body)
        route.fulfill(status=200, content_type="application/json",
                      body=json.dumps([{"text": "您好，成都示例科技有限公司。已为您调出告知书。"}], ensure_ascii=False))

    phone_page.route("http://127.0.0.1:5999/webhooks/rest/webhook", rasa)
    phone_page.add_init_script(f'localStorage.setItem("cr-sender", "{sender}")')
    phone_page.goto(notice["qr_url"])
    phone_page.wait_for_selector("text=已为您调出告知书")
    phone_page.wait_for_selector("text=信用修复提醒")
    assert sent[0]["sender"] == sender
    token = notice["qr_url"].split("notice=")[1]
    assert sent[0]["message"] == f'/open_notice{{"notice_token": "{token}"}}'  # not a greeting
    assert phone_page.locator("text=我扫了告知书上的二维码").count() == 1  # what the user sees instead
    assert "市场监管部门的行政处罚信息" in phone_page.inner_text("#log")
    SHOTS.mkdir(exist_ok=True)
    phone_page.screenshot(path=str(SHOTS / "notice-widget-phone.png"))
    # taken once: the reminder is marked sent and not shown again
    assert httpx.get(f"{server.base}/widget/notices", params={"sender": sender}, timeout=10).json() == {"notifications": []}
    assert httpx.get(f"{server.base}/widget/notices", params={"sender": "x"}, timeout=10).status_code == 400
