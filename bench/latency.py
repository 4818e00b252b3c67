"""Turn latency of the running assistant over the REST channel.

N concurrent simulated conversations each send the same short script of Chinese messages;
prints p50/p95/p99 turn latency, turns/s, and the RSS of the Rasa and action-server processes.

    python bench/latency.py --url http://127.0.0.1:5005 --conversations 20 --turns 6
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import statistics
import time
import uuid
from pathlib import Path

import aiohttp

SCRIPT = [
    "你好",
    "被市场监管局罚款了，怎么修复？",
    "要准备哪些材料",
    "那要多久？",
    "修复收费吗",
    "谢谢",
    "税务局的黑名单多久能移出",
    "什么是双书同达",
]


async def conversation(session: aiohttp.ClientSession, url: str, turns: int, out: list[float],
                       upstreams: collections.Counter | None = None) -> int:
    sender = f"bench-{uuid.uuid4().hex[:8]}"
    errors = 0
    for i in range(turns):
        message = SCRIPT[i % len(SCRIPT)]
        start = time.perf_counter()
        async with session.post(
            f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message},
            headers={"X-Chat-Sender": sender}
        ) as resp:
            body = await resp.json(content_type=None)
            if upstreams is not None and resp.headers.get("X-Upstream"):  # which replica (nginx)
                upstreams[resp.headers["X-Upstream"]] += 1
            if resp.status != 200 or not body:
                errors += 1
        out.append(time.perf_counter() - start)
    return errors


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


def rss_mb(patterns: list[str]) -> dict[str, float]:
    """Resident memory of processes whose command line contains each pattern (MiB)."""
    found = {p: 0.0 for p in patterns}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            status = (proc / "status").read_text()
        except OSError:
            continue
        for pattern in patterns:
            if pattern in cmd:
                for line in status.splitlines():
                    if line.startswith("VmRSS:"):
                        found[pattern] += int(line.split()[1]) / 1024
    return found


async def run(url: str, conversations: int, turns: int) -> dict:
    latencies: list[float] = []
    upstreams: collections.Counter = collections.Counter()
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        start = time.perf_counter()
        errors = await asyncio.gather(
            *(conversation(session, url, turns, latencies, upstreams) for _ in range(conversations))
        )
        elapsed = time.perf_counter() - start
    return {
        "conversations": conversations,
        "turns": len(latencies),
        "errors": sum(errors),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
        "turns_per_s": len(latencies) / elapsed,
        "turns_by_replica": dict(upstreams),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"))
    parser.add_argument("--conversations", "-n", type=int, default=1)
    parser.add_argument("--turns", type=int, default=len(SCRIPT))
    args = parser.parse_args()
    result = asyncio.run(run(args.url, args.conversations, args.turns))
    memory = rss_mb(["bot.action_server", "bot.rasa_server"])  # every such process on this machine
    print(
        f"N={result['conversations']:>3} turns={result['turns']:>4} errors={result['errors']} "
        f"p50={result['p50_ms']:.0f}ms p95={result['p95_ms']:.0f}ms p99={result['p99_ms']:.0f}ms "
        f"turns/s={result['turns_per_s']:.1f} "
        f"RSS rasa={memory['bot.rasa_server']:.0f}MiB actions={memory['bot.action_server']:.0f}MiB"
    )


if __name__ == "__main__":
    main()
