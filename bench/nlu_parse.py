"""NLU cost per message: parse the first 200 held-out questions twice with a trained model.

    python bench/nlu_parse.py models/current.tar.gz [other.tar.gz ...]

Prints wall and CPU time per parse (after 20 warm-up parses), in the process that parses, with
the startup patches of bot/rasa_patches.py. Figures: bench/README.md.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from bot import rasa_patches  # noqa: E402
from rasa.core.agent import Agent  # noqa: E402


def questions(n: int = 200) -> list[str]:
    data = yaml.safe_load((REPO / "tests" / "heldout" / "guide_questions.yml").read_text(encoding="utf-8"))
    return [q["q"] for q in data["questions"]][:n]


async def measure(model: str, qs: list[str], rounds: int = 2) -> tuple[float, float]:
    agent = Agent.load(model)
    for q in qs[:20]:
        await agent.parse_message(q)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(rounds):
        for q in qs:
            await agent.parse_message(q)
    n = rounds * len(qs)
    return (time.perf_counter() - wall) / n * 1000, (time.process_time() - cpu) / n * 1000


def main(argv: list[str]) -> int:
    rasa_patches.apply()
    qs = questions()
    for model in argv or [str(REPO / "models" / "current.tar.gz")]:
        wall, cpu = asyncio.run(measure(model, qs))
        print(f"{model}: {len(qs)} questions, per parse wall {wall:.1f} ms, CPU {cpu:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
