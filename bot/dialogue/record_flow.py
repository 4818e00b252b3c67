"""Collecting one credit record in conversation: which fact to ask next and how the answers
become an engine record. The engine decides what is missing (needs_info); this module only maps
its field names to the form's slots and fills sensible defaults the applicant need not say."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

from bot.facts import vocab

from bot.guide import Guide, load_guide
from bot.rules.engine import InputError, determine_paths, zh_date
from bot.rules.inputs import RECORD_KEYS, SERVICE_ITEM, kind_label

# Each form slot and the engine record field(s) it holds; the first field is what a short
# answer to its question is read as (fact_date: decision_date, or listed_date for lists).
FACT_FIELDS = {
    "fact_kind": ("kind",),
    "fact_department": ("department",),
    "fact_date": ("decision_date", "listed_date"),
    "fact_severity": ("severity",),
    "fact_fulfilled": ("obligations_fulfilled",),
    "fact_reason": ("reason",),
    "fact_corrected": ("corrected",),
    "fact_corrected_date": ("corrected_date",),
}
FACT_SLOTS = tuple(FACT_FIELDS)
_SLOT_OF_FIELD = {field: slot for slot, fields in FACT_FIELDS.items() for field in fields}
# The engine may name the fulfilment date when it needs to know whether the duty is done.
_SLOT_OF_MISSING_FIELD = {**_SLOT_OF_FIELD, "fulfilled_date": "fact_fulfilled"}
# Key in fact_extra: a date given only as a month or year, counted from its latest day.
DATE_ESTIMATE = "date_estimate"
# Key in fact_extra: the year the applicant already named (「去年」), for a later 「7月15号」.
DATE_YEAR = "date_year"
# Key in fact_extra: the last month of a range the applicant named (「今年六七月份」, "2026-07"), so a
# later 「不晓得哪天」 counts from that month's end, not the year's.
DATE_RANGE_LAST = "date_range_last"


def redated(record: dict[str, Any], day: str) -> dict[str, Any]:
    """The record with its decision (or listing) date corrected to `day`, no longer an estimate."""
    out = {k: v for k, v in record.items() if k != DATE_ESTIMATE}
    out[answer_field("fact_date", record.get("kind"))] = day
    return out


def range_hint(vague) -> dict:
    """fact_extra keys for a month range said (bot.parsing.ranges.MonthRange)."""
    return {DATE_YEAR: vague.year, DATE_RANGE_LAST: f"{vague.year}-{vague.last:02d}"}


_YEAR_SAID = re.compile(r"\d{2,4}\s*年|[今去前]年|\d{4}\s*[-./]")


def in_year_said(iso_day: str, answer: str, year: int) -> str:
    """A day answered without a year (「7月15号」) is in the `year` the applicant named before
    (「去年六七月份」); an answer that names its year keeps it."""
    if _YEAR_SAID.search(answer or ""):
        return iso_day
    try:
        return dt.date.fromisoformat(iso_day[:10]).replace(year=year).isoformat()
    except ValueError:  # 2月29日 in a year without it
        return iso_day


def answer_field(slot: str, kind: str | None) -> str:
    """The record field a short answer to `slot`'s question is read as."""
    fields = FACT_FIELDS[slot]
    return fields[1] if len(fields) > 1 and kind in ("abnormal_list", "serious_list") else fields[0]


def default_department(kind: str | None, subject_type: str | None, guide: Guide | None = None) -> str | None:
    """The department the guide names for this kind of record and subject, if only one decides it
    (abnormal lists); the applicant is then not asked."""
    item = SERVICE_ITEM.get(kind or "")
    if item is None:
        return None
    return (guide or load_guide()).deciding_department(item, subject_type or "enterprise")


def end_of_month(d: dt.date) -> dt.date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def end_of_period(d: dt.date, precision: str) -> dt.date:
    """Last day of the month ('month') or year ('year') that `d` stands for; a lunar month
    ('lunar_month') is already given as its last day."""
    if precision == "lunar_month":
        return d
    return dt.date(d.year, 12, 31) if precision == "year" else end_of_month(d)


