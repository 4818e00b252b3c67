"""Today's date for the assistant. `ASSISTANT_TODAY=YYYY-MM-DD` pins it (tests, demos)."""

from __future__ import annotations

import datetime as dt
import os


def today() -> dt.date:
    pinned = os.environ.get("ASSISTANT_TODAY")
    if pinned:
        return dt.date.fromisoformat(pinned)
    return dt.date.today()
