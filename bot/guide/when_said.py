"""「前年被税务罚过款，现在能不能把记录撤了」: a question that names when the record was made gets,
above the general answer, what that date means today for each grade — worked out by the rules
engine (bot/rules/engine.py) from the latest day the words can stand for (「前年」: 31 December),
never too early. Only for penalties (the grades' waiting periods); the texts are in
guides/messages.yml (guide.when_said)."""

from __future__ import annotations

import datetime as dt

from bot.guide.loader import Guide
from bot.parsing.dates import parse_date
from bot.rules.engine import InputError, determine_paths
from bot.texts import t

GRADES = ("minor", "general", "serious")
# the questions a date of the user's own penalty answers: can it be repaired (when), how long it
# stays, and whether repair applies (「前年被税务罚过款，现在能不能把记录撤了」, read as applicability)
TOPICS = ("conditions", "publicity_period", "applicability")


def _zh(day: dt.date) -> str:
    return t("guide.date", y=day.year, m=day.month, d=day.day)


def grade_results(record: dict, today: dt.date, guide: Guide, subject_type: str | None = None
                  ) -> list[dict] | None:
    """The engine's result for a penalty `record` under each grade (GRADES); None when it refuses
    the record. Shared by the guide's line for a date said (below) and the verdict for a grade not
    known (bot/dialogue/record_flow.py per_grade)."""
    out = []
    for grade in GRADES:
        payload = {"as_of": today.isoformat(), "records": [{**record, "severity": grade}],
                   **({"subject_type": subject_type} if subject_type else {})}
        try:
            out.append(determine_paths(payload, guide)["results"][0])
        except (InputError, KeyError, IndexError):
            return None
    return out


def grade_text(grade: str, result: dict) -> str | None:
    """「一般的现在就可以申请」「严重的2027年3月11日起可以申请」「轻微的已不再公示，不用申请」, or None
    for another outcome (the caller says it its own way)."""
    label = t(f"guide.when_said.grade.{grade}")
    if result["status"] == "not_yet" and result.get("earliest_date"):
        return t("guide.when_said.not_yet", grade=label, date=_zh(dt.date.fromisoformat(result["earliest_date"])))
    if result["status"] in ("eligible", "not_needed"):
        return t(f"guide.when_said.{result['status']}", grade=label)
    return None


def waiting_line(text: str, item: str | None, department: str | None, topic: str | None, today: dt.date,
                 guide: Guide) -> str | None:
    """One line: for each grade, whether a penalty decided when `text` says can be repaired now."""
    if item != "penalty_info" or topic not in TOPICS:
        return None
    said = parse_date(text or "", today)
    if said is None or said.value > today:
        return None
    from bot.dialogue.record_flow import latest_day  # the form's own rule: never too early

    day = latest_day(said.value, said.precision, today)
    words = (text or "")[said.span[0]:said.span[1]]
    record = {"kind": "penalty", "department": department if department in guide.departments else "other",
              "decision_date": day.isoformat(), "procedure": "general", "penalties": ["fine"],
              "obligations_fulfilled": True}
    results = grade_results(record, today, guide)
    parts = [grade_text(g, r) for g, r in zip(GRADES, results)] if results else [None]
    if None in parts:
        return None
    exact = said.precision == "day"
    lead = t("guide.when_said.lead_exact" if exact else "guide.when_said.lead", words=words, date=_zh(day))
    return lead + "；".join(parts) + t("guide.when_said.tail")
