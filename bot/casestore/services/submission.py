"""Submission: a new application (idempotent by key), routed to one item per record, each
with its deadline from the guide; declared materials linked to draft uploads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.casestore import caseno
from bot.casestore.services import dependencies
from bot.casestore.errors import ApiError, conflict, invalid
from bot.casestore.models import Application, DeclaredMaterial, Event, Item, Upload
from bot.casestore.services.common import Viewer, iso, request_hash
from bot.casestore.services.deadlines import set_deadline
from bot.casestore.services.views import Views
from bot.casestore.validation import validate_application


class Submission(Views):
    def submit(self, body: Any, idempotency_key: str | None, viewer: Viewer) -> tuple[dict, bool]:
        """(application view, created). A repeated key with the same body returns the same case."""
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
        items = []
        for n, rec in enumerate(data["records"], start=1):
            item = Item(application_id=app.id, seq=n, item_no=f"{number}-{n}", kind=rec["kind"],
                        department=rec["department"], record=rec, state="submitted",
                        received_on=today, first_received_on=today, return_count=0, updated_at=now)
            set_deadline(self.guide, item, a["subject_type"], today)
            items.append(item)
        waits = dependencies.link(self.guide, items, a["subject_type"], today)
        for item in dependencies.routing_order(items):  # an item decided first is routed first
            s.add(item)
            s.flush()
            detail = {"department": item.department, "kind": item.kind,
                      "deadline": iso(item.deadline), "rule_id": item.rule_id}
            if item.item_no in waits:
                detail["depends_on"] = waits[item.item_no]
            s.add(Event(application_id=app.id, item_id=item.id, at=now, actor=viewer.actor,
                        action="route", to_state="submitted", detail=detail))
        for m in data["materials"]:
            s.add(DeclaredMaterial(application_id=app.id, material_id=m["material_id"],
                                   upload_id=m["upload_id"]))
            if m["upload_id"]:
                s.execute(update(Upload).where(Upload.upload_id == m["upload_id"],
                                               Upload.application_id.is_(None))
                          .values(application_id=app.id, material_id=m["material_id"]))
        return app
