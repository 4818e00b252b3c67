"""The path-check conversation's actions, called as the action server calls them."""

import datetime as dt

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.paths_actions import (ActionAskFactDate, ActionExplainPaths, ActionRequestReminder, ActionStartRecord,
                                   ValidateRecordForm)
from tests.action_helpers import said, slot_events, tracker


pytestmark = pytest.mark.usefixtures("chat_env")


async def test_one_sentence_fills_every_fact_it_contains():
    d = CollectingDispatcher()
    events = await ActionStartRecord().run(
        d, tracker("我们公司2026年3月10日被市场监管局罚了2万，已经交了，现在能修复不？", intent="check_paths"), {})
    slots = slot_events(events)
    assert slots["fact_kind"] == "penalty"
    assert slots["fact_department"] == "market_regulation"
    assert slots["fact_date"] == "2026-03-10"
    assert slots["fact_fulfilled"] is True
    assert slots["subject_type"] == "enterprise"


async def test_a_month_only_date_counts_from_the_months_last_day():
    events = await ActionStartRecord().run(
        CollectingDispatcher(), tracker("去年3月被税务局罚款5000元，已缴清", intent="check_paths"), {})
    slots = slot_events(events)
    assert slots["fact_date"] == "2025-03-31"
    assert slots["fact_extra"]["date_estimate"] == "2025-03-31"


async def test_only_missing_facts_are_asked_in_order():
    form = ValidateRecordForm()
    slots = {"fact_kind": "penalty"}
    listed = await form.required_slots([], CollectingDispatcher(), tracker(slots=slots), {})
    assert [s for s in listed if slots.get(s) is None][:2] == ["fact_department", "fact_date"]
    known = {"fact_kind": "penalty", "fact_department": "tax", "fact_date": "2026-01-10"}
    listed = await form.required_slots([], CollectingDispatcher(), tracker(slots=known), {})
    asked = [s for s in listed if known.get(s) is None]
    assert asked and asked[0] in ("fact_severity", "fact_fulfilled")
    assert "fact_fulfilled" in asked
    assert "fact_date" in listed  # still validated when answered again


async def test_an_invalid_date_is_explained_with_an_example_and_help_comes_after_two_failures():
    form = ValidateRecordForm()
    d = CollectingDispatcher()
    result = await form.validate_fact_date("好久以前吧", d, tracker("好久以前吧"), {})
    assert result["fact_date"] is None
    assert "例如" in said(d)
    d2 = CollectingDispatcher()
    await form.validate_fact_date("不记得", d2, tracker("不记得", slots={"form_failures": result["form_failures"]}), {})
    assert "12345" in said(d2)  # the hotline from the guide, what was filled is kept


async def test_a_future_date_is_refused():
    d = CollectingDispatcher()
    result = await ValidateRecordForm().validate_fact_date("2027年1月5日", d, tracker("2027年1月5日"), {})
    assert result["fact_date"] is None


async def test_explanation_offers_to_apply_when_eligible():
    d = CollectingDispatcher()
    facts = {"fact_kind": "penalty", "fact_department": "market_regulation", "fact_date": "2026-03-10",
             "fact_severity": "general", "fact_fulfilled": True}
    events = await ActionExplainPaths().run(d, tracker(slots=facts), {})
    assert "现在就可以申请" in said(d)
    assert "/start_application" in [b["payload"] for b in d.messages[0]["buttons"]]
    slots = slot_events(events)
    assert slots["records"][0]["department"] == "market_regulation"
    assert slots["fact_kind"] is None  # ready for the next record


async def test_explanation_offers_a_reminder_when_not_yet_and_reminder_failure_is_said_plainly():
    d = CollectingDispatcher()
    facts = {"fact_kind": "penalty", "fact_department": "tax", "fact_date": "2026-10-10",
             "fact_severity": "general", "fact_fulfilled": True}
    events = await ActionExplainPaths().run(d, tracker(slots=facts), {})
    assert "/request_reminder" in [b["payload"] for b in d.messages[0]["buttons"]]
    result = slot_events(events)["paths_result"]
    d2 = CollectingDispatcher()
    await ActionRequestReminder().run(d2, tracker(slots={"paths_result": result}), {})
    assert "暂时连不上" in said(d2) and "2027年1月11日" in said(d2)


async def test_a_decision_number_is_kept_for_the_application_and_does_not_upset_the_engine():
    events = await ActionStartRecord().run(CollectingDispatcher(), tracker(
        "成市监罚字〔2025〕第12号，2026年3月10日市场监管局罚款2万元，一般失信，已缴清", intent="check_paths"), {})
    slots = slot_events(events)
    assert slots["fact_extra"]["decision_number"] == "成市监罚字〔2025〕12号"
    d = CollectingDispatcher()
    events = await ActionExplainPaths().run(d, tracker(slots=slots), {})
    assert "现在就可以申请" in said(d)
    assert slot_events(events)["records"][0]["decision_number"] == "成市监罚字〔2025〕12号"


async def test_a_month_answer_to_the_date_question_counts_from_the_months_end():
    result = await ValidateRecordForm().validate_fact_date(
        "去年3月", CollectingDispatcher(), tracker("去年3月", slots={"fact_kind": "penalty"}), {})
    assert result["fact_date"] == "2025-03-31"


@pytest.mark.parametrize(
    "subject, department",
    [("enterprise", "market_regulation"), ("individual_business", "market_regulation"),
     ("social_org", "civil_affairs")],
)
async def test_an_abnormal_list_goes_to_the_department_the_guide_names_for_the_subject(subject, department):
    events = await ActionStartRecord().run(
        CollectingDispatcher(), tracker("被列入异常名录了", intent="check_paths", slots={"subject_type": subject}), {})
    assert slot_events(events)["fact_department"] == department


async def test_a_month_only_correction_date_counts_from_the_months_end_not_its_start():
    events = await ActionStartRecord().run(CollectingDispatcher(), tracker(
        "2025年6月1日上了人社局的拖欠农民工工资黑名单，工资上个月已经全部付清了", intent="check_paths"), {})
    slots = slot_events(events)
    assert slots["fact_corrected_date"] == "2026-10-31"  # 上个月 = October 2026, its last day
    d = CollectingDispatcher()
    await ActionExplainPaths().run(d, tracker(slots=slots), {})
    assert "2027年5月1日" in said(d)  # six months after 31 October, not after 1 October


