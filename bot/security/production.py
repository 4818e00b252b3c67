"""One production switch: `APP_ENV=production` makes every service refuse to start on
development settings (empty or `dev-*` tokens, a department without a token, plain-http
public links, no encryption key), with a Chinese + English message and exit status 2.

`make run` (APP_ENV unset or `development`) keeps the development defaults.
"""

from __future__ import annotations

import os
import sys
from typing import Mapping

MIN_SECRET = 16
SERVICES = ("casestore", "actions", "rasa")


def is_production(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return (env.get("APP_ENV") or "").strip().lower() in ("production", "prod")


def _weak(value: str | None) -> str | None:
    """Why a secret is not fit for production (None when it is)."""
    value = (value or "").strip()
    if not value:
        return "为空 / is empty"
    if value.lower().startswith("dev-") or value.lower() in ("dev", "test", "changeme", "secret"):
        return "是开发用默认值 / is a development default"
    if len(value) < MIN_SECRET:
        return f"短于{MIN_SECRET}个字符 / is shorter than {MIN_SECRET} characters"
    return None


def problems(service: str, env: Mapping[str, str] | None = None) -> list[str]:
    """What stops `service` (casestore | actions | rasa) from running in production."""
    env = os.environ if env is None else env
    out: list[str] = []

    def secret(name: str) -> None:
        why = _weak(env.get(name))
        if why:
            out.append(f"{name} {why}")

    if service == "casestore":
        secret("CASESTORE_AGENT_TOKEN")
        secret("CASESTORE_ASSISTANT_TOKEN")
        secret("CASESTORE_NOTICE_SECRET")  # signs the 告知书 QR links
        out.extend(_department_problems(env))
        url = (env.get("CASESTORE_PUBLIC_URL") or "").strip()
        if not url.lower().startswith("https://"):
            out.append("CASESTORE_PUBLIC_URL 必须是 https:// 地址 / must be an https:// URL"
                       + (f" (got {url!r})" if url else " (not set)"))
    elif service == "actions":
        secret("CASESTORE_ASSISTANT_TOKEN")
        secret("ACTIONS_SHARED_SECRET")
    elif service == "rasa":
        secret("ACTIONS_SHARED_SECRET")
        from bot.security.crypto import key_problem

        why = key_problem(env)
        if why:
            out.append(f"TRACKER_ENCRYPTION_KEY {why}")
        if env.get("RASA_API_TOKEN"):
            secret("RASA_API_TOKEN")
        if env.get("RASA_JWT_SECRET"):
            secret("RASA_JWT_SECRET")
        if env.get("WECHAT_TOKEN") or env.get("WECHAT_APP_ID"):
            secret("WECHAT_TOKEN")
            if not (env.get("WECHAT_ENCODING_AES_KEY") or "").strip():
                out.append("WECHAT_ENCODING_AES_KEY 为空：生产环境必须使用安全模式 / "
                           "is empty: production must use WeChat safe mode (安全模式)")
        origins = env.get("WIDGET_ALLOWED_ORIGINS") or ""
        if "*" in origins:
            out.append("WIDGET_ALLOWED_ORIGINS 不能是 * / must list the widget's origins, not *")
    else:  # pragma: no cover - a programming error
        raise ValueError(service)
    return out


def _department_problems(env: Mapping[str, str]) -> list[str]:
    from bot.casestore.settings import SettingsError, _dept_tokens
    from bot.guide.loader import load_guide

    try:
        given = _dept_tokens(env.get("CASESTORE_DEPT_TOKENS"))
    except SettingsError as exc:
        return [str(exc)]
    out = []
    for code in sorted(load_guide().departments):
        why = _weak(given.get(code))
        if why:
            out.append(f"CASESTORE_DEPT_TOKENS 中部门 {code} 的令牌{why}")
    tokens = [v for v in given.values() if v]
    others = [env.get("CASESTORE_AGENT_TOKEN"), env.get("CASESTORE_ASSISTANT_TOKEN")]
    if len(set(tokens)) != len(tokens) or any(o and o in tokens for o in others):
        out.append("每个部门、坐席和助手的令牌必须互不相同 / every token must be different")
    return out


def refusal(service: str, found: list[str]) -> str:
    lines = [
        f"生产环境配置不安全，{service} 拒绝启动（APP_ENV=production）：",
        f"Unsafe production configuration, {service} refuses to start (APP_ENV=production):",
    ]
    lines += [f"  - {p}" for p in found]
    lines.append("请设置上述变量（见 docs/security.md）。Set the variables above (see docs/security.md).")
    return "\n".join(lines)


def enforce(service: str, env: Mapping[str, str] | None = None) -> None:
    """Exit with status 2 and a bilingual message when production settings are unsafe."""
    env = os.environ if env is None else env
    if not is_production(env):
        return
    found = problems(service, env)
    if found:
        print(refusal(service, found), file=sys.stderr, flush=True)
        raise SystemExit(2)
