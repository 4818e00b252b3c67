"""Shared helpers for the case store tests: a real server process, a fake subscriber, data.

The case store runs as `python -m bot.casestore serve` in a child process on a free
localhost port, with a temporary SQLite file (or a fresh schema in $TEST_DATABASE_URL) and a
temporary upload dir; the tests talk to it over real HTTP.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
AGENT = "test-agent-token"
ASSISTANT = "test-assistant-token"
DEPT = {"tax": "test-tax-token", "market_regulation": "test-market-token", "hrss": "test-hrss-token"}
USCC_OK = "91350100M000100Y43"
USCC_OK2 = "9144030071526726XG"
PHONE = "13812341234"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def backends() -> list[str]:
    return ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


class PgSchema:
    """A throw-away schema in $TEST_DATABASE_URL, so tests never touch existing tables."""

    def __init__(self) -> None:
        from sqlalchemy import create_engine, text

        self.base = os.environ["TEST_DATABASE_URL"]
        self.name = f"casestore_test_{secrets.token_hex(4)}"
        self._engine = create_engine(self.base, future=True)
        with self._engine.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{self.name}"'))
        sep = "&" if "?" in self.base else "?"
        self.url = f"{self.base}{sep}options=-csearch_path%3D{self.name}"

    def drop(self) -> None:
        from sqlalchemy import text

        with self._engine.begin() as c:
            c.execute(text(f'DROP SCHEMA "{self.name}" CASCADE'))
        self._engine.dispose()


def database_url(backend: str, tmp: Path) -> tuple[str, PgSchema | None]:
    if backend == "postgresql":
        schema = PgSchema()
        return schema.url, schema
    return f"sqlite:///{tmp / 'casestore.db'}", None


class Subscriber:
    """A tiny HTTP server standing in for a credit platform.

    `fail_case[case_no] = n` makes the next n posts about that case answer 503.
    """

    def __init__(self):
        self.fail_case: dict[str, int] = {}
        self.received: list[dict] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                data = json.loads(body)
                with outer.lock:
                    outer.received.append({"headers": dict(self.headers), "body": data})
                    failing = outer.fail_case.get(data.get("case_no"), 0) > 0
                    if failing:
                        outer.fail_case[data["case_no"]] -= 1
                self.send_response(503 if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": false}' if failing else b'{"ok": true}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/results"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def posts(self, case_no: str) -> list[dict]:
        with self.lock:
            return [r for r in self.received if r["body"].get("case_no") == case_no]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Server:
    """`python -m bot.casestore serve` in a child process."""

    def __init__(self, tmp: Path, database_url: str, subscribers: list[dict], **env_extra: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.upload_dir = tmp / "uploads"
        self.database_url = database_url
        self.subscribers = subscribers
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "ASSISTANT_TODAY"},  # real dates here
            "DATABASE_URL": database_url,
            "CASESTORE_PORT": str(self.port),
            "CASESTORE_AGENT_TOKEN": AGENT,
            "CASESTORE_ASSISTANT_TOKEN": ASSISTANT,
            "CASESTORE_DEPT_TOKENS": ",".join(f"{k}={v}" for k, v in DEPT.items()),
            "CASESTORE_SUBSCRIBERS": json.dumps(subscribers),
            "CASESTORE_UPLOAD_DIR": str(self.upload_dir),
            "CASESTORE_UPLOAD_MAX_BYTES": str(256 * 1024),
            "CASESTORE_OUTBOX_INTERVAL": "0",
            "CASESTORE_NOTIFY_INTERVAL": "0",
            "PYTHONPATH": str(REPO),
            **env_extra,
        }
        self.log = open(tmp / f"server-{self.port}.log", "w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.casestore", "serve"], cwd=REPO,
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"case store exited early:\n{self.output()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"case store did not start:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def store(self):
        """An in-process CaseStore on the same database (for deliver_due with a chosen `now`)."""
        from bot.casestore.service import CaseStore
        from bot.casestore.settings import Settings, Subscriber as Sub

        settings = Settings(database_url=self.database_url, upload_dir=self.upload_dir,
                            subscribers=tuple(Sub(s["name"], s["url"]) for s in self.subscribers),
                            outbox_backoff_base=30, outbox_backoff_max=3600)
        return CaseStore(settings)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def application(**over) -> dict:
    """A valid application body; keyword arguments replace top-level keys."""
    body = {
        "applicant": {
            "subject_type": "enterprise",
            "name": "成都示例科技有限公司",
            "uscc": USCC_OK,
            "legal_rep": "张三",
            "agent_name": "李四",
            "agent_phone": PHONE,
        },
        "records": [
            {"kind": "penalty_info", "department": "tax", "decision_number": "川税稽罚〔2026〕18号",
             "reason": "逾期申报", "date": "2026-03-10", "obligations_fulfilled": True,
             "severity": "general"},
        ],
        "materials": [{"material_id": "tax_paid_proof"}],
        "commitment_accepted": True,
        "channel": "wechat",
        "conversation_id": f"conv-{uuid.uuid4().hex[:8]}",
    }
    body.update(over)
    return body


def submit(base: str, body: dict | None = None, key: str | None = None) -> httpx.Response:
    return httpx.post(f"{base}/api/v1/applications", json=body or application(),
                      headers={**auth(ASSISTANT), "Idempotency-Key": key or uuid.uuid4().hex}, timeout=10)