@pytest.mark.parametrize("answer, expected", [("这个月", "2026-11-25"), ("今年", "2026-11-25"), ("去年", "2025-12-31")])
async def test_an_imprecise_date_in_the_current_period_is_never_after_today(answer, expected):
    result = await ValidateRecordForm().validate_fact_date(
        answer, CollectingDispatcher(), tracker(answer, slots={"fact_kind": "penalty"}), {})
    assert result["fact_date"] == expected


# ----- the hand try of 2026-12-01 (issue 9): facts said while a record is described ---------------
async def test_applicant_details_said_at_a_record_question_are_kept_not_refused():
    """「嗯 我是老板本人 店名叫锦江区王二孃便利店 电话13912345678」 at 「哪一类记录」: the name, phone and
    「本人」 are kept for the application (never asked again), and only the record question stays."""
    text = "嗯 我是老板本人 店名叫锦江区王二孃便利店 电话13912345678"
    d = CollectingDispatcher()
    result = await ValidateRecordForm().validate_fact_kind(text, d, tracker(text, active_loop="record_form"), {})
    assert result["fact_kind"] is None
    assert result["subject_name"] == "锦江区王二孃便利店" and result["agent_phone"] == "13912345678"
    assert result["agent_is_legal_rep"] is True
    assert "记下了" in said(d) and "139****5678" in said(d) and "13912345678" not in said(d)
    assert "没听明白" not in said(d)  # not an error: nothing the user said was wrong


async def test_details_already_known_are_not_overwritten_or_said_again():
    text = "店名叫锦江区王二孃便利店 电话13912345678"
    d = CollectingDispatcher()
    slots = {"subject_name": "锦江区王二孃便利店", "agent_phone": "13900000000"}
    result = await ValidateRecordForm().validate_fact_kind(text, d, tracker(text, slots=slots), {})
    assert "subject_name" not in result and "agent_phone" not in result
    assert "记下了" not in said(d)


async def test_an_estimated_date_is_made_exact_by_a_later_day():
    """「去年七月份」 is counted from 31 July (and remembered as an estimate); 「7月15号」 said at the
    next question makes it 15 July 2025, and that question is asked again."""
    form = ValidateRecordForm()
    slots = {"fact_kind": "abnormal_list", "fact_department": "market_regulation"}
    first = await form.validate_fact_date("去年七月份遭列进去的", CollectingDispatcher(),
                                          tracker("去年七月份遭列进去的", slots=slots), {})
    assert first["fact_date"] == "2025-07-31" and first["fact_extra"]["date_estimate"] == "2025-07-31"
    d = CollectingDispatcher()
    later = await form.validate_fact_corrected("7月15号", d, tracker("7月15号", slots={**slots, **first}), {})
    assert later["fact_date"] == "2025-07-15" and later["fact_corrected"] is None
    assert "date_estimate" not in (later["fact_extra"] or {})
    assert "2025年7月15日" in said(d)
    # an exact date given at once is not an estimate
    exact = await form.validate_fact_date("2025年7月15日", CollectingDispatcher(),
                                          tracker("2025年7月15日", slots=slots), {})
    assert "fact_extra" not in exact


async def test_other_facts_said_at_the_date_question_are_kept_and_the_date_asked_again():
    """「罚款早就交了」 at 「哪一天」: the fine is paid (never asked), the date is asked again."""
    slots = {"fact_kind": "penalty", "fact_department": "market_regulation"}
    d = CollectingDispatcher()
    result = await ValidateRecordForm().validate_fact_date("罚款早就交了", d, tracker("罚款早就交了", slots=slots), {})
    assert result["fact_date"] is None and result["fact_fulfilled"] is True
    assert "记下了" in said(d) and "没认出这个日期" not in said(d)


@pytest.mark.parametrize("answer, date, more", [
    ("2026年3月10日罚的 2万 已经交了 一般失信", "2026-03-10", {"fact_severity": "general", "fact_fulfilled": True}),
    ("2026年3月10号 罚款还没交", "2026-03-10", {"fact_fulfilled": False}),
    ("2026年3月10日", "2026-03-10", {}),  # the date alone: nothing else heard, nothing said back
    # no word of the kind in the answer: the form knows it is a penalty (hand try, dialect)
    ("2026年3月10号 钱早都交清了 一般的", "2026-03-10", {"fact_severity": "general", "fact_fulfilled": True}),
])
async def test_facts_said_with_the_date_are_kept_not_asked_again(answer, date, more):
    """The date answered together with more of the record (a hand try, 2026-12-02): before, only
    the date was kept and the severity was asked next, although the user had just said it."""
    slots = {"fact_kind": "penalty", "fact_department": "market_regulation"}
    d = CollectingDispatcher()
    result = await ValidateRecordForm().validate_fact_date(answer, d, tracker(answer, slots=slots), {})
    assert result["fact_date"] == date
    assert {k: result.get(k) for k in ("fact_severity", "fact_fulfilled") if k in result} == more
    assert ("记下了" in said(d)) is bool(more)


@pytest.mark.parametrize("answer, date, estimate", [
    ("税务局 今年5月", "2026-05-31", "2026-05-31"),      # hand try: the date was asked again
    ("税务局，2026年5月6日罚的", "2026-05-06", None),
    ("税务局 罚款6月份就交了", None, None),              # a paid day is not the record's date
])
async def test_the_records_date_said_with_the_department_is_kept(answer, date, estimate):
    slots = {"fact_kind": "penalty"}
    d = CollectingDispatcher()
    result = await ValidateRecordForm().validate_fact_department(answer, d, tracker(answer, slots=slots), {})
    assert result["fact_department"] == "tax" and result.get("fact_date") == date
    assert (result.get("fact_extra") or {}).get("date_estimate") == estimate
    if date:
        assert "记下了" in said(d) and ("按最晚的" in said(d)) is bool(estimate)


