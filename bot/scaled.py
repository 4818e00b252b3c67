"""The production-like layout on one machine (issue 12): N Rasa replicas and N action servers
behind nginx (round robin, or a conversation kept on one replica), the atomic Redis lock store
(bot/lock_store.py), the SQL tracker store and the case store on PostgreSQL; everything on 127.0.0.1.

    make run-scaled REPLICAS=2              # or: python -m bot.scaled --replicas 2
    python -m bot.scaled --replicas 1 --workers 2   # one Rasa process with SANIC_WORKERS=2

Ports (from --base-port, default SCALED_BASE_PORT or 5800):
    base       nginx → Rasa replicas (REST /webhooks/rest/webhook, widget, WeChat)
    base + 1   nginx → action servers (the replicas' action endpoint)
    base + 2   case store
    base + 10 + i   Rasa replica i;   base + 30 + i   action server i

Databases: SCALED_PG_URL (default the test role of tests/system/services.sh) is used to create
the tracker and case-store databases (`<prefix>_tracker`, `<prefix>_cases`) when missing; Redis
from REDIS_HOST/REDIS_PORT (db 1: lock store). nginx and the PostgreSQL/Redis servers come from
Debian (`bash tests/system/services.sh` installs them as root). `ScaledLayout` is also the
fixture of tests/test_scaled.py and of the benchmarks under bench/.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional
from urllib.parse import urlparse, urlunparse

import httpx

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgresql://casestore_ci:casestore_ci@127.0.0.1:5432/casestore_ci"
LOCK_STORE = "bot.lock_store.AtomicRedisLockStore"


def wait_until_up(url: str, name: str, proc: Optional[subprocess.Popen], log: Path, seconds: float,
                  params: Optional[dict] = None, error: type[Exception] = RuntimeError) -> None:
    """Poll `url` until it answers 200; fail early with the log's tail when `proc` has exited.
    Shared by the scaled layout and the test stack (tests/chat_stack.py)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise error(f"{name} exited:\n" + log.read_text()[-3000:])
        try:
            if httpx.get(url, timeout=2, params=params).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    tail = log.read_text()[-3000:] if log.exists() else ""
    raise error(f"{name} not up after {seconds:.0f}s: {url}\n{tail}")


class LayoutError(RuntimeError):
    pass


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        raise LayoutError("未找到 nginx：请以 root 运行 bash tests/system/services.sh，或先执行 "
                          "sudo apt-get install -y nginx / nginx not found: run tests/system/services.sh as root "
                          "or apt-get install nginx")
    return found


ROUTINGS = ("round_robin", "sender")

# The conversation a request belongs to, as nginx can see it without reading the body: the
# widget's session header, WeChat's `openid` query argument, or `X-Chat-Sender` (REST clients).
# A request naming none gets a random key (spread like round robin).
CHAT_KEY_MAP = ('  map "$http_x_chat_session$http_x_chat_sender$arg_openid" $chat_key {\n'
                '    "" $request_id;\n    default "$http_x_chat_session$http_x_chat_sender$arg_openid";\n  }\n')


