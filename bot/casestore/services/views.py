"""Views: one application as its caller may see it (a department only its own items, an
applicant only with the right phone, officers' names hidden from applicants)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.casestore import caseno
from bot.casestore.errors import not_found
from bot.casestore.models import Application, Event, Item, Outbox, Result
from bot.casestore.services import dependencies
from bot.casestore.services.common import (
    APPLICATION_STATE_NAMES, STATE_NAMES, StoreBase, Viewer, application_state, is_overdue, iso,
    mask_phone, phone_matches, public_actor, upload_view,
)
from bot.casestore.validation import subject_types


class Views(StoreBase):
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
                     "delivered_at": iso(delivered_at)})
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
            "submitted_at": iso(app.created_at),
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
            "applicant_version": app.applicant_version or 1,
            "commitment_accepted_at": iso(app.commitment_accepted_at),
            "items": [self._item_view(i, shared.get(i.id, []), today) for i in items],
            "materials": [
                {"material_id": m.material_id,
                 "name": self.guide.materials.get(m.material_id, {}).get("name", m.material_id),
                 "upload_id": m.upload_id}
                for m in app.declared_materials
            ],
            "uploads": [upload_view(u) for u in app.uploads],
            "history": [
                {"at": iso(e.at), "actor": e.actor if viewer.role != "applicant" else public_actor(e.actor),
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
            "kind_name": self.guide.item_name(item.kind, item.department),
            "department": item.department,
            "department_name": self.guide.department_name(item.department),
            "record": item.record,
            "state": item.state,
            "state_name": STATE_NAMES[item.state],
            "version": item.version,
            "received_on": iso(item.received_on),
            "deadline": iso(item.deadline),
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
            "depends_on": list(item.depends_on or []),
            "waiting_for": [i.item_no for i in dependencies.waiting_on(item)],
            "decided_on": iso(item.decided_on),
            "decision_working_days": item.decision_working_days,
            "shared_at": iso(item.shared_at),
            "shared_to": shared,
            "materials_required": [
                {"material_id": m.id, "name": m.name, "required": m.required,
                 "fetched_by_department": m.fetched_by_department, "generated": m.generated}
                for m in section.materials
            ],
        }