@pytest.mark.parametrize("answer, authority", [
    ("交通运输局", "交通运输局"),   # hand try: the summary said 其他部门
    ("是城管罚的", "城管"),
    ("其他部门", None),             # the button: no name to keep
])
async def test_a_body_outside_the_seven_departments_is_named_in_the_application(answer, authority):
    from bot.dialogue import application, record_flow

    slots = {"fact_kind": "penalty"}
    result = await ValidateRecordForm().validate_fact_department(answer, CollectingDispatcher(),
                                                                 tracker(answer, slots=slots), {})
    assert result["fact_department"] == "other"
    assert (result.get("fact_extra") or {}).get("authority_name") == authority
    facts = {"fact_kind": "penalty", "fact_department": "other", "fact_date": "2026-03-10",
             "fact_severity": "general", "fact_fulfilled": True}
    record = record_flow.record_from_facts(facts, result.get("fact_extra"))
    line = application.record_line(1, record, None)
    assert (authority or "其他") in line and ("其他" not in line) is bool(authority)
    payload = application.build_payload({"records": [record]}, [0], [], "rest", "c1")
    assert payload["records"][0].get("authority_name") == authority
    # corrected to one of the seven afterwards: the name said before is not kept
    moved = record_flow.record_from_facts({**facts, "fact_department": "tax"}, result.get("fact_extra"))
    assert "authority_name" not in moved


@pytest.mark.parametrize("year, answer, date", [
    (2025, "去年 记不到几月了", "2025-12-31"),   # hand try: taken as 2025-01-01 → 「不用办，已自动停止公示」
    (2024, "前年 记不到了", "2024-12-31"),       # printed 2024年1月1日 on the summary
    (2026, "那就7月嘛", "2026-07-31"),           # after 「今年六七月份」: the month's last day
    (2025, "7月15号", "2025-07-15"),             # a day: in the year said before
])
async def test_a_vague_date_after_a_year_was_said_counts_from_its_last_day(monkeypatch, year, answer, date):
    monkeypatch.setenv("ASSISTANT_TODAY", "2026-11-25")
    slots = {"fact_kind": "penalty", "fact_department": "tax", "fact_extra": {"date_year": year}}
    result = await ValidateRecordForm().validate_fact_date(answer, CollectingDispatcher(),
                                                           tracker(answer, slots=slots), {})
    assert result["fact_date"] == date
    assert ((result.get("fact_extra") or {}).get("date_estimate") == date) is (date[-2:] != "15")


@pytest.mark.parametrize("extra, answer, date", [
    # fourth hand try: 「今年六七月份」 then 「找不到了 不晓得哪天」 was asked again
    ({"date_year": 2026, "date_range_last": "2026-07"}, "找不到了 不晓得哪天", "2026-07-31"),
    ({"date_year": 2025}, "记不到了", "2025-12-31"),          # 记不到 (Sichuan 记不得) is not knowing
])
async def test_not_knowing_the_day_after_a_range_or_a_year_counts_from_its_end(monkeypatch, extra, answer, date):
    monkeypatch.setenv("ASSISTANT_TODAY", "2026-11-25")
    slots = {"fact_kind": "penalty", "fact_department": "tax", "fact_severity": "general", "fact_fulfilled": True,
             "fact_extra": extra}
    result = await ValidateRecordForm().validate_fact_date(answer, CollectingDispatcher(),
                                                           tracker(answer, slots=slots), {})
    assert result["fact_date"] == date and result["fact_extra"]["date_estimate"] == date


async def test_a_month_range_in_the_first_message_is_kept_for_the_date(monkeypatch):
    from actions.paths_actions import start_record

    monkeypatch.setenv("ASSISTANT_TODAY", "2026-11-25")
    text = "税务局罚了款 就是今年六七月份的事"
    events = start_record(CollectingDispatcher(), tracker(text), text)
    extra = slot_events(events)["fact_extra"]
    assert extra["date_year"] == 2026 and extra["date_range_last"] == "2026-07"


async def test_a_department_named_again_replaces_the_one_heard_before():
    """「我们合作社被民政局还是哪个局罚了款 记不清了」, then 「好像是市场监管」 at the date question."""
    slots = {"fact_kind": "penalty", "fact_department": "civil_affairs"}
    d = CollectingDispatcher()
    result = await ValidateRecordForm().validate_fact_date("好像是市场监管", d, tracker("好像是市场监管", slots=slots), {})
    assert result["fact_department"] == "market_regulation" and result["fact_date"] is None
    assert "市场监管" in said(d)


async def test_a_year_and_i_dont_know_the_day_counts_from_the_years_end_and_says_so():
    """「去年被罚的」 then 「不晓得」 at the date question: 31 December of that year, an estimate
    the verdict states — not the same question again and again."""
    slots = {"fact_kind": "penalty", "fact_department": "tax", "fact_extra": {"date_year": 2025}}
    result = await ValidateRecordForm().validate_fact_date("我也不晓得", CollectingDispatcher(),
                                                           tracker("我也不晓得", slots=slots), {})
    assert result["fact_date"] == "2025-12-31" and result["fact_extra"]["date_estimate"] == "2025-12-31"


async def test_the_date_question_after_a_year_said_names_the_year_and_asks_the_month():
    """「税务局去年罚的」: the date's question says 2025 back (fourth hand try: the plain question
    read as if 「去年」 had not been heard); without a year, the domain's question."""
    events = await ActionStartRecord().run(CollectingDispatcher(), tracker("税务局去年罚的款", intent="check_paths"), {})
    extra = slot_events(events)["fact_extra"]
    d = CollectingDispatcher()
    await ActionAskFactDate().run(d, tracker("税务局去年罚的款", slots={"fact_extra": extra}), {})
    assert "您说是2025年的" in said(d) and "几月几号" in said(d)
    plain = CollectingDispatcher()
    await ActionAskFactDate().run(plain, tracker("税务局罚的款", slots={"fact_extra": None}), {})
    assert plain.messages[0]["response"] == "utter_ask_fact_date"


@pytest.mark.parametrize("status, followup", [("eligible", "application_form"), ("not_needed", "action_listen")])
async def test_details_read_as_inform_after_a_verdict_do_not_start_a_new_record(status, followup):
    """「我是法人本人来办」 after a verdict, read by the NLU as `inform` (whose rule starts a record):
    the applicant is kept and no 「要修复的是哪一类记录？」 follows."""
    verdict = {"results": [{"index": 0, "status": status}]}
    d = CollectingDispatcher()
    events = await ActionStartRecord().run(
        d, tracker("我是法人本人来办 我叫刘德明", intent="inform", slots={"paths_result": verdict, "records": [{}]}), {})
    assert slot_events(events)["legal_rep"] == "刘德明"
    assert "fact_kind" not in slot_events(events)
    assert [e.get("name") for e in events if e.get("event") == "followup"] == [followup]
    assert "记下了" in said(d)


