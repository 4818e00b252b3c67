"""Plain-Chinese explanations of `determine_paths` results for the chat.

`explain_record(record_result)` explains one record; `explain_result(result)` explains all of
them and, for several records, adds the combined plan (一次申请、同步修复). Only the result dict is
read (plus the guide's service texts: the fee notice), so the wording always matches the engine.
"""

from __future__ import annotations

import datetime as dt

from bot.guide.loader import load_guide
from bot.rules.inputs import FIELD_LABELS, KINDS

_WEEKDAYS = "一二三四五六日"
_STATUS_HEADLINE = {
    "eligible": "现在就可以申请修复。",
    "not_yet": "暂时还不能申请，{earliest}起可以申请。",
    "needs_correction": "需要先完成下面的事项，才能申请修复。",
    "not_needed": "无需申请修复。",
    "not_repairable": "不能申请提前修复。",
    "needs_info": "还需要补充信息才能判断：{missing}。",
}
_END_WORDS = {
    "penalty_info": "公示期满后自动停止公示",
    "serious_list": "列入期满后移出名单",
    "abnormal_list": "移出经营异常名录",
}


def zh_date_weekday(value: str | dt.date | None) -> str:
    """'2027-03-11' -> '2027年3月11日（星期四）'."""
    if value is None:
        return "（日期待定）"
    d = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d.year}年{d.month}月{d.day}日（星期{_WEEKDAYS[d.weekday()]}）"


def _service_text(key: str) -> str:
    """A text from guides/service.yml ('' if the guide cannot be read)."""
    try:
        return load_guide().service.get(key, "")
    except Exception:  # wording only: never fail an explanation over the guide
        return ""


def _caveat_text(c: str) -> str:
    """The unverified-rule caveat is quoted 「…」 so it stands out; others are sentences."""
    return f"「{c}」" if c == _service_text("unverified_caveat") else c


def _no(index: int) -> str:
    return f"第{index + 1}条"


def _missing_labels(fields: list[str]) -> str:
    return "、".join(FIELD_LABELS.get(f, f) for f in fields)


def _material_line(m: dict) -> str:
    tags = []
    if m.get("fetched_by_department"):
        tags.append("部门自行核查、无需提交")
    elif m.get("generated"):
        tags.append("系统自动生成，在对话中确认即可")
    elif m.get("required"):
        tags.append("需提交")
    if m.get("conditional"):
        tags.append(m["conditional"])
    elif not m.get("required"):
        tags.append("如适用")
    return f"  · {m['name']}（{'；'.join(tags)}）"


def _record_heading(r: dict) -> str:
    rec = r.get("record", {})
    when = ""
    if rec.get("decision_date"):
        when = f"，处罚决定日期{zh_date_weekday(rec['decision_date'])}"
    elif rec.get("listed_date"):
        when = f"，列入日期{zh_date_weekday(rec['listed_date'])}"
    return f"【{_no(r['index'])}】{r['service_item_name']}（{r['authority_name']}{when}）"


def explain_record(r: dict) -> str:
    """Explain one record result (an element of `determine_paths(...)["results"]`)."""
    status = r["status"]
    lines = [_record_heading(r)]
    headline = _STATUS_HEADLINE[status].format(
        earliest=zh_date_weekday(r.get("earliest_date")),
        missing=_missing_labels(r.get("missing_fields", [])),
    )
    lines.append(f"结论：{headline}")
    for note in r.get("notes", [])[:1] if status in ("not_needed", "not_repairable") else []:
        lines.append(f"原因：{note}")

    lines.append(f"办理机关：{r['authority_name']}（谁认定、谁修复）")
    if status not in ("not_needed", "not_repairable") and r.get("channel"):
        lines.append("办理渠道：" + "；".join(r["channel"]))

    steps = _first_steps(r)
    if steps:
        lines.append("先做什么：")
        lines.extend(f"  {n}. {s}" for n, s in enumerate(steps, 1))

    if r.get("auto_end_date") and status not in ("not_needed", "not_repairable"):
        lines.append(f"自动结束：{_END_WORDS[r['service_item']]}，{zh_date_weekday(r['auto_end_date'])}起不再公示。")

    if r.get("to_confirm"):
        lines.append("申请时还须符合：" + "；".join(r["to_confirm"]))

    if r.get("materials"):
        lines.append("需要的材料：")
        lines.extend(_material_line(m) for m in r["materials"])

    limit = r.get("decision_limit_working_days")
    if limit is not None:
        text = f"办理时限：认定部门收到申请后{limit}个工作日内作出决定"
        if r.get("platform_limit_working_days"):
            text += f"（通过信用中国网站申请的，网站{r['platform_limit_working_days']}个工作日内答复）"
        if r.get("decision_deadline_if_applied_today"):
            text += f"；如今天提交，预计最迟{zh_date_weekday(r['decision_deadline_if_applied_today'])}作出决定"
        lines.append(text + "。")

    if r.get("basis"):
        lines.append("依据：" + "；".join(r["basis"]))
    extra_notes = r.get("notes", [])[1:] if status in ("not_needed", "not_repairable") else r.get("notes", [])
    for note in extra_notes:
        if note not in steps:
            lines.append(f"说明：{note}")
    for c in r.get("caveats", []):
        lines.append(f"提示：{_caveat_text(c)}")
    return "\n".join(lines)


