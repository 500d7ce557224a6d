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


@pytest.mark.parametrize(("name", "raw", "said"), [
    ("KIOSK_IDLE_MINUTES", "abc", "is not a whole number from 1 to 1440"),
    ("KIOSK_IDLE_MINUTES", "0", "is not a whole number from 1 to 1440"),
    ("KIOSK_DUPLICATE_SECONDS", "1" + "0" * 30, "is not a whole number from 0 to 3600"),
    ("KIOSK_SESSION_HOURS", "nan", "is not a number from 0.25 to 168"),
    ("KIOSK_PRINT_TIMEOUT", "-3", "is not a number from 0.1 to 600"),
    ("KIOSK_PAPER_MM", "72", "is not one of 58, 80"),
    ("KIOSK_PRINTER", "lpt1", "is not a printer address"),
    ("KIOSK_PRINTER", "tcp://printer", "is not a printer address"),
    ("KIOSK_PRINTER_NATIVE", "maybe", "is neither on nor off"),
    ("KIOSK_LANGUAGE", "fr", "is not one of zh_CN, en"),
    ("KIOSK_FONT", "/nowhere/font.ttf", "no such file"),
    ("KIOSK_LOG_FILE", "/nowhere/kiosk.log", "the folder /nowhere does not exist"),
    ("KIOSK_LOG_FORMAT", "xml", "is not one of text, json"),
    ("KIOSK_DATABASE_URL", "mysql://root@localhost/kiosk", "is not a database address"),
    ("KIOSK_DEPRECIATION", "6:100,3:50", "months must rise"),
])
def test_a_bad_setting_stops_the_start_with_one_line_naming_it(monkeypatch, tmp_path, name, raw, said):
    line = _stopped(monkeypatch, tmp_path, name, raw)
    assert line.startswith(f"{name}={raw!r}") and said in line and "\n" not in line


def test_good_settings_are_read_as_meant(monkeypatch, tmp_path):
    for name, raw in {"KIOSK_IDLE_MINUTES": "15", "KIOSK_PAPER_MM": "58", "KIOSK_PRINTER": "tcp://10.0.0.9:9100",
                      "KIOSK_PRINTER_NATIVE": "yes", "KIOSK_LOG_FORMAT": "json",
                      "KIOSK_DATABASE_URL": "postgresql://kiosk@db/hotel"}.items():
        monkeypatch.setenv(name, raw)
    settings = from_environment(str(tmp_path))
    assert (settings["KIOSK_IDLE_MINUTES"], settings["KIOSK_PAPER_MM"], settings["KIOSK_PRINTER_NATIVE"]) == (15, 58, True)
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://kiosk@db/hotel"


@pytest.mark.parametrize("command", [["kiosk", "serve"], ["db", "upgrade"], ["kiosk", "backup", "/tmp"]])
def test_the_start_and_every_command_stop_with_the_line_and_serve_nothing(tmp_path, command):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update(KIOSK_INSTANCE_PATH=str(tmp_path), KIOSK_TIMEZONE="Mars/Olympus")
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *command], env=env, capture_output=True,
                            text=True, timeout=60, cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 1
    assert result.stderr.strip() == ("kiosk: KIOSK_TIMEZONE='Mars/Olympus' is not a time zone; "
                                     "write one like Asia/Shanghai")
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_the_alert_settings_are_read_and_checked(monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_ALERT_POLL_SECONDS", "30")
    monkeypatch.setenv("KIOSK_ALERT_WORKER", "off")
    settings = from_environment(str(tmp_path))
    assert settings["KIOSK_ALERT_POLL_SECONDS"] == 30.0 and settings["KIOSK_ALERT_WORKER"] is False
    monkeypatch.delenv("KIOSK_ALERT_WORKER")
    assert "KIOSK_ALERT_WORKER" not in from_environment(str(tmp_path))  # then: as KIOSK_PRINT_WORKER
    assert "is not a number from 0.5 to 120" in _stopped(monkeypatch, tmp_path, "KIOSK_ALERT_TIMEOUT", "0")
