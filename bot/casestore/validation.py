"""Validation of an application body: every problem at once, in Chinese, with field paths.

Departments, service items, materials and what is applicable come from the repair guide;
identifiers are checked by bot.parsing.identifiers (python-stdnum).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot import clock

KIND_ALIASES = {"penalty": "penalty_info"}  # the rules engine's record kind -> service item
CHANNELS = {"wechat": "微信", "web": "网页", "window": "窗口", "api": "接口"}
SEVERITIES = ("minor", "general", "serious", "unknown")
MAX_RECORDS = 20
MAX_MATERIALS = 50


class Problems:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.items.append({"field": field, "message": message})

    def __bool__(self) -> bool:
        return bool(self.items)


def subject_types() -> dict[str, str]:
    """Subject type codes and names, shared with the rules engine's input contract."""
    from bot.rules.inputs import SUBJECT_TYPES

    return SUBJECT_TYPES


def identifiers():
    """bot.parsing.identifiers, imported when first needed (another module of the project)."""
    from bot.parsing import identifiers as ids

    return ids


def _member(value: Any, allowed) -> bool:
    """`value in allowed` for a text value; False for objects, lists, numbers (no TypeError)."""
    return isinstance(value, str) and value in allowed


def _shown(value: Any) -> str:
    """A value as it may be echoed in a message: short text, or a note that it is not text."""
    return value[:40] if isinstance(value, str) else "（不是文字）"


def parse_date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def _text(p: Problems, obj: dict, key: str, path: str, label: str, *, required: bool,
          max_len: int = 200) -> str | None:
    value = obj.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            p.add(path, f"请填写{label}。")
        return None
    if not isinstance(value, str):
        p.add(path, f"{label}应为文字。")
        return None
    value = value.strip()
    if len(value) > max_len:
        p.add(path, f"{label}过长，最多{max_len}个字。")
        return None
    return value


def validate_application(body: Any, guide, today: dt.date | None = None) -> tuple[dict, list[dict]]:
    """(normalised application, problems). Problems is empty when the body is valid."""
    today = today or clock.today()
    p = Problems()
    if not isinstance(body, dict):
        p.add("", "请求内容应为JSON对象。")
        return {}, p.items
    ids = identifiers()
    out: dict[str, Any] = {}

    # ----- applicant -----------------------------------------------------------------------
    out["applicant"] = _applicant(p, body.get("applicant"), ids)

    # ----- records -------------------------------------------------------------------------
    records = body.get("records")
    out["records"] = []
    if not isinstance(records, list) or not records:
        p.add("records", "请至少填写一条需要修复的信用记录。")
        records = []
    elif len(records) > MAX_RECORDS:
        p.add("records", f"一次最多申请{MAX_RECORDS}条记录。")
        records = []
    seen: dict[tuple, int] = {}
    for n, rec in enumerate(records):
        path = f"records[{n}]"
        if not isinstance(rec, dict):
            p.add(path, "每条记录应为JSON对象。")
            continue
        r: dict[str, Any] = {}
        kind = rec.get("kind")
        kind = KIND_ALIASES.get(kind, kind) if isinstance(kind, str) else kind
        if not _member(kind, guide.items):
            options = "、".join(f"{k}（{guide.item_name(k)}）" for k in guide.items)
            p.add(f"{path}.kind", f"修复事项不正确，应为以下之一：{options}。")
            kind = None
        dept = rec.get("department")
        if not _member(dept, guide.departments):
            options = "、".join(f"{k}（{v['name']}）" for k, v in guide.departments.items())
            p.add(f"{path}.department", f"作出决定的部门代码“{_shown(dept)}”无法识别，应为以下之一：{options}。")
            dept = None
        if kind and dept:
            section = guide.section(kind, dept)
            if section.not_applicable:
                p.add(f"{path}.department", section.not_applicable)
        r["kind"], r["department"] = kind, dept
        raw_date = rec.get("date") or rec.get("decision_date") or rec.get("listed_date")
        date = parse_date(raw_date)
        if raw_date in (None, ""):
            p.add(f"{path}.date", "请填写决定日期（列入日期），格式为YYYY-MM-DD。")
        elif date is None:
            p.add(f"{path}.date", f"日期“{raw_date}”格式不正确，应为YYYY-MM-DD，例如2026-03-10。")
        elif date > today:
            p.add(f"{path}.date", f"决定日期{date.isoformat()}晚于今天，请核对。")
        elif date.year < 1990:
            p.add(f"{path}.date", f"决定日期{date.isoformat()}过早，请核对。")
        else:
            r["date"] = date.isoformat()
        r["decision_number"] = _text(p, rec, "decision_number", f"{path}.decision_number",
                                     "决定书文号", required=False, max_len=100)
        r["reason"] = _text(p, rec, "reason", f"{path}.reason", "处罚或列入事由", required=False,
                            max_len=500)
        r["authority_name"] = _text(p, rec, "authority_name", f"{path}.authority_name",
                                    "作出决定的机关名称", required=False, max_len=200)
        r["note"] = _text(p, rec, "note", f"{path}.note", "备注", required=False, max_len=1000)
        r["ground"] = _text(p, rec, "ground", f"{path}.ground", "列入原因代码", required=False,
                            max_len=60)
        of = rec.get("obligations_fulfilled", rec.get("corrected"))
        if not isinstance(of, bool):
            p.add(f"{path}.obligations_fulfilled", "请说明是否已履行法定义务、纠正失信行为（true或false）。")
        else:
            r["obligations_fulfilled"] = of
        sev = rec.get("severity")
        if sev is not None:
            if not _member(sev, SEVERITIES):
                p.add(f"{path}.severity", "失信程度应为 minor（轻微）、general（一般）或 serious（严重）。")
            else:
                r["severity"] = sev
        for key, label in (("fulfilled_date", "履行完毕日期"), ("corrected_date", "纠正完毕日期")):
            if rec.get(key) is not None:
                d = parse_date(rec.get(key))
                if d is None or d > today:
                    p.add(f"{path}.{key}", f"{label}格式应为YYYY-MM-DD，且不能晚于今天。")
                else:
                    r[key] = d.isoformat()
        r["procedure"] = _text(p, rec, "procedure", f"{path}.procedure", "处罚程序", required=False,
                               max_len=20)
        penalties = rec.get("penalties")
        if penalties is not None:
            if not isinstance(penalties, list) or not all(isinstance(x, str) and x for x in penalties):
                p.add(f"{path}.penalties", "处罚种类应为文字列表，例如 [\"fine\"]。")
            else:
                r["penalties"] = penalties[:20]
        amount = rec.get("fine_amount")
        if amount is not None:
            if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0:
                p.add(f"{path}.fine_amount", "罚款金额应为不小于0的数字（元）。")
            else:
                r["fine_amount"] = amount
        r = {k: v for k, v in r.items() if v is not None}
        if kind and dept:
            key = (kind, dept, (r.get("decision_number") or "").replace(" ", ""), r.get("date"))
            if key in seen:
                p.add(path, f"与第{seen[key] + 1}条记录重复。")
            seen.setdefault(key, n)
        out["records"].append(r)

    # ----- materials -----------------------------------------------------------------------
    materials = body.get("materials", [])
    out["materials"] = []
    if not isinstance(materials, list):
        p.add("materials", "材料清单应为列表。")
        materials = []
    elif len(materials) > MAX_MATERIALS:
        p.add("materials", f"材料最多{MAX_MATERIALS}项。")
        materials = []
    for n, m in enumerate(materials):
        path = f"materials[{n}]"
        if not isinstance(m, dict):
            p.add(path, "每项材料应为JSON对象，例如 {\"material_id\": \"performance_proof\"}。")
            continue
        mid = m.get("material_id")
        if not _member(mid, guide.materials):
            p.add(f"{path}.material_id", f"材料代码“{_shown(mid)}”不在办事指南的材料清单中。")
            mid = None
        upload_id = m.get("upload_id")
        if upload_id is not None and (not isinstance(upload_id, str) or not 1 <= len(upload_id) <= 40):
            p.add(f"{path}.upload_id", "上传文件编号格式不正确。")
            upload_id = None
        out["materials"].append({"material_id": mid, "upload_id": upload_id})

    # ----- commitment, channel, conversation --------------------------------------------
    if body.get("commitment_accepted") is not True:
        p.add("commitment_accepted", "请阅读并确认信用承诺（commitment_accepted 应为 true）后再提交。")
    channel = body.get("channel")
    if not _member(channel, CHANNELS):
        p.add("channel", "办理渠道应为 wechat（微信）、web（网页）、window（窗口）或 api（接口）。")
    out["channel"] = channel
    conv = body.get("conversation_id")
    if conv is not None and (not isinstance(conv, str) or not 1 <= len(conv) <= 128):
        p.add("conversation_id", "会话编号应为1至128个字符的文字。")
        conv = None
    out["conversation_id"] = conv
    return out, p.items


