"""Deadlines: the guide's `decision_limit` rule in force on the receipt date, in working days."""

from __future__ import annotations

import datetime as dt

from bot.casestore.models import Item
from bot.rules.workdays import add_working_days

NOTICE_CAVEAT = "未找到该事项的办理时限规定，具体时限以受理机关最新规定为准。"


def set_deadline(guide, item: Item, subject_type: str, received_on: dt.date) -> None:
    """Set the item's deadline, rule and caveat from the rule in force on `received_on`."""
    rule = guide.rule("decision_limit", item.kind, item.department, on=received_on,
                      subject_type=subject_type)
    item.received_on = received_on
    if rule is None or "working_days" not in rule.values:
        item.deadline = item.limit_working_days = item.rule_id = item.rule_basis = None
        item.rule_verified = None
        item.deadline_caveat = NOTICE_CAVEAT
        return
    days = int(rule.values["working_days"])
    result = add_working_days(received_on, days)
    caveats = []
    if not rule.verified:
        caveats.append(f"办理时限的依据尚未核实，{guide.caveat}。")
    if result.caveat:
        caveats.append(result.caveat)
    item.deadline = result.date
    item.limit_working_days = days
    item.rule_id = rule.id
    item.rule_basis = "；".join(c.text() for c in rule.basis)
    item.rule_verified = rule.verified
    item.deadline_caveat = "".join(caveats) or None
