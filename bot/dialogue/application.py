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
from bot.dialogue import consent, record_flow
from bot.facts import applicant
from bot.guide import Guide, MaterialNeed, load_guide
from bot.parsing.identifiers import uscc_subject_hint
from bot.parsing.masking import mask_phone
from bot.parsing.numerals import parse_int
from bot.rules.engine import zh_date
from bot.rules.explain import zh_date_weekday
from bot.rules.inputs import SERVICE_ITEM, SUBJECT_TYPES, kind_label
from bot.texts import t

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
def shown_value(slot: str, value: Any) -> str:
    """A field's value as the chat shows it (the phone masked, the subject type in words)."""
    if slot == "agent_phone":
        return mask_phone(value)
    if slot == "subject_type":
        return SUBJECT_TYPES.get(value, value)
    return str(value)


def _field_words(section: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(slot, words) in the order tried: guides/lexicon.yml correction_fields.<section>
    (「手机号写错了」「第1条记录的日期不对」)."""
    words = load_guide().lexicon.section("correction_fields")[section]
    return tuple((slot, tuple(ws)) for slot, ws in words.items())


_CHANGE_WORDS = re.compile(r"不对|不是|错|有误|改|换|更正|修正|应该是|应为|重新填|重填|不一样|对不上")
# 「民族的民」「立早章」-style spelling of one character: 「X的Y」 with Y in X
_SPELLING = re.compile(r"^(?:是|就是)?([\u4e00-\u9fff]{1,4})的([\u4e00-\u9fff])$")
_VALUE_AFTER = re.compile(r"(?:应该是|应该叫|应为|改成|改为|换成|写成|是|叫|为|:|：)\s*(.+)$")

read_consent = consent.read_consent
is_person_name = applicant.is_person_name
is_subject_name = applicant.is_subject_name


def _says_self(text: str) -> bool:
    """「经办人就是我本人」「经办人是法人本人」 (the field's word taken out first)."""
    rest = text
    for _, words in _field_words("applicant"):
        for w in sorted(words, key=len, reverse=True):
            rest = rest.replace(w, "")
    rest = re.sub(r"^[，,。\s]*(?:就是|是|改成|改为|换成)?", "", rest)
    return bool(rest) and means_same_person(rest)


def means_same_person(text: str) -> bool:
    """「本人」「同上」: the agent is the legal representative."""
    return applicant.answers_same_person(text) or applicant.mine_applicant(text).agent_is_legal_rep


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
    tail = list(TAIL_SLOTS)
    eligible = eligible_indexes(results)
    if eligible and not state.get("collecting_record") and not materials_to_upload(
            materials_for(state.get("records") or [], eligible, guide, state)):
        tail.remove("materials_confirmed")  # nothing to upload: not asked (the commitment says so)
    return slots + tail


def missing_slots(state: dict[str, Any], today: dt.date, guide: Guide | None = None) -> list[str]:
    """What is still to be asked, in order."""
    return [s for s in required_slots(state, today, guide) if state.get(s) is None]


AGENT_AUTHORIZATION = "agent_authorization"  # required when the agent is not the legal representative


def agent_is_other_person(state: dict[str, Any]) -> bool:
    rep, agent = state.get("legal_rep"), state.get("agent_name")
    return bool(rep and agent and rep != agent)


def materials_for(records: list[dict], indexes: list[int], guide: Guide | None = None,
                  state: dict[str, Any] | None = None) -> list[MaterialNeed]:
    """One set of materials for the records in one application (merged, in guide order). The
    授权委托书 becomes required when the agent is not the legal representative."""
    guide = guide or load_guide()
    other_agent = agent_is_other_person(state or {})
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
            if m.id == AGENT_AUTHORIZATION and other_agent:
                merged[m.id] = replace(merged[m.id], required=True, fetched_by_department=False)
    return list(merged.values())


def materials_to_upload(materials: list[MaterialNeed]) -> list[MaterialNeed]:
    return [m for m in materials if m.required and not m.generated and not m.fetched_by_department]


def materials_text(materials: list[MaterialNeed], upload_urls: dict[str, str],
                   state: dict[str, Any] | None = None) -> str:
    """The materials of the whole application, phone-sized: what to upload, each with its own
    one-time link; the rest (generated, fetched by the department) in one line."""
    need = materials_to_upload(materials)
    rest = [m.name for m in materials if m not in need and (m.generated or m.fetched_by_department)]
    if not need:
        return t("form.materials.none", names="、".join(rest))
    lines = [t("form.materials.head", count=len(need))]
    for n, m in enumerate(need, 1):
        if m.id in upload_urls:
            lines.append(t("form.materials.upload_line", n=n, name=m.name, url=upload_urls[m.id]))
        else:
            lines.append(t("form.materials.upload_line_nolink", n=n, name=m.name))
        if m.id == AGENT_AUTHORIZATION and state and agent_is_other_person(state):
            lines.append(t("form.materials.agent_authorization", agent=state["agent_name"], rep=state["legal_rep"],
                           label=rep_label(state)))
    if rest:
        lines.append(t("form.materials.others", names="、".join(rest)))
    lines.append(t("form.materials.tail"))
    return "\n".join(lines)


def missing_uploads(materials: list[MaterialNeed], uploaded_ids: set[str]) -> list[MaterialNeed]:
    return [m for m in materials_to_upload(materials) if m.id not in uploaded_ids]


def subject_type_of(state: dict[str, Any]) -> str | None:
    return state.get("subject_type") or (uscc_subject_hint(state["uscc"]) if state.get("uscc") else None)


def rep_label(state: dict[str, Any]) -> str:
    """法定代表人, or 经营者 for an individual business (guides/messages.yml form.summary.rep_label)."""
    return t(f"form.summary.rep_label.{subject_type_of(state) or 'unknown'}")


def record_line(n: int, rec: dict, result: dict | None, guide: Guide | None = None) -> str:
    guide = guide or load_guide()
    date = rec.get("decision_date") or rec.get("listed_date")
    date_text = zh_date(dt.date.fromisoformat(date)) if date else "日期未填"
    deciding = rec.get("authority_name") or guide.department_name(rec["department"])  # 「交通运输局」, not 其他部门
    parts = [f"{n}. {kind_label(rec['kind'], rec['department'])}（{deciding}，{date_text}"]
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
        if result.get("severity_unknown"):
            parts.append(t("form.summary.grade_unknown"))
            waits = [t("form.summary.grade_wait", grade=t(f"guide.when_said.grade.{w['grade']}"),
                       date=zh_date_weekday(w["date"])) for w in result.get("grades_waiting") or [] if w.get("date")]
            if waits:
                parts.append(t("form.summary.grade_waits", waits="；".join(waits)))
    return "".join(parts)


def summary_text(state: dict[str, Any], results: list[dict], materials: list[MaterialNeed],
                 uploaded: list[str], guide: Guide | None = None) -> str:
    guide = guide or load_guide()
    st = subject_type_of(state)
    unknown = t("form.summary.unknown")
    lines = [
        t("form.summary.head"),
        t("form.summary.subject_type", value=SUBJECT_TYPES.get(st, unknown)),
        t("form.summary.subject_name", value=state.get("subject_name") or unknown),
        t("form.summary.uscc", value=state.get("uscc") or unknown),
        t(f"form.summary.legal_rep.{subject_type_of(state) or 'unknown'}", value=state.get("legal_rep") or unknown),
        t("form.summary.agent", name=state.get("agent_name") or unknown,
          phone=mask_phone(state["agent_phone"]) if state.get("agent_phone") else unknown),
        t("form.summary.records"),
    ]
    records = state.get("records") or []
    lines += ["  " + record_line(i + 1, rec, results[i] if i < len(results) else None, guide)
              for i, rec in enumerate(records)]
    names = {m.id: m.name for m in materials}
    if uploaded:
        lines.append(t("form.summary.uploaded", names="、".join(names.get(u, u) for u in uploaded)))
    lines.append(t("form.summary.commitment_yes") if state.get("commitment_accepted") else t("form.summary.commitment_no"))
    lines.append(t("form.summary.tail"))
    return "\n".join(lines)


@dataclass(frozen=True)
class Correction:
    slot: str | None  # an applicant slot, or a fact slot of a record
    record_index: int | None  # 0-based, for record corrections
    value: str | None = None  # the new value when the sentence gives it (applicant slots)
    also: tuple[str, ...] = ()  # further slots that take the same value (agent = legal rep)
    others: tuple[tuple[str, str], ...] = ()  # further (slot, value) said in the same sentence


@dataclass(frozen=True)
class SummaryReply:
    """What the applicant said to the summary: yes, no, unclear, or a correction."""

    answer: str  # consent.YES | consent.NO | consent.UNCLEAR | "correction"
    correction: Correction | None = None


def _similar(a: str | None, b: str) -> int:
    return len(set(a or "") & set(b))


def _mistyped(old: str | None, new: str | None) -> bool:
    """「张德桂」 → 「张德贵」: the same person's name with one character wrong — not another person
    (「王德福」 → 「王小军」, a son: fifth hand try, where the father's name was overwritten too)."""
    if not (old and new):
        return False
    if len(old) == len(new):
        return sum(a != b for a, b in zip(old, new)) <= 1
    short, long_ = sorted((old, new), key=len)
    return len(long_) - len(short) == 1 and any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _same_person_also(slot: str, state: dict[str, Any], new: str | None) -> tuple[str, ...]:
    """The other name field that takes the new value: only when the legal representative was the
    agent and the new name is that person's name corrected."""
    rep, agent = state.get("legal_rep"), state.get("agent_name")
    if slot not in ("legal_rep", "agent_name") or not rep or rep != agent or not _mistyped(rep, new):
        return ()
    return ("agent_name",) if slot == "legal_rep" else ("legal_rep",)


def correction_value(text: str, slot: str | None) -> str | None:
    """The new value a correction sentence gives for `slot` (「电话不对 是13912345678」)."""
    mined = applicant.mine_applicant(text)
    if slot in ("agent_phone", "uscc", "subject_name") and getattr(mined, slot):
        return getattr(mined, slot)
    if slot in ("legal_rep", "agent_name", "person") :
        for part in reversed(re.split(r"[，,。；;！!\s]+", text)):
            if _SPELLING.match(part):
                continue  # 「民族的民」 spells a character of the name, it is not the name
            if re.search(r"不(?:是|叫)", part):
                continue  # 「经办人叫王磊 不是王磊帮」「经办人不是周建华」: the wrong one, not the new value
            m = _VALUE_AFTER.search(part)
            candidate = applicant.trim_name(applicant.without_role((m.group(1) if m else part).strip()))
            candidate = re.sub(r"^(?:就是我|我就是|我)", "", candidate)  # 「是我李娟」: 李娟
            if applicant.is_person_name(candidate):
                return candidate
    if slot == "subject_name":
        return mined.subject_name
    return None


def read_summary_reply(text: str, state: dict[str, Any]) -> SummaryReply:
    """The answer to 「请核对申请信息」. A sentence naming a field as wrong is a correction of that
    field (with its new value when given); a refusal or anything unclear never submits."""
    raw = (text or "").strip()
    fix = parse_correction(raw)
    changing = bool(_CHANGE_WORDS.search(consent.agreeing_removed(raw)))
    if fix.record_index is not None and ("记录" in raw or changing):
        if fix.slot == "fact_date":
            # 「第1条记录的日期 2024年6月18日」: the day said is taken (fifth hand try: asked a third time)
            from bot.clock import today
            from bot.parsing.dates import parse_date

            said = parse_date(raw, today())
            if said and said.precision == "day" and said.value <= today():
                fix = replace(fix, value=said.value.isoformat())
        return SummaryReply("correction", fix)
    mined = applicant.mine_applicant(raw)
    if mined.legal_rep and mined.agent_name and mined.legal_rep != mined.agent_name \
            and (mined.legal_rep, mined.agent_name) != (state.get("legal_rep"), state.get("agent_name")):
        # 「法定代表人王德福 经办人王小军 两个人不一样的嘛」: both, each its own
        return SummaryReply("correction", Correction("legal_rep", None, mined.legal_rep,
                                                     others=(("agent_name", mined.agent_name),)))
    if mined.agent_name and mined.agent_phone and mined.agent_name != state.get("agent_name"):
        # 「最后是我哥哥陈刚去办 他电话13900006666」 (sixth hand try: only the phone was changed)
        return SummaryReply("correction", Correction("agent_name", None, mined.agent_name,
                                                     others=(("agent_phone", mined.agent_phone),)))
    if fix.slot is None and (mined.agent_phone or mined.uscc or mined.subject_name):
        slot = "agent_phone" if mined.agent_phone else "uscc" if mined.uscc else "subject_name"
        return SummaryReply("correction", Correction(slot, None, getattr(mined, slot)))
    if fix.slot is not None and (changing or correction_value(raw, fix.slot)
                                 or (fix.slot == "agent_name" and _says_self(raw))):
        slot, also = fix.slot, ()
        if slot == "subject_name" and re.search(r"名字|姓名", raw) and not re.search(r"公司|店|名称", raw):
            person = correction_value(raw, "person")
            if not person and not mined.subject_name:
                return SummaryReply("correction", Correction(None, None))  # whose name? ask
            if person:
                # 「名字不对 就是张德贵三个字」: whose name? the one it is closest to.
                rep, agent = state.get("legal_rep"), state.get("agent_name")
                if person and rep and rep == agent:  # 「名字不对 是王德福」: naming no field, that person's name
                    return SummaryReply("correction", Correction("legal_rep", None, person, ("agent_name",)))
                slot = "agent_name" if person and _similar(agent, person) > _similar(rep, person) else "legal_rep"
                return SummaryReply("correction", Correction(slot, None, person))
        value = correction_value(raw, slot)
        if slot == "agent_name" and not value and state.get("legal_rep") and _says_self(raw):
            # 「经办人就是我本人」: the agent is the legal representative
            return SummaryReply("correction", Correction("agent_name", None, state["legal_rep"]))
        if value:
            also = _same_person_also(slot, state, value)
        return SummaryReply("correction", Correction(slot, None, value, also))
    if fix.slot is None and _NOT_THAT.search(raw):
        named = _name_correction(raw, state)
        if named is not None:
            return SummaryReply("correction", named)
    said = consent.read_consent(raw)
    if said.answer == consent.NO and changing and fix.slot is None:
        return SummaryReply("correction", Correction(None, None))
    return SummaryReply(said.answer)


_WRONG_WORDS = r"不对|错了|写错了?|搞错了?|弄错了?|打错了?"
_WRONG = re.compile(_WRONG_WORDS)
_NOT_THAT = re.compile(rf"不是|{_WRONG_WORDS}")


def earlier_name_corrected(text: str, state: dict[str, Any]) -> Correction | None:
    """「不对 是何大民 民族的民」 one question after the legal representative's name was given: a
    correction of a name already taken (it says 不对/不是 and names someone close to it)."""
    text = text or ""
    if not _WRONG.search(text):
        # 「不是他 是王小军」 at the agent's question names another person, not a typo: only an
        # explicit 「不是<the name taken>」 corrects without 不对/错了
        named_old = [v for v in (state.get("legal_rep"), state.get("agent_name")) if v and f"不是{v}" in text]
        if not named_old:
            return None
    return _name_correction(text, state)


def _name_correction(text: str, state: dict[str, Any]) -> Correction | None:
    """「不是民族！是何大民」「何大民 不是何大明」「不对 是何大民 民族的民」 at the summary, naming no
    field: the person's name it corrects is the one said after 「不是」, else the one closest to
    the new name (a character or more in common). None when no name field fits."""
    old, new = None, None
    for part in re.split(r"[，,。；;！!？?\s]+", text):
        if not part or _SPELLING.match(part):
            continue  # 「民族的民」 spells a character of the name
        negated = re.match(r"^(?:不对|错了)?(?:不是|并不是)(.+)$", part)
        body = negated.group(1) if negated else part
        m = _VALUE_AFTER.search(body)
        candidate = applicant.trim_name(applicant.without_role((m.group(1) if m else body).strip()))
        candidate = re.sub(rf"^(?:{_WRONG_WORDS})", "", candidate)
        if negated:
            old = candidate
        elif applicant.is_person_name(candidate):
            new = candidate
    if not new:
        return None
    rep, agent = state.get("legal_rep"), state.get("agent_name")
    fields = [(slot, value) for slot, value in (("legal_rep", rep), ("agent_name", agent)) if value]
    if not fields:
        return None
    named = [slot for slot, value in fields if old and value == old]
    if named:
        slot = named[0]
    else:
        best = max(fields, key=lambda f: _similar(f[1], new))
        if _similar(best[1], new) == 0 or best[1] == new:
            return None
        slot = best[0]
    # naming no field (「不是民族！是何大民」「不对 是贺大民」): the one person both fields name
    also = ("agent_name",) if slot == "legal_rep" and rep == agent else ("legal_rep",) if rep == agent else ()
    return Correction(slot, None, new, also)


def parse_record_index(text: str) -> int | None:
    m = re.search(r"第\s*([0-9]+|[一二两三四五六七八九十]{1,3})\s*[条个项]", text)
    number = parse_int(m.group(1)) if m else None
    return number - 1 if number else None


def parse_correction(text: str) -> Correction:
    """Which field the applicant wants to change, from words like 「手机号写错了」."""
    index = parse_record_index(text)
    if index is not None or "记录" in text:
        for slot, words in _field_words("record"):
            if any(w in text for w in words):
                return Correction(slot, index if index is not None else 0)
        return Correction(None, index if index is not None else 0)
    for slot, words in _field_words("applicant"):
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
            if rec.get("severity") in ("minor", "general", "serious", "unknown"):
                out["severity"] = rec["severity"]  # 「不清楚」: the department reads it on its decision
        else:
            out["obligations_fulfilled"] = rec.get("corrected")
        for key in ("decision_number", "reason", "authority_name"):
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
        # when and in which words the applicant agreed (kept with the application)
        "commitment": dict(state.get("commitment_record") or {}),
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
