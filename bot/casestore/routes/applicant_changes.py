"""/api/v1/applications/{case_no}/withdraw and …/corrections: the applicant's changes before a
department has accepted the case (bot/casestore/services/changes.py). The applicant proves the
case with the full phone (?phone=); the assistant acts for the conversation that submitted it
(`conversation_id` in the body) or with the phone; agents may always; departments never."""

from __future__ import annotations

from sanic import Blueprint

from bot.casestore.authz import applicant_or_token
from bot.casestore.routes.common import json_object, ok, run, store
from bot.texts import t


def blueprint() -> Blueprint:
    bp = Blueprint("applicant_changes")

    @bp.post("/api/v1/applications/<case_no>/withdraw")
    @applicant_or_token(missing=t("case.auth.missing"), trusted_only=t("case.auth.department"))
    async def withdraw(request, viewer, phone, case_no):
        body = json_object(request, optional=True)
        return ok(await run(request, store(request).withdraw, case_no, viewer, phone, body))

    @bp.post("/api/v1/applications/<case_no>/corrections")
    @applicant_or_token(missing=t("case.auth.missing"), trusted_only=t("case.auth.department"))
    async def correct(request, viewer, phone, case_no):
        body = json_object(request)
        return ok(await run(request, store(request).correct_applicant, case_no, viewer, phone, body))

    return bp
