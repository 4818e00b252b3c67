"""A form whose validation handed the conversation to a help-desk agent asks no further question
(bot/rasa_form_pause.py); without a pause, or after a resume, it asks as Rasa does."""

from __future__ import annotations

import pytest
from rasa.core.actions.forms import FormAction
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, BotUttered, ConversationPaused, ConversationResumed, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_form_pause

DOMAIN = Domain.from_yaml("""
version: "3.1"
slots:
  uscc: {type: text, mappings: [{type: from_text}]}
  phone: {type: text, mappings: [{type: from_text}]}
forms:
  application_form: {required_slots: [uscc, phone]}
responses:
  utter_ask_uscc: [{text: 请填写18位统一社会信用代码}]
  utter_ask_phone: [{text: 请填写手机号}]
""")


@pytest.fixture(scope="module", autouse=True)
def installed():
    assert rasa_form_pause.install() is True


async def asked(events_so_far):
    tracker = DialogueStateTracker.from_events("u", [ActiveLoop("application_form")], DOMAIN.slots)
    out = CollectingOutputChannel()
    events = await FormAction("application_form", None).request_next_slot(
        tracker, DOMAIN, out, TemplatedNaturalLanguageGenerator(DOMAIN.responses), events_so_far)
    return [e.text for e in events if isinstance(e, BotUttered)] + [m.get("text") for m in out.messages], events


@pytest.mark.parametrize("events_so_far, question", [
    ([SlotSet("uscc", None)], "请填写18位统一社会信用代码"),
    ([SlotSet("uscc", "91350100M000100Y43")], "请填写手机号"),
    ([SlotSet("uscc", None), ConversationPaused(), ConversationResumed()], "请填写18位统一社会信用代码"),
])
async def test_a_form_that_is_not_paused_asks_its_next_question(events_so_far, question):
    messages, events = await asked(events_so_far)
    assert messages == [question]


async def test_a_form_paused_by_its_validation_asks_nothing_and_keeps_its_place():
    messages, events = await asked([SlotSet("uscc", None), ConversationPaused()])
    assert messages == [] and events == []  # requested_slot untouched: the hand-back asks it


def test_pause_and_resume_are_read_in_order():
    assert rasa_form_pause.pauses([ConversationResumed(), ConversationPaused()])
    assert not rasa_form_pause.pauses([ConversationPaused(), ConversationResumed()])
    assert not rasa_form_pause.pauses([])


class _Processor:
    """Just enough of a MessageProcessor for run_action_extract_slots (Rasa's own method)."""

    def __init__(self):
        from rasa.core.nlg import TemplatedNaturalLanguageGenerator

        self.domain, self.action_endpoint = DOMAIN, None
        self.nlg = TemplatedNaturalLanguageGenerator(DOMAIN.responses)

    async def _send_bot_messages(self, events, tracker, output_channel):
        return None


@pytest.mark.parametrize("paused, filled", [(True, None), (False, "925101不要人工我自己输")])
async def test_a_message_to_the_agent_fills_no_slot(paused, filled):
    """Hand try: typed while an agent had the conversation, it became the form's credit code,
    unvalidated, and the hand-back skipped the question."""
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.events import UserUttered

    events = [ActiveLoop("application_form"), SlotSet("requested_slot", "uscc")]
    events += [ConversationPaused()] if paused else []
    events += [UserUttered("925101不要人工我自己输", {"name": "inform", "confidence": 1.0})]
    tracker = DialogueStateTracker.from_events("u", events, DOMAIN.slots)
    tracker = await MessageProcessor.run_action_extract_slots(_Processor(), CollectingOutputChannel(), tracker)
    assert tracker.get_slot("uscc") == filled
