"""The case-store client the chat actions use, configured from the environment."""

from __future__ import annotations

import asyncio
import os

import httpx

from bot.casestore.client import CaseStoreClient

AGENT_COMMAND = "/查件"

# One connection pool per event loop, base address and token, kept for the process: opening an
# httpx client costs ~40 ms of CPU (it builds a TLS context even for http://), which every session
# start, submission, look-up, handoff message and widget notice poll used to pay (bench/README.md).
_POOLS: dict[int, tuple[asyncio.AbstractEventLoop, dict[tuple[str, str], httpx.AsyncClient]]] = {}


def _shared_http(base_url: str, token: str) -> httpx.AsyncClient | None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None  # no running loop: the caller's client opens and closes its own
    kept = _POOLS.get(id(loop))
    if kept is None or kept[0] is not loop:
        for key, (old, _) in list(_POOLS.items()):  # loops of finished runs (tests) are dropped
            if old.is_closed():
                del _POOLS[key]
        kept = _POOLS[id(loop)] = (loop, {})
    pool = kept[1]
    http = pool.get((base_url, token))
    if http is None or http.is_closed:
        http = pool[(base_url, token)] = httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"} if token else {},
            # idle connections are dropped before the case store's sanic drops them (its keep-alive: 5 s)
            limits=httpx.Limits(max_keepalive_connections=20, keepalive_expiry=4))
    return http


def case_store_client(agent: bool = False) -> CaseStoreClient:
    """The assistant's client; `agent=True` uses the help-desk agent token (lookup by number).
    Inside a running event loop its connections are the process's kept pool (`aclose` keeps it)."""
    token = (
        os.environ.get("CASESTORE_AGENT_TOKEN", "dev-agent")
        if agent
        else os.environ.get("CASESTORE_ASSISTANT_TOKEN", "dev-assistant")
    )
    base_url = os.environ.get("CASESTORE_URL", "http://127.0.0.1:8000").rstrip("/")
    return CaseStoreClient(
        base_url=base_url,
        token=token,
        timeout=float(os.environ.get("CASESTORE_TIMEOUT", "5")),
        http=_shared_http(base_url, token),
    )


def case_channel(input_channel: str | None) -> str:
    """The case store's channel for a Rasa input channel (WeChat, else the website)."""
    return "wechat" if input_channel == "wechat" else "web"


def agent_lookup_allowed(sender_id: str, text: str) -> bool:
    """Help-desk agents (sender ids in HELPDESK_AGENT_IDS) look a case up by number alone
    with the command `/查件 <案件号>`."""
    agents = {s.strip() for s in os.environ.get("HELPDESK_AGENT_IDS", "").split(",") if s.strip()}
    return text.strip().startswith(AGENT_COMMAND) and sender_id in agents


async def take_due_reminders(channel_user_id: str, timeout: float = 2.0) -> list[dict]:
    """This chat user's due reminders, marked sent; [] when there are none or the case store
    does not answer in time (a welcome is never held up by it)."""
    from bot.casestore.client import CaseStoreError

    client = case_store_client()
    client.timeout = min(client.timeout, timeout)
    try:
        # a text-message reminder is the scheduler's to send (bot/casestore/notify.py), not the chat's
        due = [r for r in await client.due_reminders(channel_user_id) if r.get("channel") != "sms"]
        for reminder in due:
            await client.mark_reminder_sent(reminder["id"])
        return due
    except CaseStoreError:
        return []
    finally:
        await client.aclose()
