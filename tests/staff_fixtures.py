"""Helpers for the staff pages' tests: a case store server with staff accounts, and a logged-in
HTTP client that reads the CSRF token from the page like a browser's form would."""

from __future__ import annotations

import re

import httpx

from tests.casestore_fixtures import PHONE, Server, application, submit

PASSWORD = "Shu-Kai-2026!x"
USERS = (  # username, display name, role, department
    ("agent1", "王坐席", "agent", None),
    ("boss1", "赵主管", "supervisor", None),
    ("tax1", "税务李经办", "officer", "tax"),
    ("market1", "市场监管周经办", "officer", "market_regulation"),
)
TWO_DEPT_RECORDS = [
    {"kind": "penalty_info", "department": "tax", "decision_number": "川税稽罚〔2026〕18号",
     "reason": "逾期申报", "date": "2026-03-10", "obligations_fulfilled": True, "severity": "general"},
    {"kind": "abnormal_list", "department": "market_regulation", "date": "2025-07-02",
     "ground": "annual_report", "obligations_fulfilled": True},
]


def add_users(server: Server, password: str = PASSWORD) -> None:
    from bot.casestore.db import Database
    from bot.casestore.staff.accounts import Accounts
    from bot.casestore.staff.config import StaffSettings
    from bot.guide.loader import load_guide

    guide = load_guide()
    db = Database(server.database_url)
    try:
        acc = Accounts(db, StaffSettings(), {c: guide.department_name(c) for c in guide.departments})
        existing = {u["username"] for u in acc.list_users()}
        for username, display, role, dept in USERS:
            if username not in existing:
                acc.add_user(username, display, role, password, dept)
    finally:
        db.dispose()


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "the page has no CSRF field"
    return m.group(1)


class StaffClient:
    def __init__(self, base: str):
        self.base = base
        self.http = httpx.Client(base_url=base, timeout=15, follow_redirects=False)
        self.csrf = ""

    def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        page = self.http.get("/staff/login")
        r = self.http.post("/staff/login", data={"username": username, "password": password,
                                                 "csrf_token": csrf_of(page.text)},
                           headers={"Origin": self.base})
        if r.status_code == 303:  # every staff page carries the session's token (logout form)
            self.csrf = csrf_of(self.http.get(r.headers["location"]).text)
        return r

    def get(self, path: str, **kw) -> httpx.Response:
        return self.http.get(path, **kw)

    def post(self, path: str, data: dict | None = None, *, csrf: str | None = None,
             origin: str | None = None) -> httpx.Response:
        body = {"csrf_token": self.csrf if csrf is None else csrf, **(data or {})}
        return self.http.post(path, data=body, headers={"Origin": origin or self.base})

    def close(self) -> None:
        self.http.close()


def new_case(server: Server, records=None, materials=None) -> dict:
    over = {}
    if records is not None:
        over["records"] = records
    if materials is not None:
        over["materials"] = materials
    r = submit(server.base, application(**over))
    assert r.status_code == 201, r.text
    return r.json()


def item_no(case: dict, department: str) -> str:
    return next(i["item_id"] for i in case["items"] if i["department"] == department)


def applicant_view(server: Server, case_no: str) -> dict:
    r = httpx.get(f"{server.base}/api/v1/applications/{case_no}", params={"phone": PHONE}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()
