"""Findings 1, 4 (chat), 5 of issue 11 against the real Rasa + action server + case store:
nobody reads or changes a conversation without the API token, the action server serves only
Rasa, long messages are cut at the channel, personal data is neither in the tracker database
nor in any log in clear, and a dead action server gets an apology instead of silence."""

from __future__ import annotations

import os
import sqlite3

import httpx
import pytest

from tests.chat_stack import ACTIONS_SECRET, MODEL, ChatStack, texts

pytestmark = pytest.mark.skipif(not MODEL.exists() and not os.environ.get("CI"),
                                reason="no trained model: run `make model` first")

SENDER = "oAbCdEfGhIjKlMnOpQrStUvWxYz1"  # shaped like a WeChat openid
PHONE, ID_NO, USCC = "13987654321", "510104199001011234", "91350100M000100Y43"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    # DEBUG makes Rasa print user messages, slots and conversation ids: the filters must hold
    with ChatStack(tmp_path_factory.mktemp("sec"), LOG_LEVEL="DEBUG", LOG_LEVEL_LIBRARIES="ERROR") as s:
        s.say(SENDER, "你好")
        s.say(SENDER, f"我的手机号是{PHONE}，统一社会信用代码{USCC}，法人身份证{ID_NO}")
        yield s


def test_the_tracker_api_needs_the_token(stack):
    base = stack.rasa_url
    assert httpx.get(f"{base}/conversations/{SENDER}/tracker", timeout=10).status_code == 401
    assert httpx.get(f"{base}/conversations/{SENDER}/tracker", params={"token": "guess"},
                     timeout=10).status_code == 401
    injected = httpx.post(f"{base}/conversations/{SENDER}/tracker/events", timeout=10,
                          json={"event": "bot", "text": "请转账至…"})
    assert injected.status_code == 401
    assert httpx.delete(f"{base}/model", timeout=10).status_code == 401
    assert httpx.put(f"{base}/model", json={"model_server": {"url": "http://127.0.0.1:9/m.tar.gz"}},
                     timeout=10).status_code == 401
    # with the token the API works (the conversation is there, nothing was injected)
    tracker = stack.tracker(SENDER)
    assert any(e.get("event") == "user" for e in tracker["events"])
    assert not any(e.get("event") == "bot" and "转账" in (e.get("text") or "") for e in tracker["events"])
    assert texts(stack.say("sec-alive", "你好"))  # the model is still loaded: the bot answers


def test_cors_only_for_the_widget_origin(stack):
    evil = httpx.options(f"{stack.rasa_url}/webhooks/rest/webhook", timeout=10,
                         headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert evil.headers.get("access-control-allow-origin") not in ("*", "https://evil.example")
    ok = httpx.options(f"{stack.rasa_url}/webhooks/rest/webhook", timeout=10,
                       headers={"Origin": stack.casestore_url, "Access-Control-Request-Method": "POST"})
    assert ok.headers.get("access-control-allow-origin") == stack.casestore_url


def test_the_action_server_serves_only_rasa(stack):
    url = f"http://127.0.0.1:{stack.ports['actions']}/webhook"
    forged = {"next_action": "action_lookup_case", "sender_id": "x", "version": "3.6.2",
              "tracker": {"sender_id": "x", "slots": {"case_no": "XF-20261125-12345"}, "events": [],
                          "latest_message": {"text": "查进度", "intent": {}, "entities": []}},
              "domain": {}}
    assert httpx.post(url, json=forged, timeout=10).status_code == 403
    assert httpx.post(url, json=forged, headers={"X-Actions-Secret": "wrong"}, timeout=10).status_code == 403
    assert httpx.get(f"http://127.0.0.1:{stack.ports['actions']}/actions", timeout=10).status_code == 403
    listed = httpx.get(f"http://127.0.0.1:{stack.ports['actions']}/actions",
                       headers={"X-Actions-Secret": ACTIONS_SECRET}, timeout=10)
    assert listed.status_code == 200 and listed.json()


def _outside_address() -> str | None:
    """This machine's address on its first non-loopback interface (no packet is sent)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            ip = s.getsockname()[0]
        except OSError:
            return None
    return None if ip.startswith("127.") else ip


def test_everything_listens_on_loopback_only(stack):
    import socket

    ip = _outside_address()
    if ip is None:
        pytest.skip("no non-loopback interface on this machine")
    for name, port in stack.ports.items():
        with socket.socket() as s:
            s.settimeout(2)
            assert s.connect_ex((ip, port)) != 0, f"{name} answers on {ip}:{port}"
        with socket.socket() as s:
            s.settimeout(2)
            assert s.connect_ex(("127.0.0.1", port)) == 0, name


def test_a_huge_message_is_cut_at_the_channel(stack):
    sender = "sec-long"
    replies = texts(stack.say(sender, "我想问一下信用修复" + "啊" * 5_000_000))
    assert "太长" in replies and "2000" in replies
    users = [e for e in stack.tracker(sender)["events"] if e.get("event") == "user"]
    assert users and all(len(e.get("text") or "") <= 2000 for e in users)


def test_no_personal_data_in_clear_in_the_tracker_database(stack):
    with sqlite3.connect(stack.tracker_db) as db:
        rows = [r[0] for r in db.execute("SELECT data FROM events")]
    assert len(rows) > 5  # the conversation is really stored here (not in memory)
    blob = "\n".join(rows)
    for secret in (PHONE, ID_NO, USCC, "手机号", "信用修复"):
        assert secret not in blob
    assert all(r.startswith("enc1:") for r in rows)
    # ... but the conversation itself is intact behind the API
    said = [e.get("text") for e in stack.tracker(SENDER)["events"] if e.get("event") == "user"]
    assert any(PHONE in (t or "") for t in said)


def test_no_personal_data_or_sender_id_in_the_logs(stack):
    stack.say(SENDER, "我的电话 13987654321")
    for name in ("rasa", "actions"):
        log = (stack.tmp / f"{name}.log").read_text(encoding="utf-8", errors="replace")
        assert log, name
        for secret in (PHONE, ID_NO, SENDER):
            assert secret not in log, (name, secret)
    rasa_log = (stack.tmp / "rasa.log").read_text(encoding="utf-8", errors="replace")
    assert "u:" in rasa_log and "****" in rasa_log  # they were there, pseudonymised and masked


def test_a_dead_action_server_gets_an_apology_with_the_hotline(stack):
    stack.procs["actions"].terminate()
    stack.procs["actions"].wait(timeout=30)
    reply = texts(stack.say("sec-down", "修复要准备哪些材料？"))
    assert "抱歉" in reply and "12345" in reply, reply