def latest_day(value: dt.date, precision: str, today: dt.date) -> dt.date:
    """The latest day a month- or year-only date can stand for (never after today): counting
    from it never tells an applicant to apply too early."""
    return value if precision == "day" else min(end_of_period(value, precision), today)


def pin_imprecise_dates(record: dict[str, Any], precisions: dict[str, str], today: dt.date) -> tuple[dict, list[str]]:
    """(record with every month/year-only date moved to `latest_day`, keys that were moved)."""
    out, moved = dict(record), []
    for key, precision in precisions.items():
        if out.get(key) and precision != "day":
            out[key] = latest_day(dt.date.fromisoformat(out[key]), precision, today).isoformat()
            moved.append(key)
    return out, moved


# Kept with a record for the application form, but not part of the engine's input.
_NOT_FOR_ENGINE = ("decision_number", "authority_name")


def engine_record(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in _NOT_FOR_ENGINE}


def facts_from_record(record: dict[str, Any]) -> dict[str, Any]:
    """The form's fact slots for an engine record (unknown facts are None)."""
    return {
        slot: next((record[f] for f in fields if record.get(f) is not None), None)
        for slot, fields in FACT_FIELDS.items()
    }


def extra_of(record: dict[str, Any]) -> dict[str, Any]:
    """What a record holds besides the asked facts (procedure, fine, decision number, ...)."""
    return {k: v for k, v in record.items() if k not in _SLOT_OF_FIELD}


