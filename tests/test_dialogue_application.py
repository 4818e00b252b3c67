"""The application form's logic: what is asked next, materials at once, corrections, payload."""

import datetime as dt

import pytest

from bot.dialogue import application as form

TODAY = dt.date(2026, 11, 25)
PAID_FINE = {"kind": "penalty", "department": "market_regulation", "decision_date": "2026-03-01",
             "severity": "general", "obligations_fulfilled": True}
TAX_FINE = {"kind": "penalty", "department": "tax", "decision_date": "2026-01-10",
            "severity": "general", "obligations_fulfilled": True}
RECENT_FINE = {"kind": "penalty", "department": "tax", "decision_date": "2026-10-10",
               "severity": "general", "obligations_fulfilled": True}


@pytest.mark.parametrize(
    "text, slot, index",
    [
        ("手机号写错了", "agent_phone", None),
        ("电话号码填错了", "agent_phone", None),
        ("信用代码填错了", "uscc", None),
        ("法人名字写错了", "legal_rep", None),
        ("经办人写错了", "agent_name", None),
        ("公司名称写错了", "subject_name", None),
        ("改一下第2条记录的日期", "fact_date", 1),
        ("第一条记录的部门选错了", "fact_department", 0),
        ("第三条的时间写错了", "fact_date", 2),
        ("改一下", None, None),
    ],
)
def test_correction_names_the_field_to_ask_again(text, slot, index):
    assert form.parse_correction(text) == form.Correction(slot, index)


def test_nothing_is_asked_twice_and_facts_come_first_when_no_record_is_eligible():
    empty = form.missing_slots({}, TODAY)
    assert empty[0] == "fact_kind"
    filled = {"records": [PAID_FINE], "subject_name": "成都某某科技有限公司", "uscc": "91350100M000100Y43",
              "legal_rep": "张三"}
    # 91... is an enterprise code: the subject type is not asked.
    assert form.missing_slots(filled, TODAY) == [
        "agent_name", "agent_phone", "materials_confirmed", "commitment_accepted", "confirm"]
    # filled slots stay in the form's list so that a new answer to them is validated
    assert "uscc" in form.required_slots(filled, TODAY)


def test_a_record_that_is_not_yet_eligible_does_not_count_for_the_application():
    slots = form.missing_slots({"records": [RECENT_FINE]}, TODAY)
    assert slots[0] == "fact_kind"  # asks for a record that can be submitted now


def test_materials_of_several_records_are_merged_and_marked():
    materials = form.materials_for([PAID_FINE, TAX_FINE], [0, 1])
    ids = [m.id for m in materials]
    assert len(ids) == len(set(ids))
    assert "harm_eliminated_proof" in ids and "tax_paid_proof" in ids
    upload = {m.id for m in form.materials_to_upload(materials)}
    assert "harm_eliminated_proof" in upload  # market regulation asks the applicant for it
    assert "tax_paid_proof" not in upload  # the tax office checks it itself
    assert "repair_application" not in upload  # generated from the form
    text = form.materials_text(materials, {"harm_eliminated_proof": "http://127.0.0.1:8000/upload/abc"})
    assert "不用交" in text and "http://127.0.0.1:8000/upload/abc" in text


def test_missing_uploads_are_all_named():
    materials = form.materials_for([PAID_FINE], [0])
    assert [m.id for m in form.missing_uploads(materials, set())] == ["harm_eliminated_proof"]
    assert form.missing_uploads(materials, {"harm_eliminated_proof"}) == []


def test_summary_is_numbered_and_masks_the_phone():
    state = {"records": [PAID_FINE, RECENT_FINE], "subject_name": "成都某某科技有限公司",
             "uscc": "91350100M000100Y43", "legal_rep": "张三", "agent_name": "李四",
             "agent_phone": "13812341234", "commitment_accepted": True}
    results = form.record_results(state["records"], None, TODAY)
    text = form.summary_text(state, results, form.materials_for(state["records"], [0]), [])
    assert "138****1234" in text and "13812341234" not in text
    assert "1. 行政处罚" in text and "2. 行政处罚" in text
    assert "本次不提交" in text  # the recent fine is explained, not silently dropped


@pytest.mark.parametrize("uscc, subject_type, line", [
    ("91350100M000100Y43", None, "法定代表人：张三"),
    ("92510107MA62L8K3XB", None, "经营者：张三"),                 # 92…: an individual business
    (None, "individual_business", "经营者：张三"),
    (None, None, "法定代表人（负责人、经营者）：张三"),
])
def test_an_individual_business_names_its_operator_not_a_legal_representative(uscc, subject_type, line):
    state = {"records": [PAID_FINE], "subject_name": "锦江区王二孃便利店", "uscc": uscc, "subject_type": subject_type,
             "legal_rep": "张三", "agent_name": "李四", "agent_phone": "13812341234"}
    text = form.summary_text(state, form.record_results(state["records"], None, TODAY), [], [])
    assert line in text.split("\n"), text


