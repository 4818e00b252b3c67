"""Extract the facts of one credit record from one free Chinese sentence.

    >>> facts = extract_record_facts("我们公司去年3月被市场监管局罚了2万，已经交了", date(2026, 11, 25))
    >>> facts.to_record()
    {'kind': 'penalty', 'department': 'market_regulation', 'decision_date': '2025-03-01', ...}
    >>> facts.date_precision
    'month'

Only what the user said is returned; nothing is inferred from the rules (an abnormal-list record
gets no department unless one is named). Dates, amounts and decision numbers are read with
bot.parsing; department and record-kind words come from the guide.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Optional

from bot.guide.loader import Guide, load_guide
from bot.parsing import (
    ParsedDate,
    check_uscc,
    normalise_decision_number,
    normalise_user_text,
    parse_all_dates,
    parse_amount_yuan,
    uscc_subject_hint,
)
from bot.rules.inputs import RECORD_KEYS

from . import vocab
from .vocab import Hit, mask, negated

MAX_CHARS = 2000  # one message; a longer paste is cut (keeps a 5,000-character input fast)

LIST_KINDS = ("abnormal_list", "serious_list")
_GRADINGS = {"轻微": "minor", "一般": "general", "严重": "serious", "一般的": "general", "轻微的": "minor",
             "严重的": "serious", "一般处罚": "general", "一般失信": "general"}
_GRADING_ALONE = re.compile(r"(?:^|[\s，,。；;]|都是|就是|^是)(一般处罚|一般失信|一般的|轻微的|严重的|轻微|一般|严重)(?=$|[\s，,。；;])")


@dataclass
class RecordFacts:
    """What one sentence says about one record. Unknown facts are None (or an empty list).

    `date` is the decision date (penalty) or the listing date (lists); `done` says whether the
    duties are performed: obligations_fulfilled for a penalty, corrected for a list. The
    kind-specific names (decision_date, corrected, ...) are properties reading these.
    """

    kind: Optional[str] = None
    department: Optional[str] = None
    date: Optional[dt.date] = None
    date_precision: Optional[str] = None  # 'day' | 'month' | 'year'
    procedure: Optional[str] = None
    severity: Optional[str] = None
    penalties: list[str] = field(default_factory=list)
    fine_amount: Optional[int] = None
    done: Optional[bool] = None
    done_date: Optional[dt.date] = None
    done_date_precision: Optional[str] = None
    reason: Optional[str] = None
    decision_number: Optional[str] = None
    subject_type: Optional[str] = None
    matched: dict[str, list[str]] = field(default_factory=dict)

    # ----- kind-specific views ----------------------------------------------------------------
    def _if(self, kinds: tuple[str, ...], value):
        return value if self.kind in kinds else None

    @property
    def decision_date(self) -> Optional[dt.date]:
        return self._if(("penalty",), self.date)

    @property
    def listed_date(self) -> Optional[dt.date]:
        return self._if(LIST_KINDS, self.date)

    @property
    def obligations_fulfilled(self) -> Optional[bool]:
        return self._if(("penalty",), self.done)

    @property
    def fulfilled_date(self) -> Optional[dt.date]:
        return self._if(("penalty",), self.done_date)

    @property
    def corrected(self) -> Optional[bool]:
        return self._if(LIST_KINDS, self.done)

    @property
    def corrected_date(self) -> Optional[dt.date]:
        return self._if(LIST_KINDS, self.done_date)

    @property
    def authority_name(self) -> Optional[str]:
        """The deciding body as said, when it is none of the seven departments (「交通运输局」,
        summed up as 其他部门): kept so the application names it."""
        if self.department != "other":
            return None
        said = [w for w in self.matched.get("department", []) if not w.startswith("其他")]
        return said[0] if said else None

    # ----- output -----------------------------------------------------------------------------
    def to_record(self, kind: Optional[str] = None) -> dict:
        """The known facts as a record dict (only keys with a value).

        `kind` overrides the extracted kind, e.g. after asking the user. Without a kind, the
        kind-specific facts (dates, fulfilled/corrected) cannot be keyed and are left out; they
        stay available as `date`, `done`, `done_date`.
        """
        kind = kind or self.kind
        out: dict = {}
        if kind:
            out["kind"] = kind
        if self.department:
            out["department"] = self.department
        iso = lambda d: d.isoformat() if d else None  # noqa: E731
        if kind == "penalty":
            out.update(
                decision_date=iso(self.date),
                procedure=self.procedure,
                severity=self.severity,
                penalties=list(self.penalties) or None,
                fine_amount=self.fine_amount,
                obligations_fulfilled=self.done,
                fulfilled_date=iso(self.done_date),
            )
        elif kind in LIST_KINDS:
            out.update(
                listed_date=iso(self.date),
                reason=self.reason if kind == "abnormal_list" else None,
                corrected=self.done,
                corrected_date=iso(self.done_date),
            )
        else:
            out.update(procedure=self.procedure, severity=self.severity,
                       penalties=list(self.penalties) or None, fine_amount=self.fine_amount,
                       reason=self.reason)
        out["decision_number"] = self.decision_number
        out["authority_name"] = self.authority_name
        return {k: v for k, v in out.items() if v is not None}

    def to_rules_record(self, kind: Optional[str] = None) -> dict:
        """`to_record` cut to the keys bot.rules.inputs accepts for the kind (no decision_number;
        no corrected_date on an abnormal-list record)."""
        record = self.to_record(kind)
        allowed = RECORD_KEYS.get(record.get("kind"), ())
        return {k: v for k, v in record.items() if k in allowed}

    def precisions(self, kind: Optional[str] = None) -> dict[str, str]:
        """Precision of every date in `to_record(kind)`, by record key."""
        kind = kind or self.kind
        keys = {"penalty": ("decision_date", "fulfilled_date")}.get(
            kind, ("listed_date", "corrected_date") if kind in LIST_KINDS else (None, None))
        out = {}
        if keys[0] and self.date:
            out[keys[0]] = self.date_precision
        if keys[1] and self.done_date:
            out[keys[1]] = self.done_date_precision
        return out

    def _note(self, what: str, word: str) -> None:
        self.matched.setdefault(what, []).append(word)


# ----- the extractor --------------------------------------------------------------------------
def extract_record_facts(text: str, today: dt.date, guide: Guide | None = None) -> RecordFacts:
    """The facts of one credit record in `text` (free Chinese); relative dates count from `today`."""
    guide = guide or load_guide()
    lex = vocab.lexicon(guide)
    facts = RecordFacts()
    clean = normalise_user_text(text or "", MAX_CHARS)
    if not clean:
        return facts

    number = normalise_decision_number(clean)
    if number:
        facts.decision_number = number
        facts._note("decision_number", number)
    base = mask(clean, (m.span() for m in vocab.DECISION_NUMBER_CORE.finditer(clean)))

    work = base
    either = vocab.SEVERITY_EITHER.search(work)
    if either:
        facts.severity = "unknown"
        facts._note("severity", either.group(0))
        work = mask(work, [either.span()])
    # Gradings spelt with 行为 first (严重失信行为 is not the 严重失信 list), then procedures
    # (一般程序 is not the 一般 grading).
    sev_phrases = vocab.SEVERITY_PHRASES.find(work)
    _take_first(facts, "severity", [h for h in sev_phrases if not negated(work, h.start)])
    work = mask(work, ((h.start, h.end) for h in sev_phrases))
    procs = vocab.PROCEDURE_PATTERNS.find(work)
    _take_first(facts, "procedure", [h for h in procs if not negated(work, h.start)])
    work = mask(work, ((h.start, h.end) for h in procs))

    word_hits = lex.words.find(work)
    _read_words(facts, work, word_hits, lex)
    _grade_not_list(facts, work, word_hits, guide)
    _listed_for_a_reason(facts, work, guide)
    work = mask(work, ((h.start, h.end) for h in word_hits))
    if facts.severity is None:
        _take_first(facts, "severity",
                    [h for h in vocab.SEVERITY_PATTERNS.find(work) if not negated(work, h.start)])
    if facts.severity is None:
        # 「…罚款5000 一般 已经交清」: a grading said on its own, as its own clause
        alone = _GRADING_ALONE.search(work)
        if alone:
            facts.severity = _GRADINGS[alone.group(1)]
            facts._note("severity", alone.group(1))
    if facts.severity is None:
        unknown = vocab.SEVERITY_UNKNOWN.search(work)
        if unknown:  # 「程度不晓得」: asked once already, in effect — the three grades' dates follow
            facts.severity = "unknown"
            facts._note("severity", unknown.group(0))

    # Department and subject words are masked for the event and duty scans (交 in 交通局).
    names = mask(base, ((h.start, h.end) for h in word_hits if h.value[0] != "kind"))
    _read_subject_code(facts, clean)
    duty_hits = _read_duty(facts, names)
    _read_penalty(facts, base)
    if facts.kind == "abnormal_list":
        _take_first(facts, "reason", vocab.REASON_PATTERNS.find(base))
    _read_dates(facts, base, names, duty_hits, today)
    return facts


def _take_first(facts: RecordFacts, what: str, hits: list[Hit]) -> None:
    if hits and getattr(facts, what) is None:
        setattr(facts, what, hits[0].value)
        facts._note(what, hits[0].word)


def _read_words(facts: RecordFacts, work: str, hits: list[Hit], lex: vocab.Lexicon) -> None:
    kinds: list[Hit] = []
    for hit in hits:
        what, value = hit.value
        if negated(work, hit.start):
            facts._note("ignored", f"{hit.word}（否定）")
            continue
        if what == "kind":
            if vocab.HYPOTHETICAL_LIST_BEFORE.search(vocab.window_before(work, hit.start)):
                facts._note("ignored", f"{hit.word}（假设）")
                continue
            kinds.append(Hit(hit.start, hit.end, hit.word, value))
            # An item name can carry a department or subject: 统计严重失信企业.
            for inner in lex.departments.find(hit.word):
                _set_once(facts, "department", inner.value, inner.word)
            for inner in lex.subjects.find(hit.word):
                _set_once(facts, "subject_type", inner.value, inner.word)
        else:
            _set_once(facts, what, value, hit.word)
    if kinds:
        best = max(kinds, key=lambda h: (vocab.KIND_RANK[h.value], -h.start))
        facts.kind = best.value
        for h in kinds:
            facts._note("kind", h.word)


def _grade_not_list(facts: RecordFacts, work: str, hits: list[Hit], guide: Guide) -> None:
    """「被税务局罚了…严重失信」: with a penalty said, a bare 严重失信 (guides/lexicon.yml
    `grade_words`, not 名单 or 黑名单) is the penalty's grade, not the serious list — as the guide
    reads it (bot/guide/resolve.py `_drop_grade_words`). Read as the list, the verdict said 「现在就
    可以申请」 where a serious penalty has to wait (hand try)."""
    if facts.kind != "serious_list":
        return
    said = [h for h in hits if h.value[0] == "kind" and not negated(work, h.start)]
    serious = {h.word for h in said if h.value[1] == "serious_list"}
    if not serious <= set(guide.lexicon.grade_words) or not any(h.value[1] == "penalty" for h in said):
        return
    verbs = tuple(guide.lexicon.section("list_verbs"))
    if any(v in work[max(0, h.start - 4):h.start] for h in said if h.value[1] == "serious_list" for v in verbs):
        return  # 「罚了款，还上了严重失信」: listed as well
    facts.kind = "penalty"
    if facts.severity is None:
        facts.severity = "serious"
        facts._note("severity", "、".join(sorted(serious)))


def _listed_for_a_reason(facts: RecordFacts, work: str, guide: Guide) -> None:
    """「地址变了莫得改，被市场监管局弄进去的」「没报年报被列进去了」: no list named, but listed
    (guides/lexicon.yml `listed_into`) for a reason only the 经营异常名录 has (vocab.REASON_PATTERNS):
    that list (hand try: 「抱歉，我没太明白」 and the facts lost)."""
    if facts.kind is not None:
        return
    if not any(v in work for v in guide.lexicon.section("listed_into")):
        return
    reasons = [h for h in vocab.REASON_PATTERNS.find(work) if not negated(work, h.start)]
    if reasons:
        facts.kind = "abnormal_list"
        facts._note("kind", reasons[0].word)


def _set_once(facts: RecordFacts, what: str, value: str, word: str) -> None:
    if getattr(facts, what) is None:
        setattr(facts, what, value)
        facts._note(what, word)
    elif getattr(facts, what) != value:
        facts._note("ignored", f"{word}（已有{what}）")


def _read_subject_code(facts: RecordFacts, clean: str) -> None:
    """A valid 统一社会信用代码 in the text says the subject type better than any word."""
    for m in vocab.USCC_LIKE.finditer(clean.upper()):
        if check_uscc(m.group(0)).ok:
            hint = uscc_subject_hint(m.group(0))
            if hint:
                facts.subject_type = hint
                facts._note("subject_type", m.group(0))
            return


def _read_duty(facts: RecordFacts, text: str) -> list[Hit]:
    """Whether the duties are done; the last statement wins (「之前没交，现在交了」).

    Returns every duty phrase found (also the ones not counted) as events for the dates."""
    negatives = vocab.DUTY_NEGATIVE.find(text)
    positives = vocab.DUTY_POSITIVE.find(mask(text, ((h.start, h.end) for h in negatives)))
    counted: list[Hit] = []
    causes: list[Hit] = []
    for hit in negatives:
        if vocab.CAUSE_AFTER.match(text[hit.end:hit.end + 8]) \
                or vocab.CAUSE_BEFORE.search(vocab.window_before(text, hit.start, 6)):
            facts._note("ignored", f"{hit.word}（列入原因）")
            causes.append(hit)
        else:
            counted.append(hit)
    for hit in positives:
        before = vocab.window_before(text, hit.start, 6)
        if vocab.HYPOTHETICAL_BEFORE.search(before) or vocab.HYPOTHETICAL_AFTER.match(text[hit.end:hit.end + 6]) \
                or (vocab.GOING_TO_BEFORE.search(before) and not vocab.DONE_ALREADY.search(text)):
            facts._note("ignored", f"{hit.word}（假设）")
        else:
            counted.append(hit)
    if counted:
        last = max(counted, key=lambda h: h.start)
        facts.done = last.value
        facts._note("done", last.word)
    # a cause (「2025年6月因为年报没报进了经营异常名录」) dates nothing: the date before it is the listing's
    return sorted([h for h in negatives if h not in causes] + positives, key=lambda h: h.start)


def _read_penalty(facts: RecordFacts, base: str) -> None:
    for hit in vocab.PENALTY_PATTERNS.find(base):
        if negated(base, hit.start):
            facts._note("ignored", f"{hit.word}（否定）")
        elif hit.value not in facts.penalties:
            facts.penalties.append(hit.value)
            facts._note("penalties", hit.word)
    fa = base.find("罚")
    while fa >= 0 and negated(base, fa):
        fa = base.find("罚", fa + 1)
    if facts.kind is None and (fa >= 0 or facts.procedure or facts.penalties
                               or (facts.decision_number and "罚" in facts.decision_number)):
        facts.kind = "penalty"
        why = facts.matched.get("procedure") or facts.matched.get("penalties") or [facts.decision_number]
        facts._note("kind", "罚" if fa >= 0 else why[0])
    if facts.kind != "penalty":
        return
    # 「还差一万」 is what is left to pay, not the fine.
    base = mask(base, (m.span() for m in vocab.AMOUNT_NOT_FINE.finditer(base)))
    amount = None
    if fa >= 0:
        amount = parse_amount_yuan(base[fa:])
    if amount is None:
        amount = parse_amount_yuan(base)
    if amount is not None:
        facts.fine_amount = amount
        facts._note("fine_amount", str(amount))
        if "fine" not in facts.penalties:
            facts.penalties.append("fine")


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    left = max((m.end() for m in vocab.CLAUSE_BREAK.finditer(text, 0, start)), default=0)
    right = vocab.CLAUSE_BREAK.search(text, end)
    return left, right.start() if right else len(text)


def _events(names: str, duty_hits: list[Hit], dates: list[ParsedDate]) -> list[tuple[int, int, str]]:
    text = mask(names, (d.span for d in dates))
    taken = [(h.start, h.end) for h in duty_hits]
    events = [(s, e, "duty") for s, e in taken]

    def free(s: int, e: int) -> bool:
        return all(e <= ts or s >= te for ts, te in taken)

    for rx, what in ((vocab.DECISION_EVENT, "decision"), (vocab.DUTY_EVENT, "duty")):
        for m in rx.finditer(text):
            if free(*m.span()):
                events.append((m.start(), m.end(), what))
                taken.append(m.span())
    return sorted(events)


def _right_before(date: ParsedDate, text: str, event: tuple[int, int, str]) -> bool:
    """「3月10号交的」: the event's verb follows the date closely (no space, a few characters)."""
    gap = text[date.span[1]:event[0]]
    return len(gap) <= 4 and not any(ch.isspace() for ch in gap)


