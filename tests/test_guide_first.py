"""Answer first, in the user's words (issue 10): general answers, common questions, offices and
hours, plain words, details, abuse, phone-sized replies, questions versus statements."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.guide import first
from bot.guide.answer import answer, faq_answer
from bot.guide.loader import load_guide
from bot.guide.question_router import question_intent
from bot.guide.resolve import respond

TODAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def guide():
    return load_guide()


def say(intent, text, slots=None):
    return respond(intent, [], slots or {}, text, today=TODAY)


# ----- phone-sized -------------------------------------------------------------------------------
def test_every_guide_answer_fits_a_phone_screen(guide):
    for item in guide.items:
        for dept in (None, *guide.departments):
            for topic in guide.lexicon.topics:
                ans = answer(item, dept, topic, today=TODAY, guide=guide)
                assert len(ans.text) <= 300, (item, dept, topic, len(ans.text))
                assert ans.text.count(guide.caveat) <= 1
                assert ans.detail.startswith("【") and len(ans.detail) >= len(ans.text)
    for tid in guide.faq_topics:
        assert len(faq_answer(tid, guide=guide).text) <= 300, tid


def test_short_answer_offers_details_when_it_leaves_something_out():
    ans = answer("penalty_info", None, "publicity_period", today=TODAY)
    assert "回复「详细」看全部" in ans.text and "详细" in [b["title"] for b in ans.buttons]
    assert "处罚决定日期较早的" not in ans.text and "处罚决定日期较早的" in ans.detail


# ----- answer first ------------------------------------------------------------------------------
def test_publicity_question_without_item_gets_the_graded_answer_and_one_offer():
    reply = say("ask_publicity_period", "要公示多久才能修复")
    text = reply.answer.text
    assert "轻微" in text and "3个月" in text and "1年" in text and "3年" in text
    assert "请问" not in text
    assert [b["title"] for b in reply.answer.buttons] == ["行政处罚信息", "经营异常名录", "严重失信主体名单"]


def test_penalty_publicity_without_department_offers_departments():
    reply = say("ask_publicity_period", "公司遭罚款了，要公示好久才可以申请修复？")
    assert "一般失信行为：最短公示3个月" in reply.answer.text
    assert [b["title"] for b in reply.answer.buttons][:2] == ["市场监管", "税务"]


def test_how_long_until_removal_is_the_list_term_not_the_processing_time():
    reply = say("ask_time_limit", "人社局欠薪黑名单好久能移出")
    assert reply.answer.topic == "publicity_period" and "6个月" in reply.answer.text
    assert say("ask_time_limit", "黑名单移出申请交上去要审核几天").answer.topic == "time_limit"


@pytest.mark.parametrize("text, faq, fact", [
    ("年报是个啥", "annual_report", "6月30日"),
    ("年报一般几月份之前要报", "annual_report", "6月30日"),
    ("承诺书里面要写啥", "commitment", "材料真实"),
    ("修好了别的网站会不会跟着改", "result_sharing", "国家企业信用信息公示系统"),
    ("天眼查上还有记录咋办", "third_party_sites", "以信用中国为准"),
    ("处罚信息写错了咋个办", "objection_vs_repair", "异议"),
    ("当场罚了两百块要修复吗", "not_published", "不公示"),
    ("执照被吊销了能提前修复吗", "revoked_licence", "不能申请提前停止公示"),
    ("信用卡逾期能在这修复吗", "personal_credit_report", "www.pbccrc.org.cn"),
    ("被法院限高了咋办", "court_dishonest_debtor", "执行法院"),
    ("在哪里查有没有被列入异常", "where_to_check", "www.gsxt.gov.cn"),
])
def test_common_questions_are_answered_whatever_the_intent(text, faq, fact):
    reply = say("ask_conditions", text)
    assert reply.answer.source == f"faq/{faq}"
    assert fact in reply.answer.text or fact in reply.answer.detail


def test_a_materials_question_about_a_credit_report_is_not_out_of_scope():
    assert say("ask_materials", "罚款修复要交哪些材料").answer.source == "penalty_info/default"


# ----- offices and hours --------------------------------------------------------------------------
@pytest.mark.parametrize("text, city", [
    ("办理的地方在哪里我在南充", "nanchong"), ("我在阆中", "nanchong"), ("西昌的去哪里办", "liangshan"),
    ("我们在双流 去哪里交材料", "chengdu"), ("江油在哪里办理", "mianyang"), ("康定有办的地方没", "ganzi"),
])
def test_a_city_or_county_picks_its_service_centre(text, city):
    reply = say("nlu_fallback", text)
    assert reply.answer.source == f"office/{city}"
    assert first.offices(load_guide())[city].name in reply.answer.text


def test_unverified_office_never_shows_an_address_and_points_to_12345(guide):
    """No source: no address, 「没有核实」 and 12345. A source that is not official: its details,
    introduced by the source and the date it was read, 「未核实」 and 12345. Official: the details
    with their source line."""
    seen = {"none": 0, "sourced": 0, "official": 0}
    for city, office in first.offices(guide).items():
        ans = first.office_answer(city, guide)
        if not office.source:
            seen["none"] += 1
            assert "12345" in ans.text and "没有核实" in ans.text and "地址：" not in ans.text, city
        elif not office.verified:
            seen["sourced"] += 1
            assert f"据{office.source}" in ans.text and office.read_on in ans.text, city
            assert "未核实" in ans.text and "12345" in ans.text, city
            assert office.address is None or f"地址：{office.address}" in ans.text, city
        else:
            seen["official"] += 1
            assert f"地址：{office.address}" in ans.text and f"来源：{office.source}" in ans.text, city
            assert guide.caveat not in ans.text, city
    assert all(seen.values()), seen


@pytest.mark.parametrize("text, name, facts", [
    ("我在宜宾 去哪里办", "宜宾市政务服务中心", ["南部新区高铁片区", "13:00-18:00", "川观新闻", "未核实", "12345"]),
    ("遂宁的窗口在哪里", "遂宁市政务服务中心", ["遂宁市市民中心3号花瓣", "遂宁市政务服务管理局", "没有写"]),
    ("我们在郫都 去哪里交材料", "郫都区政务服务中心", ["德源北路二段555号", "028-68963000", "未核实"]),
    ("办理的地方在哪里我在南充", "南充市政务服务中心", ["没有核实", "12345"]),
])
def test_a_centre_says_what_its_source_states_and_no_more(text, name, facts):
    reply = say("nlu_fallback", text).answer.text
    assert name in reply and all(f in reply for f in facts), reply


def test_sourced_hours_are_the_hours_asked_for_and_plain_keeps_them_whole():
    office = say("nlu_fallback", "我在宜宾 去哪里办")
    hours = say("nlu_fallback", "办公时间几点", office.slots)
    assert "13:00-18:00" in hours.answer.text and "未核实" in hours.answer.text
    plain = say("ask_plain", "听不懂", hours.slots).answer.text
    assert "9:00-12:00，13:00-18:00" in plain and "12345" in plain and "川观" not in plain


def test_every_city_of_sichuan_is_listed(guide):
    assert len(first.offices(guide)) == 21


def test_ambiguous_county_asks_which_city():
    assert "哪个市" in say("ask_office", "市中区的窗口在哪").answer.text


def test_hours_are_answered_as_hours_and_remember_the_city():
    office = say("nlu_fallback", "我在南充 去哪里办")
    hours = say("nlu_fallback", "办公时间几点", office.slots)
    assert hours.answer.topic == "hours" and "南充" in hours.answer.text and "9:00" in hours.answer.text
    assert "办理时限" not in hours.answer.text and "工作日内作出决定" not in hours.answer.text


def test_where_to_go_without_a_city_gives_the_ways_and_asks_for_the_city():
    reply = say("nlu_fallback", "我就想晓得去哪里办")
    assert "政务服务中心" in reply.answer.text and "哪个市（州）" in reply.answer.text


# ----- plain words, details, abuse ----------------------------------------------------------------
@pytest.mark.parametrize("text", ["听不懂", "太长了看不懂 说简单点", "说简单点", "看不太懂"])
def test_plain_words_re_say_the_last_answer_without_citations(text):
    last = say("ask_time_limit", "经营异常名录移出要几个工作日")
    plain = say("nlu_fallback", text, last.slots)
    body = plain.answer.plain
    assert "5个工作日" in plain.answer.text
    assert "《" not in plain.answer.text and "依据" not in plain.answer.text
    assert body.count("。") <= 4  # lead + at most three sentences
    assert "12345" in plain.answer.text and "转人工" in [b["title"] for b in plain.answer.buttons]


def test_plain_words_without_a_last_answer_still_explain_and_offer_a_human():
    reply = say("nlu_fallback", "听不懂")
    assert "没太明白" not in reply.answer.text and "12345" in reply.answer.text


def test_details_give_the_whole_last_answer():
    last = say("ask_publicity_period", "行政处罚公示期多久")
    more = say("nlu_fallback", "详细", last.slots)
    assert "处罚决定日期较早的" in more.answer.text and "来源：办事指引" in more.answer.text


def test_abuse_gets_a_calm_reply_and_the_human_option():
    reply = say("nlu_fallback", "你个傻逼机器人")
    assert "转人工" in [b["title"] for b in reply.answer.buttons] and "12345" in reply.answer.text
    assert "没太明白" not in reply.answer.text


@pytest.mark.parametrize("text", ["你是不是傻哦", "瓜娃子 听不懂人话", "啥玩意 太笨了"])
def test_a_plain_complaint_gets_an_apology_first(text):
    """Hand try: 「你是不是傻哦」 got a guide suggestion, no apology."""
    reply = say("nlu_fallback", text)
    assert reply.answer.kind == "abuse" and reply.answer.text.startswith("抱歉")


def test_a_waste_company_is_not_abuse():
    assert say("ask_materials", "我们是垃圾处理公司被环保局罚了款，修复要交哪些材料").answer.kind != "abuse"


# ----- questions versus statements ------------------------------------------------------------------
@pytest.mark.parametrize("text, intent", [
    ("被罚款了，要公示多久", "ask_publicity_period"),
    ("为什么公司会进经营异常名录", "ask_applicability"),
    ("前年被税务罚过款，现在能不能把记录撤了", "ask_conditions"),
    ("3月10号被市场监管局罚了2万，已经交了", None),
    ("我们公司去年3月被市场监管局罚了2万，已经交了，现在能修复不？", None),
    ("帮我看看我的记录能不能修复", None),
    ("年报没报被列异常了，现在补报了，可以修复不", None),
])
def test_a_question_is_told_apart_from_a_statement_of_facts(text, intent):
    assert question_intent(text) == intent


def test_is_question(guide):
    assert first.is_question("被罚款了，要公示多久", guide)
    assert not first.is_question("3月10号被市场监管局罚了2万，已经交了", guide)


# ----- the hand try of 2026-12-01 (issue 9): 「要好久才弄得好哦」, refusals, a shop's name ----------
@pytest.mark.parametrize("text, slots, topic", [
    ("要好久才弄得好哦", {"item": "abnormal_list"}, "time_limit"),     # how long the department takes
    ("搞定要好久嘛", {"item": "penalty_info"}, "time_limit"),
    ("好久才能移出嘛", {"item": "abnormal_list"}, "publicity_period"),  # when one may apply
])
def test_how_long_is_answered_not_offered_as_two_buttons(text, slots, topic):
    reply = say("nlu_fallback", text, slots)
    assert reply.answer.topic == topic and reply.answer.kind != "suggest", reply.answer.text
    assert reply.answer.item == slots["item"]


def test_what_to_do_about_a_listing_is_the_process_not_who_is_listed():
    reply = say("ask_applicability", "我们屋头那个小卖部遭列进经营异常了 年报忘求了报 咋个整嘛")
    assert reply.answer.topic == "process" and reply.answer.item == "abnormal_list"
    assert "补报年报" in reply.answer.text
    # a real question about who is listed is not turned into the process
    assert say("ask_applicability", "哪些情况会被列入经营异常名录").answer.topic != "process"


@pytest.mark.parametrize("text, commitment", [
    ("不得行 我不想承诺", True), ("我不承诺", True), ("拒绝承诺", True),
    ("不办了", False), ("算了 不弄了", False), ("我不想填了", False), ("先不提交", False),
])
def test_a_refusal_without_a_form_is_acknowledged(text, commitment):
    reply = say("ask_materials", text)
    assert reply.answer.kind == "refusal", reply.answer.text
    assert "不会提交" in reply.answer.text and "申请材料" not in reply.answer.text
    assert ("信用承诺" in reply.answer.text) is commitment


@pytest.mark.parametrize("text", ["不承诺可以吗", "不是本人可以代办不", "我不想去现场 能网上办吗", "没有营业执照怎么办",
                                  "我不是法人能办吗", "不得行"])
def test_questions_and_bare_words_are_not_refusals(text):
    assert first.refusal_answer(text) is None


def test_a_district_inside_a_shops_name_is_not_where_the_user_is(guide):
    assert first.find_city("嗯 我是老板本人 店名叫锦江区王二孃便利店 电话13912345678", guide) == (None, None)
    assert first.find_city("我在锦江区 去哪里办", guide)[0] == "chengdu"



# ----- a date said in the question: what it means today, by grade (bot/guide/when_said.py) ------------
@pytest.mark.parametrize("question, today, wanted", [
    # 前年 = 2024, counted from 31 December 2024: the serious grade's 1 year is over
    ("前年被税务罚过款，现在能不能把记录撤了", dt.date(2026, 11, 25), ["最晚算到2024年12月31日", "严重的现在就可以申请"]),
    # 今年10月 (by 31 October 2026): general 3 months → 2027, serious 1 year → November 2027
    ("今年10月被罚的 要公示多久", dt.date(2026, 11, 25), ["一般的2027年2月1日起可以申请", "严重的2027年11月1日起可以申请"]),
    ("2026年11月1日税务罚款 多久能修复", dt.date(2026, 11, 25), ["按2026年11月1日作出的处罚算", "轻微的现在就可以申请"]),
])
def test_a_date_in_the_question_is_worked_out_for_each_grade(question, today, wanted):
    intent = "ask_conditions" if "能不能" in question else "ask_publicity_period"
    text = respond(intent, [], {}, question, today=today).answer.text
    first_line = text.split("\n")[0]
    for want in wanted:
        assert want in first_line, text
    assert len(text) <= 400


def test_the_date_line_also_answers_whether_repair_applies():
    """The smaller DIET of 2026-12-05 reads 「…现在能不能把记录撤了」 as ask_applicability: the date's
    line still comes first (the stack test of issue 10 caught it)."""
    text = respond("ask_applicability", [{"entity": "department", "value": "tax"}], {},
                   "前年被税务罚过款，现在能不能把记录撤了", today=dt.date(2026, 11, 25)).answer.text
    assert text.split("\n")[0].startswith("按您说的前年") and "严重的现在就可以申请" in text


def test_no_date_or_another_item_gets_no_date_line():
    assert not say("ask_conditions", "税务处罚修复要什么条件").answer.text.startswith("按")
    assert not say("ask_conditions", "去年进了经营异常名录 能移出吗").answer.text.startswith("按")


@pytest.mark.parametrize("text", ["办理信用修复收不收费", "网上那个在线申请修复的按钮是灰的点不动", "修复以后联合惩戒还有没得",
                                  "处罚信息写错了是申请修复还是提异议", "处罚记录修复收不收钱哦"])
def test_questions_with_a_negation_are_not_refusals(text):
    """Held-out questions the first refusal reader took for refusals (eval of 2026-12-01)."""
    assert first.refusal_answer(text) is None


def test_when_to_apply_after_paying_is_the_publicity_period_not_the_time_limit():
    assert say("nlu_fallback", "罚款交了好久可以申请撤记录", {"item": "penalty_info"}).answer.topic == "publicity_period"


def test_materials_words_turn_who_is_listed_into_what_to_bring():
    reply = say("ask_applicability", "我是会计 帮老板问一下 年报没报进了异常名录 要带啥子去办")
    assert reply.answer.topic == "materials" and reply.answer.item == "abnormal_list", reply.answer.text


@pytest.mark.parametrize("text, progress", [
    ("我上个月申请的修复 现在咋样了", True), ("提交了好几天了 怎么还没消息", True), ("我们的案件办到哪了", True),
    ("申请后多久出结果", False), ("黑名单移出申请交了好久有结果", False), ("年报补报了咋样了", False),
])
def test_a_question_about_ones_own_case_gets_the_look_up(text, progress):
    reply = say("nlu_fallback", text)
    assert (reply.answer.kind == "progress") is progress, reply.answer.text
    if progress:
        assert "案件号" in reply.answer.text and "后四位" in reply.answer.text


@pytest.mark.parametrize("text, ranking, kept", [
    ("补了", [("cancel", 0.6), ("affirm", 0.3)], "affirm"),           # hand try: 「申请已取消」
    ("年报补报了", [("cancel", 0.5), ("inform", 0.4)], "inform"),
    ("不办了", [("cancel", 0.9), ("deny", 0.1)], "cancel"),
    ("算了不弄了", [("cancel", 0.9), ("deny", 0.1)], "cancel"),
    ("/cancel", [("cancel", 1.0)], "cancel"),
    ("代码在哪看", [("withdraw_application", 0.7), ("ask_channel", 0.2)], "ask_conditions"),  # hand try
    ("统一社会信用代码在哪里看得到", [("withdraw_application", 0.6), ("ask_channel", 0.3)], "ask_conditions"),
    ("撤回申请", [("withdraw_application", 0.9), ("cancel", 0.1)], "withdraw_application"),
    ("那个申请不要了", [("withdraw_application", 0.6), ("cancel", 0.3)], "cancel"),
    # a bare phone or tail is the look-up's credential (DIET: goodbye, 「好的，再见！」)
    ("1234", [("goodbye", 0.86), ("inform", 0.11)], "lookup_case"),
    ("139 8000 1234", [("goodbye", 0.86), ("inform", 0.11)], "lookup_case"),
    ("尾号是1234", [("lookup_case", 0.9)], "lookup_case"),
    ("罚了5000", [("inform", 0.8)], "inform"),
    ("2025年3月", [("inform", 0.8)], "inform"),
    ("你说的啥子哦", [("bot_challenge", 0.9)], "ask_plain"),   # fifth hand try: 「我是…智能助手」
    ("你是机器人吗", [("bot_challenge", 0.9)], "bot_challenge"),
    ("你说的啥子决定书哦", [("bot_challenge", 0.6), ("ask_conditions", 0.3)], "bot_challenge"),  # not a plain request
    ("删除第1条记录", [("ask_effects", 0.6)], "remove_record"),                # fifth hand try: a guide page
    ("第1条是写错了的 删了", [("withdraw_application", 0.7)], "remove_record"),  # was a withdrawal
    ("第2条记录的日期写错了", [("correct_field", 0.9)], "correct_field"),
    ("第2个文件传错了 想删掉重新传", [("inform", 0.6)], "inform"),             # review: not a record
    ("第二个月就补报了 异常名录也去掉了", [("inform", 0.6)], "inform"),
    ("咋个弄下来嘛", [("ask_time_limit", 0.7)], "ask_process"),              # sixth hand try: 办理时限
    ("好久能弄下来", [("ask_time_limit", 0.8)], "ask_time_limit"),
    ("哦不对 是1234", [("ask_objection", 0.6)], "lookup_case"),              # sixth hand try: 异议
    ("说错了 尾号是1234", [("ask_objection", 0.6)], "lookup_case"),
])
def test_a_cancel_or_withdrawal_says_so_and_a_field_question_is_a_question(text, ranking, kept):
    from rasa.shared.nlu.training_data.message import Message

    from bot.guide.question_router import QuestionRouter

    message = Message(data={"text": text})
    message.set("intent", {"name": ranking[0][0], "confidence": ranking[0][1]}, add_to_output=True)
    message.set("intent_ranking", [{"name": n, "confidence": c} for n, c in ranking], add_to_output=True)
    QuestionRouter({}).process([message])
    assert message.get("intent")["name"] == kept


async def test_where_the_code_is_before_any_form():
    from rasa_sdk.executor import CollectingDispatcher

    from actions.guide_actions import ActionAnswerGuide
    from tests.action_helpers import said, tracker

    d = CollectingDispatcher()
    await ActionAnswerGuide().run(d, tracker("代码在哪看", intent="ask_conditions"), {})
    assert "营业执照" in said(d) and "撤回" not in said(d)


@pytest.mark.parametrize("status_record, plain", [
    ({"kind": "penalty", "department": "tax", "decision_date": "2026-06-30", "severity": "general",
      "obligations_fulfilled": False}, "要先把该办的办了"),
    ({"kind": "penalty", "department": "tax", "decision_date": "2026-03-10", "severity": "general",
      "obligations_fulfilled": True}, "现在就能申请"),
])
def test_plain_words_right_after_a_verdict_are_about_the_verdict(status_record, plain):
    """Third hand try: 「看不懂 那我到底要不要弄嘛」 after a verdict got the 人民银行征信 answer of
    before it, in plain words."""
    import datetime as dt

    from bot.dialogue import record_flow
    from bot.guide.resolve import respond

    today = dt.date(2026, 12, 5)
    result = record_flow.determine_for_records([status_record], None, today)
    reply = respond("nlu_fallback", [], {"item": None, "department": None, "topic": None,
                                         "paths_result": result, "guide_last": None},
                    "看不懂 那我到底要不要弄嘛", today=today)
    assert reply.answer.kind == "plain" and plain in reply.answer.text and "征信" not in reply.answer.text


def test_plain_words_after_a_grade_not_known_give_the_three_grades():
    """Review hand try: 「看不懂」 after the three grades' dates got 「还差一点情况没说清楚，我还不能算」."""
    import datetime as dt

    from bot.dialogue import record_flow
    from bot.guide.resolve import respond

    today = dt.date(2026, 12, 5)
    record = {"kind": "penalty", "department": "market_regulation", "decision_date": "2025-03-31",
              "severity": "unknown", "obligations_fulfilled": True}
    result = record_flow.determine_for_records([record], None, today)
    reply = respond("ask_plain", [], {"item": None, "department": None, "topic": None, "paths_result": result,
                                      "guide_last": None}, "看不懂 到底要不要弄嘛", today=today)
    assert "按三种情况" in reply.answer.text and "还不能算" not in reply.answer.text
