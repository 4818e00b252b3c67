"""The single application form (一张表单) as the chat collects it: which field to ask next,
the materials of all records at once, the numbered summary, corrections, the case-store
payload and the replies after submission and lookup. No rasa-sdk imports here."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, replace
from typing import Any

from bot.casestore.caseno import normalize_case_no
from bot.dialogue import record_flow
from bot.guide import Guide, MaterialNeed, load_guide
from bot.parsing.identifiers import uscc_subject_hint
from bot.parsing.masking import mask_phone
from bot.parsing.numerals import parse_int
from bot.rules.engine import zh_date
from bot.rules.explain import zh_date_weekday
from bot.rules.inputs import KINDS, SERVICE_ITEM, SUBJECT_TYPES

APPLICANT_SLOTS = ("subject_name", "uscc", "subject_type", "legal_rep", "agent_name", "agent_phone")
TAIL_SLOTS = ("materials_confirmed", "commitment_accepted", "confirm")
SLOT_LABELS = {
    "subject_type": "主体类型",
    "subject_name": "主体名称",
    "uscc": "统一社会信用代码",
    "legal_rep": "法定代表人（负责人、经营者）",
    "agent_name": "经办人",
    "agent_phone": "经办人手机号",
}
# Words that name a field in a correction (「手机号写错了」).
_FIELD_WORDS = (
    ("agent_phone", ("手机", "电话", "号码")),
    ("uscc", ("信用代码", "社会信用代码", "代码", "统一代码")),
    ("agent_name", ("经办人",)),
    ("legal_rep", ("法定代表人", "法人", "负责人", "经营者")),
    ("subject_type", ("主体类型", "类型")),
    ("subject_name", ("名称", "公司名", "企业名", "名字", "店名")),
)
_RECORD_FIELD_WORDS = (
    ("fact_date", ("日期", "时间", "哪天", "日子")),
    ("fact_department", ("部门", "机关", "哪个局")),
    ("fact_kind", ("类型", "种类", "事项")),
    ("fact_fulfilled", ("履行", "缴纳", "交了", "罚款")),
    ("fact_corrected", ("纠正", "整改")),
)


_YES = re.compile(r"(同意|承诺|确认|确定|是的|好的|好了|可以|没问题|要得|对|提交|传好|上传了|已上传|继续|不需要|没有要传|yes|ok)", re.I)
_NO = re.compile(r"(不同意|不承诺|不确认|不要|不行|算了|还没|没有传|没传|no\b)", re.I)
_NAME = re.compile(r"^[\u4e00-\u9fffA-Za-z·•\s]{2,30}$")
_SAME_PERSON = re.compile(r"^(本人|同上|就是本人|是本人|就是我|我自己|自己|一样|同一人|法人本人)")


def read_yes_no(text: str) -> bool | None:
    """An answer to 「好了吗」「同意吗」「确认提交吗」: True, False, or None when it says neither."""
    if _NO.search(text):
        return False
    if _YES.search(text):
        return True
    return None


def is_person_name(text: str) -> bool:
    return bool(_NAME.match(text))


def is_subject_name(text: str) -> bool:
    """A company or shop name: 2-100 characters with Chinese, not a question."""
    return 2 <= len(text) <= 100 and bool(re.search(r"[\u4e00-\u9fff]", text)) and not re.search(r"[？?吗]$", text)


def means_same_person(text: str) -> bool:
    """「本人」「同上」: the agent is the legal representative."""
    return bool(_SAME_PERSON.match(text))


def record_results(records: list[dict], subject_type: str | None, today: dt.date) -> list[dict]:
    """The engine's result for every record (same order)."""
    if not records:
        return []
    return record_flow.determine_for_records(records, subject_type, today)["results"]


def eligible_indexes(results: list[dict]) -> list[int]:
    return [r["index"] for r in results if r["status"] == "eligible"]


def required_slots(state: dict[str, Any], today: dt.date, guide: Guide | None = None) -> list[str]:
    """The form's slots in asking order; rasa-sdk asks the first empty one, and validates every
    listed slot the user just filled (so filled slots stay in the list). Known facts, and a
    subject type implied by the credit code, are never asked."""
    slots: list[str] = []
    results = record_results(state.get("records") or [], state.get("subject_type"), today)
    if state.get("collecting_record") or not eligible_indexes(results):
        facts = {s: state.get(s) for s in record_flow.FACT_SLOTS}
        slots += record_flow.fact_slots_of_form(
            facts, state.get("fact_extra"), state.get("subject_type"), today, guide
        )
    for slot in APPLICANT_SLOTS:
        if slot == "subject_type" and state.get("subject_type") is None and state.get("uscc") \
                and uscc_subject_hint(state["uscc"]):
            continue
        slots.append(slot)
    return slots + list(TAIL_SLOTS)


