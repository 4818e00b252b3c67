"""One lexicon (guides/lexicon.yml, cached on the guide) and one rule lookup (Guide.rule_for)."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from bot.guide.loader import load_guide
from bot.rules.engine import determine_paths  # noqa: F401  (the engine must import cleanly)

ROOT = Path(__file__).resolve().parents[1]
D = dt.date


@pytest.fixture(scope="module")
def guide():
    return load_guide()


def test_lexicon_is_built_once_per_guide(guide):
    assert guide.lexicon is load_guide().lexicon
    assert guide.lexicon.topics["materials"].label == "申请材料"
    assert guide.lexicon.intent_topics["ask_channel"] == "channels"


@pytest.mark.parametrize("text, kind, code", [
    ("农民工工资拖欠被罚", "department_hint", "hrss"),
    ("年报没报", "item_hint", "abnormal_list"),
    ("税务局罚的", "department", "tax"),
    ("黑名单", "item", "serious_list"),
    ("要交啥子材料", "topic", "materials"),
])
def test_scan_finds_words_from_the_yaml(guide, text, kind, code):
    assert (kind, code) in {(m.kind, m.code) for m in guide.lexicon.scan(text)}


def test_sections_for_other_readers(guide):
    lex = guide.lexicon
    assert "个体户" in lex.subject_words["individual_business"]
    assert "罚款" in lex.record_cues["penalty"]
    assert "咋个" in lex.dialect_words
    assert "税务局" in lex.names("department")["tax"] or "税务" in lex.names("department")["tax"]
    assert lex.section("date_basis_labels")["decision_date"] == "处罚决定日期"


def _string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


@pytest.mark.parametrize("module", ["resolve.py", "answer.py", "nlu_data.py", "search.py", "agent_query.py"])
def test_no_word_lists_left_in_code(guide, module):
    """The words that used to be hard-coded in these modules now only live in the lexicon."""
    lex = guide.lexicon
    words = {*lex.department_hints, *lex.item_hints, *lex.domain_words, *lex.dialect_words,
             *(p for t in lex.topics.values() for p in t.phrases),
             *(k for t in lex.topics.values() for k in t.keywords if len(k) > 2)}
    found = [s for s in _string_constants(ROOT / "bot" / "guide" / module) if s in words]
    assert not found, f"{module} still spells lexicon words: {found[:5]}"


def test_agent_query_does_not_import_resolve():
    tree = ast.parse((ROOT / "bot" / "guide" / "agent_query.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "bot.guide.resolve" not in imported


# ----- rule_for -----------------------------------------------------------------------------------
@pytest.mark.parametrize("topic, item, dept, on, expected", [
    # both sides of each boundary of the penalty publicity versions
    ("penalty_publicity", "penalty_info", "tax", D(2025, 6, 21), "penalty_publicity_order58"),
    ("penalty_publicity", "penalty_info", "tax", D(2025, 6, 22), "penalty_publicity_22_order58"),
    ("penalty_publicity", "penalty_info", "tax", D(2026, 3, 31), "penalty_publicity_22_order58"),
    ("penalty_publicity", "penalty_info", "tax", D(2026, 4, 1), "penalty_publicity_order36"),
    # the more specific department version wins from its first day, not the day before
    ("penalty_publicity", "penalty_info", "market_regulation", D(2025, 12, 24), "penalty_publicity_22_order58"),
    ("penalty_publicity", "penalty_info", "market_regulation", D(2025, 12, 25), "penalty_publicity_samr107"),
    ("penalty_publicity", "penalty_info", None, D(2026, 12, 1), "penalty_publicity_order36"),
    ("serious_list_terms", "serious_list", "tax", D(2026, 12, 1), "serious_term_tax"),
])
def test_rule_for_in_force(guide, topic, item, dept, on, expected):
    choice = guide.rule_for(topic, item, dept, on)
    assert choice.rule.id == expected
    assert choice.caveat is None and choice.exact
    assert guide.rule(topic, item, dept or "any", on).id == expected


def test_rule_for_before_every_version_falls_back_to_the_earliest_with_a_caveat(guide):
    rule, caveat = guide.rule_for("penalty_publicity", "penalty_info", "tax", D(2023, 4, 30))
    assert rule.id == "penalty_publicity_order58"
    assert "2023年4月30日" in caveat and "处罚决定日期" in caveat and "2023年5月1日起" in caveat
    assert "请向受理机关确认" in caveat
    assert guide.rule("penalty_publicity", "penalty_info", "tax", D(2023, 4, 30)) is None
    assert guide.rule_for("penalty_publicity", "penalty_info", "tax", D(2023, 4, 30), fallback=False).rule is None


def test_rule_for_unknown_scope_is_none(guide):
    choice = guide.rule_for("abnormal_list_terms", "abnormal_list", "tax", D(2026, 12, 1))
    assert choice.rule is None and choice.caveat is None and not choice.exact


def test_engine_fallback_agrees_with_rule_for(guide):
    """The path engine's nearest-version choice and caveat are the same as rule_for's."""
    from bot.rules.engine import _Engine
    from bot.rules.inputs import parse_payload

    case = parse_payload({"subject_type": "enterprise", "as_of": "2026-12-01", "records": [
        {"kind": "penalty", "department": "tax", "decision_date": "2023-04-30"}]}, guide.departments)
    engine = _Engine(guide, case)
    rule, fallback = engine.pick("penalty_publicity", "penalty_info", "tax", D(2023, 4, 30))
    choice = guide.rule_for("penalty_publicity", "penalty_info", "tax", D(2023, 4, 30), "enterprise")
    assert choice.caveat  # the engine returns it as a reason code carrying rule_for's wording
    assert (rule, fallback["code"], fallback["text"]) == (choice.rule, "rule_fallback", choice.caveat)
