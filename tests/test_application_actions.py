"""The application form's actions, called as the action server calls them."""

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.application_actions import (
    ActionCollectAnotherRecord,
    ActionCorrectField,
    ActionRemoveRecord,
    ActionSubmitApplication,
    ValidateApplicationForm,
)
from tests.action_helpers import said, slot_events, tracker

ELIGIBLE = {"kind": "penalty", "department": "tax", "decision_date": "2026-01-10", "severity": "general",
            "obligations_fulfilled": True}
FILLED = {"records": [ELIGIBLE], "subject_name": "成都某某科技有限公司", "uscc": "91350100M000100Y43",
          "legal_rep": "张三", "agent_name": "张三", "agent_phone": "13812341234",
          "materials_confirmed": True, "commitment_accepted": True, "confirm": True}


pytestmark = pytest.mark.usefixtures("chat_env")


async def test_wrong_check_digit_gets_a_specific_reason_and_the_example_once():
    """The reason alone; the code's question that the form asks next has the example (hand try:
    the same example in both lines of one reply)."""
    import yaml

    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_uscc("91350100M000100Y44", d, tracker("91350100M000100Y44"), {})
    assert result["uscc"] is None
    assert "校验位" in said(d) and "例如" not in said(d)
    domain = yaml.safe_load(open("domain/application.yml", encoding="utf-8"))
    assert "例如 91350100M000100Y43" in domain["responses"]["utter_ask_uscc"][0]["text"]


async def test_valid_code_also_tells_the_subject_type():
    result = await ValidateApplicationForm().validate_uscc(
        "9144030071526726XG", CollectingDispatcher(), tracker("9144030071526726XG"), {})
    assert result["uscc"] == "9144030071526726XG"
    assert result["subject_type"] == "enterprise"


@pytest.mark.parametrize("said_kind, text, code_kind, words", [
    # fourth hand try: 「是个行业协会」, then an enterprise's code was taken without a word
    ("social_org", "9144030071526726XG", "enterprise", ["“91”开头", "企业的代码", "“社会组织”对不上"]),
    ("enterprise", "代码是92510100MA62L1CK2Q", "individual_business", ["“92”开头", "个体工商户的代码"]),
    ("individual_business", "51510100MJ0000106E", "social_org", ["“5”开头", "社会组织的代码"]),
])
async def test_a_code_of_another_kind_than_said_is_taken_and_the_kind_corrected_aloud(
        said_kind, text, code_kind, words):
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_uscc(
        text, d, tracker(text, slots={"subject_type": said_kind}), {})
    assert result["uscc"] and result["subject_type"] == code_kind
    assert all(w in said(d) for w in words) and "信用代码改成" in said(d)


async def test_a_code_of_the_kind_said_is_taken_without_comment():
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_uscc(
        "51510100MJ0000106E", d, tracker("51510100MJ0000106E", slots={"subject_type": "social_org"}), {})
    assert result["uscc"] == "51510100MJ0000106E" and result.get("subject_type") in (None, "social_org")
    assert said(d) == ""


@pytest.mark.parametrize("answer", ["本人", "就是我", "同上"])
async def test_agent_same_as_legal_representative(answer):
    result = await ValidateApplicationForm().validate_agent_name(
        answer, CollectingDispatcher(), tracker(answer, slots={"legal_rep": "张三"}), {})
    assert result["agent_name"] == "张三"


async def test_bad_phone_is_explained():
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_agent_phone("1381234", d, tracker("1381234"), {})
    # the reason; the phone question that follows has the example (utter_ask_agent_phone)
    assert result["agent_phone"] is None and "11位" in said(d) and "7位" in said(d) and "例如" not in said(d)


async def test_guide_question_mid_form_is_answered_without_an_error():
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_legal_rep(
        "修复要准备哪些材料？", d, tracker("修复要准备哪些材料？", intent="ask_materials", confidence=0.95), {})
    assert result == {"legal_rep": None}
    text = said(d)
    assert "接着填表" in text and "材料" in text
    assert "请填写法定代表人" not in text


async def test_commitment_must_be_accepted_explicitly():
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_commitment_accepted("不同意", d, tracker("不同意"), {})
    assert result["commitment_accepted"] is None and "取消" in said(d)
    result = await ValidateApplicationForm().validate_commitment_accepted(
        "同意", CollectingDispatcher(), tracker("同意"), {})
    assert result["commitment_accepted"] is True


