"""Startup patch 7 (bot/rasa_patches.py): calls to the action server reuse one connection and
encode the tracker with ujson, and the action server receives exactly what Rasa's own request
sent; errors, idle connections and the server's stop behave as before."""

from __future__ import annotations

import asyncio
import json
import math

import pytest
from aiohttp import web

from bot import rasa_patches

rasa_patches.apply()

from rasa.core.actions.action import RemoteAction  # noqa: E402
from rasa.core.channels.channel import CollectingOutputChannel  # noqa: E402
from rasa.core.nlg import TemplatedNaturalLanguageGenerator  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from rasa.shared.exceptions import RasaException  # noqa: E402
from rasa.utils.endpoints import EndpointConfig  # noqa: E402

DOMAIN = Domain.from_dict({"actions": ["action_x"], "slots": {"company_name": {
    "type": "any", "mappings": [{"type": "custom"}]}}})


class ActionServer:
    """A stand-in action server on loopback: records each body and the client's port."""

    def __init__(self, status: int = 200, close: bool = False):
        self.status, self.close = status, close
        self.bodies: list = []
        self.peers: list = []

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append(json.loads(await request.text()))
        self.peers.append(request.transport.get_extra_info("peername")[1])
        headers = {"Connection": "close"} if self.close else {}
        if self.status >= 400:
            return web.json_response({"error": "坏了", "action_name": "action_x"}, status=self.status,
                                     headers=headers)
        return web.json_response({"events": [{"event": "slot", "name": "company_name", "value": "好"}],
                                  "responses": [{"text": "收到"}]}, headers=headers)

    async def __aenter__(self) -> str:
        app = web.Application()
        app.router.add_post("/webhook", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/webhook"

    async def __aexit__(self, *exc) -> None:
        await self.runner.cleanup()


def tracker(turns: int = 40) -> DialogueStateTracker:
    events = []
    for i in range(turns):
        events += [UserUttered(f"第{i}个问题：成都/绵阳的罚款怎么修复？", {"name": "ask_guide", "confidence": 0.9}),
                   ActionExecuted("action_answer_guide"), BotUttered(f"答复{i}", {"buttons": []}),
                   ActionExecuted("action_listen")]
    events.append(SlotSet("company_name", "成都某某公司"))
    return DialogueStateTracker.from_events("用户1", events, DOMAIN.slots)


async def run_action(url: str, the_tracker: DialogueStateTracker, endpoint: EndpointConfig | None = None,
                     patched: bool = True):
    endpoint = endpoint or EndpointConfig(url)
    action = RemoteAction("action_x", endpoint)
    run = RemoteAction.run if patched else RemoteAction.run.__wrapped__
    return await run(action, CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}), the_tracker, DOMAIN)


def expected_body(the_tracker: DialogueStateTracker) -> dict:
    return json.loads(json.dumps(RemoteAction("action_x", None)._action_call_format(the_tracker, DOMAIN)))


async def test_the_action_server_receives_what_rasa_sent_over_one_connection():
    server = ActionServer()
    the_tracker = tracker()
    async with server as url:
        endpoint = EndpointConfig(url)
        patched = [await run_action(url, the_tracker, endpoint) for _ in range(3)]
        original = await run_action(url, the_tracker, patched=False)
        await rasa_patches.close_kept_sessions(endpoint)
    assert server.bodies[0] == expected_body(the_tracker)
    assert server.bodies[:3] == [server.bodies[3]] * 3  # the same as Rasa's own request
    assert len(set(server.peers[:3])) == 1  # one connection for three calls
    assert patched[0] == original  # the same events come back
    assert [e.text for e in patched[0] if isinstance(e, BotUttered)] == ["收到"]


@pytest.mark.parametrize("status", [400, 404, 500])
async def test_an_error_from_the_action_server_is_raised_as_by_rasa(status):
    def outcome(error: BaseException) -> tuple:
        return type(error), str(error)

    server = ActionServer(status=status)
    async with server as url:
        endpoint = EndpointConfig(url)
        with pytest.raises(RasaException) as patched:
            await run_action(url, tracker(2), endpoint)
        with pytest.raises(RasaException) as original:
            await run_action(url, tracker(2), patched=False)
        await rasa_patches.close_kept_sessions(endpoint)
    assert outcome(patched.value) == outcome(original.value)


async def test_an_idle_connection_is_not_reused_after_the_keepalive(monkeypatch):
    monkeypatch.setenv("ACTIONS_KEEPALIVE_SECONDS", "0.2")
    server = ActionServer()
    async with server as url:
        endpoint = EndpointConfig(url)
        await run_action(url, tracker(1), endpoint)
        await run_action(url, tracker(1), endpoint)
        await asyncio.sleep(0.4)
        await run_action(url, tracker(1), endpoint)
        await rasa_patches.close_kept_sessions(endpoint)
    assert server.peers[0] == server.peers[1] != server.peers[2]


async def test_a_server_that_closes_every_connection_still_answers_every_call():
    server = ActionServer(close=True)
    async with server as url:
        endpoint = EndpointConfig(url)
        for _ in range(3):
            assert [e for e in await run_action(url, tracker(1), endpoint) if isinstance(e, SlotSet)]
        await rasa_patches.close_kept_sessions(endpoint)
    assert len(server.bodies) == 3


async def test_values_ujson_would_change_are_encoded_as_before():
    server = ActionServer()
    the_tracker = tracker(1)
    the_tracker.update(SlotSet("company_name", float("nan")))
    async with server as url:
        endpoint = EndpointConfig(url)
        await run_action(url, the_tracker, endpoint)
        await rasa_patches.close_kept_sessions(endpoint)
    assert math.isnan(server.bodies[0]["tracker"]["slots"]["company_name"])  # json's NaN, as before
    odd = {"t": "成\ud800/", "big": 2 ** 70}  # a lone surrogate stays escaped: the body is valid UTF-8
    assert rasa_patches._dumps(odd).replace(" ", "") == json.dumps(odd).replace(" ", "")


async def test_the_kept_sessions_close_when_the_server_stops():
    import rasa.core.run

    server = ActionServer()
    async with server as url:
        endpoint = EndpointConfig(url)
        await run_action(url, tracker(1), endpoint)
        session = rasa_patches.kept_session(endpoint)
        assert not session.closed

        class App:
            class ctx:
                agent = None

        await rasa.core.run.close_resources(App(), asyncio.get_running_loop())
    assert session.closed


def test_the_patch_can_be_left_out(monkeypatch):
    import subprocess
    import sys

    code = ("from bot import rasa_patches; rasa_patches.apply();"
            "from rasa.core.actions.action import RemoteAction;"
            "print(hasattr(RemoteAction.run, '__wrapped__'))")
    for value, expected in (("0", "False"), ("1", "True")):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                             env={**__import__("os").environ, "ACTIONS_KEEP_CONNECTION": value})
        assert out.stdout.strip().splitlines()[-1] == expected, out.stderr[-2000:]
