"""Small readers of the conversation: questions, vague month ranges, several records in one
message, and the consent reader when the action itself is named (「撤回吧」)."""

import datetime as dt

import pytest

from bot.dialogue.consent import AMEND_WORDS, NO, UNCLEAR, WITHDRAW_WORDS, YES, read_consent
from bot.dialogue.questions import looks_like_question
from bot.facts.several import split_records
from bot.parsing.ranges import MonthRange, month_range

TODAY = dt.date(2026, 11, 25)


@pytest.mark.parametrize("text, question", [
    ("年报在哪里补报嘛", True), ("要交钱不", True), ("这个代码在哪看", True), ("承诺书写的啥", True),
    ("要好久才弄得好哦", True), ("啥时候能弄好", True), ("好久以前的事了", False),
    ("2025年3月5日", False), ("张德贵", False), ("已经交了", False), ("市场监管局", False),
])
def test_questions_are_told_from_answers(text, question):
    assert looks_like_question(text) is question


@pytest.mark.parametrize("text, expected", [
    ("去年六七月份", MonthRange(2025, 6, 7)), ("今年3、4月", MonthRange(2026, 3, 4)),
    ("2025年5到6月", MonthRange(2025, 5, 6)), ("3月", None), ("2025年3月5日", None),
])
def test_vague_month_ranges(text, expected):
    assert month_range(text, TODAY) == expected


def test_two_records_in_one_message_are_two_texts_sharing_the_common_tail():
    parts = split_records("今年3月10号遭市场监管局罚了两万，1月10号税务局还罚了5000，都交了", TODAY)
    assert parts == ["今年3月10号遭市场监管局罚了两万，都交了", "1月10号税务局还罚了5000，都交了"]


@pytest.mark.parametrize("text", [
    "2026年1月10日被税务局罚款5000元，一般失信，已经缴清了，能修复吗",
    "被罚款了 是去年3月税务局罚的 交了",            # an undated record, then its date: one record
    "经营异常了 今年3月市场监管列的",
])
def test_one_record_stays_one(text):
    assert split_records(text, TODAY) == [text]


def test_two_undated_records_of_two_kinds_are_two():
    """Fourth hand try: 「…一个是税务罚款 一个是经营异常 地址联系不上被列的」 became one abnormal-list
    record 「by 税务」 and the penalty was lost."""
    parts = split_records("客户公司有两个问题 一个是税务罚款 一个是经营异常 地址联系不上被列的", TODAY)
    assert len(parts) == 2 and "税务罚款" in parts[0] and "经营异常" in parts[1] and "联系不上" in parts[1]
    assert "经营异常" not in parts[0]


@pytest.mark.parametrize("text, answer", [
    ("嗯 撤回吧", YES), ("确认撤回", YES), ("撤回", YES), ("不撤回", NO), ("不撤了", NO), ("算了 不撤回了", NO),
    ("撤回了会怎样", UNCLEAR),
])
def test_withdraw_confirm(text, answer):
    assert read_consent(text, agree_words=WITHDRAW_WORDS).answer == answer


@pytest.mark.parametrize("text, answer", [("改吧", YES), ("确定修改", YES), ("不改了", NO), ("不用改", NO)])
def test_amend_confirm(text, answer):
    assert read_consent(text, agree_words=AMEND_WORDS).answer == answer


# ----- the welcome is for opening the chat, not for a first question (bot/dialogue/opening.py) -----
@pytest.mark.parametrize("text, opening", [
    ("/greet", True),                                   # the widget opening (hidden)
    ("你好", True),                                     # a new WeChat follower, or a plain greeting
    ("您好！", True),
    ("在吗", True),
    ("你好 我是开五金店的 听说可以修复信用", True),     # persona 03: a greeting, nothing asked
    ("Hello", True),
    ("你好 年报在哪里补", False),                       # asks something: the answer first
    ("我们屋头那个小卖部遭列进经营异常了 年报忘求了报 咋个整嘛", False),
    ("公司遭罚款了，要公示好久才可以申请修复？", False),
    ("好的", False),
    ("", False),
])
def test_what_opens_the_chat(text, opening):
    from bot.dialogue.opening import is_opening

    assert is_opening(text) is opening


def test_an_opening_message_is_marked_for_the_session_start():
    from rasa.core.channels.channel import UserMessage

    from bot.dialogue.opening import mark_opening

    hello = UserMessage("你好", sender_id="u1", metadata={"channel": "wechat"})
    mark_opening(hello)
    assert hello.metadata == {"channel": "wechat", "opening": True}
    question = UserMessage("年报在哪里补", sender_id="u1")
    mark_opening(question)
    assert not (question.metadata or {}).get("opening")


def test_two_kinds_of_record_in_one_message_are_two_records():
    """Second hand try: 「我去年遭罚了，环保局罚的，还有个年报没报上了经营异常」 lost the penalty, and
    环保局 became the abnormal list's department."""
    import datetime as dt

    from bot.facts import extract_record_facts
    from bot.facts.several import split_records

    parts = split_records("我去年遭罚了，环保局罚的，还有个年报没报上了经营异常，两个都想修复咋个整", dt.date(2026, 11, 25))
    kinds = [extract_record_facts(p, dt.date(2026, 11, 25)).kind for p in parts]
    assert kinds == ["penalty", "abnormal_list"]
    assert "环保局" not in parts[1]