@pytest.mark.parametrize("text, name", [("王磊帮她弄的", "王磊"), ("王磊来办", "王磊"), ("帮她弄的", None)])
async def test_the_agent_named_with_what_he_does(text, name):
    """Fourth hand try: 「王磊帮她弄的」 at 「经办人的姓名是？」 was refused (「请只发经办人的姓名」)."""
    result = await ValidateApplicationForm().validate_agent_name(text, CollectingDispatcher(), tracker(text), {})
    assert result["agent_name"] == name


@pytest.mark.parametrize("text", ["啥意思 看不懂", "看不懂", "说简单点"])
async def test_the_commitment_in_plain_words_when_not_understood(text):
    """Fourth hand try: 「啥意思 看不懂」 at the commitment got a general explanation of credit repair."""
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_commitment_accepted(text, d, tracker(text), {})
    assert result["commitment_accepted"] is None and result["commitment_record"] is None
    assert "保证三件事" in said(d) and "法律责任" in said(d)


@pytest.mark.parametrize("text", ["不同意也不行吗", "不承诺可以吗", "可不可以不同意", "不签行不行"])
async def test_whether_one_may_go_on_without_the_commitment_is_answered_no(text):
    """Fourth hand try: 「不同意也不行吗」 at the commitment was answered with objections and review."""
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_commitment_accepted(text, d, tracker(text), {})
    assert result["commitment_accepted"] is None and result["commitment_record"] is None
    assert said(d).startswith("不行") and "提交不了" in said(d) and "复议" not in said(d)


async def test_a_plain_refusal_of_the_commitment_is_still_a_refusal():
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_commitment_accepted("我不同意", d, tracker("我不同意"), {})
    assert result["commitment_accepted"] is None and "不行。" not in said(d) and "不承诺就不能提交" in said(d)


async def test_not_understanding_the_plain_commitment_again_offers_a_person():
    """Sixth hand try: 「看不懂」「还是不懂」「你说的啥子哦」 at the commitment got the same paragraph."""
    from bot.texts import t

    told = tracker("还是不懂", slots={})
    told.events = [{"event": "bot", "text": t("form.commitment.plain")}, {"event": "user", "text": "还是不懂"}]
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_commitment_accepted("还是不懂", d, told, {})
    assert result["commitment_accepted"] is None and "请人帮您办" in said(d)
    assert [b["title"] for m in d.messages for b in m.get("buttons") or []] == ["转人工"]


async def test_a_refusal_of_the_commitment_is_one_bubble():
    """Fourth hand try: 「不同意」 gave the refusal's reply and then the question again, nearly the same."""
    from actions.application_actions import ActionAskCommitmentAccepted
    from bot.guide import load_guide
    from bot.texts import t

    commitment = load_guide().service["commitment_text"]
    events = [{"event": "bot", "text": t("form.commitment.ask", text=commitment)},
              {"event": "user", "text": "不同意"},
              {"event": "bot", "text": t("form.commitment.refused")}]
    tr = tracker("不同意")
    tr.events = events
    d = CollectingDispatcher()
    await ActionAskCommitmentAccepted().run(d, tr, {})
    assert d.messages == []
    tr.events = events[:2] + [{"event": "bot", "text": t("form.commitment.unclear")}]
    d = CollectingDispatcher()
    await ActionAskCommitmentAccepted().run(d, tr, {})
    assert said(d) == t("form.commitment.again")  # any other reply: the short question with its buttons


async def test_record_finished_inside_the_form_is_decided_at_once():
    d = CollectingDispatcher()
    state = {"fact_kind": "penalty", "fact_department": "tax", "fact_date": "2026-10-10", "fact_severity": "general"}
    result = await ValidateApplicationForm().validate_fact_fulfilled(
        "已经交了", d, tracker("已经交了", slots=state, active_loop="application_form"), {})
    assert result["records"][0]["decision_date"] == "2026-10-10"
    assert "2027年1月11日" in said(d) and "这次不能一起提交" in said(d)
    assert result["fact_kind"] is None


async def test_phone_correction_clears_only_the_phone():
    d = CollectingDispatcher()
    events = await ActionCorrectField().run(d, tracker("手机号写错了", intent="correct_field", slots=FILLED), {})
    assert slot_events(events) == {"confirm": None, "agent_phone": None}
    assert "手机号" in said(d)


async def test_record_date_correction_reopens_that_record_keeping_its_other_facts():
    second = dict(ELIGIBLE, department="market_regulation", decision_date="2026-03-10")
    slots = dict(FILLED, records=[ELIGIBLE, second])
    events = await ActionCorrectField().run(
        CollectingDispatcher(), tracker("改一下第2条记录的日期", intent="correct_field", slots=slots), {})
    s = slot_events(events)
    assert s["records"] == [ELIGIBLE]
    assert s["fact_department"] == "market_regulation" and s["fact_date"] is None
    assert s["collecting_record"] is True


