"""The case-store client the chat actions use, configured from the environment."""

from __future__ import annotations

import os

from bot.casestore.client import CaseStoreClient

AGENT_COMMAND = "/查件"


def case_store_client(agent: bool = False) -> CaseStoreClient:
    """The assistant's client; `agent=True` uses the help-desk agent token (lookup by number)."""
    token = (
        os.environ.get("CASESTORE_AGENT_TOKEN", "dev-agent")
        if agent
        else os.environ.get("CASESTORE_ASSISTANT_TOKEN", "dev-assistant")
    )
    return CaseStoreClient(
        base_url=os.environ.get("CASESTORE_URL", "http://127.0.0.1:8000"),
        token=token,
        timeout=float(os.environ.get("CASESTORE_TIMEOUT", "5")),
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
