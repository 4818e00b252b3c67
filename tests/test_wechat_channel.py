"""WeChat official-account channel over real HTTP: a Sanic server on a free localhost port in
the test's event loop, Rasa replaced by a stub agent that answers through the output channel,
and a fake customer-service client, so nothing touches the network."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import aiohttp
import pytest
import xmltodict
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import WeChatClientException

from bot.channels.wechat import (
    ERROR_TEXT,
    FORGED_TEXT,
    UNSUPPORTED_TEXT,
    WeChatInput,
    WeChatOutput,
)
from bot.channels.wechat_support import (
    CONTINUED_NOTE,
    TTLCache,
    option_number,
    render_messages,
    split_text,
    user_ref,
)

TOKEN = "test-token"
APP_ID = "wx0123456789abcdef"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")  # 43 characters
OPENID = "oAbCdEfGhIjKlMnOpQrStUvWxYz1"
ACCOUNT = "gh_0123456789ab"
TIMEOUT = 0.6  # reply_timeout in these tests (production: 4.5 s)
SLOW = 1.2  # how long the "slow" bot takes


# -- stubs ---------------------------------------------------------------------------------


class FakeSender:
    """Stands in for WeChatClient.message.send_text."""

    def __init__(self, fail: Optional[Exception] = None) -> None:
        self.sent: List[tuple] = []
        self.fail = fail
        self.event = asyncio.Event()

    async def send_text(self, openid: str, text: str) -> None:
        if self.fail:
            raise self.fail
        self.sent.append((openid, text))
        self.event.set()

    async def wait(self, count: int = 1, timeout: float = 5.0) -> List[tuple]:
        deadline = time.monotonic() + timeout
        while len(self.sent) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.sent


@dataclass
class StubAgent:
    """Rasa's agent.handle_message: answers through message.output_channel."""

    calls: List[UserMessage] = field(default_factory=list)

    async def handle_message(self, message: UserMessage) -> None:
        self.calls.append(message)
        out, sid, text = message.output_channel, message.sender_id, message.text
        if text == "慢":
            await asyncio.sleep(SLOW)
            await out.send_response(sid, {"text": "慢慢来的回答"})
        elif text == "有点慢":
            await asyncio.sleep(TIMEOUT / 2)
            await out.send_response(sid, {"text": "稍慢的回答"})
        elif text == "按钮":
            await out.send_response(sid, {
                "text": "您的记录属于哪一类？",
                "buttons": [
                    {"title": "行政处罚信息", "payload": "行政处罚"},
                    {"title": "经营异常名录", "payload": "/choose{\"kind\": \"abnormal\"}"},
                ],
            })
        elif text == "出错":
            raise RuntimeError("boom")
        elif text == "你好":
            await out.send_response(sid, {"text": "您好！我是四川信用修复“一件事”助手。"})
        else:
            await out.send_response(sid, {"text": f"收到：{text}"})


# -- helpers -------------------------------------------------------------------------------


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def text_xml(content: str, msg_id: str = "1001", openid: str = OPENID) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def other_xml(msg_type: str, extra: str, msg_id: str = "2001") -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
        f"{extra}<MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(event: str, created: int = 1700000000) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event></xml>"
    )


