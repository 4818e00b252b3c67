"""Facts of a credit record from one free Chinese sentence, and short answers to one question."""
from datetime import date

import pytest

from bot.facts import DateValue, extract_answer, extract_record_facts
from bot.guide.loader import load_guide
from bot.parsing import parse_amount_yuan
from bot.rules.inputs import parse_payload

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def guide():
    return load_guide()


def facts(text, guide):
    return extract_record_facts(text, TODAY, guide)


# ----- whole records ---------------------------------------------------------------------------
# text -> the exact record
RECORDS = [
    ("我们公司去年3月被市场监管局罚了2万，已经交了，现在能修复不？",
     {"kind": "penalty", "department": "market_regulation", "decision_date": "2025-03-01",
      "penalties": ["fine"], "fine_amount": 20000, "obligations_fulfilled": True}),
    ("2024年3月5日税务局罚款两万元还没交",
     {"kind": "penalty", "department": "tax", "decision_date": "2024-03-05",
      "penalties": ["fine"], "fine_amount": 20000, "obligations_fulfilled": False}),
    ("我们个体户遭市监局罚了三千块，钱早就交了撒",
     {"kind": "penalty", "department": "market_regulation", "penalties": ["fine"],
      "fine_amount": 3000, "obligations_fulfilled": True}),
    ("年报忘了报被列入经营异常了，现在补报了",
     {"kind": "abnormal_list", "reason": "annual_report", "corrected": True}),
    ("公司上了人社的拖欠工资黑名单，工资上个月已经全部付清了",
     {"kind": "serious_list", "department": "hrss", "corrected": True, "corrected_date": "2026-10-01"}),
    ("成市监罚字〔2025〕第12号",
     {"kind": "penalty", "decision_number": "成市监罚字〔2025〕12号"}),
    ("你好", {}),
    ("", {}),
    # a second date near 交 is the fulfilment date
    ("去年5月被交通局罚了500，今年1月交的罚款",
     {"kind": "penalty", "department": "other", "decision_date": "2025-05-01", "penalties": ["fine"],
      "fine_amount": 500, "obligations_fulfilled": True, "fulfilled_date": "2026-01-01", "authority_name": "交通局"}),
    ("罚款5000元，2025年1月3号交的",
     {"kind": "penalty", "penalties": ["fine"], "fine_amount": 5000,
      "obligations_fulfilled": True, "fulfilled_date": "2025-01-03"}),
    ("年报没报被列入经营异常，2025年7月列入的，2026年1月补报了",
     {"kind": "abnormal_list", "listed_date": "2025-07-01", "reason": "annual_report",
      "corrected": True, "corrected_date": "2026-01-01"}),
    # reasons
    ("合作社因为联系不上被列入经营异常名录",
     {"kind": "abnormal_list", "reason": "unreachable"}),
    ("协会被民政局列入活动异常名录，年度工作报告还没补报",
     {"kind": "abnormal_list", "department": "civil_affairs", "reason": "annual_report", "corrected": False}),
    ("即时信息没按时公示，被工商局列为经营异常",
     {"kind": "abnormal_list", "department": "market_regulation", "reason": "instant_info"}),
    ("公示的信息弄虚作假被列入异常名录，已经改正了",
     {"kind": "abnormal_list", "reason": "false_info", "corrected": True}),
    # serious lists
    ("2025年6月被列入严重违法失信名单",
     {"kind": "serious_list", "listed_date": "2025-06-01"}),
    ("统计严重失信企业", {"kind": "serious_list", "department": "statistics"}),
    # procedure, severity, penalty types
    ("属于一般失信行为，一般程序作出的罚款",
     {"kind": "penalty", "procedure": "general", "severity": "general", "penalties": ["fine"]}),
    ("当场处罚，给了个警告", {"kind": "penalty", "procedure": "simple", "penalties": ["warning"]}),
    ("情节严重，被没收违法所得并罚款10万",
     {"kind": "penalty", "severity": "serious", "penalties": ["confiscation", "fine"], "fine_amount": 100000}),
    ("应急管理局责令停产停业，还吊销了安全生产许可证",
     {"kind": "penalty", "department": "emergency", "penalties": ["suspension", "license_revocation"]}),
    ("住建局降低资质等级，法人被限制从业", {"kind": "penalty", "department": "other", "authority_name": "住建局",
                                          "penalties": ["qualification_downgrade", "trade_ban"]}),
    ("被通报批评了，属于轻微的", {"kind": "penalty", "severity": "minor", "penalties": ["criticism"]}),
    ("轻微违法行为，简易程序罚了200", {"kind": "penalty", "procedure": "simple", "severity": "minor",
                                      "penalties": ["fine"], "fine_amount": 200}),
]


