"""Patch 6 (bot/rasa_patches.py) over every story and rule of the training data: at each action
the trained model predicts with TED deferred and, with RASA_TED_SKIP_CHECK=1, with TED computed
too (a difference raises). Prints JSON: how many predictions, how many skipped TED, and how
many needed it (not counting the check's own computation).
`python -m tests.ted_skip_probe MODEL`; used by tests/test_rasa_patches.py."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys


async def probe(model: str) -> dict:
    from bot import rasa_patches

    os.environ["RASA_TED_SKIP_CHECK"] = "1"
    assert rasa_patches.apply()
    from rasa.core.agent import Agent
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.trackers import DialogueStateTracker

    from tests.test_rasa_patches import _story_trackers

    counts = {"predictions": 0, "skipped": 0, "computed": 0, "policies": {}}
    skipped, resolve = rasa_patches._DeferredPrediction.skipped, rasa_patches._DeferredPrediction.resolve

    def count(name, original):
        def wrapper(self):
            counts[name] += 1
            return original(self)
        return wrapper

    rasa_patches._DeferredPrediction.skipped = count("skipped", skipped)
    rasa_patches._DeferredPrediction.resolve = count("computed", resolve)
    agent = Agent.load(model)
    for story in _story_trackers(agent.domain):
        events = list(story.events)
        for i, event in enumerate(events):
            if not isinstance(event, ActionExecuted) or i == 0:
                continue
            tracker = DialogueStateTracker.from_events(story.sender_id, events[:i], agent.domain.slots)
            if tracker.followup_action:  # not predicted: the graph is not asked
                continue
            prediction = agent.processor._predict_next_with_tracker(tracker)
            counts["predictions"] += 1
            counts["policies"][prediction.policy_name] = counts["policies"].get(prediction.policy_name, 0) + 1
    counts["computed"] -= counts["predictions"]  # the check computes TED once more for each
    return counts


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    print("PROBE " + json.dumps(asyncio.run(probe(sys.argv[1]))))