class Server:
    def __init__(self, channel: WeChatInput, agent: StubAgent, sender: FakeSender, url: str):
        self.channel, self.agent, self.sender, self.url = channel, agent, sender, url
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID) if channel.crypto else None
        self.http: aiohttp.ClientSession

    async def get(self, params: Dict[str, str]) -> tuple:
        async with self.http.get(f"{self.url}/webhooks/wechat/webhook", params=params) as r:
            return r.status, await r.text()

    async def post_raw(self, body: str, params: Dict[str, str]) -> tuple:
        async with self.http.post(
            f"{self.url}/webhooks/wechat/webhook", params=params, data=body.encode("utf-8"),
            headers={"Content-Type": "text/xml"},
        ) as r:
            return r.status, await r.text()

    async def post(self, xml: str, forged: bool = False) -> tuple:
        """Sign (and in safe mode encrypt) like WeChat does; returns (status, body)."""
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        params = {"timestamp": timestamp, "nonce": nonce, "openid": OPENID,
                  "signature": sign(TOKEN, timestamp, nonce)}
        body = xml
        if self.crypto:
            wrapped = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, timestamp))["xml"]
            params.update(encrypt_type="aes", msg_signature=wrapped["MsgSignature"])
            body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                    f"<Encrypt><![CDATA[{wrapped['Encrypt']}]]></Encrypt></xml>")
        if forged:
            key = "msg_signature" if self.crypto else "signature"
            params[key] = "0" * 40
        return await self.post_raw(body, params)

    def reply_text(self, body: str) -> str:
        """The Content of a passive reply (decrypted in safe mode); "" for "success"."""
        if body == "success":
            return ""
        if self.crypto:
            wrapped = xmltodict.parse(body)["xml"]
            body = self.crypto.decrypt_message(
                body, wrapped["MsgSignature"], wrapped["TimeStamp"], wrapped["Nonce"]
            )
        reply = parse_message(body)
        assert reply.type == "text"
        assert reply.source == ACCOUNT and reply.target == OPENID  # addressed back to the user
        return reply.content


async def start(safe: bool = False, sender_fail: Optional[Exception] = None, channel=None, **options: Any):
    agent, sender = StubAgent(), FakeSender(sender_fail)
    channel = channel or WeChatInput(
        TOKEN, APP_ID, "test-secret", encoding_aes_key=AES_KEY if safe else None,
        reply_timeout=TIMEOUT, followup_delay=0, sender=sender, **options,
    )
    Sanic.test_mode = True  # lets several apps start in one process (sanic "touchup")
    app = Sanic(f"wechat_test_{uuid.uuid4().hex[:8]}")
    app.config.ACCESS_LOG = False
    app.ctx.agent = agent
    register([channel], app, route="/webhooks/")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    await server.before_start()
    await server.after_start()
    srv = Server(channel, agent, sender, f"http://127.0.0.1:{port}")
    srv.http = aiohttp.ClientSession()
    return srv, server


@pytest.fixture
async def make_server():
    started = []
    test_mode = Sanic.test_mode

    async def make(**kwargs: Any) -> Server:
        srv, server = await start(**kwargs)
        started.append((srv, server))
        return srv

    yield make
    for srv, server in started:
        await srv.http.close()
        for task in list(srv.channel._tasks):
            task.cancel()
        await server.before_stop()
        await server.close()
        await server.after_stop()
    Sanic.test_mode = test_mode


@pytest.fixture(params=["plain", "safe"])
async def wechat(request, make_server):
    return await make_server(safe=request.param == "safe")


# -- server verification -------------------------------------------------------------------


async def test_server_verification_echoes_echostr_and_rejects_a_forged_signature(make_server):
    srv = await make_server()
    ok = {"timestamp": "1700000000", "nonce": "abc", "echostr": "7845123"}
    ok["signature"] = sign(TOKEN, ok["timestamp"], ok["nonce"])
    assert await srv.get(ok) == (200, "7845123")

    assert await srv.get({**ok, "signature": sign("wrong-token", "1700000000", "abc")}) == (403, FORGED_TEXT)
    assert await srv.get({"echostr": "1"}) == (403, FORGED_TEXT)


async def test_a_disabled_channel_answers_503(make_server):
    srv = await make_server(channel=WeChatInput.from_credentials({"token": "", "app_id": "", "app_secret": ""}))
    status, body = await srv.get({"echostr": "1"})
    assert status == 503 and "未配置" in body
    status, _ = await srv.post_raw(text_xml("你好"), {})
    assert status == 503 and srv.agent.calls == []


# -- round trips ---------------------------------------------------------------------------


async def test_text_round_trip(wechat):
    status, body = await wechat.post(text_xml("我被罚款了能修复吗", msg_id="5001"))
    assert status == 200
    assert wechat.reply_text(body) == "收到：我被罚款了能修复吗"
    if wechat.crypto:
        assert "收到" not in body and "<Encrypt>" in body  # safe mode replies encrypted

    [call] = wechat.agent.calls
    assert call.text == "我被罚款了能修复吗"
    assert call.sender_id == OPENID
    assert call.input_channel == "wechat"
    assert call.metadata["msg_id"] == "5001"
    assert wechat.sender.sent == []  # answered passively, no customer-service message


