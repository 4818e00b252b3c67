"""`make bench-profile`: where a turn's time goes, per turn type, early vs late in a conversation.

Rasa runs in this process (the same Agent, endpoints.yml, tracker store and lock store as
`make run`); the case store and the action server run as their own processes, as in production.
Every turn is one `Agent.handle_message`, turns run one after another (nothing overlaps), and
each segment is measured in CPU time of the Rasa process (`time.process_time`, all threads,
TensorFlow's included) and in wall time:

    nlu        MessageProcessor.parse_message (pipeline incl. DIET)
    policy     MessageProcessor._predict_next_with_tracker (all policies; per predicted action)
    actions    RemoteAction.run: HTTP round trip to the action server (count, wall), of which
    validate   RemoteAction._validate_action_result (the jsonschema check; bot/rasa_patches.py)
    retrieve   tracker store retrieve (SQL + decrypt + event replay)
    save       tracker store save
    lock       lock store issue/acquire/release
    act-srv    CPU of the action-server process during the turn (/proc), case store likewise

Turn types: guide (a guide question), path (a record's verdict), form (a form step), submit (the
final 确认提交 → case store). "early" = turns 1-12 of a fresh conversation, "late" = the same
turns after 36 guide questions (turns 37-48).

    python bench/profile.py [--repeat 3] [--no-patches] [--tracker sqlite|postgresql] [--lock redis]
                            [--cprofile var/late.prof]

--cprofile runs Python's profiler over the late turns only (turns 37-48) and writes its stats
there, with the 25 functions of most own time printed: where a late turn's CPU goes below the
segments above.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GUIDE = ["被市场监管局罚款了，怎么修复？", "要准备哪些材料", "那要多久？", "修复收费吗",
         "税务局的黑名单多久能移出", "什么是双书同达"]
SEGMENTS = ["nlu", "policy", "actions", "validate", "retrieve", "save", "lock"]
TICK = os.sysconf("SC_CLK_TCK")


def uscc(rng: random.Random) -> str:
    from stdnum.cn import uscc as u

    body = "91510100" + "".join(rng.choice("0123456789") for _ in range(9))
    return body + u.calc_check_digit(body)


def flow(rng: random.Random, i: int) -> list[tuple[str, str]]:
    """(turn type, message): two guide questions, a verdict, the form, the submission."""
    return [("guide", "要准备哪些材料"), ("guide", "修复收费吗"),
            ("path", "2026年1月10日被税务局罚款5000元，一般失信，已经缴清了，能修复吗"),
            ("form", "/start_application"), ("form", f"成都测试{i}号科技有限公司"), ("form", uscc(rng)),
            ("form", "王五"), ("form", "本人"), ("form", f"1381234{rng.randrange(1000, 9999)}"),
            ("form", "同意"), ("submit", "确认提交"), ("guide", "什么是双书同达")]


def cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError):
        return 0.0


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Probe:
    """Accumulates CPU/wall time per segment for the current turn."""

    def __init__(self) -> None:
        self.turn: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])

    def add(self, name: str, cpu: float, wall: float) -> None:
        seg = self.turn[name]
        seg[0] += cpu
        seg[1] += wall
        seg[2] += 1

    def wrap(self, owner, attr: str, name: str) -> None:
        original = getattr(owner, attr)
        probe = self
        if asyncio.iscoroutinefunction(original):
            @functools.wraps(original)
            async def timed(*a, **kw):
                c, w = time.process_time(), time.perf_counter()
                try:
                    return await original(*a, **kw)
                finally:
                    probe.add(name, time.process_time() - c, time.perf_counter() - w)
        else:
            @functools.wraps(original)
            def timed(*a, **kw):
                c, w = time.process_time(), time.perf_counter()
                try:
                    return original(*a, **kw)
                finally:
                    probe.add(name, time.process_time() - c, time.perf_counter() - w)
        setattr(owner, attr, timed)


def print_top(path, what: str) -> None:
    import pstats

    print(f"--- {what}: the 30 functions of most own time, then of most cumulative time")
    stats = pstats.Stats(str(path)).sort_stats("tottime")
    stats.print_stats(30)
    stats.sort_stats("cumulative").print_stats(30)


def profiler_args(path) -> list[str]:
    """`python -m cProfile -o path -m module`: the action server profiled for the whole run; it is
    stopped with SIGINT (sanic stops, the module returns, cProfile writes its stats)."""
    return ["-m", "cProfile", "-o", str(path)] if path else []


def start_services(args, env: dict) -> dict[str, subprocess.Popen]:
    logs = ROOT / "var"
    procs = {
        "casestore": subprocess.Popen([sys.executable, "-m", "bot.casestore", "serve"], cwd=ROOT, env=env,
                                      stdout=open(logs / "profile-casestore.log", "w"), stderr=subprocess.STDOUT),
        "actions": subprocess.Popen([sys.executable, *profiler_args(getattr(args, "cprofile_actions", None)), "-m", "bot.action_server",
                                     "--actions", "actions", "--port", str(args.base_port + 1)], cwd=ROOT, env=env,
                                    stdout=open(logs / "profile-actions.log", "w"), stderr=subprocess.STDOUT),
    }
    import httpx

    for url in (f"http://127.0.0.1:{args.base_port + 2}/healthz", f"http://127.0.0.1:{args.base_port + 1}/health"):
        deadline = time.time() + 180
        while True:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise SystemExit(f"not up: {url}")
            time.sleep(0.5)
    return procs


@contextlib.contextmanager
def running_services(args):
    """The case store and the action server of `environment(args)` for the time of the block
    (this process's environment set to it too); `args.pids` names their processes."""
    env = environment(args)
    os.environ.update(env)
    procs = start_services(args, env)
    args.pids = {k: p.pid for k, p in procs.items()}
    try:
        yield env
    finally:
        for name, p in procs.items():
            if name == "actions" and getattr(args, "cprofile_actions", None):
                p.send_signal(signal.SIGINT)
            else:
                p.terminate()
        for p in procs.values():
            p.wait(timeout=30)
        if getattr(args, "cprofile_actions", None):
            print_top(args.cprofile_actions, "action server, whole run")


def environment(args) -> dict:
    tmp = ROOT / "var" / "profile"
    tmp.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:6]
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT),
               ASSISTANT_TODAY="2026-11-25", APP_ENV="development",
               ACTION_ENDPOINT_URL=f"http://127.0.0.1:{args.base_port + 1}/webhook", ACTIONS_SHARED_SECRET="",
               CASESTORE_URL=f"http://127.0.0.1:{args.base_port + 2}", CASESTORE_PORT=str(args.base_port + 2),
               CASESTORE_AGENT_TOKEN="profile-agent", CASESTORE_ASSISTANT_TOKEN="profile-assistant",
               CASESTORE_OUTBOX_INTERVAL="0", CASESTORE_UPLOAD_DIR=str(tmp / "uploads"),
               DATABASE_URL=f"sqlite:///{tmp / f'casestore-{tag}.db'}",
               TRACKER_STORE_URL="", TRACKER_SQLITE_PATH=str(tmp / f"tracker-{tag}.db"),
               TRACKER_ENCRYPTION_KEY=os.environ.get("TRACKER_ENCRYPTION_KEY") or
               "0nS0cHz4Wm4Kc7LxW4r2nNfX2O6qvK3c5yYb1tG8aQ0=",
               LOCK_STORE_TYPE="in_memory", REDIS_HOST="127.0.0.1", REDIS_PORT="6379", REDIS_PASSWORD="",
               RASA_API_TOKEN="", WECHAT_TOKEN="", WECHAT_APP_ID="", WECHAT_APP_SECRET="", WECHAT_ENCODING_AES_KEY="")
    if args.tracker == "postgresql":
        from bot.scaled import DEFAULT_PG, create_tracker_tables, drop_database, ensure_database

        admin = os.environ.get("SCALED_PG_URL") or DEFAULT_PG
        drop_database(admin, "issue12_profile_tracker")
        env["TRACKER_STORE_URL"] = ensure_database(admin, "issue12_profile_tracker")
        create_tracker_tables(env["TRACKER_STORE_URL"])
    if args.lock == "redis":
        env["LOCK_STORE_TYPE"] = "bot.lock_store.AtomicRedisLockStore"
    return env


