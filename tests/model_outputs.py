"""What the trained model predicts, as JSON on stdout: `python -m tests.model_outputs MODEL`.
RASA_STARTUP_PATCHES=0 loads it Rasa's way, anything else with bot/rasa_patches.py;
REFERENCE_TED=1 loads TED Rasa's way and DIET with the patch. Used by tests/test_rasa_patches.py
to show that the fast loader predicts exactly as Rasa's own."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys

MESSAGES = ["你好", "公司被罚款了能修复吗", "要带啥子材料", "我们屋头那个小卖部遭列进经营异常了 年报忘求了报 咋个整嘛",
            "要好久才弄得好哦", "不得行 我不想承诺", "转人工", "撤回申请", "2026年1月10日被税务局罚款5000元，一般失信，已经缴清了",
            "成都锦程商贸有限公司，信用代码91510100MA6CQ7FW7R，法人王建国", "没听懂", "谢谢"]
CONVERSATIONS = [["你好", "公司被罚款了能修复吗", "要带啥子材料", "谢谢"], ["/start_application", "不想弄了", "转人工"],
                 ["年报忘了报咋个整", "多久能好", "好的"]]


async def outputs(model: str) -> dict:
    from bot import rasa_patches

    patched = rasa_patches.apply()
    if os.environ.get("REFERENCE_TED") == "1":
        # TED loaded Rasa's own way, DIET with the patch: the reference for TED's probabilities
        # costs 15 s instead of the 60 s both models take Rasa's way.
        from rasa.core.policies.ted_policy import TED
        from rasa.utils.tensorflow.models import RasaModel

        TED.load = classmethod(RasaModel.load.__wrapped__)
        patched = "ted-original"
    from rasa.core.agent import Agent
    from rasa.core.policies.ted_policy import TEDPolicy
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    agent = Agent.load(model)
    intents = []
    for text in MESSAGES:
        parsed = await agent.parse_message(text)
        intents.append([[x["name"], x["confidence"]] for x in parsed["intent_ranking"]])
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    ted = next(n._component for n in nodes if isinstance(n._component, TEDPolicy))
    domain, actions = agent.domain, []
    for conversation in CONVERSATIONS:
        tracker = DialogueStateTracker("check", domain.slots)
        tracker.update(ActionExecuted("action_listen"))
        for text in conversation:
            parsed = await agent.parse_message(text)
            tracker.update(UserUttered(text, parsed["intent"], parsed["entities"], parse_data=parsed))
            probabilities = ted.predict_action_probabilities(tracker, domain).probabilities
            actions.append(probabilities)
            tracker.update(ActionExecuted(domain.action_names_or_texts[probabilities.index(max(probabilities))]))
            tracker.update(ActionExecuted("action_listen"))
    return {"patched": patched, "intents": intents, "actions": actions}


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    print("OUTPUTS " + json.dumps(asyncio.run(outputs(sys.argv[1])), ensure_ascii=False))
