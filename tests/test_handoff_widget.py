"""Human handoff end to end, in headless Debian Chromium against the real Rasa + actions + case
store (tests/chat_stack.py): an applicant half-way through the form asks for a human in the
website widget; the agent's console shows the conversation with its transcript and the partly
filled form; what the applicant types meanwhile reaches the console and is not answered by the
bot; the agent's reply appears in the open widget; the agent hands back, the applicant rates the
service (好差评; a bad rating gets a box for the reason) and the form goes on with the question it was asking.

Needs the trained model and the built pages (`make test` does both before pytest)."""

from __future__ import annotations

import os
import re
from types import SimpleNamespace

import httpx
import pytest

from bot.channels.web import DIST
from tests.browser import CHROMIUM_ARGS, DESKTOP, PHONE, chromium_path
from tests.casestore_fixtures import REPO
from tests.chat_stack import MODEL, ChatStack
from tests.widget_steps import bot_count, idle, say, tap, wait_reply
from tests.staff_fixtures import PASSWORD, add_users

pytestmark = pytest.mark.skipif(not MODEL.exists() and not os.environ.get("CI"),
                                reason="no trained model: run `make model` first")

MARKET_RECORD = "我们公司2026年3月10日被市场监管局罚了2万，已经交了，现在能修复不？"
COMPANY = "成都锦程商贸有限公司"


