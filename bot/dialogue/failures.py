"""Counting invalid answers per question; after repeated failures, offer human help."""

from __future__ import annotations

from typing import Any

from bot.replies import human_handoff_text
from bot.texts import t

HELP_AFTER_FAILURES = 2


def count_failure(failures: dict[str, Any] | None, slot: str) -> tuple[dict[str, int], str | None]:
    """(updated counters, help text when this question failed often enough to offer a human)."""
    counts = dict(failures or {})
    counts[slot] = int(counts.get(slot, 0)) + 1
    help_text = None
    if counts[slot] == HELP_AFTER_FAILURES:  # once per question, not on every later miss
        help_text = t("form.help_once", handoff=human_handoff_text())
    return counts, help_text


def reset_failures(failures: dict[str, Any] | None, slot: str) -> dict[str, int] | None:
    counts = {k: v for k, v in (failures or {}).items() if k != slot}
    return counts or None
