"""Case store configuration from the environment, with safe development defaults.

Every value can be overridden by an environment variable; `Settings.from_env()` reads them
once. Tests build a `Settings` directly (or pass `env=`) so nothing global leaks between them.

| variable | default | meaning |
|---|---|---|
| DATABASE_URL | sqlite:///<repo>/var/casestore.db | SQLAlchemy URL (SQLite in WAL mode, or postgresql://) |
| CASESTORE_AGENT_TOKEN | dev-agent | 坐席/管理 token: full read, metrics, reminders due |
| CASESTORE_ASSISTANT_TOKEN | dev-assistant | chat assistant: submit, look up, upload tokens, reminders |
| CASESTORE_DEPT_TOKENS | dev-<code> for every guide department | `tax=secret1,market_regulation=secret2` |
| CASESTORE_SUBSCRIBERS | [] | JSON list of {"name": ..., "url": ...} for result sharing |
| CASESTORE_UPLOAD_DIR | <repo>/var/uploads | where uploaded files are stored (outside the DB) |
| CASESTORE_UPLOAD_MAX_BYTES | 10485760 (10 MB) | per file |
| CASESTORE_UPLOAD_TOKEN_TTL_MINUTES | 1440 | lifetime of a one-time upload link |
| CASESTORE_PUBLIC_URL | http://127.0.0.1:<port> | base of the upload links given to users |
| CASESTORE_HOST / CASESTORE_PORT | 127.0.0.1 / 8000 | where `serve` listens |
| CASESTORE_OUTBOX_INTERVAL | 5 | seconds between outbox runs in the server; 0 disables the loop |
| CASESTORE_OUTBOX_BACKOFF_BASE / _MAX | 30 / 3600 | seconds: retry n waits base*2^(n-1), at most max |
| CASESTORE_DELIVERY_TIMEOUT | 10 | seconds per delivery attempt |
| CASESTORE_OUTBOX_MAX_ATTEMPTS | 12 | result-sharing tries before a row goes to the dead letters (an alert) |
| CASESTORE_NOTICE_SECRET | dev-notice-secret | signs the 告知书 QR token (set a long random value in production) |
| CASESTORE_NOTICE_FONT | wqy-microhei.ttc (fonts-wqy-microhei) | a TrueType CJK font file for the 告知书 PDF |
| CASESTORE_WIDGET_URL | <public url>/widget | the chat page the 告知书 QR code opens |
| CASESTORE_NOTIFY_INTERVAL | 30 | seconds between runs of the notice sender in the server; 0 disables it |
| CASESTORE_NOTIFY_LEASE | 120 | seconds a sender holds a notice it is sending; a notice still held after that is "uncertain" (never resent) |
| CASESTORE_NOTIFY_MAX_ATTEMPTS | 6 | tries of one pushed notice before it goes to the dead letters |
| WECHAT_APP_ID / WECHAT_APP_SECRET | (none) | 公众号 credentials for pushed notices; without them WeChat notices wait |
| WECHAT_API_BASE | https://api.weixin.qq.com/cgi-bin/ | the WeChat API (tests point it at a fake on 127.0.0.1) |
| WECHAT_TEMPLATE_REMINDER / WECHAT_TEMPLATE_STATUS | (none) | template ids; without one the notice goes as a 客服消息 text |
| WECHAT_TOKEN_REDIS_URL | (none) | keep the access token in Redis, shared by every process on every machine (bot/wechat_tokens.py) |
| WECHAT_TOKEN_FILE | var/wechat-tokens.sqlite3 | without Redis: the SQLite file (mode 0600) the processes of this machine share the access token in |
| WECHAT_SUBSCRIBE_FIELDS | thing1=title,thing2=keyword1,phrase3=keyword2 | 订阅通知 (subscribe message) template fields: `<template key>=<title, text or keywordN>` |
| CASESTORE_SMS_SENDER | log | `log` (writes masked lines to the log) or `module:Class` implementing bot.casestore.notify.SmsSender |
| CASESTORE_FRAME_ANCESTORS | 'self' | CSP frame-ancestors of the pages (origins allowed to embed them) |
| CASESTORE_LOOKUP_WINDOW_MINUTES | 15 | window of the look-up limits below |
| CASESTORE_LOOKUP_MAX_WRONG_PHONE | 5 | wrong phone tries per case per window, then 429 |
| CASESTORE_LOOKUP_MAX_CLIENT_FAILURES | 20 | failed look-ups (unknown case or wrong phone) per client per window |
| CASESTORE_PROXIES_COUNT | 0 | reverse proxies in front (then the client is taken from X-Forwarded-For) |
| APP_ENV | development | `production` refuses development settings (bot/security/production.py) |
| GUIDE_DIR | <repo>/guides | the repair guide (read by bot.guide.loader) |
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

from bot.security.production import is_production

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "var"


class SettingsError(ValueError):
    """A configuration value is malformed; the message names the variable."""


@dataclass(frozen=True)
class Subscriber:
    name: str
    url: str


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{DATA_DIR / 'casestore.db'}"
    agent_token: str = "dev-agent"
    assistant_token: str = "dev-assistant"
    dept_tokens: Mapping[str, str] = field(default_factory=dict)  # department code -> token
    subscribers: tuple[Subscriber, ...] = ()
    upload_dir: Path = DATA_DIR / "uploads"
    upload_max_bytes: int = 10 * 1024 * 1024
    upload_max_files: int = 5
    upload_token_ttl_minutes: int = 24 * 60
    public_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    outbox_interval: float = 5.0
    outbox_backoff_base: float = 30.0
    outbox_backoff_max: float = 3600.0
    delivery_timeout: float = 10.0
    outbox_max_attempts: int = 12
    notice_secret: str = "dev-notice-secret"
    notice_font: str = ""
    widget_url: str = ""
    notify_interval: float = 30.0
    notify_max_attempts: int = 6
    notify_lease: float = 120.0
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    wechat_api_base: str = "https://api.weixin.qq.com/cgi-bin/"
    wechat_template_reminder: str = ""
    wechat_template_status: str = ""
    wechat_token_redis_url: str = ""
    wechat_token_file: str = ""
    wechat_subscribe_fields: str = "thing1=title,thing2=keyword1,phrase3=keyword2"
    # 一次性订阅: one accepted 订阅通知 carries one message, later ones go as 客服 text; set
    # WECHAT_SUBSCRIBE_ONCE=0 for a long-term (长期订阅) template
    wechat_subscribe_once: bool = True
    sms_sender: str = "log"
    frame_ancestors: str = "'self'"
    lookup_window_minutes: int = 15
    lookup_max_wrong_phone: int = 5
    lookup_max_client_failures: int = 20
    proxies_count: int = 0
    production: bool = False

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        d = cls()

        def num(name: str, default, kind=int):
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                value = kind(raw)
            except ValueError as exc:
                raise SettingsError(f"{name}: not a number: {raw!r}") from exc
            if value < 0:
                raise SettingsError(f"{name}: must not be negative")
            return value

        return cls(
            database_url=env.get("DATABASE_URL") or d.database_url,
            agent_token=env.get("CASESTORE_AGENT_TOKEN") or d.agent_token,
            assistant_token=env.get("CASESTORE_ASSISTANT_TOKEN") or d.assistant_token,
            dept_tokens=_dept_tokens(env.get("CASESTORE_DEPT_TOKENS")),
            subscribers=_subscribers(env.get("CASESTORE_SUBSCRIBERS")),
            upload_dir=Path(env.get("CASESTORE_UPLOAD_DIR") or d.upload_dir),
            upload_max_bytes=num("CASESTORE_UPLOAD_MAX_BYTES", d.upload_max_bytes),
            upload_max_files=num("CASESTORE_UPLOAD_MAX_FILES", d.upload_max_files),
            upload_token_ttl_minutes=num("CASESTORE_UPLOAD_TOKEN_TTL_MINUTES", d.upload_token_ttl_minutes),
            public_url=env.get("CASESTORE_PUBLIC_URL") or "",
            host=env.get("CASESTORE_HOST") or d.host,
            port=num("CASESTORE_PORT", d.port),
            outbox_interval=num("CASESTORE_OUTBOX_INTERVAL", d.outbox_interval, float),
            outbox_backoff_base=num("CASESTORE_OUTBOX_BACKOFF_BASE", d.outbox_backoff_base, float),
            outbox_backoff_max=num("CASESTORE_OUTBOX_BACKOFF_MAX", d.outbox_backoff_max, float),
            delivery_timeout=num("CASESTORE_DELIVERY_TIMEOUT", d.delivery_timeout, float),
            outbox_max_attempts=max(1, num("CASESTORE_OUTBOX_MAX_ATTEMPTS", d.outbox_max_attempts)),
            notice_secret=env.get("CASESTORE_NOTICE_SECRET") or d.notice_secret,
            notice_font=env.get("CASESTORE_NOTICE_FONT") or "",
            widget_url=env.get("CASESTORE_WIDGET_URL") or "",
            notify_interval=num("CASESTORE_NOTIFY_INTERVAL", d.notify_interval, float),
            notify_max_attempts=max(1, num("CASESTORE_NOTIFY_MAX_ATTEMPTS", d.notify_max_attempts)),
            notify_lease=num("CASESTORE_NOTIFY_LEASE", d.notify_lease, float),
            wechat_app_id=env.get("WECHAT_APP_ID") or "",
            wechat_app_secret=env.get("WECHAT_APP_SECRET") or "",
            wechat_api_base=env.get("WECHAT_API_BASE") or d.wechat_api_base,
            wechat_template_reminder=env.get("WECHAT_TEMPLATE_REMINDER") or "",
            wechat_template_status=env.get("WECHAT_TEMPLATE_STATUS") or "",
            wechat_token_redis_url=env.get("WECHAT_TOKEN_REDIS_URL") or "",
            wechat_token_file=env.get("WECHAT_TOKEN_FILE") or "",
            wechat_subscribe_fields=env.get("WECHAT_SUBSCRIBE_FIELDS") or d.wechat_subscribe_fields,
            wechat_subscribe_once=(env.get("WECHAT_SUBSCRIBE_ONCE") or "1").strip().lower() not in ("0", "false", "no"),
            sms_sender=env.get("CASESTORE_SMS_SENDER") or d.sms_sender,
            frame_ancestors=(env.get("CASESTORE_FRAME_ANCESTORS") or d.frame_ancestors).strip(),
            lookup_window_minutes=num("CASESTORE_LOOKUP_WINDOW_MINUTES", d.lookup_window_minutes),
            lookup_max_wrong_phone=num("CASESTORE_LOOKUP_MAX_WRONG_PHONE", d.lookup_max_wrong_phone),
            lookup_max_client_failures=num("CASESTORE_LOOKUP_MAX_CLIENT_FAILURES",
                                           d.lookup_max_client_failures),
            proxies_count=num("CASESTORE_PROXIES_COUNT", d.proxies_count),
            production=is_production(env),
        )

    def department_tokens(self) -> dict[str, str]:
        """token -> department code; departments without a configured token get `dev-<code>`
        in development and none at all in production (where start-up refuses that anyway)."""
        from bot.guide.loader import load_guide

        known = load_guide().departments
        unknown = sorted(set(self.dept_tokens) - set(known))
        if unknown:
            raise SettingsError(f"CASESTORE_DEPT_TOKENS: unknown department codes {unknown}")
        tokens = {} if self.production else {code: f"dev-{code}" for code in known}
        tokens.update(self.dept_tokens)
        return {tok: code for code, tok in tokens.items() if tok}


def _dept_tokens(raw: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (raw or "").split(","):
        part = part.strip()
        if not part:
            continue
        code, sep, token = part.partition("=")
        if not sep or not code.strip() or not token.strip():
            raise SettingsError(f"CASESTORE_DEPT_TOKENS: expected code=token, got {part!r}")
        out[code.strip()] = token.strip()
    return out


def _subscribers(raw: str | None) -> tuple[Subscriber, ...]:
    if not raw:
        return ()
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"CASESTORE_SUBSCRIBERS: not valid JSON: {exc}") from exc
    if not isinstance(data, list):
        raise SettingsError("CASESTORE_SUBSCRIBERS: expected a JSON list of {name, url}")
    subs = []
    for n, s in enumerate(data):
        if not isinstance(s, dict) or not s.get("name") or not s.get("url"):
            raise SettingsError(f"CASESTORE_SUBSCRIBERS[{n}]: needs name and url")
        if not str(s["url"]).startswith(("http://", "https://")):
            raise SettingsError(f"CASESTORE_SUBSCRIBERS[{n}].url: must be http(s)")
        subs.append(Subscriber(str(s["name"]), str(s["url"])))
    names = [s.name for s in subs]
    if len(set(names)) != len(names):
        raise SettingsError("CASESTORE_SUBSCRIBERS: names must be unique")
    return tuple(subs)
