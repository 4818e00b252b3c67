"""The entities item / department / topic come from the one lexicon (bot/nlu/lexicon_entities.py).

Each row: what an applicant types, and the (entity, code, the words it was read from) the
extractor must give — in the order they are written. Names come from guides/, so a word added
to an item's or a department's aliases is found without retraining.
"""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.lexicon_entities import LexiconEntityExtractor, lexicon_entities

ROWS = [
    ("被税务局罚了两万", [("department", "tax", "税务局")]),
    ("前年遭市场监管局罚款了 咋个修复", [("department", "market_regulation", "市场监管局")]),
    ("/查 市监局 异常名录 渠道",
     [("department", "market_regulation", "市监局"), ("item", "abnormal_list", "异常名录"), ("topic", "channels", "渠道")]),
    ("经营异常要带啥子材料", [("item", "abnormal_list", "经营异常"), ("topic", "materials", "材料")]),
    ("行政处罚信息修复要哪些资料", [("item", "penalty_info", "行政处罚信息"), ("topic", "materials", "资料")]),
    # one character off a name of three or more characters, the first one right
    ("黑明单移出审批几天", [("item", "serious_list", "黑明单"), ("topic", "time_limit", "几天")]),
    ("经营已常咋个申请移出", [("item", "abnormal_list", "经营已常"), ("topic", "process", "咋个申请")]),
    ("税物局罚款记录修复要哪些资料？？",
     [("department", "tax", "税物局"), ("item", "penalty_info", "罚款记录"), ("topic", "materials", "资料")]),
    # nothing to find
    ("你好", []),
    ("13912345678", []),
    ("", []),
]


@pytest.mark.parametrize("text, expected", ROWS, ids=[r[0] or "empty" for r in ROWS])
def test_entities_are_read_from_the_lexicon(text, expected):
    got = [(e["entity"], e["value"], text[e["start"]:e["end"]]) for e in lexicon_entities(text)]
    assert got == expected


def test_a_short_name_one_character_off_is_read_as_the_department():
    # the agents' 「/查 市监 行政处罚」: 市监 is not a name in guides/, 市监局 is
    assert [(e["entity"], e["value"]) for e in lexicon_entities("/查 市监 行政处罚")] == [
        ("department", "market_regulation"), ("item", "penalty_info")]


def test_a_typo_is_not_read_when_the_name_is_also_spelt_right():
    # 「黑明单」 is not a second item when 「严重失信」 is named: fuzzy matching is the last resort.
    got = [(e["entity"], e["value"]) for e in lexicon_entities("严重失信名单 就是黑明单吗")]
    assert got == [("item", "serious_list")]


def test_the_component_adds_the_entities_and_leaves_button_payloads_alone():
    extractor = LexiconEntityExtractor()
    typed = Message.build(text="税务局的罚款记录")
    payload = Message.build(text='/rate{"rating_level": 5}')
    payload.set("entities", [{"entity": "rating_level", "value": 5}])
    extractor.process([typed, payload])
    assert [(e["entity"], e["value"], e["extractor"]) for e in typed.get("entities")] == [
        ("department", "tax", "LexiconEntityExtractor"), ("item", "penalty_info", "LexiconEntityExtractor")]
    assert payload.get("entities") == [{"entity": "rating_level", "value": 5}]
