"""Plain-Chinese explanations of `determine_paths` results; every word comes from
guides/messages.yml (`paths.*`) through bot.texts.t.

- `render_reasons(result, guide)` turns the engine's reason codes (`reasons` of every record,
  `caveat_reasons` of the whole result) into sentences (`unmet`, `open_duties`, `notes`,
  `caveats`). `determine_paths` calls it, so its result carries both the codes and the texts.
- `short(result)` is the phone-sized verdict for chat channels (about 300 characters at most):
  the answer first (status and earliest date with weekday), one line per record when there are
  several, one compact source line, the caveat 「以受理机关最新规定为准」 at most once, and a
  pointer to 「查看详情」 (`DETAILS_BUTTON`), whose action shows `details(result)`.
- `details(result)` (= `explain_result`) is the full explanation: materials, time limit, basis,
  the combined plan (一次申请、同步修复); the caveat once at the end.
- `explain_record(record_result)` explains one record in full.
Only the result dict is read (plus the guide's service texts: the caveat and the fee notice),
so the wording always matches the engine.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.guide.loader import load_guide
from bot.rules.inputs import FIELD_LABELS, KINDS, PENALTY_TYPES, PROCEDURES, SEVERITIES, kind_label
from bot.texts import t

SHORT_LIMIT = 300  # characters of a chat verdict before 「查看详情」
# punctuation only (no wording): list, clause and sentence separators
_SEP, _SEMI, _COMMA, _STOP, _ELLIPSIS = "、", "；", "，", "。", "…"


def zh_date(d: dt.date | str) -> str:
    """2026-03-10 -> '2026年3月10日'."""
    d = dt.date.fromisoformat(d) if isinstance(d, str) else d
    return t("paths.date", year=d.year, month=d.month, day=d.day)


def zh_date_weekday(value: str | dt.date | None) -> str:
    """'2027-03-11' -> '2027年3月11日（星期四）'."""
    if value is None:
        return t("paths.date_unknown")
    d = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return t("paths.date_weekday", year=d.year, month=d.month, day=d.day,
             weekday=t("paths.weekdays")[d.weekday()])


def _guide():
    try:
        return load_guide()
    except Exception:  # wording only: never fail an explanation over the guide
        return None


def _service_text(key: str) -> str:
    """A text from guides/service.yml ('' if the guide cannot be read)."""
    g = _guide()
    return g.service.get(key, "") if g is not None else ""


def _join(items) -> str:
    return _SEP.join(items)


# ------------------------------------------------------------------------------------------
# reason codes -> sentences
# ------------------------------------------------------------------------------------------
_DATE_PARAMS = ("date",)
_INSTRUMENT = re.compile(r"《[^》]+》(?:（[^）]*）)?")


def reason_text(r: dict, guide=None) -> str:
    """One reason code (`{"code": ..., **params}`) as a sentence."""
    code = r["code"]
    if code in ("guide_text", "rule_fallback"):  # wording from the guide (rule_for's caveat)
        return r["text"]
    if code == "unverified":
        return (guide or _guide()).caveat
    if code == "calendar_fallback":
        sep = _SEMI
        return sep.join(t("paths.reason.calendar_fallback", year=y) for y in r["years"])
    guide = guide or _guide()
    params: dict[str, Any] = {}
    for key, value in r.items():
        if key == "code":
            continue
        if key in _DATE_PARAMS and value:
            value = zh_date(value)
        elif key == "penalties":
            value = _join(PENALTY_TYPES[p] for p in value)
        elif key == "procedure":
            value = PROCEDURES.get(value, "") if value else ""
        elif key == "severity":
            value = SEVERITIES[value]
        elif key == "kind":
            value = KINDS[value]
        elif key == "department":
            value = guide.department_name(value)
        elif key == "escalates_to":
            value = value or t("paths.reason.escalates_to_default")
        params[key] = value
    if code == "severity_inferred":
        params["shown"] = params["penalties"] or params["procedure"]
    return t(f"paths.reason.{code}", **params)


def render_reasons(result: dict, guide=None) -> dict:
    """Fill the sentences of a `determine_paths` result from its reason codes (in place)."""
    guide = guide or _guide()
    for r in result.get("results", []):
        for key, codes in r["reasons"].items():
            r[key] = [reason_text(c, guide) for c in codes]
    result["caveats"] = [reason_text(c, guide) for c in result.get("caveat_reasons", [])]
    for e in result.get("plan", {}).get("correct_first", []):
        e["unmet"] = [reason_text(c, guide) for c in e["reasons"]]
    return result


# ------------------------------------------------------------------------------------------
# full explanation (查看详情)
# ------------------------------------------------------------------------------------------
def _is_unverified_caveat(c: str) -> bool:
    return c == _service_text("unverified_caveat")


def _caveat_text(c: str) -> str:
    """The unverified-rule caveat is quoted 「…」 so it stands out; others are sentences."""
    return f"「{c}」" if _is_unverified_caveat(c) else c


def _no(index: int) -> str:
    return t("paths.explain.nth", no=index + 1)


def _missing_labels(fields: list[str]) -> str:
    return _join(FIELD_LABELS.get(f, f) for f in fields)


def _material_line(m: dict) -> str:
    tags = []
    if m.get("fetched_by_department"):
        tags.append(t("paths.explain.tag_fetched"))
    elif m.get("generated"):
        tags.append(t("paths.explain.tag_generated"))
    elif m.get("required"):
        tags.append(t("paths.explain.tag_required"))
    if m.get("conditional"):
        tags.append(m["conditional"])
    elif not m.get("required"):
        tags.append(t("paths.explain.tag_if_applicable"))
    return f"  · {m['name']}（{_SEMI.join(tags)}）"


def _record_heading(r: dict) -> str:
    rec = r.get("record", {})
    when = ""
    if rec.get("decision_date"):
        when = t("paths.explain.heading_decided", date=zh_date_weekday(rec["decision_date"]))
    elif rec.get("listed_date"):
        when = t("paths.explain.heading_listed", date=zh_date_weekday(rec["listed_date"]))
    return t("paths.explain.heading", no=r["index"] + 1, item=r["service_item_name"],
             authority=r["authority_name"], when=when)


def _headline(r: dict) -> str:
    if r["status"] == "not_yet" and _ends_first(r):
        return t("paths.explain.headline.ends_first", end=zh_date_weekday(r["auto_end_date"]),
                 earliest=zh_date_weekday(r.get("earliest_date")))
    return t(f"paths.explain.headline.{r['status']}",
             **({"earliest": zh_date_weekday(r.get("earliest_date"))} if r["status"] == "not_yet" else {}),
             **({"missing": _missing_labels(r.get("missing_fields", []))} if r["status"] == "needs_info" else {}))


def explain_record(r: dict, *, with_unverified: bool = True) -> str:
    """Explain one record result (an element of `determine_paths(...)["results"]`)."""
    status = r["status"]
    final = status in ("not_needed", "not_repairable")
    lines = [_record_heading(r), t("paths.explain.conclusion", headline=_headline(r))]
    for note in r.get("notes", [])[:1] if final else []:
        lines.append(t("paths.explain.cause", note=note))

    lines.append(t("paths.explain.authority", authority=r["authority_name"]))
    if not final and r.get("channel"):
        lines.append(t("paths.explain.channel", channels=_SEMI.join(r["channel"])))

    steps = _first_steps(r)
    if steps:
        lines.append(t("paths.explain.steps"))
        lines.extend(f"  {n}. {s}" for n, s in enumerate(steps, 1))

    if r.get("auto_end_date") and not final:
        lines.append(t("paths.explain.auto_end", words=t(f"paths.explain.end_words.{r['service_item']}"),
                       date=zh_date_weekday(r["auto_end_date"])))

    if r.get("to_confirm"):
        lines.append(t("paths.explain.to_confirm", conditions=_SEMI.join(r["to_confirm"])))

    if r.get("materials"):
        lines.append(t("paths.explain.materials"))
        lines.extend(_material_line(m) for m in r["materials"])

    limit = r.get("decision_limit_working_days")
    if limit is not None:
        text = t("paths.explain.limit", days=limit)
        if r.get("platform_limit_working_days"):
            text += t("paths.explain.limit_platform", days=r["platform_limit_working_days"])
        if r.get("decision_deadline_if_applied_today"):
            text += t("paths.explain.limit_deadline", date=zh_date_weekday(r["decision_deadline_if_applied_today"]))
        lines.append(text + _STOP)

    if r.get("basis"):
        lines.append(t("paths.explain.basis", basis=_SEMI.join(r["basis"])))
    extra_notes = r.get("notes", [])[1:] if final else r.get("notes", [])
    for note in extra_notes:
        if note not in steps:
            lines.append(t("paths.explain.note", note=note))
    for c in r.get("caveats", []):
        if with_unverified or not _is_unverified_caveat(c):
            lines.append(t("paths.explain.caveat", caveat=_caveat_text(c)))
    return "\n".join(lines)


def _first_steps(r: dict) -> list[str]:
    status = r["status"]
    if status == "needs_info":
        steps = [t("paths.explain.ask_field", field=FIELD_LABELS.get(f, f)) for f in r.get("missing_fields", [])]
        if "department" in r.get("missing_fields", []) and r.get("unmet"):
            steps = list(r["unmet"]) + [t("paths.explain.confirm_department")]
        return steps + [u for u in r.get("unmet", []) if u not in steps]
    if status == "needs_correction":
        return list(r.get("unmet", [])) + [t("paths.explain.step_correct")]
    if status == "not_yet":
        return list(r.get("unmet", [])) + [t("paths.explain.step_later")]
    if status == "eligible":
        return [t("paths.explain.step_apply")]
    return []


def explain_result(result: dict) -> str:
    """Explain a whole `determine_paths` result; several records get a combined plan. The
    unverified-rule caveat appears once, at the end."""
    results = result.get("results", [])
    parts = [t("paths.explain.intro", date=zh_date_weekday(result["as_of"]), count=len(results))]
    parts.extend(explain_record(r, with_unverified=False) for r in results)
    if len(results) > 1:
        parts.append(_plan_text(result))
    tail = []
    caveats = list(result.get("caveats", []))
    unverified = _service_text("unverified_caveat")
    if unverified and unverified not in caveats and any(unverified in r.get("caveats", []) for r in results):
        caveats.append(unverified)
    for c in caveats:
        tail.append(_caveat_text(c))
    fee = _service_text("fee")
    if fee:
        tail.append(fee)
    if tail:
        parts.append(t("paths.explain.tail", text="\n".join(tail)))
    return "\n\n".join(parts)


details = explain_result


def _plan_text(result: dict) -> str:
    plan = result["plan"]
    by_index = {r["index"]: r for r in result["results"]}
    lines = [t("paths.explain.plan_title")]
    if plan["apply_now"]:
        names = _join(dict.fromkeys(by_index[i]["authority_name"] for i in plan["apply_now"]))
        via = _join(plan.get("one_application_channels") or []) or t("paths.explain.plan_via_default")
        lines.append(t("paths.explain.plan_now", nos=_join(_no(i) for i in plan["apply_now"]),
                       authorities=names, via=via))
    for e in plan.get("decide_after", []):
        lines.append(t("paths.explain.plan_order", authority=by_index[e["index"]]["authority_name"],
                       first=_join(_no(j) for j in e["after"]), then=_no(e["index"])))
    for e in plan["apply_later"]:
        parts = []
        if e.get("from") and e["from"] > result["as_of"]:
            parts.append(t("paths.explain.plan_from", date=zh_date_weekday(e["from"])))
        elif not e.get("from"):
            parts.append(t("paths.explain.plan_date_unknown"))
        if e.get("after"):
            parts.append(t("paths.explain.plan_after", nos=_join(_no(j) for j in e["after"])))
        lines.append(t("paths.explain.plan_later", no=_no(e["index"]), parts=_COMMA.join(parts)))
    for e in plan["correct_first"]:
        lines.append(t("paths.explain.plan_correct", no=_no(e["index"]),
                       unmet=_SEMI.join(e["unmet"])))
    for e in plan["need_info"]:
        lines.append(t("paths.explain.plan_info", no=_no(e["index"]), missing=_missing_labels(e["missing_fields"])))
    for e in plan["nothing_to_do"]:
        r = by_index[e["index"]]
        if e["status"] == "not_repairable":
            end = (t("paths.explain.plan_not_repairable_end", date=zh_date_weekday(e["auto_end_date"]))
                   if e.get("auto_end_date") else "")
            lines.append(t("paths.explain.plan_not_repairable", no=_no(e["index"]), end=end))
        else:
            why = r["notes"][0] if r.get("notes") else t("paths.explain.plan_nothing_default", kind=kind_label(r["kind"], r["authority"]))
            lines.append(t("paths.explain.plan_nothing", no=_no(e["index"]), why=why))
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------
# phone-sized verdict (chat channels)
# ------------------------------------------------------------------------------------------
DETAILS_BUTTON_KEY = "paths.short.details_button"


def _ends_first(r: dict) -> bool:
    """The record stops being published by itself no later than repair could be applied for
    (「2024年3月1日列的，工资上个月才付清」: 6 months after payment is after the 3 years)."""
    end, earliest = r.get("auto_end_date"), r.get("earliest_date")
    return bool(end and earliest and end <= earliest)


def _short_line(r: dict) -> str:
    status = r["status"]
    base = {"item": r["service_item_name"], "authority": r["authority_name"]}
    if status == "eligible":
        deadline = r.get("decision_deadline_if_applied_today")
        text = (t("paths.short.eligible_deadline", **base, date=zh_date_weekday(deadline)) if deadline
                else t("paths.short.eligible", **base))
    elif status == "not_yet" and _ends_first(r):
        text = t("paths.short.ends_first", **base, date=zh_date_weekday(r["auto_end_date"]))
    elif status == "not_yet":
        text = t("paths.short.not_yet", **base, date=zh_date_weekday(r.get("earliest_date")))
    elif status == "needs_correction":
        text = t("paths.short.needs_correction", **base, todo=(r.get("unmet") or [""])[0].rstrip("。"))
    elif status == "needs_info":
        text = t("paths.short.needs_info", **base, missing=_missing_labels(r.get("missing_fields", [])))
    elif status == "not_needed":
        text = t("paths.short.not_needed", **base, why=(r.get("notes") or [_headline(r)])[0])
    elif r.get("auto_end_date"):
        text = t("paths.short.not_repairable", **base, date=zh_date_weekday(r["auto_end_date"]))
    else:
        text = t("paths.short.not_repairable_undated", **base)
    for j in r.get("depends_on", []):
        text += t("paths.short.depends", no=j + 1, authority=r["authority_name"])
    return text


def _todo(r: dict) -> str:
    """The first thing to do, in a few words (from the reason code)."""
    codes = r.get("reasons", {}).get("unmet") or [{"code": "other"}]
    c = dict(codes[0])
    code = c.pop("code")
    if "date" in c:
        c["date"] = zh_date_weekday(c["date"])
    try:
        return t(f"paths.short.todo.{code}", **c)
    except KeyError:
        return t("paths.short.todo.other")


def _dept_short(code: str) -> str:
    g = _guide()
    dept = g.departments.get(code) if g is not None else None
    return (dept.get("short") or dept["name"]) if dept else code


def _compact_line(r: dict) -> str:
    """One record of several, in one short line."""
    status = r["status"]
    base = {"kind": kind_label(r["kind"], r["authority"]), "dept": _dept_short(r["authority"])}
    if status == "eligible":
        text = t("paths.short.compact.eligible", **base)
    elif status == "not_yet" and _ends_first(r):
        text = t("paths.short.compact.ends_first", **base, date=zh_date_weekday(r["auto_end_date"]))
    elif status == "not_yet":
        text = t("paths.short.compact.not_yet", **base, date=zh_date_weekday(r.get("earliest_date")))
    elif status == "needs_correction":
        text = t("paths.short.compact.needs_correction", **base, todo=_todo(r))
    elif status == "needs_info":
        fields = r.get("missing_fields", [])
        first = FIELD_LABELS.get(fields[0], fields[0]) if fields else ""
        text = (t("paths.short.compact.needs_info_more", **base, missing=first, count=len(fields))
                if len(fields) > 1 else t("paths.short.compact.needs_info", **base, missing=first))
    elif status == "not_needed":
        text = t("paths.short.compact.not_needed", **base)
    elif r.get("auto_end_date"):
        text = t("paths.short.compact.not_repairable", **base, date=zh_date_weekday(r["auto_end_date"]))
    else:
        text = t("paths.short.compact.not_repairable_undated", **base)
    for j in r.get("depends_on", []):
        text += t("paths.short.compact.depends", no=j + 1)
    return text + _STOP


def _instrument(citation: str) -> str:
    """「《title》（number）」 of a citation 「《title》（number）article」: the phone's verdict names the
    instrument only (fourth hand try: 「行政处罚信息修复（条款序号未核实）」 in the first reply read as
    jargon); the articles, and which of them are unverified, stay in 「详细」."""
    match = _INSTRUMENT.match(citation)
    return match.group(0) if match else citation


def _source_line(results: list[dict]) -> str | None:
    basis = list(dict.fromkeys(_instrument(b) for r in results for b in r.get("basis", [])))
    if not basis:
        return None
    text = basis[0]
    if len(basis) > 1:
        text += t("paths.short.source_more", count=len(basis))
    return t("paths.short.source", basis=text)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + _ELLIPSIS


def plain_verdict(result: dict) -> str:
    """「看不懂」 right after a verdict: each record's outcome in one plain sentence."""
    lines = []
    for r in result.get("results", []):
        if r["status"] == "not_yet" and _ends_first(r):  # it stops by itself first: nothing to wait for
            line = t("guide.plain.verdict.ends_first", date=zh_date_weekday(r["auto_end_date"]))
        else:
            date = zh_date_weekday(r["earliest_date"]) if r.get("earliest_date") else ""
            line = t(f"guide.plain.verdict.{r['status']}", date=date)
        lines.append(f"{r['index'] + 1}. {line}" if len(result.get("results", [])) > 1 else line)
    return "\n".join(lines)


