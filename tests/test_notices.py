"""双书同达 over real HTTP: a department posts a decision and gets a 信用修复告知书 (PDF + JSON)
whose QR link resolves to the record; 好差评 ratings with follow-ups; dead letters."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlparse

import httpx
import pypdf
import pytest

from bot.rules.engine import determine_paths
from tests.casestore_fixtures import (
    AGENT,
    ASSISTANT,
    DEPT,
    USCC_OK,
    Server,
    application,
    auth,
    database_url,
    submit,
)

DECISION = {
    "subject": {"name": "成都示例科技有限公司", "uscc": USCC_OK, "subject_type": "enterprise"},
    "kind": "penalty",
    "decision_number": "成市监处罚〔2026〕88号",
    "decision_date": "2026-11-20",
    "severity": "general",
    "procedure": "general",
    "penalties": ["fine"],
    "fine_amount": 5000,
    "duties": ["缴纳罚款5000元"],
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("notices")
    url, _schema = database_url("sqlite", tmp)
    srv = Server(tmp, url, [], CASESTORE_NOTICE_SECRET="test-notice-secret")
    yield srv
    srv.stop()


def post_decision(server, body=None, token=DEPT["market_regulation"]):
    return httpx.post(f"{server.base}/api/v1/notices", json=body or DECISION, headers=auth(token), timeout=30)


def zh(iso: str) -> str:
    y, m, d = (int(x) for x in iso.split("-"))
    return f"{y}年{m}月{d}日"


def test_a_decision_gives_a_notice_whose_pdf_holds_subject_date_and_basis(server):
    r = post_decision(server)
    assert r.status_code == 201, r.text
    notice = r.json()
    # the dates are the engine's, not the notice module's
    expected = determine_paths({"as_of": "2026-11-20", "subject_type": "enterprise", "records": [
        {"kind": "penalty", "department": "market_regulation", "decision_date": "2026-11-20",
         "procedure": "general", "severity": "general", "penalties": ["fine"], "fine_amount": 5000,
         "obligations_fulfilled": False}]})["results"][0]
    assert notice["earliest_date"] == expected["earliest_date"] and notice["earliest_date"]
    assert notice["auto_end_date"] == expected["auto_end_date"]
    assert notice["department"] == "market_regulation"
    pdf = httpx.get(f"{server.base}{notice['pdf']}", headers=auth(DEPT["market_regulation"]), timeout=60)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    flat = text.replace("\n", "")
    assert "成都示例科技有限公司" in flat and USCC_OK in flat
    assert f"最早可申请信用修复日期：{zh(notice['earliest_date'])}" in flat
    assert "成市监处罚〔2026〕88号" in flat and "缴纳罚款5000元" in flat
    for basis in notice["basis"]:
        assert basis.replace("\n", "") in flat
    assert notice["unverified_rules"] and "以受理机关最新规定为准" in flat  # the caveat is in the document
    assert "\x00" not in text  # a real text layer (CFF fonts extract with NULs)
    # same decision again: the same notice
    again = post_decision(server)
    assert again.status_code == 200 and again.json()["notice_no"] == notice["notice_no"]


def test_the_qr_link_opens_the_assistant_with_the_record(server):
    notice = post_decision(server, dict(DECISION, decision_number="成市监处罚〔2026〕89号")).json()
    link = urlparse(notice["qr_url"])
    assert link.path == "/widget"
    token = parse_qs(link.query)["notice"][0]
    got = httpx.get(f"{server.base}/api/v1/notices/by-token/{token}", headers=auth(ASSISTANT), timeout=10)
    assert got.status_code == 200
    assert got.json()["record"]["decision_date"] == "2026-11-20"
    assert got.json()["subject"]["uscc"] == USCC_OK
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    bad = httpx.get(f"{server.base}/api/v1/notices/by-token/{forged}", headers=auth(ASSISTANT), timeout=10)
    assert bad.status_code == 404 and "二维码" in bad.json()["message"]
    # the link leads to the chat page, token and all
    page = httpx.get(notice["qr_url"], timeout=10)
    assert page.status_code == 302 and page.headers["location"].endswith(f"/webhooks/web/?notice={token}")


def test_bad_decisions_get_every_problem_in_chinese(server):
    r = post_decision(server, {"subject": {"name": "", "uscc": "123"}, "kind": "fine", "decision_date": "2026-13-01"})
    assert r.status_code == 422
    fields = {d["field"] for d in r.json()["details"]}
    assert {"subject.name", "subject.uscc", "kind", "decision_number", "decision_date"} <= fields
    other = post_decision(server, dict(DECISION, department="tax"))
    assert other.status_code == 403  # a department posts only its own decisions
    assert httpx.post(f"{server.base}/api/v1/notices", json=DECISION, timeout=10).status_code == 401
    changed = post_decision(server, dict(DECISION, fine_amount=9000))
    assert changed.status_code == 409


def test_ratings_bad_one_opens_a_followup_and_the_dashboard_counts(server):
    case = submit(server.base, application()).json()
    item = case["items"][0]["item_id"]
    tax = auth(DEPT["tax"])
    early = httpx.post(f"{server.base}/api/v1/ratings", json={"case_no": case["case_no"], "level": 5},
                       headers=auth(ASSISTANT), timeout=10)
    assert early.status_code == 409  # not closed yet
    for action, body in (("accept", {}), ("reject", {"reasons": ["材料不实"]})):
        assert httpx.post(f"{server.base}/api/v1/items/{item}/{action}", json=body, headers=tax,
                          timeout=10).status_code == 200
    r = httpx.post(f"{server.base}/api/v1/ratings",
                   json={"case_no": case["case_no"], "level": "非常不满意", "reason": "等了很久没人回复"},
                   headers=auth(ASSISTANT), timeout=10)
    assert r.status_code == 201, r.text
    rating = r.json()
    assert rating["level"] == 1 and rating["department"] == "tax"
    task = rating["followup"]
    assert task["status"] == "open" and task["working_days"] > 0 and task["due_on"] > rating["created_at"][:10]
    assert "国办发〔2019〕51号" in task["basis"] and task["caveat"]  # unverified limit is marked
    again = httpx.post(f"{server.base}/api/v1/ratings", json={"case_no": case["case_no"], "level": 5},
                       headers=auth(ASSISTANT), timeout=10)
    assert again.status_code == 200 and again.json()["level"] == 1  # the first rating stands
    handoff = httpx.post(f"{server.base}/api/v1/ratings",
                         json={"context": "handoff", "handoff_id": "h-1", "level": 4}, headers=auth(ASSISTANT), timeout=10)
    assert handoff.status_code == 201 and handoff.json()["followup"] is None
    summary = httpx.get(f"{server.base}/api/v1/ratings/summary", headers=auth(AGENT), timeout=10).json()
    assert summary["total"] == 2 and summary["bad"] == 1 and summary["by_level"]["非常不满意"] == 1
    assert summary["by_department"]["tax"]["bad"] == 1 and summary["followups"]["open"] == 1
    assert summary["by_item"]["penalty_info"]["total"] == 1
    tasks = httpx.get(f"{server.base}/api/v1/followups?status=open", headers=tax, timeout=10).json()["followups"]
    assert [t["rating"]["reason"] for t in tasks] == ["等了很久没人回复"]
    done = httpx.post(f"{server.base}/api/v1/followups/{tasks[0]['id']}/close",
                      json={"resolution": "已电话回访，说明退回理由"}, headers=tax, timeout=10)
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert httpx.get(f"{server.base}/api/v1/ratings/summary", headers=auth(AGENT),
                     timeout=10).json()["followups"] == {"open": 0, "overdue": 0, "done": 1}


def test_a_reason_said_after_a_bad_rating_reaches_the_followup_once(server):
    r = httpx.post(f"{server.base}/api/v1/ratings", json={"context": "handoff", "handoff_id": "h-reason", "level": 2,
                                                          "channel_user_id": "chat-7"},
                   headers=auth(ASSISTANT), timeout=10)
    rating = r.json()
    assert rating["reason"] is None and rating["followup"]["status"] == "open"
    url = f"{server.base}/api/v1/ratings/{rating['id']}/reason"
    # another conversation cannot write into this rating; an empty reason is explained
    other = httpx.post(url, json={"reason": "乱写", "channel_user_id": "chat-8"}, headers=auth(ASSISTANT), timeout=10)
    assert other.status_code == 404 and "没有找到" in other.json()["message"]
    empty = httpx.post(url, json={"reason": "  ", "channel_user_id": "chat-7"}, headers=auth(ASSISTANT), timeout=10)
    assert empty.status_code == 422 and "理由" in empty.text
    said = {"reason": "坐席半天不回话", "channel_user_id": "chat-7"}
    ok = httpx.post(url, json=said, headers=auth(ASSISTANT), timeout=10)
    assert ok.status_code == 200 and ok.json()["reason"] == "坐席半天不回话"
    assert httpx.post(url, json=said, headers=auth(ASSISTANT), timeout=10).status_code == 200  # a retry
    changed = httpx.post(url, json={**said, "reason": "改个说法"}, headers=auth(ASSISTANT), timeout=10)
    assert changed.status_code == 409 and "不能再改" in changed.json()["message"]
    assert httpx.post(url, json=said, timeout=10).status_code == 401  # a credential is needed
    # a rating an agent entered has no conversation: no chat may write into it
    desk = httpx.post(f"{server.base}/api/v1/ratings", json={"context": "handoff", "handoff_id": "h-desk", "level": 1},
                      headers=auth(AGENT), timeout=10).json()
    forged = httpx.post(f"{server.base}/api/v1/ratings/{desk['id']}/reason",
                        json={"reason": "乱写", "channel_user_id": None}, headers=auth(ASSISTANT), timeout=10)
    assert forged.status_code == 404
    tasks = httpx.get(f"{server.base}/api/v1/followups", headers=auth(AGENT), timeout=10).json()["followups"]
    mine = [t for t in tasks if t["rating"]["target"] == "h-reason"]
    assert [t["rating"]["reason"] for t in mine] == ["坐席半天不回话"]


def test_scanning_the_qr_code_prefills_the_record_in_the_assistant(server, monkeypatch):
    import asyncio

    from rasa_sdk.executor import CollectingDispatcher

    from actions.notice_actions import (
        ActionConsentNotices,
        ActionOpenNotice,
        ActionStopReminders,
    )
    from tests.action_helpers import said, slot_events, tracker

    monkeypatch.setenv("CASESTORE_URL", server.base)
    monkeypatch.setenv("CASESTORE_ASSISTANT_TOKEN", ASSISTANT)
    monkeypatch.setenv("ASSISTANT_TODAY", "2026-12-01")
    notice = post_decision(server, dict(DECISION, decision_number="成市监处罚〔2026〕90号")).json()
    token = parse_qs(urlparse(notice["qr_url"]).query)["notice"][0]
    d = CollectingDispatcher()
    events = asyncio.run(ActionOpenNotice().run(
        d, tracker(f'/open_notice{{"notice_token": "{token}"}}', intent="open_notice",
                   entities=[{"entity": "notice_token", "value": token}], sender="web-qr1"), {}))
    slots = slot_events(events)
    assert slots["uscc"] == USCC_OK and slots["subject_name"] == "成都示例科技有限公司"
    record = slots["records"][0]
    assert record["decision_date"] == "2026-11-20" and record["department"] == "market_regulation"
    assert record["decision_number"] == "成市监处罚〔2026〕90号"
    assert "obligations_fulfilled" not in record  # asked, not assumed from the day of the decision
    text = said(d)
    assert "成都示例科技有限公司" in text and zh(notice["earliest_date"]) in text
    assert any(b["payload"] == "/consent_notices" for b in d.messages[0]["buttons"])
    # a pasted link works as well; a forged one gets a plain answer
    d2 = CollectingDispatcher()
    asyncio.run(ActionOpenNotice().run(d2, tracker("扫码打开 " + notice["qr_url"][:-3] + "xyz"), {}))
    assert "无法识别" in said(d2)
    # opt in from the QR flow, then 「不要再提醒」
    d3 = CollectingDispatcher()
    asyncio.run(ActionConsentNotices().run(d3, tracker("到期提醒我，进度也通知我", slots={
        "notice_no": notice["notice_no"], "uscc": USCC_OK, "paths_result": slots["paths_result"]}, sender="web-qr1"), {}))
    assert zh(notice["earliest_date"]) + "可以申请时" in said(d3) and "办理进度" in said(d3)
    due = httpx.get(f"{server.base}/api/v1/reminders/due", params={"on": notice["earliest_date"],
                    "channel_user_id": "web-qr1"}, headers=auth(AGENT), timeout=10).json()["reminders"]
    assert [r["remind_on"] for r in due] == [notice["earliest_date"]]
    d4 = CollectingDispatcher()
    asyncio.run(ActionStopReminders().run(d4, tracker("不要再提醒", sender="web-qr1"), {}))
    assert "已停止" in said(d4)


async def test_a_wechat_popup_consent_is_stored_with_its_templates(server, monkeypatch):
    """The subscribe-message popup (bot/channels/wechat.py) arrives as /consent_notices with the
    accepted template ids: one consent per template, marked as WeChat's subscribe consent."""
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher
    from sqlalchemy import select

    from actions.notice_actions import ActionConsentNotices
    from bot.casestore.db import Database
    from bot.casestore.models import Consent

    monkeypatch.setenv("CASESTORE_URL", server.base)
    monkeypatch.setenv("CASESTORE_ASSISTANT_TOKEN", ASSISTANT)
    case = submit(server.base, application()).json()
    meta = {"channel": "wechat", "subscribe_templates": ["tmpl-a", "tmpl-b"]}
    latest = {"text": "/consent_notices", "intent": {"name": "consent_notices", "confidence": 1.0},
              "entities": [], "metadata": meta}
    tracker = Tracker("o-popup-1", {"case_no": case["case_no"]}, latest,
                      [{"event": "user", "text": "/consent_notices", "input_channel": "wechat", "metadata": meta}],
                      False, None, {}, "action_listen")
    d = CollectingDispatcher()
    await ActionConsentNotices().run(d, tracker, {})
    assert "微信公众号" in d.messages[0]["text"]
    with Database(server.database_url).reading() as s:
        rows = s.execute(select(Consent).where(Consent.channel_user_id == "o-popup-1")).scalars().all()
        assert sorted((c.template_id, c.source, c.case_no) for c in rows) == [
            ("tmpl-a", "wechat_subscribe", case["case_no"]), ("tmpl-b", "wechat_subscribe", case["case_no"])]
