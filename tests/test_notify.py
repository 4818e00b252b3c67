"""Pushed reminders and status notices through a fake WeChat API on 127.0.0.1: exactly one
reminder on the due date, one notice per status change, no duplicate across a restart of the
sender, and 「不要再提醒」 honoured."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.casestore.models import Notification, Reminder
from bot.casestore.notify import (
    LoggingSms,
    WeChatSender,
    add_consent,
    send_due,
    stop,
    take_inbox,
)
from bot.casestore.outbox import deliver_due
from bot.casestore.service import CaseStore, Viewer
from bot.casestore.settings import Settings
from tests.casestore_fixtures import REPO, application
from tests.wechat_fake import FakeWeChat

ASSISTANT = Viewer("assistant")
TAX = Viewer("department", "tax")


@pytest.fixture()
def wechat():
    fake = FakeWeChat()
    yield fake
    fake.close()


def make_store(tmp_path, wechat: FakeWeChat, **extra) -> CaseStore:
    from bot.casestore.db import migrate

    url = f"sqlite:///{tmp_path / 'n.db'}"
    migrate(url)
    settings = Settings(database_url=url, upload_dir=tmp_path / "up", wechat_app_id="wx-test",
                        wechat_app_secret="wx-secret", wechat_api_base=wechat.base,
                        outbox_backoff_base=10, outbox_backoff_max=40, delivery_timeout=5,
                        wechat_token_file=str(tmp_path / "wechat-tokens.sqlite3"), **extra)
    return CaseStore(settings)


@pytest.fixture()
def store(tmp_path, wechat):
    s = make_store(tmp_path, wechat)
    yield s
    s.db.dispose()


def senders(store):
    return {"wechat": WeChatSender(store.settings), "sms": LoggingSms()}


def reminder(store, openid: str, on: str, summary: str = "市场监管部门的行政处罚信息") -> dict:
    view, _ = store.add_reminder({"channel": "wechat", "channel_user_id": openid, "remind_on": on,
                                  "summary": summary}, ASSISTANT)
    return view


def test_exactly_one_reminder_on_the_due_date(store, wechat):
    reminder(store, "o-alice", "2027-02-22")
    now = store.clock()
    assert send_due(store, now, senders(store), today=dt.date(2027, 2, 21))["sent"] == 0
    assert wechat.to("o-alice") == []
    stats = send_due(store, now, senders(store), today=dt.date(2027, 2, 22))
    assert stats["sent"] == 1
    for day in (22, 23, 24):  # later runs, also on later days: nothing more
        assert send_due(store, now, senders(store), today=dt.date(2027, 2, day))["sent"] == 0
    texts = wechat.texts("o-alice")
    assert len(texts) == 1 and "市场监管部门的行政处罚信息" in texts[0] and "不要再提醒" in texts[0]
    # the at-next-visit flow does not repeat a pushed reminder
    assert store.due_reminders(dt.date(2027, 3, 1), ASSISTANT, "o-alice") == []
    assert wechat.token_fetches == 1  # one access token, cached and shared by every send


def test_one_notice_per_status_change_with_every_missing_item(store, wechat):
    body = application(channel="wechat", conversation_id="o-bob")
    view, _ = store.submit(body, "k-bob", ASSISTANT)
    case_no, item = view["case_no"], view["items"][0]["item_id"]
    add_consent(store, {"channel": "wechat", "channel_user_id": "o-bob", "case_no": case_no}, ASSISTANT)
    store.act(item, "return", TAX, {"missing": [{"material_id": "tax_paid_proof", "note": "缴款凭证不清晰"},
                                                "法定代表人签字的信用承诺书"]})
    store.resubmit(case_no, ASSISTANT, None, {})  # not a status the subject needs telling
    store.act(item, "accept", TAX, {})
    store.act(item, "approve", TAX, {})
    deliver_due(None, store)  # no subscribers configured: shared at once → result_shared
    assert send_due(store, None, senders(store))["sent"] == 4
    assert send_due(store, None, senders(store))["sent"] == 0
    texts = wechat.texts("o-bob")
    assert len(texts) == 4
    returned, accepted, approved, shared = texts
    assert "缴款凭证不清晰" in returned and "法定代表人签字的信用承诺书" in returned and "补正" in returned
    assert "已受理" in accepted and "年" in accepted  # the deadline date
    assert "同意修复" in approved
    assert "已共享" in shared and "评价" in shared
    # someone who did not consent is told nothing
    other, _ = store.submit(application(channel="wechat", conversation_id="o-carol"), "k-carol", ASSISTANT)
    store.act(other["items"][0]["item_id"], "accept", TAX, {})
    send_due(store, None, senders(store))
    assert wechat.to("o-carol") == []


def test_rejection_reasons_and_sms_and_widget_inbox(store, wechat):
    view, _ = store.submit(application(channel="web", conversation_id="web-dan"), "k-dan", ASSISTANT)
    case_no, item = view["case_no"], view["items"][0]["item_id"]
    add_consent(store, {"channel": "web", "channel_user_id": "web-dan", "case_no": case_no}, ASSISTANT)
    add_consent(store, {"channel": "sms", "phone": "13812341234", "case_no": case_no}, ASSISTANT)
    sms = LoggingSms()
    store.act(item, "accept", TAX, {})
    store.act(item, "reject", TAX, {"reasons": ["罚款尚未缴清"]})
    send_due(store, store.clock(), {"wechat": WeChatSender(store.settings), "sms": sms})
    assert [p for _, p in sms.sent if "罚款尚未缴清" in p] and len(sms.sent) == 2
    # a reply to a text message does not reach the assistant: the SMS says so, the page does not
    assert all("短信回复无效" in p for _, p in sms.sent)
    inbox = take_inbox(store, "web-dan")
    assert len(inbox) == 2 and "罚款尚未缴清" in inbox[1]["text"]
    assert "短信回复无效" not in inbox[1]["text"] and "请为本次服务评价" in inbox[1]["text"]  # closed: rate it
    assert take_inbox(store, "web-dan") == []  # taken once


def test_stop_reminders_is_honoured(store, wechat):
    reminder(store, "o-erin", "2027-02-22")
    reminder(store, "o-erin", "2027-05-01", "税务部门的行政处罚信息")
    reminder(store, "o-frank", "2027-02-22")
    out = stop(store, {"channel_user_id": "o-erin"}, ASSISTANT)
    assert out["reminders_stopped"] == 2
    send_due(store, store.clock(), senders(store), today=dt.date(2027, 6, 1))
    assert wechat.to("o-erin") == [] and len(wechat.to("o-frank")) == 1
    assert store.due_reminders(dt.date(2027, 6, 1), ASSISTANT, "o-erin") == []  # nor at the next visit
    # status notices stop as well
    view, _ = store.submit(application(channel="wechat", conversation_id="o-erin"), "k-erin", ASSISTANT)
    add_consent(store, {"channel": "wechat", "channel_user_id": "o-erin", "case_no": view["case_no"]}, ASSISTANT)
    store.act(view["items"][0]["item_id"], "accept", TAX, {})
    assert stop(store, {"channel_user_id": "o-erin"}, ASSISTANT)["notifications_cancelled"] == 1
    send_due(store, store.clock(), senders(store))
    assert wechat.to("o-erin") == []


def test_failures_back_off_then_dead_letter_and_refusals_are_final(tmp_path, wechat):
    from bot.casestore.deadletters import dead_letters

    store = make_store(tmp_path, wechat, notify_max_attempts=3)
    reminder(store, "o-busy", "2027-01-04")
    reminder(store, "o-gone", "2027-01-04")
    wechat.fail["o-busy"] = [-1, -1, -1, -1]
    wechat.fail["o-gone"] = [43004]  # unsubscribed
    now = store.clock()
    day = dt.date(2027, 1, 4)
    first = send_due(store, now, senders(store), today=day)
    assert first["failed"] == 1 and first["dead"] == 1
    assert send_due(store, now, senders(store), today=day)["attempted"] == 0  # backing off
    now += dt.timedelta(seconds=10)
    assert send_due(store, now, senders(store), today=day)["failed"] == 1
    now += dt.timedelta(seconds=20)
    assert send_due(store, now, senders(store), today=day)["dead"] == 1
    letters = dead_letters(store)
    assert letters["alerts"]["notifications_dead"] == 2
    metrics = store.metrics(None, Viewer("agent"))  # GET /api/v1/metrics, for the dashboard
    assert metrics["alerts"]["notifications_dead"] == 2 and metrics["notifications"]["dead"] == 2
    assert "alerts" not in store.metrics(None, TAX)  # a department sees its own items only
    assert wechat.to("o-busy") == [] and wechat.to("o-gone") == []
    store.db.dispose()


def _worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot.casestore", "notify", "--interval", "0.2"], cwd=REPO,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_restart_of_the_sender_mid_run_sends_nothing_twice(tmp_path):
    fake = FakeWeChat(delay=0.4)
    try:
        store = make_store(tmp_path, fake)
        for n in range(6):
            reminder(store, f"o-user{n}", "2026-01-05")
        env = {**os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": store.settings.database_url,
               "WECHAT_APP_ID": "wx-test", "WECHAT_APP_SECRET": "wx-secret", "WECHAT_API_BASE": fake.base,
               "CASESTORE_NOTIFY_LEASE": "1", "ASSISTANT_TODAY": "2026-01-05",
               "WECHAT_TOKEN_FILE": store.settings.wechat_token_file}
        proc = _worker(env)
        for _ in range(300):  # until two messages arrived
            if len(fake.messages) >= 2:
                break
            time.sleep(0.05)
        proc.kill()  # mid-run: one message may be on the wire
        proc.wait()
        got_before = len(fake.messages)
        assert 2 <= got_before < 6
        proc = _worker(env)
        try:
            for _ in range(400):
                with store.db.reading() as s:
                    open_rows = s.execute(select(Notification).where(
                        Notification.status.in_(("pending", "sending")))).scalars().all()
                if not open_rows:
                    break
                time.sleep(0.05)
        finally:
            proc.kill()
            proc.wait()
        users = [m["touser"] for m in fake.messages]
        assert len(users) == len(set(users))  # nobody was told twice
        with store.db.reading() as s:
            rows = s.execute(select(Notification)).scalars().all()
            reminders = s.execute(select(Reminder)).scalars().all()
        sent = {r.recipient for r in rows if r.status == "sent"}
        uncertain = [r for r in rows if r.status == "dead"]
        assert sent <= set(users)
        assert len(sent) + len(uncertain) == 6 and len(uncertain) <= 1
        assert all("不确定" in r.last_error for r in uncertain)
        assert sum(1 for r in reminders if r.sent_at is not None) == len(sent)
        store.db.dispose()
    finally:
        fake.close()


def test_result_sharing_gives_up_after_the_configured_tries_and_raises_an_alert(tmp_path, wechat):
    from bot.casestore.deadletters import dead_letters, retry
    from bot.casestore.settings import Subscriber
    from tests.casestore_fixtures import free_port

    down = Subscriber("省社会信用信息平台", f"http://127.0.0.1:{free_port()}/x")  # nothing listens
    store = make_store(tmp_path, wechat, subscribers=(down,), outbox_max_attempts=3)
    view, _ = store.submit(application(), "k-share", ASSISTANT)
    item = view["items"][0]["item_id"]
    store.act(item, "accept", TAX, {})
    store.act(item, "approve", TAX, {})
    now = store.clock()
    attempts = 0
    for _ in range(6):
        attempts += deliver_due(now, store)["attempted"]
        now += dt.timedelta(hours=2)
    assert attempts == 3  # then it stopped retrying
    letters = dead_letters(store)
    assert letters["alerts"]["outbox_dead"] == 1
    assert store.metrics(None, Viewer("agent"))["alerts"]["outbox_dead"] == 1
    assert letters["outbox"][0]["item_id"] == item and "ConnectError" in letters["outbox"][0]["last_error"]
    retry(store, "outbox", letters["outbox"][0]["id"], {})
    assert deliver_due(now, store)["attempted"] == 1
    store.db.dispose()


def test_the_access_token_is_shared_by_every_process(tmp_path, wechat):
    """The notify worker (its own process), the case store's sender and the Rasa WeChat channel
    use one access token: WeChat keeps only the newest valid, so one each would keep failing."""
    import asyncio

    from bot.channels.wechat import WeChatClientSender

    store = make_store(tmp_path, wechat)
    reminder(store, "o-worker", "2026-01-05")
    env = {**os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": store.settings.database_url,
           "WECHAT_APP_ID": "wx-test", "WECHAT_APP_SECRET": "wx-secret", "WECHAT_API_BASE": wechat.base,
           "ASSISTANT_TODAY": "2026-01-05", "WECHAT_TOKEN_FILE": store.settings.wechat_token_file}
    subprocess.run([sys.executable, "-m", "bot.casestore", "notify", "--once"], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    assert len(wechat.to("o-worker")) == 1 and wechat.token_fetches == 1
    reminder(store, "o-server", "2026-01-05")  # the server's own loop, another process in production
    assert send_due(store, None, senders(store), today=dt.date(2026, 1, 5))["sent"] == 1
    os.environ["WECHAT_TOKEN_FILE"] = store.settings.wechat_token_file
    try:
        channel = WeChatClientSender("wx-test", "wx-secret")
        channel.client.API_BASE_URL = wechat.base
        asyncio.run(channel.send_text("o-chat", "您好"))
    finally:
        os.environ.pop("WECHAT_TOKEN_FILE")
    assert [len(wechat.to(u)) for u in ("o-worker", "o-server", "o-chat")] == [1, 1, 1]
    assert wechat.token_fetches == 1  # fetched once, used by all three
    assert oct(os.stat(store.settings.wechat_token_file).st_mode & 0o777) == "0o600"  # a credential
    store.db.dispose()


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL not set (tests/system/services.sh)")
def test_the_access_token_is_shared_through_redis(tmp_path, wechat):
    import redis

    from bot import wechat_tokens

    url = os.environ["TEST_REDIS_URL"]
    redis.Redis.from_url(url).delete("wechat_token:wx-test_access_token")
    stores = []
    for name in ("a", "b"):  # two case-store processes on two machines: no shared file
        (tmp_path / name).mkdir()
        stores.append(make_store(tmp_path / name, wechat, wechat_token_redis_url=url))
    for s, user in zip(stores, ("o-r1", "o-r2")):
        wechat_tokens._storages.clear()  # nothing kept in this process
        reminder(s, user, "2026-01-05")
        assert send_due(s, None, {"wechat": WeChatSender(s.settings)}, today=dt.date(2026, 1, 5))["sent"] == 1
    assert wechat.token_fetches == 1
    for s in stores:
        s.db.dispose()


def test_a_subscribe_consent_gets_a_subscribe_message(store, wechat):
    """Consent given by accepting a WeChat 订阅通知 template: the notices go as that subscribe
    message, each field within WeChat's length for its type."""
    view, _ = store.submit(application(channel="wechat", conversation_id="o-sub"), "k-sub", ASSISTANT)
    add_consent(store, {"channel": "wechat", "channel_user_id": "o-sub", "case_no": view["case_no"],
                        "source": "wechat_subscribe", "template_id": "tmpl-credit-status"}, ASSISTANT)
    store.act(view["items"][0]["item_id"], "accept", TAX, {})
    assert send_due(store, None, senders(store))["sent"] == 1
    [m] = wechat.to("o-sub")
    assert m["path"].endswith("/message/subscribe/bizsend") and m["template_id"] == "tmpl-credit-status"
    assert m["data"]["thing1"]["value"] == "信用修复办理进度"
    assert m["data"]["thing2"]["value"] == view["items"][0]["item_id"][:19] + "…" or \
        m["data"]["thing2"]["value"] == view["items"][0]["item_id"]
    assert len(m["data"]["phrase3"]["value"]) <= 5