async def profile(args) -> dict:
    from rasa.core.actions.action import RemoteAction
    import rasa.core.agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.processor import MessageProcessor
    from rasa.core.utils import AvailableEndpoints

    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    from bot import rasa_form_pause, rasa_patches

    configure_logging_and_warnings(None)  # as `rasa run` does: INFO, no debug lines
    configure_structlog(None)
    patched = False if args.no_patches else rasa_patches.apply()
    rasa_form_pause.install()
    probe = Probe()
    probe.wrap(MessageProcessor, "parse_message", "nlu")
    probe.wrap(MessageProcessor, "_predict_next_with_tracker", "policy")
    probe.wrap(RemoteAction, "run", "actions")
    probe.wrap(RemoteAction, "_validate_action_result", "validate")
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml"))
    agent = await rasa.core.agent.load_agent(model_path=str(args.model), endpoints=endpoints)
    store = agent.processor.tracker_store
    for attr in ("retrieve", "retrieve_full_tracker"):
        probe.wrap(store, attr, "retrieve")
    probe.wrap(store, "save", "save")
    for attr, name in (("issue_ticket", "lock"), ("_acquire_lock", "lock"), ("cleanup", "lock")):
        probe.wrap(agent.lock_store, attr, name)

    rows: dict[tuple[str, str], list[dict]] = defaultdict(list)
    rng = random.Random(12)
    action_pid, case_pid = args.pids["actions"], args.pids["casestore"]

    profiler = None
    if args.cprofile:
        here = str(Path(__file__).resolve().parent)  # this file would shadow the standard `profile`
        saved = sys.path[:]
        sys.path[:] = [p for p in sys.path if p not in ("", here) and Path(p).resolve() != Path(here)]
        sys.modules.pop("profile", None)
        try:
            import cProfile
        finally:
            sys.path[:] = saved
        profiler = cProfile.Profile()

    async def turn(sender: str, text: str, late: bool = False) -> dict:
        probe.turn.clear()
        if profiler is not None and late:
            profiler.enable()
        a0, k0 = cpu_of(action_pid), cpu_of(case_pid)
        c, w = time.process_time(), time.perf_counter()
        out = CollectingOutputChannel()
        await agent.handle_message(UserMessage(text, out, sender, input_channel="rest"))
        if profiler is not None and late:
            profiler.disable()
        sample = {"cpu": time.process_time() - c, "wall": time.perf_counter() - w,
                  "actsrv": cpu_of(action_pid) - a0, "casestore": cpu_of(case_pid) - k0,
                  "reply": " ".join(m.get("text") or "" for m in out.messages)[:60]}
        for name in SEGMENTS:
            cpu, wall, n = probe.turn.get(name, (0.0, 0.0, 0))
            sample[name] = {"cpu": cpu, "wall": wall, "n": n}
        return sample

    await turn("warm-up", "你好")
    for rep in range(args.repeat):
        for position, padding in (("early", 0), ("late", 36)):
            sender = f"profile-{position}-{rep}-{uuid.uuid4().hex[:6]}"
            for k in range(padding):
                await turn(sender, GUIDE[k % len(GUIDE)])
            for kind, text in flow(rng, rep * 2 + (padding > 0)):
                sample = await turn(sender, text, late=padding > 0)
                rows[(kind, position)].append(sample)
                if kind == "submit" and "XF-" not in sample["reply"]:
                    print(f"warning: submission did not return a case number: {sample['reply']}", file=sys.stderr)
    if profiler is not None:
        import pstats

        profiler.dump_stats(str(args.cprofile))
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return {"patched": patched, "tracker": args.tracker, "lock": args.lock, "rows": rows,
            "rss_rasa_mib": rss_mib(os.getpid())}


