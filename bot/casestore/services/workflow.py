"""Workflow: a department's decisions (accept, return, approve, reject), the applicant's
resubmission, and the result produced on approval. Every change goes through `_transition`,
which checks the allowed move, bumps the item's version and writes an audit event."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from bot.casestore import caseno
from bot.casestore.errors import conflict, forbidden, invalid, not_found
from bot.casestore.models import Event, Item, Outbox, Result
from bot.casestore.services.common import (
    ACTION_NAMES, STATE_NAMES, TRANSITIONS, Viewer, applicant_app, iso, opt_text,
)
from bot.casestore.services import dependencies
from bot.casestore.services.deadlines import set_deadline
from bot.casestore.services.views import Views
from bot.rules.workdays import working_days_between


class Workflow(Views):
    def act(self, item_no: str, action: str, viewer: Viewer, payload: dict,
            expected_version: int | None = None) -> dict:
        """A department's decision on one item: accept | return | approve | reject."""
        if action not in ("accept", "return", "approve", "reject"):
            raise not_found("操作")
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
                dependencies.check_decidable(self.guide, item, action)
                self._transition(s, item, action, actor, detail)
                if action == "approve":
                    self._produce_result(s, item)
                if action in ("approve", "reject"):
                    self._release_dependents(s, item, actor)
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
            return {"missing": clean, "note": opt_text(payload.get("note"))}
        if action == "reject":
            reasons = payload.get("reasons")
            if isinstance(reasons, str):
                reasons = [reasons]
            if (not isinstance(reasons, list) or not reasons
                    or not all(isinstance(r, str) and r.strip() for r in reasons)):
                raise invalid([{"field": "reasons", "message": "不予修复时必须写明理由（reasons 不能为空）。"}],
                              "不予修复的理由不完整。")
            return {"reasons": [r.strip()[:500] for r in reasons[:20]], "note": opt_text(payload.get("note"))}
        return {"note": opt_text(payload.get("note"))}

    def _missing_entry(self, m: Any) -> dict | None:
        if isinstance(m, str) and m.strip():
            return {"material_id": None, "name": m.strip()[:200], "note": None}
        if isinstance(m, dict):
            mid = m.get("material_id")
            note = m.get("note") or m.get("description")
            if mid is not None and not (isinstance(mid, str) and mid in self.guide.materials):
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
            set_deadline(self.guide, item, item.application.subject_type, today)
            if dependencies.waiting_on(item):  # still waits for the item decided first
                item.deadline = None
        elif action == "share":
            item.shared_at = now
        s.flush()  # the version check happens here (StaleDataError when someone was faster)
        s.add(Event(application_id=item.application_id, item_id=item.id, at=now, actor=actor.actor,
                    action=action, from_state=before, to_state=target,
                    detail={k: v for k, v in detail.items() if v is not None}))
        from bot.casestore.notify import on_transition

        on_transition(self, s, item, action, detail)  # consenting people are told, same transaction

    def _release_dependents(self, s: Session, item: Item, actor: Viewer) -> None:
        """`item` is decided: the items waiting for it become decidable, their clock starts today."""
        today, now = self.today(), self.clock()
        for dep in dependencies.dependents(item):
            if dependencies.waiting_on(dep) or dep.state not in ("submitted", "returned"):
                continue
            set_deadline(self.guide, dep, dep.application.subject_type, today)
            dep.updated_at = now
            s.flush()
            s.add(Event(application_id=dep.application_id, item_id=dep.id, at=now, actor=actor.actor,
                        action="dependency_decided", from_state=dep.state, to_state=dep.state,
                        detail={"after": item.item_no, "decision": item.state,
                                "deadline": iso(dep.deadline)}))

    def _produce_result(self, s: Session, item: Item) -> None:
        app = item.application
        now = self.clock()
        payload = {
            "type": "credit_repair_result",
            "case_no": app.case_no,
            "item_id": item.item_no,
            "kind": item.kind,
            "kind_name": self.guide.item_name(item.kind, item.department),
            "department": item.department,
            "department_name": self.guide.department_name(item.department),
            "subject": {"name": app.subject_name, "uscc": app.uscc, "subject_type": app.subject_type},
            "record": {k: item.record.get(k) for k in ("decision_number", "date", "reason", "authority_name")
                       if item.record.get(k)},
            "decision": "approved",
            "decided_on": iso(item.decided_on),
            "decided_at": iso(now),
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
        note = opt_text(payload.get("note"))
        try:
            with self.db.writing() as s:
                app = applicant_app(s, number, viewer, phone)
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
