"""The engine takes every number from the guide: change the guide, the answer changes.

Each test copies guides/ to a temporary directory, edits one rule and loads that copy.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
import yaml

from bot.guide.loader import Guide
from bot.rules.engine import determine_paths

ROOT = Path(__file__).resolve().parents[1]


class _StringDateLoader(yaml.SafeLoader):
    pass


_StringDateLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def patched_guide(tmp_path: Path, rule_id: str, **changes) -> Guide:
    """A copy of the guide where rule `rule_id` gets `changes` (dotted keys reach into values)."""
    root = tmp_path / "guides"
    shutil.copytree(ROOT / "guides", root)
    path = root / "rules.yml"
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StringDateLoader)
    rule = next(r for r in data["rules"] if r["id"] == rule_id)
    for dotted, value in changes.items():
        keys = dotted.split("__")
        target = rule
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return Guide(root)


def one(payload: dict, guide: Guide) -> dict:
    return determine_paths(payload, guide)["results"][0]


TAX_PENALTY = {"as_of": "2026-11-25", "records": [
    {"kind": "penalty", "department": "tax", "decision_date": "2026-05-10", "procedure": "general",
     "severity": "general", "penalties": ["fine"], "obligations_fulfilled": True}]}


def test_longer_minimum_period_in_the_guide_moves_the_earliest_date(tmp_path):
    guide = patched_guide(tmp_path, "penalty_publicity_order36", values__general={"min_months": 9, "max_months": 12})
    r = one(TAX_PENALTY, guide)
    assert (r["status"], r["earliest_date"]) == ("not_yet", "2027-02-11")
    assert r["unmet"] == ["最短公示期（9个月）尚未届满，2027年2月11日起可以申请"]


def test_decision_limit_comes_from_the_guide(tmp_path):
    guide = patched_guide(tmp_path, "decision_limit_penalty_22", values__working_days=5)
    r = one(TAX_PENALTY, guide)
    assert r["decision_limit_working_days"] == 5
    assert r["decision_deadline_if_applied_today"] == "2026-12-02"


def test_marking_a_rule_verified_removes_the_caveat(tmp_path):
    # The emergency department's penalty section is verified; only the time-limit rule is not.
    payload = {"as_of": "2026-11-25", "records": [dict(TAX_PENALTY["records"][0], department="emergency")]}
    before = determine_paths(payload)["results"][0]
    assert before["unverified_rules"] == ["decision_limit_penalty_22"]
    assert "以受理机关最新规定为准" in before["caveats"]
    after = one(payload, patched_guide(tmp_path, "decision_limit_penalty_22", verified=True))
    assert after["unverified_rules"] == []
    assert "以受理机关最新规定为准" not in after["caveats"]


def test_an_unverified_guide_section_alone_brings_the_caveat(tmp_path):
    guide = patched_guide(tmp_path, "decision_limit_penalty_22", verified=True)
    r = one(TAX_PENALTY, guide)  # penalty_info/tax is marked verified: false in the guide
    assert r["unverified_rules"] == []
    assert "以受理机关最新规定为准" in r["caveats"]


STATS_LIST = {"as_of": "2026-11-25", "records": [
    {"kind": "serious_list", "department": "statistics", "listed_date": "2026-10-01", "corrected": True}]}


def test_unknown_minimum_listing_period_means_eligible_once_corrected_with_a_caveat(tmp_path):
    guide = patched_guide(tmp_path, "serious_term_statistics", values__min_months=None)
    r = one(STATS_LIST, guide)
    assert r["status"] == "eligible"
    assert r["earliest_date"] == "2026-10-02"
    assert any("最短列入期限未经核实" in c for c in r["caveats"])
    assert "以受理机关最新规定为准" in r["caveats"]


def test_unknown_minimum_listing_period_still_requires_the_correction(tmp_path):
    guide = patched_guide(tmp_path, "serious_term_statistics", values__min_months=None)
    payload = {"as_of": "2026-11-25", "records": [dict(STATS_LIST["records"][0], corrected=False)]}
    assert one(payload, guide)["status"] == "needs_correction"


def test_early_repair_false_in_the_guide_makes_the_list_not_repairable(tmp_path):
    guide = patched_guide(tmp_path, "serious_term_statistics", values__early_repair=False)
    r = one(STATS_LIST, guide)
    assert (r["status"], r["auto_end_date"]) == ("not_repairable", "2029-10-02")


def test_a_date_after_the_last_version_uses_the_latest_version_with_a_caveat(tmp_path):
    guide = patched_guide(tmp_path, "penalty_publicity_order36", valid_until="2026-12-31")
    payload = {"as_of": "2027-06-01", "records": [
        dict(TAX_PENALTY["records"][0], decision_date="2027-01-05")]}
    r = one(payload, guide)
    assert r["rules_used"][0] == "penalty_publicity_order36"
    assert r["earliest_date"] == "2027-04-06"
    assert any("最近收录的2026年12月31日前适用的规定" in c for c in r["caveats"])


@pytest.mark.parametrize("module", ["engine.py", "inputs.py"])
def test_no_period_or_time_limit_numbers_in_code(module):
    """Months, days and working days live in guides/rules.yml; code may only count 0/1 (indexes)."""
    tree = ast.parse((ROOT / "bot" / "rules" / module).read_text(encoding="utf-8"))
    numbers = {n.value for n in ast.walk(tree)
               if isinstance(n, ast.Constant) and type(n.value) in (int, float)}
    assert numbers <= {0, 1}, f"numbers in {module}: {sorted(numbers)}"
