"""docs/openapi.yaml describes every route of the app, and real answers match its schemas."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot.casestore.service import CaseStore, Viewer
from bot.casestore.settings import Settings
from tests.casestore_fixtures import application

DOC = Path(__file__).resolve().parents[1] / "docs" / "openapi.yaml"


@pytest.fixture(scope="module")
def spec():
    return yaml.safe_load(DOC.read_text(encoding="utf-8"))


def _json_schema(node):
    """OpenAPI 3.0 schema -> JSON schema (nullable, component refs)."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k not in ("nullable", "example", "format")}
    if "$ref" in out:
        out["$ref"] = out["$ref"].replace("#/components/schemas/", "#/definitions/")
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = out["enum"] + [None]
    return out


def check(spec, name, value):
    defs = _json_schema(spec["components"]["schemas"])
    jsonschema.validate(value, {"$ref": f"#/definitions/{name}", "definitions": defs})


def test_every_route_is_documented(spec):
    from bot.casestore.app import create_app

    app = create_app(Settings())
    documented = {(re.sub(r"\{[^}]+\}", "{}", path), method.upper())
                  for path, ops in spec["paths"].items() for method in ops}
    routes = set()
    for route in app.router.routes:
        path = "/" + re.sub(r"<[^>]+>", "{}", route.path).lstrip("/")
        for method in route.methods:
            if method not in ("HEAD", "OPTIONS"):
                routes.add((path, method))
    assert routes - documented == set()
    assert documented - routes == set()


def test_answers_match_the_schemas(spec, tmp_path):
    from bot.casestore.db import migrate

    url = f"sqlite:///{tmp_path / 'd.db'}"
    migrate(url)
    store = CaseStore(Settings(database_url=url, upload_dir=tmp_path))
    view, _ = store.submit(application(), "doc", Viewer("assistant"))
    check(spec, "Case", view)
    item = view["items"][0]["item_id"]
    store.act(item, "accept", Viewer("department", "tax"), {})
    returned = store.act(item, "return", Viewer("department", "tax"), {"missing": ["缴款凭证"]})
    check(spec, "Item", returned)
    check(spec, "Case", store.get_application(view["case_no"], Viewer("applicant"), "1234"))
    check(spec, "Metrics", store.metrics(None, Viewer("agent")))
    reminder, _ = store.add_reminder({"subject_code": "91350100M000100Y43", "channel": "sms",
                                      "phone": "13812341234", "remind_on": "2027-01-01",
                                      "summary": "可申请修复"}, Viewer("assistant"))
    check(spec, "Reminder", reminder)
    check(spec, "Error", {"error": "x", "message": "中文", "details": [{"field": "a", "message": "b"}]})
    store.db.dispose()