def _right_before_a_verb(date: ParsedDate, text: str, events: list[tuple[int, int, str]]) -> bool:
    """An event verb follows the date closely, in its clause."""
    _, right = _clause(text, *date.span)
    after = [e for e in events if date.span[1] <= e[0] < right]
    return bool(after) and _right_before(date, text, after[0])


def _classify(date: ParsedDate, text: str, events: list[tuple[int, int, str]]) -> str:
    """The event a date belongs to: the verb right after it (「3月10号交的」), else the one before
    it in the clause. A verb after it but apart — a space, other words (「罚了我们两万 今年3月10号
    一般的 交了」) — is the date's only when nothing before it in the clause could be."""
    left, right = _clause(text, *date.span)
    after = [e for e in events if date.span[1] <= e[0] < right]
    before = [e for e in events if left <= e[0] and e[1] <= date.span[0]]
    if after and (not before or _right_before(date, text, after[0])):
        return after[0][2]
    return before[-1][2] if before else "unknown"


def _read_dates(facts: RecordFacts, base: str, names: str, duty_hits: list[Hit], today: dt.date) -> None:
    dates = []
    for d in parse_all_dates(base, today):
        if d.value > today:
            facts._note("ignored", f"{base[d.span[0]:d.span[1]]}（将来的日期）")
        else:
            dates.append(d)
    if not dates:
        return
    events = _events(names, duty_hits, dates)
    classified = [(d, _classify(d, base, events)) for d in dates]
    if len(classified) == 1 and classified[0][1] == "duty" and facts.kind in (None, "penalty") \
            and not _right_before_a_verb(classified[0][0], base, events):
        # 「罚款交了 今年4月10号」: the one date said, after the payment rather than before a verb,
        # is the record's — the decision date was asked as if nothing was said. Counting from it
        # is never too early (a payment is never before the decision).
        classified = [(classified[0][0], "unknown")]
    decisions = [d for d, c in classified if c == "decision"]
    # 「去年年检没参加 今年3月份被民政局列入…」: of two dates before the verb, the one right before it
    # (seventh hand try: 「去年」 was taken, a year early)
    main = next((d for d in decisions if _right_before_a_verb(d, base, events)), None) if len(decisions) > 1 else None
    main = main or next(iter(decisions), None)
    main = main or next((d for d, c in classified if c == "unknown"), None)
    done = next((d for d, c in classified if c == "duty" and d is not main), None)
    if done is None and facts.done:
        done = next((d for d, c in classified if c == "unknown" and d is not main and main is not None
                     and d.span[0] > main.span[0]), None)
    if main is not None:
        facts.date, facts.date_precision = main.value, main.precision
        facts._note("date", base[main.span[0]:main.span[1]])
    if done is not None:
        if facts.done is False:
            facts._note("ignored", f"{base[done.span[0]:done.span[1]]}（义务未履行）")
            return
        facts.done_date, facts.done_date_precision = done.value, done.precision
        facts.done = True
        facts._note("done_date", base[done.span[0]:done.span[1]])