async def test_forged_signature_is_rejected_and_never_reaches_rasa(wechat):
    status, body = await wechat.post(text_xml("伪造的消息"), forged=True)
    assert (status, body) == (403, FORGED_TEXT)
    assert wechat.agent.calls == []


async def test_safe_mode_refuses_plain_messages_and_bad_ciphertext(make_server):
    srv = await make_server(safe=True)
    timestamp, nonce = str(int(time.time())), "n1"  # a fresh request (older than 300 s: 403)
    plain = {"timestamp": timestamp, "nonce": nonce, "signature": sign(TOKEN, timestamp, nonce)}
    status, _ = await srv.post_raw(text_xml("明文"), plain)
    assert status == 403

    garbage = "bm90IGEgcmVhbCBjaXBoZXJ0ZXh0"
    params = {**plain, "encrypt_type": "aes", "msg_signature": sign(TOKEN, timestamp, nonce, garbage)}
    status, body = await srv.post_raw(f"<xml><Encrypt><![CDATA[{garbage}]]></Encrypt></xml>", params)
    assert status == 400 and "Traceback" not in body and len(body) < 20

    # Encrypted with someone else's app id: decrypts, but is not for this account.
    other = WeChatCrypto(TOKEN, AES_KEY, "wxSomeoneElse")
    wrapped = xmltodict.parse(other.encrypt_message(text_xml("别的号"), nonce, timestamp))["xml"]
    params = {**plain, "encrypt_type": "aes", "msg_signature": wrapped["MsgSignature"]}
    status, _ = await srv.post_raw(f"<xml><Encrypt><![CDATA[{wrapped['Encrypt']}]]></Encrypt></xml>", params)
    assert status == 403
    assert srv.agent.calls == []


@pytest.mark.parametrize("body", [
    "<xml><ToUserName>oops",
    "这不是XML",
    "<xml><FromUserName>o1</FromUserName></xml>",  # no MsgType
    "<notxml/>",
    "",
])
async def test_malformed_xml_is_400_without_a_trace(make_server, body):
    srv = await make_server()
    status, text = await srv.post(body)
    assert status == 400
    assert "Traceback" not in text and "Error" not in text and len(text) < 20
    assert srv.agent.calls == []


async def test_malformed_xml_inside_a_valid_encryption_is_400(make_server):
    srv = await make_server(safe=True)
    status, text = await srv.post("<xml><MsgType>text")
    assert status == 400 and srv.agent.calls == []


# -- retries -------------------------------------------------------------------------------


async def test_the_same_msgid_three_times_reaches_rasa_once(wechat):
    xml = text_xml("第一次", msg_id="7001")
    replies = [wechat.reply_text((await wechat.post(xml))[1]) for _ in range(3)]
    assert replies == ["收到：第一次"] * 3  # a retry gets the same answer again
    assert len(wechat.agent.calls) == 1


async def test_retries_while_rasa_is_still_working_are_not_sent_twice(make_server):
    srv = await make_server()
    xml = text_xml("有点慢", msg_id="7002")
    results = await asyncio.gather(*(srv.post(xml) for _ in range(3)))
    assert len(srv.agent.calls) == 1
    # WeChat retried, so the answer is sent exactly once, through the customer-service API.
    assert all(status == 200 and body == "success" for status, body in results)
    assert await srv.sender.wait(1) == [(OPENID, "稍慢的回答")]
    await asyncio.sleep(0.2)
    assert len(srv.sender.sent) == 1


async def test_a_slow_bot_gets_success_now_and_a_customer_service_message_later(wechat):
    status, body = await wechat.post(text_xml("慢", msg_id="8001"))
    assert (status, body) == (200, "success")
    assert wechat.sender.sent == []  # answered before the bot was done: its answer comes later
    assert await wechat.sender.wait(1) == [(OPENID, "慢慢来的回答")]
    # A WeChat retry of the same message after the "success" changes nothing.
    assert (await wechat.post(text_xml("慢", msg_id="8001")))[1] == "success"
    assert len(wechat.agent.calls) == 1