def test_payload_has_only_the_eligible_records_and_the_key_is_stable():
    state = {"records": [PAID_FINE, RECENT_FINE], "subject_name": "成都某某科技有限公司",
             "uscc": "91350100M000100Y43", "legal_rep": "张三", "agent_name": "李四",
             "agent_phone": "13812341234", "commitment_accepted": True}
    payload = form.build_payload(state, [0], [], "web", "u1")
    assert payload["applicant"]["subject_type"] == "enterprise"
    assert payload["records"] == [{"kind": "penalty_info", "department": "market_regulation",
                                   "date": "2026-03-01", "obligations_fulfilled": True, "severity": "general"}]
    assert form.idempotency_key("u1", payload) == form.idempotency_key("u1", dict(payload))
    assert form.idempotency_key("u1", payload) != form.idempotency_key("u2", payload)


@pytest.mark.parametrize(
    "text, phone",
    [("查询进度 1234", "1234"), ("手机13812341234", "13812341234"), ("查进度", None)],
)
def test_lookup_message_gives_the_phone_digits(text, phone):
    assert form.parse_lookup(text)[1] == phone


def test_lookup_message_finds_a_valid_case_number():
    from bot.casestore.caseno import new_case_no

    number = new_case_no(TODAY)
    spaced = number.replace("-", " ")
    assert form.parse_lookup(f"查询 {spaced} 尾号4321") == (number, "4321")


@pytest.mark.parametrize("text, slot, value", [
    # hand try: the legal representative became 「民族」
    ("理事长名字写错了，是何大民，民族的民", "legal_rep", "何大民"),
    ("法人名字不对 应该是何大民", "legal_rep", "何大民"),
    # hand try: 「好的，重新填经办人。」 again and again
    ("经办人就是我本人", "agent_name", "何大明"),
    ("经办人是法人本人", "agent_name", "何大明"),
    # hand try: ignored at the upload step
    ("那经办人改成法人刘明本人嘛", "agent_name", "刘明"),
    # fourth hand try: the whole sentence became the value
    ("名称改成成都市餐饮行业协会", "subject_name", "成都市餐饮行业协会"),
    ("名字错了 经办人叫王磊 不是王磊帮", "agent_name", "王磊"),
])
def test_a_correction_at_the_summary_takes_the_value_meant(text, slot, value):
    state = {"subject_type": "social_org", "legal_rep": "何大明", "agent_name": "李梅"}
    reply = form.read_summary_reply(text, state)
    assert reply.answer == "correction" and (reply.correction.slot, reply.correction.value) == (slot, value)


@pytest.mark.parametrize("text, state, slot, value, also", [
    # hand tries: a correction naming no field was 「要改哪一项？」, or turned the name into 「民族」
    ("不是民族！是何大民", {"legal_rep": "民族", "agent_name": "民族"}, "legal_rep", "何大民", ("agent_name",)),
    ("不对 是何大民 民族的民", {"legal_rep": "何大明", "agent_name": "李四"}, "legal_rep", "何大民", ()),
    ("何大民 不是何大明", {"legal_rep": "何大明", "agent_name": "何大明"}, "legal_rep", "何大民", ("agent_name",)),
    ("不对 是李思", {"legal_rep": "何大明", "agent_name": "李四"}, "agent_name", "李思", ()),
])
def test_a_name_corrected_without_naming_the_field(text, state, slot, value, also):
    reply = form.read_summary_reply(text, state)
    assert reply.answer == "correction"
    assert (reply.correction.slot, reply.correction.value, reply.correction.also) == (slot, value, also)


@pytest.mark.parametrize("text", ["不对 是王五", "不对", "不是这个"])
def test_a_correction_that_fits_no_name_asks_which_field(text):
    reply = form.read_summary_reply(text, {"legal_rep": "何大明", "agent_name": "李四"})
    assert reply.answer == "correction" and reply.correction.slot is None


@pytest.mark.parametrize("text, fixed", [
    ("不对 是何大民 民族的民", "何大民"),   # second hand try: 「请只发经办人的姓名」, the wrong name kept
    ("不是何大明 是何大民", "何大民"),
    ("不是他 是何小明", None),             # another person (the agent), not a typo
    ("何小明", None),
])
def test_a_name_corrected_one_question_later(text, fixed):
    got = form.earlier_name_corrected(text, {"legal_rep": "何大明"})
    assert (got.value if got else None) == fixed and (got is None or got.slot == "legal_rep")