@pytest.mark.parametrize("once, second_path", [(True, "/message/custom/send"), (False, "/message/subscribe/bizsend")])
def test_a_one_time_subscribe_grant_carries_one_message(tmp_path, wechat, once, second_path):
    """一次性订阅: the accepted 订阅通知 carries the first notice and is then used up (recorded on
    the consent); the next notice goes as a 客服 text. A long-term template
    (WECHAT_SUBSCRIBE_ONCE=0) carries every notice."""
    from bot.casestore.models import Consent

    store = make_store(tmp_path, wechat, wechat_subscribe_once=once)
    view, _ = store.submit(application(channel="wechat", conversation_id="o-once"), "k-once", ASSISTANT)
    add_consent(store, {"channel": "wechat", "channel_user_id": "o-once", "case_no": view["case_no"],
                        "source": "wechat_subscribe", "template_id": "tmpl-credit-status"}, ASSISTANT)
    item = view["items"][0]["item_id"]
    store.act(item, "accept", TAX, {})
    assert send_due(store, None, senders(store))["sent"] == 1
    store.act(item, "approve", TAX, {})
    assert send_due(store, None, senders(store))["sent"] >= 1
    first, *later = wechat.to("o-once")
    assert first["path"].endswith("/message/subscribe/bizsend")
    assert later and all(m["path"].endswith(second_path) for m in later), later
    with store.db.reading() as s:
        used = s.query(Consent).one().template_used_at
    assert (used is not None) is once
    store.db.dispose()


