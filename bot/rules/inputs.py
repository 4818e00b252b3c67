"""Validate and normalise the path-determination payload.

`parse_payload(payload, guide)` returns a `Case` or raises `InputError` listing EVERY problem at
once, each as ``{"field": "records[0].decision_date", "message": "<Chinese>"}``.

Conventions:
- A key that is absent and a key whose value is ``null`` mean the same: the fact is unknown.
  Unknown facts are not errors; the engine answers ``needs_info`` and names them.
- ``kind`` and ``department`` identify a record and are required (an error when missing);
  department codes come from guides/departments.yml.
- Dates are strings ``YYYY-MM-DD`` (``datetime.date`` objects are accepted from Python callers).
  A date after ``as_of`` is an error (nothing can be decided, listed or fulfilled in the future).
- ``fulfilled_date`` without ``obligations_fulfilled`` implies the obligations are fulfilled, and
  ``corrected_date`` without ``corrected`` implies corrected; a date together with ``false`` is a
  contradiction and an error.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from bot import clock

SUBJECT_TYPES = {
    "enterprise": "企业",
    "individual_business": "个体工商户",
    "farmer_coop": "农民专业合作社",
    "social_org": "社会组织",
}
KINDS = {
    "penalty": "行政处罚",
    "abnormal_list": "经营异常名录",
    "serious_list": "严重失信主体名单",
}


def kind_label(kind: str, department: str | None = None) -> str:
    """The record's kind as the user knows it: a department's own name where it has one (民政's
    list is the 活动异常名录, guides/items/abnormal_list.yml), else KINDS."""
    from bot.guide.loader import load_guide

    own = load_guide().own_item_short(SERVICE_ITEM[kind], department) if kind in SERVICE_ITEM else None
    return own or KINDS.get(kind, kind)


# record kind -> service item code in guides/items/
SERVICE_ITEM = {"penalty": "penalty_info", "abnormal_list": "abnormal_list", "serious_list": "serious_list"}

PROCEDURES = {"simple": "简易程序", "general": "普通程序"}
SEVERITIES = {"minor": "轻微", "general": "一般", "serious": "严重", "unknown": "未知"}
PENALTY_TYPES = {
    "warning": "警告",
    "criticism": "通报批评",
    "fine": "罚款",
    "confiscation": "没收违法所得、没收非法财物",
    "suspension": "责令停产停业、限制开展生产经营活动",
    "license_revocation": "吊销许可证件或营业执照",
    "qualification_downgrade": "降低资质等级",
    "trade_ban": "限制从业、禁止从业",
    "other": "其他处罚",
}
REASONS = {
    "annual_report": "未按规定报送公示年度报告",
    "instant_info": "未按要求公示即时信息",
    "false_info": "公示信息隐瞒真实情况、弄虚作假",
    "unreachable": "通过登记的住所或经营场所无法联系",
    "other": "其他原因",
}

# Chinese names of the payload fields (error messages, needs_info questions, explanations).
FIELD_LABELS = {
    "as_of": "查询日期",
    "subject_type": "主体类型",
    "records": "信用记录",
    "kind": "记录类型",
    "department": "作出决定的部门",
    "decision_date": "处罚决定日期",
    "procedure": "处罚程序（简易程序或普通程序）",
    "severity": "失信行为严重程度（轻微、一般或严重）",
    "penalties": "处罚种类",
    "fine_amount": "罚款金额",
    "obligations_fulfilled": "是否已履行处罚决定的全部义务（如缴清罚款）",
    "fulfilled_date": "履行完毕日期",
    "listed_date": "列入日期",
    "reason": "列入原因",
    "corrected": "是否已纠正失信行为、履行相关义务",
    "corrected_date": "纠正完毕日期",
}

TOP_KEYS = ("as_of", "subject_type", "records")
RECORD_KEYS = {
    "penalty": ("kind", "department", "decision_date", "procedure", "severity", "penalties",
                "fine_amount", "obligations_fulfilled", "fulfilled_date"),
    "abnormal_list": ("kind", "department", "listed_date", "reason", "corrected"),
    "serious_list": ("kind", "department", "listed_date", "corrected", "corrected_date"),
}
_DATE_RX = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class InputError(ValueError):
    """The payload is invalid; `.errors` lists every problem as {field, message}."""

    def __init__(self, errors: list[dict]):
        self.errors = list(errors)
        super().__init__("；".join(f"{e['field']}：{e['message']}" for e in self.errors))


@dataclass
class Record:
    index: int
    kind: str
    department: str
    decision_date: dt.date | None = None
    procedure: str | None = None
    severity: str | None = None
    penalties: tuple[str, ...] | None = None
    fine_amount: float | None = None
    obligations_fulfilled: bool | None = None
    fulfilled_date: dt.date | None = None
    listed_date: dt.date | None = None
    reason: str | None = None
    corrected: bool | None = None
    corrected_date: dt.date | None = None

    @property
    def service_item(self) -> str:
        return SERVICE_ITEM[self.kind]

    def echo(self) -> dict:
        """The normalised record as JSON-ready data (only the keys of its kind)."""
        out = {}
        for key in RECORD_KEYS[self.kind]:
            value = getattr(self, key)
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        return out


@dataclass
class Case:
    as_of: dt.date
    as_of_defaulted: bool
    subject_type: str
    records: list[Record] = field(default_factory=list)


class _Errors:
    """Collects {field, message} problems; called like a function."""

    def __init__(self) -> None:
        self.errors: list[dict] = []

    def __call__(self, path: str, message: str) -> None:
        self.errors.append({"field": path, "message": message})


def _choices(table: dict) -> str:
    return "、".join(f"{k}（{v}）" for k, v in table.items())


def parse_payload(payload: Any, departments: dict[str, Any], today: dt.date | None = None) -> Case:
    """Check `payload` against the input contract; `departments` is guide.departments."""
    err = _Errors()

    if not isinstance(payload, dict):
        raise InputError([{"field": "(input)", "message": "输入应为 JSON 对象（含 as_of、subject_type、records）"}])

    for key in payload:
        if key not in TOP_KEYS:
            err(str(key), f"不认识的字段“{key}”，可用字段：{'、'.join(TOP_KEYS)}")

    as_of, as_of_defaulted = None, False
    if payload.get("as_of") is None:
        as_of, as_of_defaulted = today or clock.today(), True
    else:
        as_of = _date(payload["as_of"], "as_of", err)

    subject_type = payload.get("subject_type")
    if subject_type is None:
        subject_type = "enterprise"
    elif not isinstance(subject_type, str) or subject_type not in SUBJECT_TYPES:
        err("subject_type", f"主体类型“{subject_type}”无效，可选：{_choices(SUBJECT_TYPES)}")

    records: list[Record] = []
    raw_records = payload.get("records")
    if raw_records is None:
        err("records", "缺少必填项：信用记录（records），至少填写一条")
    elif not isinstance(raw_records, list):
        err("records", "信用记录（records）应为列表")
    elif not raw_records:
        err("records", "信用记录（records）为空，至少填写一条")
    else:
        for i, raw in enumerate(raw_records):
            rec = _record(i, raw, as_of, departments, err)
            if rec is not None:
                records.append(rec)

    if err.errors:
        raise InputError(err.errors)
    return Case(as_of=as_of, as_of_defaulted=as_of_defaulted, subject_type=subject_type, records=records)


def _date(value: Any, path: str, err, label: str | None = None) -> dt.date | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _DATE_RX.match(value):
        err(path, f"{label or FIELD_LABELS.get(path, path)}应为“YYYY-MM-DD”格式的日期（如 2026-03-10），收到：{value!r}")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        err(path, f"日期不存在：{value}")
        return None


def _record(i: int, raw: Any, as_of: dt.date | None, departments: dict, err) -> Record | None:
    base = f"records[{i}]"
    if not isinstance(raw, dict):
        err(base, "每条信用记录应为 JSON 对象")
        return None
    start = len(err.errors)
    kind = raw.get("kind")
    if kind is None:
        err(f"{base}.kind", f"缺少必填项：记录类型，可选：{_choices(KINDS)}")
    elif not isinstance(kind, str) or kind not in KINDS:
        err(f"{base}.kind", f"记录类型“{kind}”无效，可选：{_choices(KINDS)}")
        kind = None
    allowed = RECORD_KEYS.get(kind) if kind else tuple(sorted({k for v in RECORD_KEYS.values() for k in v}))
    for key in raw:
        if key not in allowed:
            where = f"{KINDS[kind]}记录" if kind else "信用记录"
            err(f"{base}.{key}", f"{where}不认识的字段“{key}”，可用字段：{'、'.join(allowed)}")

    dept = raw.get("department")
    dept_choices = "、".join(f"{c}（{d['name']}）" for c, d in departments.items())
    if dept is None:
        err(f"{base}.department", f"缺少必填项：作出决定的部门，可选：{dept_choices}")
    elif not isinstance(dept, str) or dept not in departments:
        err(f"{base}.department", f"未知部门“{dept}”，可选：{dept_choices}")

    rec = Record(index=i, kind=kind or "", department=dept if isinstance(dept, str) else "")

    def get(key):
        return raw.get(key) if key in allowed else None

    def label(key):
        return FIELD_LABELS[key]

    def date_field(key):
        value = get(key)
        if value is None:
            return None
        d = _date(value, f"{base}.{key}", err, label(key))
        if d is not None and as_of is not None and d > as_of:
            err(f"{base}.{key}", f"{label(key)}（{d.isoformat()}）晚于查询日期（{as_of.isoformat()}），不能是将来的日期")
        return d

    def enum_field(key, table):
        value = get(key)
        if value is None:
            return None
        if not isinstance(value, str) or value not in table:
            err(f"{base}.{key}", f"{label(key)}取值“{value}”无效，可选：{_choices(table)}")
            return None
        return value

    def bool_field(key):
        value = get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            err(f"{base}.{key}", f"{label(key)}应为 true 或 false，收到：{value!r}")
            return None
        return value

    rec.decision_date = date_field("decision_date")
    rec.listed_date = date_field("listed_date")
    rec.fulfilled_date = date_field("fulfilled_date")
    rec.corrected_date = date_field("corrected_date")
    rec.procedure = enum_field("procedure", PROCEDURES)
    rec.severity = enum_field("severity", SEVERITIES)
    if rec.severity == "unknown":
        rec.severity = None
    rec.reason = enum_field("reason", REASONS)
    rec.obligations_fulfilled = bool_field("obligations_fulfilled")
    rec.corrected = bool_field("corrected")

    penalties = get("penalties")
    if penalties is not None:
        if not isinstance(penalties, list):
            err(f"{base}.penalties", f"处罚种类应为列表，如 [\"fine\"]，可选：{_choices(PENALTY_TYPES)}")
        else:
            bad = [p for p in penalties if not isinstance(p, str) or p not in PENALTY_TYPES]
            if bad:
                err(f"{base}.penalties", f"处罚种类“{'、'.join(map(str, bad))}”无效，可选：{_choices(PENALTY_TYPES)}")
            else:
                rec.penalties = tuple(dict.fromkeys(penalties)) or None

    amount = get("fine_amount")
    if amount is not None:
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0:
            err(f"{base}.fine_amount", f"罚款金额应为不小于0的数字（单位：元），收到：{amount!r}")
        else:
            rec.fine_amount = amount

    # Implied and contradictory facts.
    if rec.fulfilled_date is not None:
        if rec.obligations_fulfilled is False:
            err(f"{base}.fulfilled_date", "填写了履行完毕日期，但“是否已履行义务”为 false，两者矛盾")
        elif rec.obligations_fulfilled is None and get("obligations_fulfilled") is None:
            rec.obligations_fulfilled = True
        if rec.decision_date is not None and rec.fulfilled_date < rec.decision_date:
            err(f"{base}.fulfilled_date",
                f"履行完毕日期（{rec.fulfilled_date.isoformat()}）早于处罚决定日期（{rec.decision_date.isoformat()}）")
    if rec.corrected_date is not None:
        if rec.corrected is False:
            err(f"{base}.corrected_date", "填写了纠正完毕日期，但“是否已纠正”为 false，两者矛盾")
        elif rec.corrected is None and get("corrected") is None:
            rec.corrected = True

    if len(err.errors) > start:
        return None
    return rec
