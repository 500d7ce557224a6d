"""``kiosk backup DEST``: a consistent copy of a live SQLite database."""
from __future__ import annotations

import re
import sqlite3
import threading

import pytest

from kiosk import create_app
from kiosk.backup import read_keys
from kiosk.extensions import db


@pytest.fixture
def sqlite_app(tmp_path, monkeypatch):
    """Always SQLite, even in the PostgreSQL pass: this is what is copied."""
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    path = tmp_path / "live.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True,
                      "SECRET_KEY": "test"})
    with app.app_context():
        db.create_all()
    app.config["TEST_DB_PATH"] = path
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _connect(path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def _names(path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {row[0] for row in conn.execute("SELECT name FROM departments")}
    finally:
        conn.close()


def _integrity(path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def test_backup_of_a_database_being_written_is_whole(sqlite_app, tmp_path):
    live = sqlite_app.config["TEST_DB_PATH"]
    writer = _connect(live)
    for n in range(200):
        writer.execute("INSERT INTO departments (name, created_at) VALUES (?, '2024-01-01')",
                       (f"committed-{n}",))

    # One tablet holds a write transaction open for the whole backup...
    holder = _connect(live)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO departments (name, created_at) VALUES ('uncommitted', '2024-01-01')")

    # ...and another keeps scanning (committing) once the holder lets go.
    stop = threading.Event()
    errors: list[BaseException] = []

    def keep_writing() -> None:
        conn = _connect(live)
        try:
            n = 0
            while not stop.is_set():
                conn.execute("INSERT INTO departments (name, created_at) VALUES (?, '2024-01-01')",
                             (f"busy-{n}",))
                n += 1
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            conn.close()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        dest = tmp_path / "copy.sqlite3"
        result = sqlite_app.test_cli_runner().invoke(args=["kiosk", "backup", str(dest)])
        holder.execute("ROLLBACK")
        # Once the holder is gone the busy writer commits; back up again mid-stream.
        second = tmp_path / "second.sqlite3"
        again = sqlite_app.test_cli_runner().invoke(args=["kiosk", "backup", str(second)])
    finally:
        stop.set()
        thread.join()
        holder.close()
        writer.close()

    assert not errors
    assert result.exit_code == 0, result.output
    assert again.exit_code == 0, again.output
    for copy in (dest, second):
        assert _integrity(copy) == ["ok"]
        names = _names(copy)
        assert {f"committed-{n}" for n in range(200)} <= names
        assert "uncommitted" not in names
    assert str(dest) in result.output and "bytes" in result.output
    # A self-contained file: no WAL left to carry around with it.
    conn = sqlite3.connect(dest)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        conn.close()


def test_backup_refuses_to_overwrite_a_file(sqlite_app, tmp_path):
    dest = tmp_path / "existing.sqlite3"
    dest.write_bytes(b"yesterday's backup")
    result = sqlite_app.test_cli_runner().invoke(args=["kiosk", "backup", str(dest)])
    assert result.exit_code != 0
    assert "refusing to overwrite" in result.output
    assert dest.read_bytes() == b"yesterday's backup"
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_backup_into_a_directory_names_the_file_by_time(sqlite_app, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    result = sqlite_app.test_cli_runner().invoke(args=["kiosk", "backup", str(folder)])
    assert result.exit_code == 0, result.output
    copies = list(folder.glob("*.sqlite3"))
    assert len(copies) == 1
    assert re.fullmatch(r"kiosk-\d{8}-\d{6}\.sqlite3", copies[0].name)
    assert _integrity(copies[0]) == ["ok"]
    assert str(copies[0]) in result.output
    # ...and its keys beside it, under the same name.
    assert sorted(p.name for p in folder.iterdir()) == sorted([copies[0].name, copies[0].stem + ".keys"])


def test_a_backup_is_readable_by_its_owner_only(sqlite_app, tmp_path):
    dest = tmp_path / "copy.sqlite3"
    result = sqlite_app.test_cli_runner().invoke(args=["kiosk", "backup", str(dest)])
    assert result.exit_code == 0, result.output
    assert dest.stat().st_mode & 0o777 == 0o600


def test_backup_into_a_missing_directory_fails_clearly(sqlite_app, tmp_path):
    result = sqlite_app.test_cli_runner().invoke(
        args=["kiosk", "backup", str(tmp_path / "nowhere" / "copy.sqlite3")])
    assert result.exit_code != 0
    assert "does not exist" in result.output


def test_postgresql_is_not_copied_but_the_pg_dump_command_is_printed(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql://kiosk:s3cret@db.example:5433/hotel",
                      "TESTING": True, "SECRET_KEY": "test"})
    dest = tmp_path / "hotel.dump"
    result = app.test_cli_runner().invoke(args=["kiosk", "backup", str(dest)])
    assert result.exit_code != 0
    assert f"pg_dump --format=custom --file {dest} postgresql://kiosk@db.example:5433/hotel" in result.output
    assert "s3cret" not in result.output
    assert not dest.exists()
    # The keys are written all the same, beside where pg_dump is told to write, and the output says so.
    keys = tmp_path / "hotel.keys"
    assert f"Keys written to {keys} (owner-only). Keep them with the pg_dump copy" in result.output
    assert len(result.output.strip().splitlines()) == 2
    assert keys.stat().st_mode & 0o777 == 0o600
    assert set(read_keys(keys)) == {"KIOSK_BADGE_KEY", "KIOSK_SECRET_KEY"}


def test_backup_on_the_test_database(app, runner, tmp_path):
    """Whatever the suite runs on: SQLite is copied, PostgreSQL gets the hint."""
    dest = tmp_path / "suite.backup"
    result = runner.invoke(args=["kiosk", "backup", str(dest)])
    with app.app_context():
        backend = db.engine.url.get_backend_name()
    if backend == "postgresql":
        assert result.exit_code != 0
        assert "pg_dump --format=custom" in result.output
        assert not dest.exists()
    else:
        assert result.exit_code == 0, result.output
        assert _integrity(dest) == ["ok"]