async def test_a_record_read_as_inform_after_a_verdict_is_still_a_record():
    verdict = {"results": [{"index": 0, "status": "not_needed"}]}
    events = await ActionStartRecord().run(
        CollectingDispatcher(), tracker("还有一条 2026年1月10日被税务局罚款5000元", intent="inform",
                                        slots={"paths_result": verdict, "records": [{}]}), {})
    slots = slot_events(events)
    assert slots["fact_department"] == "tax" and slots["fact_date"] == "2026-01-10"
    assert not [e for e in events if e.get("event") == "followup"]


# --- a mistyped credit code while a record is described: said at once, kept, quoted later -------

MISTYPED = "91510100MA6CQ7FW7X"  # 91510100MA6CQ7FW7R with the check character mistyped


async def test_a_mistyped_credit_code_at_a_record_question_is_said_at_once_and_kept():
    text = f"我们公司代码{MISTYPED} 被罚款了"
    d = CollectingDispatcher()
    result = await ValidateRecordForm().validate_fact_kind(text, d, tracker(text, active_loop="record_form"), {})
    assert result["uscc_heard"] == MISTYPED and "uscc" not in result
    assert MISTYPED in said(d) and "校验位" in said(d) and "核对不上" in said(d)


@pytest.mark.parametrize("text, slots, kept", [
    ("代码91510100MA6CQ7FW7R 被罚款了", {}, None),  # a valid code is taken, nothing to quote
    (f"代码{MISTYPED}", {"uscc": "91510100MA6CQ7FW7R"}, None),  # the code is known already
    (f"代码{MISTYPED}", {"uscc_heard": MISTYPED}, None),  # the same typo again: not said twice
    ("罚了2万 已经交了", {}, None),  # no code at all
], ids=["valid", "known", "again", "none"])
async def test_a_credit_code_is_kept_as_typed_only_when_it_fails_and_is_new(text, slots, kept):
    d = CollectingDispatcher()
    result = await ValidateRecordForm().validate_fact_kind(text, d, tracker(text, slots=slots,
                                                                            active_loop="record_form"), {})
    assert result.get("uscc_heard") == kept
    assert "核对不上" not in said(d)


async def test_a_mistyped_code_after_a_verdict_starts_the_application_and_is_said():
    verdict = {"results": [{"index": 0, "status": "eligible"}]}
    d = CollectingDispatcher()
    events = await ActionStartRecord().run(
        d, tracker(f"我是法人本人 信用代码{MISTYPED}", intent="inform", slots={"paths_result": verdict, "records": [{}]}), {})
    assert slot_events(events)["uscc_heard"] == MISTYPED
    assert [e.get("name") for e in events if e.get("event") == "followup"] == ["application_form"]
    assert "核对不上" in said(d)


@pytest.mark.parametrize("form, asked, text, intent, said_text", [
    ("record_form", "fact_date", "开始申请", "start_application", "先把这条记录问完"),
    ("record_form", "fact_date", "/start_application", "start_application", "先把这条记录问完"),
    ("application_form", "fact_date", "我要申请修复", "start_application", "现在填的就是申请表"),
    ("application_form", "subject_name", "开始申请。", "start_application", "现在填的就是申请表"),
], ids=["record typed", "record button", "application fact", "application name"])
async def test_asking_to_apply_at_a_question_says_why_the_question_stays(form, asked, text, intent, said_text):
    """Not 「没认出这个日期…」 followed by the date question in other words (hand try)."""
    from rasa_sdk.events import SlotSet

    from actions.application_actions import ValidateApplicationForm

    action = ValidateRecordForm() if form == "record_form" else ValidateApplicationForm()
    slots = {"fact_kind": "penalty_info", "fact_department": "tax", "requested_slot": asked, asked: text}
    if asked == "subject_name":  # the record is complete and in the application
        slots = {"records": [{"kind": "penalty", "department": "tax", "decision_date": "2026-01-10",
                              "severity": "general", "obligations_fulfilled": True}],
                 "requested_slot": asked, asked: text}
    d = CollectingDispatcher()
    domain = {"forms": {form: {"required_slots": ["fact_kind", "fact_department", "fact_date", "subject_name"]}}}
    events = await action.run(d, tracker(text, intent=intent, slots=slots, active_loop=form), domain)
    # no failure counted, and the same question comes next (hand try: 「开始申请」 at the name
    # question was followed by the record-kind question)
    assert events == [SlotSet(asked, None), SlotSet("requested_slot", asked)]
    assert said_text in said(d) and "没认出" not in said(d) and "请发营业执照" not in said(d)


@pytest.mark.parametrize("text", ["开始申请 公司叫成都锦程商贸有限公司", "申请要带啥子材料"])
async def test_more_than_asking_to_apply_is_read_as_an_answer(text):
    from actions.paths_actions import asks_to_apply

    assert not asks_to_apply(tracker(text, intent="start_application"), text)


@pytest.mark.parametrize("text, slots, said_text", [
    ("我们公司91510100MA6CQ7FW7R 2026年3月10日遭市场监管局罚了2万 交了",
     {"uscc": "91510100MA6CQ7FW7R"}, "记下了"),
    ("喂 我们个体户店子遭税务局罚了 营业执照上代码9251010MA6CQ7FW7X",  # a digit left out
     {"uscc_heard": "9251010MA6CQ7FW7X"}, "应为18位，您输入了17位"),
    ("我是法人张建国，公司被列入经营异常名录了", {"legal_rep": "张建国", "agent_name": "张建国"}, "记下了"),
], ids=["code", "short code", "legal rep"])
async def test_the_message_that_starts_a_record_keeps_the_applicant_details_in_it(text, slots, said_text):
    """Hand try: a credit code in the first message was lost and asked again at the form."""
    d = CollectingDispatcher()
    events = await ActionStartRecord().run(d, tracker(text, intent="check_paths"), {})
    got = slot_events(events)
    assert {k: got.get(k) for k in slots} == slots
    assert got.get("fact_kind") and said_text in said(d)


async def test_a_record_message_without_applicant_details_says_nothing_extra():
    d = CollectingDispatcher()
    events = await ActionStartRecord().run(d, tracker("我屋头小店遭罚了款 想弄信用修复", intent="check_paths"), {})
    assert "记下了" not in said(d) and "uscc" not in slot_events(events)


