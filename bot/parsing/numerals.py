"""Read numbers written with Arabic digits, Chinese numerals or a mix of both."""
from __future__ import annotations

import re
from decimal import Decimal

CN_DIGITS: dict[str, int] = {
    "〇": 0, "零": 0, "○": 0,
    "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3,
    "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6,
    "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}
CN_UNITS: dict[str, int] = {
    "十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000,
    "万": 10**4, "萬": 10**4, "亿": 10**8,
}
CN_DIGIT_CHARS = "".join(CN_DIGITS)
CN_UNIT_CHARS = "".join(CN_UNITS)

# Full-width digits and a few separators -> ASCII, one character for one (spans survive).
FULLWIDTH_DIGITS = str.maketrans(
    "０１２３４５６７８９－／．，　", "0123456789-/., "
)

_TOKEN = re.compile(
    rf"(?P<ar>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    rf"|(?P<cn>[{CN_DIGIT_CHARS}])|(?P<unit>[{CN_UNIT_CHARS}])"
)


def parse_number(text: str) -> Decimal | None:
    """Value of '2.5万', '三千五', '一万二', '二〇二四', '20,000'; None if not a number.

    A bare digit after the last unit is read colloquially: 三千五 = 3500, 一万二 = 12000.
    """
    s = text.strip().replace("廿", "二十").replace("卅", "三十")
    if not s:
        return None
    if len(s) > 1 and all(c in CN_DIGITS for c in s):
        return Decimal("".join(str(CN_DIGITS[c]) for c in s))  # 二〇二四 -> 2024
    total = Decimal(0)
    section = Decimal(0)
    num: Decimal | None = None
    num_single = False  # the pending number is one character long
    after_zero = False  # a 零 came before the pending number
    last_unit: int | None = None
    pos = 0
    while pos < len(s):
        m = _TOKEN.match(s, pos)
        if m is None:
            return None
        pos = m.end()
        if m.group("ar") is not None or m.group("cn") is not None:
            if m.group("cn") is not None and CN_DIGITS[m.group("cn")] == 0:
                after_zero = True
                continue
            if num is not None:
                return None
            if m.group("ar") is not None:
                num = Decimal(m.group("ar").replace(",", ""))
            else:
                num = Decimal(CN_DIGITS[m.group("cn")])
            num_single = len(m.group(0)) == 1
            continue
        unit = CN_UNITS[m.group("unit")]
        if unit >= 10**4:
            if num is not None:
                section += num
            if section == 0:
                return None
            if unit == 10**8:
                total = (total + section) * unit
            else:
                total += section * unit
            section = Decimal(0)
        else:
            if num is None and unit != 10:
                return None
            section += (num if num is not None else 1) * unit
        last_unit = unit
        num = None
        after_zero = False
    if num is not None:
        if last_unit is not None and num_single and not after_zero:
            section += num * last_unit / 10
        else:
            section += num
    return total + section


def parse_int(text: str) -> int | None:
    """Like parse_number but only whole numbers."""
    value = parse_number(text)
    if value is None or value != value.to_integral_value():
        return None
    return int(value)
