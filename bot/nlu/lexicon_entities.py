"""Rasa graph component: the entities `item`, `department` and `topic` read from the one lexicon.

The names of the records, the departments and the guide's topics live in guides/ (items/*.yml,
departments.yml, lexicon.yml). This extractor scans the message with that lexicon
(`Lexicon.scan`, longest name first) and sets each mention as an entity whose value is the
guide's code (「被税务局罚了」 → department `tax`, item `penalty_info`), so the slots `item`,
`department` and `topic` are filled from the same words the answers are chosen by. A name typed
one character off (黑明单, 经营已常, 税物局) counts when no name of that kind is spelt right.

It replaces DIET's learned entity tagging (`entity_recognition: false` in config.yml): the
tagger's CRF was 40% of DIET's training time and most of its tracing, and it could only find the
names its 1,200 training examples showed. Measured in bench/README.md (2026-12-02).
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.guide.lexicon import Mention
from bot.guide.loader import load_guide

KINDS = ("item", "department", "topic")
FUZZY_KINDS = ("item", "department")
_PAYLOAD = re.compile(r"/[A-Za-z_]")  # not 「/查 税务 …」, the agents' look-up


def lexicon_entities(text: str) -> list[dict[str, Any]]:
    """The item, department and topic mentions of `text` as Rasa entities (value: the code)."""
    lexicon = load_guide().lexicon
    mentions = [m for m in lexicon.scan(text) if m.kind in KINDS]
    for kind in FUZZY_KINDS:
        if not any(m.kind == kind for m in mentions):
            taken = [(m.start, m.start + len(m.text)) for m in mentions]
            mentions += [m for m in lexicon.fuzzy_mentions(text, kind)
                         if not any(s < m.start + len(m.text) and m.start < e for s, e in taken)]
    return [_entity(m) for m in sorted(mentions, key=lambda m: m.start)]


def _entity(m: Mention) -> dict[str, Any]:
    return {"entity": m.kind, "start": m.start, "end": m.start + len(m.text), "value": m.code,
            "confidence_entity": 1.0}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LexiconEntityExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LexiconEntityExtractor":
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text or _PAYLOAD.match(text):
                continue  # a button payload (/rate{...}) carries its own entities
            found = self.add_extractor_name(lexicon_entities(text))
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
