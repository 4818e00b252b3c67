"""Held-out evaluation of guide answers: `python -m bot.eval_guide [--model PATH] [-v]`.

Loads the trained Rasa model (default: the newest models/*.tar.gz), parses every question of
tests/heldout/guide_questions.yml with the model's NLU (and, for questions with `context`, the
earlier turns first, carrying the slots the action sets), runs the same resolution and answer code
as the Rasa action (bot.guide.resolve.respond) and grades the reply the user sees first:

* content-graded (the headline score): the reply contains every fact in `must` (a string, or a
  list of alternatives of which one must appear) and none of the phrases in `must_not` or in the
  file's `must_not_anywhere` (e.g. 「没太明白」). A counter-question alone fails a question that
  has an answer.
* section routing (the old score, kept beside it): the answer came from the expected guide
  section (`source`), for the questions that name one; `clarify` is met by the item-less
  general answer too.

Exits non-zero when the content-graded share is below the threshold (95%).
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
THRESHOLD = 0.95


def _alternatives(fact: Any) -> list[str]:
    return [str(a) for a in fact] if isinstance(fact, list) else [str(fact)]


def missing_facts(reply: str, must: list, must_not: list) -> tuple[list[str], list[str]]:
    """(facts not found, forbidden phrases found) in `reply`."""
    missing = ["/".join(_alternatives(f)) for f in must or () if not any(a in reply for a in _alternatives(f))]
    forbidden = [p for p in must_not or () if p in reply]
    return missing, forbidden


@dataclass
class Outcome:
    question: str
    expected_source: str | None
    expected_topic: str | None
    source: str
    topic: str | None
    intent: str | None
    confidence: float
    reply: str = ""
    missing: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()

    @property
    def section_ok(self) -> bool:
        if self.expected_source is None:
            return True
        if self.expected_source == "clarify":
            return self.source == "clarify" or self.source.startswith("general/")
        return self.source == self.expected_source

    @property
    def ok(self) -> bool:
        return self.section_ok and (self.expected_topic is None or self.topic == self.expected_topic
                                    or self.expected_source == "clarify")

    @property
    def content_ok(self) -> bool:
        return not self.missing and not self.forbidden


def load_file(path: Path = HELDOUT) -> dict:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_questions(path: Path = HELDOUT) -> list[dict]:
    data = load_file(path)
    anywhere = list(data.get("must_not_anywhere") or ())
    return [{**q, "must_not": [*(q.get("must_not") or ()), *anywhere]} for q in data["questions"]]


def latest_model(models_dir: Path = ROOT / "models") -> Path:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit(f"no trained model in {models_dir} (run `make train` first)")
    return models[-1]


def outcome(question: dict, parses: list[dict[str, Any]], today: dt.date, guide) -> Outcome:
    """Grade one question; `parses` are the NLU results of its context turns and then itself."""
    from bot.guide.resolve import respond

    slots: dict[str, Any] = {}
    texts = [*(question.get("context") or ()), question["q"]]
    for text, parse in zip(texts, parses):
        intent = (parse.get("intent") or {}).get("name")
        confidence = float((parse.get("intent") or {}).get("confidence") or 0.0)
        reply = respond(intent, parse.get("entities") or [], slots, text, today=today, guide=guide)
        slots.update(reply.slots)
    text = reply.answer.text
    missing, forbidden = missing_facts(text, question.get("must") or [], question.get("must_not") or [])
    return Outcome(question["q"], question.get("source"), question.get("topic"), reply.answer.source,
                   reply.answer.topic, intent, confidence, text, tuple(missing), tuple(forbidden))


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
    from bot import rasa_patches

    rasa_patches.apply()  # the model loads as in bot.rasa_server
    from rasa.core.agent import Agent

    _quiet()
    agent = Agent.load(str(model))
    return [await agent.parse_message(t) for t in texts]


def evaluate(model: Path, today: dt.date | None = None, questions: list[dict] | None = None) -> list[Outcome]:
    from bot.guide.loader import load_guide

    questions = questions or load_questions()
    texts = [t for q in questions for t in [*(q.get("context") or ()), q["q"]]]
    flat = asyncio.run(_parse_all(model, texts))
    guide = load_guide()
    today = today or clock.today()
    out, i = [], 0
    for q in questions:
        n = len(q.get("context") or ()) + 1
        out.append(outcome(q, flat[i:i + n], today, guide))
        i += n
    return out


def report(results: list[Outcome], verbose: bool = False) -> float:
    """Print the scores (content-graded first) and return the content-graded share."""
    n = len(results)
    content = sum(r.content_ok for r in results) / n
    routed = [r for r in results if r.expected_source is not None]
    section = sum(r.section_ok for r in routed) / max(1, len(routed))
    both = sum(r.ok for r in routed) / max(1, len(routed))
    for r in results:
        if verbose or not r.content_ok:
            mark = "ok " if r.content_ok else "ERR"
            why = ""
            if r.missing:
                why += f" missing {r.missing}"
            if r.forbidden:
                why += f" forbidden {r.forbidden}"
            print(f"{mark} {r.question} -> {r.source}:{r.topic} (nlu {r.intent} {r.confidence:.2f}){why}")
            if not r.content_ok and verbose:
                print("    " + r.reply.replace("\n", "\n    "))
    lengths = sorted(len(r.reply) for r in results)
    print(f"held-out guide questions: {n}")
    print(f"content-graded (reply contains the facts asked for): {content:.1%}")
    print(f"answered from the right section (old score, {len(routed)} questions): {section:.1%}")
    print(f"right section and topic: {both:.1%}")
    print(f"reply length: median {lengths[n // 2]}, max {lengths[-1]} characters")
    return content


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
