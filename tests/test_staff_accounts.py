"""Staff accounts in-process, with a clock the test moves: password hashing, session expiry,
production refusing development accounts."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.casestore.db import Database, migrate
from bot.casestore.staff.accounts import AccountError, Accounts, hash_token
from bot.casestore.staff.config import StaffSettings

DEPTS = {"tax": "税务部门", "market_regulation": "市场监管部门"}
PASSWORD = "Shu-Kai-2026!x"


class Clock:
    def __init__(self):
        self.now = dt.datetime(2026, 12, 1, 2, 0, 0)

    def __call__(self):
        return self.now


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'staff.db'}"
    migrate(url)
    d = Database(url)
    yield d
    d.dispose()


def test_passwords_are_stored_as_argon2id_hashes_never_in_plain_text(db):
    acc = Accounts(db, StaffSettings(), DEPTS)
    acc.add_user("tax1", "李经办", "officer", PASSWORD, "tax")
    from sqlalchemy import select

    from bot.casestore.models import StaffUser

    with db.reading() as s:
        stored = s.execute(select(StaffUser.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_session_ends_after_idle_time_and_after_the_absolute_limit(db):
    clock = Clock()
    acc = Accounts(db, StaffSettings(idle_minutes=30, max_hours=2), DEPTS, clock=clock)
    acc.add_user("agent1", "王坐席", "agent", PASSWORD)
    token, sess = acc.login("agent1", PASSWORD)
    assert sess.user.role == "agent" and sess.csrf_token
    clock.now += dt.timedelta(minutes=29)
    assert acc.session(token) is not None  # activity keeps it alive…
    clock.now += dt.timedelta(minutes=29)
    assert acc.session(token) is not None
    clock.now += dt.timedelta(minutes=31)  # …but not after 31 idle minutes
    assert acc.session(token) is None
    token, _ = acc.login("agent1", PASSWORD)
    for _ in range(4):  # busy all the time (100 minutes), yet at most max_hours
        clock.now += dt.timedelta(minutes=25)
        assert acc.session(token) is not None
    clock.now += dt.timedelta(minutes=25)
    assert acc.session(token) is None


def test_session_tokens_are_kept_only_as_hashes(db):
    acc = Accounts(db, StaffSettings(), DEPTS)
    acc.add_user("agent1", "王坐席", "agent", PASSWORD)
    token, _ = acc.login("agent1", PASSWORD)
    from sqlalchemy import select

    from bot.casestore.models import StaffSession

    with db.reading() as s:
        stored = s.execute(select(StaffSession.token_hash)).scalar_one()
    assert stored == hash_token(token) and token not in stored


def test_changing_a_password_or_disabling_ends_existing_sessions(db):
    acc = Accounts(db, StaffSettings(), DEPTS)
    acc.add_user("tax1", "李经办", "officer", PASSWORD, "tax")
    token, _ = acc.login("tax1", PASSWORD)
    acc.set_password("tax1", "Another-Pass-77")
    assert acc.session(token) is None
    token, _ = acc.login("tax1", "Another-Pass-77")
    acc.set_active("tax1", False)
    assert acc.session(token) is None
    with pytest.raises(AccountError, match="停用"):
        acc.login("tax1", "Another-Pass-77")


def test_production_refuses_development_accounts(db):
    dev = Accounts(db, StaffSettings(production=False), DEPTS)
    dev.add_user("agent1", "坐席（演示）", "agent", "dev-agent1", dev_default=True)
    token, _ = dev.login("agent1", "dev-agent1")  # fine for make run
    prod = Accounts(db, StaffSettings(production=True), DEPTS)
    assert prod.session(token) is None  # a session opened before the switch dies too
    with pytest.raises(AccountError, match="默认密码"):
        prod.login("agent1", "dev-agent1")
    with pytest.raises(AccountError, match="默认密码"):
        prod.add_user("agent2", "某", "agent", "dev-agent2", dev_default=True)


@pytest.mark.parametrize("role, dept, message", [
    ("officer", None, "必须指定部门"),
    ("agent", "tax", "只有部门经办人"),
    ("boss", None, "角色应为"),
])
def test_roles_and_departments_are_checked(db, role, dept, message):
    with pytest.raises(AccountError, match=message):
        Accounts(db, StaffSettings(), DEPTS).add_user("u1", "某", role, PASSWORD, dept)


def test_duplicate_user_names_are_refused(db):
    acc = Accounts(db, StaffSettings(), DEPTS)
    acc.add_user("tax1", "李经办", "officer", PASSWORD, "tax")
    with pytest.raises(AccountError, match="已存在"):
        acc.add_user("TAX1", "另一个", "officer", PASSWORD, "tax")
