"""Readers found missing by the persona conversations (issue 9): a statement of the user's own
record when NLU is unsure, the reason for a listing vs. its state, dialect 「交撒了」, and the year
of a vague date kept for the precise day."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.dialogue.record_flow import in_year_said
from bot.facts import extract_record_facts
from bot.facts.statement import states_a_record

TODAY = dt.date(2026, 11, 25)


@pytest.mark.parametrize("text,states", [
    ("我那个小吃店遭弄到经营异常里头去了 说是没报年报", True),
    ("我们公司被市场监管局罚了款", True),
    ("俺们店进了经营异常", True),
    ("处罚信息挂在网上好多个月", False),       # a question in dialect
    ("年报在哪里补报嘛", False),
    ("我们被列入经营异常了吗", False),
    ("经营异常名录", False),                   # a topic, not the user's case
    ("我想问一下", False),                     # no record
])
def test_statement_of_own_record(text, states):
    assert states_a_record(text, TODAY) is states


@pytest.mark.parametrize("text,corrected", [
    ("遭弄到经营异常里头去了 说是没报年报", None),   # the reason, not the state
    ("因为没报年报被列入经营异常", None),
    ("列入经营异常了，年报还没补报", False),
    ("列入经营异常了，年报已经补报了", True),
])
def test_reason_of_listing_is_not_its_state(text, corrected):
    assert extract_record_facts(text, TODAY).to_record().get("corrected") is corrected


@pytest.mark.parametrize("text,done", [
    ("去年遭市场监管罚了款 罚款早都交撒了", True),
    ("罚款交噻了", True),
    ("罚款还没交", False),
])
def test_dialect_done(text, done):
    assert extract_record_facts(text, TODAY).to_record().get("obligations_fulfilled") is done


@pytest.mark.parametrize("day,answer,year,want", [
    ("2026-07-15", "7月15号", 2025, "2025-07-15"),
    ("2026-07-15", "2026年7月15号", 2025, "2026-07-15"),   # a year said wins
    ("2025-07-15", "去年7月15号", 2024, "2025-07-15"),
    ("2028-02-29", "2月29号", 2025, "2028-02-29"),         # no such day that year: unchanged
])
def test_day_in_the_year_said_before(day, answer, year, want):
    assert in_year_said(day, answer, year) == want