@pytest.mark.parametrize("text, expected", RECORDS)
def test_record(text, expected, guide):
    assert facts(text, guide).to_record() == expected


# text -> (date_precision, subject_type)
DETAILS = [
    ("我们公司去年3月被市场监管局罚了2万，已经交了，现在能修复不？", "month", "enterprise"),
    ("2024年3月5日税务局罚款两万元还没交", "day", None),
    ("我们个体户遭市监局罚了三千块，钱早就交了撒", None, "individual_business"),
    ("我是门店老板，前年被罚了", "year", "individual_business"),
    ("农民专业合作社去年被罚款", "year", "farmer_coop"),
    ("民办非企业单位被罚款", None, "social_org"),  # not 企业
    ("我们商会被民政局处罚", None, "social_org"),
    ("个体工商户被罚了", None, "individual_business"),  # not 工商 (market regulation)
    ("我们不是个体户，是公司，被税务局罚了", None, "enterprise"),
    ("厂里去年十月被环保局罚了", "month", "enterprise"),
]


@pytest.mark.parametrize("text, precision, subject", DETAILS)
def test_precision_and_subject(text, precision, subject, guide):
    f = facts(text, guide)
    assert (f.date_precision, f.subject_type) == (precision, subject)


def test_individual_business_has_no_department_from_gongshang(guide):
    assert facts("个体工商户被罚了", guide).department is None


def test_month_precision_of_both_dates(guide):
    f = facts("公司上了人社的拖欠工资黑名单，工资上个月已经全部付清了", guide)
    assert f.precisions() == {"corrected_date": "month"}
    assert f.corrected_date == date(2026, 10, 1) and f.listed_date is None
    f = facts("我们公司去年3月被市场监管局罚了2万，已经交了", guide)
    assert f.precisions() == {"decision_date": "month"}
    assert f.decision_date == date(2025, 3, 1) and f.fulfilled_date is None


# ----- department words from the guide, longest first --------------------------------------------
@pytest.mark.parametrize("text, department", [
    ("市场监督管理局罚的", "market_regulation"),
    ("市场局罚的", "market_regulation"),
    ("市监局罚的", "market_regulation"),
    ("工商局罚的", "market_regulation"),
    ("税务稽查局罚的", "tax"),
    ("人力资源和社会保障局罚的", "hrss"),
    ("劳动保障监察罚的", "hrss"),
    ("安监局罚的", "emergency"),
    ("发改委罚的", "development_reform"),
    ("统计局罚的", "statistics"),
    ("城管罚的", "other"),
    ("不是税务局罚的，是应急局", "emergency"),
    ("市场上卖东西被罚了", None),  # 市场 alone is not a department
])
def test_department(text, department, guide):
    assert facts(text, guide).department == department


def test_department_words_come_from_the_guide(guide):
    # every alias, short and name of every department is understood
    for code, dept in guide.departments.items():
        for word in (*dept["aliases"], dept["short"], dept["name"]):
            assert extract_answer("department", word, TODAY, guide) == code, word


