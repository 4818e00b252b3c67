"""Mask phone and ID numbers in every log line a process writes (actions, case store)."""

from __future__ import annotations

import logging

from bot.parsing.masking import PersonalDataFilter

_FILTER = PersonalDataFilter()


def mask_personal_data_in_logs() -> None:
    """Attach the masking filter to the root logger's handlers (and to the root logger, for
    handlers added later by libraries that log through it). Safe to call more than once."""
    root = logging.getLogger()
    if _FILTER not in root.filters:
        root.addFilter(_FILTER)
    for handler in root.handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
