"""Rasa's REST channel (POST /webhooks/rest/webhook) behind the shared channel guard
(bot/channels/limits.py: 2,000-character cap, apology when an action failed) and the handoff
relay (bot/channels/handoff_relay.py: while a help-desk agent has the conversation, the words go
to the console and the answer is the acknowledgement, never an empty list)."""

from __future__ import annotations

import contextvars
from typing import Any

from rasa.core.channels.rest import RestInput as _RestInput

_agent: contextvars.ContextVar[Any] = contextvars.ContextVar("rest_agent", default=None)


class RestInput(_RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message):
        from bot.channels.handoff_relay import handle
        from bot.channels.limits import guard

        guarded = guard(on_new_message)

        async def relayed(message):
            return await handle(_agent.get(), message, guarded)

        bp = super().blueprint(relayed)

        @bp.middleware("request")
        async def remember_agent(request):  # Rasa's handler sees only the message
            _agent.set(getattr(request.app.ctx, "agent", None))

        return bp