def test_item_words_come_from_the_guide(guide):
    kinds = {"penalty_info": "penalty", "abnormal_list": "abnormal_list", "serious_list": "serious_list"}
    for item, data in guide.items.items():
        for word in (*data["aliases"], data["short"]):
            assert extract_answer("kind", word, TODAY, guide) == kinds[item], word


# ----- duties: negation wins, the last statement wins, hypotheticals do not count -----------------
@pytest.mark.parametrize("text, done", [
    ("罚款已付", True),
    ("罚款已缴纳", True),
    ("罚款缴清了", True),
    ("已履行完毕", True),
    ("罚款还没交", False),
    ("罚款未缴", False),
    ("罚款没有履行", False),
    ("之前没交，现在交了", True),
    ("交了一部分罚款，还差一万", False),
    ("缴清罚款后能修复吗", None),
    ("如果交了罚款能修复吗", None),
    ("罚款交了吗", None),
    ("罚款还没交会不会被列入黑名单", False),
    ("年报没报被列入经营异常", None),  # the cause of the listing, not the current state
    ("还没整改", False),
    ("正在整改", False),
    ("整改完了", True),
])
def test_duty_done(text, done, guide):
    assert facts(text, guide).done is done


@pytest.mark.parametrize("text, kind", [
    ("罚款还没交会不会被列入黑名单", "penalty"),  # the list is a worry, not a fact
    ("没被列入经营异常，就是被罚了款", "penalty"),
    ("罚款没交被列入严重违法失信名单", "serious_list"),  # the list is the current state
    ("年报没报被列异常", "abnormal_list"),
    ("属于严重失信行为，罚款5万", "penalty"),  # a grading, not the serious list
    ("被列入严重违法失信企业名单", "serious_list"),
])
def test_kind(text, kind, guide):
    assert facts(text, guide).kind == kind


# ----- other details ----------------------------------------------------------------------------
def test_amount_is_the_fine_not_the_turnover(guide):
    assert facts("营业额100万，罚了2万", guide).fine_amount == 20000


def test_one_half_is_not_one_yuan():
    # bot/parsing fix: 一部分 / 一半 after 交了 is no amount of money
    assert parse_amount_yuan("交了一部分") is None
    assert parse_amount_yuan("交了一半") is None
    assert parse_amount_yuan("交了3000") == 3000


def test_future_date_is_ignored(guide):
    f = facts("明年3月被罚款", guide)
    assert f.date is None and any("将来" in w for w in f.matched["ignored"])


def test_matched_words_for_debugging(guide):
    f = facts("我们公司去年3月被市场监管局罚了2万，已经交了", guide)
    assert f.matched["department"] == ["市场监管局"]
    assert f.matched["subject_type"] == ["公司"]
    assert f.matched["date"] == ["去年3月"]
    assert f.matched["done"] == ["已经交了"]


def test_emoji_and_long_input(guide):
    f = facts("🙂🙂被罚了😭2万，👍已经交了", guide)
    assert f.to_record() == {"kind": "penalty", "penalties": ["fine"], "fine_amount": 20000,
                             "obligations_fulfilled": True}
    long_text = "我们公司去年3月被市场监管局罚了2万，已经交了。" + "啊😀罚款交了没交，" * 600
    assert len(long_text) > 5000
    f = facts(long_text, guide)
    assert f.kind == "penalty" and f.department == "market_regulation"
    facts("罚" * 5000, guide)
    facts("2024年3月5日" * 600, guide)


def test_to_record_with_kind_given_later(guide):
    f = facts("去年5月8号的，已经交了", guide)
    assert f.to_record() == {}
    assert f.to_record(kind="penalty") == {"kind": "penalty", "decision_date": "2025-05-08",
                                           "obligations_fulfilled": True}


