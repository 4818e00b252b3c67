"""The atomic Redis lock store (bot/lock_store.py) against the real Redis ($TEST_REDIS_URL):
two processes racing for one conversation never run a turn at the same time, messages are
served in the order they took their ticket, and Redis down or hung gives a clear Chinese
reply instead of a hang. Rasa's own RedisLockStore hands the same ticket to two racers."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import LockError, RedisLockStore

from bot.lock_store import AtomicRedisLockStore

REPO = Path(__file__).resolve().parents[1]
URL = os.environ.get("TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not URL, reason="no TEST_REDIS_URL (bash tests/system/services.sh)")

# One worker process: `tasks` concurrent messages of conversation `conv`, each `turns` times,
# logging "in"/"out" around the critical section into the Redis list `log`.
WORKER = textwrap.dedent("""
    import asyncio, os, sys
    import redis
    from bot.lock_store import AtomicRedisLockStore
    url, conv, log, name, tasks, turns = sys.argv[1:7]
    store = AtomicRedisLockStore(url=url)
    r = redis.Redis.from_url(url)
    async def one(t):
        for i in range(int(turns)):
            async with store.lock(conv) as lock:
                me = f"{name}.{t}.{i}"
                r.rpush(log, "in " + me)
                await asyncio.sleep(0.002)
                r.rpush(log, "out " + me)
    async def main():
        await asyncio.gather(*(one(t) for t in range(int(tasks))))
    asyncio.run(main())
""")


@pytest.fixture
def redis_client():
    import redis

    client = redis.Redis.from_url(URL)
    yield client
    client.close()


def _worker(conv: str, log: str, name: str, tasks: int = 3, turns: int = 8) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-c", WORKER, URL, conv, log, name, str(tasks), str(turns)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@needs_redis
def test_two_processes_never_run_one_conversation_at_once(redis_client):
    conv, log = f"race-{uuid.uuid4().hex}", f"race-log-{uuid.uuid4().hex}"
    workers = [_worker(conv, log, "A"), _worker(conv, log, "B")]
    for w in workers:
        out, _ = w.communicate(timeout=120)
        assert w.returncode == 0, out.decode()[-2000:]
    entries = [e.decode() for e in redis_client.lrange(log, 0, -1)]
    redis_client.delete(log)
    assert len(entries) == 2 * 2 * 3 * 8
    assert {e.split(".")[0][-1] for e in entries} == {"A", "B"}  # both processes took turns
    for enter, leave in zip(entries[::2], entries[1::2]):  # strictly in/out pairs: no overlap
        assert enter.startswith("in ") and leave == "out " + enter[3:], entries
    assert not redis_client.keys(f"atomiclock:{conv}*")  # nothing left behind


@needs_redis
def test_messages_are_served_in_the_order_they_arrived():
    async def scenario() -> list[str]:
        url = URL
        stores = [AtomicRedisLockStore(url=url) for _ in range(3)]  # three "processes"
        conv, order = f"order-{uuid.uuid4().hex}", []
        release = asyncio.Event()

        async def first():
            async with stores[0].lock(conv):
                order.append("first")
                await release.wait()

        async def later(i: int, name: str):
            async with stores[i].lock(conv):
                order.append(name)

        t1 = asyncio.create_task(first())
        while order != ["first"]:
            await asyncio.sleep(0.01)
        t2 = asyncio.create_task(later(1, "second"))
        while stores[0].red.zcard(f"atomiclock:{conv}") < 2:
            await asyncio.sleep(0.01)
        t3 = asyncio.create_task(later(2, "third"))
        while stores[0].red.zcard(f"atomiclock:{conv}") < 3:
            await asyncio.sleep(0.01)
        release.set()
        await asyncio.wait_for(asyncio.gather(t1, t2, t3), 30)
        return order

    assert asyncio.run(scenario()) == ["first", "second", "third"]


@needs_redis
def test_concurrent_tickets_are_all_different(redis_client):
    import concurrent.futures

    conv = f"tickets-{uuid.uuid4().hex}"
    stores = [AtomicRedisLockStore(url=URL) for _ in range(4)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        tickets = list(pool.map(lambda i: stores[i % 4].issue_ticket(conv), range(200)))
    assert sorted(tickets) == list(range(1, 201))
    lock = stores[0].get_lock(conv)
    assert [t.number for t in lock.tickets] == list(range(1, 201)) and lock.now_serving == 1
    redis_client.delete(f"atomiclock:{conv}", f"atomiclock:{conv}:n")


@needs_redis
def test_rasa_own_redis_lock_store_can_hand_out_one_ticket_twice(redis_client):
    """Why the custom class: Rasa's get-then-set, interleaved as two processes may run it."""
    from urllib.parse import urlparse

    u = urlparse(URL)
    a, b = (RedisLockStore(host=u.hostname, port=u.port, db=int(u.path.strip("/") or 0)) for _ in "ab")
    conv = f"rasa-{uuid.uuid4().hex}"
    lock_a, lock_b = a.get_or_create_lock(conv), b.get_or_create_lock(conv)  # both read "no lock"
    ticket_a, ticket_b = lock_a.issue_ticket(60), lock_b.issue_ticket(60)
    a.save_lock(lock_a)
    b.save_lock(lock_b)
    assert ticket_a == ticket_b  # both would run the turn at once
    a.delete_lock(conv)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_redis_down_is_a_lock_error_not_a_hang():
    store = AtomicRedisLockStore(url=f"redis://127.0.0.1:{_closed_port()}/0", socket_timeout=1)

    async def turn():
        async with store.lock("someone"):
            pass

    with pytest.raises(LockError):
        asyncio.run(asyncio.wait_for(turn(), 30))


def test_redis_that_accepts_but_never_answers_is_a_lock_error_not_a_hang():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(server.accept()[0]), daemon=True).start()
    try:
        store = AtomicRedisLockStore(url=f"redis://127.0.0.1:{server.getsockname()[1]}/0", socket_timeout=0.5)

        async def turn():
            async with store.lock("someone"):
                pass

        with pytest.raises(LockError):
            asyncio.run(asyncio.wait_for(turn(), 30))
    finally:
        server.close()
        for conn in held:
            conn.close()


def test_the_channel_guard_answers_in_chinese_when_the_lock_store_is_down():
    from bot.channels.limits import guard

    async def rasa_handle_message(message):  # what Agent.handle_message does when Redis is down
        async with AtomicRedisLockStore(url=f"redis://127.0.0.1:{_closed_port()}/0", socket_timeout=1).lock(
                message.sender_id):
            raise AssertionError("the turn must not run without the lock")

    out = CollectingOutputChannel()
    asyncio.run(guard(rasa_handle_message)(UserMessage("你好", out, "u-1")))
    assert len(out.messages) == 1
    text = out.messages[0]["text"]
    assert "系统正忙" in text and "再发一次" in text and "拨打" in text, text


def test_endpoint_config_is_read_like_rasa_redis_keys():
    from rasa.utils.endpoints import EndpointConfig

    cfg = EndpointConfig(url="127.0.0.1", type="bot.lock_store.AtomicRedisLockStore", port="6390", db="3",
                         password="")
    store = AtomicRedisLockStore(endpoint_config=cfg)
    kw = store.red.connection_pool.connection_kwargs
    assert (kw["host"], kw["port"], kw["db"], kw["password"]) == ("127.0.0.1", 6390, 3, None)
    assert kw["socket_timeout"] == kw["socket_connect_timeout"] == 2.0