def test_a_social_organisations_list_is_called_by_its_own_name_on_the_summary():
    from bot.guide.loader import load_guide

    """Third hand try: the verdict said 活动异常名录, the summary 「经营异常名录（民政部门…）」."""
    society = {"kind": "abnormal_list", "department": "civil_affairs", "listed_date": "2025-07-08",
               "reason": "annual_report", "corrected": True}
    line = form.record_line(1, society, {"status": "eligible"}, load_guide())
    assert "活动异常名录（民政部门" in line and "经营异常名录" not in line
    shop = {**society, "department": "market_regulation"}
    assert "经营异常名录（市场监管部门" in form.record_line(1, shop, {"status": "eligible"}, load_guide())


@pytest.mark.parametrize("text, slot, value, also, others", [
    # fifth hand try: the son's name given to the agent also replaced his father, the legal rep
    ("经办人错了 改成王小军", "agent_name", "王小军", (), ()),
    ("法人写错了 应该是王德富", "legal_rep", "王德富", ("agent_name",), ()),   # one character: the same man
    ("法定代表人王德福 经办人王小军 两个人不一样的嘛", "legal_rep", "王德福", (), (("agent_name", "王小军"),)),
])
def test_a_name_changed_at_the_summary_changes_the_other_only_when_it_is_the_same_person(
        text, slot, value, also, others):
    state = {"legal_rep": "王德福", "agent_name": "王德福"}
    fix = form.read_summary_reply(text, state).correction
    assert (fix.slot, fix.value, fix.also, fix.others) == (slot, value, also, others)


@pytest.mark.parametrize("text, state, slot, value, also", [
    # review: the same person's name, corrected without naming a field or with a character missing
    ("名字不对 是王德福", {"legal_rep": "王德", "agent_name": "王德"}, "legal_rep", "王德福", ("agent_name",)),
    ("不对 是贺大民", {"legal_rep": "何大明", "agent_name": "何大明"}, "legal_rep", "贺大民", ("agent_name",)),
    ("法人写错了 应该是王德福", {"legal_rep": "王德", "agent_name": "王德"}, "legal_rep", "王德福", ("agent_name",)),
])
def test_the_one_persons_name_corrected_changes_both_fields(text, state, slot, value, also):
    fix = form.read_summary_reply(text, state).correction
    assert (fix.slot, fix.value, fix.also) == (slot, value, also)


def test_the_summary_warns_when_the_grade_not_known_could_still_have_to_wait():
    """Fifth hand try: a fine of 2026-08-31, grade 「不清楚」, submitted on 2026-11-25 with
    「可以申请」 only — under 一般 it could be applied for from 2026-12-01."""
    import datetime as dt

    from bot.dialogue import record_flow

    record = {"kind": "penalty", "department": "tax", "decision_date": "2026-08-31", "severity": "unknown",
              "obligations_fulfilled": True}
    result = record_flow.determine_for_records([record], None, dt.date(2026, 11, 25))["results"][0]
    line = form.record_line(1, record, result)
    assert "可以申请" in line and "失信程度不清楚" in line
    assert "是一般的，要2026年12月1日" in line and "是严重的，要2027年9月1日" in line and "可能不予修复" in line


def test_a_new_agent_with_his_phone_changes_both_and_words_of_time_are_no_name():
    """Sixth hand try: 「最后是我哥哥陈刚去办 他电话…」 changed only the phone; 「王建国是以前的」 made the
    legal representative 「以前」."""
    state = {"legal_rep": "陈丽", "agent_name": "陈丽", "agent_phone": "13800001111"}
    fix = form.read_summary_reply("最后是我哥哥陈刚去办 他电话13900006666", state).correction
    assert (fix.slot, fix.value, fix.others) == ("agent_name", "陈刚", (("agent_phone", "13900006666"),))
    fix = form.read_summary_reply("法人上个月换了 现在是张德明 王建国是以前的", {"legal_rep": "王建国"}).correction
    assert (fix.slot, fix.value) == ("legal_rep", "张德明")


def test_the_name_denied_at_the_summary_is_not_the_new_one():
    """Seventh hand try: 「经办人不是周建华 是我李娟」 → 「经办人改为“周建华”」."""
    fix = form.read_summary_reply("经办人不是周建华 是我李娟", {"legal_rep": "周建华", "agent_name": "周建华"}).correction
    assert (fix.slot, fix.value, fix.also) == ("agent_name", "李娟", ())
