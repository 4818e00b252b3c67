"""「查看详情」 after a path verdict: the full explanation of the last verdict (slot
`paths_result`), from bot.rules.explain.details — materials, time limit, basis and the combined
plan, the caveat once. The verdict itself is the phone-sized bot.rules.explain.short."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.rules.explain import details
from bot.texts import t

DomainDict = Dict[Text, Any]


class ActionShowPathDetails(Action):
    def name(self) -> Text:
        return "action_show_path_details"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        result = tracker.get_slot("paths_result")
        if not result or not result.get("results"):
            dispatcher.utter_message(text=t("paths.details_none"))
            return []
        # One message per part (intro, each record, plan, notes): each fits a phone screen better.
        for part in details(result).split("\n\n"):
            dispatcher.utter_message(text=part)
        return []
