"""Phone and desktop screenshots of the chat widget for the README: `make screenshots`
(python -m tests.screenshots docs/screenshots). Drives the real assistant (tests/chat_stack.py)
in headless Debian Chromium, like tests/test_widget.py does."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser import CHROMIUM_ARGS, DESKTOP, PHONE, chromium_path
from tests.chat_stack import ChatStack

RECORD = "我们公司2026年3月10日被市场监管局罚了2万，已经交了，现在能修复不？"


def _idle(page) -> None:
    page.wait_for_function("() => { const f = document.querySelector('.cr-composer');"
                           " return f && f.getAttribute('aria-busy') === 'false'; }", timeout=120_000)


def _say(page, text: str) -> None:
    before = page.locator(".cr-bot").count()
    page.fill("#cr-input", text)
    page.click(".cr-send")
    page.wait_for_function(f"() => document.querySelectorAll('.cr-bot').length > {before}", timeout=120_000)
    _idle(page)


def _tap(page, title: str) -> None:
    before = page.locator(".cr-bot").count()
    page.locator(".cr-bot").last.locator(".cr-btn", has_text=title).first.click()
    page.wait_for_function(f"() => document.querySelectorAll('.cr-bot').length > {before}", timeout=120_000)
    _idle(page)


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(".cr-bot", timeout=120_000)
    _idle(page)
    page.wait_for_timeout(300)  # let ChatUI's scroll animation settle before the picture


def shoot(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = []
    stack = ChatStack(Path(tempfile.mkdtemp(prefix="shots-")))
    # The example host page below, served on loopback (Chromium blocks loopback scripts otherwise).
    from tests.test_widget import HOST, serve_host_page

    stack.env["WIDGET_EMBED_ORIGINS"] = HOST
    with stack, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)

        phone = browser.new_context(**PHONE).new_page()
        _open(phone, stack.widget_url)
        files.append(out / "widget-phone-welcome.png")
        phone.screenshot(path=str(files[-1]))
        _say(phone, RECORD)
        if "失信程度" in phone.locator(".cr-bot").last.inner_text():
            _tap(phone, "一般")
        phone.wait_for_timeout(600)
        files.append(out / "widget-phone-answer.png")
        phone.screenshot(path=str(files[-1]))
        _tap(phone, "开始申请")
        for answer in ("成都某某科技有限公司", "91350100M000100Y43", "张三", "本人", "13812341234"):
            _say(phone, answer)
        phone.wait_for_timeout(600)
        files.append(out / "widget-phone-upload.png")
        phone.screenshot(path=str(files[-1]))

        elder = browser.new_context(**{**PHONE, "viewport": {"width": 320, "height": 640}}).new_page()
        _open(elder, stack.widget_url)
        elder.locator(".cr-tool", has_text="大字").click()
        _say(elder, "需要什么材料")
        elder.wait_for_timeout(600)
        files.append(out / "widget-phone-elder-320.png")
        elder.screenshot(path=str(files[-1]))

        desktop = browser.new_context(**DESKTOP).new_page()
        _open(desktop, stack.widget_url)
        _say(desktop, "修复要多久？")
        desktop.wait_for_timeout(600)
        files.append(out / "widget-desktop.png")
        desktop.screenshot(path=str(files[-1]))

        host = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>四川政务服务网</title></head>'
                f'<body style="margin:0;font-family:sans-serif;background:#f5f5f5"><div style="background:#1f4e9c;color:#fff;'
                f'padding:18px 32px;font-size:22px">四川政务服务网 · 信用修复“一件事”</div><p style="padding:24px 32px">'
                f'（嵌入示例页面）</p><script src="{stack.widget_url}widget.js" data-server="{stack.rasa_url}"></script>'
                f'</body></html>')
        embed = browser.new_context(**DESKTOP).new_page()
        host_server = serve_host_page(host)
        embed.goto(f"{HOST}/")
        embed.get_by_role("button", name="在线咨询").click()
        embed.frame_locator("iframe.crw-frame").locator(".cr-bot").first.wait_for(timeout=120_000)
        embed.wait_for_timeout(800)
        files.append(out / "widget-embedded.png")
        embed.screenshot(path=str(files[-1]))
        host_server.shutdown()
        browser.close()
    return files


if __name__ == "__main__":
    for f in shoot(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")):
        print(f)