async def test_a_record_date_said_with_its_correction_is_taken():
    """Fifth hand try: 「第1条记录的日期 2024年6月18日」 reopened the record and asked the date again."""
    second = dict(ELIGIBLE, department="market_regulation", decision_date="2026-03-10")
    slots = dict(FILLED, records=[ELIGIBLE, second])
    d = CollectingDispatcher()
    events = await ActionCorrectField().run(
        d, tracker("第2条记录的日期不对 是2026年3月18日", intent="correct_field", slots=slots), {})
    s = slot_events(events)
    assert s["records"] == [ELIGIBLE, dict(second, decision_date="2026-03-18")] and s["confirm"] is None
    assert "第2条记录的日期改为“2026年3月18日" in said(d) and "collecting_record" not in s


async def test_a_record_removed_after_the_verdict_decides_the_rest_again():
    """Fifth hand try: 「删除第1条记录」 after a verdict (no form) got a guide page."""
    wrong = dict(ELIGIBLE, decision_date="2026-11-25")  # a slip: today, not a year ago
    d = CollectingDispatcher()
    verdict = {"results": [{"index": 0, "status": "not_yet"}, {"index": 1, "status": "eligible"}]}
    events = await ActionRemoveRecord().run(
        d, tracker("删除第1条记录", intent="remove_record", slots={"records": [wrong, ELIGIBLE], "paths_result": verdict}), {})
    s = slot_events(events)
    assert s["records"] == [ELIGIBLE] and [r["status"] for r in s["paths_result"]["results"]] == ["eligible"]
    assert "第1条记录" in said(d) and "现在就可以申请" in said(d)
    assert any(b["payload"] == "/start_application" for m in d.messages for b in m.get("buttons") or [])


async def test_no_record_is_removed_after_submission_outside_the_form():
    """Review: 「第一个不要了」 after submission deleted a leftover record (no verdict on screen)."""
    d = CollectingDispatcher()
    events = await ActionRemoveRecord().run(
        d, tracker("第1条不要了", intent="remove_record", slots={"records": [ELIGIBLE], "case_no": "XF-20261125-16953"}), {})
    assert events == [] and "records" not in slot_events(events)


async def test_remove_record():
    slots = dict(FILLED, records=[ELIGIBLE, dict(ELIGIBLE, department="hrss")])
    events = await ActionRemoveRecord().run(
        CollectingDispatcher(), tracker("删除第2条记录", intent="remove_record", slots=slots, active_loop="application_form"), {})
    assert slot_events(events)["records"] == [ELIGIBLE]


async def test_case_store_down_keeps_everything_and_offers_resubmit():
    d = CollectingDispatcher()
    events = await ActionSubmitApplication().run(d, tracker("确认提交", slots=FILLED), {})
    assert "暂时连不上" in said(d) and "保留" in said(d)
    assert slot_events(events) == {"submission_pending": True}  # nothing else is cleared
    assert d.messages[0]["buttons"][0]["payload"] == "/resubmit"


async def test_form_run_validates_an_answer_to_an_already_listed_slot():
    """Through FormValidationAction.run, as the action server calls it after extraction."""
    from rasa_sdk import Tracker

    slots = dict(FILLED, uscc="91350100M000100Y44", legal_rep=None, agent_name=None, agent_phone=None,
                 materials_confirmed=None, commitment_accepted=None, confirm=None, requested_slot="uscc")
    events = [{"event": "user", "text": "91350100M000100Y44", "parse_data": {}},
              {"event": "slot", "name": "uscc", "value": "91350100M000100Y44"}]
    t = Tracker("u", slots, {"text": "91350100M000100Y44", "intent": {"name": "inform", "confidence": 1.0}},
                events, False, None, {"name": "application_form"}, "action_listen")
    d = CollectingDispatcher()
    result = slot_events(await ValidateApplicationForm().run(d, t, {"forms": {"application_form": {
        "required_slots": ["uscc"]}}}))
    assert result["uscc"] is None
    assert result["requested_slot"] == "uscc"  # asked again
    assert "校验位" in said(d)


