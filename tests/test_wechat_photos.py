"""A photo sent in WeChat while a material is pending becomes that material's upload: the photo is
downloaded through wechatpy's client from a fake WeChat API server on loopback, and uploaded to a
real case store with the one-time token the assistant sent — checked there like any upload."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from wechatpy import WeChatClient

from bot.channels.wechat_photos import PhotoUploads, photo_hint, upload_tokens
from tests.casestore_fixtures import ASSISTANT, Server, auth, free_port
from tests.test_wechat_channel import make_server  # noqa: F401  (fixture)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200 + b"\xff\xd9"


class FakeWeChatApi:
    """api.weixin.qq.com's media download, on 127.0.0.1."""

    def __init__(self, media: dict[str, tuple[bytes, str]]):
        self.media = media
        self.calls: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                outer.calls.append({"path": url.path, **query})
                if url.path == "/cgi-bin/media/get" and query.get("media_id") in outer.media:
                    body, ctype = outer.media[query["media_id"]]
                else:
                    body, ctype = json.dumps({"errcode": 40007, "errmsg": "invalid media_id"}).encode(), "text/plain"
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def client(self) -> WeChatClient:
        client = WeChatClient("wx-test", "secret", access_token="fake-token", timeout=5)
        client.API_BASE_URL = f"http://127.0.0.1:{self.port}/cgi-bin/"
        return client

    def close(self):
        self.server.shutdown()


