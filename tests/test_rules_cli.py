"""`python -m bot.paths`: JSON in, JSON out; errors on stdout with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot import clock
from bot.rules.engine import determine_paths

ROOT = Path(__file__).resolve().parents[1]
CASE = {
    "as_of": "2026-11-25",
    "subject_type": "enterprise",
    "records": [
        {"kind": "penalty", "department": "market_regulation", "decision_date": "2026-03-10",
         "procedure": "general", "severity": "general", "penalties": ["fine"], "fine_amount": 20000,
         "obligations_fulfilled": True},
        {"kind": "abnormal_list", "department": "market_regulation", "listed_date": "2025-07-01",
         "reason": "annual_report", "corrected": True},
    ],
}


def cli(stdin: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.paths", *args], input=stdin,
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_prints_the_result_as_indented_unescaped_json():
    proc = cli(json.dumps(CASE))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == json.dumps(determine_paths(CASE), ensure_ascii=False, indent=2) + "\n"
    assert "市场监管部门" in proc.stdout and '\n  "results": [' in proc.stdout


def test_invalid_input_prints_every_error_and_exits_2():
    bad = {"as_of": "2026-11-25", "records": [
        {"kind": "penalty", "department": "nowhere", "decision_date": "2026-02-30"},
        {"kind": "serious_list", "department": "hrss", "listed_date": "2027-01-01"},
    ]}
    proc = cli(json.dumps(bad))
    assert proc.returncode == 2
    errors = json.loads(proc.stdout)["errors"]
    assert [e["field"] for e in errors] == [
        "records[0].department", "records[0].decision_date", "records[1].listed_date"]
    assert "日期不存在" in errors[1]["message"]
    assert "晚于查询日期" in errors[2]["message"]


def test_text_that_is_not_json_is_an_input_error():
    proc = cli("{not json")
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["errors"][0]["field"] == "(input)"


def test_as_of_defaults_to_today_and_says_so():
    payload = {"records": [CASE["records"][1]]}
    proc = cli(json.dumps(payload))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["as_of"] == clock.today().isoformat()  # China's date, not the server's
    assert out["subject_type"] == "enterprise"
    assert any("未指定查询日期" in c for c in out["caveats"])


def test_explain_flag_prints_chinese_text():
    proc = cli(json.dumps(CASE), "--explain")
    assert proc.returncode == 0, proc.stderr
    assert "综合安排（一次申请、同步修复）" in proc.stdout
    assert "（星期" in proc.stdout


def test_batch_mode_answers_line_by_line_and_flags_invalid_lines():
    lines = json.dumps(CASE) + "\n\n" + json.dumps({"records": []}) + "\n"
    proc = cli(lines, "--batch")
    assert proc.returncode == 2
    first, second = (json.loads(x) for x in proc.stdout.splitlines())
    assert first == json.loads(json.dumps(determine_paths(CASE), ensure_ascii=False))
    assert second["errors"][0]["field"] == "records"
