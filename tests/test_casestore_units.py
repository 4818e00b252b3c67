"""Case store pieces without a server: case numbers, settings, states, deadlines, migrations,
back-off, and the outbox against a subscriber that is down."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.casestore import caseno
from bot.casestore.outbox import backoff_seconds, deliver_due
from bot.casestore.service import CaseStore, Viewer, application_state, is_overdue, phone_matches
from bot.casestore.settings import Settings, SettingsError, Subscriber
from tests.casestore_fixtures import application, free_port


def test_case_numbers_are_short_checked_and_normalised():
    day = dt.date(2026, 11, 25)
    seen = {caseno.new_case_no(day) for _ in range(200)}
    for number in seen:
        assert number.startswith("XF-20261125-") and len(number) == 17
        assert set(number[3:].replace("-", "")) <= set("0123456789")
        assert caseno.normalize_case_no(number) == number
        assert caseno.normalize_case_no(number.lower().replace("-", " ")) == number
        wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
        assert caseno.normalize_case_no(wrong) is None  # a misheard digit is caught
    wide = caseno.new_case_no(day, wide=True)
    assert len(wide) == 19 and caseno.normalize_case_no(wide) == wide
    full_width = "ＸＦ－" + number[3:].translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    assert caseno.normalize_case_no(full_width) == number
    assert caseno.normalize_case_no("XF-2026-1") is None
    assert caseno.normalize_case_no("") is None
    # shaped like a case number inside a sentence, even with a wrong check digit (「这个案件号对不上」)
    assert caseno.looks_like_case_no(f"帮我查下 {wrong.lower()} 咋样了") and caseno.looks_like_case_no(full_width)
    assert not caseno.looks_like_case_no("我上个月申请的修复") and not caseno.looks_like_case_no("XF-2026-1")


def test_settings_from_env_and_defaults():
    s = Settings.from_env({})
    assert s.database_url.endswith("var/casestore.db") and s.port == 8000
    assert s.upload_max_bytes == 10 * 1024 * 1024 and s.host == "127.0.0.1"
    tokens = s.department_tokens()
    assert tokens["dev-tax"] == "tax" and tokens["dev-market_regulation"] == "market_regulation"
    s = Settings.from_env({
        "CASESTORE_DEPT_TOKENS": "tax=t1, hrss=t2", "CASESTORE_PORT": "9001",
        "CASESTORE_SUBSCRIBERS": '[{"name": "省社会信用信息平台", "url": "http://127.0.0.1:1/x"}]',
    })
    assert s.department_tokens()["t1"] == "tax" and s.port == 9001
    assert s.subscribers == (Subscriber("省社会信用信息平台", "http://127.0.0.1:1/x"),)
    for bad in ({"CASESTORE_DEPT_TOKENS": "tax"}, {"CASESTORE_PORT": "x"},
                {"CASESTORE_SUBSCRIBERS": "{"}, {"CASESTORE_SUBSCRIBERS": '[{"name": "a"}]'},
                {"CASESTORE_SUBSCRIBERS": '[{"name": "a", "url": "ftp://x"}]'}):
        with pytest.raises(SettingsError):
            Settings.from_env(bad)
    with pytest.raises(SettingsError):
        Settings.from_env({"CASESTORE_DEPT_TOKENS": "police=x"}).department_tokens()


def test_business_date_follows_china_and_the_project_pin(monkeypatch, tmp_path):
    s = CaseStore(Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}"),
                  clock=lambda: dt.datetime(2026, 11, 25, 17, 30))  # 01:30 on the 26th in China
    monkeypatch.delenv("ASSISTANT_TODAY", raising=False)
    assert s.today() == dt.date(2026, 11, 26)
    monkeypatch.setenv("ASSISTANT_TODAY", "2027-02-01")
    assert s.today() == dt.date(2027, 2, 1)


def test_application_state_is_derived_from_items():
    assert application_state(["submitted", "submitted"]) == "submitted"
    assert application_state(["submitted", "accepted"]) == "in_progress"
    assert application_state(["returned", "approved"]) == "returned"
    assert application_state(["approved", "rejected"]) == "in_progress"
    assert application_state(["result_shared", "rejected"]) == "completed"


def test_overdue_and_phone_checks():
    d = dt.date(2026, 11, 30)
    assert is_overdue("accepted", d, dt.date(2026, 12, 1))
    assert not is_overdue("accepted", d, d)
    assert not is_overdue("returned", d, dt.date(2027, 1, 1))  # the clock stops while returned
    assert not is_overdue("submitted", None, dt.date(2027, 1, 1))
    assert phone_matches("13812341234", "1234", allow_last4=True)
    assert not phone_matches("13812341234", "1234", allow_last4=False)
    assert phone_matches("13812341234", "+86 138-1234-1234", allow_last4=False)
    assert not phone_matches("13812341234", "13812341235", allow_last4=True)
    assert not phone_matches("13812341234", None, allow_last4=True)


def test_backoff_doubles_up_to_the_cap():
    assert [backoff_seconds(n, 30, 3600) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_seconds(20, 30, 3600) == 3600


@pytest.fixture()
def store(tmp_path):
    from bot.casestore.db import migrate

    url = f"sqlite:///{tmp_path / 'u.db'}"
    migrate(url)
    port = free_port()  # nothing listens here: the subscriber is down
    settings = Settings(database_url=url, upload_dir=tmp_path / "up",
                        subscribers=(Subscriber("省社会信用信息平台", f"http://127.0.0.1:{port}/x"),),
                        outbox_backoff_base=10, outbox_backoff_max=40, delivery_timeout=2)
    s = CaseStore(settings)
    yield s
    s.db.dispose()


def test_migrations_create_the_schema_and_are_repeatable(store):
    from sqlalchemy import inspect

    from bot.casestore.db import migrate

    migrate(store.settings.database_url)  # second run: nothing to do
    names = set(inspect(store.db.engine).get_table_names())
    assert {"applications", "items", "events", "outbox", "results", "uploads", "upload_tokens",
            "reminders", "declared_materials", "alembic_version"} <= names


def test_models_match_the_migrations(store):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.casestore.models import Base

    with store.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_deadline_follows_subject_type_and_department(store):
    body = application(records=[
        {"kind": "abnormal_list", "department": "market_regulation", "date": "2025-07-01",
         "obligations_fulfilled": True},
        {"kind": "serious_list", "department": "emergency", "date": "2025-07-01",
         "obligations_fulfilled": True},
    ])
    body["applicant"]["subject_type"] = "individual_business"
    from stdnum.cn import uscc

    body["applicant"]["uscc"] = "92510100MA6C12340" + uscc.calc_check_digit("92510100MA6C12340")
    view, created = store.submit(body, "k-ind", Viewer("assistant"))
    assert created
    ab, se = view["items"]
    assert ab["time_limit"]["rule_id"] == "decision_limit_abnormal_individual"
    assert se["time_limit"]["rule_id"] == "decision_limit_serious_general"
    assert se["time_limit"]["working_days"] == 10 and "以受理机关最新规定为准" in se["time_limit"]["caveat"]
    from bot.rules.workdays import add_working_days

    received = dt.date.fromisoformat(se["received_on"])
    assert se["deadline"] == add_working_days(received, 10).date.isoformat()


def test_a_subscriber_that_is_down_loses_nothing(store):
    view, _ = store.submit(application(), "k-down", Viewer("assistant"))
    item = view["items"][0]["item_id"]
    store.act(item, "accept", Viewer("department", "tax"), {})
    store.act(item, "approve", Viewer("department", "tax"), {})
    t0 = store.clock()
    waits = []
    now = t0
    for _ in range(5):
        stats = deliver_due(now, store)
        assert stats == {"attempted": 1, "delivered": 0, "failed": 1, "shared": 0}
        assert deliver_due(now, store)["attempted"] == 0
        with store.db.reading() as s:
            from sqlalchemy import select

            from bot.casestore.models import Outbox

            row = s.execute(select(Outbox)).scalar_one()
        waits.append((row.next_attempt_at - now).total_seconds())
        assert row.status == "pending" and "ConnectError" in row.last_error
        now = row.next_attempt_at
    assert waits == [10, 20, 40, 40, 40]
    v = store.get_application(view["case_no"], Viewer("agent"))
    assert v["items"][0]["state"] == "approved"
    assert v["items"][0]["shared_to"] == [{"subscriber": "省社会信用信息平台", "delivered": False,
                                           "attempts": 5, "delivered_at": None}]


def test_without_subscribers_an_approval_is_shared_at_once(tmp_path):
    from bot.casestore.db import migrate

    url = f"sqlite:///{tmp_path / 'n.db'}"
    migrate(url)
    s = CaseStore(Settings(database_url=url, upload_dir=tmp_path))
    view, _ = s.submit(application(), "k", Viewer("assistant"))
    item = view["items"][0]["item_id"]
    s.act(item, "accept", Viewer("agent"), {})
    assert s.act(item, "approve", Viewer("agent"), {})["state"] == "result_shared"
    s.db.dispose()


def test_validation_without_a_date_uses_the_one_clock(monkeypatch):
    from bot.casestore.validation import validate_application
    from bot.guide.loader import load_guide
    from tests.casestore_fixtures import application

    monkeypatch.setenv("ASSISTANT_TODAY", "2026-03-01")
    body = application()
    body["records"][0]["date"] = "2026-03-10"  # after the pinned today: a future date
    _, problems = validate_application(body, load_guide())
    assert any(p["field"] == "records[0].date" for p in problems)