@pytest.fixture(scope="module")
def casestore(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cs")
    server = Server(tmp, f"sqlite:///{tmp / 'cs.db'}", [])
    yield server
    server.stop()


@pytest.fixture
def wechat_api():
    api = FakeWeChatApi({"M-photo": (JPEG, "image/jpeg"), "M-text": (b"hello", "application/octet-stream")})
    yield api
    api.close()


def link(casestore, draft, material):
    r = httpx.post(f"{casestore.base}/api/v1/upload-tokens", headers=auth(ASSISTANT),
                   json={"draft_id": draft, "material_id": material}, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()["url"]


def draft_uploads(casestore, draft):
    return httpx.get(f"{casestore.base}/api/v1/uploads", params={"draft_id": draft}, headers=auth(ASSISTANT),
                     timeout=10).json()["uploads"]


def test_a_photo_becomes_the_pending_materials_upload_and_the_reply_names_it(casestore, wechat_api):
    photos = PhotoUploads(wechat_api.client(), casestore.base)
    first, second = link(casestore, "wx-d1", "harm_eliminated_proof"), link(casestore, "wx-d1", "performance_proof")
    bot_text = f"需要上传：\n1. 已消除不良影响的说明：{first}\n2. 履行证明：{second}。"
    photos.remember("openid-1", bot_text)

    reply = asyncio.run(photos.file_photo("openid-1", "M-photo"))
    assert "已作为" in reply and "上传成功" in reply and "还有1项" in reply, reply
    uploads = draft_uploads(casestore, "wx-d1")
    assert [(u["material_id"], u["content_type"]) for u in uploads] == [("harm_eliminated_proof", "image/jpeg")]
    assert wechat_api.calls[-1]["media_id"] == "M-photo" and wechat_api.calls[-1]["access_token"] == "fake-token"

    reply = asyncio.run(photos.file_photo("openid-1", "M-photo"))
    assert "上传成功" in reply and "还有" not in reply and "好了" in reply, reply
    assert sorted(u["material_id"] for u in draft_uploads(casestore, "wx-d1")) == ["harm_eliminated_proof",
                                                                                  "performance_proof"]
    # nothing pending any more: the photo is not filed anywhere
    assert "没有需要上传的材料" in asyncio.run(photos.file_photo("openid-1", "M-photo"))
    assert len(draft_uploads(casestore, "wx-d1")) == 2


def test_without_a_pending_material_a_photo_is_not_uploaded(casestore, wechat_api):
    photos = PhotoUploads(wechat_api.client(), casestore.base)
    assert "没有需要上传的材料" in asyncio.run(photos.file_photo("openid-2", "M-photo"))
    assert wechat_api.calls == []  # not even downloaded


def test_a_file_the_case_store_refuses_is_explained_and_the_material_stays_pending(casestore, wechat_api):
    photos = PhotoUploads(wechat_api.client(), casestore.base)
    photos.remember("openid-3", link(casestore, "wx-d3", "harm_eliminated_proof"))
    reply = asyncio.run(photos.file_photo("openid-3", "M-text"))  # not an image or PDF
    assert "没能上传" in reply, reply
    assert draft_uploads(casestore, "wx-d3") == []
    assert photos.has_pending("openid-3")
    assert "上传成功" in asyncio.run(photos.file_photo("openid-3", "M-photo"))


def test_a_media_id_wechat_does_not_know_gives_a_clear_message(casestore, wechat_api):
    photos = PhotoUploads(wechat_api.client(), casestore.base)
    photos.remember("openid-4", link(casestore, "wx-d4", "harm_eliminated_proof"))
    reply = asyncio.run(photos.file_photo("openid-4", "M-unknown"))
    assert "没能收到或上传" in reply and "12345" in reply, reply
    assert draft_uploads(casestore, "wx-d4") == []


def test_a_used_link_is_skipped_for_the_next_pending_one(casestore, wechat_api):
    photos = PhotoUploads(wechat_api.client(), casestore.base)
    used, fresh = link(casestore, "wx-d5", "harm_eliminated_proof"), link(casestore, "wx-d5", "performance_proof")
    r = httpx.post(used, files={"file": ("a.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
                   headers={"Accept": "application/json"}, timeout=10)
    assert r.status_code == 201
    photos.remember("openid-5", f"{used} {fresh}")
    assert "上传成功" in asyncio.run(photos.file_photo("openid-5", "M-photo"))
    assert sorted(u["material_id"] for u in draft_uploads(casestore, "wx-d5")) == ["harm_eliminated_proof",
                                                                                  "performance_proof"]


def test_upload_links_are_found_and_the_hint_added_only_when_there_are_some():
    text = "上传页面：https://cs.example/upload/AbCdEfGhIjKlMnOpQrSt。再传 http://x/upload/ZZZZZZZZZZZZZZZZZZ1，好了"
    assert upload_tokens(text) == ["AbCdEfGhIjKlMnOpQrSt", "ZZZZZZZZZZZZZZZZZZ1"]
    assert "拍照发给我" in photo_hint(text)
    assert photo_hint("没有链接") == "没有链接"



# -- through the WeChat channel (real HTTP, stub Rasa; tests/test_wechat_channel.py's harness) ---
class SenderWithClient:
    def __init__(self, client):
        self.client, self.sent = client, []

    async def send_text(self, openid, text):
        self.sent.append((openid, text))


async def test_in_the_wechat_chat_a_photo_after_an_upload_link_is_filed_and_confirmed(
        casestore, wechat_api, make_server):  # noqa: F811
    from bot.channels.wechat import WeChatInput
    from tests.test_wechat_channel import APP_ID, TOKEN, other_xml, text_xml

    sender = SenderWithClient(wechat_api.client())
    channel = WeChatInput(TOKEN, APP_ID, "secret", reply_timeout=4.5, followup_delay=0, sender=sender)
    channel.photos.casestore_url = casestore.base  # CASESTORE_URL in production
    srv = await make_server(channel=channel)
    url = link(casestore, "wx-d6", "harm_eliminated_proof")

    # The stub assistant echoes the text: here, a bot message holding an upload link.
    reply = srv.reply_text((await srv.post(text_xml(url, msg_id="3001")))[1])
    assert url in reply and "拍照发给我" in reply, reply

    image = other_xml("image", "<PicUrl><![CDATA[http://x/y.jpg]]></PicUrl><MediaId><![CDATA[M-photo]]></MediaId>",
                      msg_id="3002")
    reply = srv.reply_text((await srv.post(image))[1]) or " ".join(t for _, t in sender.sent)
    assert "上传成功" in reply and "已消除" in reply, reply
    assert [u["material_id"] for u in draft_uploads(casestore, "wx-d6")] == ["harm_eliminated_proof"]
    assert srv.agent.calls and all(c.text != "" for c in srv.agent.calls)  # the photo itself skips Rasa

    # WeChat retries the same MsgId: the photo is not uploaded twice.
    await srv.post(image)
    assert len(draft_uploads(casestore, "wx-d6")) == 1
