"""Find a money amount (in yuan) in free Chinese text."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from .numerals import CN_DIGIT_CHARS, CN_UNIT_CHARS, FULLWIDTH_DIGITS, parse_number

_NUMBER = re.compile(
    rf"(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|[{CN_DIGIT_CHARS}{CN_UNIT_CHARS}])+"
)
# Words right before a bare number that make it money: 罚款3000, ￥800, 金额：500.
_MONEY_BEFORE = re.compile(
    r"(?:[￥¥]|RMB|rmb|人民币|罚款|罚金|罚没款|罚了|罚|金额|数额|缴纳|缴了|交了|付了|处以|共计|合计)"
    r"\s*[:：]?\s*$"
)
_MONEY_AFTER = re.compile(r"\s*[多余]?\s*(?:元|块|圆|rmb|RMB)")
# A number followed by these is a date, a count or a serial, never money.
_NOT_MONEY_AFTER = re.compile(
    r"\s*(?:[年月日号號天周岁歲次人家条條项項期个個倍分秒点时%％〕\]】）)半]|小时|星期|部分)"
)
_MAX_YUAN = Decimal(10) ** 12  # anything larger is not a penalty amount
# 一 that starts a word (「3万一般失信」「两千一共」): not a digit of the amount before it
_WORD_YI = re.compile(r"一(?=[般共起下直样律定些切])")
_LARGE_UNITS = re.compile(r"[千仟万萬亿]")


def _is_money(text: str, match: re.Match) -> bool:
    after = text[match.end(): match.end() + 8]
    if _NOT_MONEY_AFTER.match(after):
        return False
    if _MONEY_AFTER.match(after) or _LARGE_UNITS.search(match.group(0)):
        return True
    return _MONEY_BEFORE.search(text[max(0, match.start() - 8): match.start()]) is not None


def parse_amount_yuan(text: str) -> int | None:
    """First money amount in text, in whole yuan (2万 -> 20000, 三千五 -> 3500)."""
    if not text:
        return None
    text = _WORD_YI.sub(" ", text.translate(FULLWIDTH_DIGITS))
    for match in _NUMBER.finditer(text):
        value = parse_number(match.group(0))
        if value is None or not 0 < value < _MAX_YUAN or not _is_money(text, match):
            continue
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return None
