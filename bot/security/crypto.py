"""Encryption at rest for conversation data: Fernet (AES-128-CBC + HMAC-SHA256) keys from
`TRACKER_ENCRYPTION_KEY` (one key, or several separated by commas: the first encrypts, all
decrypt, so keys can be rotated). Without it — development only — a key is generated once
into var/tracker.key (mode 600); production refuses to start without the variable.

Make a key: `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

DEV_KEY_FILE = Path(__file__).resolve().parents[2] / "var" / "tracker.key"
PREFIX = "enc1:"


def _keys(raw: str) -> list[bytes]:
    return [k.strip().encode() for k in raw.split(",") if k.strip()]


def key_problem(env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    raw = (env.get("TRACKER_ENCRYPTION_KEY") or "").strip()
    if not raw:
        return "为空 / is empty"
    try:
        for k in _keys(raw):
            Fernet(k)
    except (ValueError, TypeError):
        return "不是有效的 Fernet 密钥 / is not a valid Fernet key (32 url-safe base64 bytes)"
    return None


def cipher(env: Mapping[str, str] | None = None) -> MultiFernet:
    env = os.environ if env is None else env
    raw = (env.get("TRACKER_ENCRYPTION_KEY") or "").strip()
    if not raw:
        raw = _dev_key()
    return MultiFernet([Fernet(k) for k in _keys(raw)])


def _dev_key() -> str:
    DEV_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(DEV_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return DEV_KEY_FILE.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(Fernet.generate_key().decode())
    return DEV_KEY_FILE.read_text().strip()


class Sealer:
    """Text in, `enc1:<token>` out, and back; old plain rows (not starting with the prefix) read as-is."""

    def __init__(self, env: Mapping[str, str] | None = None):
        self._cipher = cipher(env)

    def seal(self, text: str) -> str:
        return PREFIX + self._cipher.encrypt(text.encode("utf-8")).decode("ascii")

    def open(self, stored: str | None) -> str | None:
        if stored is None or not stored.startswith(PREFIX):
            return stored
        try:
            return self._cipher.decrypt(stored[len(PREFIX):].encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise ValueError("tracker event cannot be decrypted: wrong TRACKER_ENCRYPTION_KEY?") from None
