"""One reader of numbers from the environment (bot/env.py): a bad value is logged and the
default used, never a crash at start-up."""

import logging

import pytest

from bot.env import env_number


@pytest.mark.parametrize("raw, kind, minimum, expected", [
    (None, int, 0, 64), ("", int, 0, 64), (" 12 ", int, 0, 12), ("-5", int, 0, 0),
    ("2.5", int, 0, 64),  # not a whole number: the default
    ("0.2", float, 0, 0.2), ("abc", float, 0, 64), ("-1.5", float, None, -1.5),
])
def test_a_number_from_the_environment(monkeypatch, caplog, raw, kind, minimum, expected):
    if raw is None:
        monkeypatch.delenv("BOT_TEST_NUMBER", raising=False)
    else:
        monkeypatch.setenv("BOT_TEST_NUMBER", raw)
    with caplog.at_level(logging.WARNING):
        assert env_number("BOT_TEST_NUMBER", 64, kind, minimum) == expected
    bad = raw in ("2.5", "abc")
    assert bool([r for r in caplog.records if "BOT_TEST_NUMBER" in r.getMessage()]) == bad
