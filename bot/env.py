"""Numbers from the environment for the Rasa-side tuning knobs (tracker cache, lock store,
action-server connection): one reader, so a bad value is treated the same everywhere — logged
and replaced by the default, never a crash at start-up."""

from __future__ import annotations

import logging
import os
from typing import Callable, Optional, TypeVar

logger = logging.getLogger(__name__)
N = TypeVar("N", int, float)


def env_number(name: str, default: N, kind: Callable[[str], N] = float, minimum: Optional[N] = 0) -> N:
    """`name` read as `kind` (at least `minimum`); empty or unset: `default`."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        logger.warning("%s=%r is not a %s: using %s", name, raw,
                       "whole number" if kind is int else "number", default)
        return default
    return value if minimum is None else max(minimum, value)
