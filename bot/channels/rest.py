"""Rasa's REST channel (POST /webhooks/rest/webhook) behind the shared channel guard
(bot/channels/limits.py: 2,000-character cap, apology when an action failed)."""

from __future__ import annotations

from rasa.core.channels.rest import RestInput as _RestInput


class RestInput(_RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message):
        from bot.channels.limits import guard

        return super().blueprint(guard(on_new_message))
