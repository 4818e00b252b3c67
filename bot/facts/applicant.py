"""Every applicant fact in one free message, whatever was asked:

    >>> mine_applicant("成都锦程商贸有限公司，信用代码91510100MA6CQ7FW7R，法人王建国，我是会计李梅来办，电话13912345678")
    ApplicantFacts(subject_name='成都锦程商贸有限公司', uscc='91510100MA6CQ7FW7R', legal_rep='王建国',
                   agent_name='李梅', agent_phone='13912345678', ...)

Names are validated (`is_person_name`, `is_subject_name`) so a sentence is never stored as a
name. Role words (法人/负责人/会计/经办人/我是…) say whose name follows.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Optional

from bot.parsing.identifiers import check_mobile, check_uscc, uscc_subject_hint

# Words a person's name never contains (pronouns, verbs and particles of a sentence, role words).
_NOT_IN_NAME = re.compile(
    r"[我你他她它您们是就的了吗呢啊吧呀嘛噻撒哦喔哈来办在有没不要想对错改叫姓名字号码电话手机代码公司]|"
    r"法人|法定|代表|负责|经营者|会计|经办|老板|本人|自己|同上|一样"
)
_PERSON = re.compile(r"^[\u4e00-\u9fff]{2,4}$|^[\u4e00-\u9fff]{1,10}[·•][\u4e00-\u9fff·•]{1,12}$|^[A-Za-z][A-Za-z .'-]{1,19}$")
# How a registered name ends (企业、合作社、个体工商户的字号, 社会组织).
ORG_FORMS = (
    "股份有限公司", "有限责任公司", "有限公司", "集团公司", "分公司", "公司", "专业合作社", "合作社", "联合社",
    "个体工商户", "个体户", "商行", "商店", "经营部", "门市部", "销售部", "服务部", "加工厂", "厂", "店", "馆",
    "铺", "坊", "行", "社", "部", "中心", "工作室", "事务所", "协会", "商会", "学会", "研究会", "基金会",
    "促进会", "联合会", "农家乐", "超市", "酒楼", "酒店", "宾馆", "饭店", "餐厅", "诊所", "药房", "药店",
    "养殖场", "种植场", "农场", "茶楼", "院", "园", "所", "站",
)
_ORG_END = "|".join(sorted(map(re.escape, ORG_FORMS), key=len, reverse=True))
_SUBJECT = re.compile(rf"[\u4e00-\u9fffA-Za-z0-9（）()·]{{2,60}}?(?:{_ORG_END})(?![\u4e00-\u9fff])")
_SUBJECT_PREFIX = re.compile(
    r"^.*?(?:名称是|名称为|名称叫|名字是|名字叫|名字为|叫做|就叫|叫|是|为|：|:|上面写的|上写的)"
)
_SUBJECT_LEAD = re.compile(r"^(?:我们|我家|我的|咱们|这个|那个|营业执照上|执照上|公司|店名|单位|就是|嗯|额|呃)+")

_USCC_RUN = re.compile(r"(?<![0-9A-Z])[0-9A-Z](?:[ \-]?[0-9A-Z]){17}(?![0-9A-Z])")
_MOBILE_RUN = re.compile(r"(?<!\d)(?:\+?86[ \-]?)?1[3-9]\d(?:[ \-]?\d){8}(?!\d)")

# Role words: who the name after them is.
_LEGAL_REP_WORDS = r"法定代表人|法人代表|法人|负责人|经营者|老板|店主|业主|理事长|社长"
_AGENT_WORDS = r"经办人|办理人|联系人|经手人|代办人"
_ROLE_NAME = r"(?:是|叫|为|姓名|名字|:|：|\s)*([\u4e00-\u9fff·]{2,12})"
_LEGAL_REP = re.compile(rf"(?:{_LEGAL_REP_WORDS})(?!就是|是我|本人){_ROLE_NAME}")
_AGENT = re.compile(rf"(?:{_AGENT_WORDS})(?!就是|是我|本人){_ROLE_NAME}")
_I_AM = re.compile(
    r"我(?:是|叫|姓名是|名字是)(?:他们|公司|店里|这里|这边|单位)?的?"
    r"(?:会计|出纳|财务|员工|职工|代办|代理人|办事员|文员|行政|助理|经理|股东|家属|儿子|女儿|老婆|老公|爱人|亲戚)?"
    r"(?:[，, ]*)([\u4e00-\u9fff·]{2,12})"
)
_SELF_IS_LEGAL_REP = re.compile(
    rf"(?:我就?是(?:{_LEGAL_REP_WORDS})|(?:{_LEGAL_REP_WORDS})(?:就是|是)(?:我|本人)|就是我|我本人|本人办理|本人来办|我自己办|自己办)"
)
_NAME_IS_ME = re.compile(r"^([\u4e00-\u9fff·]{2,12})[\s，,]*(?:就是我|是我|我本人|本人|就是本人|就是我本人)")
# Where a name stops when it runs into the rest of the sentence.
_NAME_STOP = re.compile(
    r"来办|来|在办|办理|办|的|我|他|她|是|电话|手机|号码|身份证|信用代码|代码|三个字|两个字|四个字|这几个字|"
    r"法人|会计|经办|负责|老板|和|跟|，|,|。|\s"
)


@dataclass
class ApplicantFacts:
    subject_name: Optional[str] = None
    uscc: Optional[str] = None
    subject_type: Optional[str] = None
    legal_rep: Optional[str] = None
    agent_name: Optional[str] = None
    agent_phone: Optional[str] = None
    agent_is_legal_rep: bool = False
    invalid: dict[str, str] = field(default_factory=dict)  # slot -> why (Chinese), for a value that looked like one

    def slots(self) -> dict[str, str]:
        """The facts as form slot values (only those found)."""
        names = ("subject_name", "uscc", "subject_type", "legal_rep", "agent_name", "agent_phone")
        return {n: getattr(self, n) for n in names if getattr(self, n)}


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def is_person_name(text: str) -> bool:
    """A person's name: 2-20 characters, no digits or punctuation, not a sentence."""
    text = _norm(text)
    return bool(_PERSON.match(text)) and not (len(text) <= 4 and _NOT_IN_NAME.search(text)) \
        and not re.search(r"法人|经办|会计|本人|就是|电话|手机|公司", text)


