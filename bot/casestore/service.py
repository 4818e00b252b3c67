"""The case store's business logic, synchronous, one database transaction per call.

The HTTP layer (app.py) runs these methods in worker threads. Every state change goes through
`_transition`, which checks the allowed moves, bumps the item's version (optimistic
concurrency) and writes an audit event in the same transaction. Nothing is ever deleted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from bot.casestore import caseno
from bot.casestore.db import Database
from bot.casestore.errors import ApiError, conflict, forbidden, invalid, not_found
from bot.casestore.models import (
    Application, DeclaredMaterial, Event, Item, Outbox, Reminder, Result, Upload, UploadToken,
    china_date, utcnow,
)
from bot.casestore.settings import Settings
from bot.casestore.validation import CHANNELS, parse_date, subject_types, validate_application
from bot.rules.workdays import add_working_days, working_days_between

STATE_NAMES = {
    "submitted": "已提交，待受理",
    "accepted": "已受理，审核中",
    "returned": "已退回，请补正材料",
    "approved": "已同意修复，结果共享中",
    "rejected": "不予修复",
    "result_shared": "已修复，结果已共享",
}
APPLICATION_STATE_NAMES = {
    "submitted": "已提交",
    "in_progress": "办理中",
    "returned": "需补正材料",
    "completed": "已办结",
}
# action -> (states it may start from, resulting state)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({"submitted"}), "accepted"),
    "return": (frozenset({"submitted", "accepted"}), "returned"),
    "approve": (frozenset({"accepted"}), "approved"),
    "reject": (frozenset({"accepted"}), "rejected"),
    "resubmit": (frozenset({"returned"}), "submitted"),
    "share": (frozenset({"approved"}), "result_shared"),
}
ACTION_NAMES = {
    "accept": "受理", "return": "退回补正", "approve": "同意修复", "reject": "不予修复",
    "resubmit": "补正后重新提交", "share": "结果共享",
}
OPEN_STATES = ("submitted", "accepted")  # the department's clock is running
FINAL_STATES = ("rejected", "result_shared")
NOTICE_CAVEAT = "未找到该事项的办理时限规定，具体时限以受理机关最新规定为准。"


@dataclass(frozen=True)
class Viewer:
    """Who is calling: agent | assistant | department | applicant | upload (token)."""

    role: str
    department: str | None = None
    name: str | None = None

    @property
    def actor(self) -> str:
        base = f"{self.role}:{self.department}" if self.department else self.role
        return f"{base}/{self.name}" if self.name else base

    @property
    def trusted(self) -> bool:
        return self.role in ("agent", "assistant")


def request_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def mask_phone(phone: str | None) -> str | None:
    from bot.parsing.masking import mask_phone as _mask

    return _mask(phone) if phone else phone


class CaseStore:
    def __init__(self, settings: Settings, db: Database | None = None, guide=None,
                 clock: Callable[[], dt.datetime] = utcnow):
        from bot.guide.loader import load_guide

        self.settings = settings
        self.db = db or Database(settings.database_url)
        self.guide = guide or load_guide()
        self.clock = clock

    def today(self) -> dt.date:
        """The business date: China's calendar date, or the project's pinned ASSISTANT_TODAY."""
        if os.environ.get("ASSISTANT_TODAY"):
            from bot.clock import today

            return today()
        return china_date(self.clock())

    # ======================================================================================
    # Submission
    # ======================================================================================
    def submit(self, body: Any, idempotency_key: str | None, viewer: Viewer) -> tuple[dict, bool]:
        """(application view, created). A repeated key with the same body returns the same case."""
        if not viewer.trusted:
            raise forbidden("只有智能助手或坐席可以提交申请。")
        if not idempotency_key or not idempotency_key.strip() or len(idempotency_key) > 200:
            raise ApiError(400, "idempotency_key_required",
                           "请在请求头 Idempotency-Key 中提供本次提交的唯一编号（1至200个字符），以免重复提交。")
        key = idempotency_key.strip()
        digest = request_hash(body)
        with self.db.reading() as s:
            existing = self._by_key(s, key, digest)
            if existing is not None:
                return existing, False
        today = self.today()
        data, problems = validate_application(body, self.guide, today)
        if not problems:
            with self.db.reading() as s:
                problems.extend(self._check_upload_refs(s, data["materials"]))
        if problems:
            raise invalid(problems)
        for attempt in range(8):
            try:
                with self.db.writing() as s:
                    app = self._create(s, data, body, key, digest, viewer, today, wide=attempt >= 4)
                    case_no = app.case_no
                break
            except IntegrityError:
                with self.db.reading() as s:
                    existing = self._by_key(s, key, digest)
                    if existing is not None:  # lost a race with the same request
                        return existing, False
                continue  # case number collision: draw again
        else:  # pragma: no cover - 8 collisions in a row
            raise ApiError(503, "busy", "系统繁忙，请稍后再试。")
        return self.get_application(case_no, Viewer("agent")), True

    def _by_key(self, s: Session, key: str, digest: str) -> dict | None:
        app = s.execute(select(Application).where(Application.idempotency_key == key)).scalar_one_or_none()
        if app is None:
            return None
        if app.request_hash != digest:
            raise conflict("idempotency_key_reused",
                           "这个 Idempotency-Key 已用于另一份内容不同的申请。如需提交新申请，请使用新的编号。",
                           [{"field": "Idempotency-Key", "message": f"已对应申请 {app.case_no}"}])
        return self._view(s, app, Viewer("agent"))

    def _check_upload_refs(self, s: Session, materials: list[dict]) -> list[dict]:
        problems = []
        for n, m in enumerate(materials):
            if not m.get("upload_id"):
                continue
            up = s.execute(select(Upload).where(Upload.upload_id == m["upload_id"])).scalar_one_or_none()
            if up is None:
                problems.append({"field": f"materials[{n}].upload_id",
                                 "message": f"没有找到上传文件“{m['upload_id']}”，请重新上传。"})
            elif up.application_id is not None:
                problems.append({"field": f"materials[{n}].upload_id",
                                 "message": "该上传文件已用于另一份申请。"})
        return problems

    def _create(self, s: Session, data: dict, body: Any, key: str, digest: str, viewer: Viewer,
                today: dt.date, wide: bool) -> Application:
        now = self.clock()
        while True:
            number = caseno.new_case_no(today, wide=wide)
            if s.execute(select(Application.id).where(Application.case_no == number)).first() is None:
                break
        a = data["applicant"]
        app = Application(
            case_no=number, idempotency_key=key, request_hash=digest,
            subject_type=a["subject_type"], subject_name=a["name"], uscc=a["uscc"],
            legal_rep=a["legal_rep"], agent_name=a["agent_name"], agent_phone=a["agent_phone"],
            channel=data["channel"], conversation_id=data["conversation_id"],
            commitment_accepted_at=now, submitted_by=viewer.actor, created_at=now, payload=body,
        )
        s.add(app)
        s.flush()
        s.add(Event(application_id=app.id, at=now, actor=viewer.actor, action="submit",
                    to_state="submitted",
                    detail={"channel": data["channel"], "records": len(data["records"]),
                            "commitment_accepted": True}))
        for n, rec in enumerate(data["records"], start=1):
            item = Item(application_id=app.id, seq=n, item_no=f"{number}-{n}", kind=rec["kind"],
                        department=rec["department"], record=rec, state="submitted",
                        received_on=today, first_received_on=today, return_count=0, updated_at=now)
            self._set_deadline(item, a["subject_type"], today)
            s.add(item)
            s.flush()
            s.add(Event(application_id=app.id, item_id=item.id, at=now, actor=viewer.actor,
                        action="route", to_state="submitted",
                        detail={"department": item.department, "kind": item.kind,
                                "deadline": _iso(item.deadline), "rule_id": item.rule_id}))
        for m in data["materials"]:
            s.add(DeclaredMaterial(application_id=app.id, material_id=m["material_id"],
                                   upload_id=m["upload_id"]))
            if m["upload_id"]:
                s.execute(update(Upload).where(Upload.upload_id == m["upload_id"],
                                               Upload.application_id.is_(None))
                          .values(application_id=app.id, material_id=m["material_id"]))
        return app

    def _set_deadline(self, item: Item, subject_type: str, received_on: dt.date) -> None:
        """Deadline from the guide's `decision_limit` rule in force on the receipt date."""
        rule = self.guide.rule("decision_limit", item.kind, item.department, on=received_on,
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
            caveats.append(f"办理时限的依据尚未核实，{self.guide.caveat}。")
        if result.caveat:
            caveats.append(result.caveat)
        item.deadline = result.date
        item.limit_working_days = days
        item.rule_id = rule.id
        item.rule_basis = "；".join(c.text() for c in rule.basis)
        item.rule_verified = rule.verified
        item.deadline_caveat = "".join(caveats) or None

    # ======================================================================================
    # Look-ups and views
    # ======================================================================================
    def get_application(self, case_no: str, viewer: Viewer, phone: str | None = None) -> dict:
        number = caseno.normalize_case_no(case_no)
        if number is None:
            raise not_found()
        with self.db.reading() as s:
            app = s.execute(select(Application).where(Application.case_no == number)
                            .options(selectinload(Application.items), selectinload(Application.uploads),
                                     selectinload(Application.declared_materials))).scalar_one_or_none()
            if app is None:
                raise not_found()
            self._authorize_read(app, viewer, phone)
            view = self._view(s, app, viewer)
            if viewer.role == "department" and not view["items"]:
                raise not_found()
            return view

    def _authorize_read(self, app: Application, viewer: Viewer, phone: str | None) -> None:
        if viewer.role == "applicant" or (viewer.trusted and phone):
            if not phone_matches(app.agent_phone, phone, allow_last4=True):
                raise not_found()

    def _view(self, s: Session, app: Application, viewer: Viewer) -> dict:
        items = list(app.items)
        if viewer.role == "department":
            items = [i for i in items if i.department == viewer.department]
        item_ids = [i.id for i in items]
        shared: dict[int, list[dict]] = {}
        if item_ids:
            rows = s.execute(
                select(Result.item_id, Outbox.subscriber, Outbox.status, Outbox.attempts,
                       Outbox.delivered_at)
                .join(Outbox, Outbox.result_id == Result.id)
                .where(Result.item_id.in_(item_ids)).order_by(Outbox.id)
            ).all()
            for item_id, name, status, attempts, delivered_at in rows:
                shared.setdefault(item_id, []).append(
                    {"subscriber": name, "delivered": status == "delivered", "attempts": attempts,
                     "delivered_at": _iso(delivered_at)})
        events_q = select(Event).where(Event.application_id == app.id).order_by(Event.id)
        events = s.execute(events_q).scalars().all()
        if viewer.role == "department":
            events = [e for e in events if e.item_id is None or e.item_id in item_ids]
        today = self.today()
        all_items = list(app.items)
        item_nos = {i.id: i.item_no for i in all_items}
        return {
            "case_no": app.case_no,
            "state": application_state([i.state for i in all_items]),
            "state_name": APPLICATION_STATE_NAMES[application_state([i.state for i in all_items])],
            "submitted_at": _iso(app.created_at),
            "channel": app.channel,
            "conversation_id": app.conversation_id,
            "applicant": {
                "subject_type": app.subject_type,
                "subject_type_name": subject_types().get(app.subject_type, app.subject_type),
                "name": app.subject_name,
                "uscc": app.uscc,
                "legal_rep": app.legal_rep,
                "agent_name": app.agent_name,
                "agent_phone": mask_phone(app.agent_phone),
            },
            "commitment_accepted_at": _iso(app.commitment_accepted_at),
            "items": [self._item_view(i, shared.get(i.id, []), today) for i in items],
            "materials": [
                {"material_id": m.material_id,
                 "name": self.guide.materials.get(m.material_id, {}).get("name", m.material_id),
                 "upload_id": m.upload_id}
                for m in app.declared_materials
            ],
            "uploads": [_upload_view(u) for u in app.uploads],
            "history": [
                {"at": _iso(e.at), "actor": e.actor if viewer.role != "applicant" else _public_actor(e.actor),
                 "action": e.action, "item_id": item_nos.get(e.item_id),
                 "from_state": e.from_state, "to_state": e.to_state, "detail": e.detail or {}}
                for e in events
            ],
        }

    def _item_view(self, item: Item, shared: list[dict], today: dt.date) -> dict:
        section = self.guide.section(item.kind, item.department)
        return {
            "item_id": item.item_no,
            "kind": item.kind,
            "kind_name": self.guide.item_name(item.kind),
            "department": item.department,
            "department_name": self.guide.department_name(item.department),
            "record": item.record,
            "state": item.state,
            "state_name": STATE_NAMES[item.state],
            "version": item.version,
            "received_on": _iso(item.received_on),
            "deadline": _iso(item.deadline),
            "overdue": is_overdue(item.state, item.deadline, today),
            "time_limit": {
                "working_days": item.limit_working_days,
                "rule_id": item.rule_id,
                "basis": item.rule_basis,
                "verified": item.rule_verified,
                "caveat": item.deadline_caveat,
            },
            "missing": item.missing or [] if item.state == "returned" else [],
            "last_missing": item.missing or [],
            "return_count": item.return_count,
            "reasons": item.reasons or [],
            "decided_on": _iso(item.decided_on),
            "decision_working_days": item.decision_working_days,
            "shared_at": _iso(item.shared_at),
            "shared_to": shared,
            "materials_required": [
                {"material_id": m.id, "name": m.name, "required": m.required,
                 "fetched_by_department": m.fetched_by_department, "generated": m.generated}
                for m in section.materials
            ],
        }

    # ======================================================================================
    # State changes
    # ======================================================================================
    def act(self, item_no: str, action: str, viewer: Viewer, payload: dict,
            expected_version: int | None = None) -> dict:
        """A department's decision on one item: accept | return | approve | reject."""
        if action not in ("accept", "return", "approve", "reject"):
            raise not_found("操作")
        if viewer.role not in ("department", "agent"):
            raise forbidden("只有负责该事项的部门可以办理。")
        detail = self._action_detail(action, payload)
        officer = payload.get("officer")
        if officer is not None and (not isinstance(officer, str) or len(officer) > 50):
            raise invalid([{"field": "officer", "message": "经办人员姓名应为不超过50个字的文字。"}])
        actor = Viewer(viewer.role, viewer.department, officer.strip() if officer else None)
        try:
            with self.db.writing() as s:
                item = s.execute(select(Item).where(Item.item_no == item_no)).scalar_one_or_none()
                if item is None:
                    raise not_found("事项")
                if viewer.role == "department" and item.department != viewer.department:
                    raise forbidden()
                if expected_version is not None and expected_version != item.version:
                    raise conflict("version_conflict",
                                   f"该事项已被他人更新（当前版本{item.version}，您提交的是版本{expected_version}），请刷新后重试。",
                                   [{"field": "version", "message": f"当前版本为{item.version}"}])
                self._transition(s, item, action, actor, detail)
                if action == "approve":
                    self._produce_result(s, item)
                case_no = item.application.case_no
        except StaleDataError:
            raise conflict("version_conflict", "该事项刚刚被他人更新，请刷新后重试。") from None
        view = self.get_application(case_no, viewer)
        return next(i for i in view["items"] if i["item_id"] == item_no) | {"case_no": case_no}

    def _action_detail(self, action: str, payload: dict) -> dict:
        if action == "return":
            missing = payload.get("missing")
            problems, clean = [], []
            if not isinstance(missing, list) or not missing:
                problems.append({"field": "missing",
                                 "message": "退回补正时必须一次性列出所有需要补正的材料或事项（missing 不能为空）。"})
            else:
                for n, m in enumerate(missing[:50]):
                    entry = self._missing_entry(m)
                    if entry is None:
                        problems.append({"field": f"missing[{n}]",
                                         "message": "每项应为文字说明，或 {\"material_id\": 材料代码, \"note\": 说明}，且材料代码须在办事指南中。"})
                    else:
                        clean.append(entry)
            if problems:
                raise invalid(problems, "退回补正的内容不完整。")
            return {"missing": clean, "note": _opt_text(payload.get("note"))}
        if action == "reject":
            reasons = payload.get("reasons")
            if isinstance(reasons, str):
                reasons = [reasons]
            if (not isinstance(reasons, list) or not reasons
                    or not all(isinstance(r, str) and r.strip() for r in reasons)):
                raise invalid([{"field": "reasons", "message": "不予修复时必须写明理由（reasons 不能为空）。"}],
                              "不予修复的理由不完整。")
            return {"reasons": [r.strip()[:500] for r in reasons[:20]], "note": _opt_text(payload.get("note"))}
        return {"note": _opt_text(payload.get("note"))}

    def _missing_entry(self, m: Any) -> dict | None:
        if isinstance(m, str) and m.strip():
            return {"material_id": None, "name": m.strip()[:200], "note": None}
        if isinstance(m, dict):
            mid = m.get("material_id")
            note = m.get("note") or m.get("description")
            if mid is not None and mid not in self.guide.materials:
                return None
            if note is not None and not isinstance(note, str):
                return None
            if mid is None and not (note and note.strip()):
                return None
            name = self.guide.materials[mid]["name"] if mid else note.strip()[:200]
            return {"material_id": mid, "name": name, "note": note.strip()[:500] if note else None}
        return None

    def _transition(self, s: Session, item: Item, action: str, actor: Viewer, detail: dict) -> None:
        allowed, target = TRANSITIONS[action]
        if item.state not in allowed:
            raise conflict("illegal_transition",
                           f"事项当前状态为“{STATE_NAMES[item.state]}”，不能{ACTION_NAMES[action]}。",
                           [{"field": "state", "message": item.state}])
        now, today = self.clock(), self.today()
        before = item.state
        item.state = target
        item.updated_at = now
        if action == "return":
            item.missing = detail["missing"]
            item.return_count = (item.return_count or 0) + 1
        elif action in ("approve", "reject"):
            item.decided_on = today
            item.decided_at = now
            item.decision_working_days = working_days_between(item.first_received_on, today).days
            if action == "reject":
                item.reasons = detail["reasons"]
        elif action == "resubmit":
            self._set_deadline(item, item.application.subject_type, today)
        elif action == "share":
            item.shared_at = now
        s.flush()  # the version check happens here (StaleDataError when someone was faster)
        s.add(Event(application_id=item.application_id, item_id=item.id, at=now, actor=actor.actor,
                    action=action, from_state=before, to_state=target,
                    detail={k: v for k, v in detail.items() if v is not None}))

    def _produce_result(self, s: Session, item: Item) -> None:
        app = item.application
        now = self.clock()
        payload = {
            "type": "credit_repair_result",
            "case_no": app.case_no,
            "item_id": item.item_no,
            "kind": item.kind,
            "kind_name": self.guide.item_name(item.kind),
            "department": item.department,
            "department_name": self.guide.department_name(item.department),
            "subject": {"name": app.subject_name, "uscc": app.uscc, "subject_type": app.subject_type},
            "record": {k: item.record.get(k) for k in ("decision_number", "date", "reason", "authority_name")
                       if item.record.get(k)},
            "decision": "approved",
            "decided_on": _iso(item.decided_on),
            "decided_at": _iso(now),
        }
        result = Result(item_id=item.id, payload=payload, created_at=now)
        s.add(result)
        s.flush()
        payload["result_id"] = f"R{result.id:08d}"
        result.payload = dict(payload)
        for sub in self.settings.subscribers:
            s.add(Outbox(result_id=result.id, subscriber=sub.name, url=sub.url,
                         delivery_id=f"{payload['result_id']}-{secrets.token_hex(8)}", status="pending",
                         attempts=0, next_attempt_at=now, created_at=now))
        if not self.settings.subscribers:
            self._transition(s, item, "share", Viewer("system", name="outbox"),
                             {"note": "未配置结果共享平台"})

    def resubmit(self, case_no: str, viewer: Viewer, phone: str | None, payload: dict) -> dict:
        """Applicant: move every returned item (or the listed ones) back to submitted."""
        number = caseno.normalize_case_no(case_no)
        if number is None:
            raise not_found()
        wanted = payload.get("items")
        if wanted is not None and (not isinstance(wanted, list) or not all(isinstance(x, str) for x in wanted)):
            raise invalid([{"field": "items", "message": "items 应为事项编号列表。"}])
        note = _opt_text(payload.get("note"))
        try:
            with self.db.writing() as s:
                app = self._app_for_applicant_write(s, number, viewer, phone)
                returned = [i for i in app.items if i.state == "returned"
                            and (wanted is None or i.item_no in wanted)]
                if wanted:
                    unknown = sorted(set(wanted) - {i.item_no for i in app.items})
                    if unknown:
                        raise invalid([{"field": "items", "message": f"本申请中没有事项 {', '.join(unknown)}。"}])
                if not returned:
                    raise conflict("nothing_to_resubmit", "没有被退回补正的事项，无需重新提交。")
                uploads = [u.upload_id for u in app.uploads]
                for item in returned:
                    self._transition(s, item, "resubmit", viewer,
                                     {"note": note, "answered": item.missing, "uploads": uploads})
        except StaleDataError:
            raise conflict("version_conflict", "该申请刚刚被他人更新，请刷新后重试。") from None
        return self.get_application(number, Viewer("agent"))

    def _app_for_applicant_write(self, s: Session, number: str, viewer: Viewer,
                                 phone: str | None, token_app_id: int | None = None) -> Application:
        app = s.execute(select(Application).where(Application.case_no == number)).scalar_one_or_none()
        if app is None:
            raise not_found()
        if viewer.role == "upload":
            if token_app_id != app.id:
                raise not_found()
        elif viewer.role == "applicant" or (viewer.trusted and phone):
            if not phone_matches(app.agent_phone, phone, allow_last4=False):
                raise not_found()
        elif not viewer.trusted:
            raise forbidden("无权修改该申请。")
        return app

    # ======================================================================================
    # Uploads
    # ======================================================================================
    def record_uploads(self, *, case_no: str | None, draft_id: str | None, viewer: Viewer,
                       phone: str | None, stored: list[dict], material_id: str | None,
                       token_hash: str | None = None) -> list[dict]:
        """Record files already written to disk (see uploads.py); marks a one-time token used."""
        if material_id is not None and material_id not in self.guide.materials:
            raise invalid([{"field": "material_id", "message": f"材料代码“{material_id}”不在办事指南的材料清单中。"}])
        now = self.clock()
        with self.db.writing() as s:
            app = None
            token = None
            if token_hash is not None:
                token = self._live_token(s, token_hash)
                token.used_at = now
                material_id = material_id or token.material_id
                if token.application_id is None:
                    draft_id = token.draft_id
            if case_no is not None:
                number = caseno.normalize_case_no(case_no)
                if number is None:
                    raise not_found()
                app = self._app_for_applicant_write(s, number, viewer, phone,
                                                    token.application_id if token else None)
            elif draft_id is None:
                raise invalid([{"field": "draft_id", "message": "请指定申请编号或草稿编号。"}])
            rows = []
            for f in stored:
                up = Upload(upload_id=f["upload_id"], application_id=app.id if app else None,
                            draft_id=None if app else draft_id, material_id=material_id,
                            filename=f["filename"], content_type=f["content_type"], size=f["size"],
                            sha256=f["sha256"], storage_path=f["storage_path"],
                            uploaded_by=viewer.actor, created_at=now)
                s.add(up)
                rows.append(up)
            s.flush()
            if app is not None:
                s.add(Event(application_id=app.id, at=now, actor=viewer.actor, action="upload",
                            detail={"files": [{"upload_id": u.upload_id, "filename": u.filename,
                                               "sha256": u.sha256, "size": u.size,
                                               "material_id": u.material_id} for u in rows]}))
            return [_upload_view(u) for u in rows]

    def token_target(self, token_hash: str) -> dict:
        """What a one-time upload token is for (raises 404/410 when unknown, used or expired)."""
        with self.db.reading() as s:
            t = self._live_token(s, token_hash)
            case_no = None
            if t.application_id is not None:
                case_no = s.execute(select(Application.case_no).where(Application.id == t.application_id)).scalar_one()
            return {"case_no": case_no, "draft_id": t.draft_id, "material_id": t.material_id,
                    "expires_at": _iso(t.expires_at)}

    def _live_token(self, s: Session, token_hash: str) -> UploadToken:
        t = s.execute(select(UploadToken).where(UploadToken.token_hash == token_hash)).scalar_one_or_none()
        if t is None:
            raise ApiError(404, "upload_token_unknown", "上传链接无效，请回到对话中重新获取上传链接。")
        if t.used_at is not None:
            raise ApiError(410, "upload_token_used", "该上传链接已经使用过，请回到对话中重新获取上传链接。")
        if t.expires_at <= self.clock():
            raise ApiError(410, "upload_token_expired", "该上传链接已过期，请回到对话中重新获取上传链接。")
        return t

    def create_upload_token(self, body: Any, viewer: Viewer) -> dict:
        if not viewer.trusted:
            raise forbidden("只有智能助手或坐席可以生成上传链接。")
        if not isinstance(body, dict):
            raise invalid([{"field": "", "message": "请求内容应为JSON对象。"}])
        problems = []
        case_no, draft_id, material_id = body.get("case_no"), body.get("draft_id"), body.get("material_id")
        if (case_no is None) == (draft_id is None):
            problems.append({"field": "case_no", "message": "请指定申请编号 case_no 或草稿编号 draft_id（二选一）。"})
        if draft_id is not None and (not isinstance(draft_id, str) or not 1 <= len(draft_id) <= 128):
            problems.append({"field": "draft_id", "message": "草稿编号应为1至128个字符。"})
        if material_id is not None and material_id not in self.guide.materials:
            problems.append({"field": "material_id", "message": f"材料代码“{material_id}”不在办事指南的材料清单中。"})
        minutes = body.get("expires_in_minutes", self.settings.upload_token_ttl_minutes)
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 7 * 24 * 60:
            problems.append({"field": "expires_in_minutes", "message": "有效期应为1至10080分钟。"})
        if problems:
            raise invalid(problems)
        token = secrets.token_urlsafe(24)
        now = self.clock()
        expires = now + dt.timedelta(minutes=minutes)
        with self.db.writing() as s:
            app_id = None
            if case_no is not None:
                number = caseno.normalize_case_no(str(case_no))
                app_id = number and s.execute(select(Application.id).where(Application.case_no == number)).scalar_one_or_none()
                if not app_id:
                    raise not_found()
                case_no = number
            s.add(UploadToken(token_hash=hash_token(token), application_id=app_id, draft_id=draft_id,
                              material_id=material_id, created_by=viewer.actor, created_at=now,
                              expires_at=expires))
        return {"token": token, "url": f"{self.settings.base_url}/upload/{token}",
                "case_no": case_no, "draft_id": draft_id, "expires_at": _iso(expires)}

    def draft_uploads(self, draft_id: str, viewer: Viewer) -> list[dict]:
        if not viewer.trusted:
            raise forbidden("只有智能助手或坐席可以查询草稿材料。")
        with self.db.reading() as s:
            rows = s.execute(select(Upload).where(Upload.draft_id == draft_id).order_by(Upload.id)).scalars()
            return [_upload_view(u) | {"linked": u.application_id is not None} for u in rows]

    # ======================================================================================
    # Reminders (双书同达)
    # ======================================================================================
    def add_reminder(self, body: Any, viewer: Viewer) -> tuple[dict, bool]:
        if not viewer.trusted:
            raise forbidden("只有智能助手或坐席可以登记提醒。")
        from bot.casestore.validation import identifiers

        ids = identifiers()
        problems: list[dict] = []
        if not isinstance(body, dict):
            raise invalid([{"field": "", "message": "请求内容应为JSON对象。"}])
        code = body.get("subject_code")
        check = ids.check_uscc(code) if isinstance(code, str) else None
        subject = check.value if check is not None and check.ok else None
        if code is not None and subject is None:
            problems.append({"field": "subject_code",
                             "message": check.message_zh if check else "请填写18位统一社会信用代码。"})
        elif code is None and not body.get("channel_user_id"):
            problems.append({"field": "subject_code",
                             "message": "请填写18位统一社会信用代码（在对话中提醒时可只给渠道用户编号）。"})
        phone = body.get("phone")
        if phone is not None:
            pc = ids.check_mobile(phone) if isinstance(phone, str) else None
            if pc is None or not pc.ok:
                problems.append({"field": "phone", "message": pc.message_zh if pc else "手机号格式不正确。"})
            else:
                phone = pc.value
        user = body.get("channel_user_id")
        if user is not None and (not isinstance(user, str) or not 1 <= len(user) <= 128):
            problems.append({"field": "channel_user_id", "message": "渠道用户编号应为1至128个字符。"})
        if not phone and not user:
            problems.append({"field": "phone", "message": "请提供手机号或渠道用户编号（channel_user_id），以便按时提醒。"})
        channel = body.get("channel")
        if channel not in CHANNELS and channel != "sms":
            problems.append({"field": "channel", "message": "提醒渠道应为 wechat、web、window、api 或 sms。"})
        remind_on = parse_date(body.get("remind_on"))
        if remind_on is None:
            problems.append({"field": "remind_on", "message": "提醒日期格式应为YYYY-MM-DD。"})
        summary = body.get("summary")
        if not isinstance(summary, str) or not summary.strip() or len(summary) > 2000:
            problems.append({"field": "summary", "message": "请填写记录摘要（不超过2000字）。"})
        if problems:
            raise invalid(problems)
        with self.db.writing() as s:
            existing = s.execute(select(Reminder).where(
                Reminder.subject_code.is_(None) if subject is None else Reminder.subject_code == subject,
                Reminder.remind_on == remind_on,
                Reminder.channel == channel, Reminder.summary == summary.strip(),
                Reminder.phone.is_(None) if not phone else Reminder.phone == phone,
                Reminder.channel_user_id.is_(None) if not user else Reminder.channel_user_id == user,
            )).scalars().first()
            if existing is not None:
                return _reminder_view(existing), False
            r = Reminder(subject_code=subject, phone=phone or None, channel_user_id=user,
                         channel=channel, remind_on=remind_on, summary=summary.strip(),
                         created_by=viewer.actor, created_at=self.clock())
            s.add(r)
            s.flush()
            return _reminder_view(r), True

    def due_reminders(self, on: dt.date, viewer: Viewer, channel_user_id: str | None = None) -> list[dict]:
        """Unsent reminders due on `on`. Agents see all (or one user's); the assistant only one
        chat user's, to remind them when they come back."""
        if viewer.role == "assistant" and not channel_user_id:
            raise forbidden("助手只能查询某一位用户的到期提醒（channel_user_id）。")
        if viewer.role not in ("agent", "assistant"):
            raise forbidden("只有坐席可以查询到期提醒。")
        with self.db.reading() as s:
            q = select(Reminder).where(Reminder.remind_on <= on, Reminder.sent_at.is_(None))
            if channel_user_id:
                q = q.where(Reminder.channel_user_id == channel_user_id)
            rows = s.execute(q.order_by(Reminder.remind_on, Reminder.id)).scalars()
            return [_reminder_view(r) for r in rows]

    def mark_reminder_sent(self, reminder_id: int, viewer: Viewer) -> dict:
        if viewer.role not in ("agent", "assistant"):
            raise forbidden("只有坐席可以标记提醒已发送。")
        with self.db.writing() as s:
            r = s.get(Reminder, reminder_id)
            if r is None:
                raise not_found("提醒")
            if r.sent_at is None:
                r.sent_at = self.clock()
            return _reminder_view(r)

    # ======================================================================================
    # Metrics (办事数量、驳回次数、办理进度、异常办结)
    # ======================================================================================
    def metrics(self, on: dt.date | None, viewer: Viewer) -> dict:
        if viewer.role not in ("agent", "department"):
            raise forbidden("只有坐席或部门可以查看统计。")
        on = on or self.today()
        with self.db.reading() as s:
            q = select(Item.item_no, Item.kind, Item.department, Item.state, Item.deadline,
                       Item.return_count, Item.decision_working_days, Item.decided_on, Item.application_id)
            if viewer.role == "department":
                q = q.where(Item.department == viewer.department)
            rows = s.execute(q).all()
            rq = select(func.count()).select_from(Event).where(Event.action == "return")
            if viewer.role == "department":
                rq = rq.where(Event.item_id.in_(select(Item.id).where(Item.department == viewer.department)))
            returns = s.execute(rq).scalar_one()
            outbox = dict(s.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all()) \
                if viewer.role == "agent" else None
            retrying = s.execute(select(func.count()).select_from(Outbox).where(
                Outbox.status == "pending", Outbox.attempts > 0)).scalar_one() if viewer.role == "agent" else None
        total = len(rows)
        by_state = dict(Counter(r.state for r in rows))
        by_item: dict[str, dict] = {}
        by_dept: dict[str, dict] = {}
        for r in rows:
            for bucket, key in ((by_item, r.kind), (by_dept, r.department)):
                b = bucket.setdefault(key, {"total": 0, "by_state": {}, "returned_items": 0, "returns": 0,
                                            "rejected": 0, "overdue": 0})
                b["total"] += 1
                b["by_state"][r.state] = b["by_state"].get(r.state, 0) + 1
                b["returned_items"] += 1 if r.return_count else 0
                b["returns"] += r.return_count or 0
                b["rejected"] += r.state == "rejected"
                b["overdue"] += is_overdue(r.state, r.deadline, on)
        decided = [r for r in rows if r.decided_on is not None]
        rejected = sum(1 for r in rows if r.state == "rejected")
        days = [r.decision_working_days for r in decided if r.decision_working_days is not None]
        overdue = [
            {"item_id": r.item_no, "kind": r.kind, "department": r.department, "state": r.state,
             "deadline": _iso(r.deadline), "days_overdue": working_days_between(r.deadline, on).days}
            for r in rows if is_overdue(r.state, r.deadline, on)
        ]
        late = sum(1 for r in decided if r.deadline and r.decided_on > r.deadline)
        out = {
            "as_of": on.isoformat(),
            "scope": viewer.department or "all",
            "applications_total": len({r.application_id for r in rows}),
            "items_total": total,
            "by_state": by_state,
            "by_item": by_item,
            "by_department": by_dept,
            "returns_total": returns,
            "return_rate": _rate(sum(1 for r in rows if r.return_count), total),
            "rejection_rate": _rate(rejected, len(decided)),
            "decision_working_days": {
                "count": len(days),
                "mean": round(statistics.fmean(days), 2) if days else None,
                "median": statistics.median(days) if days else None,
            },
            "overdue": {"count": len(overdue), "items": overdue[:200]},
            "decided_late": late,
        }
        if outbox is not None:
            out["outbox"] = {"pending": outbox.get("pending", 0), "delivered": outbox.get("delivered", 0),
                             "retrying": retrying}
        return out

    def ping(self) -> None:
        with self.db.reading() as s:
            s.execute(select(1)).scalar_one()


# ==========================================================================================
# helpers
# ==========================================================================================
def application_state(states: Iterable[str]) -> str:
    states = list(states)
    if not states or all(s == "submitted" for s in states):
        return "submitted"
    if any(s == "returned" for s in states):
        return "returned"
    if all(s in FINAL_STATES for s in states):
        return "completed"
    return "in_progress"


def is_overdue(state: str, deadline: dt.date | None, today: dt.date) -> bool:
    return state in OPEN_STATES and deadline is not None and today > deadline


def phone_matches(stored: str, given: str | None, *, allow_last4: bool) -> bool:
    """The applicant's phone: the full number (any usual spelling) or, for reading, its last 4 digits."""
    import hmac

    from bot.casestore.validation import identifiers

    if not isinstance(given, str) or not given.strip():
        return False
    given = given.strip()
    if allow_last4 and len(given) == 4 and given.isdigit():
        return hmac.compare_digest(given, stored[-4:])
    check = identifiers().check_mobile(given)
    return check.ok and hmac.compare_digest(check.value, stored)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    return value.isoformat()


def _opt_text(value: Any, limit: int = 1000) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()[:limit]
    return None


def _upload_view(u: Upload) -> dict:
    return {"upload_id": u.upload_id, "material_id": u.material_id, "filename": u.filename,
            "content_type": u.content_type, "size": u.size, "sha256": u.sha256,
            "uploaded_at": _iso(u.created_at)}


def _reminder_view(r: Reminder) -> dict:
    return {"id": r.id, "subject_code": r.subject_code, "phone": mask_phone(r.phone),
            "channel_user_id": r.channel_user_id, "channel": r.channel,
            "remind_on": _iso(r.remind_on), "summary": r.summary, "sent_at": _iso(r.sent_at)}


def _public_actor(actor: str) -> str:
    """Applicants see which body acted, not the officer's name."""
    return actor.split("/", 1)[0]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
