
import pytest

from bot.parsing.text import has_chinese, is_emoji_only, normalise_user_text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("９１３５０１００Ｍ", "91350100M"),
        ("ａｂｃ　ＡＢＣ", "abc ABC"),
        ("马市监处罚〔2026〕193号", "马市监处罚〔2026〕193号"),
        ("你好，我想问一下！", "你好，我想问一下！"),
        ("（杭临）市监处罚", "（杭临）市监处罚"),
        ("金额：２．５万／人", "金额：2.5万/人"),
        ("  多个   空格\n\t换行  ", "多个 空格 换行"),
        ("零\u200b宽\u200d字\ufeff符", "零宽字符"),
        ("控制\x00字\x07符\x1b", "控制字符"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalise_user_text(text, expected):
    assert normalise_user_text(text) == expected


def test_truncates_keeping_start():
    text = "开头" + "字" * 5000
    result = normalise_user_text(text)
    assert len(result) == 500
    assert result.startswith("开头")
    assert normalise_user_text("abcdef", max_chars=3) == "abc"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("😀", True),
        ("👍👍👍", True),
        (" 🙏 ❤️ ", True),
        ("👨‍👩‍👧", True),
        ("🇨🇳", True),
        ("好的👍", False),
        ("ok", False),
        ("", False),
        ("   ", False),
        ("123", False),
        ("\u200d", False),
    ],
)
def test_is_emoji_only(text, expected):
    assert is_emoji_only(text) is expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("信用修复", True),
        ("abc中", True),
        ("〔2026〕", False),
        ("abc 123", False),
        ("😀", False),
        ("", False),
    ],
)
def test_has_chinese(text, expected):
    assert has_chinese(text) is expected
