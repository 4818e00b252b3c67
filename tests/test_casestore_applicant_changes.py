"""Withdrawal and correction by the applicant before acceptance, and items of one application
decided in order (the 经营异常名录 item before the market-regulation penalty), over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.casestore_fixtures import (
    AGENT,
    ASSISTANT,
    DEPT,
    PHONE,
    Server,
    Subscriber,
    application,
    auth,
    backends,
    database_url,
    submit,
)

MARKET = DEPT["market_regulation"]


@pytest.fixture(scope="module", params=backends())
def env(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"casestore-changes-{request.param}")
    url, schema = database_url(request.param, tmp)
    sub = Subscriber()
    server = Server(tmp, url, [{"name": "省社会信用信息平台", "url": sub.url}])
    yield server
    server.stop()
    sub.close()
    if schema is not None:
        schema.drop()


def post(env, path, token=None, **kw):
    return httpx.post(f"{env.base}{path}", headers=auth(token) if token else {}, timeout=10, **kw)


def get(env, path, token=AGENT):
    return httpx.get(f"{env.base}{path}", headers=auth(token), timeout=10)


def new_case(env, **over) -> dict:
    r = submit(env.base, application(**over))
    assert r.status_code == 201, r.text
    return r.json()


PENALTY = {"kind": "penalty_info", "department": "market_regulation", "decision_number": "成市监处罚〔2026〕193号",
           "reason": "虚假宣传", "date": "2026-03-10", "obligations_fulfilled": True, "severity": "general"}
ABNORMAL = {"kind": "abnormal_list", "department": "market_regulation", "reason": "未按期公示年度报告",
            "date": "2025-07-01", "corrected": True}


# ----------------------------------------------------------------------------- withdraw
def test_applicant_withdraws_with_case_number_and_phone(env):
    case = new_case(env)
    no = case["case_no"]
    wrong = post(env, f"/api/v1/applications/{no}/withdraw", params={"phone": "13900000000"}, json={})
    assert wrong.status_code == 404  # never says the case exists
    last4 = post(env, f"/api/v1/applications/{no}/withdraw", params={"phone": PHONE[-4:]}, json={})
    assert last4.status_code == 404  # reading allows the last 4 digits, changing needs the full number
    r = post(env, f"/api/v1/applications/{no}/withdraw", params={"phone": PHONE}, json={"reason": "材料还没准备好"})
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["state"] == "withdrawn" and view["state_name"] == "已撤回"
    assert {i["state"] for i in view["items"]} == {"withdrawn"}
    assert all(i["deadline"] is None and not i["overdue"] for i in view["items"])
    actions = [(h["action"], h["to_state"]) for h in view["history"]]
    assert ("withdraw", "withdrawn") in actions
    app_event = next(h for h in view["history"] if h["action"] == "withdraw" and h["item_id"] is None)
    assert app_event["detail"]["reason"] == "材料还没准备好" and app_event["actor"] == "applicant"
    # the department can no longer act on it
    item = view["items"][0]["item_id"]
    r = post(env, f"/api/v1/items/{item}/accept", DEPT["tax"], json={})
    assert r.status_code == 409 and "已撤回" in r.json()["message"]
    # withdrawing again is harmless (a chat retry)
    again = post(env, f"/api/v1/applications/{no}/withdraw", params={"phone": PHONE}, json={})
    assert again.status_code == 200 and again.json()["state"] == "withdrawn"
    assert [h["action"] for h in again.json()["history"]].count("withdraw") == 2  # 1 case + 1 item


def test_assistant_withdraws_for_the_conversation_that_submitted_only(env):
    case = new_case(env, conversation_id="conv-withdraw-1")
    no = case["case_no"]
    other = post(env, f"/api/v1/applications/{no}/withdraw", ASSISTANT, json={"conversation_id": "conv-other"})
    assert other.status_code == 403 and "本次对话" in other.json()["message"]
    none = post(env, f"/api/v1/applications/{no}/withdraw", ASSISTANT, json={})
    assert none.status_code == 403
    ok = post(env, f"/api/v1/applications/{no}/withdraw", ASSISTANT, json={"conversation_id": "conv-withdraw-1"})
    assert ok.status_code == 200 and ok.json()["state"] == "withdrawn"
    assert next(h for h in ok.json()["history"] if h["action"] == "withdraw")["actor"] == "assistant"


def test_a_department_cannot_withdraw_for_the_applicant(env):
    case = new_case(env)
    r = post(env, f"/api/v1/applications/{case['case_no']}/withdraw", DEPT["tax"], json={})
    assert r.status_code == 403 and "部门不能代替申请人" in r.json()["message"]
    r = post(env, f"/api/v1/applications/{case['case_no']}/withdraw", json={})
    assert r.status_code == 401 and "手机号" in r.json()["message"]


def test_an_accepted_case_is_not_withdrawn_and_the_reply_names_whom_to_contact(env):
    case = new_case(env)
    item = case["items"][0]["item_id"]
    assert post(env, f"/api/v1/items/{item}/accept", DEPT["tax"], json={}).status_code == 200
    r = post(env, f"/api/v1/applications/{case['case_no']}/withdraw", params={"phone": PHONE}, json={})
    assert r.status_code == 409
    body = r.json()
    assert body["error"] == "already_accepted"
    assert "第1项（行政处罚信息信用修复）已由税务部门受理" in body["message"]
    assert "请联系税务部门" in body["message"] and "12345" in body["message"]
    view = get(env, f"/api/v1/applications/{case['case_no']}").json()
    assert view["items"][0]["state"] == "accepted"  # nothing changed


def test_a_returned_item_that_was_accepted_first_is_not_withdrawn(env):
    case = new_case(env)
    item = case["items"][0]["item_id"]
    assert post(env, f"/api/v1/items/{item}/accept", DEPT["tax"], json={}).status_code == 200
    assert post(env, f"/api/v1/items/{item}/return", DEPT["tax"], json={"missing": ["完税证明"]}).status_code == 200
    r = post(env, f"/api/v1/applications/{case['case_no']}/withdraw", params={"phone": PHONE}, json={})
    assert r.status_code == 409 and r.json()["error"] == "already_accepted"
    assert r.json()["details"] == [{"field": f"items.{item}", "message": "第1项（行政处罚信息信用修复）已由税务部门受理"}]


# ----------------------------------------------------------------------------- correct
def test_applicant_corrects_a_name_as_a_new_audited_version(env):
    case = new_case(env)
    no = case["case_no"]
    assert case["applicant_version"] == 1
    r = post(env, f"/api/v1/applications/{no}/corrections", params={"phone": PHONE},
             json={"applicant": {"legal_rep": "张德贵"}, "note": "名字写错了"})
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["applicant"]["legal_rep"] == "张德贵" and view["applicant_version"] == 2
    ev = next(h for h in view["history"] if h["action"] == "correct_applicant")
    assert ev["detail"]["changed"] == {"legal_rep": {"from": "张三", "to": "张德贵"}}
    assert ev["detail"]["version"] == 2 and ev["detail"]["note"] == "名字写错了"
    # the department sees the corrected applicant
    dept_view = get(env, f"/api/v1/applications/{no}", DEPT["tax"]).json()
    assert dept_view["applicant"]["legal_rep"] == "张德贵"


def test_a_corrected_phone_is_masked_in_the_audit_and_becomes_the_credential(env):
    case = new_case(env, conversation_id="conv-correct-phone")
    no = case["case_no"]
    r = post(env, f"/api/v1/applications/{no}/corrections", ASSISTANT,
             json={"conversation_id": "conv-correct-phone", "applicant": {"agent_phone": "139 1234 5678"}})
    assert r.status_code == 200, r.text
    ev = next(h for h in r.json()["history"] if h["action"] == "correct_applicant")
    assert "13912345678" not in str(ev) and "13812341234" not in str(ev)
    assert ev["detail"]["changed"]["agent_phone"]["to"].endswith("5678")
    old = post(env, f"/api/v1/applications/{no}/withdraw", params={"phone": PHONE}, json={})
    assert old.status_code == 404
    new = post(env, f"/api/v1/applications/{no}/withdraw", params={"phone": "13912345678"}, json={})
    assert new.status_code == 200


def test_bad_corrections_get_clear_chinese_errors(env):
    case = new_case(env)
    path = f"/api/v1/applications/{case['case_no']}/corrections"
    r = post(env, path, params={"phone": PHONE}, json={"applicant": {"uscc": "123"}})
    assert r.status_code == 422 and r.json()["details"][0]["field"] == "applicant.uscc"
    r = post(env, path, params={"phone": PHONE}, json={"applicant": {"subject_type": "individual_business"}})
    assert r.status_code == 422 and "撤回后重新申请" in r.json()["details"][0]["message"]
    r = post(env, path, params={"phone": PHONE}, json={"applicant": {}})
    assert r.status_code == 422 and "可更正" in r.json()["details"][0]["message"]
    r = post(env, path, params={"phone": PHONE}, json={"applicant": {"legal_rep": "张三"}})
    assert r.status_code == 409 and r.json()["error"] == "unchanged"
    r = post(env, path, params={"phone": PHONE}, json={"applicant": {"legal_rep": "王五"}, "applicant_version": 7})
    assert r.status_code == 409 and "第1版" in r.json()["message"]
    r = post(env, path, params={"phone": PHONE}, content=b"{not json")
    assert r.status_code == 400 and "JSON" in r.json()["message"]


def test_no_correction_after_acceptance_or_withdrawal(env):
    case = new_case(env)
    item = case["items"][0]["item_id"]
    assert post(env, f"/api/v1/items/{item}/accept", DEPT["tax"], json={}).status_code == 200
    r = post(env, f"/api/v1/applications/{case['case_no']}/corrections", params={"phone": PHONE},
             json={"applicant": {"legal_rep": "张德贵"}})
    assert r.status_code == 409 and "已由税务部门受理" in r.json()["message"]
    case2 = new_case(env)
    assert post(env, f"/api/v1/applications/{case2['case_no']}/withdraw", params={"phone": PHONE},
                json={}).status_code == 200
    r = post(env, f"/api/v1/applications/{case2['case_no']}/corrections", params={"phone": PHONE},
             json={"applicant": {"legal_rep": "张德贵"}})
    assert r.status_code == 409 and "已撤回" in r.json()["message"]


# ----------------------------------------------------------------------------- dependent items
def test_the_abnormal_list_item_is_routed_first_and_the_penalty_waits_for_its_approval(env):
    case = new_case(env, records=[PENALTY, ABNORMAL], materials=[])
    penalty = next(i for i in case["items"] if i["kind"] == "penalty_info")
    abnormal = next(i for i in case["items"] if i["kind"] == "abnormal_list")
    assert penalty["depends_on"] == [abnormal["item_id"]] and penalty["waiting_for"] == [abnormal["item_id"]]
    assert abnormal["depends_on"] == [] and abnormal["deadline"] is not None
    assert penalty["deadline"] is None and "须等第2项（经营异常名录信息信用修复）办结后才起算" in penalty["time_limit"]["caveat"]
    routes = [h["item_id"] for h in case["history"] if h["action"] == "route"]
    assert routes == [abnormal["item_id"], penalty["item_id"]]  # the list item first

    # the department may not accept or decide the penalty yet: a clear Chinese 409
    for action in ("accept", "approve", "reject"):
        r = post(env, f"/api/v1/items/{penalty['item_id']}/{action}", MARKET, json={"reasons": ["x"]})
        assert r.status_code == 409, (action, r.text)
        assert r.json()["error"] == "depends_on_pending"
        assert "第1项（行政处罚信息信用修复）须等第2项（经营异常名录信息信用修复）同意修复、移出后才能" in r.json()["message"]
    assert "已提交，待受理" in r.json()["message"]

    # the list item goes through; its approval releases the penalty and starts its clock
    assert post(env, f"/api/v1/items/{abnormal['item_id']}/accept", MARKET, json={}).status_code == 200
    r = post(env, f"/api/v1/items/{penalty['item_id']}/accept", MARKET, json={})
    assert r.status_code == 409 and "已受理，审核中" in r.json()["message"]
    assert post(env, f"/api/v1/items/{abnormal['item_id']}/approve", MARKET, json={}).status_code == 200
    view = get(env, f"/api/v1/applications/{case['case_no']}").json()
    penalty = next(i for i in view["items"] if i["kind"] == "penalty_info")
    assert penalty["waiting_for"] == [] and penalty["deadline"] is not None
    released = next(h for h in view["history"] if h["action"] == "dependency_decided")
    assert released["item_id"] == penalty["item_id"] and released["detail"]["after"] == abnormal["item_id"]
    r = post(env, f"/api/v1/items/{penalty['item_id']}/accept", MARKET, json={})
    assert r.status_code == 200, r.text
    assert post(env, f"/api/v1/items/{penalty['item_id']}/approve", MARKET, json={}).status_code == 200


def test_a_rejected_list_item_lets_the_department_decide_the_penalty(env):
    case = new_case(env, records=[PENALTY, ABNORMAL], materials=[])
    penalty = next(i for i in case["items"] if i["kind"] == "penalty_info")
    abnormal = next(i for i in case["items"] if i["kind"] == "abnormal_list")
    assert post(env, f"/api/v1/items/{abnormal['item_id']}/accept", MARKET, json={}).status_code == 200
    assert post(env, f"/api/v1/items/{abnormal['item_id']}/reject", MARKET,
                json={"reasons": ["未补报2024年度报告"]}).status_code == 200
    assert post(env, f"/api/v1/items/{penalty['item_id']}/accept", MARKET, json={}).status_code == 200


def test_records_of_other_departments_do_not_wait(env):
    tax = {"kind": "penalty_info", "department": "tax", "decision_number": "川税稽罚〔2026〕18号",
           "reason": "逾期申报", "date": "2026-03-10", "obligations_fulfilled": True, "severity": "general"}
    case = new_case(env, records=[tax, ABNORMAL], materials=[])
    assert all(i["depends_on"] == [] and i["deadline"] for i in case["items"])
    item = next(i for i in case["items"] if i["department"] == "tax")
    assert post(env, f"/api/v1/items/{item['item_id']}/accept", DEPT["tax"], json={}).status_code == 200


def test_withdrawn_corrected_and_dependent_cases_match_the_documented_schema(tmp_path):
    import yaml

    from bot.casestore.db import migrate
    from bot.casestore.service import CaseStore, Viewer
    from bot.casestore.settings import Settings
    from tests.test_casestore_docs import DOC, check

    spec = yaml.safe_load(DOC.read_text(encoding="utf-8"))
    url = f"sqlite:///{tmp_path / 'd.db'}"
    migrate(url)
    store = CaseStore(Settings(database_url=url, upload_dir=tmp_path))
    view, _ = store.submit(application(records=[PENALTY, ABNORMAL], materials=[]), "k1", Viewer("assistant"))
    check(spec, "Case", view)
    corrected = store.correct_applicant(view["case_no"], Viewer("applicant"), PHONE,
                                        {"applicant": {"agent_name": "李梅"}})
    check(spec, "Case", corrected)
    withdrawn = store.withdraw(view["case_no"], Viewer("agent"), None, {})
    check(spec, "Case", withdrawn)
    assert withdrawn["state"] == "withdrawn" and withdrawn["applicant"]["agent_name"] == "李梅"
    store.db.dispose()
