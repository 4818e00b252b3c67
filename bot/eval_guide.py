"""Held-out evaluation of guide answers: `python -m bot.eval_guide [--model PATH] [-v]`.

Loads the trained Rasa model (default: the newest models/*.tar.gz), parses every question of
tests/heldout/guide_questions.yml with the model's NLU, runs the same resolution and answer code
as the Rasa action (bot.guide.resolve.respond) with an empty conversation, and compares the guide
section (and topic) of the answer with the expected one. Prints the share answered from the right
section and exits non-zero below the threshold (90%).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from bot import clock

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = ROOT / "tests" / "heldout" / "guide_questions.yml"
THRESHOLD = 0.90


@dataclass
class Outcome:
    question: str
    expected_source: str
    expected_topic: str
    source: str
    topic: str | None
    intent: str | None
    confidence: float

    @property
    def section_ok(self) -> bool:
        return self.source == self.expected_source

    @property
    def ok(self) -> bool:
        return self.section_ok and self.topic == self.expected_topic


def load_questions(path: Path = HELDOUT) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)["questions"]


def latest_model(models_dir: Path = ROOT / "models") -> Path:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit(f"no trained model in {models_dir} (run `make train` first)")
    return models[-1]


def outcome(question: dict, parse: dict[str, Any], today: dt.date, guide) -> Outcome:
    from bot.guide.resolve import respond

    intent = (parse.get("intent") or {}).get("name")
    confidence = float((parse.get("intent") or {}).get("confidence") or 0.0)
    reply = respond(intent, parse.get("entities") or [], {}, question["q"], today=today, guide=guide)
    return Outcome(question["q"], question["source"], question["topic"], reply.answer.source,
                   reply.answer.topic, intent, confidence)


def _quiet() -> None:
    """Rasa logs every parse at debug level and warns about `/…` texts: keep the report readable."""
    import warnings

    from rasa.utils.log_utils import configure_structlog

    import jieba

    jieba.setLogLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    configure_structlog(logging.ERROR)
    logging.getLogger().setLevel(logging.ERROR)
    for name in ("rasa", "tensorflow", "jieba", "absl"):
        logging.getLogger(name).setLevel(logging.ERROR)


async def _parse_all(model: Path, texts: list[str]) -> list[dict]:
    from rasa.core.agent import Agent

    _quiet()
    agent = Agent.load(str(model))
    return [await agent.parse_message(t) for t in texts]


def evaluate(model: Path, today: dt.date | None = None, questions: list[dict] | None = None) -> list[Outcome]:
    from bot.guide.loader import load_guide

    questions = questions or load_questions()
    parses = asyncio.run(_parse_all(model, [q["q"] for q in questions]))
    guide = load_guide()
    today = today or clock.today()
    return [outcome(q, p, today, guide) for q, p in zip(questions, parses)]


def report(results: list[Outcome], verbose: bool = False) -> float:
    n = len(results)
    section = sum(r.section_ok for r in results) / n
    both = sum(r.ok for r in results) / n
    for r in results:
        if verbose or not r.ok:
            mark = "ok " if r.ok else ("~  " if r.section_ok else "ERR")
            print(f"{mark} {r.question} -> {r.source}:{r.topic} (expected {r.expected_source}:{r.expected_topic};"
                  f" nlu {r.intent} {r.confidence:.2f})")
    print(f"held-out guide questions: {n}")
    print(f"answered from the right section: {section:.1%}")
    print(f"right section and topic: {both:.1%}")
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Held-out evaluation of guide answers")
    parser.add_argument("--model", type=Path, help="model archive (default: newest in models/)")
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    parser.add_argument("--today", type=dt.date.fromisoformat, help="date the rules apply on")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every question")
    args = parser.parse_args(argv)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    model = args.model or latest_model()
    print(f"model: {model}")
    share = report(evaluate(model, today=args.today), verbose=args.verbose)
    if share < args.threshold:
        print(f"FAIL: below {args.threshold:.0%}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