def nginx_conf(workdir: Path, port: int, rasa_ports: list[int], actions_port: int, action_ports: list[int],
               routing: str = "round_robin") -> str:
    """`routing`: "round_robin" (consecutive turns of a conversation on different replicas: what
    tests/test_scaled.py proves correct) or "sender" (a conversation stays on one replica while it
    is up — its kept tracker and replay stay warm — and moves to another when it is not)."""
    if routing not in ROUTINGS:
        raise LayoutError(f"unknown routing {routing!r}: one of {', '.join(ROUTINGS)}")

    def upstream(name: str, ports: list[int], by_chat: bool = False) -> str:
        servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in ports)
        balance = "    hash $chat_key consistent;\n" if by_chat else ""
        return f"  upstream {name} {{\n{balance}{servers}\n  }}\n"

    # No upstream keepalive: a replica that stops then refuses new connections, which nginx
    # retries on the next replica. A stopping replica (Sanic 21.12) cancels its turns in flight
    # before they are saved, so those POSTs too are passed on (non_idempotent): the user's message
    # is answered by the other replica instead of a 502.
    def server(listen: int, name: str) -> str:
        return (f"  server {{\n    listen 127.0.0.1:{listen};\n    location / {{\n"
                f"      proxy_pass http://{name};\n      proxy_set_header Host $host;\n"
                f"      add_header X-Upstream $upstream_addr always;\n"
                f"      proxy_set_header X-Forwarded-For $remote_addr;\n"
                f"      proxy_next_upstream error timeout non_idempotent http_502 http_503;\n"
                f"      proxy_connect_timeout 2s;\n      proxy_read_timeout 120s;\n    }}\n  }}\n")

    tmp = workdir / "nginx-tmp"
    return (f"daemon off;\nmaster_process on;\nworker_processes 1;\npid {workdir}/nginx.pid;\n"
            f"error_log {workdir}/nginx-error.log warn;\nevents {{ worker_connections 1024; }}\n"
            # bodies and replies stay in memory: no temp files (nginx workers run as nobody)
            f"http {{\n  access_log off;\n  client_max_body_size 16m;\n  client_body_buffer_size 16m;\n"
            f"  proxy_max_temp_file_size 0;\n  proxy_buffer_size 64k;\n  proxy_buffers 32 64k;\n"
            f"  client_body_temp_path {tmp}/body;\n  proxy_temp_path {tmp}/proxy;\n"
            f"  fastcgi_temp_path {tmp}/fastcgi;\n  uwsgi_temp_path {tmp}/uwsgi;\n  scgi_temp_path {tmp}/scgi;\n"
            + (CHAT_KEY_MAP if routing == "sender" else "")
            + upstream("rasa", rasa_ports, by_chat=routing == "sender") + upstream("actions", action_ports)
            + server(port, "rasa") + server(actions_port, "actions") + "}\n")


def ensure_database(admin_url: str, name: str) -> str:
    """The URL of database `name` on the server of `admin_url`, created when missing."""
    import sqlalchemy as sa

    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as c:
            if not c.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
                c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    parts = urlparse(admin_url)
    return urlunparse(parts._replace(path=f"/{name}"))


