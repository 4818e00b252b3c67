"""`make bench-wechat`: WeChat's 5-second rule under load (issue 12, item 6).

N simulated WeChat users (default 50) talk at once to the real WeChat channel
(bot/channels/wechat.py) in front of the real Rasa agent (this process, the same Agent,
endpoints.yml and patches as `bot.rasa_server`), with the action server and the case store as
their own processes. Every message is signed like WeChat signs it (and, with --safe, encrypted
in 安全模式) and posted over HTTP; the channel answers passively when the answer is ready within
its reply timeout (4.5 s), else with "success" and sends the answer later through the
customer-service API — here a counting fake in this process (no network).

Each user sends the same 7 messages (greeting, guide questions with a follow-up, a record's
verdict, thanks) with a random think time between them (--think, seconds, uniform). Reported:
passive replies within 4.5 s (share of messages), customer-service fallbacks (share, and whether
each fallback's answer arrived), HTTP response p50/p95/p99, turns/s, Rasa RSS.

    python bench/wechat_load.py [--users 50] [--think 2 6] [--safe]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import socket
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TOKEN, APP_ID, ACCOUNT = "bench-token", "wx-bench", "gh_bench"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SCRIPT = ["你好", "被市场监管局罚款了，怎么修复？", "要准备哪些材料", "那要多久？", "修复收费吗",
          "2026年1月10日被税务局罚款5000元，一般失信，已经缴清了，能修复吗", "谢谢"]


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def text_xml(content: str, msg_id: str, openid: str) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


class CountingSender:
    """The customer-service API, counted: (openid, text, monotonic time)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, float]] = []

    async def send_text(self, openid: str, text: str) -> None:
        self.sent.append((openid, text, time.monotonic()))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(args) -> dict:
    import aiohttp
    import rasa.core.agent
    import xmltodict
    from rasa.core.channels.channel import register
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog
    from sanic import Sanic
    from wechatpy.crypto import WeChatCrypto

    from bot import rasa_form_pause, rasa_patches
    from bot.channels.wechat import WeChatInput
    from profile import rss_mib

    configure_logging_and_warnings(None)
    configure_structlog(None)
    rasa_patches.apply()
    rasa_form_pause.install()
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml"))
    agent = await rasa.core.agent.load_agent(model_path=str(ROOT / "models" / "current.tar.gz"),
                                             endpoints=endpoints)
    sender = CountingSender()
    channel = WeChatInput(TOKEN, APP_ID, "bench-secret", encoding_aes_key=AES_KEY if args.safe else None,
                          sender=sender)
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID) if args.safe else None
    app = Sanic(f"wechat_bench_{uuid.uuid4().hex[:6]}")
    app.config.ACCESS_LOG = False
    app.ctx.agent = agent
    register([channel], app, route="/webhooks/")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    await server.before_start()
    await server.after_start()
    url = f"http://127.0.0.1:{port}/webhooks/wechat/webhook"
    rng = random.Random(2024)
    results: list[dict] = []

    async def post(http, openid: str, text: str, msg_id: str) -> dict:
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        params = {"timestamp": timestamp, "nonce": nonce, "openid": openid,
                  "signature": sign(TOKEN, timestamp, nonce)}
        body = text_xml(text, msg_id, openid)
        if crypto:
            wrapped = xmltodict.parse(crypto.encrypt_message(body, nonce, timestamp))["xml"]
            params.update(encrypt_type="aes", msg_signature=wrapped["MsgSignature"])
            body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                    f"<Encrypt><![CDATA[{wrapped['Encrypt']}]]></Encrypt></xml>")
        start = time.monotonic()
        async with http.post(url, params=params, data=body.encode(), headers={"Content-Type": "text/xml"},
                             timeout=aiohttp.ClientTimeout(total=15)) as r:
            answer = await r.text()
            status = r.status
        took = time.monotonic() - start
        return {"openid": openid, "status": status, "seconds": took, "sent_at": start,
                "passive": status == 200 and answer not in ("", "success")}

    async def user(http, i: int) -> None:
        openid = f"o-bench-{i:03d}-{uuid.uuid4().hex[:6]}"
        await asyncio.sleep(rng.uniform(0, args.think[1]))  # users do not all start together
        for n, text in enumerate(SCRIPT):
            results.append(await post(http, openid, text, f"{i:03d}{n:02d}{uuid.uuid4().int % 10**8}"))
            await asyncio.sleep(rng.uniform(*args.think))

    began = time.monotonic()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        await asyncio.gather(*(user(http, i) for i in range(args.users)))
    elapsed = time.monotonic() - began
    fallbacks = [r for r in results if r["status"] == 200 and not r["passive"]]
    deadline = time.monotonic() + 60  # the late answers still on their way
    while time.monotonic() < deadline:
        if {r["openid"] for r in fallbacks} <= {o for o, _, _ in sender.sent}:
            break
        await asyncio.sleep(0.5)
    reached = {o for o, _, _ in sender.sent}
    late = [min((t for o, _, t in sender.sent if o == r["openid"] and t >= r["sent_at"]), default=None)
            for r in fallbacks]
    late_seconds = [t - r["sent_at"] for r, t in zip(fallbacks, late) if t is not None]
    rss = rss_mib(os.getpid())
    for task in list(channel._tasks):
        task.cancel()
    await server.before_stop()
    await server.close()
    await server.after_stop()
    seconds = [r["seconds"] for r in results]
    ok = [r for r in results if r["status"] == 200]
    return {
        "users": args.users, "think": args.think, "safe": args.safe, "messages": len(results),
        "errors": len(results) - len(ok),
        "passive_within_4_5s": sum(1 for r in ok if r["passive"] and r["seconds"] <= 4.5) / max(1, len(results)),
        "fallbacks": len(fallbacks) / max(1, len(results)),
        "fallback_users_reached": len({r["openid"] for r in fallbacks} & reached) / max(1, len({r["openid"] for r in fallbacks})),
        "fallback_answer_p50_s": pct(late_seconds, 0.5), "fallback_answer_p95_s": pct(late_seconds, 0.95),
        "http_p50_ms": pct(seconds, 0.5) * 1000, "http_p95_ms": pct(seconds, 0.95) * 1000,
        "http_p99_ms": pct(seconds, 0.99) * 1000, "turns_per_s": len(results) / elapsed, "rss_rasa_mib": rss,
    }


def main() -> None:
    from profile import running_services

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--think", type=float, nargs=2, default=[2.0, 6.0], metavar=("MIN", "MAX"))
    parser.add_argument("--safe", action="store_true", help="安全模式: messages and replies encrypted")
    parser.add_argument("--base-port", type=int, default=int(os.environ.get("PROFILE_BASE_PORT") or 5870))
    parser.add_argument("--json", type=Path, default=ROOT / "var" / "bench-wechat.json")
    parser.add_argument("--tracker", default="sqlite")
    parser.add_argument("--lock", default="in_memory")
    args = parser.parse_args()
    with running_services(args):
        result = asyncio.run(run(args))
    print(json.dumps(result, ensure_ascii=False, indent=1))
    args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
