"""Table-driven tests of the path-determination engine (tests/rules_cases/cases.yml).

Every case runs through `determine_paths` and through the CLI (`python -m bot.paths --batch`,
one subprocess for the whole table) and both must give the same answer.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.rules.engine import STATUSES, InputError, determine_paths

ROOT = Path(__file__).resolve().parents[1]
CASES_FILE = Path(__file__).parent / "rules_cases" / "cases.yml"


class _StringDateLoader(yaml.SafeLoader):
    """Dates stay strings, exactly as they arrive in JSON (and 2026-02-30 stays loadable)."""


_StringDateLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_cases() -> list[dict]:
    with CASES_FILE.open(encoding="utf-8") as fh:
        cases = yaml.load(fh, Loader=_StringDateLoader)["cases"]
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases


CASES = _load_cases()


def payload_of(case: dict):
    if "payload" in case:
        return case["payload"]
    out = {"as_of": case["as_of"], "records": case["records"]}
    if "subject_type" in case:
        out["subject_type"] = case["subject_type"]
    return out


def python_answer(case: dict) -> dict:
    """What the CLI prints, computed in-process: the result, or {"errors": [...]}."""
    try:
        result = determine_paths(payload_of(case))
    except InputError as exc:
        return {"errors": exc.errors}
    return json.loads(json.dumps(result, ensure_ascii=False))


@pytest.fixture(scope="module")
def cli_answers() -> dict[str, dict]:
    lines = "".join(json.dumps(payload_of(c), ensure_ascii=False) + "\n" for c in CASES)
    proc = subprocess.run(
        [sys.executable, "-m", "bot.paths", "--batch"],
        input=lines, capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert proc.returncode in (0, 2), proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == len(CASES), proc.stderr
    return {c["id"]: o for c, o in zip(CASES, out)}


def _check_record(got: dict, want: dict, where: str) -> None:
    for key, value in want.items():
        if key.endswith("_has"):
            field = key[: -len("_has")]
            items = got[field]
            for needle in value:
                if field in ("rules_used",):
                    assert needle in items, f"{where}: {needle!r} not in {field} {items}"
                elif field == "materials":
                    assert needle in [m["id"] for m in items], f"{where}: material {needle!r} missing"
                elif field == "channel":
                    assert needle in items, f"{where}: channel {needle!r} missing: {items}"
                else:
                    assert any(needle in s for s in items), f"{where}: no {field} contains {needle!r}: {items}"
        elif key == "caveats_lack":
            for needle in value:
                assert not any(needle in s for s in got["caveats"]), f"{where}: caveat {needle!r} present"
        elif key == "channel_lacks":
            for needle in value:
                assert needle not in got["channel"], f"{where}: channel {needle!r} present"
        elif key == "no_caveats":
            assert got["caveats"] == [], f"{where}: unexpected caveats {got['caveats']}"
        else:
            assert got[key] == value, f"{where}: {key} = {got[key]!r}, expected {value!r}"


def _check_plan(got: dict, want: dict) -> None:
    for key, value in want.items():
        if key in ("correct_first",):
            assert len(got[key]) == len(value), f"plan.{key} = {got[key]}"
            for g, w in zip(got[key], value):
                for k, v in w.items():
                    assert g[k] == v, f"plan.{key}.{k} = {g[k]!r}, expected {v!r}"
        else:
            assert got[key] == value, f"plan.{key} = {got[key]!r}, expected {value!r}"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case, cli_answers):
    got = python_answer(case)
    assert cli_answers[case["id"]] == got, "the CLI and determine_paths() disagree"

    if "errors" in case:
        assert "errors" in got, f"expected InputError, got a result: {got}"
        fields = [e["field"] for e in got["errors"]]
        assert sorted(fields) == sorted(case["errors"]), fields
        assert all(e["message"] for e in got["errors"])
        return

    assert "errors" not in got, got.get("errors")
    results = got["results"]
    assert len(results) == len(case["expect"])
    for n, (r, want) in enumerate(zip(results, case["expect"])):
        assert r["index"] == n
        assert r["status"] in STATUSES
        _check_invariants(r, got["as_of"])
        _check_record(r, want, f"record {n}")
    if "plan" in case:
        _check_plan(got["plan"], case["plan"])
    for needle in case.get("overall_caveats_has", []):
        assert any(needle in c for c in got["caveats"]), got["caveats"]


def _check_invariants(r: dict, as_of: str) -> None:
    """Properties every result has, whatever the case."""
    status = r["status"]
    if status == "eligible":
        assert r["unmet"] == [] and r["missing_fields"] == []
        assert r["earliest_date"] is None or r["earliest_date"] <= as_of
    if status == "not_yet":
        assert r["earliest_date"] > as_of and r["unmet"]
    if status == "needs_correction":
        assert r["unmet"]
    if status == "needs_info":
        assert r["missing_fields"]
    if status == "not_repairable":
        assert r["materials"] == []
    if status == "not_needed" and r["auto_end_date"]:
        assert r["auto_end_date"] <= as_of
    if r["decision_deadline_if_applied_today"]:
        assert status == "eligible" and r["decision_deadline_if_applied_today"] > as_of
    assert len(r["basis"]) >= (1 if r["rules_used"] else 0)
    for c in r["basis"]:
        assert c.startswith("《") and "》（" in c


def test_table_is_big_enough_and_covers_every_status():
    valid = [c for c in CASES if "expect" in c]
    assert len(CASES) >= 60
    seen = {e["status"] for c in valid for e in c["expect"] if "status" in e}
    assert seen == set(STATUSES)
    assert sum(1 for c in CASES if "errors" in c) >= 10


def test_a_social_organisations_abnormal_list_is_called_by_its_own_name():
    """Hand try: a 协会 listed by 民政 was told about its 「经营异常名录」; 民政 keeps a 活动异常名录."""
    from bot.guide.answer import short_title
    from bot.guide.loader import load_guide

    out = determine_paths({"as_of": "2026-12-05", "subject_type": "social_org", "records": [
        {"kind": "abnormal_list", "department": "civil_affairs", "listed_date": "2026-06-30",
         "reason": "annual_report", "corrected": True}]})
    assert out["results"][0]["service_item_name"] == "活动异常名录信息信用修复"
    guide = load_guide()
    assert short_title(guide, guide.section("abnormal_list", "civil_affairs")).startswith("活动异常名录")
    assert short_title(guide, guide.section("abnormal_list", "market_regulation")).startswith("经营异常名录")