def drop_database(admin_url: str, name: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def create_tracker_tables(url: str) -> None:
    """Rasa's `events` table before the replicas start (two replicas creating it at once race)."""
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore

    engine = sa.create_engine(url)
    try:
        SQLTrackerStore.Base.metadata.create_all(engine)
    finally:
        engine.dispose()


class ScaledLayout:
    def __init__(self, replicas: int = 2, workers: int = 1, base_port: int = 5800,
                 workdir: Optional[Path] = None, pg_url: Optional[str] = None, db_prefix: str = "assistant_scaled",
                 redis_host: Optional[str] = None, redis_port: Optional[int] = None, fresh: bool = False,
                 model: str = "models/current.tar.gz", local_stores: bool = False, routing: Optional[str] = None,
                 **env_extra: str) -> None:
        self.replicas, self.workers, self.base = replicas, workers, base_port
        self.routing = routing or os.environ.get("SCALED_ROUTING") or "round_robin"
        self.workdir = Path(workdir or REPO / "var" / "scaled")
        self.pg_url = pg_url or os.environ.get("SCALED_PG_URL") or DEFAULT_PG
        self.db_prefix, self.fresh, self.model = db_prefix, fresh, model
        self.redis_host = redis_host or os.environ.get("REDIS_HOST") or "127.0.0.1"
        self.redis_port = int(redis_port or os.environ.get("REDIS_PORT") or 6379)
        self.url = f"http://127.0.0.1:{base_port}"
        self.actions_url = f"http://127.0.0.1:{base_port + 1}"
        self.casestore_url = f"http://127.0.0.1:{base_port + 2}"
        self.rasa_ports = [base_port + 10 + i for i in range(replicas)]
        self.action_ports = [base_port + 30 + i for i in range(replicas)]
        self.env_extra = env_extra
        self.local_stores = local_stores  # benchmarks: `make run`'s SQLite + in-memory lock instead
        self.procs: dict[str, subprocess.Popen] = {}
        self.api_token = os.environ.get("RASA_API_TOKEN") or secrets.token_hex(20)
        self.env: dict[str, str] = {}

    # -- set-up ------------------------------------------------------------------------------
    def _environment(self) -> dict[str, str]:
        if self.local_stores:
            tracker_url, cases_url = "", f"sqlite:///{self.workdir / 'casestore.db'}"
        else:
            if self.fresh:
                for suffix in ("tracker", "cases"):
                    drop_database(self.pg_url, f"{self.db_prefix}_{suffix}")
            tracker_url = ensure_database(self.pg_url, f"{self.db_prefix}_tracker")
            cases_url = ensure_database(self.pg_url, f"{self.db_prefix}_cases")
            create_tracker_tables(tracker_url)
        key_file = self.workdir / "tracker.key"
        if not key_file.exists():
            from cryptography.fernet import Fernet

            key_file.write_text(Fernet.generate_key().decode())
        env = dict(os.environ)
        env.update(
            RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0",
            PYTHONPATH=str(REPO), TMPDIR=str(self.workdir / "tmp"),
            RASA_HOST="127.0.0.1", ACTIONS_HOST="127.0.0.1",
            ACTION_ENDPOINT_URL=f"{self.actions_url}/webhook",
            ACTIONS_SHARED_SECRET=os.environ.get("ACTIONS_SHARED_SECRET") or secrets.token_hex(20),
            RASA_API_TOKEN=self.api_token,
            TRACKER_STORE_URL=tracker_url, TRACKER_SQLITE_PATH=str(self.workdir / "tracker.db"),
            TRACKER_ENCRYPTION_KEY=os.environ.get("TRACKER_ENCRYPTION_KEY") or key_file.read_text().strip(),
            LOCK_STORE_TYPE=LOCK_STORE, REDIS_HOST=self.redis_host, REDIS_PORT=str(self.redis_port),
            REDIS_PASSWORD=os.environ.get("REDIS_PASSWORD", ""),
            SANIC_WORKERS=str(self.workers),
            DATABASE_URL=cases_url, CASESTORE_URL=self.casestore_url, CASESTORE_PORT=str(self.base + 2),
            CASESTORE_HOST="127.0.0.1", CASESTORE_UPLOAD_DIR=str(self.workdir / "uploads"),
            WIDGET_ALLOWED_ORIGINS=os.environ.get("WIDGET_ALLOWED_ORIGINS") or self.casestore_url,
        )
        for name in ("WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_ENCODING_AES_KEY"):
            env.setdefault(name, "")
        if self.local_stores:
            env["LOCK_STORE_TYPE"] = "in_memory"
        if self.replicas * self.workers > 1:  # one TensorFlow thread per process: no oversubscription
            env.setdefault("TF_INTRA_OP_PARALLELISM_THREADS", "1")
            env.setdefault("TF_INTER_OP_PARALLELISM_THREADS", "1")
        env.update(self.env_extra)
        return env

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "a")
        proc = subprocess.Popen(args, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs[name] = proc
        return proc

    def _wait(self, url: str, name: str, seconds: float, params: Optional[dict] = None) -> None:
        wait_until_up(url, name, self.procs.get(name), self.workdir / f"{name}.log", seconds, params, LayoutError)

    def start_rasa(self, i: int) -> None:
        self._spawn(f"rasa{i}", [sys.executable, "-m", "bot.rasa_server", "--port", str(self.rasa_ports[i]),
                                 "--model", self.model, "--endpoints", "endpoints.yml",
                                 "--credentials", "credentials.yml"])

    def wait_rasa(self, i: int, seconds: float = 900) -> None:
        self._wait(f"http://127.0.0.1:{self.rasa_ports[i]}/status", f"rasa{i}", seconds,
                   params={"token": self.api_token})

    def __enter__(self) -> "ScaledLayout":
        nginx = nginx_binary()
        self.workdir.mkdir(parents=True, exist_ok=True)
        for sub in ("tmp", "uploads", "nginx-tmp"):
            (self.workdir / sub).mkdir(exist_ok=True)
        (self.workdir / "nginx-tmp").chmod(0o1777)  # nginx workers run as nobody under root
        self.env = self._environment()
        try:
            self._spawn("casestore", [sys.executable, "-m", "bot.casestore", "serve"])
            for i, port in enumerate(self.action_ports):
                self._spawn(f"actions{i}", [sys.executable, "-m", "bot.action_server", "--actions", "actions",
                                            "--port", str(port)])
            for i in range(self.replicas):
                self.start_rasa(i)
            conf = self.workdir / "nginx.conf"
            conf.write_text(nginx_conf(self.workdir, self.base, self.rasa_ports, self.base + 1, self.action_ports,
                                      self.routing))
            check = subprocess.run([nginx, "-t", "-q", "-c", str(conf), "-p", str(self.workdir)],
                                   capture_output=True, text=True)
            if check.returncode != 0:
                raise LayoutError(f"nginx config: {check.stderr}")
            self._spawn("nginx", [nginx, "-c", str(conf), "-p", str(self.workdir)])
            self._wait(f"{self.casestore_url}/healthz", "casestore", 120)
            for i, port in enumerate(self.action_ports):
                self._wait(f"http://127.0.0.1:{port}/health", f"actions{i}", 180)
            for i in range(self.replicas):
                self.wait_rasa(i)
            self._wait(f"{self.actions_url}/health", "nginx", 30)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    # -- running -----------------------------------------------------------------------------
    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 60) -> None:
        proc = self.procs.get(name)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)  # its own session: the process and its sanic workers
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)

    def __exit__(self, *exc) -> None:
        for name in list(self.procs):
            if name == "nginx":
                continue
            proc = self.procs[name]
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        self.stop("nginx", signal.SIGQUIT, 20)
        for name in list(self.procs):
            self.stop(name, signal.SIGTERM, 40)

    def pids(self) -> dict[str, list[int]]:
        """Each started service's process and its children (sanic workers)."""
        out: dict[str, list[int]] = {}
        for name, proc in self.procs.items():
            if proc.poll() is None:
                out[name] = [proc.pid, *_children(proc.pid)]
        return out


