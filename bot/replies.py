"""User-facing texts built from the guide's service settings (hotline, window, welcome)."""

from __future__ import annotations

from bot.guide import Guide, load_guide

WELCOME = (
    "您好！我是四川信用修复“一件事”助手，可以帮您：\n"
    "1. 解答修复条件、材料、时限和流程；\n"
    "2. 判断您的记录走哪条修复路径、什么时候能申请；\n"
    "3. 在线填写“一张表单”提交申请；\n"
    "4. 查询办理进度。\n"
    "信用修复全程免费。请直接说出您的问题。"
)


def human_handoff_text(guide: Guide | None = None) -> str:
    service = (guide or load_guide()).service
    parts = [
        f"需要人工帮助的话：可拨打 {service['hotline']}",
        f"（{service['hotline_note']}）" if service.get("hotline_note") else "",
        f"，或到{service['window']}现场办理",
        f"，办公时间{service['hours']}" if service.get("hours") else "",
        "。您在这里已填写的信息会保留，随时可以回来继续。",
    ]
    return "".join(parts)


def due_reminders_text(reminders: list[dict]) -> str:
    """双书同达 at the next visit: which records may now be repaired."""
    from bot.rules.explain import zh_date_weekday

    lines = ["提醒：您之前预约的信用修复提醒已到期——"]
    lines += [f"· {r['summary']}（{zh_date_weekday(r['remind_on'])}起）" for r in reminders]
    lines.append("现在就可以申请，回复“开始申请”即可办理（已说过的信息无需重复）。")
    return "\n".join(lines)
