
import pytest

from bot.parsing.amounts import parse_amount_yuan


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2万", 20000),
        ("2万元", 20000),
        ("两万", 20000),
        ("两万块", 20000),
        ("2.5万", 25000),
        ("20000元", 20000),
        ("20,000元", 20000),
        ("1千", 1000),
        ("三千五", 3500),
        ("一万二", 12000),
        ("5000块钱", 5000),
        ("罚款3000", 3000),
        ("￥800", 800),
        ("¥ 800", 800),
        ("２万", 20000),
        ("十万元", 100000),
        ("一千零五元", 1005),
        ("五万三千二百元", 53200),
        ("罚款人民币三万元整", 30000),
        ("罚款金额：1,500元", 1500),
        ("3000多元", 3000),
        ("2024年3月罚了2万", 20000),
        ("二〇二四年三月罚了两万", 20000),
        ("马市监处罚〔2024〕193号，罚款五千元", 5000),
        ("罚款3000，滞纳金500元", 3000),
        ("2024-03-05 交了800元", 800),
    ],
)
def test_parse_amount(text, expected):
    assert parse_amount_yuan(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "〔2024〕193号",
        "马市监处罚〔2026〕193号",
        "台税稽罚[2026]018号",
        "2024年3月5日",
        "20240305",
        "13812345678",
        "罚了3个月",
        "千万别忘了",
        "一件事",
        "十分严重",
        "你好😀",
        "一百五",
        "9" * 5000 + "元",
        "罚款" + "9" * 40,
    ],
)
def test_no_amount(text):
    assert parse_amount_yuan(text) is None


def test_long_input_is_handled():
    text = "一二三四五六七八九十" * 500
    parse_amount_yuan(text)
    parse_amount_yuan("9" * 5000)


@pytest.mark.parametrize("text, yuan", [
    ("罚款3万一般失信", 30000),   # second hand try: stored as 31000
    ("罚了两千一共交了", 2000),
    ("罚款三万一千", 31000),
    ("罚款一万一", 11000),
])
def test_a_word_starting_with_yi_is_not_a_digit(text, yuan):
    assert parse_amount_yuan(text) == yuan
