"""User-facing texts built from the guide's service settings (hotline, window, welcome)."""

from __future__ import annotations

from bot.guide import Guide, load_guide
from bot.texts import t

WELCOME = t("common.welcome")


def human_how(guide: Guide | None = None) -> str:
    """How to reach a person: the hotline, the window and its hours (guides/service.yml)."""
    service = (guide or load_guide()).service
    hours = t("common.human_hours", hours=service["hours"]) if service.get("hours") else ""
    if service.get("hotline_note"):
        return t("common.human_how_noted", hotline=service["hotline"], note=service["hotline_note"],
                 window=service["window"], hours=hours)
    return t("common.human_how", hotline=service["hotline"], window=service["window"], hours=hours)


def human_handoff_text(guide: Guide | None = None) -> str:
    return t("common.human", how=human_how(guide))


def due_reminders_text(reminders: list[dict]) -> str:
    """双书同达 at the next visit: which records may now be repaired."""
    from bot.rules.explain import zh_date_weekday

    lines = [t("common.due_reminders_head")]
    lines += [t("common.due_reminders_line", summary=r["summary"], date=zh_date_weekday(r["remind_on"]))
              for r in reminders]
    lines.append(t("common.due_reminders_tail"))
    return "\n".join(lines)
