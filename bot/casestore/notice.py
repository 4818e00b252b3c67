"""双书同达: a 信用修复告知书 from a department's decision.

A department system (its department token) or an officer (agent token) posts the decision;
the rules engine (`bot.rules.engine.determine_paths`, as of the decision date) gives the
earliest repair date, the automatic end of publication, the conditions, materials, channels,
time limit and the legal basis. Nothing here holds a period or a limit: they all come from
guides/. The notice is stored with the engine's answer, so the PDF (bot/casestore/notice_pdf.py)
and the JSON view are the same document however often they are fetched.

QR payload: `<widget url>?notice=<token>`, token = `<notice_no>.<signature>` where the
signature is HMAC-SHA256(CASESTORE_NOTICE_SECRET, notice_no), base64url, 22 characters: it
cannot be guessed from the notice number, and the same notice always prints the same code. The
chat widget passes it to the assistant as `/open_notice{"notice_token": ...}`; the action
resolves it through `GET /api/v1/notices/by-token/<token>` (assistant credential) and
pre-fills the record. Posting the same decision (department + decision number) again returns
the same notice (200); a different body for the same decision number is a 409.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import select

from bot.casestore.errors import ApiError, conflict, forbidden, invalid, not_found
from bot.casestore.models import Notice
from bot.casestore.service import CaseStore, Viewer, request_hash
from bot.casestore.services.common import iso as _iso
from bot.casestore.validation import identifiers, parse_date, subject_types
from bot.texts import t

# accepted spellings of the record kind (engine kinds and the guide's service item codes)
_KINDS = {"penalty": "penalty", "penalty_info": "penalty", "abnormal_list": "abnormal_list",
          "serious_list": "serious_list"}
_RECORD_FIELDS = ("procedure", "severity", "penalties", "fine_amount", "reason")


def sign(secret: str, notice_no: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), notice_no.encode("utf-8"), hashlib.sha256).digest()
    return f"{notice_no}.{base64.urlsafe_b64encode(mac).decode()[:22]}"


def verify(secret: str, token: str) -> str | None:
    """The notice number a token stands for, or None when it is not ours."""
    if not isinstance(token, str) or "." not in token or len(token) > 80:
        return None
    number = token.rsplit(".", 1)[0]
    return number if hmac.compare_digest(sign(secret, number), token) else None


def token_of(store: CaseStore, notice_no: str) -> str:
    return sign(store.settings.notice_secret, notice_no)


def widget_link(store: CaseStore, notice_no: str) -> str:
    base = store.settings.widget_url or f"{store.settings.base_url}/widget"
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}notice={token_of(store, notice_no)}"


def create_notice(store: CaseStore, body: Any, viewer: Viewer) -> tuple[dict, bool]:
    """(notice view with `token` and `qr_url`, created)."""
    if viewer.role not in ("department", "agent"):
        raise forbidden("只有作出决定的部门（或坐席代为登记）可以生成信用修复告知书。")
    data = _validate(store, body, viewer)
    digest = request_hash(body)
    with store.db.reading() as s:
        existing = s.execute(select(Notice).where(Notice.department == data["department"],
                                                  Notice.decision_number == data["decision_number"])
                             ).scalar_one_or_none()
        if existing is not None:
            if existing.request_hash != digest:
                raise conflict("notice_exists",
                               f"决定书{data['decision_number']}已生成过告知书（{existing.notice_no}），内容与本次不同。如需更正请联系管理员。",
                               [{"field": "decision_number", "message": existing.notice_no}])
            return notice_view(store, existing), False
    result = _engine(store, data)
    now = store.clock()
    for _ in range(8):
        number = f"GZ-{data['decision_date']:%Y%m%d}-{secrets.randbelow(10**6):06d}"
        with store.db.writing() as s:
            if s.execute(select(Notice.id).where(Notice.notice_no == number)).first() is not None:
                continue
            n = Notice(notice_no=number, request_hash=digest,
                       subject_type=data["subject_type"], subject_name=data["subject_name"],
                       uscc=data["uscc"], kind=data["kind"], department=data["department"],
                       decision_number=data["decision_number"], decision_date=data["decision_date"],
                       record=data["record"], result=result | {"duties": data["duties"]},
                       earliest_date=parse_date(result.get("earliest_date")),
                       auto_end_date=parse_date(result.get("auto_end_date")),
                       created_by=viewer.actor, created_at=now)
            s.add(n)
            s.flush()
            view = notice_view(store, n)
        return view, True
    raise ApiError(503, "busy", "系统繁忙，请稍后再试。")  # pragma: no cover


def _validate(store: CaseStore, body: Any, viewer: Viewer) -> dict:
    if not isinstance(body, dict):
        raise invalid([{"field": "", "message": "请求内容应为JSON对象。"}])
    problems: list[dict] = []
    subject = body.get("subject") if isinstance(body.get("subject"), dict) else {}
    if not isinstance(body.get("subject"), dict):
        problems.append({"field": "subject", "message": "请提供当事人信息 subject：{name, uscc, subject_type}。"})
    name = subject.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        problems.append({"field": "subject.name", "message": "请填写当事人名称（不超过200字）。"})
    uscc = subject.get("uscc")
    check = identifiers().check_uscc(uscc) if isinstance(uscc, str) else None
    if check is None or not check.ok:
        problems.append({"field": "subject.uscc", "message": check.message_zh if check else "请填写18位统一社会信用代码。"})
    stype = subject.get("subject_type", "enterprise")
    if stype not in subject_types():
        problems.append({"field": "subject.subject_type",
                         "message": "主体类型应为：" + "、".join(f"{k}（{v}）" for k, v in subject_types().items())})
    kind = _KINDS.get(body.get("kind"))
    if kind is None:
        problems.append({"field": "kind", "message": "记录类型应为 penalty（行政处罚）、abnormal_list（经营异常名录）或 serious_list（严重失信主体名单）。"})
    dept = body.get("department")
    if viewer.role == "department":
        if dept is not None and dept != viewer.department:
            raise forbidden("部门只能为本部门作出的决定生成告知书。")
        dept = viewer.department
    if dept not in store.guide.departments:
        problems.append({"field": "department", "message": "请填写办事指南中的部门代码，例如 market_regulation、tax。"})
    number = body.get("decision_number")
    if not isinstance(number, str) or not 1 <= len(number.strip()) <= 100:
        problems.append({"field": "decision_number", "message": "请填写决定书文号，例如“川税稽罚〔2026〕18号”。"})
    ddate = parse_date(body.get("decision_date"))
    if ddate is None:
        problems.append({"field": "decision_date", "message": "决定日期格式应为YYYY-MM-DD。"})
    elif ddate > store.today():
        problems.append({"field": "decision_date", "message": "决定日期不能晚于今天。"})
    duties = body.get("duties", [])
    if isinstance(duties, str):
        duties = [duties]
    if not isinstance(duties, list) or not all(isinstance(d, str) and d.strip() for d in duties) or len(duties) > 20:
        problems.append({"field": "duties", "message": "应履行的义务 duties 应为文字列表，例如 [\"缴纳罚款5000元\"]。"})
        duties = []
    if problems:
        raise invalid(problems)
    record: dict[str, Any] = {"kind": kind, "department": dept}
    record["decision_date" if kind == "penalty" else "listed_date"] = ddate.isoformat()
    for key in _RECORD_FIELDS:
        if body.get(key) is not None:
            record[key] = body[key]
    if kind == "penalty":
        record["obligations_fulfilled"] = not duties  # at the decision: not yet performed
    else:
        record["corrected"] = False
    return {"subject_type": stype, "subject_name": name.strip(), "uscc": check.value, "kind": kind,
            "department": dept, "decision_number": number.strip(), "decision_date": ddate,
            "duties": [d.strip()[:200] for d in duties], "record": record}


def _engine(store: CaseStore, data: dict) -> dict:
    from bot.rules.engine import InputError, determine_paths

    payload = {"as_of": data["decision_date"].isoformat(), "subject_type": data["subject_type"],
               "records": [data["record"]]}
    try:
        out = determine_paths(payload, store.guide)
    except InputError as exc:
        raise invalid([{"field": e["field"].replace("records[0].", ""), "message": e["message"]}
                       for e in exc.errors]) from None
    result = out["results"][0]
    limit = store.guide.rule("decision_limit", result["service_item"], data["department"],
                             on=data["decision_date"], subject_type=data["subject_type"])
    return result | {"overall_caveats": out["caveats"],
                     "limit_rule": limit.id if limit else None}


def notice_view(store: CaseStore, n: Notice) -> dict:
    r = n.result
    guide = store.guide
    unverified = list(r.get("unverified_rules") or [])
    return {
        "notice_no": n.notice_no,
        "subject": {"name": n.subject_name, "uscc": n.uscc, "subject_type": n.subject_type,
                    "subject_type_name": subject_types().get(n.subject_type, n.subject_type)},
        "kind": n.kind,
        "kind_name": r.get("service_item_name"),
        "department": n.department,
        "department_name": guide.department_name(n.department),
        "decision_number": n.decision_number,
        "decision_date": _iso(n.decision_date),
        "record": n.record,
        "duties": r.get("duties", []),
        "status_at_decision": r.get("status"),
        "earliest_date": _iso(n.earliest_date),
        "auto_end_date": _iso(n.auto_end_date),
        "conditions": _conditions(r),
        "materials": r.get("materials", []),
        "channels": r.get("channel", []),
        "decision_limit_working_days": r.get("decision_limit_working_days"),
        "basis": r.get("basis", []),
        "rules_used": r.get("rules_used", []),
        "unverified_rules": unverified,
        "verified": not unverified,
        "caveats": list(dict.fromkeys(list(r.get("caveats") or []) + list(r.get("overall_caveats") or []))),
        "notes": r.get("notes", []),
        "created_at": _iso(n.created_at),
        "pdf": f"/api/v1/notices/{n.notice_no}/pdf",
        "qr_url": widget_link(store, n.notice_no),
    }


def _conditions(r: dict) -> list[str]:
    """What must be true before applying: the decision's duties performed in full (or the
    engine's open duties when none were listed), then what the engine says to confirm. Waiting
    is not a condition here: the date line says it."""
    duties = [t("notice.duty", duty=d) for d in r.get("duties") or []]
    return (duties or list(r.get("open_duties") or [])) + list(r.get("to_confirm") or [])


def _authorize(n: Notice, viewer: Viewer) -> None:
    if viewer.role == "department" and n.department != viewer.department:
        raise not_found("告知书")
    if viewer.role not in ("department", "agent", "assistant"):
        raise forbidden()


def get_notice(store: CaseStore, notice_no: str, viewer: Viewer) -> dict:
    with store.db.reading() as s:
        n = s.execute(select(Notice).where(Notice.notice_no == notice_no.strip().upper())).scalar_one_or_none()
        if n is None:
            raise not_found("告知书")
        _authorize(n, viewer)
        return notice_view(store, n)


def notice_by_token(store: CaseStore, token: str, viewer: Viewer) -> dict:
    """The notice a QR token stands for (the assistant pre-fills the record from it)."""
    if not viewer.trusted:
        raise forbidden("只有智能助手或坐席可以用二维码调取告知书。")
    number = verify(store.settings.notice_secret, token)
    with store.db.reading() as s:
        n = number and s.execute(select(Notice).where(Notice.notice_no == number)).scalar_one_or_none()
        if not n:
            raise ApiError(404, "notice_token_unknown", "二维码无效或已失效，请核对告知书。")
        return notice_view(store, n)


def notice_pdf(store: CaseStore, notice_no: str, viewer: Viewer) -> bytes:
    from bot.casestore.notice_pdf import render

    view = get_notice(store, notice_no, viewer)
    return render(view, store.guide, view["qr_url"], store.settings.notice_font)


def earliest_for(view: dict) -> dt.date | None:
    return parse_date(view.get("earliest_date"))
