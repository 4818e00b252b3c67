"""Mask personal data in every log line a process writes (Rasa, actions, case store):
phone and ID numbers (bot.parsing.masking), phone digits in URL queries (`?phone=1234`, as
httpx logs them), and conversation ids replaced by pseudonyms (bot.security.pseudonym)."""

from __future__ import annotations

import json
import logging
import re

from bot.parsing.masking import PersonalDataFilter
from bot.security.pseudonym import PseudonymFilter

_ESCAPES = re.compile(r"(?:\\u[0-9a-fA-F]{4})+")
_QUERY_PHONE = re.compile(r"(?i)([?&;](?:phone|mobile|agent_phone|tel)=)[^&\s\"'#]*")


def _unescape(match: re.Match) -> str:
    try:
        text = json.loads(f'"{match.group(0)}"')
    except ValueError:
        return match.group(0)
    return match.group(0) if any("\ud800" <= ch <= "\udfff" for ch in text) else text


class UnescapeFilter(logging.Filter):
    """JSON log lines (Rasa's structlog) write Chinese as \\uXXXX: turn it back into text, so
    the number after "是" is seen as a number (and masked) and the line is readable."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = f"{record.msg} {record.args!r}"
        record.msg = _ESCAPES.sub(_unescape, str(message))
        record.args = None
        return True


class QueryPhoneFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = f"{record.msg} {record.args!r}"
        record.msg = _QUERY_PHONE.sub(r"\1****", str(message))
        record.args = None
        return True


FILTERS = (UnescapeFilter(), QueryPhoneFilter(), PersonalDataFilter(), PseudonymFilter())
# loggers that have handlers of their own (records there never reach the root's handlers)
_NAMED = ("sanic.root", "sanic.error", "sanic.access", "rasa", "rasa_sdk", "httpx", "bot", "actions")


def _attach(target) -> None:
    for f in FILTERS:
        if not any(type(g) is type(f) for g in target.filters):
            target.addFilter(f)


def mask_personal_data_in_logs() -> None:
    """Attach the filters to the root logger, its handlers and the handlers of every logger
    that has its own (and to a few named loggers, for handlers added later). Safe to repeat."""
    root = logging.getLogger()
    _attach(root)
    for handler in root.handlers:
        _attach(handler)
    for name in _NAMED:
        _attach(logging.getLogger(name))
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            for handler in logger.handlers:
                _attach(handler)
