"""Persona conversations (tests/personas/*.yml): multi-turn scripts in real applicants' words,
run end to end over REST against the real Rasa server, action server and case store.

Each persona asserts what its user would notice: the facts in the replies, nothing asked twice,
clean values in the summary, how many cases the conversation made and their state in the
store, and that no reply is longer than a phone screen (400 characters) unless the user asked
for details. Their sentences are kept out of the training data (test_persona_words_are_not_trained).
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
import yaml

from tests.casestore_fixtures import PDF
from tests.chat_stack import AGENT_TOKEN, texts

REPO = Path(__file__).resolve().parents[1]
PERSONAS = sorted((REPO / "tests" / "personas").glob("*.yml"))
MAX_REPLY = 400
# The question the assistant asks for each field (from the domain's utter_ask_* and ask actions).
ASKED = {
    "subject_name": "请填写主体名称",
    "uscc": "请填写18位统一社会信用代码",
    "legal_rep": "的姓名是？",  # 法定代表人 / 经营者 (individual business) / 负责人
    "agent_name": "经办人姓名是",
    "agent_phone": "经办人的手机号是多少",
    "fact_kind": "要修复的是哪一类记录",
    "fact_department": "是哪个部门作出的决定",
    "fact_date": "上的日期是哪一天",
    "fact_severity": "上写的失信程度是",
    "fact_fulfilled": "已经全部履行了吗",
    "fact_corrected": "已经纠正了吗",
    "materials": "这次需要您上传",
    "commitment": "请阅读信用承诺",
}


def load(path: Path) -> dict:
    persona = yaml.safe_load(path.read_text(encoding="utf-8"))
    for turn in persona["turns"]:
        turn["say"] = str(turn["say"])  # a bare phone number is a string to the user
    return persona


def persona_sentences() -> set[str]:
    """The persona's own sentences: six characters or more (「同意」「本人」 are everyone's words),
    not commands, codes or numbers."""
    return {turn["say"] for p in PERSONAS for turn in load(p)["turns"]
            if not turn["say"].startswith("/") and not turn.get("tap") and len(re.sub(r"\s", "", turn["say"])) >= 6
            and not re.fullmatch(r"[0-9A-Za-z\s]+", turn["say"])}


def test_there_are_at_least_twelve_personas():
    assert len(PERSONAS) >= 12


def test_persona_words_are_not_trained():
    """Held out: no persona sentence (or its clean form) is a training example."""
    trained = set()
    for nlu in (REPO / "data" / "nlu").glob("*.yml"):
        for block in (yaml.safe_load(nlu.read_text(encoding="utf-8")) or {}).get("nlu", []):
            for line in str(block.get("examples", "")).splitlines():
                example = re.sub(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}", r"\1\2", line.strip().lstrip("- "))
                trained.add(re.sub(r"\s+", "", example))
    overlap = {s for s in persona_sentences() if re.sub(r"\s+", "", s) in trained}
    assert not overlap, f"persona sentences found in data/nlu: {overlap}"




# Personas seen passing end to end; the others run and report, but are known to fail on a
# named gap (see the issue-9 closing note) until they pass, when they move here.
VERIFIED: set[str] = {
    "01_accountant_two_records", "02_getihu_annual_report", "03_elderly_does_not_understand",
    "04_refuses_the_commitment", "05_corrects_at_summary", "06_withdraws_after_submitting",
    "07_dialect_vague_date", "08_side_questions_in_form", "09_legal_rep_is_me", "10_follow_up_after_verdict",
    "11_not_yet_then_submit", "12_cancel_after_submit", "13_two_records_one_message", "14_keeps_then_withdraws",
    "15_getihu_dialect_one_message", "16_refuses_before_any_form", "17_types_details_after_verdict",
    "18_details_when_nothing_to_apply", "19_asks_what_fields_mean_then_takes_handoff_back",
}


@pytest.fixture(scope="module")
def stack(patient_stack):
    return patient_stack  # one stack per test process (tests/conftest.py)


def agent_get(stack, path):
    r = httpx.get(f"{stack.casestore_url}{path}", headers={"Authorization": f"Bearer {AGENT_TOKEN}"}, timeout=10)
    r.raise_for_status()
    return r.json()


def upload_all(reply: str) -> int:
    links = re.findall(r"https?://[^\s，。；）]+/upload/[A-Za-z0-9_\-]+", reply)
    for link in links:
        r = httpx.post(link, files={"file": ("材料.pdf", PDF, "application/pdf")},
                       headers={"Accept": "application/json"}, timeout=10)
        assert r.status_code == 201, r.text
    return len(links)


def check_reply(turn: dict, reply: str, where: str) -> None:
    for want in turn.get("expect", []):
        assert want in reply, f"{where}: expected 「{want}」 in:\n{reply}"
    if turn.get("expect_any"):
        assert any(w in reply for w in turn["expect_any"]), f"{where}: expected one of {turn['expect_any']} in:\n{reply}"
    for unwanted in turn.get("not", []):
        assert unwanted not in reply, f"{where}: did not expect 「{unwanted}」 in:\n{reply}"


def requirement_missing(persona: dict) -> str | None:
    from bot.casestore.client import CaseStoreClient

    for name in persona.get("requires", []):
        if not hasattr(CaseStoreClient, name):
            return f"the case store client has no {name}() yet (issue 9, case-store side)"
    return None


@pytest.mark.parametrize("path", PERSONAS, ids=[p.stem for p in PERSONAS])
def test_persona(stack, path, request):
    persona = load(path)
    missing = requirement_missing(persona)
    if missing:
        pytest.skip(missing)
    if path.stem not in VERIFIED:
        request.applymarker(pytest.mark.xfail(
            reason="not yet seen passing end to end (issue 9 closing note lists the gaps)", strict=False))
    user = f"persona-{path.stem}"
    before = agent_get(stack, "/api/v1/metrics")["applications_total"]
    sequence: list[str] = []  # the questions asked, in order
    too_long: list[str] = []
    case_nos: list[str] = []
    summary = ""
    last: list[dict] = []
    for n, turn in enumerate(persona["turns"], 1):
        message = turn["say"]
        if turn.get("tap"):  # the user taps a button of the last reply
            buttons = {b["title"]: b["payload"] for r in last for b in r.get("buttons") or []}
            assert message in buttons, f"{path.stem} turn {n}: no button 「{message}」 in {list(buttons)}"
            message = buttons[message]
        replies = last = stack.say(user, message)
        reply = texts(replies)
        where = f"{path.stem} turn {n} 「{turn['say']}」"
        assert reply.strip(), f"{where}: the assistant stayed silent"
        for r in replies:
            text = r.get("text") or ""
            if len(text) > MAX_REPLY and not turn.get("details"):
                too_long.append(f"{where}: {len(text)} characters: {text[:60]}…")
        for field, marker in ASKED.items():
            if marker in reply and (not sequence or sequence[-1] != field):
                sequence.append(field)  # a question asked again right away (after a refusal) is one ask
        check_reply(turn, reply, where)
        if "请核对申请信息" in reply:
            summary = reply
        case_nos += re.findall(r"XF-\d{8}-\d{5,7}", reply)
        if turn.get("upload"):
            assert upload_all(reply) == turn["upload"], f"{where}: upload links in:\n{reply}"
    again = set(persona.get("asked_again", []))
    twice = {f for f in sequence if sequence.count(f) > 1 and f not in again}
    assert not twice, f"{path.stem}: asked more than once: {twice}"
    for label, value in (persona.get("summary") or {}).items():
        assert f"{label}：{value}" in summary, f"{path.stem}: summary should show {label}：{value}:\n{summary}"
    made = agent_get(stack, "/api/v1/metrics")["applications_total"] - before
    assert made == persona.get("cases", 0), f"{path.stem}: {made} cases made, expected {persona.get('cases', 0)}"
    if persona.get("case"):
        case = agent_get(stack, f"/api/v1/applications/{case_nos[0]}")
        want = persona["case"]
        if "state" in want:
            assert case["state"] == want["state"], case
        for key, value in (want.get("applicant") or {}).items():
            assert case["applicant"][key] == value, case["applicant"]
        actions = [e.get("action") for e in case.get("history", [])]
        for action in want.get("events", []):  # the audit trail the store keeps (撤回 → withdraw)
            assert action in actions, f"{path.stem}: no {action} event in the case history {actions}"
        for action in want.get("no_events", []):
            assert action not in actions, f"{path.stem}: unexpected {action} event in {actions}"
        if "departments" in want:
            assert sorted(i["department"] for i in case["items"]) == sorted(want["departments"])
    assert not too_long, "replies longer than a phone screen:\n" + "\n".join(too_long)
