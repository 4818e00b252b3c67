"""Records of one application that depend on each other (一次申请、同步修复).

A market-regulation penalty may only be repaired when the subject is off the 经营异常名录
(SAMR Order 45 art. 14). When both records are in one application, the guide's rule
`same_application_dependency` (guides/rules.yml, the same one the path engine uses) says which
item is decided first: the list item is routed first, the penalty item waits (`depends_on`), its
department cannot accept or decide it before the list item is decided (a Chinese 409), and its
time limit starts on the day the list item is decided.
"""

from __future__ import annotations

import datetime as dt

from bot.casestore.errors import conflict
from bot.casestore.models import Item
from bot.casestore.services.common import ACTION_NAMES, STATE_NAMES
from bot.texts import t

TOPIC = "same_application_dependency"
DECIDED = ("approved", "result_shared", "rejected", "withdrawn")  # the first item is done with
GATED_ACTIONS = ("accept", "approve", "reject")  # a return (补正) may come at any time


def link(guide, items: list[Item], subject_type: str, on: dt.date) -> dict[str, list[str]]:
    """Set `depends_on` on every item that waits for another item of `items`; the map
    item_no -> item_nos it waits for."""
    found: dict[str, list[str]] = {}
    for item in items:
        rule = guide.rule_for(TOPIC, item.kind, item.department, on, subject_type, fallback=False).rule
        first_kinds = set(rule.values.get("decided_first") or ()) if rule else set()
        firsts = [o.item_no for o in items
                  if o is not item and o.kind in first_kinds and o.department == item.department]
        if firsts:
            item.depends_on = firsts
            item.deadline = None  # the clock starts when the first item is decided
            first = next(o for o in items if o.item_no == firsts[0])
            item.deadline_caveat = t("case.depends.waiting_caveat", first=first.seq,
                                     first_item=guide.item_name(first.kind, first.department))
            found[item.item_no] = firsts
    return found


def routing_order(items: list[Item]) -> list[Item]:
    """Items decided first are routed first; otherwise the application's order."""
    return sorted(items, key=lambda i: (bool(i.depends_on), i.seq))


def check_decidable(guide, item: Item, action: str) -> None:
    """409 when a department tries to accept or decide an item whose first item is not decided."""
    if action not in GATED_ACTIONS or not item.depends_on:
        return
    by_no = {i.item_no: i for i in item.application.items}
    for no in item.depends_on:
        first = by_no.get(no)
        if first is not None and first.state not in DECIDED:
            raise conflict(
                "depends_on_pending",
                t("case.depends.not_decidable", seq=item.seq, item=guide.item_name(item.kind, item.department),
                  first=first.seq, first_item=guide.item_name(first.kind, first.department), action=ACTION_NAMES[action],
                  state=STATE_NAMES[first.state]),
                [{"field": "depends_on", "message": no}],
            )


def waiting_on(item: Item) -> list[Item]:
    """The items of its application that `item` still waits for."""
    by_no = {i.item_no: i for i in item.application.items}
    return [by_no[n] for n in item.depends_on or () if n in by_no and by_no[n].state not in DECIDED]


def dependents(item: Item) -> list[Item]:
    """The items of its application that wait for `item`."""
    return [i for i in item.application.items if item.item_no in (i.depends_on or ())]