def test_an_abnormal_list_record_corrected_on_a_date_is_decided():
    """Hand try: 「今年三月份已经补报了」 gave the abnormal-list record a correction date, which only
    the serious list has; the engine refused it and the user read 「不认识的字段“corrected_date”」."""
    import datetime as dt

    from bot.dialogue import record_flow

    facts = {"fact_kind": "abnormal_list", "fact_department": "market_regulation", "fact_date": "2024-06-30",
             "fact_reason": "annual_report", "fact_corrected": True, "fact_corrected_date": "2026-03-31"}
    record = record_flow.record_from_facts(facts, {})
    assert "corrected_date" not in record
    result = record_flow.determine_for_records([record], None, dt.date(2026, 11, 25))
    assert result["results"][0]["status"] == "eligible"  # annual report filed: the list can be left now
    serious = record_flow.record_from_facts({**facts, "fact_kind": "serious_list"}, {})
    assert serious["corrected_date"] == "2026-03-31"


async def test_an_engine_refusal_never_shows_internal_field_names(monkeypatch):
    from bot.rules.engine import InputError

    def refuse(*a, **k):
        raise InputError([{"field": "records[0].corrected_date",
                           "message": "经营异常名录记录不认识的字段“corrected_date”，可用字段：kind、department"}])

    monkeypatch.setattr("bot.dialogue.record_flow.determine_for_records", refuse)
    d = CollectingDispatcher()
    await ActionExplainPaths().run(d, tracker("x", slots={"fact_kind": "abnormal_list"}), {})
    assert "corrected_date" not in said(d) and "kind" not in said(d) and "转人工" in said(d)


@pytest.mark.parametrize("text, kept", [
    ("一般", {"fact_kind": "penalty", "fact_severity": "general"}),   # only a penalty is graded
    ("市场监管", {"fact_kind": None, "fact_department": "market_regulation"}),
    ("2026年5月6日", {"fact_kind": None, "fact_date": "2026-05-06"}),
])
async def test_one_fact_at_a_time_at_the_kind_question_is_kept(text, kept):
    """Second hand try: 「市场监管」「2026年5月6日」「一般」「交了」 one per message at 「要修复的是哪一类
    记录？」 were each refused, and the third miss handed the user to an agent."""
    d = CollectingDispatcher()
    result = await ValidateRecordForm().validate_fact_kind(
        text, d, tracker(text, slots={"requested_slot": "fact_kind", "fact_kind": text}, active_loop="record_form"), {})
    assert {k: result.get(k) for k in kept} == kept
    assert "form_failures" not in result or not (result["form_failures"] or {}).get("fact_kind")
    assert "没听明白" not in said(d)


@pytest.mark.parametrize("text, said_text", [
    ("那我下个月交清了 好久能修", "公示期限"),         # the guide's page for that item and department
    ("那我还要申请不", "2027年3月2日"),                  # the verdict again
])
async def test_a_question_right_after_a_verdict_is_about_that_record(text, said_text):
    """Second hand try: each restarted the intake with 「要修复的是哪一类记录？」."""
    import datetime as dt

    from bot.dialogue import record_flow

    record = {"kind": "serious_list", "department": "hrss", "listed_date": "2024-03-01", "corrected": True,
              "corrected_date": "2026-10-31"}
    result = record_flow.determine_for_records([record], None, dt.date(2026, 11, 25))
    d = CollectingDispatcher()
    events = await ActionStartRecord().run(d, tracker(text, intent="check_paths",
                                                      slots={"paths_result": result, "records": [record]}), {})
    assert [e.get("name") for e in events if e.get("event") == "followup"] == ["action_listen"]
    assert said_text in said(d) and "哪一类记录" not in said(d)


AFTER_DUTY_TODAY = "2026-12-05"


@pytest.mark.parametrize("record, text, expected", [
    # a fine not paid, shortest period already over: the day it is paid
    ({"kind": "penalty", "department": "tax", "decision_date": "2026-06-30", "severity": "general",
      "obligations_fulfilled": False}, "那我下个月交清了 好久能修", ["当天就可以申请修复"]),
    # a fine not paid, shortest period still running: that period's end
    ({"kind": "penalty", "department": "tax", "decision_date": "2026-10-30", "severity": "general",
      "obligations_fulfilled": False}, "交了钱好久可以修复嘛", ["2027年1月31日起"]),
    # sixth hand try: 「那我交清了就可以申请了噻」 was recorded as paid
    ({"kind": "penalty", "department": "tax", "decision_date": "2026-10-30", "severity": "general",
      "obligations_fulfilled": False}, "那我交清了就可以申请了噻", ["2027年1月31日起"]),
    # final review, as an applicant: 「好 我去交了」 got 「抱歉，我没太明白」
    ({"kind": "penalty", "department": "tax", "decision_date": "2026-10-30", "severity": "general",
      "obligations_fulfilled": False}, "好 我去交了", ["2027年1月31日起"]),
    # an abnormal list: no period, the day the cause is corrected
    ({"kind": "abnormal_list", "department": "market_regulation", "listed_date": "2026-06-30",
      "reason": "annual_report", "corrected": False}, "补报了年报多久能移出", ["补报未报年份的年度报告", "当天就可以申请"]),
    # a serious list: months counted from the correction, and the rule's caveat
    ({"kind": "serious_list", "department": "hrss", "listed_date": "2026-03-30", "corrected": False},
     "工资发了好久能移出", ["满6个月", "未逐条核实"]),
])
async def test_when_a_record_can_be_repaired_once_its_duty_is_done(monkeypatch, record, text, expected):
    """Hand try: 「那我下个月交清了 好久能修」 after 「暂不能申请…请先履行」 got the general table of
    periods (second round), then the kinds of record again."""
    import datetime as dt

    from actions.paths_actions import answer_after_duties
    from bot.dialogue import record_flow

    monkeypatch.setenv("ASSISTANT_TODAY", AFTER_DUTY_TODAY)
    result = record_flow.determine_for_records([record], None, dt.date.fromisoformat(AFTER_DUTY_TODAY))
    d = CollectingDispatcher()
    assert answer_after_duties(d, tracker(text, slots={"paths_result": result, "records": [record]}), text)
    assert all(words in said(d) for words in expected), said(d)


