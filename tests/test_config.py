"""Settings from the environment (kiosk.config): a bad value stops the start with one line."""
from __future__ import annotations

from decimal import Decimal

import pytest

from kiosk.config import from_environment
from kiosk.domain.money import BadAmount


def _stopped(monkeypatch, tmp_path, name: str, raw: str) -> str:
    """The line the start stops with when ``name`` is set to ``raw``."""
    monkeypatch.setenv(name, raw)
    with pytest.raises(ValueError) as stopped:
        from_environment(str(tmp_path))
    return str(stopped.value)


@pytest.mark.parametrize("raw", ["-1", "abc", "1.005", "1000000"])
def test_a_bad_fee_gets_the_one_message_for_an_amount(monkeypatch, tmp_path, raw):
    assert _stopped(monkeypatch, tmp_path, "KIOSK_UNWASHED_FEE", raw) == f"KIOSK_UNWASHED_FEE={raw!r}: {BadAmount()}"
    monkeypatch.setenv("KIOSK_UNWASHED_FEE", "¥15.5")  # what a clerk would write is read
    assert from_environment(str(tmp_path))["KIOSK_UNWASHED_FEE"] == Decimal("15.50")


@pytest.mark.parametrize("raw", ["Mars/Olympus", "../etc/passwd", "UTC+8"])
def test_a_time_zone_that_does_not_exist_is_named(monkeypatch, tmp_path, raw):
    assert _stopped(monkeypatch, tmp_path, "KIOSK_TIMEZONE", raw) == \
        f"KIOSK_TIMEZONE={raw!r} is not a time zone; write one like Asia/Shanghai"
    monkeypatch.setenv("KIOSK_TIMEZONE", "Europe/Berlin")
    assert from_environment(str(tmp_path))["BABEL_DEFAULT_TIMEZONE"] == "Europe/Berlin"


def test_unset_the_hotel_is_in_shanghai(monkeypatch, tmp_path):
    monkeypatch.delenv("KIOSK_TIMEZONE", raising=False)
    assert from_environment(str(tmp_path))["BABEL_DEFAULT_TIMEZONE"] == "Asia/Shanghai"
