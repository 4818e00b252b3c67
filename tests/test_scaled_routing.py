"""The balancer's two routings (bot/scaled.py `nginx_conf`), with Debian's nginx in front of three
small loopback servers that answer with their own port.

- "sender": every request of one conversation reaches the same replica — named by the widget's
  `X-Chat-Session` header, WeChat's `openid` query argument or `X-Chat-Sender` — so its kept
  tracker stays warm; conversations are spread over the replicas; when a conversation's replica
  is down its requests go to another (nothing is refused); a request naming no conversation
  is still served.
- "round_robin": one conversation's consecutive requests reach different replicas (what
  tests/test_scaled.py needs to prove the replicas correct together).
"""

from __future__ import annotations

import asyncio
import collections
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from bot.scaled import LayoutError, nginx_binary, nginx_conf


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Backends:
    """Loopback HTTP servers in a thread; each answers any request with its own port."""

    def __init__(self, n: int):
        self.ports = [_free_port() for _ in range(n)]
        self.loop = asyncio.new_event_loop()
        self.runners: dict[int, web.AppRunner] = {}
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        for port in self.ports:
            self.start(port)

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def start(self, port: int) -> None:
        async def up():
            async def any_path(request: web.Request) -> web.Response:
                return web.Response(text=str(port))

            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", any_path)
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            self.runners[port] = runner
        self._call(up())

    def stop(self, port: int) -> None:
        self._call(self.runners.pop(port).cleanup())

    def close(self) -> None:
        for port in list(self.runners):
            self.stop(port)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture
def balancer(tmp_path: Path):
    try:
        binary = nginx_binary()
    except LayoutError as error:
        pytest.fail(str(error))
    started = []

    def start(routing: str):
        backends = Backends(3)
        port = _free_port()
        (tmp_path / "nginx-tmp").mkdir(exist_ok=True)
        (tmp_path / "nginx-tmp").chmod(0o1777)
        conf = tmp_path / "nginx.conf"
        conf.write_text(nginx_conf(tmp_path, port, backends.ports, _free_port(), backends.ports, routing))
        proc = subprocess.Popen([binary, "-c", str(conf), "-p", str(tmp_path)],
                                stdout=subprocess.DEVNULL, stderr=open(tmp_path / "nginx.out", "w"))
        started.append((proc, backends))
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 20
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.HTTPError:
                if time.time() > deadline or proc.poll() is not None:
                    pytest.fail("nginx did not start: " + (tmp_path / "nginx.out").read_text()[-2000:])
                time.sleep(0.1)
        return url, backends

    yield start
    for proc, backends in started:
        proc.terminate()
        proc.wait(timeout=20)
        backends.close()


_HTTP = httpx.Client(timeout=10)  # one client: opening one costs ~40 ms of CPU


def _served_by(url: str, **kw) -> int:
    r = _HTTP.post(f"{url}/webhooks/rest/webhook", json={"message": "你好"}, **kw)
    assert r.status_code == 200, r.text
    return int(r.text)


@pytest.mark.parametrize("how", [
    pytest.param(lambda who: {"headers": {"X-Chat-Sender": who}}, id="REST X-Chat-Sender"),
    pytest.param(lambda who: {"headers": {"X-Chat-Session": who}}, id="widget X-Chat-Session"),
    pytest.param(lambda who: {"params": {"openid": who, "signature": "x"}}, id="WeChat openid"),
])
def test_sender_routing_keeps_each_conversation_on_one_replica(balancer, how):
    url, backends = balancer("sender")
    where = {who: {_served_by(url, **how(who)) for _ in range(6)} for who in (f"user-{i}" for i in range(30))}
    assert all(len(ports) == 1 for ports in where.values()), where
    spread = collections.Counter(next(iter(p)) for p in where.values())
    assert len(spread) == 3, f"30 conversations all on {dict(spread)}"


def test_sender_routing_moves_a_conversation_when_its_replica_is_down(balancer):
    url, backends = balancer("sender")
    home = _served_by(url, headers={"X-Chat-Sender": "lao-li"})
    backends.stop(home)
    moved = {_served_by(url, headers={"X-Chat-Sender": "lao-li"}) for _ in range(5)}
    assert home not in moved and len(moved) == 1, moved


def test_a_request_naming_no_conversation_is_served_under_sender_routing(balancer):
    url, backends = balancer("sender")
    ports = {_served_by(url) for _ in range(30)}
    assert ports <= set(backends.ports) and len(ports) >= 2


def test_round_robin_sends_consecutive_turns_to_different_replicas(balancer):
    url, backends = balancer("round_robin")
    turns = [_served_by(url, headers={"X-Chat-Sender": "lao-li"}) for _ in range(6)]
    assert all(a != b for a, b in zip(turns, turns[1:])), turns


def test_an_unknown_routing_is_refused(tmp_path):
    with pytest.raises(LayoutError):
        nginx_conf(tmp_path, 1, [2], 3, [4], "random")