async def test_an_answer_is_not_lost_when_wechat_hangs_up_before_the_reply(make_server):
    srv = await make_server()
    timestamp, nonce = str(int(time.time())), "n-hangup"
    params = {"timestamp": timestamp, "nonce": nonce, "signature": sign(TOKEN, timestamp, nonce)}
    with pytest.raises(asyncio.TimeoutError):
        async with srv.http.post(
            f"{srv.url}/webhooks/wechat/webhook", params=params,
            data=text_xml("有点慢", msg_id="8101").encode(), timeout=aiohttp.ClientTimeout(total=0.05),
        ) as r:
            await r.text()
    assert await srv.sender.wait(1) == [(OPENID, "稍慢的回答")]
    assert len(srv.agent.calls) == 1


async def test_messages_rasa_sends_after_the_reply_go_through_customer_service(make_server):
    srv = await make_server()
    await srv.post(text_xml("你好", msg_id="8201"))
    collector = srv.agent.calls[0].output_channel  # e.g. a reminder Rasa scheduled then
    await collector.send_response(OPENID, {"text": "提醒：材料还没上传。"})
    assert srv.sender.sent == [(OPENID, "提醒：材料还没上传。")]


# -- buttons -------------------------------------------------------------------------------


async def test_buttons_become_numbered_options_and_a_number_maps_back(wechat):
    reply = wechat.reply_text((await wechat.post(text_xml("按钮", msg_id="9001")))[1])
    assert reply == "您的记录属于哪一类？\n回复 1：行政处罚信息\n回复 2：经营异常名录"

    reply = wechat.reply_text((await wechat.post(text_xml("1", msg_id="9002")))[1])
    assert reply == "收到：行政处罚"
    assert wechat.agent.calls[-1].text == "行政处罚"
    assert wechat.agent.calls[-1].metadata["button_number"] == "1"

    # The last reply had no buttons: a bare number is just text again.
    await wechat.post(text_xml("1", msg_id="9003"))
    assert wechat.agent.calls[-1].text == "1"

    # Full-width digits work; a number that is not an option is passed through.
    await wechat.post(text_xml("按钮", msg_id="9004"))
    await wechat.post(text_xml("２", msg_id="9005"))
    assert wechat.agent.calls[-1].text == '/choose{"kind": "abnormal"}'
    await wechat.post(text_xml("按钮", msg_id="9006"))
    await wechat.post(text_xml("3", msg_id="9007"))
    assert wechat.agent.calls[-1].text == "3"


async def test_buttons_are_remembered_per_user(make_server):
    srv = await make_server()
    await srv.post(text_xml("按钮", msg_id="9101"))
    other = "oOtherUser000000000000000000"
    status, body = await srv.post(text_xml("1", msg_id="9102", openid=other))
    assert status == 200 and srv.agent.calls[-1].text == "1"


# -- other message types and events --------------------------------------------------------


async def test_an_image_with_no_material_pending_is_answered_and_skips_rasa(wechat):
    image = other_xml("image", "<PicUrl><![CDATA[http://x/y.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId>")
    reply = wechat.reply_text((await wechat.post(image))[1])
    assert "没有需要上传的材料" in reply and "文字" in reply  # a pending material: tests/test_wechat_photos.py
    assert wechat.agent.calls == []


async def test_voice_uses_the_recognised_text(make_server):
    srv = await make_server()
    voice = other_xml("voice", "<MediaId><![CDATA[m]]></MediaId><Format><![CDATA[amr]]></Format>"
                               "<Recognition><![CDATA[怎么修复经营异常]]></Recognition>", msg_id="3001")
    assert srv.reply_text((await srv.post(voice))[1]) == "收到：怎么修复经营异常"
    unrecognised = other_xml("voice", "<MediaId><![CDATA[m]]></MediaId>", msg_id="3002")
    assert srv.reply_text((await srv.post(unrecognised))[1]) == UNSUPPORTED_TEXT
    assert [c.text for c in srv.agent.calls] == ["怎么修复经营异常"]


