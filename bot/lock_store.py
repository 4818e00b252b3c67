"""A Redis lock store whose tickets are issued atomically, for several Rasa processes.

Rasa serialises the messages of one conversation with a ticket lock (rasa/core/lock.py): a
message takes a ticket, waits until its ticket is served, runs the turn, gives the ticket back.
Open-source Rasa 3.6's `RedisLockStore` keeps the whole lock as one JSON value and issues a
ticket by GET → add ticket → SET. Two messages of one conversation arriving at two processes
at once (WeChat's retries, a double tap, round-robin balancing) can both GET the same lock, both
take ticket 0 and both run the turn: the tracker then loses or doubles events.

Here each conversation's queue is a Redis sorted set (member "<number>:<expires>", score the
number) with its own counter; taking a ticket (INCR + ZADD), giving one back and deleting an
empty lock are single Lua scripts, so no other process can slip in between. Waiting polls every
LOCK_WAIT_SECONDS (default 0.05 s, Rasa's is 1 s). Connections have connect and read timeouts
(REDIS_SOCKET_TIMEOUT, default 2 s): Redis down or hung gives a `LockError` within that time,
which the channel guard (bot/channels/limits.py) turns into a Chinese reply, never a hang.

endpoints.yml (the scaled layout, `make run-scaled`):

    lock_store:
      type: bot.lock_store.AtomicRedisLockStore
      url: 127.0.0.1          # or redis://[:password@]host:port/db
      port: 6379
      password: ...
      db: 1
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore

from bot.env import env_number

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "atomiclock:"

# KEYS[1] queue (zset), KEYS[2] counter; ARGV: now, expires, ttl seconds -> ticket number
_ISSUE = """
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local exp = tonumber(string.match(m, ':(.+)$'))
  if exp and exp < tonumber(ARGV[1]) then redis.call('ZREM', KEYS[1], m) end
end
local n = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], n, n .. ':' .. ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return n
"""

# KEYS[1] queue, KEYS[2] counter; ARGV: ticket number -> 1 when the lock was deleted
_RELEASE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0
"""

# KEYS[1] queue; ARGV: now -> number of expired tickets removed
_EXPIRE = """
local removed = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local exp = tonumber(string.match(m, ':(.+)$'))
  if exp and exp < tonumber(ARGV[1]) then redis.call('ZREM', KEYS[1], m); removed = removed + 1 end
end
return removed
"""


class AtomicRedisLockStore(LockStore):
    """Ticket lock in Redis with atomic ticket issue and release (see module docstring)."""

    def __init__(self, endpoint_config: Any = None, *, url: Optional[str] = None, host: str = "127.0.0.1",
                 port: int = 6379, db: int = 1, password: Optional[str] = None,
                 key_prefix: Optional[str] = None, socket_timeout: Optional[float] = None,
                 wait_seconds: Optional[float] = None) -> None:
        import redis

        kwargs = dict(getattr(endpoint_config, "kwargs", None) or {})
        url = url or getattr(endpoint_config, "url", None) or kwargs.pop("url", None) or host
        timeout = float(socket_timeout or kwargs.get("socket_timeout") or env_number("REDIS_SOCKET_TIMEOUT", 2.0, minimum=None))
        password = password or kwargs.get("password") or None
        options = dict(socket_timeout=timeout, socket_connect_timeout=timeout, retry_on_timeout=False)
        if "://" in str(url):
            self.red = redis.Redis.from_url(str(url), password=password, **options)
        else:
            self.red = redis.Redis(host=str(url), port=int(kwargs.get("port") or port),
                                   db=int(kwargs.get("db") if kwargs.get("db") not in (None, "") else db),
                                   password=password, **options)
        self.prefix = DEFAULT_PREFIX + (f"{key_prefix or kwargs.get('key_prefix')}:"
                                        if (key_prefix or kwargs.get("key_prefix")) else "")
        self.wait_seconds = wait_seconds if wait_seconds is not None else env_number("LOCK_WAIT_SECONDS", 0.05, minimum=None)
        self._issue = self.red.register_script(_ISSUE)
        self._release = self.red.register_script(_RELEASE)
        self._expire = self.red.register_script(_EXPIRE)
        super().__init__()
        try:
            self.red.ping()
        except redis.RedisError as error:  # start anyway: each message gets the clear reply
            logger.warning("lock store: Redis not reachable yet (%s); messages are refused until it is.", error)

    def _keys(self, conversation_id: str) -> list[str]:
        return [f"{self.prefix}{conversation_id}", f"{self.prefix}{conversation_id}:n"]

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        now = time.time()
        try:
            return int(self._issue(keys=self._keys(conversation_id),
                                   args=[repr(now), repr(now + lock_lifetime), int(lock_lifetime) + 60]))
        except Exception as error:
            raise LockError(f"Redis lock store unavailable while issuing a ticket: {error}") from error

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        try:
            members = self.red.zrange(self._keys(conversation_id)[0], 0, -1)
        except Exception as error:
            raise LockError(f"Redis lock store unavailable while reading a lock: {error}") from error
        if not members:
            return None
        tickets = []
        for member in members:
            number, _, expires = member.decode().partition(":")
            tickets.append(Ticket(int(number), float(expires)))
        return TicketLock(conversation_id, deque(tickets))

    def save_lock(self, lock: TicketLock) -> None:
        """Replace the stored queue by `lock`'s tickets (kept for LockStore's API; the turn
        path uses the atomic scripts above)."""
        queue, counter = self._keys(lock.conversation_id)
        pipe = self.red.pipeline(transaction=True)
        pipe.delete(queue)
        for ticket in lock.tickets:
            pipe.zadd(queue, {f"{ticket.number}:{ticket.expires!r}": ticket.number})
        if lock.tickets:
            pipe.set(counter, max(t.number for t in lock.tickets), nx=True)
            pipe.expire(queue, int(LOCK_LIFETIME) + 60)
        pipe.execute()

    def delete_lock(self, conversation_id: str) -> None:
        self._log_deletion(conversation_id, bool(self.red.delete(*self._keys(conversation_id))))

    def update_lock(self, conversation_id: str) -> None:
        try:
            self._expire(keys=self._keys(conversation_id)[:1], args=[repr(time.time())])
        except Exception as error:
            raise LockError(f"Redis lock store unavailable: {error}") from error

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.red.zremrangebyscore(self._keys(conversation_id)[0], ticket_number, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Give the ticket back and delete the lock when nobody waits, in one step."""
        try:
            self._release(keys=self._keys(conversation_id), args=[ticket_number])
        except Exception as error:  # the ticket expires by itself; the reply is already out
            logger.warning("lock store: could not release a ticket (%s); it expires by itself.", error)

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: Optional[float] = None) -> AsyncGenerator[TicketLock, None]:
        ticket = await asyncio.to_thread(self.issue_ticket, conversation_id, lock_lifetime)
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds or self.wait_seconds)
        finally:
            self.cleanup(conversation_id, ticket)
