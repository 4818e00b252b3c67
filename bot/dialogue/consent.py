"""One negation-aware reader for every confirmation the assistant asks for (credit commitment,
summary, cancel, withdraw, reminder consent): yes, no, or unclear.

A refusal is never consent, and neither is anything we are not sure about: only an answer made
of agreement words (and a little filler) is `YES`. Negations are read first (「不同意」「不可以」
「先别提交」「承诺个锤子」), questions and hesitations are `UNCLEAR` (「要承诺啥子」「不确定」
「再想想」 is a refusal for now), and fixed phrases that contain a negation but agree (「没问题」
「没毛病」「不用改」) are taken out before the negation scan.

    >>> read_consent("不可以").answer
    'no'
    >>> read_consent("要得").answer
    'yes'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

YES, NO, UNCLEAR = "yes", "no", "unclear"
# Words naming the action being confirmed (see read_consent's agree_words).
WITHDRAW_WORDS = ("撤回申请", "撤销申请", "取消申请", "撤回", "撤销", "撤了", "取消")
AMEND_WORDS = ("修改", "改吧", "改了", "改")

# Agreeing phrases that contain a negation character; removed before the negation scan.
_AGREEING_NEGATIONS = re.compile(
    r"没问题|没有问题|没得问题|莫得问题|没啥问题|没什么问题|没得啥子问题|没毛病|没错|没有错|不错|无误|"
    r"不用改|不用修改|不需要改|不需要修改|没有要改|没什么要改|没啥要改|不改了|没有异议|无异议|"
    r"不得不同意|不反对|没意见|没有意见|没得意见|核对过了?|核对了|检查过了?|检查了|看过了|都没错"
)
# Button payloads and their words.
_PAYLOAD_YES = {"/affirm", "/confirm", "true", "yes", "y", "ok", "okay"}
_PAYLOAD_NO = {"/deny", "/cancel", "false", "no", "n"}

# A question or a hesitation: never consent.
_QUESTION = re.compile(
    r"[?？]|吗[呀啊哈嘛]?$|"
    r"啥|什么|怎么|怎样|咋|为什么|为啥|哪|多少|几[个天时]|如何|是否|能否|"
    r"(同意|承诺|可以|行|对|是|好|中|要|确认|提交|能)不(同意|承诺|可以|行|对|是|好|中|要|确认|提交|能)|"
    r"有没有|是不是|要不要|能不能|可不可以|会不会|[了过]\S*没有?$"
)
_UNSURE = re.compile(
    r"不确定|不知道|不晓得|不清楚|不太清楚|说不好|不好说|拿不准|搞不懂|听不懂|看不懂|不明白|不懂|"
    r"不太明白|没看懂|没懂|看不清|随便|无所谓|都行吧|也许|可能|大概|应该|差不多吧|好像|似乎|估计|或许|"
    r"^嗯+[？?]|^哦+$|^啊+$"
)
# Refusals, delays, disagreement.
_NO = re.compile(
    r"不同意|不承诺|不愿意?|不想|不能|不可以|不行|不得行|要不得|不要|不用|不必|不中|不好|不干|"
    r"不提交|别提交|先别|别急|不急|不慌|莫慌|暂[时且]?不|暂缓|先不|还不|不了|不接受|不认可|不确认|"
    r"不对|不太对|不是很对|对不上|不是|不正确|不准确|不一致|有误|有错|错了|搞错|弄错|写错|填错|打错|输错|"
    r"拒绝|反对|算了|再想想|再说|改天|回头|先放|放一[下哈]|想一想|想想|考虑|等等|等一下|等下|等会|稍等|慢着|慢点|先停|"
    r"核对|检查|再看|看一下|看下|确认一下|问一下|问问|"
    r"取消|撤回|放弃|不办了|不弄了|不搞了|"
    r"个锤子|个屁|个鬼|个毛|个铲铲|个头|"
    r"没同意|没有同意|没承诺|莫得|没得|没有|没|别|否|"
    r"\bno\b|\bnope\b|\bnot\b|\bdon'?t\b|\bcancel\b|"
    r"不"  # any other negation (「不签」「不认」): never consent
)
# Agreement words; an answer is YES when it is made of these and filler only.
_YES_WORDS = re.compile(
    r"同意并承诺|同意承诺|确认提交|确定提交|确认无误|信息无误|"
    r"同意|承诺|确认|确定|提交|愿意|接受|认可|认同|答应|"
    r"可以的?|阔以|可以了|行的?|行吧|中|要得|得行|对头|对的|对|是的|是|"
    r"好的?|好嘞|好滴|好吧|嗯嗯?|恩|没错|无误|没问题|没毛病|"
    r"ok|okay|yes|yep|sure|👌|👍|✅|"
    r"办吧|交吧|提交吧|就这样|就这么办|就这些|都对|全对|正确|没有异议|无异议"
)
_FILLER = re.compile(
    r"我|我们|本人|都|已|已经|就|那|那就|那么|吧|啊|呀|嘛|哈|哦|噢|呢|了|的|滴|嘞|撒|噻|哟|哇|"
    r"阅读|读过|看过|看了|看完|明白|知道|清楚|理解|晓得|懂了|"
    r"并|并且|而且|和|也|再|一下|下|上述|上面|以上|信息|内容|资料|申请|表|"
    r"继续|可以|全部|没有|问题|这个|按|照|办|吧|帮我|请|麻烦|谢谢|谢了|感谢"
)
_PUNCT = re.compile(r"[\s,.;:!~`'\"，。；：！、…—\-（）()【】\[\]《》<>“”‘’·]+")
_BARE_DONE = re.compile(r"(好了|好啦|好了好了|行了|行了行了|得了|够了)")
MAX_YES_REST = 4  # characters left after removing agreement and filler words


@dataclass(frozen=True)
class Consent:
    answer: str  # YES | NO | UNCLEAR
    why: str  # what decided it, for tests and logs

    @property
    def yes(self) -> bool:
        return self.answer == YES


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").strip().lower()
    return text


def read_consent(text: str, *, materials: bool = False, agree_words: tuple[str, ...] = ()) -> Consent:
    """yes / no / unclear for a confirmation question. With `materials`, 「不需要（上传）」
    「没有要传的」 mean "nothing to upload", i.e. go on. `agree_words` name the action being
    confirmed (「撤回」 when asked 「确定撤回吗」): said alone they agree, negated they refuse."""
    raw = _clean(text)
    for word in sorted(agree_words, key=len, reverse=True):
        raw = raw.replace(word, "确认")
    if not raw:
        return Consent(UNCLEAR, "empty")
    if raw in _PAYLOAD_YES:
        return Consent(YES, "payload")
    if raw in _PAYLOAD_NO:
        return Consent(NO, "payload")
    if raw.startswith("/"):
        return Consent(UNCLEAR, "payload")
    if materials and re.search(r"不需要|没有要[传交上]|不用[传交上]|没得要|无需|都传了|传完|传好|上传了|已上传|弄好|搞好|好了", raw):
        if not re.search(r"还没|没传|没有传|没弄好|没好|没搞好|不会传|传不上|传不了", raw):
            return Consent(YES, "materials done")
    if _UNSURE.search(raw):
        return Consent(UNCLEAR, "unsure")
    agreeing = _AGREEING_NEGATIONS.sub("好", raw)
    if _QUESTION.search(_PUNCT.sub("", agreeing)) or re.search(r"[?？]", raw):
        return Consent(UNCLEAR, "question")
    m = _NO.search(agreeing)
    if m:
        return Consent(NO, m.group(0))
    compact = _PUNCT.sub("", agreeing)
    if _BARE_DONE.fullmatch(compact):  # 「好了」 alone also means "enough / stop": ask again
        return Consent(UNCLEAR, "bare 好了")
    if not _YES_WORDS.search(compact):
        return Consent(UNCLEAR, "no agreement word")
    if re.search(r"但是?|不过|只是|就是说|可是", compact):
        return Consent(UNCLEAR, "but")
    rest = _FILLER.sub("", _YES_WORDS.sub("", compact))
    if len(rest) > MAX_YES_REST:
        return Consent(UNCLEAR, f"more than agreement: {rest}")
    return Consent(YES, "agreement")


def agreeing_removed(text: str) -> str:
    """`text` without the agreeing phrases that contain a negation (「没错」「没问题」)."""
    return _AGREEING_NEGATIONS.sub("", _clean(text))


# 「这个承诺我要先问下老板」「我跟股东商量一下」: the applicant will answer later (neither yes nor a
# question to answer from the guide).
_DEFERS = re.compile(
    r"先问|问[下一]下?|问问|请示|商量|跟\S{1,6}(?:说|讲)一?[声下]|等我|晚点|晚些|回头|过会|待会|一会儿?再|明天再|考虑[一下]*"
)


def defers(text: str) -> bool:
    """Whether `text` puts the answer off until later (to ask someone, to think it over)."""
    return bool(_DEFERS.search(unicodedata.normalize("NFKC", text or "")))