def table(result: dict) -> str:
    def ms(x: float) -> str:
        return f"{x * 1000:.1f}"

    lines = ["| turn | at | n | wall | CPU Rasa | NLU | policy (per action × n) | actions: n, wall (CPU) | validate | "
             "retrieve | save | lock | CPU act-srv | CPU case store |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for kind in ("guide", "path", "form", "submit"):
        for position in ("early", "late"):
            samples = result["rows"].get((kind, position))
            if not samples:
                continue
            n = len(samples)

            def mean(f, samples=samples, n=n):
                return sum(f(s) for s in samples) / n

            pol_n = mean(lambda s: s["policy"]["n"])
            pol = mean(lambda s: s["policy"]["cpu"])
            lines.append(
                f"| {kind} | {position} | {n} | {ms(mean(lambda s: s['wall']))} | {ms(mean(lambda s: s['cpu']))} | "
                f"{ms(mean(lambda s: s['nlu']['cpu']))} | {ms(pol)} ({ms(pol / pol_n if pol_n else 0)} × {pol_n:.1f}) | "
                f"{mean(lambda s: s['actions']['n']):.1f}, {ms(mean(lambda s: s['actions']['wall']))} "
                f"({ms(mean(lambda s: s['actions']['cpu']))}) | "
                f"{ms(mean(lambda s: s['validate']['cpu']))} | {ms(mean(lambda s: s['retrieve']['cpu']))} | "
                f"{ms(mean(lambda s: s['save']['cpu']))} | {ms(mean(lambda s: s['lock']['wall']))} | "
                f"{ms(mean(lambda s: s['actsrv']))} | {ms(mean(lambda s: s['casestore']))} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-patches", action="store_true", help="measure Rasa without bot/rasa_patches.py")
    parser.add_argument("--tracker", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--lock", choices=["in_memory", "redis"], default="in_memory")
    parser.add_argument("--base-port", type=int, default=int(os.environ.get("PROFILE_BASE_PORT") or 5860))
    parser.add_argument("--json", type=Path, default=ROOT / "var" / "bench-profile.json")
    parser.add_argument("--cprofile", type=Path, help="profile the late turns with cProfile into this file")
    parser.add_argument("--cprofile-actions", type=Path,
                        help="run the action server under cProfile for the whole run, stats into this file")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "current.tar.gz",
                        help="the trained model (another config's, to compare)")
    args = parser.parse_args()
    with running_services(args):
        result = asyncio.run(profile(args))
    print(f"\nmodel={args.model.name} patches={'on' if result['patched'] else 'off'} tracker={args.tracker} lock={args.lock} "
          f"repeat={args.repeat} RSS Rasa={result['rss_rasa_mib']:.0f} MiB (times in ms, means per turn)\n")
    print(table(result))
    rows = {f"{k}/{p}": v for (k, p), v in result["rows"].items()}
    args.json.write_text(json.dumps({**result, "rows": rows}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
