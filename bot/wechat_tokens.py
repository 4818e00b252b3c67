"""Where the WeChat access token lives: one token per app id, shared by every process that
calls the WeChat API (the Rasa WeChat channel's 客服 messages, the case store's notice sender
and the separate notify worker).

WeChat gives one valid access token per app at a time: a process that fetches a new one makes
the others' copy expire a few minutes later, so each process keeping its own would keep
invalidating the others (and spend the daily fetch quota). wechatpy reads the token from a
session storage on every call; this module gives every client the same one:

- `WECHAT_TOKEN_REDIS_URL` set: wechatpy's RedisStorage (several machines);
- otherwise a small SQLite file (`WECHAT_TOKEN_FILE`, default var/wechat-tokens.sqlite3, mode
  0600), shared by the processes of one machine (`make run`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from wechatpy.session import SessionStorage

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FILE = REPO / "var" / "wechat-tokens.sqlite3"


class SqliteStorage(SessionStorage):
    """wechatpy session storage in one SQLite file: values with an expiry, safe across processes
    (SQLite's own locking) and threads (one connection per call)."""

    def __init__(self, path: str | Path, prefix: str = "wechatpy"):
        self.path = Path(path)
        self.prefix = prefix
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)  # a credential: owner only
            os.close(fd)
        with self._db() as db:
            db.execute("CREATE TABLE IF NOT EXISTS session (key TEXT PRIMARY KEY, value TEXT NOT NULL,"
                       " expires_at REAL)")

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10, isolation_level=None)

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    def get(self, key: str, default: Any = None) -> Any:
        with self._db() as db:
            row = db.execute("SELECT value, expires_at FROM session WHERE key = ?", (self._key(key),)).fetchone()
        if row is None or (row[1] is not None and row[1] <= time.time()):
            return default
        return json.loads(row[0])

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        if value is None:
            return
        expires = time.time() + ttl if ttl else None
        with self._db() as db:
            db.execute("INSERT INTO session (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE"
                       " SET value = excluded.value, expires_at = excluded.expires_at",
                       (self._key(key), json.dumps(value), expires))

    def delete(self, key: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM session WHERE key = ?", (self._key(key),))


_storages: dict[str, SessionStorage] = {}
_lock = threading.Lock()


def shared_storage(redis_url: str | None = None, path: str | Path | None = None) -> SessionStorage:
    """The token storage for this machine's configuration (see the module docstring)."""
    redis_url = redis_url if redis_url is not None else os.environ.get("WECHAT_TOKEN_REDIS_URL", "")
    path = path or os.environ.get("WECHAT_TOKEN_FILE") or DEFAULT_FILE
    key = f"redis:{redis_url}" if redis_url else f"file:{Path(path).resolve()}"
    with _lock:
        if key not in _storages:
            if redis_url:
                import redis
                from wechatpy.session.redisstorage import RedisStorage

                _storages[key] = RedisStorage(redis.Redis.from_url(redis_url), prefix="wechat_token")
            else:
                _storages[key] = SqliteStorage(path)
        return _storages[key]
