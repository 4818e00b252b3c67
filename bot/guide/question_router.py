"""Rasa graph component (after the intent classifiers): a QUESTION is not a statement of facts.

DIET sometimes reads a question that mentions a record (「为什么公司会进经营异常名录」,
「被罚款了，要公示多久」) as `check_paths` — a description of the user's own record for the path
engine — and the record form starts asking questions instead of answering. This component
relabels such a parse to the guide intent for the question's topic when the message

  * is a question (question words, 吗/呢/嘛, a question mark: bot.guide.first.is_question), and
  * carries no facts of a record (no digits, no 「已经交了」-style statement of what was done).

「3月10号被市场监管局罚了2万，已经交了」 keeps `check_paths`. The original ranking is kept in
`intent_ranking`; the relabel is marked `"router": "question"` on the intent.

It also keeps `cancel` and `withdraw_application` for messages that say so (guides/lexicon.yml
`cancel_words`, `withdraw_words`): DIET read 「补了」 (the late annual report filed, the answer to
「已经纠正了吗」) as `cancel`, and the record was thrown away with 「申请已取消」, and 「代码在哪看」
as a withdrawal (hand tries). Without such a word the next intent of the ranking is taken,
marked `"router": "needs_words"`. A question about a field of the form (「代码在哪看」,
bot/dialogue/field_help.py) is a guide question (`ask_conditions`, `"router": "field_question"`),
whatever DIET made of it: the guide action and the forms answer it with the field's help.

A bare phone number or last four digits (「1234」「13980001234」「尾号1234」) is the credential a
look-up asked for (`lookup_case`, `"router": "bare_number"`): DIET read a bare number as `goodbye`,
and 「请同时发经办人手机后四位」 was answered with 「好的，再见！」 (hand try). Inside a form the form
reads the message first (Rasa's RulePolicy continues an active loop before any intent's rule).
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.dialogue.field_help import field_asked_about
from bot.guide.first import is_plain_request, is_question
from bot.guide.lexicon import codes
from bot.guide.loader import load_guide

STATEMENT_INTENTS = ("check_paths",)
# Facts of a record: a number (date, amount) or words saying what has been done.
_FACTS = re.compile(r"\d|[一二两三四五六七八九十百千万]+(?:块|元|万)|已经|已|交了|缴了|交清|缴清|付清|补报了|改了|整改了|交过|我们的|我的情况|帮我")
_TOPIC_CUES = (
    (re.compile(r"多久|好久|多长时间|几年|几个月|什么时候|啥时候|哪天|期限|挂"), "ask_publicity_period"),
    (re.compile(r"为什么|为啥|咋个会|怎么会|什么原因|啥原因|哪些情况|什么情况"), "ask_applicability"),
    (re.compile(r"材料|资料|证明|带啥|带什么"), "ask_materials"),
    (re.compile(r"流程|步骤|咋个办|怎么办|怎么弄|咋个弄|如何"), "ask_process"),
    (re.compile(r"在哪|哪里|哪儿|网上|入口|窗口"), "ask_channel"),
)


def question_intent(text: str) -> str | None:
    """The guide intent for a question `text`, or None when `text` reads as facts."""
    guide = load_guide()
    if not text or not is_question(text, guide) or _FACTS.search(text):
        return None
    topics = codes(guide.lexicon.scan(text), "topic")
    if topics:
        return guide.lexicon.topics[topics[0]].intent
    for rx, intent in _TOPIC_CUES:
        if rx.search(text):
            return intent
    return "ask_conditions"


_BARE_NUMBER = re.compile(r"(?:哦|噢|嗯|不对|错了|说错了|搞错了|打错了|手机|电话|号码|尾号|后四位|后4位|是|为|:|：|，|,|\s)*"
                          r"(?:\d{4}|1[3-9]\d[\s\-]?\d{4}[\s\-]?\d{4})[。.！!]?")


def bare_number(text: str) -> bool:
    """A message that is only a phone number or four digits (with 「尾号」-like words)."""
    return bool(_BARE_NUMBER.fullmatch((text or "").strip()))


_NTH = r"第\s*[0-9一二两三四五六七八九十]{1,3}\s*(?:条|项|个(?!月|星期|季度|工作日|文件|案件|材料|照片))"
# 「第2个文件传错了 想删掉」「第一个案件不要了 撤回」: not a record of the application
_NOT_A_RECORD = re.compile(r"文件|材料|照片|图片|案件|撤回|传")
_REMOVE_RECORD = re.compile(rf"(?:删除|删掉|删了|去掉|不要了|作废).{{0,6}}{_NTH}|{_NTH}.{{0,12}}(?:删除|删掉|删了|去掉|不要了|作废)")


def removes_a_record(text: str) -> bool:
    """「删除第1条记录」「第1条是写错了的 删了」: a record named by its number, with a word of removing."""
    return bool(_REMOVE_RECORD.search(text or "")) and len(text or "") <= 30 and not _NOT_A_RECORD.search(text or "")


def asks_how_to_remove(text: str) -> bool:
    """「咋个弄下来嘛」: a how word and a word of taking it down, and no "how long"."""
    lex = load_guide().lexicon
    return (lex.mentions(text, "how_words") or lex.mentions(text, "how_short_words")) \
        and lex.mentions(text, "removal_words") and not lex.mentions(text, "when_words")


# small talk that a plain-words request (guides/lexicon.yml plain_requests) is not
SMALL_TALK = ("bot_challenge", "greet", "goodbye", "thank")

# intents that only a message with one of these words may keep (guides/lexicon.yml)
NEEDS_WORDS = {"cancel": "cancel_words", "withdraw_application": "withdraw_words"}


def says(text: str, section: str) -> bool:
    """「不办了」「取消」 (cancel_words), 「撤回」 (withdraw_words): the message says so."""
    return text.startswith("/") or load_guide().lexicon.mentions(text, section)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class QuestionRouter(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"statement_intents": list(STATEMENT_INTENTS)}

    def __init__(self, config: dict[str, Any]) -> None:
        self._statements = set(config.get("statement_intents") or STATEMENT_INTENTS)

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> QuestionRouter:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            text = message.get(TEXT) or ""
            if bare_number(text):
                message.set(INTENT, {"name": "lookup_case", "confidence": 1.0, "router": "bare_number"},
                            add_to_output=True)
                continue
            if removes_a_record(text) and intent.get("name") != "remove_record":
                # 「删除第1条记录」「第1条是写错了的 删了」 (fifth hand try: a guide page; a withdrawal)
                message.set(INTENT, {"name": "remove_record", "confidence": 1.0, "router": "remove_record"},
                            add_to_output=True)
                continue
            if intent.get("name") in SMALL_TALK and (is_plain_request(text, load_guide())
                                                      or load_guide().lexicon.mentions(text, "cannot_read_words")):
                # 「你说的啥子哦」 (fifth hand try: 「我是…智能助手，不是人工客服」): the last answer, plainer
                message.set(INTENT, {"name": "ask_plain", "confidence": 1.0, "router": "plain"}, add_to_output=True)
                continue
            if intent.get("name") == "ask_time_limit" and asks_how_to_remove(text):
                message.set(INTENT, {"name": "ask_process", "confidence": intent.get("confidence", 1.0),
                                     "router": "how_to_remove"}, add_to_output=True)
                continue
            needs = NEEDS_WORDS.get(intent.get("name") or "")
            if needs and not says(text, needs):
                ranked = [r for r in message.get("intent_ranking") or [] if r.get("name") != intent.get("name")]
                if ranked:
                    intent = {"name": ranked[0]["name"], "confidence": ranked[0].get("confidence", 0.0),
                              "router": "needs_words"}
                    message.set(INTENT, intent, add_to_output=True)
            if not text.startswith("/") and field_asked_about(text, None):
                intent = {"name": "ask_conditions", "confidence": intent.get("confidence", 1.0),
                          "router": "field_question"}
                message.set(INTENT, intent, add_to_output=True)
                continue
            if intent.get("name") not in self._statements:
                continue
            routed = question_intent(message.get(TEXT) or "")
            if routed:
                message.set(INTENT, {"name": routed, "confidence": intent.get("confidence", 1.0),
                                     "router": "question"}, add_to_output=True)
        return messages
