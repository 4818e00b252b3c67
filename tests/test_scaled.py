"""The scaled layout (bot/scaled.py) is correct: 2 Rasa replicas + 2 action servers behind
nginx (round robin), the atomic Redis lock store, trackers and cases on PostgreSQL.

20 conversations fill the form at once, their turns spread over both replicas; one replica is
stopped in the middle and its conversations go on on the other. Every form ends in exactly one
case, every message the users sent is in the tracker store once, in order; two messages of one
conversation sent at the same moment to the two replicas are both handled, one after the other;
Redis down gives a Chinese reply, not a hang. Needs nginx, PostgreSQL ($TEST_DATABASE_URL) and
redis-server from Debian (tests/system/services.sh) and the trained model."""

from __future__ import annotations

import asyncio
import os
import random
import re
import shutil
import socket
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from tests.chat_stack import AGENT_TOKEN, ASSISTANT_TOKEN, MODEL

pytestmark = [
    pytest.mark.skipif(not MODEL.exists() and not os.environ.get("CI"), reason="no trained model: run `make model`"),
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="no TEST_DATABASE_URL (tests/system/services.sh)"),
]

WORDS = ["蓝天", "青山", "绿水", "白云", "红叶", "金桥", "银河", "长江", "黄河", "峨眉",
         "青城", "锦江", "天府", "蜀道", "巴山", "岷江", "嘉陵", "玉垒", "都江", "龙泉"]
CASE_NO = re.compile(r"XF-\d{8}-\d{5,7}")


def _uscc(rng: random.Random) -> str:
    from stdnum.cn import uscc

    body = "91510100" + "".join(rng.choice("0123456789") for _ in range(9))
    return body + uscc.calc_check_digit(body)


def _script(i: int, rng: random.Random) -> list[tuple[str, str | None]]:
    """(message, a word the reply must contain) for one applicant with a tax fine."""
    return [
        ("你好", None),
        ("2026年1月10日被税务局罚款5000元，一般失信，已经缴清了，能修复吗", "现在就可以申请"),
        ("/start_application", "主体名称"),
        (f"成都{WORDS[i]}科技有限公司", "统一社会信用代码"),
        (_uscc(rng), "法定代表人"),
        ("王五", "经办人"),
        ("本人", "手机号"),
        (f"138123400{i:02d}", None),
        ("同意", "请核对"),
        ("确认提交", "XF-"),
    ]


def _base_port() -> int:
    """SCALED_TEST_BASE_PORT, or a block of free ports."""
    if os.environ.get("SCALED_TEST_BASE_PORT"):
        return int(os.environ["SCALED_TEST_BASE_PORT"])
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 60000, 100)
        try:
            for off in (0, 1, 2, 10, 11, 30, 31, 50):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", base + off))
            return base
        except OSError:
            continue
    raise RuntimeError("no free port block")


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    from bot.scaled import ScaledLayout

    redis_bin = shutil.which("redis-server")
    if not redis_bin or not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        pytest.fail("redis-server and nginx are needed: bash tests/system/services.sh (as root)")
    tmp = tmp_path_factory.mktemp("scaled")
    base = _base_port()
    redis_port = base + 50  # our own Redis, so the test can take it down
    redis = subprocess.Popen([redis_bin, "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "",
                              "--appendonly", "no"], stdout=open(tmp / "redis.log", "w"), stderr=subprocess.STDOUT)
    prefix = f"i12_{uuid.uuid4().hex[:8]}"
    scaled = ScaledLayout(
        replicas=2, base_port=base, workdir=tmp, pg_url=os.environ["TEST_DATABASE_URL"], db_prefix=prefix,
        fresh=True, redis_port=redis_port, model=str(MODEL), routing="round_robin",
        ASSISTANT_TODAY="2026-11-25", TICKET_LOCK_LIFETIME="20",
        CASESTORE_AGENT_TOKEN=AGENT_TOKEN, CASESTORE_ASSISTANT_TOKEN=ASSISTANT_TOKEN, CASESTORE_TIMEOUT="10",
        CASESTORE_OUTBOX_INTERVAL="0", HELPDESK_AGENT_IDS="desk-1", APP_ENV="development",
        # each replica's memory of conversations (caught up with the other's rows) is compared
        # with PostgreSQL on every turn, and the policies' kept replay with Rasa's own
        TRACKER_CACHE_CHECK="1", RASA_PAST_STATES_CHECK="1", RASA_TED_SKIP_CHECK="1", RASA_APPLIED_EVENTS_CHECK="1", RASA_TRACKER_COPY_CHECK="1", RASA_ACTION_RESULT_CHECK="1", RASA_FORM_TRACKER_CHECK="1",
    )
    try:
        with scaled:
            scaled.redis = redis
            yield scaled
    finally:
        redis.terminate()
        redis.wait(timeout=30)
        from bot.scaled import drop_database

        for suffix in ("tracker", "cases"):
            drop_database(os.environ["TEST_DATABASE_URL"], f"{prefix}_{suffix}")


async def _say(client: httpx.AsyncClient, url: str, sender: str, message: str) -> tuple[str, str]:
    r = await client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message})
    assert r.status_code == 200, (sender, message, r.status_code, r.text[:300])
    body = r.json()
    return "\n".join(m.get("text") or "" for m in body), r.headers.get("X-Upstream", "")