def validate_applicant(applicant: Any) -> tuple[dict, list[dict]]:
    """(normalised applicant, problems): the same checks as at submission (used by corrections)."""
    p = Problems()
    return _applicant(p, applicant, identifiers()), p.items


def _applicant(p: Problems, applicant: Any, ids) -> dict:
    a: dict[str, Any] = {}
    if not isinstance(applicant, dict):
        p.add("applicant", "请填写申请主体信息（applicant）。")
        applicant = {}
    st = applicant.get("subject_type")
    types = subject_types()
    if not _member(st, types):
        options = "、".join(f"{k}（{v}）" for k, v in types.items())
        p.add("applicant.subject_type", f"主体类型不正确，应为以下之一：{options}。")
    else:
        a["subject_type"] = st
    a["name"] = _text(p, applicant, "name", "applicant.name", "主体名称", required=True)
    raw_uscc = applicant.get("uscc")
    if not isinstance(raw_uscc, str) or not raw_uscc.strip():
        p.add("applicant.uscc", "请填写18位统一社会信用代码。")
    else:
        check = ids.check_uscc(raw_uscc)
        if check.ok:
            a["uscc"] = check.value
        else:
            p.add("applicant.uscc", check.message_zh)
    a["legal_rep"] = _text(p, applicant, "legal_rep", "applicant.legal_rep",
                           "法定代表人（负责人、经营者）姓名", required=True, max_len=100)
    a["agent_name"] = _text(p, applicant, "agent_name", "applicant.agent_name", "经办人姓名",
                            required=True, max_len=100)
    raw_phone = applicant.get("agent_phone")
    if not isinstance(raw_phone, str) or not raw_phone.strip():
        p.add("applicant.agent_phone", "请填写经办人的11位手机号码。")
    else:
        check = ids.check_mobile(raw_phone)
        if check.ok:
            a["agent_phone"] = check.value
        else:
            p.add("applicant.agent_phone", check.message_zh)
    return a
