"""Human handoff through the case store: the assistant opens it with the conversation so far
and the partly filled form; the agent sees it in the console, replies (injected into the
conversation through Rasa's HTTP API — a fake Rasa here records the calls), corrects a field
and hands back; first response time is measured and shown; outside agent hours the user is
told when an agent will answer."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.casestore_fixtures import ASSISTANT, Server, auth, database_url
from tests.staff_fixtures import StaffClient, add_users


class FakeRasa:
    """Records POSTs to /conversations/<id>/tracker/events and /execute."""

    def __init__(self):
        self.calls: list[tuple[str, dict, object]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
                path, _, query = self.path.partition("?")
                outer.calls.append((path, dict(p.split("=", 1) for p in query.split("&") if p), body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def rasa():
    r = FakeRasa()
    yield r
    r.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory, rasa):
    tmp = tmp_path_factory.mktemp("handoff")
    url, _ = database_url("sqlite", tmp)
    srv = Server(tmp, url, [], RASA_URL=rasa.url, RASA_API_TOKEN="test-rasa-token")
    add_users(srv)
    yield srv
    srv.stop()


def open_handoff(server, conv: str, **over) -> httpx.Response:
    body = {"conversation_id": conv, "channel": "web", "reason": "asked",
            "transcript": [{"sender": "user", "text": "我想修复税务的处罚"},
                           {"sender": "bot", "text": "好的，请告诉我企业名称。"},
                           {"sender": "user", "text": "成都小河餐饮有限公司"},
                           {"sender": "bot", "text": "请提供经办人手机号。"},
                           {"sender": "user", "text": "转人工"}],
            "slots": {"company_name": "成都小河餐饮有限公司", "agent_phone": None},
            "records": [{"kind": "penalty_info", "department": "tax", "path": "可申请信用修复"}],
            "form": "application_form", **over}
    return httpx.post(f"{server.base}/api/v1/handoffs", json=body, headers=auth(ASSISTANT), timeout=10)


def test_agent_takes_over_replies_fixes_a_field_and_hands_back(server, rasa):
    conv = f"web-{uuid.uuid4().hex[:12]}"
    r = open_handoff(server, conv)
    assert r.status_code == 201, r.text
    handoff = r.json()
    assert handoff["status"] == "waiting" and handoff["notice"]
    assert open_handoff(server, conv).json()["id"] == handoff["id"]  # one open handoff per conversation

    agent = StaffClient(server.base)
    assert agent.login("agent1").status_code == 303
    console = agent.get("/console").text
    queue = console.split('id="handoff-queue"', 1)[1].split("</section>", 1)[0]
    assert conv[-8:] in queue and "用户要求转人工" in queue

    page = agent.get(f"/console/handoffs/{handoff['id']}").text
    assert "成都小河餐饮有限公司" in page and "请提供经办人手机号。" in page  # transcript and form
    assert "penalty_info" in page and "尚未响应" in page
    r = agent.post(f"/console/handoffs/{handoff['id']}/reply", {"text": "您好，我是坐席小王，手机号请填经办人本人的。"})
    assert r.status_code == 303 and "done=sent" in r.headers["location"]
    path, params, events = rasa.calls[-1]
    assert path == f"/conversations/{conv}/tracker/events"
    assert params["token"] == "test-rasa-token" and params["output_channel"] == "latest"
    assert events[0]["event"] == "bot" and "坐席小王" in events[0]["text"]
    page = agent.get(f"/console/handoffs/{handoff['id']}").text
    assert re.search(r'id="first-response"[^>]*>\d+ 秒', page)

    r = agent.post(f"/console/handoffs/{handoff['id']}/fields", {"slot_agent_phone": "13912345678"})
    assert r.status_code == 303
    path, _, events = rasa.calls[-1]
    assert events == [{"event": "slot", "name": "agent_phone", "value": "13912345678"}]
    r = agent.post(f"/console/handoffs/{handoff['id']}/fields", {"slot_is_admin": "true"})
    assert r.status_code == 422  # only fields the form has

    r = agent.post(f"/console/handoffs/{handoff['id']}/handback")
    assert r.status_code == 303
    (_, _, e1), (p2, _, e2), (_, _, e3) = rasa.calls[-3:]
    assert e1[0] == {"event": "resume"} and p2 == f"/conversations/{conv}/execute" and e2 == {"name": "application_form"}
    offer = e1[1]["data"]["custom"]["handoff_rating"]  # 好差评 for this handoff, five levels
    assert offer["handoff_id"] == handoff["id"] and [x["level"] for x in offer["levels"]] == [5, 4, 3, 2, 1]
    assert "评价" in e1[1]["text"]
    assert e3 == [{"event": "action", "name": "action_listen"}]  # the assistant listens again
    page = agent.get(f"/console/handoffs/{handoff['id']}").text
    assert "已交还助手" in page and "/reply" not in page
    assert agent.post(f"/console/handoffs/{handoff['id']}/reply", {"text": "还在吗"}).status_code == 409

    boss = StaffClient(server.base)
    assert boss.login("boss1").status_code == 303
    kpi = re.search(r'id="kpi-handoff">([^<]*)<', boss.get("/dashboard").text).group(1)
    assert re.match(r"\d", kpi.strip())  # a measured median response time
    agent.close()
    boss.close()


def test_when_rasa_is_unreachable_the_reply_waits_for_the_assistant(tmp_path):
    url, _ = database_url("sqlite", tmp_path)
    srv = Server(tmp_path, url, [], RASA_URL="http://127.0.0.1:9")
    try:
        add_users(srv)
        conv = f"wx-{uuid.uuid4().hex[:12]}"
        h = open_handoff(srv, conv, channel="wechat").json()
        agent = StaffClient(srv.base)
        agent.login("agent1")
        r = agent.post(f"/console/handoffs/{h['id']}/reply", {"text": "稍等，我帮您查一下"})
        assert "done=not_sent" in r.headers["location"]
        assert "未送达" in agent.get(f"/console/handoffs/{h['id']}").text
        status = httpx.get(f"{srv.base}/api/v1/handoffs/status", params={"conversation_id": conv},
                           headers=auth(ASSISTANT), timeout=10).json()
        assert status["status"] == "active" and [m["text"] for m in status["messages"]] == ["稍等，我帮您查一下"]
        again = httpx.get(f"{srv.base}/api/v1/handoffs/status", params={"conversation_id": conv},
                          headers=auth(ASSISTANT), timeout=10).json()
        assert again["messages"] == []  # delivered once
        agent.close()
    finally:
        srv.stop()


def test_handoff_api_needs_the_assistant_and_valid_input(server):
    r = httpx.post(f"{server.base}/api/v1/handoffs", json={"conversation_id": "x", "channel": "web"}, timeout=10)
    assert r.status_code == 401
    r = httpx.post(f"{server.base}/api/v1/handoffs", json={"conversation_id": "", "channel": "web", "reason": "bored",
                                                           "transcript": "hi"},
                   headers=auth(ASSISTANT), timeout=10)
    assert r.status_code == 422
    fields = {d["field"] for d in r.json()["details"]}
    assert fields == {"conversation_id", "reason", "transcript"}


@pytest.mark.parametrize("now_cst, on_duty, when", [
    ("2026-12-01 10:00", True, None),             # Tuesday morning
    ("2026-12-01 12:30", False, "今天13:30"),      # lunch break
    ("2026-12-01 18:00", False, "明天09:00"),      # evening
    ("2026-12-04 17:30", False, "12月7日09:00"),   # Friday evening -> Monday
    ("2026-10-01 10:00", False, "10月9日09:00"),   # National Day holiday (calendar; 10-9 is a make-up day? see below)
])
def test_agent_hours_follow_the_guide_and_the_holiday_calendar(now_cst, on_duty, when):
    from bot.casestore.staff import handoff
    from bot.clock import CHINA
    from bot.rules.workdays import is_working_day

    class Store:
        from bot.guide.loader import load_guide

        guide = load_guide()

    local = dt.datetime.strptime(now_cst, "%Y-%m-%d %H:%M").replace(tzinfo=CHINA)
    utc = local.astimezone(dt.timezone.utc).replace(tzinfo=None)
    got, next_open = handoff.office_status(Store(), utc)
    assert got is on_duty
    if when:
        if now_cst.startswith("2026-10-01"):  # the first working day after the holiday, from the calendar
            first = next(d for d in (dt.date(2026, 10, 1) + dt.timedelta(n) for n in range(1, 15))
                         if is_working_day(d)[0])
            when = f"{first.month}月{first.day}日09:00"
        assert handoff.when_text(next_open, utc) == when


@pytest.mark.parametrize("real_cst, pinned, on_duty, when", [
    ("2026-12-05 10:00", "2026-11-25", True, None),          # a real Saturday, a pinned Wednesday
    ("2026-12-05 18:00", "2026-11-25", False, "明天09:00"),   # its evening: tomorrow, a Thursday
    ("2026-12-02 10:00", "2026-11-28", False, "11月30日09:00"),  # a real Wednesday, a pinned Saturday
    ("2026-12-05 10:00", "", False, "12月7日09:00"),          # nothing pinned: the real Saturday
])
def test_office_hours_are_on_the_business_date(monkeypatch, real_cst, pinned, on_duty, when):
    """One clock: the conversation's pinned date (ASSISTANT_TODAY) is the day the handoff's office
    hours are read on, at the real time of day (it said 「下周一」 on a pinned Wednesday)."""
    from bot.casestore.staff import handoff
    from bot.clock import CHINA

    class Store:
        from bot.guide.loader import load_guide

        guide = load_guide()

    monkeypatch.setenv("ASSISTANT_TODAY", pinned)
    local = dt.datetime.strptime(real_cst, "%Y-%m-%d %H:%M").replace(tzinfo=CHINA)
    utc = local.astimezone(dt.timezone.utc).replace(tzinfo=None)
    got, next_open = handoff.office_status(Store(), utc)
    assert got is on_duty
    if when:
        assert handoff.when_text(next_open, utc) == when


@pytest.mark.parametrize("now_cst, agent_answered, told", [
    ("2026-12-01 10:00", False, "收到，已转给人工客服"),      # office hours, nobody answered yet
    ("2026-12-01 18:00", False, "明天09:00上线后回复您"),     # evening: when an agent reads it
    ("2026-12-01 12:30", False, "今天13:30上线后回复您"),     # lunch break
    ("2026-12-01 10:00", True, None),                       # an agent is talking: no echo per line
])
def test_a_message_while_the_handoff_waits_is_acknowledged(tmp_path, now_cst, agent_answered, told):
    """The user is never met with silence: every message sent before an agent answered is
    acknowledged (outside office hours with when an agent will read it); once an agent answers,
    the agent's replies are the answer."""
    from bot.casestore.service import CaseStore
    from bot.casestore.settings import Settings
    from bot.casestore.staff import handoff
    from bot.clock import CHINA

    from bot.casestore.db import migrate

    local = dt.datetime.strptime(now_cst, "%Y-%m-%d %H:%M").replace(tzinfo=CHINA)
    url = f"sqlite:///{tmp_path / 'c.db'}"
    migrate(url)
    store = CaseStore(Settings(database_url=url, upload_dir=tmp_path),
                      clock=lambda: local.astimezone(dt.timezone.utc).replace(tzinfo=None))
    h, created = handoff.open_handoff(store, {"conversation_id": "rest-1", "channel": "rest"})
    assert created
    if agent_answered:
        handoff.agent_reply(store, h["id"], "agent1", "您好，我是坐席小王。")
    got = handoff.user_message(store, "rest-1", "91350100M000100Y43")
    assert got["handoff_id"] == h["id"]
    if told is None:
        assert got["reply"] is None
    else:
        assert told in got["reply"], got["reply"]
        assert ("12345" in got["reply"]) is (not now_cst.endswith("10:00"))  # the hotline after hours
    assert [m["text"] for m in handoff.detail(store, h["id"])["messages"] if m["sender"] == "user"] == \
        ["91350100M000100Y43"]  # the agent sees the words either way
    # the next message while nobody answered: a short acknowledgement, not the same long text
    second = handoff.user_message(store, "rest-1", "喂 有人没得")["reply"]
    assert (second is None) is agent_answered
    if second is not None:
        assert second.startswith("收到") and len(second) < len(got["reply"]) and "不用重复发送" in second
    store.db.dispose()


