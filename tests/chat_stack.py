"""The whole assistant on free localhost ports: case store, action server and Rasa server,
each a real process, as `make run` starts them (bot.action_server, bot.rasa_server). Used by
the end-to-end chat tests.

As in production, Rasa's HTTP API needs RASA_API_TOKEN (`stack.api_params` / `stack.tracker()`),
the action server wants the shared secret, and tracker events are encrypted at rest with
TRACKER_KEY (`stack.tracker_db` is the SQLite file). `env_extra` overrides any variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from bot.scaled import wait_until_up
from tests.casestore_fixtures import free_port

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MODEL = REPO / "models" / "current.tar.gz"
AGENT_TOKEN = "e2e-agent"
ASSISTANT_TOKEN = "e2e-assistant"
RASA_API_TOKEN = "e2e-rasa-api-token-0123456789"
ACTIONS_SECRET = "e2e-actions-secret-0123456789"
TRACKER_KEY = "0nS0cHz4Wm4Kc7LxW4r2nNfX2O6qvK3c5yYb1tG8aQ0="


class ChatStack:
    def __init__(self, tmp: Path, today: str = "2026-11-25", start_casestore: bool = True,
                 **env_extra: str):
        self.tmp = tmp
        self.ports = {"rasa": free_port(), "actions": free_port(), "casestore": free_port()}
        self.casestore_url = f"http://127.0.0.1:{self.ports['casestore']}"
        self.rasa_url = f"http://127.0.0.1:{self.ports['rasa']}"
        self.widget_url = f"{self.rasa_url}/webhooks/web/"  # the chat widget (bot/channels/web.py)
        self.env = dict(
            os.environ,
            RASA_TELEMETRY_ENABLED="false",
            PYTHONPATH=str(REPO),  # this checkout's bot/ and actions/, whatever is installed
            ASSISTANT_TODAY=today,
            TMPDIR=str(tmp),
            ACTION_ENDPOINT_URL=f"http://127.0.0.1:{self.ports['actions']}/webhook",
            TRACKER_STORE_URL="",
            TRACKER_SQLITE_PATH=str(tmp / "tracker.db"),
            LOCK_STORE_TYPE="in_memory",
            REDIS_HOST="127.0.0.1",
            REDIS_PORT="6379",
            REDIS_PASSWORD="",
            CASESTORE_URL=self.casestore_url,
            CASESTORE_PORT=str(self.ports["casestore"]),
            CASESTORE_AGENT_TOKEN=AGENT_TOKEN,
            CASESTORE_ASSISTANT_TOKEN=ASSISTANT_TOKEN,
            CASESTORE_TIMEOUT="3",
            DATABASE_URL=f"sqlite:///{tmp / 'casestore.db'}",
            CASESTORE_UPLOAD_DIR=str(tmp / "uploads"),
            CASESTORE_OUTBOX_INTERVAL="0",
            HELPDESK_AGENT_IDS="desk-1",
            APP_ENV="development",
            RASA_HOST="127.0.0.1",
            ACTIONS_HOST="127.0.0.1",
            RASA_API_TOKEN=RASA_API_TOKEN,
            ACTIONS_SHARED_SECRET=ACTIONS_SECRET,
            TRACKER_ENCRYPTION_KEY=TRACKER_KEY,
            WIDGET_ALLOWED_ORIGINS=self.casestore_url,
            # the speed-ups must not change a thing: compare with Rasa's own way on every turn
            RASA_PAST_STATES_CHECK="1", RASA_TED_SKIP_CHECK="1", RASA_APPLIED_EVENTS_CHECK="1", RASA_TRACKER_COPY_CHECK="1", RASA_ACTION_RESULT_CHECK="1", RASA_FORM_TRACKER_CHECK="1",
            TRACKER_CACHE_CHECK="1",
        )
        self.env.pop("RASA_JWT_SECRET", None)
        self.env.update(env_extra)
        self.tracker_db = tmp / "tracker.db"
        self.api_params = {"token": self.env["RASA_API_TOKEN"]} if self.env.get("RASA_API_TOKEN") else {}
        for name in ("WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_ENCODING_AES_KEY"):
            self.env.setdefault(name, "")
        self.start_casestore = start_casestore
        self.procs: dict[str, subprocess.Popen] = {}

    def _spawn(self, name: str, args: list[str]) -> None:
        log = open(self.tmp / f"{name}.log", "w")
        self.procs[name] = subprocess.Popen(args, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def __enter__(self) -> "ChatStack":
        if self.start_casestore:
            self._spawn("casestore", [sys.executable, "-m", "bot.casestore", "serve"])
        self._spawn("actions", [sys.executable, "-m", "bot.action_server", "--actions", "actions",
                                "--port", str(self.ports["actions"])])
        self._spawn("rasa", [sys.executable, "-m", "bot.rasa_server", "--port", str(self.ports["rasa"]),
                             "--model", str(MODEL), "--endpoints", "endpoints.yml",
                             "--credentials", "credentials.yml"])
        try:
            if self.start_casestore:
                self._wait(f"{self.casestore_url}/healthz", "casestore", 60)
            self._wait(f"http://127.0.0.1:{self.ports['actions']}/health", "actions", 120)
            self._wait(f"{self.rasa_url}/status" if self.api_params else f"{self.rasa_url}/",
                       "rasa", 600, params=self.api_params)  # a busy machine loads slowly
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait(self, url: str, name: str, seconds: float, params: dict | None = None) -> None:
        wait_until_up(url, name, self.procs[name], self.tmp / f"{name}.log", seconds, params)

    def __exit__(self, *exc) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

    def say(self, sender: str, message: str) -> list[dict]:
        r = httpx.post(f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message},
                       timeout=60)
        r.raise_for_status()
        return r.json()

    def tracker(self, sender: str) -> dict:
        """The conversation as Rasa's HTTP API gives it (with the API token)."""
        r = httpx.get(f"{self.rasa_url}/conversations/{sender}/tracker", params=self.api_params, timeout=30)
        r.raise_for_status()
        return r.json()


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


class PatientStack(ChatStack):
    """The real stack, with room for a slow start on a busy machine (no test is timed)."""

    def _wait(self, url: str, name: str, seconds: float, **kwargs) -> None:
        super()._wait(url, name, max(seconds, 900), **kwargs)
