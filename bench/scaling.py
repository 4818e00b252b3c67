"""`make bench-scaling`: the same load on several layouts, one after another (bot/scaled.py):

    single     one Rasa process as `make run` (SQLite tracker, in-memory lock), no balancer
    single-nopatch  the same without bot/rasa_patches.py (RASA_STARTUP_PATCHES=0)
    single-pg  one Rasa process, PostgreSQL tracker + atomic Redis lock (the scaled stores)
    workers2   one Rasa process with SANIC_WORKERS=2 (PostgreSQL + Redis)
    replicas2  two Rasa replicas + two action servers behind nginx, round robin (PostgreSQL + Redis)
    replicas2-sender  the same, a conversation kept on one replica (nginx hashes X-Chat-Sender)

For each: closed loop (bench/latency.py: N=1 and N=20 conversations, no think time), open loop
(bench/openloop.py: Poisson arrivals at rising offered rates, mixed turns), RSS per process.
Results: var/bench-scaling.json and a summary on stdout.

    python bench/scaling.py [--layouts single replicas2] [--rates 10 20 25 30 40] [--duration 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

LAYOUTS = {
    "single": dict(replicas=1, workers=1, local_stores=True),
    "single-nopatch": dict(replicas=1, workers=1, local_stores=True, RASA_STARTUP_PATCHES="0"),
    "single-pg": dict(replicas=1, workers=1),
    "workers2": dict(replicas=1, workers=2),
    "replicas2": dict(replicas=2, workers=1),
    "replicas2-sender": dict(replicas=2, workers=1, routing="sender"),
}


def rss(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_layout(name: str, args) -> dict:
    import cpu_account
    import latency
    import openloop

    from bot.scaled import ScaledLayout

    spec = LAYOUTS[name]
    workdir = ROOT / "var" / "bench-scaled" / name
    t0 = time.time()
    with ScaledLayout(base_port=args.base_port, workdir=workdir, db_prefix=f"issue12_bench_{name.replace('-', '_')}",
                      fresh=True, model=args.model, ASSISTANT_TODAY="2026-11-25", CASESTORE_AGENT_TOKEN="bench-agent",
                      CASESTORE_ASSISTANT_TOKEN="bench-assistant", CASESTORE_OUTBOX_INTERVAL="0",
                      **spec) as layout:
        started = time.time() - t0
        # the balancer for replicas; a single process is measured on its own port
        url = layout.url if spec["replicas"] > 1 else f"http://127.0.0.1:{layout.rasa_ports[0]}"
        asyncio.run(latency.run(url, 2, 4))  # warm-up
        closed = {}
        for n in (1, 20):
            before = cpu_account.snapshot(layout.pids())
            closed[n] = asyncio.run(latency.run(url, n, len(latency.SCRIPT)))
            used = cpu_account.spent(before, cpu_account.snapshot(layout.pids()))
            closed[n]["cpu_ms_per_turn"] = cpu_account.per_turn(used, closed[n]["turns"])
        cpu = closed[20]["cpu_ms_per_turn"]
        bound = cpu_account.replica_ratio_bound(cpu)
        served = cpu_account.replica_ratio_bound(cpu, exclude=("load generator", "other"))
        print(f"[{name}] closed N=20 CPU ms per turn: "
              + ", ".join(f"{k} {v:.1f}" for k, v in sorted(cpu.items(), key=lambda kv: -kv[1]))
              + f"; 2 replicas at most {bound}× one process here ({served}× without the load generator)", flush=True)
        for n, r in closed.items():
            print(f"[{name}] closed N={n}: p50={r['p50_ms']:.0f} p95={r['p95_ms']:.0f} p99={r['p99_ms']:.0f} ms "
                  f"turns/s={r['turns_per_s']:.1f} errors={r['errors']} by replica={r.get('turns_by_replica')}",
                  flush=True)
        opened = asyncio.run(openloop.sweep(url, args.rates, args.duration))
        memory = {svc: [round(rss(pid)) for pid in pids] for svc, pids in layout.pids().items()}
        print(f"[{name}] RSS MiB: {memory}", flush=True)
    return {"layout": name, "spec": spec, "startup_s": started, "closed": closed, "open": opened, "rss_mib": memory,
            "ratio_bound": bound, "ratio_bound_served": served}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layouts", nargs="+", default=["single", "workers2", "replicas2"], choices=list(LAYOUTS))
    parser.add_argument("--rates", type=float, nargs="+", default=[10, 20, 25, 30, 40])
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--base-port", type=int, default=int(os.environ.get("SCALED_BASE_PORT") or 5800))
    parser.add_argument("--json", type=Path, default=ROOT / "var" / "bench-scaling.json")
    parser.add_argument("--model", default="models/current.tar.gz", help="the trained model (another config's, to compare)")
    args = parser.parse_args()
    results = []
    for name in args.layouts:
        results.append(run_layout(name, args))
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    print("\nlayout | closed N=1 p95 | closed N=20 turns/s, p95 | open: highest offered rate with p95 <= 1 s "
          "(p95 at 25/s) | users at 10 s think time")
    for r in results:
        ok = [o for o in r["open"] if o["p95_ms"] <= 1000 and o["errors"] == 0]
        best = max(ok, key=lambda o: o["offered"]) if ok else None
        at25 = next((o for o in r["open"] if o["offered"] == 25), None)
        users = best["offered"] * (10 + best["p50_ms"] / 1000) if best else 0
        best_txt = f"{best['offered']:.0f}/s" if best else "-"
        at25_txt = f"{at25['p95_ms']:.0f} ms" if at25 else "-"
        print(f"{r['layout']} | {r['closed'][1]['p95_ms']:.0f} ms | {r['closed'][20]['turns_per_s']:.1f}, "
              f"{r['closed'][20]['p95_ms']:.0f} ms | {best_txt} ({at25_txt}) | {users:.0f}")


if __name__ == "__main__":
    main()
