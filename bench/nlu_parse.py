"""NLU cost per message: parse the first 200 held-out questions twice with a trained model.

    python bench/nlu_parse.py models/current.tar.gz [other.tar.gz ...]
    python bench/nlu_parse.py --pair [--passes 3] [models/current.tar.gz]

Prints wall and CPU time per parse (after 20 warm-up parses), in the process that parses, with
the startup patches of bot/rasa_patches.py. Figures: bench/README.md.

`--pair` asks what two cores give on this machine for Rasa's kind of work (TensorFlow, numpy,
Python objects): the same parses in one process alone, then in two processes at once (each
loaded and warmed first, started together), alternately. If each of the pair needs more CPU per
parse than the one alone, the two vCPUs slow each other (a shared cache, memory bandwidth, the
host's frequency), and two replicas cannot give 2x one process whatever the other processes take:
the ratio printed is the most two processes gave over one on the same work.
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


async def child(model: str, start_file: str, rounds: int) -> None:
    """Load and warm up, wait for the start file, parse, print one JSON line."""
    import json

    qs = questions()
    agent = Agent.load(model)
    for q in qs[:20]:
        await agent.parse_message(q)
    print("ready", flush=True)
    while not os.path.exists(start_file):
        await asyncio.sleep(0.01)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(rounds):
        for q in qs:
            await agent.parse_message(q)
    n = rounds * len(qs)
    print(json.dumps({"parses": n, "wall_s": time.perf_counter() - wall,
                      "cpu_ms": (time.process_time() - cpu) / n * 1000}), flush=True)


def run_together(model: str, count: int, rounds: int, tf_threads: int = 0) -> list[dict]:
    """`count` child processes, each loaded and warmed up, started at the same moment."""
    import json
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        start = os.path.join(tmp, "start")
        env = dict(os.environ)
        if tf_threads:  # as bot/scaled.py sets for more than one process
            env["TF_INTRA_OP_PARALLELISM_THREADS"] = env["TF_INTER_OP_PARALLELISM_THREADS"] = str(tf_threads)
        procs = [subprocess.Popen([sys.executable, __file__, "--child", model, start, str(rounds)],
                                  stdout=subprocess.PIPE, text=True, env=env) for _ in range(count)]
        for proc in procs:
            assert proc.stdout is not None
            while proc.stdout.readline().strip() != "ready":
                if proc.poll() is not None:
                    raise SystemExit("a child process ended before it was ready")
        Path(start).touch()
        results = []
        for proc in procs:
            out, _ = proc.communicate()
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results


def pair(model: str, passes: int, rounds: int = 2) -> int:
    """Per pass: one process alone with TensorFlow's own threads (as `make run`), one alone with one
    thread, two at once with one thread each (as bot/scaled.py runs replicas)."""
    print(f"{model}: {len(questions())} questions x {rounds} per process")
    ratios: dict[str, list[float]] = {"own threads": [], "one thread": []}
    for i in range(1, passes + 1):
        [alone] = run_together(model, 1, rounds)
        [alone1] = run_together(model, 1, rounds, tf_threads=1)
        both = run_together(model, 2, rounds, tf_threads=1)
        rate = lambda r: r["parses"] / r["wall_s"]  # noqa: E731
        two_rate = sum(r["parses"] for r in both) / max(r["wall_s"] for r in both)
        ratios["own threads"].append(two_rate / rate(alone))
        ratios["one thread"].append(two_rate / rate(alone1))
        print(f"pass {i}: alone, TensorFlow's threads: CPU {alone['cpu_ms']:.1f} ms/parse, "
              f"{rate(alone):.1f} parses/s; alone, one thread: CPU {alone1['cpu_ms']:.1f} ms, "
              f"{rate(alone1):.1f}/s; two at once, one thread each: CPU {both[0]['cpu_ms']:.1f} and "
              f"{both[1]['cpu_ms']:.1f} ms, {two_rate:.1f}/s together = "
              f"{two_rate / rate(alone):.2f}x / {two_rate / rate(alone1):.2f}x the two alone")
    for name, values in ratios.items():
        print(f"two processes / one alone with {name}: {min(values):.2f}-{max(values):.2f}x")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        rasa_patches.apply()
        asyncio.run(child(argv[1], argv[2], int(argv[3])))
        return 0
    if argv[:1] == ["--pair"]:
        import argparse

        parser = argparse.ArgumentParser(prog="nlu_parse.py --pair")
        parser.add_argument("--passes", type=int, default=3)
        parser.add_argument("model", nargs="?", default=str(REPO / "models" / "current.tar.gz"))
        args = parser.parse_args(argv[1:])
        return pair(args.model, args.passes)
    rasa_patches.apply()
    qs = questions()
    for model in argv or [str(REPO / "models" / "current.tar.gz")]:
        wall, cpu = asyncio.run(measure(model, qs))
        print(f"{model}: {len(qs)} questions, per parse wall {wall:.1f} ms, CPU {cpu:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
