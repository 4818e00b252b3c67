"""One clock (bot/clock.py): nothing else reads the system date, and the engine, its explanation
and the case store's deadlines all follow China's date (Asia/Shanghai, ASSISTANT_TODAY)."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from bot import clock

ROOT = Path(__file__).resolve().parents[1]
# attribute calls that read the calendar date or the time of day
FORBIDDEN = {("date", "today"), ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
             ("time", "localtime"), ("time", "gmtime"), ("dt", "today")}  # time.time() for elapsed time is fine


def clock_reads(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if (name, node.func.attr) in FORBIDDEN:
                found.append((node.lineno, f"{name}.{node.func.attr}()"))
    return found


SOURCES = sorted(p for d in ("bot", "actions", "tests", "bench") for p in (ROOT / d).rglob("*.py")
                 if p != ROOT / "bot" / "clock.py" and "migrations" not in p.parts)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_but_bot_clock_reads_the_system_date(path):
    assert clock_reads(path.read_text(encoding="utf-8")) == [], path


def test_the_check_sees_the_usual_spellings():
    src = "import datetime as dt\nfrom datetime import date, datetime\ndt.date.today()\ndatetime.now()\ndate.today()\n"
    assert [what for _, what in clock_reads(src)] == ["date.today()", "datetime.now()", "date.today()"]


@pytest.fixture
def chengdu(monkeypatch):
    """Set the UTC moment; China is 8 hours ahead."""
    monkeypatch.delenv("ASSISTANT_TODAY", raising=False)

    def at(utc: dt.datetime) -> None:
        monkeypatch.setattr(clock, "utcnow", lambda: utc)

    return at


def test_engine_and_explanation_use_chinas_date_at_2330_and_0030(chengdu):
    from bot.rules.engine import determine_paths
    from bot.rules.explain import details

    rec = {"kind": "penalty", "department": "tax", "decision_date": "2026-08-31", "procedure": "general",
           "severity": "general", "penalties": ["fine"], "obligations_fulfilled": True}
    chengdu(dt.datetime(2026, 11, 30, 15, 30))  # 23:30 on 30 November in Chengdu
    before = determine_paths({"records": [rec]})
    assert before["as_of"] == "2026-11-30" and before["results"][0]["status"] == "not_yet"
    assert "按今天（2026年11月30日）计算" in details(before)
    chengdu(dt.datetime(2026, 11, 30, 16, 30))  # 00:30 on 1 December in Chengdu, still 30 Nov in UTC
    after = determine_paths({"records": [rec]})
    assert after["as_of"] == "2026-12-01" and after["results"][0]["status"] == "eligible"


def test_case_store_receipt_and_deadline_follow_chinas_date(tmp_path, chengdu):
    from bot.casestore.db import migrate
    from bot.casestore.service import CaseStore, Viewer
    from bot.casestore.settings import Settings
    from tests.casestore_fixtures import application

    url = f"sqlite:///{tmp_path / 'c.db'}"
    migrate(url)
    moment = {"utc": dt.datetime(2026, 11, 30, 16, 30)}  # 00:30 on Tuesday 1 December in Chengdu
    store = CaseStore(Settings(database_url=url, upload_dir=tmp_path), clock=lambda: moment["utc"])
    view, _ = store.submit(application(), "clock-1", Viewer("assistant"))
    item = view["items"][0]
    assert item["received_on"] == "2026-12-01"
    assert item["deadline"] == "2026-12-04"  # 3 working days after Tuesday 1 December
    store.db.dispose()