async def test_subscribe_welcomes_through_rasa_and_unsubscribe_is_ignored(wechat):
    reply = wechat.reply_text((await wechat.post(event_xml("subscribe")))[1])
    assert "信用修复" in reply
    assert wechat.agent.calls[-1].text == "你好"
    assert (await wechat.post(event_xml("unsubscribe", 1700000001)))[1] == "success"
    assert (await wechat.post(event_xml("VIEW", 1700000002)))[1] == "success"
    assert len(wechat.agent.calls) == 1
    # Events have no MsgId: WeChat's retries are recognised by sender + CreateTime.
    await wechat.post(event_xml("subscribe"))
    assert len(wechat.agent.calls) == 1


async def test_a_menu_click_sends_its_event_key_to_rasa(make_server):
    srv = await make_server()
    click = event_xml("CLICK").replace("</xml>", "<EventKey><![CDATA[/start_application]]></EventKey></xml>")
    assert srv.reply_text((await srv.post(click))[1]) == "收到：/start_application"
    assert srv.agent.calls[-1].text == "/start_application"


async def test_a_bot_error_gets_an_apology_not_a_crash(make_server):
    srv = await make_server()
    status, body = await srv.post(text_xml("出错", msg_id="4001"))
    assert status == 200 and srv.reply_text(body) == ERROR_TEXT


# -- long texts and emoji ------------------------------------------------------------------


