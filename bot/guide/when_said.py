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
    parts = []
    for grade in GRADES:
        record = {"kind": "penalty", "department": department if department in guide.departments else "other",
                  "decision_date": day.isoformat(), "procedure": "general", "severity": grade,
                  "penalties": ["fine"], "obligations_fulfilled": True}
        try:
            result = determine_paths({"as_of": today.isoformat(), "records": [record]}, guide)["results"][0]
        except (InputError, KeyError, IndexError):
            return None
        status = result["status"]
        if status == "not_yet" and result.get("earliest_date"):
            parts.append(t("guide.when_said.not_yet", grade=t(f"guide.when_said.grade.{grade}"),
                           date=_zh(dt.date.fromisoformat(result["earliest_date"]))))
        elif status in ("eligible", "not_needed"):
            parts.append(t(f"guide.when_said.{status}", grade=t(f"guide.when_said.grade.{grade}")))
        else:
            return None
    exact = said.precision == "day"
    lead = t("guide.when_said.lead_exact" if exact else "guide.when_said.lead", words=words, date=_zh(day))
    return lead + "；".join(parts) + t("guide.when_said.tail")