@pytest.mark.parametrize("text", ["那我还要申请不", "税务局去年罚的那个交了多久能修", "补报了年报多久能移出", "交了"])
async def test_other_messages_after_an_open_duty_are_not_taken_for_it(monkeypatch, text):
    import datetime as dt

    from actions.paths_actions import answer_after_duties
    from bot.dialogue import record_flow

    monkeypatch.setenv("ASSISTANT_TODAY", AFTER_DUTY_TODAY)
    fine = {"kind": "penalty", "department": "tax", "decision_date": "2026-06-30", "severity": "general",
            "obligations_fulfilled": False}
    result = record_flow.determine_for_records([fine], None, dt.date.fromisoformat(AFTER_DUTY_TODAY))
    d = CollectingDispatcher()
    assert not answer_after_duties(d, tracker(text, slots={"paths_result": result}), text)
    assert not d.messages


async def test_a_grade_not_known_gets_each_grades_date(monkeypatch):
    """Hand try: 「不清楚」 at the grade question, then 「还要问您失信行为严重程度…才能判断」 and
    nothing else: the user had just said they do not know."""
    monkeypatch.setenv("ASSISTANT_TODAY", "2026-12-05")
    d = CollectingDispatcher()
    facts = {"fact_kind": "penalty", "fact_department": "market_regulation", "fact_date": "2026-11-01",
             "fact_severity": "unknown", "fact_fulfilled": True}
    await ActionExplainPaths().run(d, tracker(slots=facts), {})
    text = said(d)
    assert "轻微的现在就可以申请" in text and "一般的2027年2月2日起" in text and "严重的2027年11月2日起" in text
    assert "决定书" in text and "12345" in text
    assert "还要问您" not in text  # the user has just said they do not know


@pytest.mark.parametrize("decided, paid, grade", [
    # tax, today 2026-11-25: a serious penalty is applicable 12 months after the decision, a
    # general one 3 months after — 「不清楚」 is decided with the strictest grade applicable now
    ("2025-11-24", True, "serious"),    # serious applicable from today
    ("2025-11-25", True, "general"),    # serious from tomorrow: applied for as general, the wait said
    ("2025-01-10", True, "serious"),
    ("2026-03-10", True, "general"),    # general now, serious 2027-03-11 (fourth hand try: no way on)
    ("2026-11-01", True, "minor"),      # minor now, general and serious later
    ("2025-01-10", False, None),        # the fine unpaid: nothing to apply for under any grade
])
def test_a_grade_not_known_is_applied_for_when_every_grade_allows_it(decided, paid, grade):
    """Third hand try: with the grade unknown the application could not be submitted at all, also
    when under every grade it was applicable now or no longer published."""
    import datetime as dt

    from bot.dialogue import record_flow

    record = {"kind": "penalty", "department": "tax", "decision_date": decided, "obligations_fulfilled": paid,
              "severity": "unknown"}
    today = dt.date(2026, 11, 25)
    assert record_flow.grade_to_apply_with(record, None, today) == grade
    result = record_flow.determine_for_records([record], None, today)["results"][0]
    assert (result["status"] == "eligible") is bool(grade)
    assert bool(result.get("severity_unknown")) is bool(grade)


def _grade_unknown_line(decided: str, paid: bool) -> str:
    """The verdict's per-grade line for a tax penalty of grade 「不清楚」, today 2026-11-25."""
    import datetime as dt

    from bot.dialogue import record_flow

    record = {"kind": "penalty", "department": "tax", "decision_date": decided, "obligations_fulfilled": paid,
              "severity": "unknown"}
    today = dt.date(2026, 11, 25)
    result = record_flow.determine_for_records([record], None, today)["results"][0]
    [line] = record_flow.per_grade([result], [record], None, today)
    return line


def test_a_grade_not_known_and_the_fine_unpaid_says_the_duty_once():
    """Fourth hand try: 「请先履行」 under each of the three grades, ~200 characters."""
    line = _grade_unknown_line("2026-11-01", False)
    assert line.count("交清罚款") == 1 and "请先履行" not in line and len(line) < 150
    assert "轻微的当天就可以申请" in line and "一般的2027年2月2日起" in line and "严重的2027年11月2日起" in line


def test_a_grade_not_known_that_may_have_to_wait_says_so():
    line = _grade_unknown_line("2026-03-10", True)
    assert "一般的现在就可以申请" in line and "严重的2027年3月11日起" in line
    assert "如果是严重的" in line and "不会通过" in line


async def test_a_grade_not_known_but_applicable_offers_the_application(monkeypatch):
    from bot.dialogue import application

    monkeypatch.setenv("ASSISTANT_TODAY", "2026-11-25")
    d = CollectingDispatcher()
    facts = {"fact_kind": "penalty", "fact_department": "tax", "fact_date": "2025-01-10",
             "fact_severity": "unknown", "fact_fulfilled": True}
    events = await ActionExplainPaths().run(d, tracker(slots=facts), {})
    text = said(d)
    assert "严重的现在就可以申请" in text and "不清楚程度也可以现在申请" in text
    assert any("开始申请" in b["title"] for m in d.messages for b in m.get("buttons") or [])
    records = next(e["value"] for e in events if e.get("name") == "records")
    assert records[0]["severity"] == "unknown"
    # the summary says so, and the case store is told 'unknown', not a grade the user never said
    import datetime as dt

    from bot.dialogue import record_flow

    result = record_flow.determine_for_records(records, None, dt.date(2026, 11, 25))["results"][0]
    assert "失信程度不清楚" in application.record_line(1, records[0], result)
    payload = application.build_payload({"records": records}, [0], [], "rest", "c1")
    assert payload["records"][0]["severity"] == "unknown"


async def test_a_known_grade_gets_no_per_grade_line(monkeypatch):
    monkeypatch.setenv("ASSISTANT_TODAY", "2026-12-05")
    d = CollectingDispatcher()
    facts = {"fact_kind": "penalty", "fact_department": "market_regulation", "fact_date": "2026-11-01",
             "fact_severity": "general", "fact_fulfilled": True}
    await ActionExplainPaths().run(d, tracker(slots=facts), {})
    assert "按三种情况" not in said(d)