async def test_a_whole_sentence_answering_the_record_type_fills_and_decides_the_record():
    sentence = "2026年1月10日被税务局罚款5000元，一般失信，罚款已经缴清"
    slots = dict(FILLED, records=[dict(ELIGIBLE, department="market_regulation")], collecting_record=True,
                 fact_kind=sentence, materials_confirmed=None, commitment_accepted=None, confirm=None)
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_fact_kind(
        sentence, d, tracker(sentence, slots=slots, active_loop="application_form"), {})
    assert [r["department"] for r in result["records"]] == ["market_regulation", "tax"]
    assert result["fact_kind"] is None and result["collecting_record"] is False
    assert "第2条" in said(d)


# ----- the legal representative's question and 「本人」 said before (issue 9 hand try) ------------
@pytest.mark.parametrize("slots, words", [
    ({"subject_type": "individual_business"}, "经营者"),
    ({"uscc": "92510107MA62L8K3XB"}, "经营者"),
    ({"subject_type": "enterprise"}, "法定代表人的姓名"),
    ({}, "法定代表人（负责人、经营者）"),
])
async def test_the_legal_representative_is_asked_by_the_subjects_own_word(slots, words):
    from actions.application_actions import ActionAskLegalRep

    d = CollectingDispatcher()
    await ActionAskLegalRep().run(d, tracker(slots=slots), {})
    assert words in said(d)


async def test_the_name_of_someone_who_said_they_are_the_legal_rep_is_also_the_agent():
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_legal_rep(
        "王秀英", d, tracker("王秀英", slots={"agent_is_legal_rep": True}), {})
    assert result["legal_rep"] == "王秀英" and result["agent_name"] == "王秀英"
    plain = await ValidateApplicationForm().validate_legal_rep("王秀英", CollectingDispatcher(), tracker("王秀英"), {})
    assert "agent_name" not in plain  # nobody said so: the agent is asked


@pytest.mark.parametrize("text, words", [
    ("XF-20261125-48275 5678", "对不上"),      # the help text's example: its check digit is wrong
    ("查一下进度", "案件号和经办人手机后四位"),  # no number at all: how to ask
])
async def test_a_mistyped_case_number_is_said_to_be_wrong_not_missing(text, words):
    from actions.application_actions import ActionLookupCase

    d = CollectingDispatcher()
    await ActionLookupCase().run(d, tracker(text, intent="lookup_case"), {})
    assert words in said(d)


# NLU may read an answer it has not seen as 「再加一条」 (one model took 「核对过了 没问题」 at the
# summary for add_record): only the button or words of adding start another record there.
@pytest.mark.parametrize("step, text, adds, answer", [
    ("confirm", "核对过了 没问题", False, True),
    ("confirm", "看过了 对的", False, True),
    ("confirm", "先等下 我还没看完", False, None),  # not a yes: asked again, never submitted
    ("commitment_accepted", "还没看完 等下", False, None),  # not consent
    ("confirm", "还有一条要加上", True, None),
    ("confirm", "另外还被罚过一次", True, None),
    ("confirm", "/add_record", True, None),
    ("subject_name", "核对过了", True, None),  # not a yes/no step: as before
])
async def test_another_record_only_when_the_user_adds_one(step, text, adds, answer):
    d = CollectingDispatcher()
    slots = dict(FILLED, requested_slot=step, confirm=None, commitment_accepted=None)
    events = await ActionCollectAnotherRecord().run(
        d, tracker(text, intent="add_record", slots=slots, active_loop="application_form"), {})
    got = slot_events(events)
    if adds:
        assert got.get("collecting_record") is True and "再加一条" in said(d)
    else:  # read by the form's own yes/no reader, as if NLU had not misread it
        assert got[step] is answer and "再加一条" not in said(d)


@pytest.mark.parametrize("text, intent", [
    ("信用代码是91350100M000100Y44嘛", "ask_channels"),  # how the hand try went: a guide answer
    ("代码是不是91350100M000100Y44哦", "nlu_fallback"),
])
async def test_a_mistyped_credit_code_with_a_question_word_is_corrected_not_answered_as_a_question(text, intent):
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_uscc(text, d, tracker(text, intent=intent, confidence=0.9), {})
    assert result["uscc"] is None and result["form_failures"] == {"uscc": 1}  # it counts as a miss
    assert "校验位" in said(d) and "接着填表" not in said(d), said(d)


async def test_the_code_question_quotes_a_code_typed_earlier_that_failed():
    from actions.application_actions import ActionAskUscc

    d = CollectingDispatcher()
    await ActionAskUscc().run(d, tracker("", slots={"uscc_heard": "91510100MA6CQ7FW7X"}), {})
    assert "91510100MA6CQ7FW7X" in said(d) and "核对不上" in said(d)
    plain = CollectingDispatcher()
    await ActionAskUscc().run(plain, tracker(""), {})
    assert plain.messages == [{**plain.messages[0], "response": "utter_ask_uscc"}]