def is_subject_name(text: str) -> bool:
    """A registered name: ends with an organisation form (有限公司、合作社、…店), no sentence around it."""
    text = _norm(text)
    return bool(re.fullmatch(_SUBJECT.pattern, text)) and not re.search(r"[我你吗呢？?，,。\s]", text) \
        and len(text) >= 4


def trim_name(raw: str) -> str:
    m = _NAME_STOP.search(raw, 2)
    return raw[: m.start()] if m else raw


def subject_name_in(text: str) -> Optional[str]:
    """The registered name inside a sentence (「营业执照上就是成都锦程商贸有限公司噻」)."""
    for clause in re.split(r"[，,。；;！!？?\n]|\s{1,}", _norm(text)):
        for m in _SUBJECT.finditer(clause):
            name = _SUBJECT_LEAD.sub("", _SUBJECT_PREFIX.sub("", m.group(0)))
            if is_subject_name(name):
                return name
    return None


def mine_applicant(text: str) -> ApplicantFacts:
    """Every applicant fact in `text` (free Chinese)."""
    facts = ApplicantFacts()
    clean = _norm(text)
    if not clean:
        return facts
    upper = clean.upper()
    rest = clean
    for m in _USCC_RUN.finditer(upper):
        check = check_uscc(m.group(0))
        if check.ok:
            facts.uscc = check.value
            facts.subject_type = uscc_subject_hint(check.value)
            rest = rest[: m.start()] + " " * (m.end() - m.start()) + rest[m.end():]
            break
        if re.search(r"[A-Z]", m.group(0)) or len(re.sub(r"\D", "", m.group(0))) == 18:
            facts.invalid["uscc"] = check.message_zh
    for m in _MOBILE_RUN.finditer(rest):
        check = check_mobile(m.group(0))
        if check.ok:
            facts.agent_phone = check.value
            rest = rest[: m.start()] + " " * (m.end() - m.start()) + rest[m.end():]
            break
    facts.subject_name = subject_name_in(rest)
    if facts.subject_name:
        rest = rest.replace(facts.subject_name, " ")
    m = _LEGAL_REP.search(rest)
    if m and is_person_name(trim_name(m.group(1))):
        facts.legal_rep = trim_name(m.group(1))
    m = _AGENT.search(rest)
    if m and is_person_name(trim_name(m.group(1))):
        facts.agent_name = trim_name(m.group(1))
    if _SELF_IS_LEGAL_REP.search(rest):
        facts.agent_is_legal_rep = True
    if facts.agent_is_legal_rep and not (facts.legal_rep or facts.agent_name):
        m = re.search(r"(?:叫|名字是|姓名是|名叫)([\u4e00-\u9fff·]{2,12})", rest)
        if m and is_person_name(trim_name(m.group(1))):
            facts.legal_rep = trim_name(m.group(1))
    me = _NAME_IS_ME.match(rest.strip())
    if me and is_person_name(me.group(1)):
        facts.agent_is_legal_rep = True
        facts.legal_rep = facts.legal_rep or me.group(1)
    if not facts.agent_name and not me:
        for m in _I_AM.finditer(rest):
            name = trim_name(m.group(1))
            if is_person_name(name) and not re.match(rf"(?:{_LEGAL_REP_WORDS}|{_AGENT_WORDS})", m.group(1)):
                facts.agent_name = name
                break
    if facts.agent_is_legal_rep:
        if facts.legal_rep and not facts.agent_name:
            facts.agent_name = facts.legal_rep
        elif facts.agent_name and not facts.legal_rep:
            facts.legal_rep = facts.agent_name
    return facts
