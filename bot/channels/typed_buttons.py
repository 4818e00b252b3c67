"""A button's title typed instead of tapped (「开始申请（已填信息自动带入）」 copied from the list WeChat
shows, or typed in a channel without buttons) is the button: its payload goes to Rasa, so the
bot's own words are never misread by NLU (hand try: the title got a guide page about 公示期限).

Only the bot's latest message's buttons count, and only when the conversation is in the tracker
store's memory (no extra database read per message); the title stays in the message's metadata
as `shown`, as a tapped button's does."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rasa.shared.core.events import BotUttered, UserUttered

from bot.guide import load_guide
from bot.rules.explain import DETAILS_BUTTON_KEY
from bot.texts import t

MAX_TITLE = 30
_SKIP = re.compile(r"[\s，。,.!！?？“”\"'、~～]+")


def _norm(text: str) -> str:
    return _SKIP.sub("", unicodedata.normalize("NFKC", text or ""))


def latest_buttons(tracker: Any) -> list[dict]:
    """The buttons of the bot's messages since the user's latest message (none when the user
    has spoken since)."""
    buttons: list[dict] = []
    for event in reversed(list(getattr(tracker, "events", None) or [])):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            buttons = list((event.data or {}).get("buttons") or []) + buttons
    return buttons


# how far back an earlier message's button still counts when typed; and its shortest title (「好了」
# 「是」 mean what the latest question asks, not an old button)
EARLIER_EVENTS = 60
EARLIER_MIN_TITLE = 4
# the buttons whose meaning does not depend on the question they came with (a topic button carries
# an item and department of its time; 「确认撤回」 is a 「同意」 to whatever is asked now)
STANDING_PAYLOADS = ("/start_application", "/add_record")


def earlier_buttons(tracker: Any) -> list[dict]:
    """The buttons of the bot's messages before the user's latest message, newest first."""
    events = list(getattr(tracker, "events", None) or [])[-EARLIER_EVENTS:]
    buttons: list[dict] = []
    seen_user = False
    for event in reversed(events):
        if isinstance(event, UserUttered):
            seen_user = True
        elif seen_user and isinstance(event, BotUttered):
            buttons += list((event.data or {}).get("buttons") or [])
    return buttons


def payload_of(tracker: Any, text: str | None) -> str | None:
    """The payload of the button whose title `text` is, or None."""
    said = _norm(text or "")
    if not said or len(said) > MAX_TITLE or said.startswith("/"):
        return None
    buttons = [b for b in latest_buttons(tracker)
               if isinstance(b.get("title"), str) and isinstance(b.get("payload"), str) and b.get("payload")]
    for button in buttons:
        if _norm(button["title"]) == said:
            return button["payload"]
    if len(said) <= 6 and load_guide().lexicon.mentions(said, "detail_requests"):
        # 「详细」, as the reply itself says to answer (「回复“详细”或点“查看详情”」): the details button
        details = _norm(t(DETAILS_BUTTON_KEY))
        return next((b["payload"] for b in buttons if _norm(b["title"]) == details), None)
    if len(said) >= EARLIER_MIN_TITLE:
        # 「开始申请（已填信息自动带入）」 typed from a list two replies up, after a question in
        # between (fifth hand try: a guide page about 公示期限, the form not started)
        for button in earlier_buttons(tracker):
            if isinstance(button.get("title"), str) and isinstance(button.get("payload"), str) \
                    and button["payload"].split("{")[0] in STANDING_PAYLOADS and _norm(button["title"]) == said:
                return button["payload"]
    return None


def take_typed_button(tracker: Any, message: Any) -> None:
    """Replace a typed title by its payload, in place."""
    payload = payload_of(tracker, getattr(message, "text", None))
    if payload and payload != message.text:
        metadata = dict(getattr(message, "metadata", None) or {})
        metadata.setdefault("shown", message.text)
        message.metadata = metadata
        message.text = payload
