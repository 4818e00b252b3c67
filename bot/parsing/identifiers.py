"""Validate USCC, resident ID and mobile numbers with Chinese explanations."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal, Optional

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

USCC_EXAMPLE = "91350100M000100Y43"
RESIDENT_ID_EXAMPLE = "11010519491231002X"
MOBILE_EXAMPLE = "13812345678"

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−_]+")

SubjectHint = Literal["enterprise", "individual_business", "farmer_coop", "social_org"]


@dataclass(frozen=True)
class IdCheck:
    """Outcome of a check: the normalised value and, when invalid, why (in Chinese)."""

    ok: bool
    value: str
    reason_zh: str = ""  # why, alone: for a message that says more itself
    example: str = ""  # a valid value to copy

    @property
    def message_zh(self) -> str:
        """Why, with the example (「…例如：91350100M000100Y43」); empty when valid."""
        return f"{self.reason_zh}例如：{self.example}" if self.example else self.reason_zh


def _compact(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    return _SEPARATORS.sub("", text).upper()


def _join(chars: list[str]) -> str:
    return "、".join(dict.fromkeys(chars))


def check_uscc(text: str) -> IdCheck:
    """Check a 统一社会信用代码 (18 characters, GB 32100-2015) with stdnum.cn.uscc."""
    value = _compact(text)
    try:
        uscc.validate(value)
        return IdCheck(True, value)
    except ValidationError:
        pass
    if not value:
        return IdCheck(False, value, "没有收到统一社会信用代码，请输入18位代码。", USCC_EXAMPLE)
    bad = [c for c in value if c not in _USCC_ALPHABET]
    if bad:
        reason = (
            f"统一社会信用代码中有无效字符：{_join(bad)}。"
            f"代码只由数字和大写英文字母组成，且不使用字母I、O、S、V、Z。"
        )
    elif len(value) != 18:
        reason = f"统一社会信用代码应为18位，您输入了{len(value)}位。"
    elif not value[:8].isdigit():
        reason = "统一社会信用代码的前8位应全部是数字。"
    else:
        reason = "统一社会信用代码的校验位（最后一位）不正确，可能有字符输错，请逐位核对。"
    return IdCheck(False, value, reason, USCC_EXAMPLE)


def uscc_subject_hint(code: str) -> Optional[SubjectHint]:
    """Kind of subject from the first two characters of a USCC, if recognisable."""
    value = _compact(code)
    if value[:1] == "5":
        return "social_org"
    return {"91": "enterprise", "92": "individual_business", "93": "farmer_coop"}.get(value[:2])


def check_resident_id(text: str) -> IdCheck:
    """Check an 18-digit 居民身份证号 with stdnum.cn.ric."""
    value = _compact(text)
    try:
        ric.validate(value)
        return IdCheck(True, value)
    except ValidationError:
        pass
    if not value:
        return IdCheck(False, value, "没有收到身份证号，请输入18位居民身份证号。", RESIDENT_ID_EXAMPLE)
    bad = [c for c in value if c not in "0123456789X"]
    if bad:
        reason = f"身份证号中有无效字符：{_join(bad)}。前17位应为数字，最后一位是数字或X。"
    elif len(value) != 18:
        reason = f"身份证号应为18位，您输入了{len(value)}位。"
    elif "X" in value[:-1]:
        reason = "身份证号中的X只能出现在最后一位，前17位应为数字。"
    elif value[-1] != ric.calc_check_digit(value):
        reason = "身份证号的校验位（最后一位）不正确，可能有数字输错，请逐位核对。"
    else:
        reason = "身份证号中的出生日期或地区代码无效，请核对。"
    return IdCheck(False, value, reason, RESIDENT_ID_EXAMPLE)


_MOBILE = re.compile(r"1[3-9]\d{9}")


def check_mobile(text: str) -> IdCheck:
    """Check a mainland mobile number: 11 digits starting with 13–19; +86 is accepted."""
    value = re.sub(r"[()（）]", "", _compact(text))
    if value.startswith("+"):
        value = value[1:]
        if value.startswith("86"):
            value = value[2:]
    elif value.startswith("0086"):
        value = value[4:]
    elif value.startswith("86") and len(value) == 13:
        value = value[2:]
    if _MOBILE.fullmatch(value):
        return IdCheck(True, value)
    if not value:
        return IdCheck(False, value, "没有收到手机号，请输入11位手机号码。", MOBILE_EXAMPLE)
    bad = [c for c in value if not c.isascii() or not c.isdigit()]
    if bad:
        reason = f"手机号中有无效字符：{_join(bad)}。手机号只由数字组成。"
    elif len(value) != 11:
        reason = f"手机号应为11位数字，您输入了{len(value)}位。"
    else:
        reason = "手机号应以13至19开头，请核对。"
    return IdCheck(False, value, reason, MOBILE_EXAMPLE)
