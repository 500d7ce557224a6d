"""``kiosk restore BACKUP [--yes]``, the serving lock, a clean stop, and two upgrades at once.

The SQLite tests always run on SQLite (the file, its -wal, the locks beside
it); the PostgreSQL ones on the run's PostgreSQL server, and are skipped in
the SQLite pass (said in each).
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from kiosk import create_app
from kiosk.backup import read_keys
from kiosk.extensions import db
from kiosk.models import Department
from tests.serving import serve

REPO = Path(__file__).resolve().parents[1]


def _env(instance: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update(KIOSK_INSTANCE_PATH=str(instance), KIOSK_DATABASE_URL=database_url, KIOSK_PRINTER="dummy:",
               KIOSK_LANGUAGE="en")  # the messages as written (tests/test_cli.py has them in Chinese)
    return env


def _cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def _kiosk_backed_up(tmp_path: Path, database_url: str, *backup_args: str):
    """A kiosk migrated by ``db upgrade`` on ``database_url`` with three departments, backed up into usb/."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "BABEL_DEFAULT_LOCALE": "en"})
    with app.app_context():
        upgrade()
        db.session.add_all(Department(name=f"backed-up-{n}") for n in range(3))
        db.session.commit()
    folder = tmp_path / "usb"
    folder.mkdir()
    result = app.test_cli_runner().invoke(args=["kiosk", "backup", str(folder), *backup_args])
    assert result.exit_code == 0, result.output
    [copy] = folder.glob("kiosk-*.sqlite3") if database_url.startswith("sqlite") else folder.glob("kiosk-*.dump")
    return app, copy


