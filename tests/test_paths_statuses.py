"""The sentences of the status stories in tests/test_paths_stories.yml really give those
statuses: the actions run as in the conversation (today pinned to 2026-11-25)."""

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.paths_actions import ActionExplainPaths, ActionStartRecord, ValidateRecordForm
from tests.action_helpers import said, slot_events, tracker

pytestmark = pytest.mark.usefixtures("chat_env")


async def describe(sentence: str, answers: list[str], slots: dict | None = None) -> tuple[list[str], str]:
    slots = dict(slots or {})
    slots.update({k: v for k, v in slot_events(
        await ActionStartRecord().run(CollectingDispatcher(), tracker(sentence, slots=slots), {})).items()})
    form = ValidateRecordForm()
    for answer in answers:
        listed = await form.required_slots([], CollectingDispatcher(), tracker(slots=slots), {})
        asked = next(s for s in listed if slots.get(s) is None)
        validate = getattr(form, f"validate_{asked}")
        slots.update(await validate(answer, CollectingDispatcher(), tracker(answer, slots=slots), {}))
    listed = await form.required_slots([], CollectingDispatcher(), tracker(slots=slots), {})
    assert [s for s in listed if slots.get(s) is None] == [], "the form would still ask something"
    d = CollectingDispatcher()
    events = slot_events(await ActionExplainPaths().run(d, tracker(slots=slots), {}))
    return events["paths_status"], said(d)


@pytest.mark.parametrize(
    "sentence, answers, status, words",
    [
        ("2026年1月10日被税务局罚款5000元，一般失信，已经缴清了，能修复吗", [], "eligible", "现在就可以申请"),
        ("上个月被市监局罚了3000块，已经交了的，可以修复不", ["一般"], "not_yet", "起可以申请"),
        ("2026.6.3被罚，罚款没交，能修复吗", ["税务局", "一般"], "needs_correction", "暂不能申请"),
        ("简易程序罚了200块，要不要修复", ["市场监管局", "2026年5月3日"], "not_needed", "不用办"),
        ("公司被市场监管局吊销了营业执照，这个能修复吗", ["2026年3月5日"], "not_repairable", "不能提前修复"),
        # 「不清楚」 the grade: each grade's date, not 「还要问您」 (third hand try); applicable now under
        # one grade, so it may be applied for, the department reading the grade (fourth hand try)
        ("我有一条行政处罚记录，想修复", ["市场监管局", "2026年3月10日", "不清楚", "交完了"], "eligible", "按三种情况算"),
        # the fine not paid: applicable under no grade, nothing to apply for
        ("我有一条行政处罚记录，想修复", ["税务局", "2026年11月1日", "不清楚", "还没交"], "needs_correction", "不管哪种程度，都要先交清罚款"),
    ],
)
async def test_status_story_sentences(sentence, answers, status, words):
    statuses, text = await describe(sentence, answers)
    assert statuses == [status], text
    assert words in text


async def test_two_records_give_one_combined_plan():
    first, _ = await describe("2026年1月10日被税务局罚款5000元，一般失信，已经缴清了，能修复吗", [])
    assert first == ["eligible"]
    slots = {"records": [{"kind": "penalty", "department": "tax", "decision_date": "2026-01-10",
                          "severity": "general", "obligations_fulfilled": True}]}
    statuses, text = await describe("另外还有一个经营异常", ["2026年6月1日", "年报已经补报了"], slots)
    assert statuses == ["eligible", "eligible"]
    assert "\n2. " in text and len(text) <= 400  # one short line per record