def _tracker_rows(layout, sender: str) -> list[tuple[str, float]]:
    import sqlalchemy as sa

    engine = sa.create_engine(layout.env["TRACKER_STORE_URL"])
    try:
        with engine.connect() as c:
            return [tuple(r) for r in c.execute(sa.text(
                "SELECT type_name, timestamp FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender})]
    finally:
        engine.dispose()


def _user_texts(layout, sender: str) -> list[str]:
    r = httpx.get(f"{layout.url}/conversations/{sender}/tracker", params={"token": layout.api_token}, timeout=30)
    r.raise_for_status()
    return [e.get("text") for e in r.json()["events"] if e["event"] == "user"]


def test_two_messages_of_one_conversation_at_once_on_two_replicas(layout):
    if layout.procs["rasa1"].poll() is not None:  # stopped by an earlier run: back up
        layout.start_rasa(1)
        layout.wait_rasa(1)
    sender = f"race-{uuid.uuid4().hex[:8]}"
    direct = [f"http://127.0.0.1:{p}" for p in layout.rasa_ports]

    async def main():
        async with httpx.AsyncClient(timeout=120) as client:
            await _say(client, direct[0], sender, "你好")
            return await asyncio.gather(_say(client, direct[0], sender, "修复收费吗"),
                                        _say(client, direct[1], sender, "要准备哪些材料"))

    (fee, _), (materials, _) = asyncio.run(main())
    assert fee.strip() and materials.strip()
    texts = _user_texts(layout, sender)
    assert texts[0] == "你好" and sorted(texts[1:]) == sorted(["修复收费吗", "要准备哪些材料"])
    # one turn after the other: each user message is followed by the bot's answer and a listen
    r = httpx.get(f"{layout.url}/conversations/{sender}/tracker", params={"token": layout.api_token}, timeout=30)
    events = [e for e in r.json()["events"] if e["event"] in ("user", "bot", "action")]
    users = [i for i, e in enumerate(events) if e["event"] == "user"]
    for start, end in zip(users, users[1:] + [len(events)]):
        turn = events[start + 1:end]
        assert any(e["event"] == "bot" for e in turn), events
        assert turn and turn[-1].get("name") == "action_listen", events
    rows = _tracker_rows(layout, sender)
    assert len(set(rows)) == len(rows)


def test_twenty_forms_over_two_replicas_one_stopped_midway(layout):
    rng = random.Random(2026)
    scripts = {f"scaled-{i}-{uuid.uuid4().hex[:6]}": _script(i, rng) for i in range(20)}
    total = sum(len(s) for s in scripts.values())
    done, served, case_numbers = [0], {}, {}
    stopped = asyncio.Event()

    async def conversation(client, sender, script):
        served[sender] = []
        for message, expect in script:
            reply, upstream = await _say(client, layout.url, sender, message)
            served[sender].append(upstream)
            if expect:
                assert expect in reply, (sender, message, reply)
            done[0] += 1
            await asyncio.sleep(random.uniform(0, 0.3))
        case_numbers[sender] = CASE_NO.search(reply).group(0)

    async def stop_one_replica_midway():
        while done[0] < total // 2:
            await asyncio.sleep(0.2)
        await asyncio.to_thread(layout.stop, "rasa1")  # SIGTERM: the replica goes away
        stopped.set()

    async def main():
        async with httpx.AsyncClient(timeout=120) as client:
            await asyncio.gather(stop_one_replica_midway(),
                                 *(conversation(client, s, sc) for s, sc in scripts.items()))

    asyncio.run(main())
    assert stopped.is_set() and layout.procs["rasa1"].poll() is not None

    # the turns really went to both replicas, consecutive turns of a conversation often not to the same one
    r0, r1 = (f"127.0.0.1:{p}" for p in layout.rasa_ports)
    ups = [u for s in served.values() for u in s]
    assert ups.count(r1) >= total // 5 and ups.count(r0) >= total // 5, ups
    switches = sum(a != b for s in served.values() for a, b in zip(s, s[1:]))
    assert switches >= (total - len(scripts)) // 4, served

    # exactly one case per form, with the applicant of that conversation
    assert len(set(case_numbers.values())) == 20
    agent = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    metrics = httpx.get(f"{layout.casestore_url}/api/v1/metrics", headers=agent, timeout=30).json()
    assert metrics["applications_total"] == 20
    for sender, case_no in case_numbers.items():
        case = httpx.get(f"{layout.casestore_url}/api/v1/applications/{case_no}", headers=agent, timeout=30).json()
        assert case["applicant"]["name"] == scripts[sender][3][0]

    # every message once, in order, in the tracker store; no event stored twice
    for sender, script in scripts.items():
        assert _user_texts(layout, sender) == [m for m, _ in script]
        rows = _tracker_rows(layout, sender)
        assert sum(1 for t, _ in rows if t == "user") == len(script)
        assert len(set(rows)) == len(rows), sender


def test_redis_down_gives_a_chinese_reply_not_a_hang(layout):
    layout.redis.terminate()
    layout.redis.wait(timeout=30)
    r = httpx.post(f"{layout.url}/webhooks/rest/webhook", json={"sender": "redis-down", "message": "你好"},
                   timeout=60)
    assert r.status_code == 200
    text = "\n".join(m.get("text") or "" for m in r.json())
    assert "系统正忙" in text and "再发一次" in text, text
