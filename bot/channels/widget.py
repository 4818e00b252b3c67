"""The website chat widget: one self-contained page that talks to Rasa's REST channel."""

from __future__ import annotations

import os
from pathlib import Path

_PAGE = Path(__file__).with_name("widget.html")


def widget_page(rasa_url: str | None = None) -> str:
    from bot.guide import load_guide

    url = rasa_url or os.environ.get("RASA_PUBLIC_URL") or f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"
    page = _PAGE.read_text(encoding="utf-8").replace("__RASA_URL__", url.rstrip("/"))
    return page.replace("__HOTLINE__", load_guide().service["hotline"])
