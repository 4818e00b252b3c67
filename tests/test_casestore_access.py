"""The chat's case-store client keeps its connections (bot/dialogue/casestore_access.py).

Opening an httpx client costs ~40 ms of CPU; the action server and the Rasa process used to pay
it at every session start, submission, look-up, handoff message and widget poll. These tests
drive a real loopback HTTP server and count the TCP connections the chat's clients open."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp import web

from bot.casestore.client import CaseStoreUnavailable
from bot.dialogue import casestore_access
from bot.dialogue.casestore_access import case_store_client, take_due_reminders


async def _server(delay: float = 0.0):
    peers: list[tuple] = []
    auth: list[str] = []

    async def due(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername"))
        auth.append(request.headers.get("Authorization", ""))
        if delay:
            await asyncio.sleep(delay)
        return web.json_response({"reminders": []})

    app = web.Application()
    app.router.add_get("/api/v1/reminders/due", due)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}", peers, auth


@pytest.fixture
def env(monkeypatch):
    def set_url(url: str) -> None:
        monkeypatch.setenv("CASESTORE_URL", url)
        monkeypatch.setenv("CASESTORE_ASSISTANT_TOKEN", "t-assistant")
        monkeypatch.setenv("CASESTORE_AGENT_TOKEN", "t-agent")
    return set_url


def test_session_starts_in_one_process_reuse_one_connection(env):
    async def main():
        runner, url, peers, auth = await _server()
        env(url)
        try:
            for sender in ("a", "b", "c", "d"):
                assert await take_due_reminders(sender) == []  # each opens and "closes" a client
        finally:
            await runner.cleanup()
        return peers, auth

    peers, auth = asyncio.run(main())
    assert len(peers) == 4
    assert len(set(peers)) == 1, f"four look-ups opened {len(set(peers))} connections"
    assert auth == ["Bearer t-assistant"] * 4


def test_agent_and_assistant_tokens_are_not_mixed(env):
    async def main():
        runner, url, peers, auth = await _server()
        env(url)
        try:
            for agent in (False, True, False, True):
                client = case_store_client(agent=agent)
                await client.due_reminders("x")
                await client.aclose()
        finally:
            await runner.cleanup()
        return auth

    assert asyncio.run(main()) == ["Bearer t-assistant", "Bearer t-agent"] * 2


def test_a_new_event_loop_gets_its_own_connections(env):
    """A pool is bound to its loop: a second run (another loop) must not use the first's sockets."""
    seen = []
    for _ in range(2):
        async def main():
            runner, url, peers, _ = await _server()
            env(url)
            try:
                await take_due_reminders("a")
            finally:
                await runner.cleanup()
            return peers
        seen.append(asyncio.run(main()))
    assert all(len(p) == 1 for p in seen)
    # the first run's pool was dropped when the second loop opened its own: no pools pile up
    assert len(casestore_access._POOLS) == 1


def test_a_shorter_timeout_still_applies_on_the_shared_connection(env):
    """The welcome is never held up: take_due_reminders gives the case store 2 s, here 0.3 s."""
    async def main():
        runner, url, _, _ = await _server(delay=2.0)
        env(url)
        try:
            started = time.perf_counter()
            assert await take_due_reminders("slow", timeout=0.3) == []
            quick = time.perf_counter() - started
            client = case_store_client()
            client.timeout = 0.3
            with pytest.raises(CaseStoreUnavailable):
                await client.due_reminders("slow")
        finally:
            await runner.cleanup()
        return quick

    assert asyncio.run(main()) < 1.5


def test_outside_an_event_loop_the_client_owns_its_connection(env):
    env("http://127.0.0.1:9")
    client = case_store_client()
    assert client._owns_client
