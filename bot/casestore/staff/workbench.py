"""The department workbench's data: the officer's queue and one item in full.

Decisions go through `CaseStore.act` (the one place for transitions, versions and the case's
audit events); this module only reads and scopes to the officer's department.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.casestore.errors import not_found
from bot.casestore.models import Application, Item, Upload
from bot.casestore.service import STATE_NAMES, CaseStore, Viewer, is_overdue
from bot.rules.workdays import working_days_between

TODO_STATES = ("submitted", "accepted")
WAITING_STATES = ("returned",)
DONE_STATES = ("approved", "rejected", "result_shared")


def working_days_left(deadline: dt.date | None, today: dt.date) -> int | None:
    """Working days from today to the deadline; negative when it has passed."""
    if deadline is None:
        return None
    if deadline >= today:
        return working_days_between(today, deadline).days
    return -working_days_between(deadline, today).days


def queue(store: CaseStore, department: str) -> dict:
    """The department's items: to do (by deadline, earliest first), waiting for 补正, decided."""
    today = store.today()
    with store.db.reading() as s:
        rows = s.execute(
            select(Item.item_no, Item.kind, Item.state, Item.received_on, Item.deadline,
                   Item.return_count, Item.decided_on, Application.case_no, Application.subject_name)
            .join(Application, Application.id == Item.application_id)
            .where(Item.department == department)
        ).all()
    far = dt.date.max

    def row(r) -> dict:
        return {"item_no": r.item_no, "case_no": r.case_no, "subject_name": r.subject_name,
                "kind_name": store.guide.item_name(r.kind, department), "state": r.state,
                "state_name": STATE_NAMES[r.state], "received_on": r.received_on,
                "deadline": r.deadline, "days_left": working_days_left(r.deadline, today),
                "overdue": is_overdue(r.state, r.deadline, today), "return_count": r.return_count,
                "decided_on": r.decided_on}

    todo = sorted((row(r) for r in rows if r.state in TODO_STATES),
                  key=lambda x: (x["deadline"] or far, x["item_no"]))
    waiting = sorted((row(r) for r in rows if r.state in WAITING_STATES),
                     key=lambda x: (x["deadline"] or far, x["item_no"]))
    done = sorted((row(r) for r in rows if r.state in DONE_STATES),
                  key=lambda x: (x["decided_on"] or dt.date.min, x["item_no"]), reverse=True)[:100]
    return {"today": today, "todo": todo, "waiting": waiting, "done": done,
            "overdue": sum(1 for x in todo if x["overdue"])}


def item_detail(store: CaseStore, department: str, item_no: str) -> dict:
    """The application as the department sees it, with this item picked out.

    An item of another department answers exactly like an unknown one (404)."""
    if not isinstance(item_no, str) or len(item_no) > 40:
        raise not_found("事项")
    with store.db.reading() as s:
        found = s.execute(select(Item.department, Application.case_no)
                          .join(Application, Application.id == Item.application_id)
                          .where(Item.item_no == item_no)).first()
    if found is None or found.department != department:
        raise not_found("事项")
    view = store.get_application(found.case_no, Viewer("department", department))
    item = next(i for i in view["items"] if i["item_id"] == item_no)
    item["days_left"] = working_days_left(_date(item["deadline"]), store.today())
    declared = {m["material_id"] for m in view["materials"]}
    uploaded = {u["material_id"] for u in view["uploads"] if u["material_id"]}
    choices = []
    for m in item["materials_required"]:
        if m["generated"]:
            continue
        choices.append(m | {
            "description": store.guide.materials.get(m["material_id"], {}).get("description", ""),
            "declared": m["material_id"] in declared, "uploaded": m["material_id"] in uploaded})
    return {"application": view, "item": item, "return_choices": choices,
            "history": [h for h in view["history"] if h["item_id"] in (None, item_no)]}


def upload_for_department(store: CaseStore, department: str, upload_id: str) -> dict:
    """A stored file of an application that has an item of this department (else 404)."""
    if not isinstance(upload_id, str) or len(upload_id) > 40:
        raise not_found("文件")
    with store.db.reading() as s:
        up = s.execute(select(Upload).where(Upload.upload_id == upload_id)).scalar_one_or_none()
        if up is None or up.application_id is None:
            raise not_found("文件")
        mine = s.execute(select(Item.id).where(Item.application_id == up.application_id,
                                               Item.department == department)).first()
        if mine is None:
            raise not_found("文件")
        case_no = s.execute(select(Application.case_no).where(Application.id == up.application_id)).scalar_one()
        return {"upload_id": up.upload_id, "filename": up.filename, "content_type": up.content_type,
                "storage_path": up.storage_path, "size": up.size, "case_no": case_no}


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None
