"""A form handed to a help-desk agent asks nothing more (issue 14).

When the third miss at one question hands the conversation to an agent, the form's validation
(actions/paths_actions.py, bot/dialogue/failures.py) returns `ConversationPaused`. Rasa 3.6's
`FormAction.do` then still asks the next question in the same run (`request_next_slot`,
rasa/core/actions/forms.py), so the user read 「我请人工客服来帮您…」 followed by the very question
they could not answer. Here a form whose events so far pause the conversation asks nothing: the
requested slot stays as it was, and the hand-back runs the form again (bot/casestore/staff/
rasa_bridge.py `resume`), which asks it then. Installed where Rasa starts (bot/rasa_server.py),
whatever RASA_STARTUP_PATCHES says: this is behaviour, not speed.

And a message typed while the conversation is with an agent fills no slot. Rasa 3.6's
`MessageProcessor.handle_message` runs `action_extract_slots` before it looks at the pause, so
「不要人工，我自己再输一遍 925101…」 typed to the agent became the form's credit code, as typed and
never validated: the hand-back then skipped the question and the raw text would have been
submitted (hand try, 2026-12-05). A paused conversation's message is only logged (for the agent
to read); after the hand-back the form asks its question again.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

_installed = False


def pauses(events: list) -> bool:
    """Whether these events leave the conversation paused (the last pause/resume wins)."""
    from rasa.shared.core.events import ConversationPaused, ConversationResumed

    paused = False
    for event in events:
        if isinstance(event, ConversationPaused):
            paused = True
        elif isinstance(event, ConversationResumed):
            paused = False
    return paused


def install() -> bool:
    global _installed
    import rasa
    from rasa.core.actions.forms import FormAction

    from bot.rasa_patches import RASA_VERSION  # the Rasa source both were checked against

    if rasa.__version__ != RASA_VERSION:
        logger.warning("bot.rasa_form_pause: written for rasa==%s, found %s: not installed",
                       RASA_VERSION, rasa.__version__)
        return False
    if _installed:
        return True
    original = FormAction.request_next_slot

    async def request_next_slot(self: Any, tracker: Any, domain: Any, output_channel: Any, nlg: Any,
                                events_so_far: list) -> list:
        if pauses(events_so_far):
            return []
        return await original(self, tracker, domain, output_channel, nlg, events_so_far)

    request_next_slot.__wrapped__ = original  # type: ignore[attr-defined]
    FormAction.request_next_slot = request_next_slot  # type: ignore[method-assign]
    _install_paused_extraction_guard()
    _installed = True
    return True


def _install_paused_extraction_guard() -> None:
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor.run_action_extract_slots

    async def run_action_extract_slots(self: Any, output_channel: Any, tracker: Any) -> Any:
        if tracker.is_paused():
            return tracker  # the message is for the agent: no slot is filled from it
        return await original(self, output_channel, tracker)

    run_action_extract_slots.__wrapped__ = original  # type: ignore[attr-defined]
    MessageProcessor.run_action_extract_slots = run_action_extract_slots  # type: ignore[method-assign]
