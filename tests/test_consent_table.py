"""The one yes / no / unclear reader, as a table of the ways real applicants answer a
confirmation (credit commitment, summary, cancel, withdraw), and the corrections said at the
summary. A refusal or anything unclear is never consent; this table is the contract."""

import pytest

from bot.dialogue import application as form
from bot.dialogue.consent import NO, UNCLEAR, YES, read_consent

YES_PHRASES = [
    "同意", "同意并承诺", "我同意", "我承诺", "承诺", "确认提交", "确认", "确定", "是的", "是", "好的", "好",
    "好嘞", "可以", "可以的", "没问题", "行", "行的", "中", "要得", "对头", "对的", "对", "没错", "嗯嗯", "ok",
    "OK的", "好的 提交吧", "我已阅读并同意", "同意，提交吧", "都对 提交", "信息无误", "确认无误", "没毛病",
    "得行", "阔以", "好滴", "👌", "没得问题", "莫得问题", "没有问题，提交", "可以提交了", "对的对的",
    "同意承诺", "我愿意承诺", "没意见", "核对过了 没问题", "要得要得", "对头 交嘛", "好的呢",
]
NO_PHRASES = [
    # quoted in issue 9
    "我不想承诺", "不可以", "不对", "先别提交 我再核对下", "不太对", "对不上", "拒绝承诺", "不愿意承诺",
    "不能承诺", "暂时不提交", "不提交", "别提交", "算了", "再想想",
    # more real refusals and delays
    "不同意", "不行", "不得行", "要不得", "不中", "不要", "不了", "等一下", "等等 我问下老板", "我考虑一下",
    "我再看看", "先不弄了", "不承诺", "不愿意", "承诺个锤子", "no", "否", "暂不提交", "不想提交", "我不确认",
    "没同意", "莫慌 我再看下", "取消", "不办了", "我不同意这个承诺", "这个承诺我不签", "不签",
    "先放一哈 明天再说", "稍等", "我还要核对一下", "错了", "有错", "别急 还有个地方不对",
]
UNCLEAR_PHRASES = [
    "不确定", "嗯？", "承诺书写的啥", "要承诺什么", "这个是啥意思", "可以吗", "同意了会怎样？", "我不知道",
    "听不懂", "随便", "你说呢", "为什么要承诺", "承诺了有什么后果", "是不是必须同意", "哦", "好像是吧",
    "请问在哪里上传", "1", "在吗", "我同意，但是电话要改一下", "应该没问题吧", "看不懂这些", "啊",
    "你们是政府的吗", "交了钱没有", "", "   ", "好了", "好了好了", "行了", "够了",
]


@pytest.mark.parametrize("text", YES_PHRASES)
def test_explicit_agreement_is_yes(text):
    assert read_consent(text).answer == YES, read_consent(text)


@pytest.mark.parametrize("text", NO_PHRASES)
def test_a_refusal_is_never_consent(text):
    assert read_consent(text).answer == NO, read_consent(text)


@pytest.mark.parametrize("text", UNCLEAR_PHRASES)
def test_unclear_is_never_consent(text):
    assert read_consent(text).answer == UNCLEAR, read_consent(text)


STATE = {"subject_name": "成都锦程商贸有限公司", "uscc": "91510100MA6CQ7FW7R", "legal_rep": "张德桂",
         "agent_name": "张德桂", "agent_phone": "13912345678"}
TWO_PEOPLE = {**STATE, "legal_rep": "王建国", "agent_name": "李美"}

CORRECTIONS = [
    # (what the user says at the summary, state, slot, new value, also)
    ("名字不对 就是张德贵三个字", STATE, "legal_rep", "张德贵", ("agent_name",)),
    ("电话不对", STATE, "agent_phone", None, ()),
    ("电话不对 是13912345679", STATE, "agent_phone", "13912345679", ()),
    ("手机号写错了，应该是13812345678", STATE, "agent_phone", "13812345678", ()),
    ("信用代码错了", STATE, "uscc", None, ()),
    ("代码是92510107MA62L8K3XB", STATE, "uscc", "92510107MA62L8K3XB", ()),
    ("公司名称打错了 是成都锦城商贸有限公司", STATE, "subject_name", "成都锦城商贸有限公司", ()),
    ("法人应该是王建国", TWO_PEOPLE, "legal_rep", "王建国", ()),
    ("经办人改成李梅", TWO_PEOPLE, "agent_name", "李梅", ()),
    ("经办人名字错了 是李梅", TWO_PEOPLE, "agent_name", "李梅", ()),
    ("13912345670", STATE, "agent_phone", "13912345670", ()),
    ("手机号写错了", STATE, "agent_phone", None, ()),
]


@pytest.mark.parametrize("text, state, slot, value, also", CORRECTIONS)
def test_naming_a_field_as_wrong_is_a_correction_with_its_new_value(text, state, slot, value, also):
    reply = form.read_summary_reply(text, state)
    assert reply.answer == "correction", reply
    assert (reply.correction.slot, reply.correction.value, reply.correction.also) == (slot, value, also)


@pytest.mark.parametrize("text", ["名字写错了 咋个改", "不对 有个地方错了", "日期错了"])
def test_a_wrong_field_that_is_not_named_asks_which(text):
    reply = form.read_summary_reply(text, STATE)
    assert reply.answer == "correction" and reply.correction.slot is None, reply


def test_record_corrections_keep_their_index():
    reply = form.read_summary_reply("第2条记录的日期不对", STATE)
    assert reply.answer == "correction" and reply.correction == form.Correction("fact_date", 1)


@pytest.mark.parametrize("text", ["确认提交", "都对，提交", "没问题", "电话没错 提交吧", "对头"])
def test_agreeing_at_the_summary_submits(text):
    assert form.read_summary_reply(text, STATE).answer == YES


@pytest.mark.parametrize("text", NO_PHRASES + UNCLEAR_PHRASES)
def test_no_refusal_or_unclear_answer_submits_the_summary(text):
    assert form.read_summary_reply(text, STATE).answer != YES


@pytest.mark.parametrize("text, answer", [
    ("好了", YES), ("传好了", YES), ("不需要上传", YES), ("没有要传的", YES), ("还没", NO), ("还没传好", NO),
    ("传不上去", NO), ("咋个传", UNCLEAR),
    ("传了", YES), ("发了", YES), ("传上去了", YES), ("还没传了", NO),   # fourth hand try: 「传了」 not understood
])
def test_materials_done_or_not(text, answer):
    assert read_consent(text, materials=True).answer == answer


def test_the_table_has_at_least_100_real_phrasings():
    phrases = YES_PHRASES + NO_PHRASES + UNCLEAR_PHRASES + [c[0] for c in CORRECTIONS]
    assert len(set(phrases)) >= 100