@pytest.mark.parametrize("kind, prefix", [("individual_business", "92"), ("farmer_coop", "93"), ("social_org", "5")])
async def test_the_code_question_gives_an_example_of_the_subjects_own_kind(kind, prefix):
    """Fifth hand try: a 个体户 and a 合作社 were shown an enterprise's 91… example."""
    import re

    from actions.application_actions import ActionAskUscc
    from stdnum.cn import uscc

    d = CollectingDispatcher()
    await ActionAskUscc().run(d, tracker("", slots={"subject_type": kind}), {})
    example = re.search(r"例如 ([0-9A-Z]{18})", said(d)).group(1)
    assert example.startswith(prefix) and uscc.is_valid(example) and f"以{prefix}开头" in said(d)


async def test_answering_the_code_question_forgets_the_earlier_typo():
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_uscc(
        "91510100MA6CQ7FW7R", d, tracker("91510100MA6CQ7FW7R", slots={"uscc_heard": "91510100MA6CQ7FW7X"}), {})
    assert result["uscc"] == "91510100MA6CQ7FW7R" and result["uscc_heard"] is None


async def test_a_mistyped_code_at_another_question_of_the_form_is_kept_for_the_code_question():
    text = "成都锦程商贸有限公司 91510100MA6CQ7FW7X"
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_subject_name(text, d, tracker(text), {})
    assert result["subject_name"] == "成都锦程商贸有限公司"
    assert result["uscc_heard"] == "91510100MA6CQ7FW7X" and "校验位" in said(d)


@pytest.mark.parametrize("text, accepted", [("嗯", None), ("嗯嗯", None), ("哦", None), ("恩。", None),
                                           ("同意", True), ("嗯 同意", True), ("好的", True)])
async def test_a_bare_hum_is_no_credit_commitment(text, accepted):
    """Hand try: after 「我先不承诺」 a plain 「嗯」 showed 「信用承诺：已同意」 at the summary."""
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_commitment_accepted(text, d, tracker(text), {})
    assert result["commitment_accepted"] is accepted
    if accepted is None:
        assert "明确同意" in said(d) and result["commitment_record"] is None


@pytest.mark.parametrize("step, text, slot, value", [
    ("commitment_accepted", "电话打错了，是15882345687", "agent_phone", "15882345687"),  # was read as 不同意
    ("materials_confirmed", "那经办人改成法人刘明本人嘛", "agent_name", "刘明"),          # was a guide page
])
async def test_a_field_changed_at_a_later_step_is_taken(step, text, slot, value):
    slots = dict(FILLED, legal_rep="刘明", agent_name="赵丽", requested_slot=step, **{step: None})
    d = CollectingDispatcher()
    action = ValidateApplicationForm()
    result = await getattr(action, f"validate_{step}")(text, d, tracker(text, slots=slots), {})
    assert result[slot] == value and result[step] is None  # the same step is asked again
    assert "改为" in said(d) and result.get("commitment_accepted") is None


@pytest.mark.parametrize("text", ["不同意", "我先不承诺"])
async def test_a_refusal_at_the_commitment_is_still_a_refusal(text):
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_commitment_accepted(text, d, tracker(text, slots=FILLED), {})
    assert result["commitment_accepted"] is None and "不承诺就不能提交" in said(d)


@pytest.mark.parametrize("text", ["要公开啊？公开到哪点去", "承诺会挂到网上不"])
async def test_a_question_about_the_commitment_being_public_is_answered(text):
    """Hand try: 「要公开啊？公开到哪点去」 got the court's 老赖 list page at the last step."""
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_commitment_accepted(text, d, tracker(text, slots=FILLED), {})
    assert result["commitment_accepted"] is None
    assert "承诺本身" in said(d) and "老赖" not in said(d) and "不承诺就不能提交" not in said(d)


