"""Every applicant fact in one free message, whatever was asked:

    >>> mine_applicant("成都锦程商贸有限公司，信用代码91510100MA6CQ7FW7R，法人王建国，我是会计李梅来办，电话13912345678")
    ApplicantFacts(subject_name='成都锦程商贸有限公司', uscc='91510100MA6CQ7FW7R', legal_rep='王建国',
                   agent_name='李梅', agent_phone='13912345678', ...)

Names are validated (`is_person_name`, `is_subject_name`) so a sentence is never stored as a
name. Role words (法人/负责人/会计/经办人/我是…) say whose name follows.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Optional

from bot.guide import Guide, load_guide
from bot.parsing.identifiers import check_mobile, check_uscc, uscc_subject_hint
from bot.texts import t

# Pronouns, verbs and particles of a sentence: a short name never contains them (the role words
# of guides/lexicon.yml `role_words` are added in _roles()).
# (有、来、在、名、代、公 are left out: 张有福、王来顺、李在明、刘名扬 are names; 「有没有」「来办」
# 「名字」「公司」 are still caught by their other characters)
_NOT_IN_NAME_CHARS = "[我你他她它您们是就的了吗呢啊吧呀嘛噻撒哦喔哈办没不要想对错改叫姓字号码电话手机司]"
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
# ends at the organisation form, or before a sentence particle (「…有限公司噻」)
_SUBJECT = re.compile(rf"[\u4e00-\u9fffA-Za-z0-9（）()·]{{2,60}}?(?:{_ORG_END})(?![\u4e00-\u9fff](?<![噻撒嘛哦啊呀哈吧呢啦]))")
_SUBJECT_PREFIX = re.compile(
    r"^.*?(?:名称是|名称为|名称叫|名字是|名字叫|名字为|叫做|就叫|叫|是|为|：|:|上面写的|上写的|改成|改为|换成)"
)
_SUBJECT_LEAD = re.compile(r"^(?:我们|我家|我的|咱们|这个|那个|营业执照上|执照上|公司|店名|单位|就是|嗯|额|呃)+")
# 「开了个理发店」「有家小卖部」 says what kind of business it is, not its registered name
# 「他开的五金店」「我爸开的面馆」: whose shop and what kind, not its registered name (third hand try)
_NOT_A_NAME_START = re.compile(r"^(?:开了?(?:一)?[个家间]|开的|开了|有(?:一)?[个家间]|在开|一?个(?!旧))")  # 「是个行业协会」 (not 个旧市)
_OWNER_LEAD = re.compile(r"^[他她我][们爸妈家]?[^\s]{0,2}开的")
# 「开五金店的个体户」「种花椒的合作社」「卖菜的」: what the business does, then its kind (fifth hand try:
# saved as the registered name)
_DOES_WHAT = re.compile(r"^(?:开|种|卖|做|搞|养|干|跑|经营|修|收|批发|加工)[\u4e00-\u9fff]{0,8}的")
# 「银行流水行不行」「这个店可不可以」: a question ending like a name (…行, …店), not a name
_A_QUESTION = re.compile(r"([\u4e00-\u9fff])不\1|可不可以|能不能|行不|要不要")
# Symbols that never belong in a registered name (markup, code, stray keys): 「成都<b>科技有限公司」.
_STRAY = re.compile(r"[<>{}\[\]\\/|@#$%^&*=+_`~＜＞【】《》]")

_USCC_RUN = re.compile(r"(?<![0-9A-Z])[0-9A-Z](?:[ \-]?[0-9A-Z]){17}(?![0-9A-Z])")
# A code one or two characters short or long (「9251010MA6CQ7FW7X」, 17): six digits (the
# authority, type and most of the region), then letters and digits, with a letter among them.
_USCC_NEAR = re.compile(r"(?<![0-9A-Z])\d{6}[0-9A-Z]{10,14}(?![0-9A-Z])")
_MOBILE_RUN = re.compile(r"(?<!\d)(?:\+?86[ \-]?)?1[3-9]\d(?:[ \-]?\d){8}(?!\d)")
# 「法人写王德福」「法人应该是王德福」 (fifth hand try: 「写王德福」 stored as the name)
_ROLE_NAME = (r"(?:应该是|写的是|填的是|写成|填成|改成|改为|换成|就是|是|叫|为|写|填|姓名|名字|:|：|\s)*"
              r"([\u4e00-\u9fff·]{2,12})")
# 「我是问决定书是个啥」「我是想问下」: a verb after 「我是」, not a name (fifth hand try: 经办人「问决定书」)
_VERB_AFTER_I_AM = re.compile(r"[问想说要来去在看讲打找做办弄搞听觉怕]")
# Where a name stops when it runs into the rest of the sentence (role words added in _roles()).
_NAME_STOP_WORDS = (r"来办|来|在办|办理|办|的|我|他|她|是|电话|手机|号码|身份证|信用代码|代码|三个字|两个字|四个字|"
                    r"这几个字|和|跟|，|,|。|\s")


def _alt(words) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


@dataclass(frozen=True)
class _Roles:
    """The role-word patterns, built from guides/lexicon.yml `role_words` (the one lexicon)."""

    legal_rep_words: str
    legal_rep: re.Pattern
    agent: re.Pattern
    i_am: re.Pattern
    self_is_legal_rep: re.Pattern
    name_is_me: re.Pattern
    relative_agent: re.Pattern
    relative_rep: re.Pattern
    rep_is_relative: re.Pattern
    name_stop: re.Pattern
    not_in_name: re.Pattern
    role_start: re.Pattern
    nickname: re.Pattern
    words_in_name: re.Pattern


@functools.lru_cache(maxsize=4)
def _roles_of(guide: Guide) -> _Roles:
    words = guide.lexicon.section("role_words")
    rep, agent = _alt(words["legal_rep"]), _alt(words["agent"])
    is_me = _alt(words["is_me"])
    relations = _alt(words["relations"])
    not_me = rf"(?!{is_me})"
    return _Roles(
        legal_rep_words=rep,
        legal_rep=re.compile(rf"(?:{rep}){not_me}{_ROLE_NAME}"),
        agent=re.compile(rf"(?:{agent}){not_me}{_ROLE_NAME}"),
        i_am=re.compile(
            rf"(?:{_alt(words['i_am'])})(?:他们|我们|公司里|公司|店里|店头|厂里|厂头|这里|这边|单位上|单位|他|她)*的?"
            rf"(?:{_alt(words['agent_titles'])})?(?:[，, ]*)([\u4e00-\u9fff·]{{2,12}})"),
        self_is_legal_rep=re.compile(
            rf"(?:{_alt(words['i_am'] + words['i_am_the'])})(?:{rep})|(?:{rep})(?:{is_me})(?!们|的?(?:{relations}))|"
            rf"{_alt(words['self_is_legal_rep'])}"),  # 「法人是我老汉 王德福」: his father, not him (fifth hand try)
        name_is_me=re.compile(rf"^([\u4e00-\u9fff·]{{2,12}})[\s，,]*(?:{is_me})(?!的?(?:{relations}))"),
        # 「我儿子张小军办」: the relative named is the agent
        relative_agent=re.compile(rf"(?:我|我家|我们家)的?(?:{relations})([\u4e00-\u9fff·]{{2,4}}?)"
                                  rf"(?:帮我|帮忙|帮着|替我|代我)?(?:来办|在办|去办|办|来|去)"),
        # 「张德贵 我是他儿子」: the name said first is not the speaker's (the legal representative's)
        relative_rep=re.compile(rf"^([\u4e00-\u9fff·]{{2,4}})[\s，,]+我是他的?(?:{relations})"),
        # 「法人是我老汉 王德福」: the speaker's relative, named after the relation
        # (the name ends the sentence or a clause: 「法人是我老汉 今年七十多了」 names nobody)
        # and 「法人是我老汉 今年七十多了 叫陈国华」: named a few words later, after 叫
        rep_is_relative=re.compile(rf"(?:{rep})(?:就是|是)?(?:我家|我们家|我的|我)(?:{relations})"
                                   rf"(?:(?:叫|是|名字叫|名字是|[\s，,：:])*|[^。；;！!？?]{{0,12}}?(?:叫|名字叫|名字是))"
                                   rf"([\u4e00-\u9fff·]{{2,4}}?)(?=$|[\s，,。；;：:！!]|我|来办|帮)"),
        name_stop=re.compile(rf"{_NAME_STOP_WORDS}|"
                             rf"{_alt(words['legal_rep'] + words['agent'] + words['agent_titles'] + words['not_in_name'])}"),
        not_in_name=re.compile(rf"{_NOT_IN_NAME_CHARS}|{rep}|{agent}|{_alt(words['agent_titles'])}|"
                               rf"{_alt(words['not_in_name'])}"),
        role_start=re.compile(rf"(?:{rep}|{agent})"),
        nickname=re.compile(rf"^(?:{_alt(words['nickname_prefixes'])})[\u4e00-\u9fff]$"),
        words_in_name=re.compile(_alt(words["legal_rep"] + words["agent"] + words["not_in_name"])),
    )


def _roles() -> _Roles:
    return _roles_of(load_guide())


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
    typed: dict[str, str] = field(default_factory=dict)  # slot -> that value as typed (normalised), e.g. a mistyped code

    def slots(self) -> dict[str, str]:
        """The facts as form slot values (only those found)."""
        names = ("subject_name", "uscc", "subject_type", "legal_rep", "agent_name", "agent_phone")
        return {n: getattr(self, n) for n in names if getattr(self, n)}


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def is_person_name(text: str) -> bool:
    """A person's name: 2-20 characters, no digits or punctuation, not a sentence, not a form of
    address (「小张」)."""
    text = _norm(text)
    roles = _roles()
    return bool(_PERSON.match(text)) and not (len(text) <= 4 and roles.not_in_name.search(text)) \
        and not roles.words_in_name.search(text) and not roles.nickname.match(text)


def answers_same_person(text: str) -> bool:
    """「本人」「同上」「就是法人」 asked for the agent: the agent is the legal representative
    (guides/lexicon.yml role_words.same_person)."""
    words = load_guide().lexicon.section("role_words")["same_person"]
    return _norm(text).startswith(tuple(words))


def nickname_reason(text: str) -> Optional[str]:
    """Why 「小张」「老王」 is not taken as a name (Chinese), or None."""
    text = _norm(text)
    return t("form9b.nickname", name=text) if _roles().nickname.match(text) else None


def named_first(text: str) -> Optional[str]:
    """The person a reply to 「法定代表人的姓名是？」 names besides the speaker: a bare name said first
    (「刘建华 我是会计我来办 我叫陈静」) or a relative named (「我老汉叫杨德明 我叫杨磊」) — third hand
    try: the legal representative was dropped and asked again."""
    roles = _roles()
    words = load_guide().lexicon.section("role_words")
    m = re.match(r"^\s*([\u4e00-\u9fff·]{2,4})[\s，,。]+", text or "")
    if m and is_person_name(m.group(1)) and not roles.words_in_name.search(m.group(1)) \
            and not load_guide().lexicon.scan(m.group(1)):  # 「市场监管 罚了」: a department, no name
        return m.group(1)
    m = re.search(rf"(?:我|我家|我们家)的?(?:{_alt(words['relations'])})(?:叫|是|名字叫|名字是)([\u4e00-\u9fff·]{{2,4}})",
                  text or "")
    if m and is_person_name(trim_name(m.group(1))):
        return trim_name(m.group(1))
    return None


_ORG_FORM_AT_END = re.compile(rf"(?:专业)?(?:{_ORG_END})$")


_FACT_LABELS = re.compile(r"电话号码|手机号码|电话|手机号|手机|号码|是|叫")


def bare_name_beside_facts(text: str) -> tuple[Optional[str], bool]:
    """「我自己 张大贵 电话13700003333」 at the legal representative's question: (the one bare name
    left once the phone, the code and the words saying it is the speaker are taken out; whether
    it is the speaker). Sixth hand try: refused with 「请只发法定代表人的姓名」."""
    words = load_guide().lexicon.section("role_words")
    self_words = re.compile(_alt(words["myself"] + words["is_me"]))
    rest = _USCC_RUN.sub(" ", _MOBILE_RUN.sub(" ", _norm(text).upper()))
    said_self = bool(self_words.search(rest))
    parts = [p for p in re.split(r"[\s，,。；;：:]+", _FACT_LABELS.sub(" ", self_words.sub(" ", rest))) if p]
    names = [p for p in parts if is_person_name(p)]
    return (names[0] if len(names) == 1 and len(parts) == 1 else None), said_self


def mobile_in(text: str) -> Optional[str]:
    """The first valid mainland mobile number in `text` (「撤回 XF-… 139 8000 1234」「+86 139…」)."""
    for m in _MOBILE_RUN.finditer(_norm(text)):
        check = check_mobile(m.group(0))
        if check.ok:
            return check.value
    return None


def is_subject_name(text: str) -> bool:
    """A registered name: ends with an organisation form (有限公司、合作社、…店), no sentence around it,
    and something before the form besides a trade (「种植专业合作社」「五金店」「小卖部」 are kinds of
    business, not names: sixth hand try)."""
    text = _norm(text)
    stem = _ORG_FORM_AT_END.sub("", text)
    return bool(re.fullmatch(_SUBJECT.pattern, text)) and not re.search(r"[我你吗呢？?，,。\s]", text) \
        and len(text) >= 4 and len(stem) >= 2 \
        and stem not in load_guide().lexicon.section("generic_trades") and not _A_QUESTION.search(text)


def without_role(text: str) -> str:
    """「法人刘明」 → 「刘明」: a role word before a name (guides/lexicon.yml role_words)."""
    m = _roles().role_start.match(text)
    return text[m.end():] if m else text


def name_doing(text: str) -> Optional[str]:
    """「王磊帮她弄的」「王磊来办」 answered to 「经办人的姓名是？」: the name before what they do
    (fourth hand try: refused as 「请只发经办人的姓名」)."""
    name = trim_name(_norm(text))
    if name != _norm(text) and is_person_name(name) and re.match(r"[帮来替代去办弄跑]", _norm(text)[len(name):]):
        return name
    return None


def trim_name(raw: str) -> str:
    m = _roles().name_stop.search(raw, 2)
    return raw[: m.start()] if m else raw


def subject_name_check(text: str) -> tuple[Optional[str], Optional[str]]:
    """(the registered name inside a sentence, or None; why a name-like text was refused, in
    Chinese). 「营业执照上就是成都锦程商贸有限公司噻」 gives the name; 「成都<b>科技有限公司」 gives no
    name (never the tail 「科技有限公司」) but the reason: stray symbols inside the name."""
    reason = None
    for clause in re.split(r"[，,。；;！!？?\n]|\s{1,}", _norm(text)):
        for m in _SUBJECT.finditer(clause):
            lead = re.split(r"[：:“”\"'‘’（(]", clause[: m.start()])[-1]
            stray = _STRAY.findall(lead + clause[m.end(): m.end() + 1])
            if stray:
                reason = t("form9b.subject_name_symbols", symbols="".join(dict.fromkeys(stray)))
                continue
            name = _SUBJECT_LEAD.sub("", _SUBJECT_PREFIX.sub("", m.group(0)))
            name = _OWNER_LEAD.sub("", name)  # 「我爸开的张记面馆」: 张记面馆; 「他开的五金店」: no name
            if _NOT_A_NAME_START.match(name) or _DOES_WHAT.match(name):
                continue
            if is_subject_name(name):
                return name.replace("(", "（").replace(")", "）"), None  # registered names use （）
    return None, reason


def subject_name_in(text: str) -> Optional[str]:
    """The registered name inside a sentence (「营业执照上就是成都锦程商贸有限公司噻」)."""
    return subject_name_check(text)[0]


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
            facts.typed["uscc"] = check.value
    if not facts.uscc and "uscc" not in facts.invalid:
        near = next((m for m in _USCC_NEAR.finditer(upper)
                     if len(m.group(0)) != 18 and re.search(r"[A-Z]", m.group(0))), None)
        if near:
            check = check_uscc(near.group(0))  # 「应为18位，您输入了17位」
            facts.invalid["uscc"] = check.message_zh
            facts.typed["uscc"] = check.value
    for m in _MOBILE_RUN.finditer(rest):
        check = check_mobile(m.group(0))
        if check.ok:
            facts.agent_phone = check.value
            rest = rest[: m.start()] + " " * (m.end() - m.start()) + rest[m.end():]
            break
    facts.subject_name, why = subject_name_check(rest)
    if why:
        facts.invalid["subject_name"] = why
    if facts.subject_name:
        rest = rest.replace(facts.subject_name, " ")
    roles = _roles()

    def person(raw: str, slot: str) -> Optional[str]:
        name = trim_name(raw)
        if is_person_name(name):
            return name
        if nickname_reason(name):
            facts.invalid[slot] = nickname_reason(name)
        return None

    m = roles.legal_rep.search(rest)
    if m:
        facts.legal_rep = person(m.group(1), "legal_rep")
    m = roles.agent.search(rest)
    if m:
        facts.agent_name = person(m.group(1), "agent_name")
    if roles.self_is_legal_rep.search(rest):
        facts.agent_is_legal_rep = True
    if facts.agent_is_legal_rep and not (facts.legal_rep or facts.agent_name):
        m = re.search(r"(?:叫|名字是|姓名是|名叫)([\u4e00-\u9fff·]{2,12})", rest)
        if m and is_person_name(trim_name(m.group(1))):
            facts.legal_rep = trim_name(m.group(1))
        else:  # 「法人就是我 王建国」: a bare name beside the words that say it is the speaker
            bare = [c for c in re.split(r"[\s，,。；;：:]+", roles.self_is_legal_rep.sub(" ", rest)) if c]
            facts.legal_rep = next((c for c in bare if is_person_name(c)), None)
    relative = roles.relative_agent.search(rest)
    if relative and not facts.agent_name and is_person_name(relative.group(1)):
        facts.agent_name = relative.group(1)
    kin = roles.rep_is_relative.search(rest)
    if kin and not facts.legal_rep and is_person_name(trim_name(kin.group(1))):
        facts.legal_rep = trim_name(kin.group(1))
    first = roles.relative_rep.match(rest.strip())
    if first and not facts.legal_rep and is_person_name(first.group(1)):
        facts.legal_rep = first.group(1)
    me = roles.name_is_me.match(rest.strip())
    if me and not is_person_name(me.group(1)):
        me = None  # 「法人是我们老板…」: 「法人」 is no name
    if me:
        facts.agent_is_legal_rep = True
        facts.legal_rep = facts.legal_rep or me.group(1)
    if not facts.agent_name and not me:
        for m in roles.i_am.finditer(rest):
            if roles.role_start.match(m.group(1)):
                continue
            if rest[m.start(1):].startswith(trim_name(m.group(1)) + "的"):
                continue  # 「我是绵阳的个体户」「我是张三的儿子」: not the speaker's name
            if _VERB_AFTER_I_AM.match(m.group(1)) and rest[m.start() : m.start(1)].startswith("我是"):
                continue
            # 「我是会计 我叫李娟」: the title, then the name said again after 我叫 (seventh hand try: lost)
            name = person(re.sub(r"^(?:我叫|我是|我姓名是|我名字是|我就是)", "", m.group(1)), "agent_name")
            if name:
                facts.agent_name = name
                break
    if facts.agent_name and facts.agent_name == facts.legal_rep:
        facts.agent_is_legal_rep = True  # 「法人赵大勇，我就是赵大勇」 (third hand try: the agent asked again)
    if facts.agent_is_legal_rep:
        if facts.legal_rep and not facts.agent_name:
            facts.agent_name = facts.legal_rep
        elif facts.agent_name and not facts.legal_rep:
            facts.legal_rep = facts.agent_name
    return facts
