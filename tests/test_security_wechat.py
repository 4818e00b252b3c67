"""Finding 7 of issue 11: a captured WeChat request cannot be replayed (timestamp window,
nonce once), and MsgId dedupe survives a restart / a second replica (shared storage)."""

from __future__ import annotations

import time

import xmltodict

from bot.channels.wechat import REPLAY_TEXT, STALE_TEXT, WeChatInput
from bot.channels.wechat_guard import SqlSeen, fresh, signature_ok
from tests.test_wechat_channel import (  # noqa: F401 - fixtures
    AES_KEY, APP_ID, TIMEOUT, TOKEN, make_server, sign, text_xml,
)


async def test_an_old_timestamp_is_refused(make_server):
    srv = await make_server()
    old = str(int(time.time()) - 301)
    params = {"timestamp": old, "nonce": "n-old", "signature": sign(TOKEN, old, "n-old")}
    assert await srv.post_raw(text_xml("重放", msg_id="7001"), params) == (403, STALE_TEXT)
    assert srv.agent.calls == []


async def test_a_nonce_with_another_body_is_a_replay(make_server):
    srv = await make_server()
    now = str(int(time.time()))
    params = {"timestamp": now, "nonce": "n-once", "signature": sign(TOKEN, now, "n-once")}
    first = text_xml("第一条", msg_id="7101")
    status, _ = await srv.post_raw(first, params)
    assert status == 200
    # plain mode signs only token+timestamp+nonce: the same URL with a new body is refused
    assert await srv.post_raw(text_xml("请转账", msg_id="7102"), params) == (403, REPLAY_TEXT)
    # WeChat's own retry (same body) is fine and deduplicated
    status, _ = await srv.post_raw(first, params)
    assert status == 200
    assert [c.text for c in srv.agent.calls] == ["第一条"]


async def test_safe_mode_checks_the_signature_over_the_ciphertext(make_server):
    srv = await make_server(safe=True)
    now = str(int(time.time()))
    wrapped = xmltodict.parse(srv.crypto.encrypt_message(text_xml("加密"), "n-safe", now))["xml"]
    body = f"<xml><Encrypt><![CDATA[{wrapped['Encrypt']}]]></Encrypt></xml>"
    params = {"timestamp": now, "nonce": "n-safe", "signature": sign(TOKEN, now, "n-safe"),
              "encrypt_type": "aes", "msg_signature": "f" * 40}
    status, _ = await srv.post_raw(body, params)
    assert status == 403 and srv.agent.calls == []
    params["msg_signature"] = wrapped["MsgSignature"]
    status, _ = await srv.post_raw(body, params)
    assert status == 200 and [c.text for c in srv.agent.calls] == ["加密"]


async def test_msgid_dedupe_is_shared_between_replicas(make_server, tmp_path, monkeypatch):
    monkeypatch.setenv("WECHAT_DEDUPE_URL", f"sqlite:///{tmp_path / 'shared.db'}")
    first = await make_server()
    second = await make_server(channel=WeChatInput(TOKEN, APP_ID, "s", reply_timeout=TIMEOUT, followup_delay=0,
                                                   sender=first.sender))
    status, body = await first.post(text_xml("只办一次", msg_id="7201"))
    assert status == 200 and "收到" in first.reply_text(body)
    status, body = await second.post(text_xml("只办一次", msg_id="7201"))  # WeChat's retry hits replica 2
    assert status == 200 and "收到：只办一次" in first.reply_text(body)  # the same answer
    assert len(first.agent.calls) == 1 and second.agent.calls == []


def test_guard_helpers():
    assert signature_ok(("t", "1", "n"), sign("t", "1", "n")) and not signature_ok(("t", "1", "n"), "0" * 40)
    assert not signature_ok(("t", "1", "n"), "\u202e")
    assert fresh(str(int(time.time()))) and not fresh("abc") and not fresh(str(int(time.time()) + 400))


def test_the_sql_store_claims_once(tmp_path):
    a, b = SqlSeen(f"sqlite:///{tmp_path / 's.db'}"), SqlSeen(f"sqlite:///{tmp_path / 's.db'}")
    assert a.claim("msg:1") and not b.claim("msg:1")
    b.put("reply:1", "答复")
    assert a.get("reply:1") == "答复"


def test_redis_store_when_configured():
    import os

    import pytest

    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("no TEST_REDIS_URL")
    from bot.channels.wechat_guard import RedisSeen, shared_store

    store = shared_store({"WECHAT_REDIS_URL": url})
    assert isinstance(store, RedisSeen)
    key = f"msg:test-{time.time_ns()}"
    assert store.claim(key) and not store.claim(key)
