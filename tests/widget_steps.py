"""What a user does in the chat widget (bot/pages), for the Playwright tests: wait until the page
is idle, type a message, tap a button, and read the bot's new bubbles."""

from __future__ import annotations

from playwright.sync_api import TimeoutError as PlaywrightTimeout


def idle(page, timeout=90_000):
    page.wait_for_function("() => { const f = document.querySelector('.cr-composer');"
                           " return f && f.getAttribute('aria-busy') === 'false'; }", timeout=timeout)


def bot_count(page) -> int:
    return page.locator(".cr-bot").count()


def wait_reply(page, before: int, timeout=90_000) -> str:
    """The text of the bot bubbles after the first `before` ones, once at least one is new."""
    try:
        page.wait_for_function(f"() => document.querySelectorAll('.cr-bot').length > {before}", timeout=timeout)
    except PlaywrightTimeout as e:
        raise AssertionError(f"no new reply in {timeout // 1000} s; the chat shows:\n{chat_state(page)}") from e
    idle(page)
    return "\n".join(page.locator(".cr-bot").nth(i).inner_text() for i in range(before, bot_count(page)))


def say(page, text: str) -> str:
    before = bot_count(page)
    page.fill("#cr-input", text)
    page.click(".cr-send")
    return wait_reply(page, before)


def tap(page, title: str) -> str:
    """Tap a button of the newest bot message (its title may be longer than `title`).

    Right after a reply the widget scrolls to its start (80 and 450 ms later, after ChatUI's own
    animated scroll): a click that lands while the list moves hits the place the button was and
    sends nothing (seen on a loaded machine: the verdict's 「开始申请」 never sent). A tap that took
    marks its button pressed at once; one that did not is made again — nothing was sent."""
    before = bot_count(page)
    button = page.locator(".cr-bot").last.locator(".cr-btn", has_text=title).first
    took = ("([b, n]) => b.getAttribute('aria-pressed') === 'true' || document.querySelectorAll('.cr-bot').length > n"
            " || document.querySelector('.cr-composer')?.getAttribute('aria-busy') === 'true'")
    for _ in range(3):
        handle = button.element_handle()
        button.click()
        try:
            page.wait_for_function(took, arg=[handle, before], timeout=3_000)
            break
        except PlaywrightTimeout:
            continue
    return wait_reply(page, before)


def chat_state(page) -> str:
    """What the user sees when a reply does not come: the end of the conversation, whether the
    composer is busy, and any failed message (the widget's own timeout shows one with 「重试」)."""
    return page.evaluate("""() => {
      const list = document.querySelector('.MessageList');
      const composer = document.querySelector('.cr-composer');
      const failed = [...document.querySelectorAll('.cr-retry')].length;
      return `busy=${composer && composer.getAttribute('aria-busy')} failed=${failed} ` +
             `bubbles=${document.querySelectorAll('.cr-bot').length}\n` +
             (list ? list.innerText.slice(-800) : '(no message list)');
    }""")
