"""Finding 4 of issue 11: whatever arrives, the case store answers with JSON and a Chinese
message, never a 500. Property-based (hypothesis, fixed seed) over every JSON endpoint that
docs/openapi.yaml lists, against the real server process, with the payloads of the finding
(deep nesting, objects where text belongs, lone surrogates, NUL and direction overrides,
NaN/Infinity, huge integers, non-ASCII digits) among the generated ones."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.casestore_fixtures import AGENT, ASSISTANT, DEPT, Server, auth, database_url, submit

DOC = Path(__file__).resolve().parents[1] / "docs" / "openapi.yaml"
CJK = re.compile(r"[\u4e00-\u9fff]")
NASTY_TEXT = ["\ud800", "a\x00b", "\u202e\u202d", "１３８１２３４１２３４", "١٣٨١٢٣٤١٢٣٤", "", " ", "x" * 3000,
              "XF-20261125-00000", "tax", "penalty_info", "wechat", "2026-12-01", "9999-12-31"]
NASTY_JSON = [b"[" * 200 + b"]" * 200, b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}',
              b'{"a": 1e999}', b'{"id": 10000000000000000000000}', b'{"s": "\\ud800"}', b'\xff\xfe',
              b'{"kind": {"$gt": ""}}', b'"just text"', b"null", b"[]", b"{"]

text = st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=40))
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**25, max_value=10**25),
                    st.floats(allow_nan=False, allow_infinity=False), text)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(text, inner, max_size=4)),
                      max_leaves=12)
KEYS = ["applicant", "records", "materials", "kind", "department", "material_id", "missing", "reasons",
        "officer", "version", "items", "note", "channel", "phone", "subject_code", "remind_on", "summary",
        "channel_user_id", "case_no", "draft_id", "expires_in_minutes", "as_of", "commitment_accepted",
        "subject_type", "name", "uscc", "agent_phone", "date", "obligations_fulfilled", "reason"]
objects = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)
bodies = st.one_of(objects.map(lambda o: json.dumps(o).encode()), values.map(lambda v: json.dumps(v).encode()),
                   st.sampled_from(NASTY_JSON), st.binary(max_size=200))


def json_operations() -> list[tuple[str, str]]:
    spec = yaml.safe_load(DOC.read_text(encoding="utf-8"))
    ops = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            content = (op.get("requestBody") or {}).get("content", {})
            if "application/json" in content or (method == "get" and path.startswith("/api/v1/")
                                                  and "openapi" not in path):
                ops.append((method.upper(), path))
    return ops


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    url, _ = database_url("sqlite", tmp)
    srv = Server(tmp, url, [], CASESTORE_LOOKUP_MAX_CLIENT_FAILURES="100000")
    case = submit(srv.base).json()
    srv.case_no, srv.item_id = case["case_no"], case["items"][0]["item_id"]
    srv.http = httpx.Client(timeout=30)
    yield srv
    srv.http.close()
    srv.stop()


def check(r: httpx.Response) -> None:
    assert r.status_code < 500, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/json"), r.headers["content-type"]
    data = r.json()
    if r.status_code >= 400:
        assert set(data) >= {"error", "message"} and CJK.search(data["message"]), data


def fill(server, path: str, pick: str) -> str:
    real = {"case_no": server.case_no, "item_id": server.item_id, "action": "accept", "reminder_id": "1"}
    return re.sub(r"\{([^}]+)\}", lambda m: real.get(m.group(1), "x") if pick == "real" else pick, path)


OPERATIONS = json_operations()
TOKENS = [None, AGENT, ASSISTANT, DEPT["tax"], "wrong"]


def test_every_json_endpoint_is_covered():
    paths = {p for _, p in OPERATIONS}
    for expected in ("/api/v1/applications", "/api/v1/items/{item_id}/{action}", "/api/v1/reminders",
                     "/api/v1/upload-tokens", "/api/v1/paths/determine", "/api/v1/metrics"):
        assert expected in paths


@pytest.mark.parametrize("method,path", OPERATIONS)
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=bodies, token=st.sampled_from(TOKENS), pick=st.one_of(st.just("real"), text),
       query=st.dictionaries(st.sampled_from(["phone", "on", "channel_user_id", "draft_id", "token"]), text,
                             max_size=2))
def test_never_500_always_json_in_chinese(server, method, path, body, token, pick, query):
    url = server.base + fill(server, path, re.sub(r"[/?#%]", "", pick) or "x")
    headers = {**(auth(token) if token else {}), "Idempotency-Key": uuid.uuid4().hex,
               "Content-Type": "application/json"}
    try:
        r = server.http.request(method, url, content=body if method != "GET" else None, params=query,
                                headers=headers)
    except (httpx.InvalidURL, UnicodeEncodeError):  # the client cannot even send it
        return
    check(r)


def test_the_findings_payloads_each_get_a_clear_400_or_422(server):
    base = server.base
    h = {**auth(ASSISTANT), "Idempotency-Key": "deep", "Content-Type": "application/json"}
    r = httpx.post(f"{base}/api/v1/applications", content=b"[" * 100_000 + b"]" * 100_000, headers=h)
    assert r.status_code == 400 and r.json()["error"] in ("too_deep", "bad_json")
    for raw, code in ((b'{"a": Infinity}', "bad_number"), (b'{"a": NaN}', "bad_number"),
                      (b'{"a": "\\ud800"}', "bad_characters"), (b'{"a": "x\\u0000"}', "bad_characters"),
                      (b'{"a": "\\u202e"}', "bad_characters")):
        r = httpx.post(f"{base}/api/v1/reminders", content=raw, headers=h)
        assert r.status_code == 400 and r.json()["error"] == code, raw
    r = httpx.post(f"{base}/api/v1/applications", headers={**h, "Idempotency-Key": "obj"},
                   json={"records": [{"kind": {"a": 1}, "department": ["tax"]}], "materials": [{"material_id": []}]})
    fields = {d["field"] for d in r.json()["details"]}
    assert r.status_code == 422 and {"records[0].kind", "records[0].department", "materials[0].material_id"} <= fields
    r = httpx.post(f"{base}/api/v1/reminders/{10**22}/sent", headers=auth(AGENT))
    assert r.status_code == 404
    r = httpx.get(f"{base}/api/v1/metrics", params={"on": "9999-12-31"}, headers=auth(DEPT["tax"]), timeout=10)
    assert r.status_code == 400 and r.json()["details"][0]["field"] == "on"
    # full-width digits are the same phone; other scripts' digits are no phone (404, not 500)
    from tests.casestore_fixtures import PHONE

    full = PHONE.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert httpx.get(f"{base}/api/v1/applications/{server.case_no}", params={"phone": full}).status_code == 200
    arabic = PHONE.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert httpx.get(f"{base}/api/v1/applications/{server.case_no}", params={"phone": arabic}).status_code == 404
