"""The service files in deploy/: systemd accepts them (``systemd-analyze verify``) with their paths present."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
UNITS = ["uniform-kiosk.service", "uniform-kiosk-backup.service", "uniform-kiosk-backup.timer"]


@pytest.fixture
def installed(tmp_path):
    """The units as installed for this checkout: /opt/uniform-kiosk is this repository (its .venv)."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here")
    for name in UNITS:
        text = (REPO / "deploy" / name).read_text().replace("/opt/uniform-kiosk", str(REPO))
        (tmp_path / name).write_text(text)
    return tmp_path


def _verify(folder: Path, *names: str) -> subprocess.CompletedProcess:
    return subprocess.run(["systemd-analyze", "verify", *(str(folder / n) for n in names)],
                          capture_output=True, text=True, timeout=60)


def test_systemd_accepts_the_kiosk_its_nightly_backup_and_the_timer(installed):
    result = _verify(installed, *UNITS)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


def test_a_unit_whose_program_is_missing_is_refused(installed):
    broken = installed / "uniform-kiosk-backup.service"
    broken.write_text(broken.read_text().replace(f"{REPO}/.venv/bin/flask", "/nonexistent/flask"))
    result = _verify(installed, "uniform-kiosk-backup.service")
    assert result.returncode != 0 and "/nonexistent/flask" in result.stderr


def test_the_backup_runs_nightly_into_a_folder_keeping_fourteen():
    service = (REPO / "deploy" / "uniform-kiosk-backup.service").read_text()
    timer = (REPO / "deploy" / "uniform-kiosk-backup.timer").read_text()
    assert "kiosk backup ${KIOSK_BACKUP_DIR} --keep 14" in service
    assert "OnCalendar=*-*-* 03:15:00" in timer and "Persistent=true" in timer
    cron = (REPO / "deploy" / "uniform-kiosk.cron").read_text()
    assert "kiosk backup /var/backups/uniform-kiosk --keep 14" in cron
