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
from bot.rules.inputs import (
    KINDS,
    PENALTY_TYPES,
    PROCEDURES,
    SEVERITIES,
    Case,
    InputError,
    Record,
    parse_payload,
)
from bot.rules.periods import day_after_period
from bot.rules.workdays import add_working_days

__all__ = ["determine_paths", "InputError", "STATUSES"]

STATUSES = ("eligible", "not_yet", "needs_correction", "not_needed", "not_repairable", "needs_info")
_ACTIONABLE = ("eligible", "not_yet", "needs_correction", "needs_info")

_TOPIC_LABELS = {
    "penalty_publicity": "行政处罚信息公示期限",
    "penalty_not_published": "行政处罚信息不予公示的范围",
    "penalty_not_repairable": "不得提前停止公示的处罚种类",
    "penalty_severity_hints": "失信行为严重程度的推定",
    "penalty_extra_conditions": "市场监管行政处罚信息修复条件",
    "decision_limit": "办理时限",
    "abnormal_list_terms": "经营异常名录移出条件",
    "serious_list_terms": "严重失信主体名单期限",
}
_DATE_BASIS_LABELS = {"decision_date": "处罚决定日期", "listed_date": "列入日期", "application_date": "申请日期"}


def zh_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


@dataclass
class _Outcome:
    """What the engine found for one record before the status is fixed."""

    rec: Record
    final_status: str | None = None          # not_needed / not_repairable / forced needs_info
    duty_unmet: list[str] = field(default_factory=list)
    waiting: str | None = None
    block_unmet: list[str] = field(default_factory=list)
    blocked_by: list[int] = field(default_factory=list)
    block_items: tuple[str, ...] = ()
    block_department: str | None = None
    missing: list[str] = field(default_factory=list)
    earliest: dt.date | None = None
    auto_end: dt.date | None = None
    periods: dict = field(default_factory=dict)
    severity: str | None = None
    severity_source: str | None = None
    to_confirm: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    rules: list[RuleVersion] = field(default_factory=list)
    applicable: bool = True                   # False: this department never decides this item
    status: str = ""

    def use(self, rule: RuleVersion, fallback: str | None = None, with_note: bool = True) -> None:
        if rule not in self.rules:
            self.rules.append(rule)
            if rule.note and with_note:
                self.notes.append(rule.note)
        if fallback:
            self.caveat(fallback)

    def caveat(self, text: str | None) -> None:
        if text and text not in self.caveats:
            self.caveats.append(text)

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
    def pick(self, topic: str, item: str, department: str, on: dt.date) -> tuple[RuleVersion | None, str | None]:
        """The version in force on `on`, else the nearest version held (with a caveat)."""
        subject = self.case.subject_type
        rule = self.guide.rule(topic, item, department, on, subject)
        if rule is not None:
            return rule, None
        scope = [
            r for r in self.guide.rule_versions(topic, item)
            if r.department in (department, "any") and (not r.subject_types or subject in r.subject_types)
        ]
        if not scope:
            return None, None

        def specificity(r: RuleVersion):
            return (r.department == department, bool(r.subject_types))

        later = [r for r in scope if r.valid_from > on]
        if later:
            start = min(r.valid_from for r in later)
            chosen = max((r for r in later if r.valid_from == start), key=specificity)
            where = f"最早收录的{zh_date(chosen.valid_from)}起适用的规定"
        else:
            end = max(r.valid_until for r in scope)  # none is open-ended, or it would be in force
            chosen = max((r for r in scope if r.valid_until == end), key=specificity)
            where = f"最近收录的{zh_date(chosen.valid_until)}前适用的规定"
        cite = chosen.basis[0]
        basis_label = _DATE_BASIS_LABELS.get(chosen.date_basis, "相关日期")
        caveat = (
            f"办事指南未收录{basis_label}为{zh_date(on)}时适用的{_TOPIC_LABELS.get(topic, topic)}规定，"
            f"暂按{where}（《{cite.title}》）推算，请向受理机关确认。"
        )
        return chosen, caveat

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
                out.notes.insert(0, f"适用{PROCEDURES[rec.procedure]}作出的行政处罚信息不予公示，无需申请信用修复。")
                out.missing.clear()
                return out
            if only and rec.penalties and set(rec.penalties) <= set(only):
                out.use(rule, fb)
                out.final_status = "not_needed"
                names = "、".join(PENALTY_TYPES[p] for p in rec.penalties)
                out.notes.insert(0, f"仅给予{names}的行政处罚信息不予公示，无需申请信用修复。")
                out.missing.clear()
                return out
        if rec.procedure is None:
            out.caveat("未说明处罚程序，按普通程序（公示）作出的处罚推算；如是简易程序作出的处罚，则不公示、无需修复。")

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
                    shown = "、".join(PENALTY_TYPES[p] for p in rec.penalties or ()) or PROCEDURES.get(rec.procedure, "")
                    out.caveat(
                        f"未说明失信行为的严重程度，根据处罚情况（{shown}）推定为“{SEVERITIES[out.severity]}”，"
                        "以处罚决定书或《信用修复告知书》载明的为准。"
                    )
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
                    out.notes.insert(0, f"最长公示期（{months['max_months']}个月）已满，"
                                        f"自{zh_date(out.auto_end)}起已自动停止公示，无需申请修复。")
                    out.missing.clear()
                    return out

        # 4. Penalty types that cannot end early.
        nr, fb = self.pick("penalty_not_repairable", item, dept, on)
        hit = [p for p in rec.penalties or () if p in (nr.values.get("penalties") or [])] if nr else []
        if hit:
            out.use(nr, fb)
            out.final_status = "not_repairable"
            names = "、".join(PENALTY_TYPES[p] for p in hit)
            end = f"，将于{zh_date(out.auto_end)}起自动停止公示" if out.auto_end else ""
            out.notes.insert(0, f"受到{names}处罚的，行政处罚信息不得提前停止公示{end}。")
            return out

        # 5. Duties and waiting.
        if rec.obligations_fulfilled is False:
            out.duty_unmet.append("尚未全面履行行政处罚决定规定的义务（如缴清罚款、没收款项），请先履行")
        elif rec.obligations_fulfilled is None:
            out.missing.append("obligations_fulfilled")
        if out.earliest and as_of < out.earliest:
            m = out.periods["min_months"]
            if m:
                out.waiting = f"最短公示期（{m}个月）尚未届满，{zh_date(out.earliest)}起可以申请"
            else:
                out.waiting = f"处罚决定作出的次日（{zh_date(out.earliest)}）起可以申请"

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
            out.notes.append(section.not_applicable or "办事指南未收录该部门的经营异常名录规定，请确认作出列入决定的部门。")
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
            out.duty_unmet.append(f"尚未履行被列入原因对应的义务：{duty}" if duty else "尚未纠正被列入的情形")
        months = v.get("escalate_after_months")
        if rec.listed_date and months and rec.corrected is not True:
            escalate = day_after_period(rec.listed_date, months)
            out.periods["escalate_date"] = escalate.isoformat()
            if as_of >= escalate:
                out.caveat(
                    f"列入已满{months}个月仍未履行义务，可能已被列入{v.get('escalates_to', '严重违法失信名单')}，"
                    f"请先向{self.guide.department_name(dept)}核实；如已列入，请按严重失信主体名单信用修复办理。"
                )
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
            out.notes.append("办事指南未收录该部门严重失信主体名单的期限规定，请确认作出列入决定的部门。")
            return out
        out.use(terms, fb)
        v = terms.values
        term, min_months = v.get("term_months"), v.get("min_months")
        wait = v.get("wait_after_correction_months") or 0
        out.periods = {"term_months": term, "min_months": min_months, "wait_after_correction_months": wait}
        conditions = list(v.get("conditions") or [])
        dept_name = self.guide.department_name(dept)
        if rec.listed_date is None:
            out.missing.append("listed_date")
        elif term:
            out.auto_end = day_after_period(rec.listed_date, term)
            if as_of >= out.auto_end:
                out.final_status = "not_needed"
                out.notes.insert(0, f"列入期限（{term}个月）已满，自{zh_date(out.auto_end)}起应已移出名单，无需申请修复；"
                                    f"如仍在公示，请向{dept_name}提出异议。")
                out.missing.clear()
                return out
        if v.get("early_repair") is False:
            out.final_status = "not_repairable"
            end = f"，列入期满后于{zh_date(out.auto_end)}起移出" if out.auto_end else ""
            out.notes.insert(0, f"该名单不能申请提前移出{end}。")
            out.notes.extend(conditions)
            return out
        out.to_confirm.extend(conditions)

        if rec.corrected is None:
            out.missing.append("corrected")
        elif rec.corrected is False:
            extra = f"；纠正后还须满{wait}个月才能申请" if wait else ""
            out.duty_unmet.append(f"尚未纠正失信行为、履行相关义务{extra}")
        elif wait and rec.corrected_date is None:
            out.missing.append("corrected_date")

        by_listing = None
        if rec.listed_date:
            if min_months is None:
                by_listing = day_after_period(rec.listed_date, 0)
                out.caveat("该名单可申请提前移出的最短列入期限未经核实，暂按纠正失信行为后即可申请推算。")
            else:
                by_listing = day_after_period(rec.listed_date, min_months)
        by_correction = day_after_period(rec.corrected_date, wait) if (wait and rec.corrected_date) else None
        if by_listing and (not wait or by_correction):
            out.earliest = max(by_listing, by_correction or by_listing)
        if out.earliest and as_of < out.earliest:
            if by_correction and by_correction >= by_listing:
                out.waiting = f"纠正失信行为后须满{wait}个月，{zh_date(out.earliest)}起可以申请"
            else:
                out.waiting = f"列入名单须满{min_months or 0}个月，{zh_date(out.earliest)}起可以申请"
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
        return {
            "as_of": self.as_of.isoformat(),
            "subject_type": self.case.subject_type,
            "results": results,
            "caveats": self._overall_caveats(results),
            "plan": _plan(results, self.as_of),
        }

    def _apply_block(self, o: _Outcome, outcomes: list[_Outcome]) -> None:
        if o.final_status:
            return
        for other in outcomes:
            rec = other.rec
            if (other is o or rec.service_item not in o.block_items
                    or rec.department != o.block_department or other.status == "not_needed"):
                continue
            o.blocked_by.append(rec.index)
            o.block_unmet.append(
                f"申请时不得仍被列入{KINDS[rec.kind]}：须先办理第{rec.index + 1}条记录的修复（移出），再申请本条"
            )

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
                    o.caveat(wd.caveat)
                    if wd.caveat:
                        self.calendar_caveats.append(wd.caveat)

        unverified = [r.id for r in o.rules if not r.verified or any(not c.verified for c in r.basis)]
        if unverified or (actionable and not section.verified):
            o.caveat(guide.caveat)
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
        return {
            "index": rec.index,
            "kind": rec.kind,
            "service_item": item,
            "service_item_name": guide.item_name(item),
            "status": o.status,
            "earliest_date": _iso(o.earliest),
            "auto_end_date": _iso(o.auto_end),
            "authority": rec.department,
            "authority_name": guide.department_name(rec.department),
            "channel": [c["name"] for c in section.channels] if o.applicable else [],
            "decision_limit_working_days": limit,
            "platform_limit_working_days": platform_limit,
            "decision_deadline_if_applied_today": _iso(deadline),
            "unmet": unmet,
            "missing_fields": list(dict.fromkeys(o.missing)),
            "open_duties": list(o.duty_unmet),
            "blocked_by": o.blocked_by,
            "to_confirm": o.to_confirm if actionable else [],
            "materials": materials,
            "basis": basis,
            "rules_used": [r.id for r in o.rules],
            "unverified_rules": unverified,
            "caveats": o.caveats,
            "notes": o.notes,
            "severity": o.severity,
            "severity_source": o.severity_source,
            "periods": o.periods,
            "record": rec.echo(),
            "guide_section": section.source,
        }

    def _overall_caveats(self, results: list[dict]) -> list[str]:
        out: list[str] = []
        if self.case.as_of_defaulted:
            out.append(f"未指定查询日期，按今天（{zh_date(self.as_of)}）计算。")
        for c in self.calendar_caveats:
            if c not in out:
                out.append(c)
        if any(self.guide.caveat in r["caveats"] for r in results):
            out.append(self.guide.caveat)
        return out