def record_from_facts(facts: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """An engine record from the form's fact slots (unknown facts left out)."""
    kind = facts.get("fact_kind")
    record: dict[str, Any] = {"kind": kind, "department": facts.get("fact_department")}
    date_field = "decision_date" if kind == "penalty" else "listed_date"
    if facts.get("fact_date"):
        record[date_field] = facts["fact_date"]
    if kind == "penalty":
        if facts.get("fact_severity"):
            record["severity"] = facts["fact_severity"]
        if facts.get("fact_fulfilled") is not None:
            record["obligations_fulfilled"] = bool(facts["fact_fulfilled"])
    else:
        if facts.get("fact_corrected") is not None:
            record["corrected"] = bool(facts["fact_corrected"])
        if facts.get("fact_corrected_date") and "corrected_date" in RECORD_KEYS.get(kind or "", ()):
            # only the serious list counts from the correction's date; the abnormal list's record
            # has no such field (hand try: 「今年三月份已经补报了」 made the engine refuse the record)
            record["corrected_date"] = facts["fact_corrected_date"]
        if kind == "abnormal_list" and facts.get("fact_reason"):
            record["reason"] = facts["fact_reason"]
    allowed = _EXTRA_KEYS.get(kind or "", ())
    for key, value in (extra or {}).items():
        if key in allowed and value is not None and key not in record:
            record[key] = value
    if record.get("department") != "other":
        record.pop("authority_name", None)  # said for a department since corrected
    return {k: v for k, v in record.items() if v is not None}


_EXTRA_KEYS = {
    "penalty": ("procedure", "penalties", "fine_amount", "fulfilled_date", "decision_number", "authority_name"),
    "abnormal_list": ("decision_number", "authority_name"),
    "serious_list": ("decision_number", "authority_name"),
}


def missing_fact_slots(
    facts: dict[str, Any],
    extra: dict[str, Any] | None,
    subject_type: str | None,
    today: dt.date,
    guide: Guide | None = None,
) -> list[str]:
    """The fact slots still to ask, in the order to ask them (empty when the engine can decide)."""
    for slot in ("fact_kind", "fact_department", "fact_date"):
        if not facts.get(slot):
            return [slot] + [s for s in ("fact_department", "fact_date") if s != slot and not facts.get(s)]
    record = engine_record(record_from_facts(facts, extra))
    payload = {"as_of": today.isoformat(), "subject_type": subject_type or "enterprise", "records": [record]}
    try:
        result = determine_paths(payload, guide or load_guide())
    except InputError as exc:
        # An answer the engine refuses (e.g. a date in the future): ask for that fact again.
        slots = [_SLOT_OF_MISSING_FIELD.get(e["field"].split(".")[-1]) for e in exc.errors]
        return [s for s in dict.fromkeys(slots) if s] or ["fact_date"]
    missing = result["results"][0].get("missing_fields", [])
    return [s for s in dict.fromkeys(_SLOT_OF_MISSING_FIELD.get(f) for f in missing) if s and facts.get(s) is None]


def fact_slots_of_form(
    facts: dict[str, Any],
    extra: dict[str, Any] | None,
    subject_type: str | None,
    today: dt.date,
    guide: Guide | None = None,
) -> list[str]:
    """The fact slots a form works with: the ones already filled (so a new answer is still
    validated) followed by the missing ones in asking order. rasa-sdk asks the first empty one."""
    missing = missing_fact_slots(facts, extra, subject_type, today, guide)
    filled = [s for s in FACT_SLOTS if facts.get(s) is not None and s not in missing]
    return filled + missing


def grade_to_apply_with(record: dict, subject_type: str | None, today: dt.date,
                        guide: Guide | None = None) -> str | None:
    """A penalty whose grade the applicant does not know (「不清楚」) can still be applied for now
    when under some grade it is applicable now and under none a duty is still open: the strictest
    grade that is applicable now, which the application is decided with (the department then reads
    the grade on its own decision; a grade that must still wait is named with its date, per_grade).
    None otherwise: the three grades' dates are said instead. (Fourth hand try: with 「一般的现在就可
    以申请；严重的2027年5月1日起」 an applicant who cannot find the decision had no way on.)"""
    return _grade_choice(record, subject_type, today, guide)[0]


def _grade_choice(record: dict, subject_type: str | None, today: dt.date,
                  guide: Guide | None = None) -> tuple[str | None, list[dict]]:
    """(grade_to_apply_with, the grades that must still wait: {grade, date})."""
    if record.get("kind") != "penalty" or record.get("severity") != "unknown":
        return None, []
    from bot.guide.when_said import GRADES, grade_results

    graded = grade_results({k: v for k, v in engine_record(record).items() if k != "severity"}, today,
                           guide or load_guide(), subject_type or "enterprise")
    statuses = [r["status"] for r in graded or []]
    if "eligible" not in statuses or not set(statuses) <= {"eligible", "not_needed", "not_yet"}:
        return None, []
    waiting = [{"grade": g, "date": one.get("earliest_date")} for g, one in zip(GRADES, graded or [])
               if one["status"] == "not_yet"]
    return [g for g, status in zip(GRADES, statuses) if status == "eligible"][-1], waiting


def determine_for_records(records: list[dict], subject_type: str | None, today: dt.date) -> dict:
    engine_records, assumed = [], {}
    for i, r in enumerate(records):
        grade, waiting = _grade_choice(r, subject_type, today)
        if grade:
            assumed[i] = (grade, waiting)
        engine_records.append({**engine_record(r), "severity": grade} if grade else engine_record(r))
    payload = {"as_of": today.isoformat(), "subject_type": subject_type or "enterprise", "records": engine_records}
    result = determine_paths(payload)
    for i, (grade, waiting) in assumed.items():
        # decided with the strictest applicable grade; the applicant's 「不清楚」 stays the record's;
        # the grades under which it would not pass yet are named again at the summary (fifth hand
        # try: submitted six days early without a word)
        result["results"][i].update(severity_unknown=True, severity_assumed=grade, grades_waiting=waiting)
    return result


def per_grade(results: list[dict], records: list[dict], subject_type: str | None, today: dt.date,
              guide: Guide | None = None) -> list[str]:
    """「不清楚」 at the grade question: for each penalty that still needs its grade, when it can be
    repaired under each of the three grades (bot/guide/when_said.py grade_parts, the rest of the
    record as said) — instead of 「还要问您失信行为严重程度」 after the user said they do not know."""
    from bot.guide.when_said import GRADES, grade_results, grade_text
    from bot.texts import t

    guide = guide or load_guide()
    out = []
    for r in results:
        unknown = r.get("severity_unknown") or "severity" in (r.get("missing_fields") or [])
        if not unknown or r.get("kind") != "penalty":
            continue
        graded = grade_results(engine_record(records[r["index"]]), today, guide, subject_type or "enterprise")
        if graded is None:
            return []
        duty_first = _per_grade_after_duty(records[r["index"]], graded, subject_type, today, guide)
        if duty_first:
            out.append(duty_first)
            continue
        # a grade with another outcome (a duty still open): what the engine says is missing
        parts = [grade_text(g, one) or t("chat.paths.per_grade.other", grade=t(f"guide.when_said.grade.{g}"),
                                         verdict="；".join(one.get("unmet") or []) or t("chat.paths.per_grade.ask"))
                 for g, one in zip(GRADES, graded)]
        waiting = [t(f"guide.when_said.grade.{g}") for g, one in zip(GRADES, graded) if one["status"] == "not_yet"]
        anyway = ""
        if r.get("severity_unknown"):
            anyway = t("chat.paths.per_grade.apply_anyway_wait", waiting="或".join(waiting)) if waiting \
                else t("chat.paths.per_grade.apply_anyway")
        out.append(t("chat.paths.per_grade.lead") + "；".join(parts) + "。" + anyway + t("chat.paths.per_grade.where", hotline=guide.service["hotline"]))
    return out


def _per_grade_after_duty(record: dict, graded: list[dict], subject_type: str | None, today: dt.date,
                         guide: Guide) -> str | None:
    """The duty still open under every grade: said once, then each grade's date once it is done
    (fourth hand try: 「请先履行」 three times over, ~200 characters)."""
    from bot.guide.when_said import GRADES, grade_results, grade_text
    from bot.texts import t

    if not all(one["status"] == "needs_correction" for one in graded):
        return None
    done = grade_results({**engine_record(record), "obligations_fulfilled": True, "fulfilled_date": today.isoformat()},
                         today, guide, subject_type or "enterprise") or []
    # 「现在就可以申请」 would be untrue before the duty is done: 「当天就可以申请」 once it is
    parts = [t("chat.paths.per_grade.after_now", grade=t(f"guide.when_said.grade.{g}")) if one["status"] == "eligible"
             else grade_text(g, one) for g, one in zip(GRADES, done)]
    if len(parts) != len(GRADES) or None in parts:
        return None
    return t("chat.paths.per_grade.duty_first", duty=t(f"chat.paths.after_duty.{record.get('kind')}"),
             grades="；".join(parts)) + t("chat.paths.per_grade.where", hotline=guide.service["hotline"])


def _duty_named(results: list[dict], text: str, guide: Guide | None) -> list[dict]:
    """The results with a duty still open that `text` speaks of doing (guides/lexicon.yml
    `duty_done_words`, per kind of record: 交清 for a fine, 补报 for the abnormal list)."""
    words = (guide or load_guide()).lexicon.section("duty_done_words")
    return [r for r in results if r.get("open_duties") and any(w in text for w in words.get(r.get("kind"), []))]


def duty_done(results: list[dict], records: list[dict], text: str, today: dt.date,
              guide: Guide | None = None) -> list[dict] | None:
    """「交了」「昨天交清了」「年报补报了」 said (not asked) right after a verdict that said a duty is
    still open: the records with that duty marked done (on the day said, else today), to decide
    again — what the user said is not lost. None when the message is not such a statement."""
    from bot.dialogue.questions import looks_like_question
    from bot.facts import extract_record_facts
    from bot.parsing.dates import parse_date

    if not results or looks_like_question(text) or vocab.about_to(text):
        return None
    done = _duty_named(results, text, guide)
    if len(done) != 1 or done[0]["index"] >= len(records):
        return None  # none, or two records it could be about: the user is asked as before
    facts = extract_record_facts(text, today)
    record = dict(records[done[0]["index"]])
    if (facts.department and facts.department != record.get("department")) or (
            facts.kind and facts.kind != record.get("kind")):
        return None  # 「税务局罚的那个也交了」 about another record
    parsed = parse_date(text, today)
    said, precision = ((facts.done_date, facts.done_date_precision or "day") if facts.done_date
                       else (parsed.value, parsed.precision) if parsed else (None, "day"))
    # 「上个月就发了」: the month's last day, never too early (as the form reads dates)
    day = min(latest_day(said, precision, today), today) if said and said <= today else today
    if record.get("kind") == "penalty":
        record.update(obligations_fulfilled=True, fulfilled_date=day.isoformat())
    else:
        record["corrected"] = True
        if "corrected_date" in RECORD_KEYS.get(record.get("kind"), ()):
            record["corrected_date"] = day.isoformat()
    out = list(records)
    out[done[0]["index"]] = record
    return out


def after_duties(results: list[dict], text: str, today: dt.date, guide: Guide | None = None) -> list[str]:
    """「那我下个月交清了 好久能修」「补报了年报多久能移出」 right after a verdict that said a duty is
    still open: for each such record, when it can be repaired once the duty is done — the day it is
    done when its shortest publication period has passed, else the day that period ends. [] when
    the message is not such a question (no duty open, no word of doing it, or a new record's date
    or department in it)."""
    from bot.dialogue.questions import looks_like_question
    from bot.facts import extract_record_facts
    from bot.texts import t

    open_ = _duty_named(results, text, guide)
    # a question, a condition (「交清了就可以…」), or about to do it (「好 我去交了」: final review, it got
    # 「没太明白」) — each answered with when it can be repaired once done
    if not open_ or not (looks_like_question(text) or vocab.done_if(text) or vocab.about_to(text)):
        return []
    facts = extract_record_facts(text, today)
    if facts.department or facts.date:
        return []  # 「税务局去年罚的那个交了…」: a record described, not this one
    out = []
    for r in open_:
        if facts.kind and facts.kind != r.get("kind"):
            continue  # 「补报了年报多久能移出」 is about the abnormal list, not a fine decided beside it
        duty = next((d.get("duty") for d in r["reasons"].get("open_duties", []) if d.get("duty")), None)
        doing = duty or t(f"chat.paths.after_duty.{r.get('kind')}")
        wait = next((d.get("months") for d in r["reasons"].get("open_duties", []) if d.get("months")), None)
        earliest = r.get("earliest_date")
        if wait:  # a serious-list record: a period counted from the day it is corrected
            out.append(t("chat.paths.after_duty.months_after", duty=doing, months=wait))
        elif earliest and dt.date.fromisoformat(earliest) > today:
            out.append(t("chat.paths.after_duty.later", duty=doing, date=zh_date(dt.date.fromisoformat(earliest))))
        elif (r.get("periods") or {}).get("min_months"):
            out.append(t("chat.paths.after_duty.now", duty=doing))
        else:
            out.append(t("chat.paths.after_duty.now_no_period", duty=doing))
        if any(c.get("code") == "unverified" for c in r["reasons"].get("caveats", [])):
            out[-1] += t("chat.paths.after_duty.unverified")
    return out


# What to say when an answer cannot be understood: the problem and an example of a valid answer.
INVALID_HINTS = {
    "fact_kind": "没听明白是哪类记录。请选择：行政处罚、经营异常名录，或严重失信主体名单（黑名单）。",
    "fact_department": "没听明白是哪个部门作出的。请说部门名称，例如“市场监管局”“税务局”“人社局”。",
    "fact_date": "没能识别这个日期，或日期晚于今天。请按决定书上的日期回答，例如“2025年3月5日”或“2025.3.5”。",
    "fact_severity": "请选择决定书或告知书上写的失信程度：轻微、一般或严重；不清楚的话选“不清楚”。",
    "fact_fulfilled": "请回答处罚决定的义务（如罚款）是否已经履行完毕，例如“已经交了”或“还没交”。",
    "fact_reason": "请选择被列入的原因，例如“没报年报”“即时信息没公示”“住所联系不上”。",
    "fact_corrected": "请回答是否已经纠正（如补报年报、付清工资、缴清税款），例如“已经改了”或“还没有”。",
    "fact_corrected_date": "请告诉我纠正完成的日期，例如“2026年5月8日”。",
}


def reminder_summary(result: dict[str, Any]) -> str:
    """One line naming a record for its reminder, e.g. 税务部门作出的行政处罚（2026年10月10日）."""
    record = result.get("record") or {}
    day = record.get("decision_date") or record.get("listed_date")
    when = f"（{zh_date(dt.date.fromisoformat(day))}）" if day else ""
    return f"{result.get('authority_name', '')}作出的{kind_label(result.get('kind', ''), result.get('authority')) if result.get('kind') else '信用记录'}{when}"
