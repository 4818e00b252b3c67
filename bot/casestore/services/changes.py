"""Applicant changes after submission, before any department has accepted an item:

- `withdraw`: every item moves to `withdrawn` (the `withdraw` transition, one audit event per
  item plus one for the application). Refused with a Chinese 409 naming the department to
  contact once any item has been accepted (or decided).
- `correct_applicant`: corrected applicant fields (主体名称, 统一社会信用代码, 法定代表人,
  经办人, 经办人手机) become a new version of the applicant (`applicant_version` + 1); the
  audit event keeps what changed from what to what (phones masked).

Who may: the applicant with the case number and the full phone given at submission; the
assistant acting for the conversation that submitted the case (`conversation_id` equal to the
case's) or with that phone; an agent (坐席). Departments may not (refused at the route).
"""

from __future__ import annotations

import hmac
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from bot.casestore import caseno
from bot.casestore.errors import ApiError, conflict, forbidden, invalid, not_found
from bot.casestore.models import Application, Event
from bot.casestore.services.common import Viewer, mask_phone, opt_text, phone_matches
from bot.casestore.services.workflow import Workflow
from bot.casestore.validation import validate_applicant
from bot.texts import t

WITHDRAWABLE = ("submitted", "returned")
# applicant view key -> Application column
CORRECTABLE = {
    "name": "subject_name",
    "uscc": "uscc",
    "legal_rep": "legal_rep",
    "agent_name": "agent_name",
    "agent_phone": "agent_phone",
}


class ApplicantChanges(Workflow):
    def withdraw(self, case_no: str, viewer: Viewer, phone: str | None, payload: dict) -> dict:
        """Withdraw the whole application (idempotent: a withdrawn case is returned as it is)."""
        number = caseno.normalize_case_no(case_no) if isinstance(case_no, str) else None
        if number is None:
            raise not_found()
        reason = payload.get("reason")
        if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
            raise invalid([{"field": "reason", "message": t("case.withdraw.reason_too_long")}])
        try:
            with self.db.writing() as s:
                app = self._own_app(s, number, viewer, phone, payload)
                items = list(app.items)
                if all(i.state == "withdrawn" for i in items):
                    return self._view(s, app, Viewer("agent"))
                self._refuse_if_accepted(s, app, "case.withdraw.accepted", "already_accepted")
                now = self.clock()
                detail = {"reason": opt_text(reason, 500), "by": viewer.role}
                s.add(Event(application_id=app.id, at=now, actor=viewer.actor, action="withdraw",
                            to_state="withdrawn", detail={k: v for k, v in detail.items() if v}))
                for item in items:
                    self._transition(s, item, "withdraw", viewer, {"reason": detail["reason"]})
                    item.deadline = None  # no department clock runs for a withdrawn item
        except StaleDataError:
            raise conflict("version_conflict", t("case.stale")) from None
        return self.get_application(number, Viewer("agent"))

    def correct_applicant(self, case_no: str, viewer: Viewer, phone: str | None, payload: dict) -> dict:
        """Correct applicant fields before acceptance: a new applicant version, audited."""
        number = caseno.normalize_case_no(case_no) if isinstance(case_no, str) else None
        if number is None:
            raise not_found()
        changes = payload.get("applicant")
        if not isinstance(changes, dict) or not changes:
            raise invalid([{"field": "applicant", "message": t("case.correct.nothing")}])
        bad = [k for k in changes if k not in CORRECTABLE]
        if bad:
            raise invalid([{"field": f"applicant.{k}", "message": t("case.correct.not_allowed", field=k)}
                           for k in bad])
        expected = payload.get("applicant_version")
        if expected is not None and (not isinstance(expected, int) or isinstance(expected, bool)):
            raise ApiError(400, "bad_version", t("case.correct.bad_version"))
        try:
            with self.db.writing() as s:
                app = self._own_app(s, number, viewer, phone, payload)
                if all(i.state == "withdrawn" for i in app.items):
                    raise conflict("withdrawn", t("case.correct.withdrawn"))
                self._refuse_if_accepted(s, app, "case.correct.accepted", "already_accepted")
                current = app.applicant_version or 1
                if expected is not None and expected != current:
                    raise conflict("version_conflict", t("case.correct.stale", current=current, given=expected),
                                   [{"field": "applicant_version", "message": str(current)}])
                before = {key: getattr(app, col) for key, col in CORRECTABLE.items()}
                merged = {**before, "subject_type": app.subject_type, **changes}
                clean, problems = validate_applicant(merged)
                if problems:
                    raise invalid(problems)
                changed = {k: (before[k], clean[k]) for k in CORRECTABLE if clean[k] != before[k]}
                if not changed:
                    raise conflict("unchanged", t("case.correct.unchanged"))
                for key, (_old, new) in changed.items():
                    setattr(app, CORRECTABLE[key], new)
                app.applicant_version = current + 1
                s.add(Event(
                    application_id=app.id, at=self.clock(), actor=viewer.actor, action="correct_applicant",
                    detail={
                        "version": current + 1,
                        "changed": {k: {"from": _shown(k, old), "to": _shown(k, new)}
                                    for k, (old, new) in changed.items()},
                        **({"note": opt_text(payload.get("note"), 500)} if opt_text(payload.get("note")) else {}),
                    }))
                s.flush()
        except StaleDataError:
            raise conflict("version_conflict", t("case.stale")) from None
        return self.get_application(number, Viewer("agent"))

    # ----- helpers -----------------------------------------------------------------------
    def _own_app(self, s: Session, number: str, viewer: Viewer, phone: str | None,
                 payload: dict) -> Application:
        """The application this caller may change, or 404 (never tell whether it exists)."""
        app = s.execute(select(Application).where(Application.case_no == number)).scalar_one_or_none()
        if app is None:
            raise not_found()
        if viewer.role == "agent" and not phone:
            return app
        if phone:
            if not phone_matches(app.agent_phone, phone, allow_last4=False):
                raise not_found()
            return app
        if viewer.role == "assistant":
            conv = payload.get("conversation_id")
            if (isinstance(conv, str) and conv and app.conversation_id
                    and hmac.compare_digest(conv, app.conversation_id)):
                return app
            raise forbidden(t("case.auth.conversation"))
        raise not_found()

    def _refuse_if_accepted(self, s: Session, app: Application, key: str, code: str) -> None:
        """409 naming the department to contact when any item was accepted (or went further)."""
        accepted_ids = set(s.execute(
            select(Event.item_id).where(Event.application_id == app.id, Event.action == "accept")
        ).scalars())
        blocking = [i for i in app.items
                    if i.state != "withdrawn" and (i.id in accepted_ids or i.state not in WITHDRAWABLE)]
        if not blocking:
            return
        names = [self.guide.department_name(i.department) for i in blocking]
        depts = "、".join(dict.fromkeys(names))
        first = blocking[0]
        raise conflict(code, t(key, seq=first.seq, item=self.guide.item_name(first.kind, first.department), department=depts,
                               hotline=self.guide.service.get("hotline", "12345")),
                       [{"field": f"items.{i.item_no}",
                         "message": t("case.withdraw.accepted_item", seq=i.seq, item=self.guide.item_name(i.kind, i.department),
                                      department=name)}
                        for i, name in zip(blocking, names)])


def _shown(key: str, value: Any) -> Any:
    """What the audit trail keeps: phones masked, the rest as given."""
    return mask_phone(value) if key == "agent_phone" else value