def _first_steps(r: dict) -> list[str]:
    status = r["status"]
    if status == "needs_info":
        steps = [f"请告诉我：{FIELD_LABELS.get(f, f)}" for f in r.get("missing_fields", [])]
        if "department" in r.get("missing_fields", []) and r.get("unmet"):
            steps = list(r["unmet"]) + ["请确认作出决定的部门"]
        return steps + [u for u in r.get("unmet", []) if u not in steps]
    if status == "needs_correction":
        return list(r.get("unmet", [])) + ["完成后通过上面的渠道提交申请"]
    if status == "not_yet":
        return list(r.get("unmet", [])) + ["届时通过上面的渠道提交申请"]
    if status == "eligible":
        return ["通过上面的渠道提交“一张表单”申请（多条记录可在“一件事”专栏一次提交）"]
    return []


def explain_result(result: dict) -> str:
    """Explain a whole `determine_paths` result; several records get a combined plan."""
    results = result.get("results", [])
    parts = [f"按{zh_date_weekday(result['as_of'])}判断，共{len(results)}条记录："]
    parts.extend(explain_record(r) for r in results)
    if len(results) > 1:
        parts.append(_plan_text(result))
    tail = []
    for c in result.get("caveats", []):
        tail.append(_caveat_text(c))
    fee = _service_text("fee")
    if fee:
        tail.append(fee)
    if tail:
        parts.append("温馨提示：" + "\n".join(tail))
    return "\n\n".join(parts)


def _plan_text(result: dict) -> str:
    plan = result["plan"]
    by_index = {r["index"]: r for r in result["results"]}
    lines = ["综合安排（一次申请、同步修复）："]
    if plan["apply_now"]:
        nos = "、".join(_no(i) for i in plan["apply_now"])
        names = "、".join(dict.fromkeys(by_index[i]["authority_name"] for i in plan["apply_now"]))
        via = "、".join(plan.get("one_application_channels") or []) or "各自的渠道"
        lines.append(
            f"· 现在就可以一次申请：{nos}（{names}）。通过{via}提交一张表单，"
            "系统按“谁认定、谁修复”同步推送各部门办理，结果共享互认。"
        )
    for e in plan["apply_later"]:
        parts = []
        if e.get("from") and e["from"] > result["as_of"]:
            parts.append(f"{zh_date_weekday(e['from'])}起")
        elif not e.get("from"):
            parts.append("日期待定")
        if e.get("after"):
            parts.append(f"须在{'、'.join(_no(j) for j in e['after'])}移出后再申请")
        lines.append(f"· 稍后申请：{_no(e['index'])}，{'，'.join(parts)}。")
    for e in plan["correct_first"]:
        lines.append(f"· 需先纠正：{_no(e['index'])}——{'；'.join(e['unmet'])}。")
    for e in plan["need_info"]:
        lines.append(f"· 需补充信息：{_no(e['index'])}——{_missing_labels(e['missing_fields'])}。")
    for e in plan["nothing_to_do"]:
        r = by_index[e["index"]]
        if e["status"] == "not_repairable":
            end = f"，{zh_date_weekday(e['auto_end_date'])}起自动结束" if e.get("auto_end_date") else ""
            lines.append(f"· 不能提前修复：{_no(e['index'])}{end}。")
        else:
            why = r["notes"][0] if r.get("notes") else f"{KINDS[r['kind']]}无需修复"
            lines.append(f"· 无需办理：{_no(e['index'])}——{why}")
    return "\n".join(lines)