async def test_a_material_still_missing_gets_its_upload_page(monkeypatch):
    """Hand try: after the agent was corrected, the 授权委托书 became needed and had no link; 「好了」
    only said it was missing, and the user could not upload it."""
    import actions.application_actions as module

    tokens = []

    class Client:
        async def draft_uploads(self, draft):
            return [{"material_id": "tax_paid_proof"}]

        async def create_upload_token(self, *, draft_id, material_id):
            tokens.append((draft_id, material_id))
            return {"url": f"https://example.invalid/upload/{material_id}-token"}

        async def aclose(self):
            pass

    monkeypatch.setattr(module, "case_store_client", lambda: Client())

    async def uploaded(tracker):
        return {"tax_paid_proof"}

    monkeypatch.setattr(module, "_uploaded_ids", uploaded)
    slots = dict(FILLED, legal_rep="王建国", agent_name="王小兵", upload_draft_id="chat-d1",
                 materials_confirmed=None, requested_slot="materials_confirmed")
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_materials_confirmed("好了", d, tracker("好了", slots=slots), {})
    assert result["materials_confirmed"] is None
    missing = [m for (_, m) in tokens]
    assert missing and all(dr == "chat-d1" for dr, _ in tokens)
    for m in missing:
        assert f"/upload/{m}-token" in said(d)
    assert said(d).count("回“好了”") == 0  # the question that follows says it once


async def test_the_raw_answer_to_the_legal_rep_question_never_becomes_the_agent():
    """Second hand try: 「记下了：经办人我就是老板 张有福 也是我自己来办」."""
    text = "我就是老板 张有福 也是我自己来办"
    slots = dict(FILLED, legal_rep=text, agent_name=None, requested_slot="legal_rep")
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_legal_rep(text, d, tracker(text, slots=slots), {})
    assert result["legal_rep"] == "张有福" and result.get("agent_name") in (None, "张有福")
    assert text not in said(d)


@pytest.mark.parametrize("text", ["没得手机 只有座机028-86123456", "莫得手机", "028-86123456"])
async def test_no_mobile_gets_a_way_forward(text):
    """Second hand try: 「手机号中有无效字符：没、得、手、机…」."""
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_agent_phone(text, d, tracker(text, slots=FILLED), {})
    assert result["agent_phone"] is None
    assert "无效字符" not in said(d) and "家里人" in said(d) and "窗口" in said(d)


async def test_a_social_organisation_is_asked_for_the_code_on_its_certificate():
    """Second hand try: a 协会 was told its code is on the 营业执照 (「我们协会没得营业执照啊」)."""
    from actions.application_actions import ActionAskUscc
    from bot.parsing.identifiers import check_uscc
    from bot.texts import t

    d = CollectingDispatcher()
    await ActionAskUscc().run(d, tracker("", slots={"subject_type": "social_org"}), {})
    assert "登记证书" in said(d) and "营业执照" not in said(d)
    example = t("form.ask_uscc_social_org").split("例如 ")[1].rstrip("。")
    assert check_uscc(example).ok


@pytest.mark.parametrize("text", ["案件号忘了", "查进度 但是案件号找不到了"])
async def test_a_forgotten_case_number_gets_another_way(text):
    """Second hand try: 「请发案件号和经办人手机后四位」 three times."""
    from actions.application_actions import ActionLookupCase

    d = CollectingDispatcher()
    await ActionLookupCase().run(d, tracker(text, intent="lookup_case"), {})
    assert "XF-" in said(d) and "窗口" in said(d) and "12345" in said(d) and "请发案件号" not in said(d)


UNPAID = {**ELIGIBLE, "decision_date": "2026-06-30", "obligations_fulfilled": False}


@pytest.mark.parametrize("records, intent, told", [
    ([UNPAID], "start_application", True),     # 「开始申请」 after 「暂不能申请」: said why, then the kind asked
    ([UNPAID], "inform", False),               # asked again later in the form: no repeat
    ([], "start_application", False),          # nothing described yet: just the question
    ([ELIGIBLE], "start_application", False),  # one to apply for: the form goes on with it
])
async def test_start_application_with_no_record_to_apply_for_says_so(records, intent, told):
    """Hand try 2026-12-05: 「今年6月份遭税务局罚了2万…罚款还没交」 → 暂不能申请; 「开始申请」 →
    「要修复的是哪一类记录？」 as if the record had been forgotten."""
    from actions.application_actions import ActionAskApplicationFormFactKind
    from bot.clock import today
    from bot.dialogue import record_flow

    result = record_flow.determine_for_records(records, None, today()) if records else None
    d = CollectingDispatcher()
    await ActionAskApplicationFormFactKind().run(
        d, tracker("开始申请", intent=intent, slots={"records": records, "paths_result": result}), {})
    assert d.messages[-1].get("response") == "utter_ask_fact_kind"
    assert ("现在还没有要申请的记录" in said(d)) is told
    if told:
        assert ("缴清" in said(d) or "履行" in said(d)) and "详细" not in said(d)


