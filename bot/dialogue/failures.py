"""Counting invalid answers per question; after repeated failures, offer human help, and after
as many failures as the guide allows (guides/service.yml `handoff_after_failed_answers`) on the
same question, hand the conversation to a help-desk agent."""

from __future__ import annotations

from typing import Any

from bot.guide import load_guide
from bot.texts import t

HELP_AFTER_FAILURES = 2


def count_failure(failures: dict[str, Any] | None, slot: str) -> tuple[dict[str, int], str | None]:
    """(updated counters, help text when this question failed often enough to offer a human)."""
    counts = dict(failures or {})
    counts[slot] = int(counts.get(slot, 0)) + 1
    help_text = None
    if counts[slot] == HELP_AFTER_FAILURES:  # once per question, not on every later miss
        help_text = t("form.help_once", hotline=load_guide().service["hotline"])
    return counts, help_text


def reset_failures(failures: dict[str, Any] | None, slot: str) -> dict[str, int] | None:
    counts = {k: v for k, v in (failures or {}).items() if k != slot}
    return counts or None


def newly_failed_too_often(before: dict[str, Any] | None, events: list[dict]) -> str | None:
    """The question that reached the handoff count in this turn (from the form validation's
    `form_failures` slot event), or None."""
    from bot.dialogue.auto_handoff import failed_answers_before_handoff

    limit = failed_answers_before_handoff()
    after = next((e.get("value") for e in reversed(events)
                  if e.get("event") == "slot" and e.get("name") == "form_failures"), None)
    for slot, count in (after or {}).items():
        if int(count) >= limit > int((before or {}).get(slot, 0)):
            return slot
    return None


async def hand_over_after_failures(dispatcher, tracker, before: dict[str, Any] | None,
                                   events: list[dict]) -> list[dict]:
    """After the form validation (`before`: the failure counts before it): when a question has now failed as often as the guide allows, a
    help-desk agent takes over (the form is kept for them, bot/dialogue/handoff.py), else nothing.
    The case store down: the help text already shown stands."""
    from rasa_sdk.events import ConversationPaused

    from bot.dialogue.handoff import notice_of, open_handoff

    if tracker.is_paused() or not newly_failed_too_often(before, events):
        return []
    handoff = await open_handoff(tracker, "form_failures")
    if handoff is None:
        return []
    dispatcher.utter_message(text=t("staff14b.auto.form_failures"))
    dispatcher.utter_message(text=notice_of(handoff))
    return [ConversationPaused()]
