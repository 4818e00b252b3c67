"""When the assistant hands a conversation to a human by itself (转人工 without being asked):

- an **angry** message (a word of `angry_words` in guides/lexicon.yml): every channel's guard
  (bot/channels/limits.py) turns it into the 「转人工」 request, keeping the user's own words
  (`metadata.shown`) for the transcript, with `metadata.handoff_reason = "angry"`;
- **three failed answers in a row**: the guide's retrieval fallback found nothing clear
  (its reply is marked `failed_answer`) or Rasa's core fallback said 「没太明白」 (utter_default),
  for the third user turn running — action_guide_fallback then opens the handoff itself.
"""

from __future__ import annotations

from typing import Any, Iterable

REQUEST_HUMAN = "/request_human"
REASON_KEY = "handoff_reason"


def failed_answers_before_handoff() -> int:
    """How many failed answers in a row hand the conversation to a human (guides/service.yml)."""
    from bot.guide.loader import load_guide

    return int(load_guide().service["handoff_after_failed_answers"])


def angry_words() -> list[str]:
    from bot.guide.loader import load_guide

    return list(load_guide().lexicon.section("angry_words") or [])


def is_angry(text: str | None) -> bool:
    text = (text or "").strip()
    if not text or text.startswith("/"):
        return False
    folded = text.lower()
    return any(w.lower() in folded for w in angry_words())


def mark_angry(message: Any) -> bool:
    """Turn an angry UserMessage into the handoff request (in place); True when it was angry."""
    if not is_angry(getattr(message, "text", None)):
        return False
    meta = dict(getattr(message, "metadata", None) or {})
    meta.setdefault("shown", message.text)
    meta[REASON_KEY] = "angry"
    message.metadata = meta
    message.text = REQUEST_HUMAN
    return True


def _failed(event: dict) -> bool:
    meta = event.get("metadata") or {}
    return bool(meta.get("failed_answer")) or meta.get("utter_action") == "utter_default"


def failed_in_a_row(events: Iterable[dict]) -> int:
    """How many of the latest user turns, running back from the newest completed one, the
    assistant answered with a failure. A hand-back (`resume`), a restart or a turn it did answer
    ends the run."""
    turns: list[list[dict]] = []
    for e in events:
        kind = e.get("event")
        if kind == "user":
            turns.append([])
        elif kind in ("resume", "restart", "session_started"):
            turns = []
        elif kind == "bot" and turns:
            turns[-1].append(e)
    count = 0
    # the newest turn is the one being answered now (no bot message yet): skip it
    for bots in reversed(turns[:-1]):
        if bots and any(_failed(b) for b in bots):
            count += 1
        else:
            break
    return count


def reason_of(latest_message: dict | None) -> str:
    meta = (latest_message or {}).get("metadata") or {}
    return "angry" if meta.get(REASON_KEY) == "angry" else "asked"
