"""What every input channel does before a message reaches the tracker, and after the bot answered.

`guard(on_new_message)` wraps Rasa's callback (one line in a channel's `blueprint`):
- a message longer than MAX_CHARS (2,000) is cut there; the rest is dropped, never stored,
  and the user is told so first;
- the sender id is registered with the log pseudonymiser;
- an angry message (guides/lexicon.yml `angry_words`) becomes the 「转人工」 request, with the
  user's words kept (bot/dialogue/auto_handoff.py);
- when a custom action failed on the way (the action server is down or broke), the user
  gets a Chinese apology with the hotline instead of silence;
- when the conversation lock cannot be taken (the Redis lock store is down or hung:
  bot/lock_store.py), the message is not handled and the user is told so, in Chinese.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any, Awaitable, Callable

from rasa.core.lock_store import LockError

from bot.security.pseudonym import register as register_sender

logger = logging.getLogger(__name__)
MAX_CHARS = 2000
_failures: contextvars.ContextVar[list | None] = contextvars.ContextVar("action_failures", default=None)
_FAILURE_TEXT = "Encountered an exception while running action"


class _ActionFailureWatch(logging.Handler):
    """Sees Rasa's 'Encountered an exception while running action' and marks the message."""

    def emit(self, record: logging.LogRecord) -> None:
        box = _failures.get()
        if box is not None and str(record.msg).startswith(_FAILURE_TEXT):
            box.append(record.name)


def _install_watch() -> None:
    logger = logging.getLogger("rasa.core.processor")
    if not any(isinstance(h, _ActionFailureWatch) for h in logger.handlers):
        logger.addHandler(_ActionFailureWatch(level=logging.ERROR))


def cap(text: str | None) -> tuple[str | None, bool]:
    """(text cut to MAX_CHARS, whether anything was dropped)."""
    if text is None or len(text) <= MAX_CHARS:
        return text, False
    return text[:MAX_CHARS], True


def hotline() -> str:
    """The service hotline from guides/service.yml (12345 if the guide cannot be read)."""
    try:
        from bot.guide.loader import load_guide

        return load_guide().service["hotline"]
    except Exception:  # the apology must never fail
        return "12345"


def apology() -> str:
    from bot.texts import t

    return t("security.action_server_down", hotline=hotline())


def guard(on_new_message: Callable[[Any], Awaitable[Any]]) -> Callable[[Any], Awaitable[Any]]:
    _install_watch()

    async def handle(message) -> Any:
        from bot.texts import t

        register_sender(getattr(message, "sender_id", None))
        message.text, dropped = cap(message.text)
        try:
            from bot.dialogue.auto_handoff import mark_angry
            from bot.dialogue.opening import mark_opening

            mark_angry(message)
            mark_opening(message)
        except Exception:  # a broken word list must not stop the conversation
            logging.getLogger(__name__).exception("angry-message check failed")
        out = getattr(message, "output_channel", None)
        if dropped and out is not None:
            await out.send_text_message(message.sender_id, t("security.message_too_long", limit=MAX_CHARS))
        box: list = []
        token = _failures.set(box)
        try:
            result = await on_new_message(message)
        except LockError:
            logger.exception("conversation lock unavailable: message not handled")
            if out is not None:
                await out.send_text_message(message.sender_id, t("scaling.busy", hotline=hotline()))
            return None
        finally:
            _failures.reset(token)
        if box and out is not None:
            await out.send_text_message(message.sender_id, apology())
        return result

    return handle
