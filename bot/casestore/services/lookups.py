"""Look-up limits: at most N wrong phone tries per case and M failed look-ups (unknown case
or wrong phone) per client in a sliding window (defaults 5 and 20 per 15 minutes), counted
in the database so every replica and a restart see the same numbers. Over the limit: 429
with a Chinese message, and a `security:` warning in the log."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from sqlalchemy import delete, func, select

from bot.casestore.errors import ApiError
from bot.casestore.models import LookupFailure
from bot.casestore.services.common import StoreBase

security_log = logging.getLogger("bot.casestore.security")
KEEP = dt.timedelta(days=1)


def client_key(ip: str | None) -> str | None:
    return hashlib.sha256(f"client:{ip}".encode()).hexdigest()[:32] if ip else None


class LookupLimits(StoreBase):
    def _window(self) -> dt.datetime:
        return self.clock() - dt.timedelta(minutes=self.settings.lookup_window_minutes)

    def check_lookup_allowed(self, case_key: str | None, client: str | None) -> None:
        """Raise 429 when the case or the client is over its limit."""
        from bot.texts import t

        since = self._window()
        with self.db.reading() as s:
            if case_key:
                n = s.execute(select(func.count()).select_from(LookupFailure).where(
                    LookupFailure.case_key == case_key, LookupFailure.at > since)).scalar_one()
                if n >= self.settings.lookup_max_wrong_phone:
                    security_log.warning("security: case %s locked after %d wrong phone tries", case_key, n)
                    raise ApiError(429, "too_many_tries", t("security.too_many_phone_tries",
                                   minutes=self.settings.lookup_window_minutes, hotline=self._hotline()))
            if client:
                n = s.execute(select(func.count()).select_from(LookupFailure).where(
                    LookupFailure.client_key == client, LookupFailure.at > since)).scalar_one()
                if n >= self.settings.lookup_max_client_failures:
                    security_log.warning("security: client %s limited after %d failed look-ups", client[:10], n)
                    raise ApiError(429, "too_many_lookups", t("security.too_many_lookups",
                                   minutes=self.settings.lookup_window_minutes, hotline=self._hotline()))

    def record_lookup_failure(self, case_key: str | None, client: str | None) -> None:
        now = self.clock()
        with self.db.writing() as s:
            s.add(LookupFailure(at=now, case_key=case_key, client_key=client))
            s.execute(delete(LookupFailure).where(LookupFailure.at < now - KEEP))
        security_log.warning("security: failed look-up for case %s from client %s", case_key,
                             (client or "token")[:10])

    def _hotline(self) -> str:
        return self.guide.service["hotline"]
