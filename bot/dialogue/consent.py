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

import functools
import re
import unicodedata
from dataclasses import dataclass

YES, NO, UNCLEAR = "yes", "no", "unclear"
# Words naming the action being confirmed (see read_consent's agree_words).
WITHDRAW_WORDS = ("撤回申请", "撤销申请", "取消申请", "撤回", "撤销", "撤了", "取消")
AMEND_WORDS = ("修改", "改吧", "改了", "改")

# Button payloads and their words.
_PAYLOAD_YES = {"/affirm", "/confirm", "true", "yes", "y", "ok", "okay"}
_PAYLOAD_NO = {"/deny", "/cancel", "false", "no", "n"}
_PUNCT = re.compile(r"[\s,.;:!~`'\"，。；：！、…—\-（）()【】\[\]《》<>“”‘’·]+")


@functools.lru_cache(maxsize=1)
def _words() -> dict[str, re.Pattern]:
    """The word patterns of guides/lexicon.yml `consent` (the one lexicon), compiled once."""
    from bot.guide.loader import load_guide

    return {k: re.compile("|".join(v)) for k, v in load_guide().lexicon.section("consent").items()}


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
    w = _words()
    if materials and w["materials_done"].search(raw):
        if not w["materials_not_done"].search(raw):
            return Consent(YES, "materials done")
    if w["unsure"].search(raw):
        return Consent(UNCLEAR, "unsure")
    agreeing = w["agreeing_negations"].sub("好", raw)
    if w["question"].search(_PUNCT.sub("", agreeing)) or re.search(r"[?？]", raw):
        return Consent(UNCLEAR, "question")
    m = w["refuse"].search(agreeing)
    if m:
        return Consent(NO, m.group(0))
    compact = _PUNCT.sub("", agreeing)
    if w["bare_done"].fullmatch(compact):  # 「好了」 alone also means "enough / stop": ask again
        return Consent(UNCLEAR, "bare 好了")
    if not w["agree"].search(compact):
        return Consent(UNCLEAR, "no agreement word")
    if w["but"].search(compact):
        return Consent(UNCLEAR, "but")
    rest = w["filler"].sub("", w["agree"].sub("", compact))
    if len(rest) > MAX_YES_REST:
        return Consent(UNCLEAR, f"more than agreement: {rest}")
    return Consent(YES, "agreement")


def bare_hum(text: str) -> bool:
    """「嗯」「嗯嗯」「哦」 and nothing else (guides/lexicon.yml consent.bare_hum)."""
    return bool(_words()["bare_hum"].fullmatch(_clean(text)))


def agreeing_removed(text: str) -> str:
    """`text` without the agreeing phrases that contain a negation (「没错」「没问题」)."""
    return _words()["agreeing_negations"].sub("", _clean(text))


# 「这个承诺我要先问下老板」「我跟股东商量一下」: the applicant will answer later (neither yes nor a
# question to answer from the guide): lexicon `consent.defers`.
def defers(text: str) -> bool:
    """Whether `text` puts the answer off until later (to ask someone, to think it over)."""
    return bool(_words()["defers"].search(unicodedata.normalize("NFKC", text or "")))


def submits_only(text: str) -> bool:
    """「确认提交」「提交」「交」 and nothing more (guides/lexicon.yml `submit_only_words`): at the
    commitment, a wish to send the form is not the undertaking itself (hand try: 「不同意」, then
    「确认提交」 recorded 「信用承诺：已同意」)."""
    from bot.guide.loader import load_guide

    rest = _clean(text)
    for word in sorted(load_guide().lexicon.section("submit_only_words"), key=len, reverse=True):
        rest = rest.replace(word, "")
    return bool(_clean(text)) and not re.sub(r"[\W_了吧嘛啊哦呀嘞哈]+", "", rest)


def asks_to_submit(text: str) -> bool:
    """「你先帮我提交嘛」「好嘛好嘛 你先提交嘛」: a wish to send the form without a word of the
    undertaking (guides/lexicon.yml `submitting_words`, `undertaking_words`) — at the commitment,
    never the undertaking (seventh hand try: after 「不同意」 it was recorded as 「信用承诺：已同意」
    and the case submitted)."""
    from bot.guide.loader import load_guide

    lexicon, clean = load_guide().lexicon, _clean(text)
    return lexicon.mentions(clean, "submitting_words") and lexicon.mentions(clean, "submit_skip_words") \
        and not lexicon.mentions(clean, "undertaking_words")


def withdraws_commitment(text: str) -> bool:
    """「我没同意承诺哦」「我不同意承诺 先不交」 at the summary: the commitment taken back."""
    from bot.guide.loader import load_guide

    return (read_consent(text).answer == NO
            and load_guide().lexicon.mentions(text, "commitment_words"))