@pytest.fixture(scope="module")
def browser():
    """Closed at the end of this module (a session-wide sync Playwright breaks later
    pytest-asyncio tests; see tests/test_staff_browser.py)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not (DIST / "widget.html").exists():
        pytest.fail("the widget is not built: run `make pages` (make test does)")
    s = ChatStack(tmp_path_factory.mktemp("handoff-widget"))
    s.env["RASA_URL"] = s.rasa_url  # the console injects the agent's words through Rasa's HTTP API
    with s:
        add_users(SimpleNamespace(database_url=s.env["DATABASE_URL"]))
        yield s


def shot(page, name: str) -> None:
    """For docs/screenshots — only under `make screenshots` (WRITE_SCREENSHOTS=1)."""
    if os.environ.get("WRITE_SCREENSHOTS") == "1":
        page.screenshot(path=str(REPO / "docs" / "screenshots" / name), full_page=False)


# --- the applicant's widget ----------------------------------------------------------------










# --- the agent's console -------------------------------------------------------------------
def login_agent(page, stack) -> None:
    page.goto(f"{stack.casestore_url}/console")
    page.get_by_label("用户名").fill("agent1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile("/console$"))


def test_applicant_asks_for_a_human_agent_replies_in_the_widget_and_the_form_resumes(stack, browser):
    user_ctx = browser.new_context(**PHONE)
    user = user_ctx.new_page()
    user_errors: list[str] = []
    user.on("pageerror", lambda e: user_errors.append(str(e)))
    user.goto(stack.widget_url)
    user.wait_for_selector(".cr-bot", timeout=90_000)
    idle(user)

    # Half-way through the form: the name is given, the credit code is being asked.
    reply = say(user, MARKET_RECORD)
    if "失信程度" in reply:
        reply = tap(user, "一般")
    assert "现在就可以申请" in reply, reply
    assert "主体名称" in tap(user, "开始申请")
    assert "统一社会信用代码" in say(user, COMPANY)

    before = bot_count(user)
    user.get_by_role("button", name="转人工").click()
    notice = wait_reply(user, before)
    assert "人工" in notice and ("请稍候" in notice or "上线后" in notice), notice
    # While the agent has the conversation the bot does not answer; the words go to the console,
    # and until an agent answers the user is told they were passed on (never silence).
    before = bot_count(user)
    user.fill("#cr-input", "信用代码在营业执照哪个位置？")
    user.click(".cr-send")
    ack = wait_reply(user, before)
    assert ack.startswith("收到") and ("已转给人工客服" in ack or "上线后回复" in ack), ack
    idle(user)
    assert bot_count(user) == before + 1  # the acknowledgement only: the question is the agent's
    assert "已转人工客服" in user.locator(".cr-status").inner_text()

    # The agent sees it in the queue with the transcript and the partly filled form.
    agent_ctx = browser.new_context(**DESKTOP)
    agent = agent_ctx.new_page()
    agent_errors: list[str] = []
    agent.on("console", lambda m: agent_errors.append(m.text) if m.type == "error" else None)
    login_agent(agent, stack)
    row = agent.locator("#handoff-queue tr[data-handoff]").first
    row.wait_for(timeout=15_000)
    assert "用户要求转人工" in row.inner_text()
    row.locator("a").click()
    transcript = agent.locator("#transcript")
    assert COMPANY in transcript.inner_text() and "统一社会信用代码" in transcript.inner_text()
    assert agent.locator(f'input[value="{COMPANY}"]').count() == 1  # the form so far, editable
    # the user's message sent while paused shows up within seconds (the page refreshes itself)
    agent.wait_for_function("() => document.getElementById('transcript').innerText.includes('营业执照哪个位置')",
                            timeout=15_000)

    # The agent replies; the open widget shows it without the applicant doing anything.
    before = bot_count(user)
    agent.get_by_label("回复用户").fill("您好，我是坐席小王。信用代码在营业执照左上角，18位。")
    agent.get_by_role("button", name="发送").click()
    assert "已发送给用户" in agent.get_by_role("status").inner_text()
    assert re.search(r"\d+ 秒", agent.locator("#first-response").inner_text())
    assert "营业执照左上角" in wait_reply(user, before, timeout=20_000)
    shot(agent, "handoff-console.png")

    # Hand back: the applicant is asked to rate the service, and the form asks its question again.
    before = bot_count(user)
    agent.get_by_role("button", name="交还智能助手").click()
    assert "已交还智能助手" in agent.get_by_role("status").inner_text()
    user.wait_for_function(
        f"() => [...document.querySelectorAll('.cr-bot')].slice({before})"
        ".some(e => e.innerText.includes('统一社会信用代码'))", timeout=30_000)
    back = "\n".join(user.locator(".cr-bot").nth(i).inner_text() for i in range(before, bot_count(user)))
    assert "好差评" in back, back
    rating = user.locator(".cr-rating").last
    assert rating.locator(".cr-btn").count() == 5
    rating.locator(".cr-btn", has_text="不满意").first.click()  # 不满意 (before 非常不满意)
    user.wait_for_selector(".cr-rating .is-done", timeout=15_000)
    assert "督办负责人" in rating.inner_text()
    # a bad rating: a box for the optional reason, in the user's own words, sent once
    box = rating.locator(".cr-reason")
    assert "不满意" in box.inner_text()
    send = box.get_by_role("button", name="提交意见")
    assert send.is_disabled()  # nothing written yet
    box.get_by_role("textbox").fill("坐席回得有点慢，等了好几分钟")
    send.click()
    user.wait_for_selector(".cr-reason .is-done", timeout=15_000)
    assert "已记下您的意见" in box.inner_text() and send.is_disabled()
    shot(user, "handoff-widget-phone.png")
    # a handoff that was not offered in this conversation cannot be rated from it
    token = user.evaluate("() => sessionStorage.getItem('cr-web-session')")
    forged = httpx.post(f"{stack.widget_url}rating", json={"handoff_id": 999, "level": 1},
                        headers={"X-Chat-Session": token}, timeout=10)
    assert forged.status_code == 404 and "没有找到" in forged.json()["message"]
    # nor can a reason be written into another conversation's rating, and an empty one is explained
    other = httpx.post(f"{stack.widget_url}rating/reason", json={"rating_id": 999, "reason": "乱写的"},
                       headers={"X-Chat-Session": token}, timeout=10)
    assert other.status_code == 404 and "没有找到" in other.json()["message"]
    empty = httpx.post(f"{stack.widget_url}rating/reason", json={"rating_id": 1, "reason": " 。"},
                       headers={"X-Chat-Session": token}, timeout=10)
    assert empty.status_code == 422 and "请先写几句" in empty.json()["message"]
    assert user.locator(".cr-with-agent").count() == 0  # the assistant has the conversation again

    # The form continues where it was: the credit code is taken, the next question comes.
    assert "法定代表人" in say(user, "91350100M000100Y43")
    assert user_errors == [] and agent_errors == []

    # The rating is stored for this handoff (the dashboard's satisfaction counts it).
    summary = httpx.get(f"{stack.casestore_url}/api/v1/ratings/summary",
                        headers={"Authorization": "Bearer e2e-agent"}, timeout=10).json()
    assert summary["by_context"]["handoff"]["by_level"]["不满意"] == 1, summary
    tasks = httpx.get(f"{stack.casestore_url}/api/v1/followups",
                      headers={"Authorization": "Bearer e2e-agent"}, timeout=10).json()["followups"]
    assert [t["rating"]["reason"] for t in tasks] == ["坐席回得有点慢，等了好几分钟"]
    user_ctx.close()
    agent_ctx.close()