def missing_slots(state: dict[str, Any], today: dt.date, guide: Guide | None = None) -> list[str]:
    """What is still to be asked, in order."""
    return [s for s in required_slots(state, today, guide) if state.get(s) is None]


def materials_for(records: list[dict], indexes: list[int], guide: Guide | None = None) -> list[MaterialNeed]:
    """One set of materials for the records in one application (merged, in guide order)."""
    guide = guide or load_guide()
    merged: dict[str, MaterialNeed] = {}
    for i in indexes:
        rec = records[i]
        section = guide.section(SERVICE_ITEM[rec["kind"]], rec["department"])
        for m in section.materials:
            old = merged.get(m.id)
            merged[m.id] = replace(
                m,
                required=m.required or (old.required if old else False),
                # fetched only if every record that needs it lets the department fetch it
                fetched_by_department=m.fetched_by_department and (old.fetched_by_department if old else True),
            )
    return list(merged.values())


def materials_to_upload(materials: list[MaterialNeed]) -> list[MaterialNeed]:
    return [m for m in materials if m.required and not m.generated and not m.fetched_by_department]


def materials_text(materials: list[MaterialNeed], upload_urls: dict[str, str]) -> str:
    """All materials at once; each one to upload with its own one-time upload link."""
    lines = ["这次申请需要的材料（一次列全）："]
    for n, m in enumerate(materials, 1):
        if m.generated:
            note = "系统根据您填写的内容自动生成，无需提交"
        elif m.fetched_by_department:
            note = "部门通过数据共享自行核查，无需提交"
        elif m.required:
            note = f"需要上传，上传页面：{upload_urls[m.id]}" if m.id in upload_urls else "需要上传"
        else:
            note = f"{m.conditional}提供" if m.conditional else "如有请上传"
        lines.append(f"{n}. {m.name}——{note}。")
    need = materials_to_upload(materials)
    if need and all(m.id in upload_urls for m in need):
        lines.append("请用手机打开对应的上传页面提交材料（支持 PDF、JPG、PNG，每个链接只能用一次）。")
    elif need:
        lines.append("上传页面暂时无法生成（案件系统连不上），可稍后回复“好了”再试，或到窗口提交纸质材料。")
    lines.append("上传好了或不需要上传时，回复“好了”继续。")
    return "\n".join(lines)


def missing_uploads(materials: list[MaterialNeed], uploaded_ids: set[str]) -> list[MaterialNeed]:
    return [m for m in materials_to_upload(materials) if m.id not in uploaded_ids]


def subject_type_of(state: dict[str, Any]) -> str | None:
    return state.get("subject_type") or (uscc_subject_hint(state["uscc"]) if state.get("uscc") else None)


def record_line(n: int, rec: dict, result: dict | None, guide: Guide | None = None) -> str:
    guide = guide or load_guide()
    date = rec.get("decision_date") or rec.get("listed_date")
    date_text = zh_date(dt.date.fromisoformat(date)) if date else "日期未填"
    parts = [f"{n}. {KINDS[rec['kind']]}（{guide.department_name(rec['department'])}，{date_text}"]
    if rec.get("decision_number"):
        parts.append(f"，文号{rec['decision_number']}")
    parts.append("）")
    if result is not None:
        status = {
            "eligible": "可以申请",
            "not_yet": f"{zh_date_weekday(result.get('earliest_date'))}起可申请，本次不提交",
            "needs_correction": "需先纠正，本次不提交",
            "needs_info": "信息不全，本次不提交",
            "not_needed": "无需修复",
            "not_repairable": "不能提前修复",
        }[result["status"]]
        parts.append(f"：{status}")
    return "".join(parts)


def summary_text(state: dict[str, Any], results: list[dict], materials: list[MaterialNeed],
                 uploaded: list[str], guide: Guide | None = None) -> str:
    guide = guide or load_guide()
    st = subject_type_of(state)
    lines = [
        "请核对申请信息：",
        f"主体类型：{SUBJECT_TYPES.get(st, '未填')}",
        f"主体名称：{state.get('subject_name') or '未填'}",
        f"统一社会信用代码：{state.get('uscc') or '未填'}",
        f"法定代表人（负责人、经营者）：{state.get('legal_rep') or '未填'}",
        f"经办人：{state.get('agent_name') or '未填'}，手机 {mask_phone(state['agent_phone']) if state.get('agent_phone') else '未填'}",
        "修复记录：",
    ]
    records = state.get("records") or []
    lines += ["  " + record_line(i + 1, rec, results[i] if i < len(results) else None, guide)
              for i, rec in enumerate(records)]
    names = {m.id: m.name for m in materials}
    if uploaded:
        lines.append("已上传材料：" + "、".join(names.get(u, u) for u in uploaded))
    lines.append("信用承诺：已同意" if state.get("commitment_accepted") else "信用承诺：未同意")
    lines.append("确认无误请回复“确认提交”；要修改请直接说，例如“手机号写错了”“改一下第1条记录的日期”“删除第2条记录”；也可以说“取消”。")
    return "\n".join(lines)


