"""What a user does in the chat widget (bot/pages), for the Playwright tests: wait until the page
is idle, type a message, tap a button, and read the bot's new bubbles."""

from __future__ import annotations


def idle(page, timeout=90_000):
    page.wait_for_function("() => { const f = document.querySelector('.cr-composer');"
                           " return f && f.getAttribute('aria-busy') === 'false'; }", timeout=timeout)


def bot_count(page) -> int:
    return page.locator(".cr-bot").count()


def wait_reply(page, before: int, timeout=90_000) -> str:
    """The text of the bot bubbles after the first `before` ones, once at least one is new."""
    page.wait_for_function(f"() => document.querySelectorAll('.cr-bot').length > {before}", timeout=timeout)
    idle(page)
    return "\n".join(page.locator(".cr-bot").nth(i).inner_text() for i in range(before, bot_count(page)))


def say(page, text: str) -> str:
    before = bot_count(page)
    page.fill("#cr-input", text)
    page.click(".cr-send")
    return wait_reply(page, before)


def tap(page, title: str) -> str:
    """Tap a button of the newest bot message (its title may be longer than `title`)."""
    before = bot_count(page)
    page.locator(".cr-bot").last.locator(".cr-btn", has_text=title).first.click()
    return wait_reply(page, before)
