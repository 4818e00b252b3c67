"""The one catalogue of user-facing texts: `guides/messages.yml`, read through `t(key, **vars)`.

Keys are dotted (`form.ask.phone`); values are Chinese strings with `{name}` placeholders, filled
with `str.format`. A missing key or placeholder raises at once (a test renders every key), so a
typo never reaches a user as a blank message.
"""

from __future__ import annotations

import functools
import string
from pathlib import Path
from typing import Any

import yaml

MESSAGES_FILE = Path(__file__).resolve().parents[1] / "guides" / "messages.yml"


class MissingText(KeyError):
    """A key that guides/messages.yml does not define."""


@functools.lru_cache(maxsize=1)
def catalogue() -> dict[str, str]:
    """Every text, flattened to dotted keys."""
    raw = yaml.safe_load(MESSAGES_FILE.read_text(encoding="utf-8")) or {}
    flat: dict[str, str] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        elif isinstance(node, str):
            flat[prefix] = node.rstrip("\n")
        else:
            raise TypeError(f"guides/messages.yml: {prefix} must be a string, not {type(node).__name__}")

    walk("", raw)
    return flat


def t(key: str, **values: Any) -> str:
    """The text for `key` with its placeholders filled."""
    try:
        template = catalogue()[key]
    except KeyError:
        raise MissingText(f"guides/messages.yml has no text '{key}'") from None
    return template.format(**values) if values or "{" in template else template


def placeholders(key: str) -> set[str]:
    """The `{names}` a text expects (for tests)."""
    return {name for _, name, _, _ in string.Formatter().parse(catalogue()[key]) if name}
