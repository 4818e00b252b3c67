"""The optional reason after a bad 好差评 rating, as the chat reads it (bot/dialogue/rating.py):
a skip in any wording keeps no reason; anything else is kept in the user's own words."""

import pytest

from bot.dialogue.rating import MAX_REASON, read_reason

SKIPS = ["跳过", "跳过。", " 算了 ", "算了吧", "没有", "没得", "莫得", "不想说", "不说了！", "不用了", "无", "就这样吧",
         "/deny", "/rate{\"rating_level\": 1}", "", "   ", "。。。"]
REASONS = [
    "没有人回复",  # begins with a skip word, but it is a reason
    "等了一个多星期都没得人给我打电话",
    "算了不说了，反正你们也不管",  # more than a skip: the supervisor should read it
    "坐席态度不好",
    "材料退回了三次，每次说的都不一样",
]


@pytest.mark.parametrize("text", SKIPS)
def test_a_skip_keeps_no_reason(text):
    assert read_reason(text) is None


@pytest.mark.parametrize("text", REASONS)
def test_anything_else_is_kept_in_the_users_words(text):
    assert read_reason(text) == text.strip()


def test_a_long_reason_is_cut_at_the_case_store_limit():
    assert len(read_reason("慢" * (MAX_REASON + 50))) == MAX_REASON
