"""Findings 2, 3 and 6 of issue 11 against the real case store process: look-ups cannot be
brute-forced (429 within 5 wrong tries, case numbers cannot be walked), uploads check the phone
before touching the disk, development tokens die under APP_ENV=production (and every service
refuses to start on them), and the pages carry a CSP while file names never run as script."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import httpx
import pytest

from tests.browser import CHROMIUM_ARGS, PHONE as PHONE_DEVICE, chromium_path
from tests.casestore_fixtures import (
    AGENT, ASSISTANT, DEPT, PDF, PHONE, REPO, Server, auth, database_url, submit,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sec-store")
    url, _ = database_url("sqlite", tmp)
    srv = Server(tmp, url, [])
    yield srv
    srv.stop()


def lookup(server, case_no, phone, **kw):
    return httpx.get(f"{server.base}/api/v1/applications/{case_no}", params={"phone": phone}, timeout=10, **kw)


def test_five_wrong_phones_lock_the_case_with_a_chinese_429(server):
    case_no = submit(server.base).json()["case_no"]
    other = submit(server.base).json()["case_no"]
    for guess in ("0000", "1111", "2222", "3333", "4444"):
        assert lookup(server, case_no, guess).status_code == 404
    r = lookup(server, case_no, PHONE[-4:])  # even the right answer now waits
    assert r.status_code == 429 and "分钟" in r.json()["message"] and "12345" in r.json()["message"]
    r = httpx.post(f"{server.base}/api/v1/applications/{case_no}/resubmit", params={"phone": PHONE}, json={})
    assert r.status_code == 429
    assert lookup(server, other, PHONE[-4:]).status_code == 200  # another case is not affected
    assert "security:" in server.output() and PHONE not in server.output()


def test_walking_case_numbers_is_stopped_per_client(tmp_path):
    from bot.casestore.caseno import new_case_no
    import datetime as dt

    url, _ = database_url("sqlite", tmp_path)
    srv = Server(tmp_path, url, [], CASESTORE_LOOKUP_MAX_CLIENT_FAILURES="8")
    try:
        statuses = [lookup(srv, new_case_no(dt.date(2026, 11, 25)), "1234").status_code for _ in range(12)]
        assert statuses[:8] == [404] * 8 and set(statuses[8:]) == {429}
        # a token holder (the assistant, for many chat users) is not locked out by this client limit
        r = httpx.get(f"{srv.base}/api/v1/applications/{new_case_no(dt.date(2026, 11, 25))}",
                      headers=auth(ASSISTANT), timeout=10)
        assert r.status_code == 404
    finally:
        srv.stop()


def test_an_upload_with_a_wrong_phone_writes_nothing(server):
    case_no = submit(server.base).json()["case_no"]
    before = sorted(p for p in server.upload_dir.rglob("*") if p.is_file()) if server.upload_dir.exists() else []
    r = httpx.post(f"{server.base}/api/v1/applications/{case_no}/materials", params={"phone": "13900000000"},
                   files={"file": ("a.pdf", PDF, "application/pdf")}, timeout=10)
    assert r.status_code == 404
    after = sorted(p for p in server.upload_dir.rglob("*") if p.is_file()) if server.upload_dir.exists() else []
    assert after == before
    assert not any(case_no.replace("-", "") in str(p) or case_no in str(p) for p in after)


def test_every_answer_has_a_csp(server):
    link = httpx.post(f"{server.base}/api/v1/upload-tokens", headers=auth(ASSISTANT),
                      json={"draft_id": f"d-{uuid.uuid4().hex[:6]}"}).json()
    page = httpx.get(f"{server.base}/upload/{link['token']}")
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in csp and "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert page.headers["x-content-type-options"] == "nosniff"
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in page.text
    api = httpx.get(f"{server.base}/healthz")
    assert "frame-ancestors 'none'" in api.headers["content-security-policy"]
    assert "content-security-policy" in httpx.get(f"{server.base}/no-such-page").headers


@pytest.fixture
def phone_page():
    """Its own Playwright for this test only: a session-wide one would keep an event loop
    running under the asyncio tests that come after this module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        context = b.new_context(**PHONE_DEVICE)
        yield context.new_page()
        context.close()
        b.close()


def test_a_file_name_never_runs_as_script_on_the_upload_page(server, phone_page, tmp_path):
    link = httpx.post(f"{server.base}/api/v1/upload-tokens", headers=auth(ASSISTANT),
                      json={"draft_id": f"d-{uuid.uuid4().hex[:6]}"}).json()
    name = '"><img src=x onerror="window.__pwned=1">.pdf'
    phone_page.goto(link["url"])
    phone_page.set_input_files("#file", files=[{"name": name, "mimeType": "application/pdf", "buffer": PDF}])
    phone_page.click("#b")
    phone_page.wait_for_selector("#msg.ok", timeout=20000)
    shown = phone_page.text_content("#msg")
    assert "上传成功" in shown
    assert phone_page.evaluate("window.__pwned") is None
    assert phone_page.locator("#msg img").count() == 0


