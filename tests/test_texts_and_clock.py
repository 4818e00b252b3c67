"""The one text catalogue renders every key, and the one clock gives China's date."""

import datetime as dt

import pytest

from bot import clock
from bot.texts import MissingText, catalogue, placeholders, t


@pytest.mark.parametrize("key", sorted(catalogue()))
def test_every_text_renders_in_chinese(key):
    text = t(key, **{name: "X" for name in placeholders(key)})
    assert text.strip(), key
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), f"{key} is not Chinese: {text!r}"


def test_unknown_key_fails_loudly():
    with pytest.raises(MissingText):
        t("no.such.key")


def test_missing_placeholder_fails_loudly():
    key = next(k for k in catalogue() if placeholders(k))
    with pytest.raises(KeyError):
        t(key)


@pytest.mark.parametrize("utc, china", [
    (dt.datetime(2026, 11, 30, 15, 59), dt.date(2026, 11, 30)),   # 23:59 in Chengdu
    (dt.datetime(2026, 11, 30, 15, 30), dt.date(2026, 11, 30)),   # 23:30 in Chengdu
    (dt.datetime(2026, 11, 30, 16, 0), dt.date(2026, 12, 1)),     # 00:00 next day in Chengdu
    (dt.datetime(2026, 12, 31, 16, 30), dt.date(2027, 1, 1)),     # new year in China, not in UTC
])
def test_china_date_of_a_utc_moment(utc, china):
    assert clock.china_date(utc) == china


def test_today_is_chinas_date_at_2330_china_time(monkeypatch):
    monkeypatch.delenv("ASSISTANT_TODAY", raising=False)
    # 23:30 on 30 November in China is 15:30 UTC: still the 30th. 00:30 on 1 December is 16:30 UTC.
    monkeypatch.setattr(clock, "utcnow", lambda: dt.datetime(2026, 11, 30, 15, 30))
    assert clock.today() == dt.date(2026, 11, 30)
    monkeypatch.setattr(clock, "utcnow", lambda: dt.datetime(2026, 11, 30, 16, 30))
    assert clock.today() == dt.date(2026, 12, 1)


def test_pinned_date_wins(monkeypatch):
    monkeypatch.setenv("ASSISTANT_TODAY", "2026-06-11")
    assert clock.today() == dt.date(2026, 6, 11)
