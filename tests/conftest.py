"""Shared test settings: no telemetry, no network, the project's own guide."""

import os

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402


@pytest.fixture
def chat_env(monkeypatch):
    """Actions see a fixed date and a case store that is not there (nothing listens on :9)."""
    monkeypatch.setenv("ASSISTANT_TODAY", "2026-11-25")
    monkeypatch.setenv("CASESTORE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CASESTORE_TIMEOUT", "1")


@pytest.fixture(autouse=True)
def _own_wechat_dedupe_store(monkeypatch, tmp_path):
    """WeChat's MsgId/nonce records live in shared storage (bot/channels/wechat_guard.py):
    each test gets its own, so message ids reused across tests are not 'already handled'."""
    if not os.environ.get("WECHAT_REDIS_URL"):
        monkeypatch.setenv("WECHAT_DEDUPE_URL", f"sqlite:///{tmp_path / 'wechat-seen.db'}")


@pytest.fixture(scope="session")
def patient_stack(tmp_path_factory):
    """One real stack (Rasa + actions + case store, default settings) per test process, shared by
    the conversation files that need nothing special of it (personas, refusals, issue-10 questions):
    a start costs 25–55 s. Each conversation has its own sender id; cases are counted as differences."""
    from tests.chat_stack import MODEL, PatientStack

    if not MODEL.exists() and not os.environ.get("CI"):
        pytest.skip("no trained model: run `make model` first")
    with PatientStack(tmp_path_factory.mktemp("shared-stack")) as s:
        yield s


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that drove a real stack shows the end of each process's log (Rasa, actions,
    case store) in its report: in CI the temporary directory is gone once the run ends."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    from tests.chat_stack import ChatStack

    for name, value in getattr(item, "funcargs", {}).items():
        if not isinstance(value, ChatStack):
            continue
        for proc in value.procs:
            log = value.tmp / f"{proc}.log"
            if log.exists():
                tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-60:]
                report.sections.append((f"{name} {proc}.log (last 60 lines)", "\n".join(tail)))
