"""The chat widget page is served by the case store and points at the Rasa REST channel."""

import sys

import httpx

from tests.chat_stack import ChatStack


def test_widget_page_is_served_and_uses_the_rest_channel(tmp_path):
    stack = ChatStack(tmp_path)
    stack.env["RASA_PUBLIC_URL"] = "http://127.0.0.1:5999"
    stack._spawn("casestore", [sys.executable, "-m", "bot.casestore", "serve"])
    try:
        stack._wait(f"{stack.casestore_url}/healthz", "casestore", 60)
        page = httpx.get(f"{stack.casestore_url}/widget", timeout=10)
    finally:
        stack.__exit__(None, None, None)
    assert page.status_code == 200
    assert "信用修复" in page.text and 'name="viewport"' in page.text
    assert 'const RASA = "http://127.0.0.1:5999"' in page.text
    assert "/webhooks/rest/webhook" in page.text
    assert "__HOTLINE__" not in page.text and "12345" in page.text  # hotline from guides/service.yml
