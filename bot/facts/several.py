"""Several records in one message: 「3月10号遭市场监管局罚了两万，1月10号税务局还罚了5000，都交了」.

`split_records` cuts the message into one text per record (a clause that names its own date
and department or kind starts a new record); clauses that name neither (「都交了」) belong to
every record. One record gives a list of one."""

from __future__ import annotations

import datetime as dt
import re

from .extract import extract_record_facts

_BREAK = re.compile(r"[，,。；;！!\n]|\s+|还有|另外|再就是|然后")


def _key(text: str, today: dt.date) -> tuple | None:
    f = extract_record_facts(text, today)
    if f.date and (f.department or f.kind):
        return (f.kind, f.department, f.date)
    return None


def _kind_key(text: str, today: dt.date) -> tuple:
    f = extract_record_facts(text, today)
    return (f.kind, f.department, None)


def _elaborates(clause: str, group: list[str], today: dt.date) -> bool:
    """A dated clause after an undated record of the same kind (or naming none) dates that record."""
    had = extract_record_facts("，".join(group), today)
    kind = extract_record_facts(clause, today).kind
    return had.date is None and (kind is None or kind == had.kind)


def _other_kind(clause: str, group: list[str], today: dt.date) -> bool:
    """「我去年遭罚了，环保局罚的，还有个年报没报上了经营异常」: a clause naming another kind of
    record than its group starts a record of its own, dated or not (second hand try: the penalty
    was lost and 环保局 became the abnormal list's department)."""
    kind = extract_record_facts(clause, today).kind
    group_kind = extract_record_facts("，".join(group), today).kind
    return bool(kind and group_kind and kind != group_kind)


def split_records(text: str, today: dt.date) -> list[str]:
    clauses = [c.strip() for c in _BREAK.split(text or "") if c and c.strip()]
    groups: list[list[str]] = []
    shared: list[str] = []
    for clause in clauses:
        if groups and _key(clause, today) and _elaborates(clause, groups[-1], today):
            groups[-1].append(clause)  # 「被罚款了 是去年3月税务局罚的」: the same record, now dated
        elif _key(clause, today) or (groups and _other_kind(clause, groups[-1], today)) \
                or (not groups and extract_record_facts(clause, today).kind):
            # the first clause naming a kind starts a record, dated or not: 「一个是税务罚款 一个是
            # 经营异常 地址联系不上被列的」 (fourth hand try: one abnormal-list record 「by 税务」)
            groups.append([clause])
        elif groups:
            if re.search(r"都|全部|两个|两条|两次", clause):
                shared.append(clause)
            else:
                groups[-1].append(clause)
        else:
            shared.append(clause)
    if len(groups) < 2:
        return [text]
    keys = {_key("，".join(g), today) or _kind_key("，".join(g), today) for g in groups}
    if len(keys) < len(groups):
        return [text]
    return ["，".join(g + shared) for g in groups]
