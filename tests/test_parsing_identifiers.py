import pytest
from stdnum.cn import ric, uscc

from bot.parsing.identifiers import (
    MOBILE_EXAMPLE,
    RESIDENT_ID_EXAMPLE,
    USCC_EXAMPLE,
    check_mobile,
    check_resident_id,
    check_uscc,
    uscc_subject_hint,
)


def test_examples_are_valid():
    assert uscc.is_valid(USCC_EXAMPLE)
    assert ric.is_valid(RESIDENT_ID_EXAMPLE)
    assert check_mobile(MOBILE_EXAMPLE).ok


@pytest.mark.parametrize(
    "text, value",
    [
        ("91350100M000100Y43", "91350100M000100Y43"),
        ("9144030071526726XG", "9144030071526726XG"),
        ("91350100m000100y43", "91350100M000100Y43"),
        (" 9135 0100 M000 100Y43 ", "91350100M000100Y43"),
        ("91350100-M000100Y43", "91350100M000100Y43"),
        ("９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43"),
    ],
)
def test_uscc_valid(text, value):
    result = check_uscc(text)
    assert (result.ok, result.value, result.message_zh) == (True, value, "")


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("91350100M000100Y4", ["18位", "17位"]),
        ("91350100M000100Y433", ["18位", "19位"]),
        ("91350100M0001O0Y43", ["无效字符：O", "I、O、S、V、Z"]),
        ("91350100M00I10SY43", ["无效字符：I、S"]),
        ("我的代码", ["无效字符"]),
        ("91350100M000100Y44", ["校验位"]),
        ("9135010AM000100Y43", ["前8位"]),
        ("", ["18位"]),
    ],
)
def test_uscc_invalid(text, fragments):
    result = check_uscc(text)
    assert not result.ok
    for fragment in fragments:
        assert fragment in result.message_zh
    assert result.message_zh.endswith("例如：91350100M000100Y43")


@pytest.mark.parametrize(
    "code, hint",
    [
        ("91350100M000100Y43", "enterprise"),
        ("92510100MA6C8X1234", "individual_business"),
        ("93510100MA6C8X1234", "farmer_coop"),
        ("51100000500000000X", "social_org"),
        ("52510000MJ0000000X", "social_org"),
        ("11100000000013127H", None),
        ("9", None),
        ("", None),
    ],
)
def test_uscc_subject_hint(code, hint):
    assert uscc_subject_hint(code) == hint


@pytest.mark.parametrize(
    "text, value",
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        ("110105 19491231 002X", "11010519491231002X"),
        ("360426199101010071", "360426199101010071"),
    ],
)
def test_resident_id_valid(text, value):
    result = check_resident_id(text)
    assert (result.ok, result.value) == (True, value)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("11010519491231002", "17位"),
        ("11010519491231002XX", "19位"),
        ("1101051949123100AX", "无效字符：A"),
        ("110105194912310X2X", "最后一位"),
        ("110105194912310021", "校验位"),
        ("", "18位"),
    ],
)
def test_resident_id_invalid(text, fragment):
    result = check_resident_id(text)
    assert not result.ok
    assert fragment in result.message_zh
    assert result.message_zh.endswith(f"例如：{RESIDENT_ID_EXAMPLE}")


@pytest.mark.parametrize(
    "text, value",
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+86-13812345678", "13812345678"),
        ("(+86)13912345678", "13912345678"),
        ("8613812345678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("19912345678", "19912345678"),
    ],
)
def test_mobile_valid(text, value):
    result = check_mobile(text)
    assert (result.ok, result.value, result.message_zh) == (True, value, "")


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("1381234567", "10位"),
        ("138123456789", "12位"),
        ("12812345678", "13至19"),
        ("138abc45678", "无效字符"),
        ("", "11位"),
    ],
)
def test_mobile_invalid(text, fragment):
    result = check_mobile(text)
    assert not result.ok
    assert fragment in result.message_zh
    assert result.message_zh.endswith("例如：13812345678")


@pytest.mark.parametrize("check", [check_uscc, check_resident_id, check_mobile])
@pytest.mark.parametrize("text", ["😀", "x" * 5000, "\u200b", "　"])
def test_garbage_never_raises(check, text):
    assert not check(text).ok
