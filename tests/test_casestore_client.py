"""The chat actions' client against a running case store, and the server's own outbox loop."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest

from bot.casestore.client import (
    CaseStoreClient, CaseStoreError, CaseStoreNotFound, CaseStoreRejected, CaseStoreUnavailable,
)
from tests.casestore_fixtures import (
    ASSISTANT, DEPT, PHONE, USCC_OK2, Server, Subscriber, application, auth, free_port,
)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A server whose background loop drains the outbox every 0.2 s (retries after 0.1 s, 0.2 s...)."""
    tmp = tmp_path_factory.mktemp("casestore-live")
    sub = Subscriber()
    server = Server(tmp, f"sqlite:///{tmp / 'live.db'}", [{"name": "省社会信用信息平台", "url": sub.url}],
                    CASESTORE_OUTBOX_INTERVAL="0.2", CASESTORE_OUTBOX_BACKOFF_BASE="0.1",
                    CASESTORE_OUTBOX_BACKOFF_MAX="1")
    server.sub = sub
    yield server
    server.stop()
    sub.close()


def run(coro):
    return asyncio.run(coro)


def test_client_submit_lookup_upload_link_reminder(live):
    async def go():
        async with CaseStoreClient(live.base, ASSISTANT, timeout=5) as c:
            key = uuid.uuid4().hex
            first = await c.submit(application(), key)
            again = await c.submit(application() | {"conversation_id": first["conversation_id"]}, key)
            assert first["created"] is True and again["created"] is False
            assert again["case_no"] == first["case_no"]
            found = await c.lookup(first["case_no"], phone=PHONE[-4:])
            assert found["applicant"]["agent_phone"] == "138****1234"
            with pytest.raises(CaseStoreNotFound):
                await c.lookup(first["case_no"], phone="0000")
            link = await c.create_upload_token(case_no=first["case_no"], material_id="tax_paid_proof")
            assert link["url"].startswith(live.base + "/upload/")
            r = await c.add_reminder(subject_code=USCC_OK2, remind_on="2027-03-01", summary="可申请修复",
                                     channel="wechat", channel_user_id="openid-123")
            assert r["remind_on"] == "2027-03-01"
            paths = await c.determine_paths({"records": [{"kind": "penalty", "department": "tax",
                                                          "decision_date": "2026-03-10"}]})
            assert paths["results"][0]["status"] == "needs_info"  # severity and payment not given
            assert paths["results"][0]["authority"] == "tax"
            with pytest.raises(CaseStoreRejected) as err:
                await c.determine_paths({"records": [{"kind": "nothing"}]})
            assert err.value.errors
            bad = application()
            bad["applicant"]["agent_phone"] = "12"
            bad["records"][0]["department"] = "police"
            with pytest.raises(CaseStoreRejected) as err:
                await c.submit(bad, uuid.uuid4().hex)
            assert {e["field"] for e in err.value.errors} == {"applicant.agent_phone", "records[0].department"}
            with pytest.raises(CaseStoreError) as err:
                await c.submit(application(channel="web"), key)
            assert err.value.status == 409
        async with CaseStoreClient(live.base, "not-a-token") as c:
            with pytest.raises(CaseStoreError) as err:
                await c.lookup(first["case_no"])
            assert err.value.status == 401

    run(go())


def test_client_reports_an_unavailable_service():
    async def go():
        async with CaseStoreClient(f"http://127.0.0.1:{free_port()}", ASSISTANT, timeout=1) as c:
            with pytest.raises(CaseStoreUnavailable) as err:
                await c.submit(application(), "k")
            assert "稍后再试" in err.value.message
            with pytest.raises(CaseStoreUnavailable):
                await c.lookup("XF-20261125-00000")

        def slow(request):
            raise httpx.ReadTimeout("timed out", request=request)

        async with CaseStoreClient("http://casestore", ASSISTANT, transport=httpx.MockTransport(slow)) as c:
            with pytest.raises(CaseStoreUnavailable):
                await c.lookup("XF-20261125-00000")

        def broken(request):
            return httpx.Response(502, text="<html>bad gateway</html>")

        async with CaseStoreClient("http://casestore", ASSISTANT, transport=httpx.MockTransport(broken)) as c:
            with pytest.raises(CaseStoreUnavailable):
                await c.submit(application(), "k")

    run(go())


def test_background_loop_shares_results_after_the_subscriber_recovers(live):
    r = httpx.post(f"{live.base}/api/v1/applications", json=application(),
                   headers={**auth(ASSISTANT), "Idempotency-Key": uuid.uuid4().hex})
    case = r.json()
    item = case["items"][0]["item_id"]
    live.sub.fail_case[case["case_no"]] = 2
    for action in ("accept", "approve"):
        assert httpx.post(f"{live.base}/api/v1/items/{item}/{action}", headers=auth(DEPT["tax"]),
                          json={}).status_code == 200
    deadline = time.monotonic() + 15
    state = None
    while time.monotonic() < deadline:
        view = httpx.get(f"{live.base}/api/v1/applications/{case['case_no']}", params={"phone": PHONE}).json()
        state = view["items"][0]["state"]
        if state == "result_shared":
            break
        time.sleep(0.2)
    assert state == "result_shared"
    posts = live.sub.posts(case["case_no"])
    assert len(posts) == 3 and len({p["headers"]["Idempotency-Key"] for p in posts}) == 1
    assert view["items"][0]["shared_to"][0]["attempts"] == 3


def test_client_corrects_then_withdraws_for_its_conversation_and_explains_an_accepted_case(live):
    async def go():
        async with CaseStoreClient(live.base, ASSISTANT, timeout=5) as c:
            case = await c.submit(application(conversation_id="conv-client-w"), uuid.uuid4().hex)
            no = case["case_no"]
            fixed = await c.correct_applicant(no, {"legal_rep": "张德贵"}, conversation_id="conv-client-w",
                                              note="名字不对 就是张德贵三个字")
            assert fixed["applicant"]["legal_rep"] == "张德贵" and fixed["applicant_version"] == 2
            with pytest.raises(CaseStoreRejected) as err:
                await c.correct_applicant(no, {"agent_phone": "12"}, phone=PHONE)
            assert err.value.errors[0]["field"] == "applicant.agent_phone"
            with pytest.raises(CaseStoreError) as err:
                await c.withdraw(no, conversation_id="conv-someone-else")
            assert err.value.status == 403
            gone = await c.withdraw(no, conversation_id="conv-client-w", reason="不想办了")
            assert gone["state"] == "withdrawn"

            other = await c.submit(application(), uuid.uuid4().hex)
            item = other["items"][0]["item_id"]
            r = httpx.post(f"{live.base}/api/v1/items/{item}/accept", headers=auth(DEPT["tax"]), json={}, timeout=5)
            assert r.status_code == 200
            with pytest.raises(CaseStoreError) as err:
                await c.withdraw(other["case_no"], phone=PHONE)
            assert err.value.status == 409 and err.value.code == "already_accepted"
            assert "请联系税务部门" in err.value.message

    run(go())
