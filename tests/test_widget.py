"""The website chat widget in headless Debian Chromium, against the real Rasa + actions + case
store (tests/chat_stack.py): what a person on a phone or a shared computer would notice.

Needs the trained model and the built pages (`make test` does both before pytest)."""

from __future__ import annotations

import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from bot.channels.web import DIST
from tests.widget_steps import bot_count, idle, say, tap, wait_reply
from tests.browser import PHONE, browser  # noqa: F401  (fixtures)
from tests.casestore_fixtures import PDF, free_port
from tests.chat_stack import AGENT_TOKEN, MODEL, ChatStack

pytestmark = pytest.mark.skipif(not MODEL.exists() and not os.environ.get("CI"),
                                reason="no trained model: run `make model` first")

HOST_PORT = free_port()
HOST = f"http://127.0.0.1:{HOST_PORT}"  # a site that embeds the launcher (WIDGET_EMBED_ORIGINS)
TAX_RECORD = "2026年1月10日被税务局罚款5000元，一般失信，已经缴清了，能修复吗"
MARKET_RECORD = "我们公司2026年3月10日被市场监管局罚了2万，已经交了，现在能修复不？"
CASE_NO = re.compile(r"XF-\d{8}-\d{5,7}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not (DIST / "widget.html").exists():
        pytest.fail("the widget is not built: run `make pages` (make test does)")
    s = ChatStack(tmp_path_factory.mktemp("widget"))
    s.env["WIDGET_EMBED_ORIGINS"] = HOST
    with s:
        yield s


@pytest.fixture
def context(browser):  # noqa: F811
    ctx = browser.new_context(**PHONE)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    p = context.new_page()
    p.errors = []
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    yield p


# --- helpers: what a user does ---------------------------------------------------------------


def open_widget(page, stack):
    page.goto(stack.widget_url)
    page.wait_for_selector(".cr-bot", timeout=90_000)
    idle(page)










def log_text(page) -> str:
    return page.locator(".MessageList").inner_text()


def agent_get(stack, path):
    return httpx.get(f"{stack.casestore_url}{path}", headers={"Authorization": f"Bearer {AGENT_TOKEN}"},
                     timeout=10).json()


# --- tests -----------------------------------------------------------------------------------
def test_full_application_through_the_widget_ends_in_a_case_number(page, stack):
    open_widget(page, stack)
    assert "信用修复" in log_text(page)
    assert page.locator(".cr-user").count() == 0  # no synthetic 「你好」 bubble from the user

    reply = say(page, MARKET_RECORD)
    if "失信程度" in reply:
        reply = tap(page, "一般")
    assert "现在就可以申请" in reply, reply
    assert "主体名称" in tap(page, "开始申请")

    # A registered name. (Markup inside a name is no longer echoed: the form keeps only a valid
    # registered name; script payloads in rendered replies are tested with faked replies below.)
    name = "成都锦程商贸有限公司"
    assert "统一社会信用代码" in say(page, name)
    assert "法定代表人" in say(page, "91350100M000100Y43")
    say(page, "张三")
    reply = say(page, "本人")
    assert "手机号" in reply, reply
    reply = say(page, "13812341234")
    assert "上传" in reply, reply

    # Upload inside the chat: the card shows progress, then the result.
    card = page.locator(".cr-bot").last.locator(".cr-upload").first
    card.locator("input[type=file]").set_input_files(
        files=[{"name": "整改说明.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.wait_for_selector(".cr-upload-note.is-done", timeout=30_000)
    assert "整改说明.pdf" in card.inner_text()
    assert card.locator("input[type=file]").is_disabled()  # a one-time token: no second upload

    assert "信用承诺" in tap(page, "好了")
    summary = tap(page, "同意")
    assert "请核对" in summary and "138****1234" in summary, summary
    assert name in summary

    # Hover and tap every link of the summary: nothing may run.
    links = page.locator(".cr-bot").last.locator("a")
    for i in range(links.count()):
        links.nth(i).hover()
        assert re.match(r"^https?://", links.nth(i).get_attribute("href"))
    assert page.evaluate("() => window.__xss") is None
    assert page.locator(".MessageList img").count() == 0

    reply = tap(page, "确认提交")
    match = CASE_NO.search(reply)
    assert match, reply
    case = agent_get(stack, f"/api/v1/applications/{match.group(0)}")
    assert case["applicant"]["name"] == name
    assert [u["filename"] for u in case["uploads"]] == ["整改说明.pdf"]
    assert page.evaluate("() => window.__xss") is None and not page.errors


def test_reload_restores_this_session_and_new_chat_forgets_the_applicant(context, page, stack):
    open_widget(page, stack)
    say(page, TAX_RECORD)
    tap(page, "开始申请")
    assert "统一社会信用代码" in say(page, "成都回访测试科技有限公司")

    page.reload()
    page.wait_for_selector(".cr-bot", timeout=60_000)
    idle(page)
    text = log_text(page)
    assert "成都回访测试科技有限公司" in text and "统一社会信用代码" in text  # the question is visible again
    assert text.count("我是四川信用修复") == 1  # no second greeting
    assert page.locator(".cr-user", has_text="开始申请").count() == 1  # the button title, not its payload
    assert "/start_application" not in text

    page.locator(".cr-tool", has_text="新对话").click()
    page.wait_for_selector(".cr-notice", timeout=30_000)
    idle(page)
    assert "成都回访测试科技有限公司" not in log_text(page)
    page.reload()
    page.wait_for_selector(".cr-bot", timeout=60_000)
    idle(page)
    assert "成都回访测试科技有限公司" not in log_text(page)

    # The slots went with the old session: a new application asks for the name again.
    say(page, TAX_RECORD)
    assert "主体名称" in tap(page, "开始申请")

    # Another tab on the same device is another session (nothing of this one shows there).
    other = context.new_page()
    open_widget(other, stack)
    assert "主体名称" not in log_text(other) and other.locator(".cr-user").count() == 0
    other.close()


def test_a_double_tap_sends_once(page, stack):
    open_widget(page, stack)
    sent = []
    page.on("request", lambda r: sent.append(r.post_data) if r.url.endswith("/message") else None)
    page.fill("#cr-input", "需要什么材料")
    page.evaluate("() => { const b = document.querySelector('.cr-send'); b.click(); b.click(); }")
    page.locator(".cr-send").click(force=True, no_wait_after=True)
    idle(page)
    assert page.locator(".cr-user").count() == 1
    # A quick reply tapped twice: one message.
    page.evaluate("() => { const b = [...document.querySelectorAll('.cr-bot')].pop().querySelector('.cr-btn');"
                  " if (b) { b.click(); b.click(); } }")
    idle(page)
    messages = [json.loads(d)["text"] for d in sent if d]
    assert messages.count("需要什么材料") == 1, messages
    assert len(messages) <= 2 and page.locator(".cr-user").count() == len(messages)
    history = page.evaluate("""async () => (await (await fetch('./history', {headers: {'X-Chat-Session':
        sessionStorage.getItem('cr-web-session')}})).json()).messages""")
    assert sum(1 for m in history if m["who"] == "user") == len(messages)


def test_stale_buttons_are_disabled(page, stack):
    open_widget(page, stack)
    greeting = page.locator(".cr-bot").nth(bot_count(page) - 1).locator(".cr-btn")
    assert greeting.count() >= 2 and greeting.first.is_enabled()
    reply = say(page, TAX_RECORD)
    assert "开始申请" in reply
    assert all(greeting.nth(i).is_disabled() for i in range(greeting.count()))  # a newer message arrived
    current = page.locator(".cr-bot").nth(bot_count(page) - 1).locator(".cr-btn", has_text="开始申请")
    assert current.is_enabled()
    tap(page, "开始申请")
    assert current.is_disabled() and current.get_attribute("aria-pressed") == "true"  # used


@pytest.mark.parametrize("viewport", [{"width": 640, "height": 400}, {"width": 320, "height": 568}],
                         ids=["desktop-200%-zoom", "phone-320px"])
def test_elder_mode_keeps_send_visible_with_large_text_and_targets(browser, stack, viewport):  # noqa: F811
    # 1280x800 at 200% zoom lays out like a 640x400 CSS-pixel viewport.
    ctx = browser.new_context(viewport=viewport, device_scale_factor=2, locale="zh-CN")
    page = ctx.new_page()
    try:
        bodies = []
        page.on("request", lambda r: bodies.append(r.post_data) if r.url.endswith("/message") else None)
        open_widget(page, stack)
        elder = page.locator(".cr-tool", has_text="大字")
        elder.click()
        assert elder.get_attribute("aria-pressed") == "true"
        page.fill("#cr-input", "需要什么材料")
        send = page.locator(".cr-send")
        box = send.bounding_box()
        assert box and box["x"] >= 0 and box["y"] >= 0
        assert box["x"] + box["width"] <= viewport["width"] and box["y"] + box["height"] <= viewport["height"]
        assert box["height"] >= 44 and box["width"] >= 44
        assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
        font = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.cr-bot .Bubble')).fontSize)")
        assert font >= 20
        for tool in page.locator(".cr-tool").all():
            assert tool.bounding_box()["height"] >= 44
        send.click()
        idle(page)
        # the assistant is told to answer in plain language
        assert any(json.loads(b)["metadata"]["elder"] is True for b in bodies if b and "需要什么材料" in b)
        page.reload()
        page.wait_for_selector(".cr-bot", timeout=60_000)
        assert page.locator(".cr-tool", has_text="大字").get_attribute("aria-pressed") == "true"  # remembered
    finally:
        ctx.close()


PAYLOADS = [
    {"text": '<img src=x onerror="window.__xss=1">先看这里'},
    {"text": '点击 https://a.cn/"onmouseover="window.__xss=2" 查看'},
    {"text": "[官方链接](javascript:window.__xss=3) 和 **加粗** 以及\n- 第一项\n- 第二项"},
    {"text": "<script>window.__xss=4</script>", "image": "javascript:window.__xss=5",
     "buttons": [{"title": '<b onmouseover="window.__xss=6">按钮</b>', "payload": "/greet"}]},
]


def test_injected_markup_in_replies_is_shown_as_text_and_never_runs(page, stack):
    open_widget(page, stack)
    page.route("**/webhooks/web/message", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps({"replies": PAYLOADS})))
    say(page, "你好")
    log = page.locator(".MessageList")
    for link in log.locator("a").all():
        link.hover()
        assert re.match(r"^https?://", link.get_attribute("href") or "")
    for b in log.locator(".cr-btn").all():
        b.hover()
    assert page.evaluate("() => window.__xss") is None
    assert log.locator("img, script, b").count() == 0
    text = log.inner_text()
    assert '<img src=x onerror="window.__xss=1">' in text and "<script>" in text
    assert log.locator("strong", has_text="加粗").count() == 1 and log.locator("li").count() >= 2
    assert log.locator("a", has_text="官方链接").count() == 0  # a javascript: link is not a link


def test_rasa_unreachable_gives_a_clear_message_and_a_retry_that_sends_once(page, stack):
    open_widget(page, stack)
    page.route("**/webhooks/web/message", lambda route: route.abort("connectionrefused"))
    page.fill("#cr-input", "需要什么材料")
    page.click(".cr-send")
    failed = page.locator(".cr-failed")
    failed.wait_for(timeout=30_000)
    assert "网络不通" in failed.inner_text() and "12345" in failed.inner_text()
    assert page.locator(".cr-user", has_text="需要什么材料").count() == 1  # kept, not lost
    page.unroute("**/webhooks/web/message")
    before = bot_count(page)
    failed.locator("button", has_text="重新发送").click()
    reply = wait_reply(page, before)
    assert "材料" in reply
    assert page.locator(".cr-failed").count() == 0
    assert page.locator(".cr-user", has_text="需要什么材料").count() == 1


@pytest.mark.xfail(reason="verdicts are phone-sized now and 「查看详情」 arrives as several bubbles; "
                   "the scroll-to-start check must be rewritten for a multi-bubble reply (known gap, issue 13 note)",
                   strict=False)
def test_long_answers_open_at_their_start(page, stack):
    open_widget(page, stack)
    say(page, TAX_RECORD)  # the verdict is phone-sized; its 「查看详情」 gives the long explanation
    reply = tap(page, "查看详情")
    assert len(reply) > 400
    answer = page.locator(".cr-bot").last
    assert answer.bounding_box()["height"] > PHONE["viewport"]["height"]  # longer than the screen
    # The answer's first line comes into view (not its citation block at the end).
    page.wait_for_function("""() => { const m = [...document.querySelectorAll('.cr-bot')].pop();
        const list = document.querySelector('.MessageContainer').getBoundingClientRect();
        const top = m.getBoundingClientRect().top - list.top; return top >= -2 && top <= 60; }""", timeout=10_000)


def serve_host_page(body: str) -> ThreadingHTTPServer:
    """The embedding site, a real HTTP server on loopback (Chromium refuses loopback scripts
    to a page it cannot place on loopback, e.g. one made up by page.route)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            data = body.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", HOST_PORT), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_embed_snippet_adds_a_launcher_that_opens_the_widget(page, stack):
    host = serve_host_page(
        f'<!doctype html><html lang="zh-CN"><body><h1>四川政务服务网</h1>'
        f'<script src="{stack.rasa_url}/webhooks/web/widget.js" data-server="{stack.rasa_url}"></script>'
        f'</body></html>')
    try:
        page.goto(f"{HOST}/yijianshi")
        launcher = page.get_by_role("button", name="在线咨询")
        launcher.click()
        frame = page.frame_locator("iframe.crw-frame")
        frame.locator(".cr-bot").first.wait_for(timeout=90_000)
        assert "信用修复" in frame.locator(".MessageList").inner_text()
        page.get_by_role("button", name="关闭").click()
        assert launcher.is_visible()
    finally:
        host.shutdown()


def test_the_page_names_the_operator_links_privacy_and_offers_a_human(page, stack):
    open_widget(page, stack)
    header = page.locator(".cr-header")
    assert "四川省发展和改革委员会" in header.inner_text()
    assert page.locator("[role=log]").count() == 1
    assert page.get_by_label("输入消息").count() == 1
    href = header.get_by_role("link", name="隐私说明").get_attribute("href")
    privacy = httpx.get(stack.widget_url + href.lstrip("./"), timeout=10)
    assert privacy.status_code == 200 and "隐私说明" in privacy.text
    before = bot_count(page)
    page.locator(".cr-tool", has_text="转人工").click()
    reply = wait_reply(page, before)
    assert "12345" in reply or "人工" in reply, reply
    assert page.locator(".cr-user", has_text="转人工").count() == 1


def test_case_store_widget_address_redirects_to_the_assistant(stack):
    r = httpx.get(f"{stack.casestore_url}/widget", timeout=10, follow_redirects=False)
    assert r.status_code in (301, 302, 307, 308)
    assert r.headers["location"].endswith("/webhooks/web/")


def test_forged_session_is_refused_and_sessions_are_the_servers(stack):
    url = stack.widget_url
    r = httpx.post(url + "message", json={"text": "你好"}, headers={"X-Chat-Session": "web-mine.forged"}, timeout=60)
    assert r.status_code == 401 and "会话" in r.json()["message"]
    s = httpx.post(url + "session", json={}, timeout=10).json()
    assert s["session"].startswith("web-") and not s["resumed"]
    again = httpx.post(url + "session", json={}, headers={"X-Chat-Session": s["session"]}, timeout=10).json()
    assert again["session"] == s["session"] and again["resumed"]