def test_rules_record_is_accepted_by_the_engine(guide):
    f = facts("年报没报被列入经营异常，2025年7月列入的，2026年1月补报了，文号成市监罚字〔2025〕第12号", guide)
    record = f.to_rules_record()
    assert "decision_number" not in record and "corrected_date" not in record
    case = parse_payload({"as_of": "2026-11-25", "records": [{**record, "department": "market_regulation"}]},
                         guide.departments)
    assert case.records[0].listed_date == date(2025, 7, 1) and case.records[0].corrected is True


# ----- answers to one question ------------------------------------------------------------------
ANSWERS = [
    # kind
    ("kind", "罚款", "penalty"),
    ("kind", "经营异常", "abnormal_list"),
    ("kind", "黑名单", "serious_list"),
    ("kind", "年报没报被列异常", "abnormal_list"),
    ("kind", "penalty", "penalty"),
    ("kind", "不知道", None),
    # department
    ("department", "税务局", "tax"),
    ("department", "市场监督管理局", "market_regulation"),
    ("department", "其他", "other"),
    ("department", "market_regulation", "market_regulation"),
    ("department", '/inform{"department": "tax"}', "tax"),
    ("department", "no_such_code", None),
    ("department", "不记得了", None),
    # dates
    ("decision_date", "去年5月8号", "2025-05-08"),
    ("decision_date", "2025-05-08", "2025-05-08"),
    ("decision_date", "明年", None),
    ("listed_date", "前年三月", "2024-03-01"),
    ("corrected_date", "上个月", "2026-10-01"),
    # severity
    ("severity", "一般", "general"),
    ("severity", "轻微", "minor"),
    ("severity", "情节严重", "serious"),
    ("severity", "不严重，一般吧", "general"),
    ("severity", "不清楚", "unknown"),
    ("severity", "serious", "serious"),
    # procedure
    ("procedure", "简易程序", "simple"),
    ("procedure", "当场开的罚单", "simple"),
    ("procedure", "普通程序", "general"),
    ("procedure", "一般", "general"),
    ("procedure", "general", "general"),
    ("procedure", "不知道", None),
    # obligations fulfilled
    ("obligations_fulfilled", "是的", True),
    ("obligations_fulfilled", "交了", True),
    ("obligations_fulfilled", "嗯，早交了", True),
    ("obligations_fulfilled", "没有", False),
    ("obligations_fulfilled", "还没交", False),
    ("obligations_fulfilled", "不是", False),
    ("obligations_fulfilled", "交了一半", False),
    ("obligations_fulfilled", "true", True),
    ("obligations_fulfilled", "false", False),
    ("obligations_fulfilled", "不知道", None),
    # 没得/莫得 = 没有, 要得 = OK, 晓得 = know: not 得 'must' before 交了 (it read 「没得问题 交了」 as not paid)
    ("obligations_fulfilled", "没得问题 交了", True),
    ("obligations_fulfilled", "要得 交了", True),
    ("obligations_fulfilled", "莫得事 早都交了", True),
    ("obligations_fulfilled", "晓得了 交了", True),
    ("obligations_fulfilled", "莫得问题", True),
    ("obligations_fulfilled", "没得", False),
    ("obligations_fulfilled", "要交了才能修吗", None),
    # corrected
    ("corrected", "整改完了", True),
    ("corrected", "年报补了", True),
    ("corrected", "已经补报", True),
    ("corrected", "还没整改", False),
    ("corrected", "没补报", False),
    ("corrected", '/affirm{"corrected": true}', True),
    ("corrected", "false", False),
    # reason
    ("reason", "年报没报", "annual_report"),
    ("reason", "即时信息没公示", "instant_info"),
    ("reason", "隐瞒了真实情况", "false_info"),
    ("reason", "地址变了联系不上", "unreachable"),
    ("reason", "其他原因", "other"),
    ("reason", "annual_report", "annual_report"),
    # subject type
    ("subject_type", "个体户", "individual_business"),
    ("subject_type", "我们是公司", "enterprise"),
    ("subject_type", "合作社", "farmer_coop"),
    ("subject_type", "基金会", "social_org"),
    ("subject_type", "91350100M000100Y43", "enterprise"),
    ("subject_type", "enterprise", "enterprise"),
    ("subject_type", "你好", None),
    # extras
    ("fine_amount", "两万", 20000),
    ("fine_amount", "2000", 2000),
    ("penalties", "警告加罚款", ["warning", "fine"]),
    ("decision_number", "成市监罚字〔2025〕第12号", "成市监罚字〔2025〕12号"),
]


