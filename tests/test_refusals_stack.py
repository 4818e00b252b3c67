"""No path from a refusal leads to a recorded commitment or a case: the real Rasa server,
action server and case store, driven through every refusal quoted in issue 9 (and the
phrasings the issue lists), then the case store is counted: zero cases."""

from __future__ import annotations

import os

import httpx
import pytest

from tests.chat_stack import AGENT_TOKEN, texts
from tests.chat_stack import MODEL

pytestmark = pytest.mark.skipif(not MODEL.exists() and not os.environ.get("CI"),
                                reason="no trained model: run `make model` first")

AT_COMMITMENT = ["我不想承诺", "不可以", "拒绝承诺", "不愿意承诺", "不能承诺", "承诺个锤子", "再想想", "不确定"]
AT_SUMMARY = ["不对", "先别提交 我再核对下", "名字不对 就是张德贵三个字", "不太对", "对不上", "不确定",
              "暂时不提交", "不提交", "别提交", "再想想", "电话不对"]


@pytest.fixture(scope="module")
def stack(patient_stack):
    return patient_stack  # one stack per test process (tests/conftest.py); cases counted as differences


def applications(stack) -> int:
    r = httpx.get(f"{stack.casestore_url}/api/v1/metrics", headers={"Authorization": f"Bearer {AGENT_TOKEN}"},
                  timeout=10)
    return r.json()["applications_total"]


def fill_to_commitment(stack, user: str) -> str:
    stack.say(user, "你好")
    reply = texts(stack.say(user, "2026年1月10日被税务局罚款5000元，一般失信，已经缴清了，能修复吗"))
    assert "现在就可以申请" in reply, reply
    stack.say(user, "/start_application")
    for answer in ("成都德贵商贸有限公司", "91350100M000100Y43", "张德桂", "本人", "13812349999"):
        reply = texts(stack.say(user, answer))
    assert "请阅读信用承诺" in reply, reply  # nothing to upload for a tax fine: straight to the commitment
    return reply


def test_no_refusal_records_a_commitment_or_makes_a_case(stack):
    before = applications(stack)
    user = "refuser"
    fill_to_commitment(stack, user)
    for refusal in AT_COMMITMENT:
        messages = stack.say(user, refusal)
        reply = texts(messages)
        assert "请核对" not in reply and "已同意" not in reply, f"「{refusal}」 was taken as consent:\n{reply}"
        offered = [b["title"] for m in messages for b in m.get("buttons") or []]
        assert "同意并承诺" in offered, f"「{refusal}」: the two buttons are offered again:\n{reply}"
    reply = texts(stack.say(user, "同意"))
    assert "请核对" in reply and "信用承诺：已同意" in reply, reply
    for refusal in AT_SUMMARY:
        reply = texts(stack.say(user, refusal))
        assert "申请已提交" not in reply, f"「{refusal}」 submitted the application:\n{reply}"
        if refusal == "电话不对":
            assert "手机号" in reply, reply
    assert applications(stack) == before, "a refusal made a case"


def test_giving_up_at_the_commitment_makes_no_case(stack):
    before = applications(stack)
    fill_to_commitment(stack, "gives-up")
    reply = texts(stack.say("gives-up", "算了"))
    assert "申请已提交" not in reply
    reply = texts(stack.say("gives-up", "确认提交"))  # the form was cancelled: nothing to confirm
    assert "申请已提交" not in reply, reply
    assert applications(stack) == before