async def test_a_5000_character_message_with_emoji(wechat):
    sentence = "我们公司被处罚后已经整改完毕😀👨‍👩‍👧，请问需要哪些材料？"
    long_text = (sentence * (5000 // len(sentence) + 1))[:5000]
    status, body = await wechat.post(text_xml(long_text, msg_id="6001"))
    assert status == 200
    capped = long_text[:2000]  # the channel keeps 2,000 characters (bot/channels/limits.py) and says so
    assert wechat.agent.calls[0].text == capped

    first = wechat.reply_text(body)
    assert len(first.encode("utf-8")) <= 2048
    assert first.endswith(CONTINUED_NOTE.strip())
    await wechat.sender.wait(2)
    await asyncio.sleep(0.1)
    rest = [text for _, text in wechat.sender.sent]
    assert rest and all(len(t.encode("utf-8")) <= 2048 for t in rest)
    joined = first[: -len(CONTINUED_NOTE.strip())].strip() + "".join(rest)
    assert "太长" in first and joined.endswith(f"收到：{capped}".strip())
    assert "\ufffd" not in joined


async def test_a_short_emoji_message(make_server):
    srv = await make_server()
    assert srv.reply_text((await srv.post(text_xml("👍🏻", msg_id="6002")))[1]) == "收到：👍🏻"


# -- proactive messages (customer-service API) ----------------------------------------------


async def test_output_channel_sends_proactive_messages_with_numbered_buttons():
    sender = FakeSender()
    buttons: TTLCache = TTLCache(60, 10)
    output = WeChatOutput(sender, buttons)
    assert output.name() == "wechat"
    await output.send_response(OPENID, {"text": "提醒：您的修复申请还差一份材料。",
                                        "buttons": [{"title": "继续办理", "payload": "/continue"}]})
    assert sender.sent == [(OPENID, "提醒：您的修复申请还差一份材料。\n回复 1：继续办理")]
    assert buttons.get(OPENID) == {"1": "/continue"}


async def test_a_refused_proactive_message_is_logged_not_raised(caplog):
    sender = FakeSender(fail=WeChatClientException(45015, "response out of time limit"))
    caplog.set_level(logging.INFO, logger="bot.channels.wechat")
    await WeChatOutput(sender).send_text_message(OPENID, "提醒")
    assert "45015" in caplog.text and "48" in caplog.text
    assert OPENID not in caplog.text


async def test_channel_output_is_the_customer_service_output(make_server):
    srv = await make_server()
    output = srv.channel.get_output_channel()
    await output.send_text_message(OPENID, "您的申请已受理。")
    assert srv.sender.sent == [(OPENID, "您的申请已受理。")]


async def test_logs_never_hold_the_openid_or_the_text_at_info(make_server, caplog):
    srv = await make_server()
    caplog.set_level(logging.INFO)
    await srv.post(text_xml("我的电话13812341234", msg_id="1201"))
    await srv.post(text_xml("慢", msg_id="1202"))
    await srv.sender.wait(1)
    assert caplog.text and OPENID not in caplog.text and "13812341234" not in caplog.text
    assert user_ref(OPENID) in caplog.text


# -- configuration and helpers -------------------------------------------------------------


def test_from_credentials():
    channel = WeChatInput.from_credentials(
        {"token": "t", "app_id": APP_ID, "app_secret": "s", "encoding_aes_key": AES_KEY, "reply_timeout": "4"}
    )
    assert channel.name() == "wechat" and channel.crypto is not None and channel.reply_timeout == 4.0
    plain = WeChatInput.from_credentials({"token": "t", "app_id": APP_ID, "app_secret": "s", "encoding_aes_key": ""})
    assert plain.crypto is None
    with pytest.raises(ValueError, match="token"):
        WeChatInput.from_credentials({"app_id": APP_ID, "app_secret": "s"})
    # All three empty (WECHAT_* set to "" on a developer machine): Rasa starts, channel off.
    assert WeChatInput.from_credentials({"token": "", "app_id": "", "app_secret": ""}).enabled is False
    with pytest.raises(ValueError, match="encoding_aes_key"):
        WeChatInput.from_credentials({"token": "t", "app_id": APP_ID, "app_secret": "s", "encoding_aes_key": "short"})
    with pytest.raises(ValueError, match="reply_timeout"):
        WeChatInput.from_credentials({"token": "t", "app_id": APP_ID, "app_secret": "s", "reply_timeout": 6})


def test_rasa_loads_the_channel_from_a_credentials_file(tmp_path, monkeypatch):
    # What rasa.core.run.create_http_input_channels does, without importing the whole of Rasa.
    from rasa.shared.utils.common import class_from_module_path
    from rasa.shared.utils.io import read_config_file

    monkeypatch.setenv("WECHAT_TOKEN", "env-token")
    monkeypatch.setenv("WECHAT_APP_ID", APP_ID)
    monkeypatch.setenv("WECHAT_APP_SECRET", "env-secret")
    monkeypatch.setenv("WECHAT_ENCODING_AES_KEY", AES_KEY)
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(
        "rest:\n"
        "bot.channels.wechat.WeChatInput:\n"
        "  token: ${WECHAT_TOKEN}\n"
        "  app_id: ${WECHAT_APP_ID}\n"
        "  app_secret: ${WECHAT_APP_SECRET}\n"
        "  encoding_aes_key: ${WECHAT_ENCODING_AES_KEY}\n",
        encoding="utf-8",
    )
    [(path, config)] = [(k, v) for k, v in read_config_file(str(credentials)).items() if k != "rest"]
    wechat = class_from_module_path(path).from_credentials(config)
    assert wechat.token == "env-token" and wechat.crypto is not None
    assert wechat.url_prefix() == "wechat"


def test_split_text_respects_the_byte_limit_and_sentences():
    text = "第一句话。" * 300 + "\n" + "😀" * 700
    parts = split_text(text, 2000)
    assert all(len(p.encode("utf-8")) <= 2000 for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")
    assert parts[0].endswith("。")
    assert split_text("短", 2000) == ["短"] and split_text("   ", 2000) == []


def test_render_and_option_numbers():
    text, options = render_messages([
        {"text": "请选择"}, {"text": "类型？", "buttons": [{"title": "A", "payload": "a"}, {"title": "B", "payload": "b"}]},
        {"image": "https://example.org/x.png"},
    ])
    assert text == "请选择\n\n类型？\n回复 1：A\n回复 2：B\n\n图片：https://example.org/x.png"
    assert options == {"1": "a", "2": "b"}
    assert [option_number(x) for x in ["1", " ２ ", "12", "123", "1a", "", "一"]] == ["1", "2", "12", None, None, None, None]


def test_ttl_cache_expires_and_is_bounded():
    now = [0.0]
    cache: TTLCache = TTLCache(10, 2, clock=lambda: now[0])
    cache.set("a", 1)
    cache.set("b", 2)
    cache.set("c", 3)
    assert cache.get("a") is None and cache.get("c") == 3
    now[0] = 11
    assert cache.get("b") is None and len(cache) == 0


# -- a conversation a help-desk agent has taken over (转人工) ------------------------------------


@dataclass
class _Tracker:
    """A conversation paused by 转人工, with `said` the user's latest words (after the pause)."""
    said: Optional[str]

    def is_paused(self) -> bool:
        return self.said is not None

    @property
    def events(self) -> list:
        from rasa.shared.core.events import ConversationPaused, UserUttered

        return [UserUttered("转人工"), ConversationPaused(), UserUttered(self.said)] if self.said else []


@dataclass
class _Trackers:
    said: Dict[str, str] = field(default_factory=dict)

    async def retrieve(self, sender: str):
        return _Tracker(self.said.get(sender))


async def test_words_sent_while_an_agent_has_the_conversation_reach_the_console(make_server, monkeypatch):
    """As in the widget: Rasa is paused, so the bot does not answer; the user's words go to the
    help-desk console (POST /api/v1/handoffs/user-messages, bot/channels/handoff_relay.py), and
    the case store's acknowledgement is the passive reply, not silence."""
    relayed: list = []
    words = "我的营业执照照片拍不清楚 咋个办"

    async def relay(sender, text):
        relayed.append((sender, text))
        return "收到，您的留言已记下。现在不是人工服务时间，坐席将于明天9:00上线后回复您。"

    monkeypatch.setattr("bot.channels.handoff_relay.relay_user_message", relay)
    srv = await make_server()
    srv.agent.tracker_store = _Trackers({OPENID: words})
    status, body = await srv.post(text_xml(words, msg_id="7001"))
    assert relayed == [(OPENID, words)]
    assert status == 200 and "留言已记下" in srv.reply_text(body)
    srv.agent.tracker_store = _Trackers({})  # handed back: the bot answers, nothing relayed
    await srv.post(text_xml("谢谢", msg_id="7002"))
    await asyncio.sleep(0.3)
    assert len(relayed) == 1


def popup_xml(*entries: tuple[str, str], created: int = 1700000100) -> str:
    lists = "".join(f"<List><TemplateId><![CDATA[{t}]]></TemplateId>"
                    f"<SubscribeStatusString><![CDATA[{status}]]></SubscribeStatusString>"
                    f"<PopupScene>2</PopupScene></List>" for t, status in entries)
    return event_xml("subscribe_msg_popup_event", created).replace(
        "</xml>", f"<SubscribeMsgPopupEvent>{lists}</SubscribeMsgPopupEvent></xml>")


async def test_allowing_subscribe_messages_in_the_popup_is_consent_to_notices(make_server):
    """WeChat's subscribe-message popup: the templates the user accepted reach the assistant as
    「办理进度也通知我」 with their ids (actions/notice_actions.py stores one consent each);
    refusing them all sends nothing."""
    srv = await make_server()
    await srv.post(popup_xml(("tmpl-status", "accept"), ("tmpl-other", "reject")))
    call = srv.agent.calls[-1]
    assert call.text == "/consent_notices"
    assert call.metadata["subscribe_templates"] == ["tmpl-status"]
    assert (await srv.post(popup_xml(("tmpl-status", "reject"), created=1700000200)))[1] == "success"
    assert len(srv.agent.calls) == 1


def test_the_hand_back_rating_is_numbered_options_in_wechat():
    """The hand-back's 好差评 question (bot/casestore/staff/rasa_bridge.py) carries the five levels
    as buttons: WeChat, which cannot show the widget's card, numbers them, and a reply of 「4」
    sends that level's payload (the widget shows its card instead of the buttons)."""
    from bot.casestore.staff.rasa_bridge import rating_event

    event = rating_event(7, {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"})
    message = {"text": event["text"], **event["data"]}
    text, options = render_messages([message])
    assert "好差评" in text and "1" in options and len(options) == 5
    assert options["4"] == '/rate{"rating_level": 2}'  # the 4th option is 不满意
    assert "不满意" in text.splitlines()[-2]