def test_make_run_sends_due_notices(tmp_path, wechat):
    """The Procfile that `make run` starts (honcho) runs the notice sender: the case store's own
    loop sends a reminder that is due, without anyone calling the API."""
    import signal

    from tests.casestore_fixtures import free_port

    store = make_store(tmp_path, wechat)
    reminder(store, "o-procfile", "2026-01-05")
    store.db.dispose()
    port = free_port()
    env = {**os.environ, "VENV_BIN": str(Path(sys.executable).parent), "PYTHONPATH": str(REPO),
           "DATABASE_URL": store.settings.database_url, "CASESTORE_PORT": str(port),
           "CASESTORE_UPLOAD_DIR": str(tmp_path / "up"), "ASSISTANT_TODAY": "2026-01-05",
           "WECHAT_APP_ID": "wx-test", "WECHAT_APP_SECRET": "wx-secret", "WECHAT_API_BASE": wechat.base,
           "WECHAT_TOKEN_FILE": store.settings.wechat_token_file}
    env.pop("CASESTORE_NOTIFY_INTERVAL", None)  # make run's default
    proc = subprocess.Popen([str(Path(sys.executable).parent / "honcho"), "start", "-f", str(REPO / "Procfile"),
                             "casestore"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(1200):
            if wechat.to("o-procfile"):
                break
            time.sleep(0.1)
        assert len(wechat.texts("o-procfile")) == 1
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_a_reminder_told_in_the_chat_is_not_pushed_again(store, wechat):
    """Queued for the widget (or WeChat) and then told at the next chat visit: once only."""
    view = reminder(store, "o-visit", "2027-02-22")
    web, _ = store.add_reminder({"channel": "web", "channel_user_id": "web-visit", "remind_on": "2027-02-22",
                                 "summary": "税务部门的行政处罚信息"}, ASSISTANT)
    from bot.casestore.notify import queue_due_reminders

    assert queue_due_reminders(store, dt.date(2027, 2, 22)) == 2
    for r in (view, web):  # the next chat visit tells them (actions: take_due_reminders)
        store.mark_reminder_sent(r["id"], ASSISTANT)
    assert take_inbox(store, "web-visit") == []
    assert send_due(store, None, senders(store), today=dt.date(2027, 2, 22))["sent"] == 0
    assert wechat.to("o-visit") == []
