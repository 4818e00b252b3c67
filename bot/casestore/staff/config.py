"""Staff-side settings from the environment (development defaults, checked in production).

| variable | default | meaning |
|---|---|---|
| APP_ENV | development | `production` refuses development accounts and weak passwords |
| STAFF_SESSION_IDLE_MINUTES | 30 | a session ends after this long without a request |
| STAFF_SESSION_MAX_HOURS | 12 | and at the latest this long after login |
| STAFF_LOGIN_MAX_FAILURES | 5 | wrong passwords in a row before the account is locked |
| STAFF_LOCK_MINUTES | 15 | how long the lock lasts |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


def is_production(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return (env.get("APP_ENV") or "").strip().lower() == "production"


@dataclass(frozen=True)
class StaffSettings:
    production: bool = False
    idle_minutes: int = 30
    max_hours: int = 12
    max_failures: int = 5
    lock_minutes: int = 15

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StaffSettings:
        env = os.environ if env is None else env

        def num(name: str, default: int) -> int:
            raw = (env.get(name) or "").strip()
            if not raw:
                return default
            if not raw.isdigit() or int(raw) < 1:
                from bot.casestore.settings import SettingsError

                raise SettingsError(f"{name}: expected a positive whole number, got {raw!r}")
            return int(raw)

        return cls(production=is_production(env), idle_minutes=num("STAFF_SESSION_IDLE_MINUTES", 30),
                   max_hours=num("STAFF_SESSION_MAX_HOURS", 12),
                   max_failures=num("STAFF_LOGIN_MAX_FAILURES", 5),
                   lock_minutes=num("STAFF_LOCK_MINUTES", 15))