async def test_the_legal_representative_corrected_at_the_agents_question():
    """Second hand try: 「不对 是何大民 民族的民」 right after 何大明 was taken got 「请只发经办人的姓名」
    and the wrong legal representative stayed."""
    d = CollectingDispatcher()
    text = "不对 是何大民 民族的民"
    result = await ValidateApplicationForm().validate_agent_name(
        text, d, tracker(text, slots={"legal_rep": "何大明", "requested_slot": "agent_name",
                                      "agent_name": text}), {})  # as rasa-sdk hands it: the candidate in its slot
    assert result["legal_rep"] == "何大民" and result["agent_name"] is None
    assert "何大民" in said(d) and "经办人的姓名" not in said(d)


@pytest.mark.parametrize("text", ["确认提交", "提交", "交"])
async def test_sending_the_form_is_not_the_commitment(text):
    """Third hand try: 「不同意」 at the commitment, then 「确认提交」 → 「信用承诺：已同意」."""
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_commitment_accepted(
        text, d, tracker(text, slots={"requested_slot": "commitment_accepted"}), {})
    assert result["commitment_accepted"] is None and result["commitment_record"] is None
    assert "信用承诺" in said(d)


@pytest.mark.parametrize("text", ["我没同意承诺哦", "我不同意承诺 先不交"])
async def test_the_commitment_taken_back_at_the_summary(text):
    d = CollectingDispatcher()
    slots = {**FILLED, "commitment_accepted": True, "commitment_record": {"words": "同意"}, "requested_slot": "confirm"}
    result = await ValidateApplicationForm().validate_confirm(text, d, tracker(text, slots=slots), {})
    assert result["commitment_accepted"] is None and result["confirm"] is None
    assert "不会提交" in said(d)


async def test_agreeing_then_submitting_is_still_agreement():
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_commitment_accepted(
        "同意 提交", d, tracker("同意 提交", slots={"requested_slot": "commitment_accepted"}), {})
    assert result["commitment_accepted"] is True


@pytest.mark.parametrize("text, rep, agent", [
    ("刘建华 我是会计我来办 我叫陈静 电话13908175566", "刘建华", "陈静"),
    ("我老汉叫杨德明 我叫杨磊", "杨德明", "杨磊"),
])
async def test_two_people_named_at_the_legal_representatives_question(text, rep, agent):
    """Third hand try: the agent was taken and the legal representative asked again
    (「请只发法定代表人…的姓名」)."""
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_legal_rep(
        text, d, tracker(text, slots={"requested_slot": "legal_rep", "legal_rep": text}), {})
    assert result["legal_rep"] == rep and result.get("agent_name") == agent


async def test_a_record_that_must_be_corrected_first_is_said_in_one_short_bubble():
    """Third hand try: 「地址联系不上」 inside the form got the whole explanation (~700 characters:
    channels, seven materials, three citations) and a reminder offer that has no date."""
    d = CollectingDispatcher()
    state = {"fact_kind": "abnormal_list", "fact_department": "market_regulation", "fact_date": "2026-03-01",
             "fact_reason": "unreachable"}
    result = await ValidateApplicationForm().validate_fact_corrected(
        "还没有", d, tracker("还没有", slots=state, active_loop="application_form"), {})
    assert result["records"][0]["kind"] == "abnormal_list"
    assert len(said(d)) <= 200 and "变更登记" in said(d) and "到期提醒我" not in said(d)


async def test_the_phone_that_proves_the_case_is_no_change_of_the_phone():
    """Review: for another chat's case, the full phone sent at 「请发…完整手机号」 was read as the
    change (「把手机号改为…，确定吗？」)."""
    from actions.aftercare_actions import ValidateAmendForm

    told = tracker("13980001234", slots={"requested_slot": "pending_phone", "pending_case_no": "XF-20261125-16953"})
    assert await ValidateAmendForm().extract_amend_change(CollectingDispatcher(), told, {}) == {}
    asked = tracker("手机号改成13980001234", slots={"requested_slot": "amend_change"})
    change = (await ValidateAmendForm().extract_amend_change(CollectingDispatcher(), asked, {}))["amend_change"]
    assert (change["slot"], change["value"]) == ("agent_phone", "13980001234")


async def test_a_mistyped_case_number_at_a_withdrawal_is_asked_once_more():
    """Review: one wrong digit ended the withdrawal with 「这次先不办」 at once."""
    from actions.aftercare_actions import ValidateWithdrawForm

    text = "XF-20261125-16950"  # check digit wrong
    d = CollectingDispatcher()
    first = await ValidateWithdrawForm().validate_pending_case_no(
        None, d, tracker(text, slots={"requested_slot": "pending_case_no"}), {})
    assert "对不上" in said(d) and "withdraw_confirm" not in first
    again = CollectingDispatcher()
    second = await ValidateWithdrawForm().validate_pending_case_no(
        None, again, tracker(text, slots={"requested_slot": "pending_case_no", "form_failures": first["form_failures"]}), {})
    assert second["withdraw_confirm"] is False and "先不办" in said(again)


