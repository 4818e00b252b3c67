"""Word lists for the fact extractor.

Department and service-item words come from the guide (`aliases` + `short` + `name`), so a new
alias in guides/*.yml is picked up without touching code. Only small closed vocabularies that the
guide does not carry (penalty types, duty verbs, subject words, ...) live here as constants.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Generic, Iterable, TypeVar

from bot.guide.loader import Guide
from bot.rules.inputs import SERVICE_ITEM

V = TypeVar("V")

MASK = "\x00"  # control chars never survive normalise_user_text, so this never occurs in input

# service item code (guides/items/) -> record kind (rules-engine input)
ITEM_KIND = {item: kind for kind, item in SERVICE_ITEM.items()}
# Seriousness of a kind when a sentence names several: a list is usually the current state and a
# penalty its cause (「罚款没交被列入严重违法失信名单」).
KIND_RANK = {"serious_list": 3, "abnormal_list": 2, "penalty": 1}




@dataclass(frozen=True)
class Hit(Generic[V]):
    start: int
    end: int
    word: str
    value: V


class Terms(Generic[V]):
    """Literal words -> value; `find` returns non-overlapping hits, longest word first at a position."""

    def __init__(self, mapping: dict[str, V]):
        self.mapping = dict(mapping)
        words = sorted((w for w in self.mapping if w), key=len, reverse=True)
        self._rx = re.compile("|".join(map(re.escape, words))) if words else None

    def find(self, text: str) -> list[Hit[V]]:
        if self._rx is None or not text:
            return []
        return [Hit(m.start(), m.end(), m.group(0), self.mapping[m.group(0)]) for m in self._rx.finditer(text)]


class Patterns(Generic[V]):
    """Ordered regex alternatives -> value (first alternative that matches at a position wins)."""

    def __init__(self, pairs: Iterable[tuple[str, V]]):
        pairs = list(pairs)
        self._values = [v for _, v in pairs]
        self._rx = re.compile("|".join(f"(?P<g{i}>{p})" for i, (p, _) in enumerate(pairs)))

    def find(self, text: str) -> list[Hit[V]]:
        if not text:
            return []
        out = []
        for m in self._rx.finditer(text):
            if m.end() > m.start():
                out.append(Hit(m.start(), m.end(), m.group(0), self._values[int(m.lastgroup[1:])]))
        return out


# ----- penalty details ------------------------------------------------------------------------
PENALTY_PATTERNS: Patterns[str] = Patterns([
    (r"通报批评", "criticism"),
    (r"警告", "warning"),
    (r"罚没款|罚款|罚金", "fine"),
    (r"没收", "confiscation"),
    (r"(?:责令)?(?:停产停业|停业整顿|停产整顿|停止营业|停业)|限制开展生产经营活动", "suspension"),
    (r"吊销|撤销(?:许可|执照|营业执照)", "license_revocation"),
    (r"降低资质等级|资质降级|降低资质|降级", "qualification_downgrade"),
    (r"限制从业|禁止从业|禁止从事|行业禁入|市场禁入|从业禁止", "trade_ban"),
])

PROCEDURE_PATTERNS: Patterns[str] = Patterns([
    (r"简易程序|简易处罚|当场(?:处罚|罚款|作出|开具?(?:了|的)?罚单|开罚单|罚)", "simple"),
    (r"一般程序|普通程序", "general"),
])

# 「严重失信行为」 is a grading, 「严重失信名单」 a list: phrases ending in 行为 are read first.
SEVERITY_PHRASES: Patterns[str] = Patterns([
    (r"(?:严重|情节严重的?)(?:失信|违法|违规)?行为", "serious"),
    (r"(?:一般|较轻的?)(?:失信|违法|违规)行为", "general"),
    (r"轻微(?:失信|违法|违规)?行为", "minor"),
])
# 「不晓得是一般还是严重」: two grades offered as alternatives — the grade is not known (sixth hand
# try: read as 严重, the latest word)
SEVERITY_EITHER = re.compile(r"(?:轻微|一般|严重)的?(?:还是|或者|或是|或)(?:轻微|一般|严重)")
# 「程度不晓得」「不清楚啥子程度」: the grade is not known — said, so not asked again (fourth hand try)
SEVERITY_UNKNOWN = re.compile(
    r"(?:程度|轻重|严不严重|失信程度)[^，,。；;！!？?]{0,3}(?:不晓得|不清楚|不知道|不确定|记不得|记不清|搞不清|不懂)"
    r"|(?:不晓得|不清楚|不知道|不确定|搞不清)[^，,。；;！!？?]{0,3}(?:啥子|什么|哪个|哪种|啥)?(?:程度|轻重|严不严重)")
SEVERITY_PATTERNS: Patterns[str] = Patterns([
    (r"轻微", "minor"),
    (r"情节严重|性质严重|特别严重|比较严重|非常严重|很严重|严重(?!违法失信|失信)", "serious"),
    (r"较轻|比较轻",
     "general"),
    # 一般 is also "usually"; only read it next to a grading word.
    (r"一般(?=的?(?:失信|违法|违规|处罚|情形|情节|类|级|档|程度|性质))"
     r"|(?:属于|算是|算|定为|认定为|情节|性质|程度|写的|写得|写着|写的是|上写)一般", "general"),
])

# ----- reasons for the abnormal-operation list -------------------------------------------------
REASON_PATTERNS: Patterns[str] = Patterns([
    (r"年度报告|年度工作报告|年报|年检", "annual_report"),
    (r"即时信息|即时公示", "instant_info"),
    (r"弄虚作假|隐瞒|虚假|造假|作假", "false_info"),
    (r"联系不上|联系不到|无法联系|失去联系|查无此人|失联|找不到人|地址|住所|经营场所|搬走|搬家", "unreachable"),
])

# ----- duties performed or not ------------------------------------------------------------------
_JIAO = r"(?<![提递移转外成社])交"  # 交 but not 提交/移交/...
_DUTY_VERB = rf"缴纳|支付|履行|补报|整改|改正|更正|变更|{_JIAO}|缴|付|补|改|还"
# Not done, partly done or still in progress. Matched before the positive forms, so 还没交 is
# never read as 交.
DUTY_NEGATIVE: Patterns[bool] = Patterns([
    (rf"(?:{_JIAO}|缴|付|还|补)了?(?:一部分|一半|部分)|部分(?:缴纳|支付|履行|整改)", False),
    # 莫/莫得: Sichuan for 没 (「钱还莫交」「罚款莫得交」)
    (rf"(?:没有|没能|没|莫得|莫有|莫|尚未|还未|未能|未)(?:全部|完全|按时|及时|全额)?(?:{_DUTY_VERB}|报)"
     r"(?:完|清|齐|好|到位)?", False),
    (r"(?:还|仍|依然|正)在(?:整改|补报)|(?:整改|补报)中", False),
    # wages not (all) paid: 「工资没发」「还没发完」「只发了一半」 — not 「没发票」「没发决定书」
    (r"(?:工资|薪水|薪资|工钱)[^，,。；;]{0,6}?(?:没有|没|莫得|莫|尚未|还未|未)(?:全部|完全)?发"
     r"|(?:没有|没|莫得|莫|尚未|还未|未)(?:全部|完全)?发(?:完|清|齐|放|到位)"
     r"|(?:只|才)发了|发了?(?:一半|一部分|部分)|陆续发", False),
    (r"还差|还欠|欠着|拖着|交不起|交不上|不想交|不交|拒不(?:缴纳|履行|整改|改正)", False),
])
DUTY_POSITIVE: Patterns[bool] = Patterns([
    (rf"(?:已经|已|都|早就|早已|早|全部|全都|均)?(?:{_DUTY_VERB})(?:完毕|完成|完|清|好|齐|上|掉|到位)?(?:撒|噻)?了",
     True),
    (rf"已经?(?:全部|全额)?(?:{_DUTY_VERB}|结清)(?:完毕|完成|完|清|好|齐|到位)?", True),
    (rf"(?:缴|付|还|结|{_JIAO})清", True),
    (rf"(?:缴纳|支付|履行|补报|整改|{_JIAO}|缴|付)(?:完毕|完成|到位)", True),
    (rf"(?:{_JIAO}|缴|付)的(?:罚款|钱)?", True),
    (r"(?:搞定|处理好|处理完|办好|办完)了", True),
    # wages paid (人社's list): 「工资今年3月份就全部发清了」「发完了」 (seventh hand try: asked again)
    (r"发(?:清|完|齐|放完毕|到位)", True),
    (r"(?:工资|薪水|薪资|工钱)[^，,。；;]{0,8}?发了", True),
])
AMOUNT_NOT_FINE = re.compile(r"(?:还差|还欠|欠了|欠着|还剩|剩下|营业额|销售额|货值|违法所得)[^，,。；;罚]*")
# A negative right before 被/导致 is the cause of the record, not the current state:
# 「年报没报被列入经营异常」.
CAUSE_AFTER = re.compile(
    r"^(?:(?!会|怕|可能|担心|万一)[^，,。；;！!？?]){0,4}?(?:被|才被|所以|导致|就被|给列|列入|上了)"
)
# 「说是没报年报」「因为没交罚款」: the reason given for the record, not the current state.
CAUSE_BEFORE = re.compile(r"(?:说是|据说|说我们?|因为|由于|原因是|理由是|是因为)[^，,。；;！!？?]{0,2}$")
# 得 'must' (「得先交了才行」), but not 没得/莫得 (= 没有), 要得 (= OK), 晓得/懂得/记得/觉得:
# 「没得问题 交了」「要得 交了」 say it is paid.
HYPOTHETICAL_BEFORE = re.compile(
    r"(?:如果|要是|假如|假设|万一|需要|必须|应该|能不能|是否|(?<![没莫要晓懂记觉认])得|要(?!得)|先|等)"
    r"[^，,。；;！!？?]{0,3}$"
)
# 「好 我去补了」「马上去交」: about to do it, not done (seventh hand try: marked corrected). 「去交了」 may
# also mean it was done: the safe reading is "not yet" unless the message says when it was done
# (DONE_ALREADY) — a wrong "done" misleads the verdict and the commitment.
_GOING_LEAD = r"(?:(?<![过回])去(?!年)|要去|马上|等下|等会|等一下|明天|回头|这就|准备|打算|一会儿?)"
GOING_TO_BEFORE = re.compile(_GOING_LEAD + r"[^，,。；;！!？?]{0,2}$")  # before a duty verb found
GOING_TO = re.compile(_GOING_LEAD + r"[^，,。；;！!？?]{0,2}?(?:补|交|缴|改|报|发|付|还)")
DONE_ALREADY = re.compile(r"已经|早就|昨天|前天|上个月|上周|上星期|之前|前几天|今天上午|刚才|刚刚|后来|当时|那天")
# 「那我交清了就可以申请了噻」: a condition (once it is paid, then…), not news that it is paid (sixth hand try)
IF_DONE = re.compile(r"(?:交|缴|补|改|付|发|还)(?:清|完|了|好|齐)+了?(?:以后|之后|过后)?(?:是不是|是不)?就(?:可以|能|行|得行|要得)")


def about_to(text: str) -> bool:
    """A duty about to be done (「好 我去补了」), said without when it was done."""
    return bool(GOING_TO.search(text)) and not DONE_ALREADY.search(text)


def done_if(text: str) -> bool:
    """「那我交清了就可以申请了噻」: a condition on the duty being done, not a statement of it."""
    return bool(IF_DONE.search(text)) and not DONE_ALREADY.search(text)


# 「交了好久可以修复」「交了过后哪天能申请」: a question about after paying, not a statement that it is paid
HYPOTHETICAL_AFTER = re.compile(
    r"^(?:罚款|钱)?(?:之后|以后|后|过后|的话|吗|么|没有?(?:[？?]|$)|[^，,。；;！!？?]{0,2}?(?:好久|多久|多长时间|哪天|啥时候|什么时候|几时)(?![了咯啦喽]))")

# ----- negation and hypotheticals around a word --------------------------------------------------
NEGATED_BEFORE = re.compile(
    r"(?:(?:没有|没|未|并未|从未)(?:被|列入|列|上|进|到|在|有)*"
    r"|(?:不|并非|非|无|别)(?:是|算|属于|在)*(?:被|列入|列)*)$"
)
HYPOTHETICAL_LIST_BEFORE = re.compile(
    r"(?:会|怕|担心|避免|防止|以免|不想|可能|是否|如果|要是|万一)(?:被|列入|列|上|进|纳入|拉进)*$"
)

# ----- events, to tell a decision date from a fulfilment date ------------------------------------
DECISION_EVENT = re.compile(
    r"处罚|罚|决定|列入|列为|被列|列(?=的|进|到|了)|纳入|拉入|拉黑|上了|录入|认定|下达|开具|查处|吊销|警告|没收|责令|名单|名录|异常|(?<!商)标(?=的|了|成|记|为)"
)
DUTY_EVENT = re.compile(rf"{_JIAO}|缴|付|整改|补报|补|改正|更正|履行|还清|结清|变更")
CLAUSE_BREAK = re.compile(r"[，,。；;！!？?\n、]")

# Decision-number brackets, masked so 〔2025〕 is never read as a year or an amount
# (the number itself is normalised by bot.parsing.normalise_decision_number).
DECISION_NUMBER_CORE = re.compile(
    r"[〔\[【（(﹝〖［]\s*(?:19|20)\d{2}\s*[〕\]】）)﹞〗］]\s*第?\s*\d{1,8}\s*[号號]"
)
USCC_LIKE = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NPQRTUWXY]{18}(?![0-9A-Z])")


@dataclass(frozen=True)
class Lexicon:
    """Guide-derived words: one scanner over subject, department and record-kind words, so the
    longest word wins across them (个体工商户 over 工商, 社会组织登记管理机关 over 社会组织)."""

    words: Terms[tuple[str, str]]  # word -> (field, value), field in subject_type/department/kind
    departments: Terms[str]
    subjects: Terms[str]


def _guide_words(entry: dict) -> list[str]:
    return [w for w in (*entry.get("aliases", ()), entry.get("short"), entry.get("name")) if w]


@functools.lru_cache(maxsize=8)
def lexicon(guide: Guide) -> Lexicon:
    words: dict[str, tuple[str, str]] = {}

    def add(word: str, field: str, value: str) -> None:
        words.setdefault(word, (field, value))  # first definition wins; guide before constants

    departments: dict[str, str] = {}
    for code, dept in guide.departments.items():
        for w in _guide_words(dept):
            departments.setdefault(w, code)
            add(w, "department", code)
    for item, data in guide.items.items():
        kind = ITEM_KIND.get(item)
        if kind:
            for w in _guide_words(data):
                add(w, "kind", kind)
    # record-kind cues that are not service-item names, and subject words: guides/lexicon.yml
    for kind, cues in guide.lexicon.record_cues.items():
        for w in cues:
            add(w, "kind", kind)
    subjects: dict[str, str] = {}
    for value, subject_words in guide.lexicon.subject_words.items():
        for w in subject_words:
            subjects.setdefault(w, value)
            add(w, "subject_type", value)
    return Lexicon(words=Terms(words), departments=Terms(departments), subjects=Terms(subjects))


def mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = MASK * (end - start)
    return "".join(chars)


def window_before(text: str, start: int, size: int = 8) -> str:
    before = text[max(0, start - size):start]
    # Only look inside the clause.
    parts = CLAUSE_BREAK.split(before)
    return parts[-1] if parts else ""


def negated(text: str, start: int) -> bool:
    return NEGATED_BEFORE.search(window_before(text, start)) is not None