@pytest.fixture
def live(tmp_path, monkeypatch):
    """A kiosk's SQLite database migrated by ``db upgrade``, with three departments, backed up."""
    instance = tmp_path / "instance"
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(instance))
    for name in ("KIOSK_BADGE_KEY", "KIOSK_SECRET_KEY", "KIOSK_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "kiosk.sqlite3"
    app, copy = _kiosk_backed_up(tmp_path, f"sqlite:///{path}")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    yield {"app": app, "path": path, "copy": copy, "instance": instance, "env": _env(instance, f"sqlite:///{path}")}
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _departments(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {row[0] for row in conn.execute("SELECT name FROM departments")}
    finally:
        conn.close()


def _write_and_die(path: Path, names: list[str]) -> None:
    """A kiosk killed mid-shift: rows committed into the WAL, never checkpointed (os._exit)."""
    script = (
        "import os, sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "conn.execute('PRAGMA journal_mode=WAL'); conn.execute('PRAGMA wal_autocheckpoint=0')\n"
        "for name in sys.argv[2:]:\n"
        "    conn.execute(\"INSERT INTO departments (property_id, name, created_at) VALUES (1, ?, '2026-12-01')\", (name,))\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path), *names], check=True)


def test_restore_over_a_database_whose_wal_is_still_there_gives_exactly_the_backups_data(live):
    path = live["path"]
    _write_and_die(path, ["after-the-backup-1", "after-the-backup-2"])
    wal = Path(f"{path}-wal")
    assert wal.exists() and wal.stat().st_size > 0  # what copying the backup over the file would trip over
    # (not read here: closing the last connection would fold the WAL in, as a clean stop does)
    badge_key = read_keys(live["copy"].with_suffix(".keys"))["KIOSK_BADGE_KEY"]
    (live["instance"] / "badge_key").write_text("a key changed since")

    result = live["app"].test_cli_runner().invoke(args=["kiosk", "restore", str(live["copy"]), "--yes"])

    assert result.exit_code == 0, result.output
    assert _departments(path) == {f"backed-up-{n}" for n in range(3)}  # exactly the backup's rows
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    assert path.stat().st_mode & 0o777 == 0o600
    # What was there is kept aside, with its WAL, named with the time, and still reads whole.
    [aside] = path.parent.glob("kiosk.sqlite3.before-restore-*[0-9]")
    assert Path(f"{aside}-wal").exists()
    assert {"after-the-backup-1", "after-the-backup-2"} <= _departments(aside)
    assert f"Kept aside: {aside}" in result.output
    # The backup's keys are in place (the changed key kept aside too), and it was upgraded.
    assert (live["instance"] / "badge_key").read_text() == badge_key
    assert list(live["instance"].glob("badge_key.before-restore-*"))[0].read_text() == "a key changed since"
    assert "upgraded to" in result.output


def test_a_restore_asks_on_a_terminal_and_needs_yes_without_one(live):
    before = _departments(live["path"])
    result = live["app"].test_cli_runner().invoke(args=["kiosk", "restore", str(live["copy"])])
    assert result.exit_code != 0
    assert "not on a terminal: add --yes" in result.output
    assert _departments(live["path"]) == before
    assert not list(live["path"].parent.glob("*.before-restore-*"))


def test_a_broken_backup_or_one_from_a_newer_kiosk_is_refused_and_changes_nothing(live, tmp_path):
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(live["copy"].read_bytes()[:4096] + b"\0" * 4096)
    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(live["copy"].read_bytes())
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    conn.commit()
    conn.close()
    runner = live["app"].test_cli_runner()
    for backup, said in ((broken, "broken.sqlite3"), (newer, "made by a newer kiosk"),
                         (tmp_path / "missing.sqlite3", "not found")):
        result = runner.invoke(args=["kiosk", "restore", str(backup), "--yes"])
        assert result.exit_code != 0 and said in result.output, result.output
        assert "Traceback" not in result.output
    assert _departments(live["path"]) == {f"backed-up-{n}" for n in range(3)}
    assert not list(live["path"].parent.glob("*.before-restore-*"))


def test_restore_is_refused_while_a_kiosk_serves_and_a_killed_kiosk_leaves_nothing_that_blocks(live):
    server, _url = serve(live["env"])
    try:
        result = _cli(live["env"], "kiosk", "restore", str(live["copy"]), "--yes")
        assert result.returncode != 0
        assert "a kiosk is serving this database: stop it first" in result.stderr + result.stdout
        assert not list(live["path"].parent.glob("*.before-restore-*"))
    finally:
        server.kill()  # kill -9: no clean stop, the lock file stays behind
        server.wait()
    assert Path(f"{live['path']}.serve-lock").exists()
    result = _cli(live["env"], "kiosk", "restore", str(live["copy"]), "--yes")
    assert result.returncode == 0, result.stderr
    assert _departments(live["path"]) == {f"backed-up-{n}" for n in range(3)}


def test_a_clean_stop_folds_the_wal_back_into_the_database_file(live):
    server, _url = serve(live["env"])
    try:
        conn = sqlite3.connect(live["path"], isolation_level=None)
        conn.execute("PRAGMA wal_autocheckpoint=0")
        for n in range(50):  # written while the kiosk holds the database open: they stay in the WAL
            conn.execute("INSERT INTO departments (property_id, name, created_at) VALUES (1, ?, '2026-12-01')", (f"shift-{n}",))
        conn.close()
        wal = Path(f"{live['path']}-wal")
        assert wal.exists() and wal.stat().st_size > 0
    finally:
        server.send_signal(signal.SIGTERM)  # systemctl stop
        assert server.wait(timeout=30) == 0
    assert not wal.exists() or wal.stat().st_size == 0
    # The database file alone holds everything: a copy of just that file is whole.
    alone = live["path"].with_name("alone.sqlite3")
    alone.write_bytes(live["path"].read_bytes())
    assert {f"shift-{n}" for n in range(50)} <= _departments(alone)


# --- PostgreSQL ------------------------------------------------------------------------

def _postgres_base() -> str:
    base = os.environ.get("KIOSK_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        pytest.skip("PostgreSQL pass only (KIOSK_TEST_DATABASE_URL)")
    from kiosk.config import normalise_database_url

    return normalise_database_url(base)


@pytest.fixture
def fresh_postgres():
    """A new, empty PostgreSQL database of its own (dropped after)."""
    from sqlalchemy.engine import make_url

    base = make_url(_postgres_base())
    name = f"kiosk_fresh_{os.getpid()}_{time.monotonic_ns() % 10**6}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_two_upgrades_started_together_on_a_fresh_postgresql_database_both_succeed(tmp_path, fresh_postgres):
    env = _env(tmp_path / "instance", fresh_postgres)
    both = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.communicate(timeout=180)[1], p.returncode)[::-1] for p in both]
    assert [code for code, _ in results] == [0, 0], results
    engine = create_engine(fresh_postgres)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def test_two_upgrades_started_together_on_a_fresh_sqlite_database_both_succeed(tmp_path):
    env = _env(tmp_path / "instance", f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    both = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.communicate(timeout=180)[1], p.returncode)[::-1] for p in both]
    assert [code for code, _ in results] == [0, 0], results


def test_a_postgresql_backup_restores_exactly_and_keeps_what_was_there(tmp_path, fresh_postgres, monkeypatch):
    instance = tmp_path / "instance"
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(instance))
    app, dump = _kiosk_backed_up(tmp_path, fresh_postgres, "--keep", "3")
    runner = app.test_cli_runner()
    assert dump.stat().st_mode & 0o777 == 0o600
    with app.app_context():
        db.session.add(Department(name="after-the-backup"))
        db.session.commit()
        db.session.remove()

    result = runner.invoke(args=["kiosk", "restore", str(dump), "--yes"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert set(db.session.scalars(select(Department.name))) == {f"backed-up-{n}" for n in range(3)}
        assert db.session.scalar(select(func.count()).select_from(text("alembic_version"))) == 1
        db.session.remove()
        db.engine.dispose()
    [before] = instance.glob("before-restore-*.dump")
    assert f"Kept aside: {before}" in result.output
