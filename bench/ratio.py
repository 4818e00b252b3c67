"""Two replicas against one, in alternating short windows on the same minutes of the host.

    python bench/ratio.py [--windows 8] [--turns 16] [--layouts single-pg replicas2 single]

bench/scaling.py runs one layout after another for several minutes each; on a shared 2-vCPU host
whose speed changes by up to 70% between minutes (bench/README.md, 2026-12-05) the ratio of two
such runs says as much about the host as about the layouts. Here every layout is started first
(all of them at once, each on its own ports, PostgreSQL databases and Redis keys — the idle ones
use no CPU to speak of), then a closed loop of 20 conversations runs against each layout in turn,
window after window (A B C A B C …), so that each window of the first layout has a neighbour of
every other layout within seconds. Per window: turns/s, p95, CPU ms per turn by group
(bench/cpu_account.py, of the running layout's processes) and the machine's steal time (the
hypervisor running someone else on our vCPUs). Printed: each window, then per other layout the
ratio of its turns/s to the mean of the first layout's two neighbouring windows (median, range),
and the same ratio read from what does not depend on the host's speed that minute: the cores each
layout keeps busy with Rasa (turns/s × Rasa's CPU per turn) and Rasa's CPU per turn (medians).

Default: one replica on PostgreSQL + Redis as the baseline (the issue's "one replica"), two
replicas behind nginx, and the single process of `make run` (SQLite, in-memory lock).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cpu_account  # noqa: E402
import latency  # noqa: E402
from scaling import LAYOUTS  # noqa: E402


def window(layout, url: str, conversations: int, turns: int) -> dict:
    before = cpu_account.snapshot(layout.pids())
    result = asyncio.run(latency.run(url, conversations, turns))
    used = cpu_account.spent(before, cpu_account.snapshot(layout.pids()))
    result["cpu_ms_per_turn"] = cpu_account.per_turn(used, result["turns"])
    return result


def ratios(runs: dict[str, list[dict]], base: str) -> dict[str, list[float]]:
    """Each other layout's window against the mean of the base's windows just before and after."""
    out: dict[str, list[float]] = {}
    base_rates = [r["turns_per_s"] for r in runs[base]]
    for name, results in runs.items():
        if name == base:
            continue
        out[name] = []
        for i, r in enumerate(results):
            near = base_rates[i:i + 2]  # base window i ran before it, base window i + 1 after
            out[name].append(r["turns_per_s"] / statistics.fmean(near))
    return out


def cores_busy(results: list[dict]) -> dict[str, float]:
    """Medians over the windows: cores kept busy by Rasa and by every process (turns/s × CPU per
    turn), and Rasa's CPU per turn. Cores busy do not depend on how fast the host is that minute."""
    def busy(r: dict, groups) -> float:
        return r["turns_per_s"] * sum(v for k, v in r["cpu_ms_per_turn"].items() if groups(k)) / 1000
    return {
        "rasa": statistics.median(busy(r, lambda k: k == "rasa") for r in results),
        "all": statistics.median(busy(r, lambda k: not k.startswith("machine")) for r in results),
        "rasa_ms": statistics.median(r["cpu_ms_per_turn"].get("rasa", 0) for r in results),
    }


def speed_free_ratio(layout: dict[str, float], base: dict[str, float]) -> float:
    """Turns/s of `layout` over `base` at the same host speed: (Rasa cores busy) / (Rasa ms per turn)."""
    return (layout["rasa"] / layout["rasa_ms"]) / (base["rasa"] / base["rasa_ms"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layouts", nargs="+", default=["single-pg", "replicas2", "single"], choices=list(LAYOUTS))
    parser.add_argument("--windows", type=int, default=8)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--turns", type=int, default=16, help="turns per conversation per window")
    parser.add_argument("--base-port", type=int, default=int(os.environ.get("SCALED_BASE_PORT") or 5800))
    parser.add_argument("--json", type=Path, default=ROOT / "var" / "bench-ratio.json")
    parser.add_argument("--model", default="models/current.tar.gz")
    args = parser.parse_args()

    from bot.clock import utcnow
    from bot.scaled import ScaledLayout

    runs: dict[str, list[dict]] = {name: [] for name in args.layouts}
    with contextlib.ExitStack() as stack:
        started = {}
        for k, name in enumerate(args.layouts):
            spec = LAYOUTS[name]
            layout = stack.enter_context(ScaledLayout(
                base_port=args.base_port + 100 * k, workdir=ROOT / "var" / "bench-ratio" / name,
                db_prefix=f"issue12_ratio_{name.replace('-', '_')}", fresh=True, model=args.model,
                ASSISTANT_TODAY="2026-11-25", CASESTORE_AGENT_TOKEN="bench-agent",
                CASESTORE_ASSISTANT_TOKEN="bench-assistant", CASESTORE_OUTBOX_INTERVAL="0", **spec))
            url = layout.url if spec["replicas"] > 1 else f"http://127.0.0.1:{layout.rasa_ports[0]}"
            asyncio.run(latency.run(url, 2, 4))  # warm-up
            started[name] = (layout, url)
        for w in range(1, args.windows + 2):
            # one more window of the base than of the others, so each has a neighbour on both sides
            for name in args.layouts if w <= args.windows else args.layouts[:1]:
                layout, url = started[name]
                r = window(layout, url, args.conversations, args.turns)
                r["at"] = utcnow().strftime("%H:%M:%S")  # UTC
                runs[name].append(r)
                cpu = r["cpu_ms_per_turn"]
                print(f"window {w} {name}: {r['turns_per_s']:.1f} turns/s, p95 {r['p95_ms']:.0f} ms, "
                      f"errors {r['errors']}; CPU ms/turn rasa {cpu.get('rasa', 0):.1f} "
                      f"actions {cpu.get('actions', 0):.1f} postgres {cpu.get('postgres', 0):.1f} "
                      f"steal {cpu.get('machine steal', 0):.1f} idle {cpu.get('machine idle', 0):.1f}",
                      flush=True)
            args.json.write_text(json.dumps(runs, indent=1, ensure_ascii=False))
    base = args.layouts[0]
    print(f"\nturns/s against {base}'s neighbouring windows (N={args.conversations}, {args.turns} turns each):")
    for name, values in ratios(runs, base).items():
        print(f"{name} / {base}: median {statistics.median(values):.2f}x, {min(values):.2f}-{max(values):.2f}x "
              f"over {len(values)} windows")
    busy = {name: cores_busy(results) for name, results in runs.items()}
    for name, b in busy.items():
        results = runs[name]
        steal = [r["cpu_ms_per_turn"].get("machine steal", 0) for r in results]
        rate = [r["turns_per_s"] for r in results]
        print(f"{name}: {min(rate):.1f}-{max(rate):.1f} turns/s; steal {min(steal):.1f}-{max(steal):.1f} ms per turn; "
              f"cores busy (median): Rasa {b['rasa']:.2f}, every process {b['all']:.2f}; "
              f"Rasa CPU per turn (median) {b['rasa_ms']:.1f} ms")
    for name, b in busy.items():
        if name != base:
            print(f"{name} / {base} from the cores Rasa keeps busy and its CPU per turn (the host's speed cancels): "
                  f"{speed_free_ratio(b, busy[base]):.2f}x")


if __name__ == "__main__":
    main()
