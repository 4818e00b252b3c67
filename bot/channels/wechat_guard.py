"""What the WeChat channel checks before a message counts (docs/wechat.md, docs/security.md):

- signatures compared in constant time (`signature` in plain mode, `msg_signature` over the
  ciphertext in safe mode — checked here before wechatpy decrypts);
- the request's `timestamp` within WINDOW (300 s) of now, so an old captured request is dead;
- a `nonce` used once: the same timestamp+nonce again with a different body is a replay and
  refused (WeChat's own retries repeat the same body and are answered through MsgId dedupe);
- MsgId dedupe (and the passive reply, for WeChat's retries) in shared storage: Redis when
  WECHAT_REDIS_URL is set or the lock store is Redis (LOCK_STORE_TYPE=redis or
  bot.lock_store.AtomicRedisLockStore, REDIS_HOST/PORT/PASSWORD), otherwise the
  SQL database (TRACKER_STORE_URL, or the SQLite file next to TRACKER_SQLITE_PATH), so a
  restart or a second replica never handles one message twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import re
import threading
from pathlib import Path
from typing import Optional

logger = logging.getLogger(__name__)
WINDOW = 300
_EPOCH = dt.datetime(1970, 1, 1)


def now_epoch() -> float:
    from bot.clock import utcnow

    return (utcnow() - _EPOCH).total_seconds()


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(str(p) for p in parts)).encode("utf-8")).hexdigest()  # noqa: S324 - WeChat's protocol


def signature_ok(expected_parts: tuple, given: str) -> bool:
    return hmac.compare_digest(sha1_signature(*expected_parts).encode(), (given or "").encode("utf-8", "replace"))


def fresh(timestamp: str, now: Optional[float] = None, window: int = WINDOW) -> bool:
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    return abs((now if now is not None else now_epoch()) - ts) <= window


_ENCRYPT = re.compile(r"<Encrypt>\s*(?:<!\[CDATA\[)?([A-Za-z0-9+/=]+)(?:\]\]>)?\s*</Encrypt>")


def encrypted_part(body: str) -> Optional[str]:
    m = _ENCRYPT.search(body or "")
    return m.group(1) if m else None


class SeenStore:
    """Shared, expiring keys: `claim(key)` is True for the first caller only."""

    def claim(self, key: str, value: str = "", ttl: int = WINDOW) -> bool:  # pragma: no cover
        raise NotImplementedError

    def get(self, key: str) -> Optional[str]:  # pragma: no cover
        raise NotImplementedError

    def put(self, key: str, value: str, ttl: int = WINDOW) -> None:  # pragma: no cover
        raise NotImplementedError


class RedisSeen(SeenStore):
    def __init__(self, url: str):
        import redis

        self.r = redis.Redis.from_url(url, socket_timeout=2)
        self.prefix = "wechat:seen:"

    def claim(self, key: str, value: str = "", ttl: int = WINDOW) -> bool:
        return bool(self.r.set(self.prefix + key, value, nx=True, ex=ttl))

    def get(self, key: str) -> Optional[str]:
        v = self.r.get(self.prefix + key)
        return v.decode("utf-8") if v is not None else None

    def put(self, key: str, value: str, ttl: int = WINDOW) -> None:
        self.r.set(self.prefix + key, value, ex=ttl)


class SqlSeen(SeenStore):
    def __init__(self, url: str):
        import sqlalchemy as sa

        self.sa = sa
        self.engine = sa.create_engine(url, future=True)
        meta = sa.MetaData()
        self.table = sa.Table("wechat_seen", meta,
                              sa.Column("key", sa.String(200), primary_key=True),
                              sa.Column("value", sa.Text),
                              sa.Column("expires_at", sa.Float, nullable=False, index=True))
        meta.create_all(self.engine)
        self._lock = threading.Lock()

    def claim(self, key: str, value: str = "", ttl: int = WINDOW) -> bool:
        sa, t, now = self.sa, self.table, now_epoch()
        with self._lock, self.engine.begin() as c:
            c.execute(t.delete().where(t.c.expires_at < now))
            try:
                with c.begin_nested():
                    c.execute(t.insert().values(key=key[:200], value=value, expires_at=now + ttl))
                return True
            except sa.exc.IntegrityError:
                return False

    def get(self, key: str) -> Optional[str]:
        t = self.table
        with self.engine.connect() as c:
            row = c.execute(self.sa.select(t.c.value).where(t.c.key == key[:200],
                                                            t.c.expires_at >= now_epoch())).first()
        return row[0] if row else None

    def put(self, key: str, value: str, ttl: int = WINDOW) -> None:
        t = self.table
        with self._lock, self.engine.begin() as c:
            c.execute(t.delete().where(t.c.key == key[:200]))
            c.execute(t.insert().values(key=key[:200], value=value, expires_at=now_epoch() + ttl))


def shared_store(env=None) -> SeenStore:
    env = os.environ if env is None else env
    url = env.get("WECHAT_REDIS_URL")
    redis_locks = ("redis", "bot.lock_store.atomicredislockstore")  # Rasa's class or bot/lock_store.py
    if not url and (env.get("LOCK_STORE_TYPE") or "").lower() in redis_locks and env.get("REDIS_HOST"):
        auth = f":{env['REDIS_PASSWORD']}@" if env.get("REDIS_PASSWORD") else ""
        url = f"redis://{auth}{env['REDIS_HOST']}:{env.get('REDIS_PORT') or 6379}/2"
    if url:
        return RedisSeen(url)
    sql = env.get("WECHAT_DEDUPE_URL") or env.get("TRACKER_STORE_URL")
    if not sql:
        path = Path(env.get("TRACKER_SQLITE_PATH") or Path(__file__).resolve().parents[2] / "var" / "tracker.db")
        sql = f"sqlite:///{path.with_name('wechat-seen.db')}"
    return SqlSeen(sql)
