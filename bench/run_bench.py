"""`make bench`: start the action server and Rasa on spare ports, measure turn latency at
N=1 and N=20, then the case store benchmark, and stop everything."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"服务未在 {seconds:.0f} 秒内启动 / not up in time: {url}")


def main() -> None:
    rasa_port, actions_port = free_port(), free_port()
    env = dict(os.environ, ACTION_ENDPOINT_URL=f"http://127.0.0.1:{actions_port}/webhook",
               TRACKER_SQLITE_PATH=str(ROOT / "var" / "bench-tracker.db"))
    env["RASA_API_TOKEN"] = ""  # the benchmark needs only the REST channel
    for name in ("ACTIONS_SHARED_SECRET", "TRACKER_STORE_URL", "REDIS_PASSWORD", "WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET",
                 "WECHAT_ENCODING_AES_KEY"):
        env.setdefault(name, "")
    env.setdefault("LOCK_STORE_TYPE", "in_memory")
    env.setdefault("REDIS_HOST", "127.0.0.1")
    env.setdefault("REDIS_PORT", "6379")
    logs = ROOT / "var"
    logs.mkdir(exist_ok=True)
    procs = [
        subprocess.Popen([sys.executable, "-m", "bot.action_server", "--actions", "actions", "--port", str(actions_port)],
                         cwd=ROOT, env=env, stdout=open(logs / "bench-actions.log", "w"), stderr=subprocess.STDOUT),
        subprocess.Popen([sys.executable, "-m", "bot.rasa_server", "--port", str(rasa_port), "--model", "models",
                          "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"],
                         cwd=ROOT, env=env, stdout=open(logs / "bench-rasa.log", "w"), stderr=subprocess.STDOUT),
    ]
    try:
        wait_for(f"http://127.0.0.1:{actions_port}/health", 120)
        wait_for(f"http://127.0.0.1:{rasa_port}/", 300)
        url = f"http://127.0.0.1:{rasa_port}"
        subprocess.run([sys.executable, "bench/latency.py", "--url", url, "-n", "1", "--turns", "4"], cwd=ROOT, check=True)  # warm-up
        for n in (1, 20):
            subprocess.run([sys.executable, "bench/latency.py", "--url", url, "-n", str(n)], cwd=ROOT, check=True)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
    casestore_bench = ROOT / "bench" / "casestore_bench.py"
    if casestore_bench.exists():
        subprocess.run([sys.executable, str(casestore_bench)], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