@pytest.mark.parametrize("text, fulfilled, verdict", [
    ("交了", "2026-12-05", "现在就可以申请"),
    ("昨天已经交清了", "2026-12-04", "现在就可以申请"),
])
async def test_a_duty_said_done_after_the_verdict_updates_the_record(monkeypatch, text, fulfilled, verdict):
    """「交了」 after 「暂不能申请…请先履行」 was answered from the guide, and the record kept
    saying the fine was unpaid."""
    import datetime as dt

    from actions.paths_actions import ActionStartRecord
    from bot.dialogue import record_flow

    monkeypatch.setenv("ASSISTANT_TODAY", AFTER_DUTY_TODAY)
    fine = {"kind": "penalty", "department": "tax", "decision_date": "2026-06-30", "severity": "general",
            "obligations_fulfilled": False}
    result = record_flow.determine_for_records([fine], None, dt.date.fromisoformat(AFTER_DUTY_TODAY))
    d = CollectingDispatcher()
    events = await ActionStartRecord().run(
        d, tracker(text, slots={"paths_result": result, "records": [fine]}), {})
    slots = slot_events(events)
    assert slots["records"][0]["obligations_fulfilled"] is True
    assert slots["records"][0]["fulfilled_date"] == fulfilled
    assert verdict in said(d) and "开始申请" in [b["title"] for m in d.messages for b in m.get("buttons", [])][0]


async def test_news_of_the_duty_read_as_a_call_for_a_human_updates_the_record(monkeypatch):
    """Fourth hand try: 「哦 刚才打电话问了 我妹妹上周已经帮他交了」 (NLU: request_human, for 打电话)
    handed the chat to an agent, and that the fine was paid was lost."""
    import datetime as dt

    from actions.core_actions import ActionHumanHandoff
    from bot.dialogue import record_flow

    monkeypatch.setenv("ASSISTANT_TODAY", AFTER_DUTY_TODAY)
    fine = {"kind": "penalty", "department": "tax", "decision_date": "2026-06-30", "severity": "general",
            "obligations_fulfilled": False}
    result = record_flow.determine_for_records([fine], None, dt.date.fromisoformat(AFTER_DUTY_TODAY))
    text = "哦 刚才打电话问了 我妹妹上周已经帮他交了"
    d = CollectingDispatcher()
    events = await ActionHumanHandoff().run(d, tracker(text, slots={"paths_result": result, "records": [fine]}), {})
    assert not [e for e in events if e.get("event") == "pause"]
    assert slot_events(events)["records"][0]["obligations_fulfilled"] is True
    assert "现在就可以申请" in said(d)


@pytest.mark.parametrize("text, answered", [
    ("为啥子要等那么久 能不能提前", True),     # fourth hand try: the conditions list, never a plain no
    ("能不能早点", True),
    ("提前移出要啥子材料", False),             # a question about the steps: the guide answers it
])
async def test_asking_to_apply_earlier_than_the_date_gets_a_plain_no(monkeypatch, text, answered):
    import datetime as dt

    from actions.paths_actions import about_an_open_duty
    from bot.dialogue import record_flow

    monkeypatch.setenv("ASSISTANT_TODAY", AFTER_DUTY_TODAY)
    fine = {"kind": "penalty", "department": "tax", "decision_date": "2026-06-30", "severity": "serious",
            "obligations_fulfilled": True}
    result = record_flow.determine_for_records([fine], None, dt.date.fromisoformat(AFTER_DUTY_TODAY))
    assert result["results"][0]["status"] == "not_yet"
    d = CollectingDispatcher()
    events = about_an_open_duty(d, tracker(text, slots={"paths_result": result, "records": [fine]}), text)
    assert (events is not None) is answered
    if answered:
        assert "不能再早了" in said(d) and "12个月" in said(d) and "2027年7月1日" in said(d)
        assert "到期提醒我" in [b["title"] for m in d.messages for b in m.get("buttons") or []]


async def test_a_duty_done_for_another_record_is_not_taken_for_this_one(monkeypatch):
    import datetime as dt

    from actions.paths_actions import duty_done_update
    from bot.dialogue import record_flow

    monkeypatch.setenv("ASSISTANT_TODAY", AFTER_DUTY_TODAY)
    fine = {"kind": "penalty", "department": "tax", "decision_date": "2026-06-30", "severity": "general",
            "obligations_fulfilled": False}
    result = record_flow.determine_for_records([fine], None, dt.date.fromisoformat(AFTER_DUTY_TODAY))
    d = CollectingDispatcher()
    assert duty_done_update(d, tracker("市场监管局罚的那个交了", slots={"paths_result": result, "records": [fine]}),
                            "市场监管局罚的那个交了") is None


@pytest.mark.parametrize("text, says", [
    ("查询进度 XF-20261125-19932 1234", "案件"),
    ("我不是要重新申请 我是查进度", "案件号"),
])
async def test_a_progress_look_up_inside_a_form_is_answered(monkeypatch, text, says):
    """Third hand try: inside the record form, 「查询进度 XF-… 1234」 was read as a date and
    「我是查进度」 as the agent's name; only 「取消」 got out."""
    from actions import application_actions

    class Client:
        async def lookup(self, case_no, phone=None):
            from bot.casestore.client import CaseStoreNotFound
            raise CaseStoreNotFound(404, "not_found", "", [])

        async def aclose(self):
            pass

    monkeypatch.setattr(application_actions, "case_store_client", lambda agent=False: Client())
    d = CollectingDispatcher()
    events = await ValidateRecordForm().run(d, tracker(text, slots={"requested_slot": "fact_kind", "fact_kind": text},
                                                       active_loop="record_form"), {"forms": {}})
    assert says in said(d) and "不填了说“取消”" in said(d)
    assert slot_events(events).get("fact_kind") is None


@pytest.mark.parametrize("out, words", [
    ({"fact_corrected": True}, "导致列入的问题已纠正"),   # fourth hand try: 「问题纠正已履行」
    ({"fact_corrected": False}, "导致列入的问题还没纠正"),
    ({"fact_fulfilled": True}, "处罚义务已履行"),
])
def test_facts_said_back_read_as_sentences(out, words):
    from actions.paths_actions import _heard

    assert _heard(out) == words


@pytest.mark.parametrize("asked", ["fact_date", "fact_severity"])
async def test_what_a_decision_document_is_is_said_at_a_records_question(asked):
    """Fifth hand try: 「啥子是决定书哦」 at the date question got 「决定书上落款盖章的那个日子」."""
    from rasa_sdk.events import SlotSet

    text = "啥子是决定书哦"
    slots = {"fact_kind": "penalty", "fact_department": "tax", "fact_date": "2026-01-10",
             "requested_slot": asked, asked: text}
    d = CollectingDispatcher()
    domain = {"forms": {"record_form": {"required_slots": ["fact_kind", "fact_department", "fact_date",
                                                           "fact_severity"]}}}
    events = await ValidateRecordForm().run(d, tracker(text, slots=slots, active_loop="record_form"), domain)
    assert "盖公章的文件" in said(d) and "文号" in said(d)
    assert SlotSet("requested_slot", asked) in events


