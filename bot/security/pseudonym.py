"""Pseudonymous conversation ids in logs: a sender id (WeChat openid, widget session id)
becomes `u:<10 hex>` (keyed HMAC-SHA256) in every log line, so a log reader cannot use it
to fetch someone's conversation. The same id always gives the same pseudonym (key:
LOG_PSEUDONYM_KEY, else derived from TRACKER_ENCRYPTION_KEY), so lines stay joinable.

Ids are registered where they enter (channels, tracker store, action server guard); the
filter replaces registered ids and anything shaped like a WeChat openid.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import threading
from collections import OrderedDict

_OPENID = re.compile(r"(?<![A-Za-z0-9_-])o[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])")
_MAX = 20000
_lock = threading.Lock()
_known: "OrderedDict[str, str]" = OrderedDict()
_pattern: re.Pattern | None = None


def _key() -> bytes:
    raw = os.environ.get("LOG_PSEUDONYM_KEY") or os.environ.get("TRACKER_ENCRYPTION_KEY") or "credit-repair-logs"
    return hashlib.sha256(b"log-pseudonym:" + raw.encode()).digest()


def pseudonym(sender_id: str | None) -> str:
    if not sender_id:
        return "u:-"
    return "u:" + hmac.new(_key(), str(sender_id).encode("utf-8"), hashlib.sha256).hexdigest()[:10]


def register(sender_id: str | None) -> str:
    """Remember `sender_id` so the log filter replaces it; returns its pseudonym."""
    global _pattern
    p = pseudonym(sender_id)
    if not sender_id or len(sender_id) < 4:  # too short to replace safely inside other text
        return p
    with _lock:
        if sender_id in _known:
            _known.move_to_end(sender_id)
            return p
        _known[sender_id] = p
        while len(_known) > _MAX:
            _known.popitem(last=False)
        _pattern = None
    return p


def scrub(text: str) -> str:
    global _pattern
    with _lock:
        if _pattern is None and _known:
            ids = sorted(_known, key=len, reverse=True)
            _pattern = re.compile("|".join(re.escape(i) for i in ids))
        pattern, known = _pattern, dict(_known)
    if pattern is not None:
        text = pattern.sub(lambda m: known.get(m.group(0), pseudonym(m.group(0))), text)
    return _OPENID.sub(lambda m: pseudonym(m.group(0)), text)


class PseudonymFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = f"{record.msg} {record.args!r}"
        record.msg = scrub(str(message))
        record.args = None
        return True
