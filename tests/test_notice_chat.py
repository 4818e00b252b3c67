"""End to end (real Rasa, actions, case store over REST): a department posts a decision; the
subject scans the 告知书's QR code (the widget sends its token) and the assistant has the record;
they ask to be reminded and told of progress in their own words, then say 「不要再提醒」.
After a closed case: 好差评 in the chat, and after a bad rating the optional reason in the
user's words (skipped with 「跳过」; a question instead is answered, not taken as the reason).
A web user, whose reminder shows only while the page is open, asks for a text message too.

Needs the trained model (models/current.tar.gz)."""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.casestore_fixtures import USCC_OK, application
from tests.chat_stack import AGENT_TOKEN, ASSISTANT_TOKEN, MODEL, texts

pytestmark = pytest.mark.skipif(not MODEL.exists() and not os.environ.get("CI"),
                                reason="no trained model: run `make model` first")


@pytest.fixture
def stack(patient_stack):
    """The shared real stack (tests/conftest.py): nothing here needs settings of its own."""
    return patient_stack


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


def closed_case_in_conversation(stack, sender: str) -> str:
    """A case of this chat user that the tax office accepted and then rejected (closed), with its
    number in the conversation, as after a submission in the chat."""
    body = application()
    body["channel"], body["conversation_id"] = "web", sender
    r = httpx.post(f"{stack.casestore_url}/api/v1/applications", json=body,
                   headers={"Authorization": f"Bearer {ASSISTANT_TOKEN}", "Idempotency-Key": sender}, timeout=30)
    assert r.status_code == 201, r.text
    case = r.json()
    item = case["items"][0]["item_id"]
    for action, payload in (("accept", {}), ("reject", {"reasons": ["材料不实"]})):
        done = httpx.post(f"{stack.casestore_url}/api/v1/items/{item}/{action}", json=payload,
                          headers={"Authorization": "Bearer dev-tax"}, timeout=30)
        assert done.status_code == 200, done.text
    stack.say(sender, "/greet")  # the conversation is open (a session start would not carry a slot set before it)
    set_slot = httpx.post(f"{stack.rasa_url}/conversations/{sender}/tracker/events", params=stack.api_params,
                          json=[{"event": "slot", "name": "case_no", "value": case["case_no"]}], timeout=30)
    assert set_slot.status_code == 200, set_slot.text
    return case["case_no"]


def followup_reasons(stack, case_no: str) -> list:
    tasks = httpx.get(f"{stack.casestore_url}/api/v1/followups", headers={"Authorization": f"Bearer {AGENT_TOKEN}"},
                      timeout=30).json()["followups"]
    return [t["rating"]["reason"] for t in tasks if t["rating"]["target"] == case_no]


def test_a_bad_rating_asks_why_and_the_supervisor_reads_the_users_words(stack):
    sender = "web-rate-why-01"
    case_no = closed_case_in_conversation(stack, sender)
    offer = stack.say(sender, "我要评价")
    assert "非常不满意" in [b["title"] for r in offer for b in r.get("buttons") or []]
    rated = texts(stack.say(sender, '/rate{"rating_level": 1}'))
    assert "督办负责人" in rated and "哪里不满意" in rated, rated
    assert followup_reasons(stack, case_no) == [None]  # the task exists before any reason
    why = "等了一个多星期都没得人给我打电话，打12345也说不清楚"
    thanks = texts(stack.say(sender, why))
    assert "已记下您的意见" in thanks, thanks
    assert followup_reasons(stack, case_no) == [why]
    # the conversation goes on as before: the next message is not taken as a reason
    assert "已记下" not in texts(stack.say(sender, "谢谢"))
    assert followup_reasons(stack, case_no) == [why]


