"""A button's title typed instead of tapped is the button (bot/channels/typed_buttons.py)."""

from __future__ import annotations

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels import handoff_relay
from bot.channels.typed_buttons import payload_of

VERDICT = [ActionExecuted("action_listen"), UserUttered("遭税务局罚了款"),
           BotUttered("行政处罚信息信用修复（税务部门）：现在就可以申请。", data={"buttons": [
               {"title": "开始申请（已填信息自动带入）", "payload": "/start_application"},
               {"title": "再添加一条记录", "payload": "/add_record"}]})]

DETAILS = VERDICT[:-1] + [BotUttered("…回复“详细”或点“查看详情”看材料、时限和依据。", data={"buttons": [
    {"title": "开始申请（已填信息自动带入）", "payload": "/start_application"},
    {"title": "查看详情", "payload": "/ask_path_details"}]})]


@pytest.mark.parametrize("events, text, payload", [
    (VERDICT, "开始申请（已填信息自动带入）", "/start_application"),   # hand try: read as a guide question
    (VERDICT, "开始申请(已填信息自动带入)", "/start_application"),     # half-width brackets
    (VERDICT, " 再添加一条记录。", "/add_record"),
    (VERDICT, "开始申请吧", None),                                    # words of one's own go to NLU
    (DETAILS, "详细", "/ask_path_details"),                           # as the verdict says to reply
    (DETAILS, "看详细点", "/ask_path_details"),
    (VERDICT, "详细", None),                                          # no details button: NLU
    # fifth hand try: the title typed from the list two replies up, after a question in between
    (VERDICT + [UserUttered("要好久"), BotUttered("【办理时限】…")], "开始申请（已填信息自动带入）", "/start_application"),
    (VERDICT + [UserUttered("好的")], "再添加一条记录", "/add_record"),
    # review: an earlier reply's topic or consent button means what it meant then: NLU reads it now
    (VERDICT[:-1] + [BotUttered("【指引】…", data={"buttons": [
        {"title": "申请材料", "payload": '/ask_materials{"item": "penalty_info", "department": "tax"}'}]}),
        UserUttered("统计局的呢"), BotUttered("【统计】…")], "申请材料", None),
    (VERDICT[:-1] + [BotUttered("确定撤回吗？", data={"buttons": [{"title": "确认撤回", "payload": "同意"}]}),
        UserUttered("等一下"), BotUttered("好的")], "确认撤回", None),
    (VERDICT[:-1] + [BotUttered("材料传好了吗？", data={"buttons": [{"title": "好了", "payload": "/done"}]}),
                     UserUttered("等一下"), BotUttered("好的")], "好了", None),   # a short title: the latest question's
    ([ActionExecuted("action_listen")], "再添加一条记录", None),
])
def test_a_typed_title_is_its_button(events, text, payload):
    assert payload_of(DialogueStateTracker.from_events("u1", events), text) == payload


async def test_rasa_gets_the_payload_and_the_title_is_kept(monkeypatch):
    class Store:
        def last_seen(self, sender):
            return DialogueStateTracker.from_events(sender, VERDICT)

        async def retrieve(self, sender):
            return DialogueStateTracker.from_events(sender, VERDICT)

    class Agent:
        tracker_store = Store()

    got = []

    async def rasa(message):
        got.append((message.text, message.metadata))

    await handoff_relay.handle(Agent(), UserMessage("开始申请（已填信息自动带入）", CollectingOutputChannel(), "u1"), rasa)
    assert got == [("/start_application", {"shown": "开始申请（已填信息自动带入）"})]
