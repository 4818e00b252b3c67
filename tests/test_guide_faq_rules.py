"""Common questions adapted from public FAQ pages (issue 10, second batch): each is named by its
patterns whatever the NLU says, and every period or time limit in a FAQ text comes from the dated
rules (a `{placeholder}` filled by answer.rule_texts), never written into the text."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import re

import pytest

from bot.guide import first
from bot.guide.answer import faq_answer, fill_rules, item_faq_answer, rule_texts
from bot.guide.loader import load_guide

TODAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def guide():
    return load_guide()


@pytest.mark.parametrize("text, topic", [
    ("企业为啥会被列入异常名录", "abnormal_reasons"),
    ("公司搬家了执照地址没改 被列异常了咋弄", "abnormal_reasons"),
    ("年抱填错了数据会不会被列异常", "abnormal_reasons"),
    ("异常名录三年不处理会怎样", "abnormal_reasons"),
    ("补报了年报好久能移出异常名录", "abnormal_reasons"),
    ("最长公示期满了还用申请不", "max_period_passed"),
    ("都超过公示期了还要交修复材料不", "max_period_passed"),
    ("网上那个在线申请修复的按钮是灰的点不动", "apply_button_grey"),
    ("移出经营异常要填啥子表", "application_form"),
    ("信用修复申请表在哪里下载", "application_form"),
    ("罚款缴纳凭证还要我自己去打印出来交吗", "proof_of_payment"),
    ("修复没通过还可以再申请不", "not_approved"),
    ("申请交了十多个工作日了还没得消息咋办", "no_news"),
    ("修复好了是不是处罚决定就撤销了", "decision_unchanged"),
    ("有好几条处罚记录 是不是要一条一条去申请", "one_thing"),
    ("信用承诺书是拿来干啥的", "commitment"),
    ("每年几号之前要交年报", "annual_report"),
    # hand tries (2026-12-05): questions about a material at the form's last steps
    ("消除不良影响的说明咋个写哦 我不会", "harm_statement_howto"),
    ("整改说明有没得模板", "harm_statement_howto"),
    ("说明咋个写", "harm_statement_howto"),
    ("消除影响的说明是啥子", "harm_statement_howto"),   # sixth hand try: 【修复效果】
    ("授权委托书是啥子，哪里去弄", "authorization_howto"),
    ("委托书咋个写 有没得样本", "authorization_howto"),
    ("同意个锤子，凭啥子要我承担法律责任", "commitment_liability"),
    ("要承担啥子责任哦", "commitment_liability"),
    # review hand try: 「要公开啊？公开到哪点去」 got the court's 老赖 page
    ("要公开啊？公开到哪点去", "where_public"),
    ("会不会公开我的信息", "where_public"),
    ("罚款的记录在哪些网站公示", "where_public"),
    # third hand try: 「不用办…已自动停止公示」, then 「但是我在信用中国上还看得到」 → 【修复效果】 twice
    ("但是我在信用中国上还看得到", "still_visible"),
    ("网上还挂起的 你说停止公示了但是我查得到 咋个办", "still_visible"),
    ("天眼查上还查得到", "third_party_sites"),
    # fourth hand try: 「啥子决定书哦」 at the date question went unexplained
    ("啥子决定书哦", "decision_document"),
    ("决定书是个啥", "decision_document"),
    ("处罚决定书搞丢了 找不到了", "decision_document"),
    # fifth hand try: 「年报咋个补嘛」 four ways, never how
    ("年报咋个补嘛 我不会弄", "annual_report_howto"),
    ("补报年报在哪里弄", "annual_report_howto"),
    ("我问的是在哪里补年报 哪个网站", "annual_report_howto"),
    # fifth hand try: a blacklisted company was told 「个人征信…不在这里修复」
    ("修复了银行那边就能贷款了吗", "loans_after_repair"),
    ("上了黑名单贷不到款 修复了能贷不", "loans_after_repair"),
])
def test_the_question_names_its_common_topic(guide, text, topic):
    assert first.faq_by_pattern(text, guide) == topic


@pytest.mark.parametrize("text, not_topic", [
    ("前年被税务罚过款现在能不能把记录撤了", "decision_unchanged"),  # asks to remove the record
    ("处罚记录能不能撤了", "decision_unchanged"),
    ("怎么上网申请移出异常名录", "abnormal_reasons"),            # how, not why
    ("没有通知我就被罚了", "no_news"),
    ("过了最短公示期还要交啥材料", "max_period_passed"),          # the minimum: apply, with materials
    ("异常名录移出要几个工作日", "abnormal_reasons"),
    ("说明一下修复要多久", "harm_statement_howto"),            # 说明 as "explain"
    ("委托别人去办可以不", "authorization_howto"),             # whether, not how: the agent's own answer
    ("罚款交了有证明", "harm_statement_howto"),
    ("处罚信息要公示多久", "where_public"),                    # how long, not where
    ("公示期满了会自动撤下来不", "where_public"),
    ("还有没有别的材料", "still_visible"),
    ("我还有一条记录", "still_visible"),
    ("行政处罚修复之后网上还看得到吗", "still_visible"),      # whether it will be: the effects answer
    ("修复了以后网上还查得到吗", "still_visible"),
    ("按决定书上的日期算吗", "decision_document"),          # uses the document, knows what it is
    ("决定书上写的是一般", "decision_document"),
    ("补报了年报好久能移出", "annual_report_howto"),           # when, not how
    ("年报补报了就会自动移出吗", "annual_report_howto"),
    ("信用卡逾期咋个修复", "loans_after_repair"),              # the bank's own record: 人民银行
    ("房贷逾期了有不良记录", "loans_after_repair"),
    ("申请修复要提供银行缴款凭证吗", "loans_after_repair"),      # review: a material, not a loan
    ("修复后银行那边能同步吗", "loans_after_repair"),
    ("补年报了，怎么申请移出", "annual_report_howto"),           # already filed: how to apply
    ("补报年报后怎么移出经营异常名录", "annual_report_howto"),
])
def test_near_misses_do_not_take_the_wrong_common_answer(guide, text, not_topic):
    assert first.faq_by_pattern(text, guide) != not_topic


def test_every_faq_text_is_filled_from_the_rules(guide):
    for tid in guide.faq_topics:
        ans = faq_answer(tid, guide=guide)
        for text in (ans.text, ans.full, ans.plain or ""):
            assert "{" not in text and "}" not in text, (tid, text)
    for item, data in guide.items.items():
        for n, _ in enumerate(data["default"].get("faq", ())):
            ans = item_faq_answer(item, n, guide=guide)
            assert "{" not in ans.text and "}" not in ans.full, (item, n)


def test_the_figures_are_the_rules_in_force(guide):
    abn, _ = guide.rule_for("decision_limit", "abnormal_list", "market_regulation", TODAY)
    assert f"{abn.values['working_days']}个工作日" in faq_answer("abnormal_reasons", guide=guide).text
    pen, _ = guide.rule_for("penalty_publicity", "penalty_info", None, TODAY)
    months = pen.values["general"]["min_months"]
    assert f"{months}个月" in faq_answer("apply_button_grey", guide=guide).text
    card = item_faq_answer("serious_list", 0, guide=guide).text
    hrss, _ = guide.rule_for("serious_list_terms", "serious_list", "hrss", TODAY)
    civil, _ = guide.rule_for("serious_list_terms", "serious_list", "civil_affairs", TODAY)
    assert f"{hrss.values['wait_after_correction_months']}个月" in card
    assert f"{civil.values['term_months'] // 12}年" in card


def test_a_changed_rule_changes_the_text(guide):
    """The text follows the rule: a guide whose abnormal-list limit were 3 working days says 3."""
    changed = copy.copy(guide)
    changed.rules = [dataclasses.replace(r, values={**r.values, "working_days": 3})
                     if r.topic == "decision_limit" and r.item == "abnormal_list" else r for r in guide.rules]
    assert rule_texts(changed, TODAY)["abnormal_days"] == "3"
    assert "3个工作日" in fill_rules("{abnormal_days}个工作日", changed, TODAY)


def test_faq_answers_carry_no_written_periods(guide):
    """As for section texts: numbers of months, years or working days only as placeholders."""
    pattern = re.compile(r"\d+\s*(个月|年|个?工作日|天)")
    for topic in guide.faq_topics.values():
        for key in ("answer", "short", "plain"):
            assert not pattern.search(topic.get(key) or ""), (topic["id"], key)