@pytest.mark.parametrize("text", ["算了 不加了", "没得别的记录了 直接提交", "不是加记录 点错了"])
async def test_no_more_records_while_one_is_added_goes_back_to_the_summary(text):
    """Sixth hand try: after 「好的，再加一条记录」 every way out got 「没听明白是哪类记录」."""
    slots = dict(FILLED, collecting_record=True, confirm=None, requested_slot="fact_kind", fact_kind=text)
    d = CollectingDispatcher()
    domain = {"forms": {"application_form": {"required_slots": ["fact_kind", "subject_name", "confirm"]}}}
    events = await ValidateApplicationForm().run(d, tracker(text, slots=slots, active_loop="application_form"), domain)
    s = slot_events(events)
    assert s["collecting_record"] is False and s["fact_kind"] is None and s["requested_slot"] == "confirm"
    assert "不加了" in said(d) and "没听明白" not in said(d)


async def test_the_legal_rep_named_with_the_phone_and_said_to_be_the_speaker():
    """Sixth hand try: 「我自己 张大贵 电话13700003333」 at the legal rep's question was refused, and the
    agent asked after."""
    text = "我自己 张大贵 电话13700003333"
    result = await ValidateApplicationForm().validate_legal_rep(text, CollectingDispatcher(), tracker(text), {})
    assert (result["legal_rep"], result["agent_name"], result["agent_phone"]) == ("张大贵", "张大贵", "13700003333")


async def test_how_to_send_a_photo_at_the_upload_step():
    """Sixth hand try: 「我拍了照片 咋个传」 at the upload step got the process card."""
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_materials_confirmed(
        "我拍了照片 咋个传", d, tracker("我拍了照片 咋个传", slots=FILLED), {})
    assert result["materials_confirmed"] is None and "上传链接" in said(d) and "拍照" in said(d)


@pytest.mark.parametrize("text", ["你先帮我提交嘛", "好嘛好嘛 你先提交嘛", "帮我提交嘛", "先交上去再说嘛"])
async def test_asking_to_submit_at_the_commitment_is_never_the_commitment(text):
    """Seventh hand try: 「不同意」, then 「你先帮我提交嘛」 recorded 「信用承诺：已同意」; a case followed."""
    d = CollectingDispatcher()
    result = await ValidateApplicationForm().validate_commitment_accepted(text, d, tracker(text), {})
    assert result["commitment_accepted"] is None and result["commitment_record"] is None
    assert "已同意" not in said(d)


@pytest.mark.parametrize("text", ["同意 提交吧", "好的 同意承诺", "同意并承诺", "好的 可以 提交吧", "没问题 提交"])
async def test_agreeing_with_the_undertaking_and_submitting_is_the_commitment(text):
    result = await ValidateApplicationForm().validate_commitment_accepted(text, CollectingDispatcher(), tracker(text), {})
    assert result["commitment_accepted"] is True


async def test_two_short_questions_in_the_middle_of_the_form_are_both_answered():
    """Seventh hand try: 「要好久哦 要钱不」 at the phone question got only the fee."""
    text = "要好久哦 要钱不"
    d = CollectingDispatcher()
    slots = {"fact_kind": "penalty", "fact_department": "tax"}
    result = await ValidateApplicationForm().validate_agent_phone(
        text, d, tracker(text, intent="ask_fee", confidence=0.9, slots=slots), {})
    assert result["agent_phone"] is None
    assert "不收取任何费用" in said(d) and "工作日" in said(d)


async def test_the_plain_commitment_said_many_events_ago_still_counts():
    """Review: the plain words were looked for in the last 8 events only; Rasa puts more between."""
    from bot.texts import t

    told = tracker("还是不懂", slots={})
    filler = [{"event": "slot", "name": f"s{i}", "value": None} for i in range(12)]
    told.events = [{"event": "bot", "text": t("form.commitment.ask", text="……")},
                   {"event": "bot", "text": t("form.commitment.plain")}, *filler, {"event": "user", "text": "还是不懂"}]
    d = CollectingDispatcher()
    await ValidateApplicationForm().validate_commitment_accepted("还是不懂", d, told, {})
    assert "请人帮您办" in said(d)