@dataclass(frozen=True)
class Correction:
    slot: str | None  # an applicant slot, or a fact slot of a record
    record_index: int | None  # 0-based, for record corrections


def parse_record_index(text: str) -> int | None:
    m = re.search(r"第\s*([0-9]+|[一二两三四五六七八九十]{1,3})\s*[条个项]", text)
    number = parse_int(m.group(1)) if m else None
    return number - 1 if number else None


def parse_correction(text: str) -> Correction:
    """Which field the applicant wants to change, from words like 「手机号写错了」."""
    index = parse_record_index(text)
    if index is not None or "记录" in text:
        for slot, words in _RECORD_FIELD_WORDS:
            if any(w in text for w in words):
                return Correction(slot, index if index is not None else 0)
        return Correction(None, index if index is not None else 0)
    for slot, words in _FIELD_WORDS:
        if any(w in text for w in words):
            return Correction(slot, None)
    return Correction(None, None)


def build_payload(state: dict[str, Any], indexes: list[int], uploads: list[dict],
                  channel: str, conversation_id: str) -> dict[str, Any]:
    """The case-store application body (docs/api.md) for the eligible records."""
    agent_name = state.get("agent_name")
    records = []
    for i in indexes:
        rec = state["records"][i]
        out = {
            "kind": SERVICE_ITEM[rec["kind"]],
            "department": rec["department"],
            "date": rec.get("decision_date") or rec.get("listed_date"),
        }
        if rec["kind"] == "penalty":
            out["obligations_fulfilled"] = rec.get("obligations_fulfilled")
            if rec.get("severity") in ("minor", "general", "serious"):
                out["severity"] = rec["severity"]
        else:
            out["obligations_fulfilled"] = rec.get("corrected")
        for key in ("decision_number", "reason"):
            if rec.get(key):
                out[key] = rec[key]
        records.append(out)
    return {
        "applicant": {
            "subject_type": subject_type_of(state),
            "name": state.get("subject_name"),
            "uscc": state.get("uscc"),
            "legal_rep": state.get("legal_rep"),
            "agent_name": agent_name,
            "agent_phone": state.get("agent_phone"),
        },
        "records": records,
        "materials": [{"material_id": u["material_id"], "upload_id": u.get("upload_id")} for u in uploads],
        "commitment_accepted": bool(state.get("commitment_accepted")),
        "channel": channel,
        "conversation_id": conversation_id,
    }


def idempotency_key(conversation_id: str, payload: dict[str, Any]) -> str:
    """Same conversation + same form => same key, so a retry never makes a second case."""
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{conversation_id}\n{canonical}".encode()).hexdigest()[:40]


def submission_reply(case: dict[str, Any], guide: Guide | None = None) -> str:
    guide = guide or load_guide()
    lines = [f"申请已提交，案件号 {case['case_no']}（请记下，查询进度要用）。"]
    for item in case.get("items", []):
        deadline = zh_date_weekday(item["deadline"]) if item.get("deadline") else "以受理机关通知为准"
        lines.append(f"· {item['kind_name']}：由{item['department_name']}办理，办结期限 {deadline}")
        caveat = (item.get("time_limit") or {}).get("caveat")
        if caveat:
            lines.append(f"  （{caveat}）")
    lines.append(guide.service.get("progress_hint", "可随时发送案件号和手机后四位查询进度。"))
    return "\n".join(lines)


def parse_lookup(text: str) -> tuple[str | None, str | None]:
    """(case number, phone digits: last 4 or all 11) from a lookup message."""
    compact = text.upper()
    case_no = None
    m = re.search(r"XF[\s\-]*\d{8}[\s\-]*\d{5}(?:\d{2})?", compact)
    if m:
        case_no = normalize_case_no(m.group(0))
        compact = compact.replace(m.group(0), " ")
    phone = re.search(r"(?<!\d)(1[3-9]\d{9}|\d{4})(?!\d)", compact)
    return case_no, phone.group(1) if phone else None


def lookup_reply(case: dict[str, Any]) -> str:
    lines = [f"案件 {case['case_no']}：{case.get('state_name', case.get('state'))}"]
    for item in case.get("items", []):
        line = f"· {item['kind_name']}（{item['department_name']}）：{item['state_name']}"
        if item.get("deadline") and item["state"] in ("submitted", "accepted"):
            line += f"，办结期限 {zh_date_weekday(item['deadline'])}"
            if item.get("overdue"):
                line += "（已超期，可拨打热线催办）"
        if item.get("missing"):
            line += "；需补正：" + "、".join(item["missing"])
        if item.get("reasons"):
            line += "；原因：" + "、".join(item["reasons"])
        lines.append(line)
    return "\n".join(lines)