def short_head(result: dict) -> str:
    """The verdict lines of `short` alone (no basis, caveat or 「详细」 hint): said again inside
    another reply (「开始申请」 with nothing to apply for)."""
    results = result.get("results", [])
    if len(results) == 1:
        return _short_line(results[0])
    return "\n".join(f"{r['index'] + 1}. {_compact_line(r)}" for r in results)


def short(result: dict, limit: int = SHORT_LIMIT) -> str:
    """The verdict for a chat channel: at most `limit` characters (see the module docstring)."""
    results = result.get("results", [])
    if len(results) == 1:
        head = [_short_line(results[0])]
    else:
        head = [f"{r['index'] + 1}. {_compact_line(r)}" for r in results]
        plan = result.get("plan", {})
        if len(plan.get("apply_now", [])) > 1:
            head.append(t("paths.short.together", nos=_join(str(i + 1) for i in plan["apply_now"])))
    unverified = _service_text("unverified_caveat")
    caveat = (f"（{unverified}）"
              if unverified and any(unverified in r.get("caveats", []) for r in results) else "")
    source = _source_line(results)
    more = t("paths.short.more")
    tail = [x for x in (source, caveat, more) if x]

    def size(lines):
        return len("\n".join(lines))

    if size(head + tail) > limit and source:  # the source line goes first, never the answer
        tail.remove(source)
    while size(head + tail) > limit:
        longest = max(range(len(head)), key=lambda n: len(head[n]))
        over = size(head + tail) - limit
        if len(head[longest]) <= 12:
            break
        head[longest] = _clip(head[longest], max(len(head[longest]) - over, 12))
    return "\n".join(head + tail)


def details_button() -> dict:
    """The 「查看详情」 button title (the conversation decides the payload intent)."""
    return {"title": t(DETAILS_BUTTON_KEY)}
