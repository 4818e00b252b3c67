"""Several records in one message: 「3月10号遭市场监管局罚了两万，1月10号税务局还罚了5000，都交了」.

`split_records` cuts the message into one text per record (a clause that names its own date
and department or kind starts a new record); clauses that name neither (「都交了」) belong to
every record. One record gives a list of one."""

from __future__ import annotations

import datetime as dt
import re

from .extract import extract_record_facts

_NEXT_ONE = re.compile(r"^(?:一个是|另一个|另外一个|还有一个|还有个|第二个|第二条)")
_BREAK = re.compile(r"[，,。；;！!\n]|\s+|还有|另外|再就是|然后")


def _dated(f) -> bool:
    """A clause that names its own record: a date, and a department or kind."""
    return bool(f.date and (f.department or f.kind))


def split_records(text: str, today: dt.date) -> list[str]:
    clauses = [c.strip() for c in _BREAK.split(text or "") if c and c.strip()]
    groups: list[list[str]] = []
    shared: list[str] = []
    lead: list[str] = []  # 「还有一个是去年的年报没报」: the start of the next record, before what names it
    group_facts = None  # the facts of the last group as one text, read once per change of it
    for clause in clauses:
        f = extract_record_facts(clause, today)  # each clause read once
        if groups and _NEXT_ONE.match(clause) and f.kind is None:
            # (seventh hand try: 「年报没报」 joined the fine before it, which became unpaid)
            lead.append(clause)
            continue
        if groups and group_facts is None:
            group_facts = extract_record_facts("，".join(groups[-1]), today)
        if groups and f.done and f.date is None and f.done_date is not None \
                and f.department in (None, group_facts.department) \
                and (f.kind in (None, group_facts.kind) or group_facts.kind == "serious_list"):
            # 「税款滞纳金罚款上个月全部缴清了」 after a tax list: how its duty was done, not another
            # record (seventh hand try: a second record, 罚款, that blocked the application)
            groups[-1].append(clause)
            group_facts = None
            continue
        if groups and group_facts is None:
            group_facts = extract_record_facts("，".join(groups[-1]), today)
        if groups and _dated(f) and group_facts.date is None and f.kind in (None, group_facts.kind):
            # 「被罚款了 是去年3月税务局罚的」: a dated clause after an undated record of the same kind
            # (or naming none) dates that record
            groups[-1].append(clause)
            group_facts = None
        elif _dated(f) or (groups and f.kind and group_facts.kind and f.kind != group_facts.kind) \
                or (not groups and f.kind):
            # a dated record; another kind than its group's (「我去年遭罚了，环保局罚的，还有个年报没报
            # 上了经营异常」, second hand try: the penalty lost); the first clause naming a kind, dated
            # or not (「一个是税务罚款 一个是经营异常 地址联系不上被列的」, fourth hand try)
            groups.append(lead + [clause])
            lead = []
            group_facts = None
        elif groups:
            if re.search(r"都|全部|两个|两条|两次", clause):
                shared.append(clause)
            else:
                groups[-1].append(clause)
                group_facts = None
        else:
            shared.append(clause)
    if lead and groups:
        groups[-1] += lead
    if len(groups) < 2:
        return [text]
    facts = [extract_record_facts("，".join(g), today) for g in groups]
    if len({(f.kind, f.department, f.date) for f in facts}) < len(groups):
        return [text]  # two parts that name the same record are one
    return ["，".join(g + shared) for g in groups]