# ------------------------------------------------------------------------------------------
PROD_OK = {
    "APP_ENV": "production",
    "CASESTORE_AGENT_TOKEN": "agent-token-0123456789abcdef",
    "CASESTORE_ASSISTANT_TOKEN": "assistant-token-0123456789abcdef",
    "CASESTORE_PUBLIC_URL": "https://xinyong.example.gov.cn",
    "CASESTORE_NOTICE_SECRET": "notice-secret-0123456789abcdef",
    "ACTIONS_SHARED_SECRET": "actions-secret-0123456789abcdef",
    "TRACKER_ENCRYPTION_KEY": "0nS0cHz4Wm4Kc7LxW4r2nNfX2O6qvK3c5yYb1tG8aQ0=",
}


def _all_department_tokens() -> str:
    from bot.guide.loader import load_guide

    return ",".join(f"{code}=dept-{code}-token-0123456789" for code in sorted(load_guide().departments))


def _start(module: list[str], **env) -> subprocess.CompletedProcess:
    full = {**{k: v for k, v in os.environ.items() if not k.startswith(("CASESTORE_", "RASA_", "ACTIONS_"))},
            "PYTHONPATH": str(REPO), **env}
    return subprocess.run([sys.executable, "-m", *module], cwd=REPO, env=full, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("module,env", [
    (["bot.casestore", "serve"], {"CASESTORE_DEPT_TOKENS": ""}),
    (["bot.casestore", "serve"], {"CASESTORE_DEPT_TOKENS": "tax=tax-token-0123456789abcdef"}),
    (["bot.casestore", "serve"], {"CASESTORE_AGENT_TOKEN": "dev-agent"}),
    (["bot.casestore", "serve"], {"CASESTORE_PUBLIC_URL": "http://xinyong.example.gov.cn"}),
    (["bot.action_server", "--actions", "actions"], {"ACTIONS_SHARED_SECRET": ""}),
    (["bot.rasa_server", "--model", "models"], {"TRACKER_ENCRYPTION_KEY": ""}),
    (["bot.rasa_server", "--model", "models"], {"WECHAT_TOKEN": "wechat-token-0123456789", "WECHAT_ENCODING_AES_KEY": ""}),
])
def test_production_refuses_development_settings(module, env):
    settings = {**PROD_OK, "CASESTORE_DEPT_TOKENS": _all_department_tokens(), **env}
    result = _start(module, **{k: v for k, v in settings.items() if v != ""})
    assert result.returncode == 2, result.stderr[-2000:]
    assert "拒绝启动" in result.stderr and "refuses to start" in result.stderr


def test_no_development_token_works_in_production(tmp_path):
    url, _ = database_url("sqlite", tmp_path)
    srv = Server(tmp_path, url, [], APP_ENV="production", CASESTORE_AGENT_TOKEN=PROD_OK["CASESTORE_AGENT_TOKEN"],
                 CASESTORE_ASSISTANT_TOKEN=PROD_OK["CASESTORE_ASSISTANT_TOKEN"],
                 CASESTORE_PUBLIC_URL=PROD_OK["CASESTORE_PUBLIC_URL"],
                 CASESTORE_NOTICE_SECRET=PROD_OK["CASESTORE_NOTICE_SECRET"],
                 CASESTORE_DEPT_TOKENS=_all_department_tokens())
    try:
        for token in ("dev-agent", "dev-assistant", "dev-tax", "dev-market_regulation", AGENT, DEPT["tax"]):
            r = httpx.get(f"{srv.base}/api/v1/metrics", headers=auth(token), timeout=10)
            assert r.status_code == 401, token
        r = httpx.get(f"{srv.base}/api/v1/metrics", headers=auth("dept-tax-token-0123456789"), timeout=10)
        assert r.status_code == 200 and r.json()["scope"] == "tax"
    finally:
        srv.stop()


def test_working_days_are_counted_without_walking_and_agree_with_the_walk():
    import datetime as dt
    import random

    from bot.rules.workdays import count_working_days, working_days_between

    rnd = random.Random(11)
    for _ in range(300):
        start = dt.date(2019, 1, 1) + dt.timedelta(days=rnd.randrange(0, 3650))
        end = start + dt.timedelta(days=rnd.randrange(-5, 800))
        assert count_working_days(start, end) == working_days_between(start, end).days, (start, end)
