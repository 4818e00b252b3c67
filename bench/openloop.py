"""Open-loop load on the running assistant (REST channel): turns arrive as a Poisson process at
a fixed offered rate, whatever the server's speed (unlike bench/latency.py's closed loop).

Each arrival is one turn, drawn 60% guide question / 30% form step / 10% submission or lookup:
- guide: the next question of an idle guide conversation (up to 8 questions, then a new one);
- form: the next step of an idle form conversation (a tax fine, then /start_application and
  the fields up to 同意), or a new one;
- submission/lookup: 确认提交 of a form conversation that reached the summary, otherwise a
  查询进度 of a case submitted earlier (or of an unknown number before the first case).
A conversation has at most one turn in flight (a user waits for the answer); when none is idle
a new conversation starts, so the offered rate is kept. Reports p50/p95/p99 per rate.

    python bench/openloop.py --url http://127.0.0.1:5800 --rates 10 20 25 30 --duration 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import time
import uuid

import aiohttp

GUIDE = ["被市场监管局罚款了，怎么修复？", "要准备哪些材料", "那要多久？", "修复收费吗",
         "税务局的黑名单多久能移出", "什么是双书同达", "经营异常名录怎么移出", "去哪里办理"]
CASE_NO = re.compile(r"XF-\d{8}-\d{5,7}")


def _uscc(rng: random.Random) -> str:
    from stdnum.cn import uscc

    body = "91510100" + "".join(rng.choice("0123456789") for _ in range(9))
    return body + uscc.calc_check_digit(body)


def form_steps(rng: random.Random, phone: str) -> list[str]:
    return ["2026年1月10日被税务局罚款5000元，一般失信，已经缴清了，能修复吗", "/start_application",
            f"成都{rng.choice('东南西北中')}{rng.randrange(100, 999)}号科技有限公司", _uscc(rng), "王五", "本人",
            phone, "同意"]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


class Load:
    def __init__(self, url: str, seed: int) -> None:
        self.url, self.rng = url, random.Random(seed)
        self.guide: list[dict] = []   # idle guide conversations
        self.forms: list[dict] = []   # idle form conversations with steps left
        self.ready: list[dict] = []   # idle form conversations at the summary
        self.cases: list[tuple[str, str]] = []
        self.samples: list[tuple[str, float, bool]] = []

    def next_turn(self) -> tuple[dict, str, str]:
        r = self.rng.random()
        if r < 0.6:
            conv = self.guide.pop() if self.guide else {"sender": f"ol-g-{uuid.uuid4().hex[:10]}", "n": 0}
            text = GUIDE[conv["n"] % len(GUIDE)]
            conv["n"] += 1
            return conv, text, "guide"
        if r < 0.9:
            if self.forms:
                conv = self.forms.pop(self.rng.randrange(len(self.forms)))
            else:
                phone = f"1391234{self.rng.randrange(1000, 9999)}"
                conv = {"sender": f"ol-f-{uuid.uuid4().hex[:10]}", "steps": form_steps(self.rng, phone),
                        "phone": phone}
            return conv, conv["steps"].pop(0), "form"
        if self.ready:
            return self.ready.pop(0), "确认提交", "submit"
        conv = {"sender": f"ol-l-{uuid.uuid4().hex[:10]}", "n": 0}
        if self.cases:
            case_no, phone = self.rng.choice(self.cases)
            return conv, f"查询进度 {case_no} {phone[-4:]}", "lookup"
        return conv, "查询进度 XF-20261125-00001 1234", "lookup"

    def done(self, conv: dict, kind: str, reply: str) -> None:
        if kind == "guide" and conv["n"] < 8:
            self.guide.append(conv)
        elif kind == "form":
            (self.forms if conv["steps"] else self.ready).append(conv)
        elif kind == "submit":
            m = CASE_NO.search(reply)
            if m:
                self.cases.append((m.group(0), conv["phone"]))

    async def send(self, session: aiohttp.ClientSession, conv: dict, text: str, kind: str, record: bool) -> None:
        start = time.perf_counter()
        ok, reply = False, ""
        try:
            async with session.post(f"{self.url}/webhooks/rest/webhook",
                                    json={"sender": conv["sender"], "message": text},
                                    headers={"X-Chat-Sender": conv["sender"]}) as resp:
                body = await resp.json(content_type=None)
                ok = resp.status == 200 and bool(body)
                reply = " ".join(m.get("text") or "" for m in body or [])
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            ok = False
        if record:
            self.samples.append((kind, time.perf_counter() - start, ok))
        self.done(conv, kind, reply)


async def run_rate(load: Load, rate: float, duration: float, warmup: float = 3.0) -> dict:
    load.samples = []
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        tasks, start = [], time.perf_counter()
        next_at = start
        while True:
            next_at += load.rng.expovariate(rate)
            if next_at - start > warmup + duration:
                break
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            conv, text, kind = load.next_turn()
            tasks.append(asyncio.create_task(load.send(session, conv, text, kind, next_at - start >= warmup)))
        sent_for = time.perf_counter() - start - warmup
        await asyncio.gather(*tasks)
        drained = time.perf_counter() - start - warmup
    lat = [s[1] for s in load.samples]
    kinds = {k: sum(1 for s in load.samples if s[0] == k) for k in ("guide", "form", "submit", "lookup")}
    return {"offered": rate, "turns": len(lat), "achieved": len(lat) / max(drained, 1e-9),
            "sent_per_s": len(lat) / max(sent_for, 1e-9),
            "errors": sum(1 for s in load.samples if not s[2]), "kinds": kinds,
            "p50_ms": percentile(lat, 50) * 1000, "p95_ms": percentile(lat, 95) * 1000,
            "p99_ms": percentile(lat, 99) * 1000}


async def sweep(url: str, rates: list[float], duration: float, seed: int = 7, stop_p95_ms: float = 5000) -> list[dict]:
    load, results = Load(url, seed), []
    for rate in rates:
        result = await run_rate(load, rate, duration)
        results.append(result)
        print(fmt(result), flush=True)
        if result["p95_ms"] > stop_p95_ms:  # saturated: higher rates only queue longer
            break
    return results


def fmt(r: dict) -> str:
    return (f"offered={r['offered']:>5.1f}/s achieved={r['achieved']:5.1f}/s turns={r['turns']:>5} "
            f"errors={r['errors']} p50={r['p50_ms']:.0f}ms p95={r['p95_ms']:.0f}ms p99={r['p99_ms']:.0f}ms "
            f"mix={r['kinds']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--rates", type=float, nargs="+", default=[5, 10, 15, 20, 25, 30, 40])
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--json")
    args = parser.parse_args()
    results = asyncio.run(sweep(args.url, args.rates, args.duration))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