def _plan(results: list[dict], as_of: dt.date) -> dict:
    """The combined plan (一次申请、同步修复): what goes in one application now, what later."""
    by_index = {r["index"]: r for r in results}
    plan: dict[str, Any] = {
        "apply_now": [], "apply_later": [], "correct_first": [], "need_info": [], "nothing_to_do": [],
    }
    for r in results:
        i, status = r["index"], r["status"]
        if status == "eligible":
            plan["apply_now"].append(i)
        elif status == "not_yet":
            plan["apply_later"].append({"index": i, "from": r["earliest_date"], "after": []})
        elif status == "needs_correction" and r["blocked_by"] and not r["open_duties"]:
            # Only the block (and possibly waiting) stands in the way: apply after the others.
            dates = [r["earliest_date"]] + [_removal_estimate(by_index[j], as_of) for j in r["blocked_by"]]
            start = None if None in dates else max(dates + [as_of.isoformat()])
            plan["apply_later"].append({"index": i, "from": start, "after": list(r["blocked_by"])})
        elif status == "needs_correction":
            plan["correct_first"].append({"index": i, "unmet": r["unmet"], "after": list(r["blocked_by"])})
        elif status == "needs_info":
            plan["need_info"].append({"index": i, "missing_fields": r["missing_fields"]})
        else:
            plan["nothing_to_do"].append({"index": i, "status": status, "auto_end_date": r["auto_end_date"]})
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
    return _Engine(guide, case).run()

