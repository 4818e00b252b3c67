"""Case store benchmark: submissions per second and look-up latency over real HTTP.

    python bench/casestore_bench.py [--submissions 600] [--concurrency 16] [--lookups 1000] [--write]

Starts `python -m bot.casestore serve` on a free localhost port with a temporary SQLite file
(or a fresh schema in $BENCH_DATABASE_URL, PostgreSQL), then
  1. submits N valid applications (each with two records, unique Idempotency-Key) from
     `concurrency` concurrent clients and reports submissions/s;
  2. looks cases up by case number + last 4 phone digits, sequentially (latency p50/p95/p99)
     and concurrently (throughput);
  3. reads the metrics endpoint once (latency), with all the submitted items in the database.
`--write` replaces the figures in bench/casestore.md (machine, CPU, date, settings).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bot import clock  # noqa: E402

OUT = REPO / "bench" / "casestore.md"
TOKEN = "bench-assistant"
AGENT = "bench-agent"
USCC = "91350100M000100Y43"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def body(n: int) -> dict:
    return {
        "applicant": {"subject_type": "enterprise", "name": f"压测企业{n}", "uscc": USCC,
                      "legal_rep": "张三", "agent_name": "李四", "agent_phone": f"138{n % 10**8:08d}"},
        "records": [
            {"kind": "penalty_info", "department": "tax", "decision_number": f"川税罚〔2026〕{n}号",
             "date": "2026-03-10", "obligations_fulfilled": True},
            {"kind": "abnormal_list", "department": "market_regulation", "date": "2025-07-01",
             "obligations_fulfilled": True},
        ],
        "materials": [{"material_id": "tax_paid_proof"}],
        "commitment_accepted": True,
        "channel": "wechat",
        "conversation_id": f"bench-{n}",
    }


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "date": clock.today().isoformat()}


async def submit_all(base: str, n: int, concurrency: int) -> tuple[float, list[str], list[float]]:
    sem = asyncio.Semaphore(concurrency)
    cases: list[str] = []
    lat: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=60,
                                 limits=httpx.Limits(max_connections=concurrency)) as c:
        async def one(i: int):
            async with sem:
                t = time.perf_counter()
                r = await c.post("/api/v1/applications", json=body(i),
                                 headers={"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": uuid.uuid4().hex})
                lat.append(time.perf_counter() - t)
                if r.status_code != 201:
                    raise RuntimeError(f"submission failed: {r.status_code} {r.text[:300]}")
                cases.append((r.json()["case_no"], i))

        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        elapsed = time.perf_counter() - t0
    return n / elapsed, cases, lat


async def lookups(base: str, cases: list, n: int, concurrency: int) -> tuple[list[float], float]:
    seq: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        for _ in range(n):
            case_no, i = random.choice(cases)
            t = time.perf_counter()
            r = await c.get(f"/api/v1/applications/{case_no}", params={"phone": f"{i % 10**8:08d}"[-4:]})
            seq.append(time.perf_counter() - t)
            if r.status_code != 200:
                raise RuntimeError(f"lookup failed: {r.status_code} {r.text[:200]}")
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60,
                                 limits=httpx.Limits(max_connections=concurrency)) as c:
        async def one():
            async with sem:
                case_no, i = random.choice(cases)
                r = await c.get(f"/api/v1/applications/{case_no}", params={"phone": f"{i % 10**8:08d}"[-4:]})
                assert r.status_code == 200

        t0 = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        rate = n / (time.perf_counter() - t0)
    return seq, rate


def start_server(tmp: Path, url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "CASESTORE_PORT": str(port),
           "CASESTORE_ASSISTANT_TOKEN": TOKEN, "CASESTORE_AGENT_TOKEN": AGENT,
           "CASESTORE_UPLOAD_DIR": str(tmp / "uploads"), "CASESTORE_OUTBOX_INTERVAL": "0",
           "PYTHONPATH": str(REPO)}
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "bot.casestore", "serve"], cwd=REPO, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError((tmp / "server.log").read_text())
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--submissions", type=int, default=600)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--lookups", type=int, default=1000)
    ap.add_argument("--write", action="store_true", help="write the figures into bench/casestore.md")
    args = ap.parse_args()

    pg = os.environ.get("BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        schema = None
        if pg:
            from sqlalchemy import create_engine, text

            schema = f"casestore_bench_{secrets.token_hex(4)}"
            eng = create_engine(pg, future=True)
            with eng.begin() as c:
                c.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}"
            backend = "PostgreSQL " + eng.connect().exec_driver_sql("show server_version").scalar()
        else:
            url = f"sqlite:///{tmp / 'bench.db'}"
            import sqlite3

            backend = f"SQLite {sqlite3.sqlite_version} (WAL, file in a temp dir)"
        proc, base = start_server(tmp, url)
        try:
            rate, cases, sub_lat = asyncio.run(submit_all(base, args.submissions, args.concurrency))
            seq, lrate = asyncio.run(lookups(base, cases, args.lookups, args.concurrency))
            t = time.perf_counter()
            m = httpx.get(f"{base}/api/v1/metrics", headers={"Authorization": f"Bearer {AGENT}"}, timeout=60)
            metrics_ms = (time.perf_counter() - t) * 1000
            assert m.status_code == 200 and m.json()["items_total"] == 2 * args.submissions
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            if schema:
                with eng.begin() as c:
                    c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                eng.dispose()

    ms = lambda v: round(v * 1000, 1)  # noqa: E731
    result = {
        **machine(),
        "backend": backend,
        "submissions": args.submissions,
        "concurrency": args.concurrency,
        "submissions_per_s": round(rate, 1),
        "submit_latency_ms": {"p50": ms(pct(sub_lat, 50)), "p95": ms(pct(sub_lat, 95))},
        "lookups": args.lookups,
        "lookup_latency_ms": {"p50": ms(pct(seq, 50)), "p95": ms(pct(seq, 95)), "p99": ms(pct(seq, 99)),
                              "mean": ms(statistics.fmean(seq))},
        "lookups_per_s_concurrent": round(lrate, 1),
        "metrics_ms": round(metrics_ms, 1),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.write:
        write(result)
    return 0


def write(r: dict) -> None:
    start, end = "<!-- figures:start -->", "<!-- figures:end -->"
    block = "\n".join([
        start,
        f"Run on {r['date']}: {r['nproc']} CPUs ({r['cpu']}), Python {r['python']}, {r['backend']}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| submissions/s ({r['submissions']} applications × 2 items, {r['concurrency']} concurrent clients) "
        f"| **{r['submissions_per_s']}** |",
        f"| submit latency p50 / p95 under that load | {r['submit_latency_ms']['p50']} / {r['submit_latency_ms']['p95']} ms |",
        f"| look-up latency p50 / p95 / p99 (sequential, {r['lookups']} requests) "
        f"| **{r['lookup_latency_ms']['p50']} / {r['lookup_latency_ms']['p95']} / {r['lookup_latency_ms']['p99']} ms** |",
        f"| look-ups/s ({r['concurrency']} concurrent clients) | {r['lookups_per_s_concurrent']} |",
        f"| GET /api/v1/metrics with {2 * r['submissions']} items | {r['metrics_ms']} ms |",
        end,
    ])
    text = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
    key = "PostgreSQL" if r["backend"].startswith("PostgreSQL") else "SQLite"
    start_k, end_k = f"<!-- figures:{key}:start -->", f"<!-- figures:{key}:end -->"
    block = block.replace(start, start_k).replace(end, end_k)
    if start_k in text:
        head, rest = text.split(start_k, 1)
        text = head + block + rest.split(end_k, 1)[1]
    else:
        text = text.rstrip() + f"\n\n### {key}\n\n" + block + "\n"
    OUT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
