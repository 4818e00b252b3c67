"""End to end (real Rasa, actions, case store over REST): a department posts a decision; the
subject scans the 告知书's QR code (the widget sends its token) and the assistant has the record;
they ask to be reminded and told of progress in their own words, then say 「不要再提醒」.

Needs the trained model (models/current.tar.gz)."""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.casestore_fixtures import USCC_OK
from tests.chat_stack import AGENT_TOKEN, MODEL, ChatStack, texts

pytestmark = pytest.mark.skipif(not MODEL.exists() and not os.environ.get("CI"),
                                reason="no trained model: run `make model` first")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with ChatStack(tmp_path_factory.mktemp("noticechat")) as s:
        yield s


def zh(iso: str) -> str:
    y, m, d = (int(x) for x in iso.split("-"))
    return f"{y}年{m}月{d}日"


def test_scan_the_notice_get_reminded_then_stop(stack):
    r = httpx.post(f"{stack.casestore_url}/api/v1/notices", headers={"Authorization": "Bearer dev-market_regulation"},
                   json={"subject": {"name": "成都示例科技有限公司", "uscc": USCC_OK}, "kind": "penalty",
                         "decision_number": "成市监处罚〔2026〕77号", "decision_date": "2026-11-20",
                         "severity": "general", "procedure": "general", "penalties": ["fine"],
                         "duties": ["缴纳罚款3000元"]}, timeout=30)
    assert r.status_code == 201, r.text
    notice = r.json()
    token = parse_qs(urlparse(notice["qr_url"]).query)["notice"][0]
    sender = "web-qrchat0001"
    opened = texts(stack.say(sender, f'/open_notice{{"notice_token": "{token}"}}'))
    assert "成都示例科技有限公司" in opened and "成市监处罚〔2026〕77号" in opened
    assert zh(notice["earliest_date"]) in opened  # the engine's date, nothing asked again
    told = texts(stack.say(sender, "到时候提醒我一下，有进展也告诉我"))
    if "可以申请时" not in told:  # the button, when the words were not understood
        told = texts(stack.say(sender, "/consent_notices"))
    assert zh(notice["earliest_date"]) + "可以申请时" in told
    due = httpx.get(f"{stack.casestore_url}/api/v1/reminders/due",
                    params={"on": notice["earliest_date"], "channel_user_id": sender},
                    headers={"Authorization": f"Bearer {AGENT_TOKEN}"}, timeout=10).json()["reminders"]
    assert len(due) == 1
    stopped = texts(stack.say(sender, "莫再提醒了"))
    assert "已停止" in stopped
    after = httpx.get(f"{stack.casestore_url}/api/v1/reminders/due",
                      params={"on": notice["earliest_date"], "channel_user_id": sender},
                      headers={"Authorization": f"Bearer {AGENT_TOKEN}"}, timeout=10).json()["reminders"]
    assert after == []


def test_a_forged_code_gets_a_plain_answer(stack):
    reply = texts(stack.say("web-qrchat0002", '/open_notice{"notice_token": "GZ-20261120-000000.AAAAAAAAAAAAAAAAAAAAAA"}'))
    assert "无法识别" in reply