@pytest.mark.parametrize("text, agent_answered, withdrawn", [
    ("不要人工，我自己再输一遍", False, True),   # hand try: every such line was 「收到，也转给坐席了」
    ("取消人工", False, True),
    ("算了 我自己弄", False, True),
    ("人呢 咋还没回", False, False),
    ("不要人工", True, False),                    # an agent is talking: the agent hands back
])
def test_the_user_takes_a_waiting_handoff_back(tmp_path, text, agent_answered, withdrawn):
    from bot.casestore.db import migrate
    from bot.casestore.service import CaseStore
    from bot.casestore.settings import Settings
    from bot.casestore.staff import handoff

    url = f"sqlite:///{tmp_path / 'c.db'}"
    migrate(url)
    store = CaseStore(Settings(database_url=url, upload_dir=tmp_path))
    h, _ = handoff.open_handoff(store, {"conversation_id": "rest-1", "channel": "rest", "form": "application_form"})
    if agent_answered:
        handoff.agent_reply(store, h["id"], "agent1", "您好，我是坐席小王。")
    got = handoff.user_message(store, "rest-1", text)
    detail = handoff.detail(store, h["id"])
    assert (got["status"] == "withdrawn") is withdrawn
    assert [m["text"] for m in detail["messages"] if m["sender"] == "user"] == [text]  # kept for the record
    if withdrawn:
        assert got["form"] == "application_form" and "不转人工" in got["reply"]
        assert detail["status"] == "closed"
        with pytest.raises(Exception):  # nothing open for this conversation any more
            handoff.user_message(store, "rest-1", "还在吗")
    else:
        assert detail["status"] in ("waiting", "active")
    store.db.dispose()
