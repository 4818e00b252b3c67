"""Full-text retrieval (jieba + BM25) finds the right section for paraphrases and typos."""

from __future__ import annotations

import pytest

from bot.guide.search import search, tokens


def test_tokens_use_the_domain_dictionary():
    toks = tokens("税务局罚款记录咋个修复")
    assert "罚款记录" in toks and "税务局" in toks and "咋个" in toks


@pytest.mark.parametrize("text,source,topic", [
    ("罚款记录要交哪些东西", "penalty_info/default", "materials"),
    ("处罚信息挂在网上好多个月", "penalty_info/default", "publicity_period"),
    ("异常名录从哪个网站去申请移出", "abnormal_list/default", "channels"),
    ("年报补报了会自动移出不", "abnormal_list/default", "faq"),
    ("处罚决定不服咋个办", "penalty_info/default", "objection"),
    ("双书同达是啥子意思", "faq/two_notices", "two_notices"),
    ("一次申请同步修复是怎么回事", "faq/one_thing", "one_thing"),
    ("征信逾期咋个消除", "faq/personal_credit_report", "personal_credit_report"),
    ("老赖名单能删不", "faq/court_dishonest_debtor", "court_dishonest_debtor"),
    ("信用修复收钱不", "faq/fee", "fee"),
    ("拖欠农民工工资名单移出要满足哪些条件", "serious_list/hrss", "conditions"),
])
def test_paraphrases_find_the_section(text, source, topic):
    dept = "hrss" if "农民工" in text else None
    best = search(text, k=3, department=dept)[0]
    assert (best.source, best.topic) == (source, topic)


def test_item_filter_and_preference():
    hits = search("要交哪些材料", k=3, only_items=("abnormal_list",))
    assert hits[0].item == "abnormal_list" and hits[0].topic == "materials"
    hits = search("要交哪些材料", k=3, prefer_item="serious_list")
    assert hits[0].item == "serious_list"


def test_nonsense_finds_nothing_much():
    assert search("", k=3) == []
    hits = search("哈哈哈", k=3)
    assert not hits or hits[0].score < 8


def test_fallback_retrieval_tolerates_a_mistyped_item():
    import datetime as dt

    from bot.guide.resolve import respond

    reply = respond("nlu_fallback", [], {}, "黑明单移出后还会不会被惩戒", today=dt.date(2026, 11, 25))
    assert (reply.answer.source, reply.answer.topic) == ("serious_list/default", "effects")