@pytest.mark.parametrize("field, text, expected", ANSWERS)
def test_answer(field, text, expected, guide):
    assert extract_answer(field, text, TODAY, guide) == expected


@pytest.mark.parametrize("text, precision", [("去年5月8号", "day"), ("去年5月", "month"), ("前年", "year")])
def test_date_answer_carries_precision(text, precision, guide):
    value = extract_answer("decision_date", text, TODAY, guide)
    assert isinstance(value, DateValue) and value.precision == precision


def test_unknown_field_is_an_error(guide):
    with pytest.raises(ValueError):
        extract_answer("colour", "红色", TODAY, guide)


@pytest.mark.parametrize("text, kind, severity", [
    # hand try: read as the serious list, the verdict said 「现在就可以申请」
    ("我们被税务局罚了，农历三月初八罚的，交了钱的，严重失信，能修复不", "penalty", "serious"),
    ("被税务局罚了，严重失信", "penalty", "serious"),
    ("被罚款了，决定书上写的严重失信行为", "penalty", "serious"),
    # a list said as such stays the list
    ("我们上了严重失信名单", "serious_list", None),
    ("被罚了款，还上了严重失信", "serious_list", None),
    ("税务局罚了款 列入严重失信了", "serious_list", None),
    ("税务局把我们列入严重失信了", "serious_list", None),
])
def test_a_bare_serious_with_a_penalty_is_the_penalty_grade(text, kind, severity):
    facts = extract_record_facts(text, TODAY)
    assert (facts.kind, facts.severity) == (kind, severity)


@pytest.mark.parametrize("text, severity", [
    ("是一般的", "general"),      # hand try: said at the date question, lost, asked again later
    ("就是一般的", "general"),
    ("是一般程序", None),         # a procedure, not a grading
    ("这是一般的情况吗", None),
])
def test_a_grading_said_as_an_answer(text, severity):
    assert extract_record_facts(text, TODAY).severity == severity


@pytest.mark.parametrize("text, kind, reason", [
    # hand try: 「抱歉，我没太明白您的问题」, the facts lost
    ("地址变了莫得改，被市场监管局弄进去的，前年十月份", "abnormal_list", "unreachable"),
    ("没报年报被列进去了", "abnormal_list", "annual_report"),
    ("我们上了年报的", None, None),     # no listing
    ("年报在哪里报", None, None),
])
def test_listed_for_a_reason_of_the_abnormal_list(text, kind, reason):
    facts = extract_record_facts(text, TODAY)
    assert (facts.kind, facts.reason) == (kind, reason)


@pytest.mark.parametrize("text, listed, corrected", [
    # second hand try: the listing date was taken as the payment date, 「上个月」 lost, and the
    # verdict said 「现在就可以申请」 for wages paid last month (six months must pass)
    ("我们被人社局列入严重失信名单 拖欠农民工工资 2024年3月1日列的 工资上个月才付清", date(2024, 3, 1), date(2026, 10, 1)),
    ("我们公司被人社局列到严重失信名单了 因为拖欠农民工工资 2024年5月10号列的 工资去年8月份全部付清了",
     date(2024, 5, 10), date(2025, 8, 1)),
])
def test_the_listing_date_and_the_correction_date_are_told_apart(text, listed, corrected):
    facts = extract_record_facts(text, TODAY)
    assert (facts.date, facts.done_date) == (listed, corrected)