def _children(pid: int) -> list[int]:
    found = []
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for kid in kids:
        found += [int(kid), *_children(int(kid))]
    return found


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.scaled", description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=int(os.environ.get("REPLICAS") or 2))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("SANIC_WORKERS") or 1))
    parser.add_argument("--base-port", type=int, default=int(os.environ.get("SCALED_BASE_PORT") or 5800))
    parser.add_argument("--routing", choices=ROUTINGS, default=os.environ.get("SCALED_ROUTING") or "round_robin",
                        help="round_robin: consecutive turns on different replicas, an even split (default); "
                             "sender: a conversation stays on its replica while it is up")
    args = parser.parse_args(argv)
    if args.replicas < 1 or args.workers < 1:
        print("错误：REPLICAS 和 SANIC_WORKERS 至少为 1 / replicas and workers must be >= 1", file=sys.stderr)
        return 2
    try:
        with ScaledLayout(replicas=args.replicas, workers=args.workers, base_port=args.base_port,
                          routing=args.routing) as layout:
            print(f"  对话接口 REST（nginx，{args.replicas} 个 Rasa 副本 × {args.workers} worker）: "
                  f"{layout.url}/webhooks/rest/webhook")
            print(f"  网页聊天 widget: {layout.url}/webhooks/web/")
            print(f"  动作服务（nginx，{args.replicas} 个）: {layout.actions_url}/health")
            print(f"  案件库 case store (PostgreSQL): {layout.casestore_url}/healthz")
            print(f"  Rasa HTTP API token: RASA_API_TOKEN（未设置时本次随机生成）; logs: {layout.workdir}")
            print("  按 Ctrl-C 停止全部服务 / Ctrl-C stops everything", flush=True)
            try:
                while all(p.poll() is None for p in layout.procs.values()):
                    time.sleep(1)
                dead = [n for n, p in layout.procs.items() if p.poll() is not None]
                print(f"错误：服务已退出 / exited: {', '.join(dead)} (logs in {layout.workdir})", file=sys.stderr)
                return 1
            except KeyboardInterrupt:
                return 0
    except LayoutError as error:
        print(f"错误 / error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