async def test_how_to_file_the_report_is_said_and_the_answer_in_the_same_message_taken():
    """Fifth hand try: 「还没有 我都说了我不会补 年报咋个补嘛」 at 「已经纠正了吗」: the answer was taken and
    the question never answered."""
    text = "还没有 我都说了我不会补 年报咋个补嘛"
    slots = {"fact_kind": "abnormal_list", "fact_department": "market_regulation", "fact_date": "2026-07-31",
             "fact_reason": "annual_report", "requested_slot": "fact_corrected", "fact_corrected": text}
    d = CollectingDispatcher()
    domain = {"forms": {"record_form": {"required_slots": ["fact_kind", "fact_department", "fact_date",
                                                           "fact_reason", "fact_corrected"]}}}
    told = tracker(text, slots=slots, active_loop="record_form")
    told.events = [{"event": "user", "text": text}, {"event": "slot", "name": "fact_corrected", "value": text}]
    events = await ValidateRecordForm().run(d, told, domain)
    assert "www.gsxt.gov.cn" in said(d) and "企业信息填报" in said(d)
    assert slot_events(events).get("fact_corrected") is False


async def test_a_date_corrected_right_after_the_verdict_decides_again():
    """Fifth hand try: 「不对 是去年 2025年11月」 after a verdict got an objection's guide page, and the
    record said again became a duplicate."""
    import datetime as dt

    from actions.paths_actions import date_corrected_after_verdict
    from bot.dialogue import record_flow

    wrong = {"kind": "penalty", "department": "market_regulation", "decision_date": "2026-11-25",
             "severity": "serious", "obligations_fulfilled": True}
    verdict = record_flow.determine_for_records([wrong], None, dt.date(2026, 11, 25))
    d = CollectingDispatcher()
    events = date_corrected_after_verdict(
        d, tracker("不对 是去年 2025年11月", slots={"records": [wrong], "paths_result": verdict}), "不对 是去年 2025年11月")
    s = slot_events(events)
    assert s["records"][0]["decision_date"] == "2025-11-30" and len(s["records"]) == 1  # a month: its last day
    assert "2025年11月30日" in said(d) and "2027年" not in said(d) and "2026年12月" in said(d)  # 严重: a year on


@pytest.mark.parametrize("text", ["不对 我想问下要多久", "2025年11月", "不是这个意思"])
async def test_other_messages_after_a_verdict_do_not_change_its_date(text):
    from actions.paths_actions import date_corrected_after_verdict

    record = {"kind": "penalty", "department": "tax", "decision_date": "2026-01-10", "severity": "general",
              "obligations_fulfilled": True}
    told = tracker(text, slots={"records": [record], "paths_result": {"results": [{"index": 0, "status": "eligible"}]}})
    assert date_corrected_after_verdict(CollectingDispatcher(), told, text) is None


@pytest.mark.parametrize("text", ["不对 是去年11月", "不对 日期是2025年10月15日", "搞错了 是2025年10月份的"])
async def test_a_date_corrected_after_the_verdict_read_as_a_record_is_still_a_correction(text):
    """Sixth hand try: 「不对 是去年11月」 (NLU: check_paths) started a new record; two records followed."""
    from actions.paths_actions import ActionStartRecord
    from bot.dialogue import record_flow

    wrong = {"kind": "penalty", "department": "market_regulation", "decision_date": "2026-11-25",
             "severity": "general", "obligations_fulfilled": True}
    verdict = record_flow.determine_for_records([wrong], None, dt.date(2026, 11, 25))
    d = CollectingDispatcher()
    events = await ActionStartRecord().run(
        d, tracker(text, intent="check_paths", slots={"records": [wrong], "paths_result": verdict}), {})
    s = slot_events(events)
    assert len(s["records"]) == 1 and s["records"][0]["decision_date"].startswith("2025-1")
    assert "要修复的是哪一类" not in said(d)
    assert [e.get("name") for e in events if e.get("event") == "followup"] == ["action_listen"]


@pytest.mark.parametrize("text", ["不是这个 是另一个 2025年5月被罚的", "另外还有个经营异常 2025年6月列入的",
                                  "不对 是经营异常 2025年5月"])
async def test_another_record_after_the_verdict_is_no_date_correction(text):
    """Review: these lost the new record and changed the first one's date."""
    from actions.paths_actions import date_corrected_after_verdict

    record = {"kind": "penalty", "department": "tax", "decision_date": "2026-01-10", "severity": "general",
              "obligations_fulfilled": True}
    told = tracker(text, slots={"records": [record], "paths_result": {"results": [{"index": 0, "status": "eligible"}]}})
    assert date_corrected_after_verdict(CollectingDispatcher(), told, text) is None


async def test_the_date_said_last_is_the_corrected_one():
    from actions.paths_actions import date_corrected_after_verdict
    from bot.dialogue import record_flow

    record = {"kind": "penalty", "department": "tax", "decision_date": "2026-03-31", "severity": "general",
              "obligations_fulfilled": True}
    verdict = record_flow.determine_for_records([record], None, dt.date(2026, 11, 25))
    text = "不对 不是2026年3月 是2025年5月"
    events = date_corrected_after_verdict(
        CollectingDispatcher(), tracker(text, slots={"records": [record], "paths_result": verdict}), text)
    assert slot_events(events)["records"][0]["decision_date"] == "2025-05-31"


async def test_paid_news_at_another_question_replaces_unpaid_and_its_day_is_not_the_decisions():
    """Final review, as an applicant: 「罚款还莫交」, then 「交了 昨天交清的」 at the grade question —
    the news was lost and 「昨天」 taken for the decision date (「好的，日期按…11月24日算」)."""
    slots = {"fact_kind": "penalty", "fact_department": "tax", "fact_date": "2026-02-28",
             "fact_fulfilled": False, "fact_extra": {"date_estimate": "2026-02-28", "date_year": 2026}}
    d = CollectingDispatcher()
    result = await ValidateRecordForm().validate_fact_severity(
        "交了 昨天交清的", d, tracker("交了 昨天交清的", slots=slots), {})
    assert result.get("fact_fulfilled") is True and "fact_date" not in result
    assert "日期按" not in said(d)
