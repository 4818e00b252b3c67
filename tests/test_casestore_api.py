"""The case store over real HTTP: a full case from submission to shared result, and the ways
bad input, other departments and concurrent updates are turned away without harm."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import uuid

import httpx
import pytest

from tests.casestore_fixtures import (
    AGENT, ASSISTANT, DEPT, PDF, PHONE, PNG, USCC_OK2, Server, Subscriber, application, auth,
    backends, database_url, submit,
)


@pytest.fixture(scope="module", params=backends())
def env(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"casestore-{request.param}")
    url, schema = database_url(request.param, tmp)
    subs = [Subscriber(), Subscriber()]
    server = Server(tmp, url, [{"name": "省社会信用信息平台", "url": subs[0].url},
                               {"name": "国家企业信用信息公示系统（四川）", "url": subs[1].url}])
    server.subs = subs
    yield server
    server.stop()
    for s in subs:
        s.close()
    if schema is not None:
        schema.drop()


def post(env, path, token=None, **kw):
    headers = {**(auth(token) if token else {}), **kw.pop("headers", {})}
    return httpx.post(f"{env.base}{path}", headers=headers, timeout=10, **kw)


def get(env, path, token=None, **kw):
    return httpx.get(f"{env.base}{path}", headers=auth(token) if token else {}, timeout=10, **kw)


def item_of(view: dict, department: str) -> dict:
    return next(i for i in view["items"] if i["department"] == department)


def new_case(env, records=None) -> dict:
    body = application(records=records) if records else application()
    r = submit(env.base, body)
    assert r.status_code == 201, r.text
    return r.json()


def accepted_item(env, department="tax") -> tuple[str, dict]:
    case = new_case(env)
    item = item_of(case, department)
    r = post(env, f"/api/v1/items/{item['item_id']}/accept", DEPT[department], json={})
    assert r.status_code == 200, r.text
    return case["case_no"], r.json()


# ------------------------------------------------------------------------------------------
def test_full_case_from_submission_to_shared_result(env):
    body = application(records=[
        {"kind": "penalty_info", "department": "tax", "decision_number": "川税稽罚〔2026〕18号",
         "date": "2026-03-10", "obligations_fulfilled": True, "severity": "general"},
        {"kind": "abnormal_list", "department": "market_regulation", "date": "2025-07-02",
         "ground": "annual_report", "obligations_fulfilled": True},
    ], materials=[{"material_id": "tax_paid_proof"}, {"material_id": "annual_report_published"}])
    key = f"conv-1:{uuid.uuid4().hex}"

    # submitted twice with the same key: one case
    first = submit(env.base, body, key)
    assert first.status_code == 201, first.text
    again = submit(env.base, body, key)
    assert again.status_code == 200
    case = first.json()
    case_no = case["case_no"]
    assert again.json()["case_no"] == case_no
    assert case_no.startswith("XF-") and len(case_no) == len("XF-20261125-48275")
    # the same key with another body is a conflict, not a second case
    other = dict(body, channel="web")
    r = submit(env.base, other, key)
    assert r.status_code == 409 and r.json()["error"] == "idempotency_key_reused"

    assert case["state"] == "submitted"
    assert case["applicant"]["agent_phone"] == "138****1234"
    assert PHONE not in first.text
    tax, market = item_of(case, "tax"), item_of(case, "market_regulation")
    # deadlines come from the guide's decision_limit rules, counted in working days
    assert tax["time_limit"]["rule_id"] == "decision_limit_penalty_22"
    assert tax["time_limit"]["working_days"] == 3 and tax["time_limit"]["caveat"]
    assert market["time_limit"]["rule_id"] == "decision_limit_abnormal_samr"
    assert market["time_limit"]["working_days"] == 5 and market["time_limit"]["verified"] is True
    assert tax["deadline"] > tax["received_on"] and tax["overdue"] is False

    # the applicant looks it up with the last 4 digits; a wrong phone says "not found"
    r = get(env, f"/api/v1/applications/{case_no}", params={"phone": "1234"})
    assert r.status_code == 200 and r.json()["applicant"]["agent_phone"] == "138****1234"
    r = get(env, f"/api/v1/applications/{case_no}", params={"phone": "13900000000"})
    assert r.status_code == 404
    assert get(env, f"/api/v1/applications/{case_no}").status_code == 401

    # tax returns its item for correction with the complete list at once (一次性告知)
    r = post(env, f"/api/v1/items/{tax['item_id']}/return", DEPT["tax"], json={
        "missing": [{"material_id": "tax_paid_proof", "note": "请上传2026年罚款缴纳凭证"},
                    "法定代表人签字的信用承诺书扫描件"], "officer": "王五"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "returned" and len(r.json()["missing"]) == 2
    view = get(env, f"/api/v1/applications/{case_no}", params={"phone": PHONE}).json()
    assert view["state"] == "returned"
    assert [m["name"] for m in item_of(view, "tax")["missing"]] == [
        "已缴清税款、滞纳金和罚款的凭证", "法定代表人签字的信用承诺书扫描件"]
    # the applicant does not see the officer's name; the agent does
    assert all("王五" not in e["actor"] for e in view["history"])
    agent_view = get(env, f"/api/v1/applications/{case_no}", AGENT).json()
    assert any(e["actor"] == "department:tax/王五" for e in agent_view["history"])

    # market regulation accepts and approves its item meanwhile
    r = post(env, f"/api/v1/items/{market['item_id']}/accept", DEPT["market_regulation"], json={})
    assert r.status_code == 200 and r.json()["state"] == "accepted"

    # the applicant uploads the missing proof and resubmits
    r = post(env, f"/api/v1/applications/{case_no}/materials", params={"phone": PHONE},
             files={"file": ("罚款缴纳凭证.pdf", PDF, "application/pdf")},
             data={"material_id": "tax_paid_proof"})
    assert r.status_code == 201, r.text
    up = r.json()["uploads"][0]
    assert up["sha256"] == hashlib.sha256(PDF).hexdigest() and up["size"] == len(PDF)
    assert list((env.upload_dir / case_no).glob(f"{up['upload_id']}.pdf"))
    r = post(env, f"/api/v1/applications/{case_no}/resubmit", params={"phone": PHONE},
             json={"note": "已补充缴纳凭证"})
    assert r.status_code == 200, r.text
    view = r.json()
    assert item_of(view, "tax")["state"] == "submitted" and item_of(view, "tax")["return_count"] == 1
    assert view["uploads"][0]["upload_id"] == up["upload_id"]
    # nothing left to resubmit
    r = post(env, f"/api/v1/applications/{case_no}/resubmit", params={"phone": PHONE}, json={})
    assert r.status_code == 409

    # tax accepts and approves; a result is queued for both subscribers
    assert post(env, f"/api/v1/items/{tax['item_id']}/accept", DEPT["tax"]).status_code == 200
    r = post(env, f"/api/v1/items/{tax['item_id']}/approve", DEPT["tax"], json={"note": "符合条件"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "approved" and r.json()["decision_working_days"] == 0
    r = post(env, f"/api/v1/items/{market['item_id']}/reject", DEPT["market_regulation"],
             json={"reasons": ["年度报告仍未公示"]})
    assert r.status_code == 200 and r.json()["reasons"] == ["年度报告仍未公示"]

    # the provincial platform is down twice, then recovers; nothing is lost
    from bot.casestore.models import utcnow
    from bot.casestore.outbox import deliver_due

    store = env.store()
    env.subs[0].fail_case[case_no] = 2
    now = utcnow()
    s1 = deliver_due(now, store)
    assert s1["failed"] == 1
    assert item_of(get(env, f"/api/v1/applications/{case_no}", AGENT).json(), "tax")["state"] == "approved"
    assert deliver_due(now + dt.timedelta(seconds=5), store)["attempted"] == 0  # backing off
    deliver_due(now + dt.timedelta(seconds=31), store)  # second failure, next wait 60 s
    assert deliver_due(now + dt.timedelta(seconds=60), store)["attempted"] == 0
    s3 = deliver_due(now + dt.timedelta(seconds=92), store)
    assert s3["delivered"] == 1 and s3["shared"] == 1
    assert deliver_due(now + dt.timedelta(hours=5), store)["attempted"] == 0  # nothing left

    posts = env.subs[0].posts(case_no)
    assert len(posts) == 3
    ids = {p["headers"]["Idempotency-Key"] for p in posts}
    assert len(ids) == 1 and ids == {p["headers"]["X-Delivery-Id"] for p in posts}
    assert posts[0]["body"]["subject"]["uscc"] == body["applicant"]["uscc"]
    assert PHONE not in str(posts[0])
    assert len(env.subs[1].posts(case_no)) == 1

    view = get(env, f"/api/v1/applications/{case_no}", params={"phone": "1234"}).json()
    tax_item = item_of(view, "tax")
    assert tax_item["state"] == "result_shared"
    assert {s["subscriber"]: s["delivered"] for s in tax_item["shared_to"]} == {
        "省社会信用信息平台": True, "国家企业信用信息公示系统（四川）": True}
    assert view["state"] == "completed"
    actions = [(e["item_id"], e["action"]) for e in view["history"]]
    assert actions.count((tax["item_id"], "return")) == 1
    assert (tax["item_id"], "share") in actions and ("upload" in [a for _, a in actions])

    # metrics reflect it
    m = get(env, "/api/v1/metrics", AGENT).json()
    assert m["by_state"]["result_shared"] >= 1 and m["by_state"]["rejected"] >= 1
    assert m["by_department"]["tax"]["returns"] >= 1
    assert m["returns_total"] >= 1 and 0 < m["return_rate"] <= 1
    assert 0 < m["rejection_rate"] < 1
    assert m["decision_working_days"]["count"] >= 2 and m["decision_working_days"]["median"] == 0
    assert m["by_item"]["abnormal_list"]["rejected"] >= 1


def test_invalid_submission_lists_every_problem_at_once(env):
    body = application()
    body["applicant"]["uscc"] = "91350100M000100Y44"  # wrong check digit
    body["applicant"]["agent_phone"] = "1381234123"   # 10 digits
    body["applicant"]["subject_type"] = "company"
    body["records"][0]["department"] = "police"
    body["records"].append({"kind": "abnormal_list", "department": "tax", "date": "2099-01-01",
                            "obligations_fulfilled": "yes"})
    body["commitment_accepted"] = False
    body["channel"] = "fax"
    r = submit(env.base, body)
    assert r.status_code == 422
    data = r.json()
    fields = {d["field"] for d in data["details"]}
    assert {"applicant.uscc", "applicant.agent_phone", "applicant.subject_type",
            "records[0].department", "records[1].department", "records[1].date",
            "records[1].obligations_fulfilled", "commitment_accepted", "channel"} <= fields
    assert data["error"] == "validation_failed" and "处" in data["message"]
    uscc_msg = next(d["message"] for d in data["details"] if d["field"] == "applicant.uscc")
    assert "校验位" in uscc_msg
    # nothing was stored: the same key still works for a corrected body
    key = uuid.uuid4().hex
    assert submit(env.base, body, key).status_code == 422
    assert submit(env.base, application(), key).status_code == 201


def test_department_sees_and_acts_on_its_own_items_only(env):
    case = new_case(env, records=[
        {"kind": "penalty_info", "department": "tax", "date": "2026-02-01", "obligations_fulfilled": True},
        {"kind": "serious_list", "department": "hrss", "date": "2025-10-01", "obligations_fulfilled": True},
    ])
    case_no = case["case_no"]
    tax_item, hrss_item = item_of(case, "tax"), item_of(case, "hrss")
    r = get(env, f"/api/v1/applications/{case_no}", DEPT["tax"])
    assert r.status_code == 200
    assert [i["department"] for i in r.json()["items"]] == ["tax"]
    assert all(e["item_id"] in (None, tax_item["item_id"]) for e in r.json()["history"])
    # a department with nothing in this case cannot tell it exists
    assert get(env, f"/api/v1/applications/{case_no}", DEPT["market_regulation"]).status_code == 404
    # and cannot act on another department's item
    for action in ("accept", "return", "approve", "reject"):
        r = post(env, f"/api/v1/items/{hrss_item['item_id']}/{action}", DEPT["tax"],
                 json={"missing": ["x"], "reasons": ["y"]})
        assert r.status_code == 403, (action, r.text)
    assert get(env, f"/api/v1/applications/{case_no}", AGENT).json()["items"][1]["state"] == "submitted"
    # unknown tokens are refused; department metrics are scoped
    assert get(env, f"/api/v1/applications/{case_no}", "wrong").status_code == 401
    m = get(env, "/api/v1/metrics", DEPT["hrss"]).json()
    assert m["scope"] == "hrss" and set(m["by_department"]) == {"hrss"}
    assert get(env, "/api/v1/metrics", ASSISTANT).status_code == 403


def test_concurrent_approve_exactly_one_wins(env):
    _case_no, item = accepted_item(env)
    barrier = threading.Barrier(4)
    results = []

    def approve():
        barrier.wait()
        r = post(env, f"/api/v1/items/{item['item_id']}/approve", DEPT["tax"], json={})
        results.append(r)

    threads = [threading.Thread(target=approve) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409, 409, 409], [r.text for r in results]
    assert all("message" in r.json() for r in results if r.status_code == 409)
    view = get(env, f"/api/v1/applications/{_case_no}", AGENT).json()
    assert [e["action"] for e in view["history"]].count("approve") == 1


def test_transitions_are_checked(env):
    case = new_case(env)
    item = case["items"][0]["item_id"]
    tok = DEPT["tax"]
    # approve before accept; return without a list; reject without reasons
    r = post(env, f"/api/v1/items/{item}/approve", tok, json={})
    assert r.status_code == 409 and r.json()["error"] == "illegal_transition"
    assert "已提交" in r.json()["message"]
    r = post(env, f"/api/v1/items/{item}/return", tok, json={"missing": []})
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "missing"
    r = post(env, f"/api/v1/items/{item}/return", tok, json={"missing": [{"material_id": "nope"}]})
    assert r.status_code == 422
    assert post(env, f"/api/v1/items/{item}/accept", tok, json={"version": 1}).status_code == 200
    # a stale version is refused (optimistic concurrency)
    r = post(env, f"/api/v1/items/{item}/reject", tok, json={"reasons": ["x"]}, headers={"If-Match": "1"})
    assert r.status_code == 409 and r.json()["error"] == "version_conflict"
    r = post(env, f"/api/v1/items/{item}/reject", tok, json={"reasons": "  "})
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "reasons"
    r = post(env, f"/api/v1/items/{item}/reject", tok, json={"reasons": ["未履行罚款缴纳义务"], "version": 2})
    assert r.status_code == 200 and r.json()["version"] == 3
    r = post(env, f"/api/v1/items/{item}/approve", tok, json={})
    assert r.status_code == 409
    assert post(env, f"/api/v1/items/{item}/archive", tok, json={}).status_code == 404
    assert post(env, "/api/v1/items/XF-20260101-00000-1/accept", tok, json={}).status_code == 404
    # the applicant cannot act as a department
    assert post(env, f"/api/v1/items/{item}/accept", ASSISTANT, json={}).status_code == 403


def test_uploads_are_limited_and_leave_nothing_behind(env):
    case = new_case(env)
    case_no = case["case_no"]
    folder = env.upload_dir / case_no
    big = PDF + b"0" * (256 * 1024)
    r = post(env, f"/api/v1/applications/{case_no}/materials", params={"phone": PHONE},
             files={"file": ("big.pdf", big, "application/pdf")})
    assert r.status_code == 413 and r.json()["error"] == "file_too_large"
    assert "256 KB" in r.json()["message"]
    r = post(env, f"/api/v1/applications/{case_no}/materials", params={"phone": PHONE},
             files={"file": ("notes.docx", b"PK\x03\x04 word", "application/msword")})
    assert r.status_code == 415 and r.json()["error"] == "unsupported_file_type"
    r = post(env, f"/api/v1/applications/{case_no}/materials", params={"phone": PHONE},
             files={"file": ("fake.pdf", b"MZ not a pdf", "application/pdf")})
    assert r.status_code == 415
    # a request bigger than the whole-request cap is refused before it is read
    r = post(env, f"/api/v1/applications/{case_no}/materials", params={"phone": PHONE},
             files={"file": ("huge.pdf", PDF + b"0" * (3 * 1024 * 1024), "application/pdf")})
    assert r.status_code == 413 and r.json()["message"]
    # last 4 digits are not enough to change an application
    r = post(env, f"/api/v1/applications/{case_no}/materials", params={"phone": "1234"},
             files={"file": ("a.png", PNG, "image/png")})
    assert r.status_code == 404
    assert not folder.exists() or not [p for p in folder.iterdir()]
    view = get(env, f"/api/v1/applications/{case_no}", AGENT).json()
    assert view["uploads"] == []
    r = post(env, f"/api/v1/applications/{case_no}/materials", params={"phone": PHONE},
             files=[("file", ("a.png", PNG, "image/png")), ("file", ("b.pdf", PDF, "application/pdf"))])
    assert r.status_code == 201 and len(r.json()["uploads"]) == 2
    assert len(list(folder.iterdir())) == 2


def test_upload_link_for_a_draft_is_one_time(env):
    draft = f"draft-{uuid.uuid4().hex[:8]}"
    r = post(env, "/api/v1/upload-tokens", ASSISTANT, json={"draft_id": draft, "material_id": "performance_proof"})
    assert r.status_code == 201, r.text
    link = r.json()
    assert link["url"].endswith(f"/upload/{link['token']}")
    page = get(env, f"/upload/{link['token']}")
    assert page.status_code == 200 and "上传信用修复材料" in page.text
    assert 'name="viewport"' in page.text and "performance_proof" in page.text
    r = post(env, f"/upload/{link['token']}", files={"file": ("凭证.jpg", b"\xff\xd8\xff\xe0jpeg", "image/jpeg")},
             headers={"Accept": "application/json"})
    assert r.status_code == 201, r.text
    upload_id = r.json()["uploads"][0]["upload_id"]
    # used once: the page and the form now say so
    assert get(env, f"/upload/{link['token']}").status_code == 410
    r = post(env, f"/upload/{link['token']}", files={"file": ("b.png", PNG, "image/png")})
    assert r.status_code == 410 and "已经使用过" in r.text
    assert get(env, "/upload/unknown-token").status_code == 404
    # the assistant lists the draft's uploads and submits them with the application
    r = get(env, "/api/v1/uploads", ASSISTANT, params={"draft_id": draft})
    assert [u["upload_id"] for u in r.json()["uploads"]] == [upload_id]
    body = application(materials=[{"material_id": "tax_paid_proof", "upload_id": upload_id}])
    r = submit(env.base, body)
    assert r.status_code == 201, r.text
    assert r.json()["uploads"][0]["upload_id"] == upload_id
    # an upload cannot be attached to a second application
    r = submit(env.base, application(materials=[{"material_id": "tax_paid_proof", "upload_id": upload_id}]))
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "materials[0].upload_id"
    # a token for a case works on the case endpoint too
    case_no = submit(env.base).json()["case_no"]
    tok = post(env, "/api/v1/upload-tokens", AGENT, json={"case_no": case_no}).json()["token"]
    r = post(env, f"/api/v1/applications/{case_no}/materials", params={"token": tok},
             files={"file": ("a.pdf", PDF, "application/pdf")}, data={"material_id": "performance_proof"})
    assert r.status_code == 201
    assert post(env, "/api/v1/upload-tokens", DEPT["tax"], json={"case_no": case_no}).status_code == 403
    assert post(env, "/api/v1/upload-tokens", ASSISTANT, json={}).status_code == 422


def test_reminders(env):
    body = {"subject_code": USCC_OK2, "phone": "13987654321", "channel": "sms",
            "remind_on": "2027-01-11", "summary": "川税稽罚〔2026〕18号 可于2027-01-11起申请信用修复"}
    r = post(env, "/api/v1/reminders", ASSISTANT, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["phone"] == "139****4321"
    assert post(env, "/api/v1/reminders", ASSISTANT, json=body).status_code == 200  # same reminder
    r = post(env, "/api/v1/reminders", ASSISTANT, json={"subject_code": "123", "channel": "fax",
                                                       "remind_on": "tomorrow", "summary": ""})
    assert r.status_code == 422 and len(r.json()["details"]) == 5
    due = get(env, "/api/v1/reminders/due", AGENT, params={"on": "2027-01-10"}).json()["reminders"]
    assert not [x for x in due if x["subject_code"] == USCC_OK2]
    due = get(env, "/api/v1/reminders/due", AGENT, params={"on": "2027-01-11"}).json()["reminders"]
    mine = [x for x in due if x["subject_code"] == USCC_OK2]
    assert len(mine) == 1 and mine[0]["phone"] == "139****4321"
    assert get(env, "/api/v1/reminders/due", ASSISTANT, params={"on": "2027-01-11"}).status_code == 403
    assert get(env, "/api/v1/reminders/due", AGENT, params={"on": "11/01/2027"}).status_code == 400
    assert post(env, f"/api/v1/reminders/{mine[0]['id']}/sent", AGENT).status_code == 200
    due = get(env, "/api/v1/reminders/due", AGENT, params={"on": "2027-01-11"}).json()["reminders"]
    assert not [x for x in due if x["subject_code"] == USCC_OK2]


def test_errors_are_json_in_chinese_and_never_500(env):
    answers = []

    def keep(r):
        answers.append(r)
        return r

    r = keep(post(env, "/api/v1/applications", ASSISTANT, content=b'{"applicant": {',
                  headers={"Idempotency-Key": "x"}))
    assert r.status_code == 400 and r.json()["error"] == "bad_json" and "JSON" in r.json()["message"]
    r = keep(post(env, "/api/v1/applications", ASSISTANT, content=b"\xff\xfe", headers={"Idempotency-Key": "x"}))
    assert r.status_code == 400
    r = keep(post(env, "/api/v1/applications", ASSISTANT, json=[1, 2], headers={"Idempotency-Key": "y"}))
    assert r.status_code == 422
    r = keep(post(env, "/api/v1/applications", ASSISTANT, json=application()))
    assert r.status_code == 400 and r.json()["error"] == "idempotency_key_required"
    r = keep(post(env, "/api/v1/applications", json=application(), headers={"Idempotency-Key": "z"}))
    assert r.status_code == 401
    r = keep(post(env, "/api/v1/applications", ASSISTANT, content=b"[" + b" " * (1024 * 1024) + b"]",
                  headers={"Idempotency-Key": "big"}))
    assert r.status_code == 413
    r = keep(get(env, "/api/v1/nothing-here"))
    assert r.status_code == 404
    r = keep(httpx.delete(f"{env.base}/api/v1/applications", timeout=5))
    assert r.status_code == 405
    r = keep(get(env, "/api/v1/applications/not-a-case", AGENT))
    assert r.status_code == 404
    r = keep(get(env, "/api/v1/metrics", AGENT, params={"on": "2026-13-01"}))
    assert r.status_code == 400
    r = keep(post(env, "/api/v1/items/x/accept", DEPT["tax"], content=b"["))
    assert r.status_code == 400
    r = keep(post(env, "/api/v1/upload-tokens", ASSISTANT, json={"case_no": {"$gt": ""}}))
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "case_no"
    r = keep(post(env, "/api/v1/applications/XF-20261125-00000/materials", ASSISTANT, content=b"x",
                  headers={"Content-Type": "multipart/form-data; boundary=zzz"}))
    assert 400 <= r.status_code < 500
    for r in answers:
        data = r.json()
        assert set(data) == {"error", "message", "details"}, r.text
        assert re.search(r"[\u4e00-\u9fff]", data["message"]), data
        assert "Traceback" not in r.text
    assert get(env, "/healthz").json() == {"status": "ok", "database": "ok"}


def test_overdue_items_show_in_metrics(env):
    case = new_case(env, records=[{"kind": "serious_list", "department": "hrss", "date": "2025-08-01",
                                   "obligations_fulfilled": True}])
    item = case["items"][0]
    later = dt.date.fromisoformat(item["deadline"]) + dt.timedelta(days=1)
    m = get(env, "/api/v1/metrics", AGENT, params={"on": later.isoformat()}).json()
    overdue = {o["item_id"]: o for o in m["overdue"]["items"]}
    assert item["item_id"] in overdue and overdue[item["item_id"]]["days_overdue"] >= 0
    assert m["by_department"]["hrss"]["overdue"] >= 1
    m_now = get(env, "/api/v1/metrics", AGENT).json()
    assert item["item_id"] not in {o["item_id"] for o in m_now["overdue"]["items"]}


def test_paths_determine(env):
    ok = {"as_of": "2026-11-25", "subject_type": "enterprise", "records": [
        {"kind": "penalty", "department": "tax", "decision_date": "2026-03-10", "severity": "general",
         "obligations_fulfilled": True}]}
    r = post(env, "/api/v1/paths/determine", json=ok)
    assert r.status_code == 200, r.text
    bad = {"subject_type": "robot", "records": [{"kind": "penalty", "department": "police",
                                                 "decision_date": "2026-99-01"}]}
    r = post(env, "/api/v1/paths/determine", json=bad)
    assert r.status_code == 422
    data = r.json()
    assert data["error"] == "validation_failed" and len(data["details"]) >= 3
    assert all({"field", "message"} <= set(d) for d in data["details"])
    assert post(env, "/api/v1/paths/determine", content=b"{").status_code == 400


def test_engine_style_records_are_accepted(env):
    body = application(records=[
        {"kind": "penalty", "department": "market_regulation", "decision_date": "2026-01-05",
         "procedure": "general", "penalties": ["fine"], "fine_amount": 5000,
         "obligations_fulfilled": True, "fulfilled_date": "2026-01-20"},
        {"kind": "abnormal_list", "department": "market_regulation", "listed_date": "2025-07-01",
         "reason": "annual_report", "corrected": True},
    ])
    r = submit(env.base, body)
    assert r.status_code == 201, r.text
    items = r.json()["items"]
    assert [i["kind"] for i in items] == ["penalty_info", "abnormal_list"]
    assert items[0]["record"]["date"] == "2026-01-05" and items[0]["record"]["fine_amount"] == 5000
    assert items[0]["time_limit"]["rule_id"] == "decision_limit_penalty_samr107"
