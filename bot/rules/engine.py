"""Path determination: which repair path each credit record takes, and when.

`determine_paths(payload, guide=None) -> dict` is pure: every period, time limit, material,
channel and citation comes from the guide (guides/rules.yml and guides/items/*.yml); this module
holds only the decision logic. See bot/rules/inputs.py for the input contract.

Statuses (one per record):
  eligible          may apply on `as_of`
  not_yet           only waiting remains; may apply from `earliest_date`
  needs_correction  a duty is not performed, or (market regulation) another record of the same
                    department must be removed from a list first; `unmet` says which
  not_needed        never published (simple procedure; warning only where the rule says so), or
                    publicity / listing already ended (`as_of >= auto_end_date`)
  not_repairable    cannot end early; it ends by itself on `auto_end_date`
  needs_info        a fact is missing; `missing_fields` names it (the dates that can be computed
                    are still given)

Precedence among the non-final statuses: a duty known to be unperformed (needs_correction) beats
a missing fact (needs_info), which beats a block by another record, which beats waiting.

Dated rule versions: a rule is selected by the date its `date_basis` names (decision date,
listed date, or `as_of` for application-date rules). When the guide has NO version in force for
that date (e.g. a penalty decided before 2023-05-01, when Order 58 took effect), the engine does
not refuse: it applies the nearest version the guide does hold (the earliest one for a date
before all versions) and adds a caveat saying that the rule for that date is not in the guide and
must be confirmed with the authority. Rationale: for such old records the publicity has usually
ended, and an approximate, clearly flagged answer is more useful than none. When the date itself
is unknown, `as_of` selects the version and the record is `needs_info` for that date anyway.

Dates in months follow 民法典 (bot.rules.periods.day_after_period); working days follow the State
Council calendar (bot.rules.workdays.add_working_days), with its weekends-only caveat for years
the calendar does not know yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.guide.loader import Guide, RuleVersion, load_guide
from bot.rules import explain
from bot.rules.explain import zh_date  # noqa: F401 - re-exported for older callers
from bot.rules.inputs import Case, InputError, Record, parse_payload
from bot.rules.periods import day_after_period
from bot.rules.workdays import add_working_days

__all__ = ["STATUSES", "InputError", "determine_paths"]

STATUSES = ("eligible", "not_yet", "needs_correction", "not_needed", "not_repairable", "needs_info")
_ACTIONABLE = ("eligible", "not_yet", "needs_correction", "needs_info")
DEPENDENCY_TOPIC = "same_application_dependency"

Reason = dict  # {"code": <guides/messages.yml paths.reason.* key or "guide_text">, **params}


def reason(code: str, **params: Any) -> Reason:
    """A reason code with its parameters; bot.rules.explain renders it (no wording here)."""
    return {"code": code, **params}


def _guide_text(text: str) -> Reason:
    """Wording that is guide data already (a rule's note, a condition, a section's remark)."""
    return reason("guide_text", text=text)


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


@dataclass
class _Outcome:
    """What the engine found for one record before the status is fixed."""

    rec: Record
    final_status: str | None = None          # not_needed / not_repairable / forced needs_info
    duty_unmet: list[Reason] = field(default_factory=list)
    waiting: Reason | None = None
    block_unmet: list[Reason] = field(default_factory=list)
    blocked_by: list[int] = field(default_factory=list)
    depends_on: list[int] = field(default_factory=list)
    block_items: tuple[str, ...] = ()
    block_department: str | None = None
    missing: list[str] = field(default_factory=list)
    earliest: dt.date | None = None
    auto_end: dt.date | None = None
    periods: dict = field(default_factory=dict)
    severity: str | None = None
    severity_source: str | None = None
    to_confirm: list[str] = field(default_factory=list)
    notes: list[Reason] = field(default_factory=list)
    caveats: list[Reason] = field(default_factory=list)
    rules: list[RuleVersion] = field(default_factory=list)
    applicable: bool = True                   # False: this department never decides this item
    status: str = ""

    def use(self, rule: RuleVersion, fallback: Reason | None = None, with_note: bool = True) -> None:
        if rule not in self.rules:
            self.rules.append(rule)
            if rule.note and with_note:
                self.notes.append(_guide_text(rule.note))
        if fallback:
            self.caveat(fallback)

    def caveat(self, r: Reason | None) -> None:
        if r and r not in self.caveats:
            self.caveats.append(r)

    def fix_status(self) -> str:
        if self.final_status:
            self.status = self.final_status
        elif self.duty_unmet:
            self.status = "needs_correction"
        elif self.missing:
            self.status = "needs_info"
        elif self.block_unmet:
            self.status = "needs_correction"
        elif self.waiting:
            self.status = "not_yet"
        else:
            self.status = "eligible"
        return self.status


class _Engine:
    def __init__(self, guide: Guide, case: Case):
        self.guide = guide
        self.case = case
        self.as_of = case.as_of
        self.calendar_caveats: list[str] = []

    # ----- rule selection -------------------------------------------------------------------
    def pick(self, topic: str, item: str, department: str, on: dt.date) -> tuple[RuleVersion | None, Reason | None]:
        """The version in force on `on`, else the nearest version held with a `rule_fallback`
        reason (Guide.rule_for, the one rule lookup; its caveat wording is the guide's)."""
        rule, caveat = self.guide.rule_for(topic, item, department, on, self.case.subject_type)
        if rule is None or not caveat:
            return rule, None
        return rule, reason("rule_fallback", topic=topic, on=on.isoformat(), rule=rule.id, text=caveat)

    # ----- per item -----------------------------------------------------------------------------
    def penalty(self, rec: Record) -> _Outcome:
        out = _Outcome(rec)
        item, dept, as_of = "penalty_info", rec.department, self.as_of
        on = rec.decision_date or as_of
        if rec.decision_date is None:
            out.missing.append("decision_date")

        # 1. Never published: nothing to repair.
        rule, fb = self.pick("penalty_not_published", item, dept, on)
        if rule is not None:
            procedures = rule.values.get("procedures") or []
            only = rule.values.get("only_penalties") or []
            if rec.procedure in procedures:
                out.use(rule, fb)
                out.final_status = "not_needed"
                out.notes.insert(0, reason("not_published_procedure", procedure=rec.procedure))
                out.missing.clear()
                return out
            if only and rec.penalties and set(rec.penalties) <= set(only):
                out.use(rule, fb)
                out.final_status = "not_needed"
                out.notes.insert(0, reason("not_published_only", penalties=list(rec.penalties)))
                out.missing.clear()
                return out
        if rec.procedure is None:
            out.caveat(reason("procedure_assumed"))

        # 2. Severity: given, inferred from the hints rule, or asked for.
        out.severity, out.severity_source = rec.severity, ("input" if rec.severity else None)
        if out.severity is None:
            hints, fb = self.pick("penalty_severity_hints", item, dept, on)
            if hints is not None:
                v = hints.values
                kinds = set(rec.penalties or ())
                if rec.procedure in (v.get("minor_procedures") or []):
                    out.severity = "minor"
                elif kinds & set(v.get("serious_if_any") or []):
                    out.severity = "serious"
                elif kinds and kinds <= set(v.get("minor_if_only") or []):
                    out.severity = "minor"
                if out.severity:
                    out.severity_source = "inferred"
                    out.use(hints, fb)
                    out.caveat(reason("severity_inferred", severity=out.severity,
                                      penalties=list(rec.penalties or ()), procedure=rec.procedure))
            if out.severity is None:
                out.missing.append("severity")

        # 3. Publicity period (by decision date).
        if rec.decision_date and out.severity:
            pub, fb = self.pick("penalty_publicity", item, dept, rec.decision_date)
            if pub is not None:
                out.use(pub, fb)
                months = pub.values[out.severity]
                out.periods = {"min_months": months["min_months"], "max_months": months["max_months"]}
                out.earliest = day_after_period(rec.decision_date, months["min_months"])
                out.auto_end = day_after_period(rec.decision_date, months["max_months"])
                if as_of >= out.auto_end:
                    out.final_status = "not_needed"
                    out.notes.insert(0, reason("publicity_ended", months=months["max_months"],
                                               date=out.auto_end.isoformat()))
                    out.missing.clear()
                    return out

        # 4. Penalty types that cannot end early.
        nr, fb = self.pick("penalty_not_repairable", item, dept, on)
        hit = [p for p in rec.penalties or () if p in (nr.values.get("penalties") or [])] if nr else []
        if hit:
            out.use(nr, fb)
            out.final_status = "not_repairable"
            if out.auto_end:
                out.notes.insert(0, reason("not_repairable_penalty_until", penalties=hit, date=out.auto_end.isoformat()))
            else:
                out.notes.insert(0, reason("not_repairable_penalty", penalties=hit))
            return out

        # 5. Duties and waiting.
        if rec.obligations_fulfilled is False:
            out.duty_unmet.append(reason("penalty_duty"))
        elif rec.obligations_fulfilled is None:
            out.missing.append("obligations_fulfilled")
        if out.earliest and as_of < out.earliest:
            m = out.periods["min_months"]
            if m:
                out.waiting = reason("waiting_min_period", months=m, date=out.earliest.isoformat())
            else:
                out.waiting = reason("waiting_next_day", date=out.earliest.isoformat())

        # 6. Extra conditions (market regulation), judged on the application date.
        extra, fb = self.pick("penalty_extra_conditions", item, dept, as_of)
        if extra is not None:
            out.use(extra, fb)
            out.to_confirm.extend(extra.values.get("conditions") or [])
            out.block_items = tuple(extra.values.get("blocked_by_open_items") or ())
            out.block_department = dept if extra.department == "any" else extra.department
        return out

    def abnormal_list(self, rec: Record) -> _Outcome:
        out = _Outcome(rec)
        item, dept, as_of = "abnormal_list", rec.department, self.as_of
        section = self.guide.section(item, dept)
        on = rec.listed_date or as_of
        terms, fb = self.pick("abnormal_list_terms", item, dept, on)
        if section.not_applicable or terms is None:
            out.applicable = False
            out.final_status = "needs_info"
            out.missing.append("department")
            out.duty_unmet = []
            out.notes.append(_guide_text(section.not_applicable) if section.not_applicable
                             else reason("abnormal_not_covered"))
            return out
        out.use(terms, fb)
        v = terms.values
        out.periods = {"escalate_after_months": v.get("escalate_after_months")}
        if rec.listed_date is None:
            out.missing.append("listed_date")
        if rec.corrected is None:
            out.missing.append("corrected")
        elif rec.corrected is False:
            duty = (v.get("duty_by_reason") or {}).get(rec.reason or "other")
            out.duty_unmet.append(reason("abnormal_duty", duty=duty) if duty else reason("abnormal_not_corrected"))
        months = v.get("escalate_after_months")
        if rec.listed_date and months and rec.corrected is not True:
            escalate = day_after_period(rec.listed_date, months)
            out.periods["escalate_date"] = escalate.isoformat()
            if as_of >= escalate:
                out.caveat(reason("abnormal_escalate", months=months, escalates_to=v.get("escalates_to"),
                                  department=dept))
        return out

    def serious_list(self, rec: Record) -> _Outcome:
        out = _Outcome(rec)
        item, dept, as_of = "serious_list", rec.department, self.as_of
        on = rec.listed_date or as_of
        terms, fb = self.pick("serious_list_terms", item, dept, on)
        if terms is None:
            out.applicable = False
            out.final_status = "needs_info"
            out.missing.append("department")
            out.notes.append(reason("serious_not_covered"))
            return out
        out.use(terms, fb)
        v = terms.values
        term, min_months = v.get("term_months"), v.get("min_months")
        wait = v.get("wait_after_correction_months") or 0
        out.periods = {"term_months": term, "min_months": min_months, "wait_after_correction_months": wait}
        conditions = list(v.get("conditions") or [])
        if rec.listed_date is None:
            out.missing.append("listed_date")
        elif term:
            out.auto_end = day_after_period(rec.listed_date, term)
            if as_of >= out.auto_end:
                out.final_status = "not_needed"
                out.notes.insert(0, reason("serious_term_ended", months=term, date=out.auto_end.isoformat(),
                                           department=dept))
                out.missing.clear()
                return out
        if v.get("early_repair") is False:
            out.final_status = "not_repairable"
            out.notes.insert(0, reason("serious_not_repairable_until", date=out.auto_end.isoformat())
                             if out.auto_end else reason("serious_not_repairable"))
            out.notes.extend(_guide_text(c) for c in conditions)
            return out
        out.to_confirm.extend(conditions)

        if rec.corrected is None:
            out.missing.append("corrected")
        elif rec.corrected is False:
            out.duty_unmet.append(reason("serious_duty_wait", months=wait) if wait else reason("serious_duty"))
        elif wait and rec.corrected_date is None:
            out.missing.append("corrected_date")

        by_listing = None
        if rec.listed_date:
            if min_months is None:
                by_listing = day_after_period(rec.listed_date, 0)
                out.caveat(reason("serious_min_unverified"))
            else:
                by_listing = day_after_period(rec.listed_date, min_months)
        by_correction = day_after_period(rec.corrected_date, wait) if (wait and rec.corrected_date) else None
        if by_listing and (not wait or by_correction):
            out.earliest = max(by_listing, by_correction or by_listing)
        if out.earliest and as_of < out.earliest:
            if by_correction and by_correction >= by_listing:
                out.waiting = reason("waiting_after_correction", months=wait, date=out.earliest.isoformat())
            else:
                out.waiting = reason("waiting_listing", months=min_months or 0, date=out.earliest.isoformat())
        return out

    # ----- whole case -----------------------------------------------------------------------
    def run(self) -> dict:
        outcomes = []
        for rec in self.case.records:
            outcomes.append(getattr(self, rec.kind)(rec))
        for o in outcomes:
            if not o.block_items:
                o.fix_status()
        for o in outcomes:
            if o.block_items:
                self._apply_block(o, outcomes)
                o.fix_status()
        results = [self._result(o) for o in outcomes]
        self._dependent_deadlines(results)
        return {
            "as_of": self.as_of.isoformat(),
            "subject_type": self.case.subject_type,
            "results": results,
            "caveat_reasons": self._overall_caveats(results),
            "plan": _plan(results, self.as_of),
        }

    def _dependent_deadlines(self, results: list[dict]) -> None:
        """A record decided after another one of the same application: its department's
        clock starts when that one is approved, so its deadline counts from the other's."""
        by_index = {r["index"]: r for r in results}
        for r in results:
            if not r["depends_on"] or r["decision_deadline_if_applied_today"] is None:
                continue
            firsts = [by_index[j]["decision_deadline_if_applied_today"] for j in r["depends_on"]]
            if None in firsts:
                r["decision_deadline_if_applied_today"] = None
                continue
            start = dt.date.fromisoformat(max(firsts))
            wd = add_working_days(start, r["decision_limit_working_days"])
            r["decision_deadline_if_applied_today"] = wd.date.isoformat()
            if wd.unknown_years:
                cal = reason("calendar_fallback", years=list(wd.unknown_years))
                if cal not in r["reasons"]["caveats"]:
                    r["reasons"]["caveats"].append(cal)
                if cal not in self.calendar_caveats:
                    self.calendar_caveats.append(cal)

    def dependency_rule(self, item: str, department: str) -> RuleVersion | None:
        """The guide's rule on which records of one application are decided first (by the
        application date; no nearest-version fallback: before it, there was no one application)."""
        return self.guide.rule_for(DEPENDENCY_TOPIC, item, department, self.as_of, self.case.subject_type,
                                   fallback=False).rule

    def _apply_block(self, o: _Outcome, outcomes: list[_Outcome]) -> None:
        """Another record of the same department that must be gone first. When the guide's
        dependency rule lets it go in the same application and it can be applied for now, this
        record DEPENDS on it (decided after it); otherwise it blocks this record."""
        if o.final_status:
            return
        dep = self.dependency_rule(o.rec.service_item, o.rec.department)
        first = set((dep.values.get("decided_first") or ()) if dep else ())
        for other in outcomes:
            rec = other.rec
            if (other is o or rec.service_item not in o.block_items
                    or rec.department != o.block_department or other.status == "not_needed"):
                continue
            params = {"kind": rec.kind, "index": rec.index, "no": rec.index + 1, "department": rec.department}
            if rec.service_item in first and other.status == "eligible" and other.applicable:
                o.depends_on.append(rec.index)
                o.use(dep, with_note=False)  # the depends_on_list reason says it for this record
                o.notes.append(reason("depends_on_list", **params))
            else:
                o.blocked_by.append(rec.index)
                o.block_unmet.append(reason("blocked_by_list", **params))

    def _result(self, o: _Outcome) -> dict:
        rec, as_of, guide = o.rec, self.as_of, self.guide
        item = rec.service_item
        section = guide.section(item, rec.department)
        actionable = o.status in _ACTIONABLE and o.applicable

        limit = platform_limit = deadline = None
        if actionable:
            rule, fb = self.pick("decision_limit", item, rec.department, as_of)
            if rule is not None:
                o.use(rule, fb, with_note=False)  # its values carry the note's numbers
                limit = rule.values.get("working_days")
                platform_limit = rule.values.get("platform_working_days")
                if o.status == "eligible" and limit is not None:
                    wd = add_working_days(as_of, limit)
                    deadline = wd.date
                    if wd.unknown_years:
                        cal = reason("calendar_fallback", years=list(wd.unknown_years))
                        o.caveat(cal)
                        if cal not in self.calendar_caveats:
                            self.calendar_caveats.append(cal)

        unverified = [r.id for r in o.rules if not r.verified or any(not c.verified for c in r.basis)]
        if unverified or (actionable and not section.verified):
            o.caveat(reason("unverified"))
        basis = []
        for r in o.rules:
            for c in r.basis:
                if c.text() not in basis:
                    basis.append(c.text())

        materials = []
        if actionable:
            materials = [
                {
                    "id": m.id,
                    "name": m.name,
                    "required": m.required,
                    "fetched_by_department": m.fetched_by_department,
                    "generated": m.generated,
                    "conditional": m.conditional,
                    "description": m.description,
                }
                for m in section.materials
            ]
        unmet = list(o.duty_unmet)
        if o.waiting:
            unmet.append(o.waiting)
        unmet.extend(o.block_unmet)
        if not o.applicable:
            unmet = list(o.notes)
        reasons = {"unmet": unmet, "open_duties": list(o.duty_unmet), "notes": list(o.notes),
                   "caveats": list(o.caveats)}
        return {
            "index": rec.index,
            "kind": rec.kind,
            "service_item": item,
            "service_item_name": guide.item_name(item, rec.department),
            "status": o.status,
            "earliest_date": _iso(o.earliest),
            "auto_end_date": _iso(o.auto_end),
            "authority": rec.department,
            "authority_name": guide.department_name(rec.department),
            "channel": [c["name"] for c in section.channels] if o.applicable else [],
            "decision_limit_working_days": limit,
            "platform_limit_working_days": platform_limit,
            "decision_deadline_if_applied_today": _iso(deadline),
            "reasons": reasons,
            "missing_fields": list(dict.fromkeys(o.missing)),
            "blocked_by": o.blocked_by,
            "depends_on": o.depends_on,
            "to_confirm": o.to_confirm if actionable else [],
            "materials": materials,
            "basis": basis,
            "rules_used": [r.id for r in o.rules],
            "unverified_rules": unverified,
            "severity": o.severity,
            "severity_source": o.severity_source,
            "periods": o.periods,
            "record": rec.echo(),
            "guide_section": section.source,
        }

    def _overall_caveats(self, results: list[dict]) -> list[Reason]:
        out: list[Reason] = []
        if self.case.as_of_defaulted:
            out.append(reason("as_of_defaulted", date=self.as_of.isoformat()))
        out.extend(self.calendar_caveats)
        if any(reason("unverified") in r["reasons"]["caveats"] for r in results):
            out.append(reason("unverified"))
        return out


def _plan(results: list[dict], as_of: dt.date) -> dict:
    """The combined plan (一次申请、同步修复): what goes in one application now, what later."""
    by_index = {r["index"]: r for r in results}
    plan: dict[str, Any] = {
        "apply_now": [], "apply_later": [], "correct_first": [], "need_info": [], "nothing_to_do": [],
        "decide_after": [],
    }
    for r in results:
        i, status = r["index"], r["status"]
        if status == "eligible":
            plan["apply_now"].append(i)
        elif status == "not_yet":
            plan["apply_later"].append({"index": i, "from": r["earliest_date"], "after": list(r["depends_on"])})
        elif status == "needs_correction" and r["blocked_by"] and not r["reasons"]["open_duties"]:
            # Only the block (and possibly waiting) stands in the way: apply after the others.
            dates = [r["earliest_date"]] + [_removal_estimate(by_index[j], as_of) for j in r["blocked_by"]]
            start = None if None in dates else max(dates + [as_of.isoformat()])
            plan["apply_later"].append({"index": i, "from": start, "after": list(r["blocked_by"])})
        elif status == "needs_correction":
            plan["correct_first"].append({"index": i, "reasons": r["reasons"]["unmet"],
                                          "after": list(r["blocked_by"]) + list(r["depends_on"])})
        elif status == "needs_info":
            plan["need_info"].append({"index": i, "missing_fields": r["missing_fields"]})
        else:
            plan["nothing_to_do"].append({"index": i, "status": status, "auto_end_date": r["auto_end_date"]})
    # Records that go in together but are decided in order (the list removal first).
    plan["decide_after"] = [{"index": r["index"], "after": list(r["depends_on"])}
                            for r in results if r["depends_on"] and r["index"] in plan["apply_now"]]
    plan["apply_later"].sort(key=lambda e: (e["from"] is None, e["from"] or "", e["index"]))
    now = [by_index[i] for i in plan["apply_now"]]
    common = None
    for r in now:
        common = [c for c in (common if common is not None else r["channel"]) if c in r["channel"]]
    plan["one_application_channels"] = common or []
    plan["apply_now_authorities"] = list(dict.fromkeys(r["authority"] for r in now))
    return plan


def _removal_estimate(r: dict, as_of: dt.date) -> str | None:
    """Earliest day a blocking list record can be gone (before its removal decision)."""
    if r["status"] == "eligible":
        return as_of.isoformat()
    if r["status"] == "not_yet":
        return r["earliest_date"]
    if r["status"] == "not_repairable":
        return r["auto_end_date"]
    return None


def determine_paths(payload: dict, guide: Guide | None = None, *, today: dt.date | None = None) -> dict:
    """Decide the repair path of every record in `payload`; see the module docstring.

    Raises InputError (with `.errors`, every problem at once) for an invalid payload.
    `today` only replaces the default `as_of` (for tests)."""
    guide = guide or load_guide()
    case = parse_payload(payload, guide.departments, today=today)
    return explain.render_reasons(_Engine(guide, case).run(), guide)

