"""kiosk.files: the database, its -wal and -shm, and exports written by the CLI are the owner's only."""
from __future__ import annotations

import os
import sqlite3

import pytest
from sqlalchemy import text

from kiosk import create_app
from kiosk.extensions import db
from kiosk.files import write_private


def mode(path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture
def loose_umask():
    """A umask that would leave files readable by everyone (022, the usual one)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_the_sqlite_database_and_its_wal_and_shm_are_owner_only(tmp_path, monkeypatch, loose_umask):
    """Always SQLite, in the PostgreSQL pass too: the server keeps PostgreSQL's files."""
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    path = tmp_path / "kiosk.sqlite3"
    sqlite3.connect(path).close()  # as a copy or an old version left it: 0644
    os.chmod(path, 0o644)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True, "SECRET_KEY": "test"})
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        wal, shm = path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
        assert wal.exists() and shm.exists()  # WAL mode, and the connection is still open
        assert (mode(path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
        db.engine.dispose()


def test_the_suite_database_is_owner_only_when_it_is_a_file(app):
    with app.app_context():
        url = db.engine.url
        if url.get_backend_name() != "sqlite":
            pytest.skip("PostgreSQL's files are the server's")
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        from pathlib import Path

        assert mode(Path(url.database)) == 0o600


def test_write_private_makes_a_new_file_and_an_old_one_owner_only(tmp_path, loose_umask):
    new = write_private(tmp_path / "new.csv", b"a,b\r\n")
    assert new.read_bytes() == b"a,b\r\n" and mode(new) == 0o600
    old = tmp_path / "old.csv"
    old.write_bytes(b"yesterday, a longer file")
    os.chmod(old, 0o644)
    write_private(old, b"today")
    assert old.read_bytes() == b"today" and mode(old) == 0o600


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_the_loss_report_written_by_the_cli_is_owner_only(runner, tmp_path, loose_umask, fmt):
    target = tmp_path / f"loss.{fmt}"
    result = runner.invoke(args=["kiosk", "report", "loss", "--month", "2026-03", "--format", fmt,
                                 "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0 and mode(target) == 0o600