def test_a_skip_keeps_no_reason_and_a_complaint_with_question_words_is_kept(stack):
    skipper, asker, angry = "web-rate-why-02", "web-rate-why-03", "web-rate-why-04"
    skipped_case = closed_case_in_conversation(stack, skipper)
    assert "哪里不满意" in texts(stack.say(skipper, '/rate{"rating_level": 2}'))
    assert "不说也没关系" in texts(stack.say(skipper, "算了"))
    assert followup_reasons(stack, skipped_case) == [None]
    # 「为什么」「啥」 make it look like a question, but it is the complaint: kept in the user's words
    asked_case = closed_case_in_conversation(stack, asker)
    assert "哪里不满意" in texts(stack.say(asker, '/rate{"rating_level": 1}'))
    why = "为什么退回三次？每次说的都不一样，问啥都说不知道"
    answer = texts(stack.say(asker, why))
    assert "已记下" in answer and "接着填表" not in answer, answer
    assert followup_reasons(stack, asked_case) == [why]
    # an angry reason is the reason, and a human takes over (the channel guard makes it 「转人工」)
    angry_case = closed_case_in_conversation(stack, angry)
    assert "哪里不满意" in texts(stack.say(angry, '/rate{"rating_level": 1}'))
    furious = "气死我了，等了一个多月都没人管"
    handed = texts(stack.say(angry, furious))
    assert "已记下" in handed and "人工" in handed, handed
    assert followup_reasons(stack, angry_case) == [furious]


TAX_NOT_YET = "2026年10月10日被税务局罚款5000元，一般失信，已经缴清了，能修复吗"


def due_reminders(stack, sender: str) -> list:
    return httpx.get(f"{stack.casestore_url}/api/v1/reminders/due",
                     params={"on": "2027-01-11", "channel_user_id": sender},
                     headers={"Authorization": f"Bearer {AGENT_TOKEN}"}, timeout=10).json()["reminders"]


def test_a_web_user_gets_the_reminder_by_text_message_too_and_can_stop_it(stack):
    sender = "web-sms-01"
    assert "2027年1月11日" in texts(stack.say(sender, TAX_NOT_YET))
    reminded = stack.say(sender, "到期提醒我")
    assert "网页关掉后就看不到" in texts(reminded)
    assert "短信提醒我" in [b["title"] for r in reminded for b in r.get("buttons") or []]
    assert [r["channel"] for r in due_reminders(stack, sender)] == ["web"]
    asked = texts(stack.say(sender, "/sms_reminder"))
    assert "手机号" in asked, asked
    # not a number: asked once more, with an example; then the number inside a sentence is taken
    assert "不像手机号" in texts(stack.say(sender, "我儿子的"))
    done = texts(stack.say(sender, "发到 139 1234 5678 嘛"))
    assert "139****5678" in done and "2027年1月11日" in done, done
    assert sorted(r["channel"] for r in due_reminders(stack, sender)) == ["sms", "web"]
    assert "已停止" in texts(stack.say(sender, "不要再提醒了"))
    assert due_reminders(stack, sender) == []


def test_stop_from_another_chat_with_the_phone_and_a_stop_inside_the_phone_question(stack):
    first, later, third = "web-sms-03", "web-sms-04", "web-sms-05"
    stack.say(first, TAX_NOT_YET)
    stack.say(first, "到期提醒我")
    assert "139****6666" in texts(stack.say(first, "短信提醒我 13900006666"))  # the number said at once
    # months later, another tab: the text messages to that phone stop when the phone is given
    stopped = texts(stack.say(later, "不要再提醒了 13900006666"))
    assert "已停止" in stopped, stopped
    assert [r["channel"] for r in due_reminders(stack, first)] == ["web"]  # the page's own stays
    # asked for the phone, the user says stop instead: stopped, not taken as an answer
    stack.say(third, TAX_NOT_YET)
    stack.say(third, "到期提醒我")
    assert "手机号" in texts(stack.say(third, "/sms_reminder"))
    assert "已停止" in texts(stack.say(third, "/stop_reminders"))
    assert due_reminders(stack, third) == []


def test_saying_no_to_the_text_message_keeps_only_the_web_reminder(stack):
    sender = "web-sms-02"
    stack.say(sender, TAX_NOT_YET)
    stack.say(sender, "到期提醒我")
    assert "手机号" in texts(stack.say(sender, "发短信提醒我"))  # typed, not tapped
    assert "不发短信" in texts(stack.say(sender, "算了"))
    assert [r["channel"] for r in due_reminders(stack, sender)] == ["web"]
