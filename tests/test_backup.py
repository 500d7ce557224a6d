"""``kiosk backup FOLDER [--keep N]``: a consistent, checked copy of a live database (SQLite; pg_dump)."""
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
                      "SECRET_KEY": "test", "BABEL_DEFAULT_LOCALE": "en"})  # the messages as written
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
        writer.execute("INSERT INTO departments (property_id, name, created_at) VALUES (1, ?, '2024-01-01')",
                       (f"committed-{n}",))

    # One tablet holds a write transaction open for the whole backup...
    holder = _connect(live)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO departments (property_id, name, created_at) VALUES (1, 'uncommitted', '2024-01-01')")

    # ...and another keeps scanning (committing) once the holder lets go.
    stop = threading.Event()
    errors: list[BaseException] = []

    def keep_writing() -> None:
        conn = _connect(live)
        try:
            n = 0
            while not stop.is_set():
                conn.execute("INSERT INTO departments (property_id, name, created_at) VALUES (1, ?, '2024-01-01')",
                             (f"busy-{n}",))
                n += 1
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            conn.close()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    first_folder, second_folder = tmp_path / "first", tmp_path / "second"
    first_folder.mkdir()
    second_folder.mkdir()
    try:
        result = sqlite_app.test_cli_runner().invoke(args=["kiosk", "backup", str(first_folder)])
        holder.execute("ROLLBACK")
        # Once the holder is gone the busy writer commits; back up again mid-stream.
        again = sqlite_app.test_cli_runner().invoke(args=["kiosk", "backup", str(second_folder)])
    finally:
        stop.set()
        thread.join()
        holder.close()
        writer.close()

    assert not errors
    assert result.exit_code == 0, result.output
    assert again.exit_code == 0, again.output
    [dest], [second] = first_folder.glob("*.sqlite3"), second_folder.glob("*.sqlite3")
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


@pytest.fixture
def fixed_name(monkeypatch):
    """Every backup made now is called kiosk-20261203-020000 (two in one second would share a name)."""
    import kiosk.backup

    monkeypatch.setattr(kiosk.backup, "backup_file_name", lambda now=None, suffix=".sqlite3":
                        f"kiosk-20261203-020000{suffix}")
    return "kiosk-20261203-020000"


def test_backup_refuses_to_overwrite_a_file(sqlite_app, tmp_path, fixed_name):
    (tmp_path / f"{fixed_name}.sqlite3").write_bytes(b"yesterday's backup")
    result = sqlite_app.test_cli_runner().invoke(args=["kiosk", "backup", str(tmp_path)])
    assert result.exit_code != 0
    assert "refusing to overwrite" in result.output
    assert (tmp_path / f"{fixed_name}.sqlite3").read_bytes() == b"yesterday's backup"
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_backup_into_a_folder_names_the_file_by_time(sqlite_app, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    result = sqlite_app.test_cli_runner().invoke(args=["kiosk", "backup", str(folder)])
    assert result.exit_code == 0, result.output
    copies = list(folder.glob("*.sqlite3"))
    assert len(copies) == 1
    assert re.fullmatch(r"kiosk-\d{8}-\d{6}\.sqlite3", copies[0].name)
    assert _integrity(copies[0]) == ["ok"]
    assert str(copies[0]) in result.output and "integrity check ok" in result.output
    # ...and its keys beside it, under the same name.
    assert sorted(p.name for p in folder.iterdir()) == sorted([copies[0].name, copies[0].stem + ".keys"])


def test_a_backup_and_its_keys_are_readable_by_their_owner_only(sqlite_app, tmp_path):
    result = sqlite_app.test_cli_runner().invoke(args=["kiosk", "backup", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [copy] = tmp_path.glob("kiosk-*.sqlite3")
    assert copy.stat().st_mode & 0o777 == 0o600
    assert copy.with_suffix(".keys").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("where", ["missing", "a file"])
def test_backup_into_a_missing_folder_or_a_file_fails_and_writes_nothing(sqlite_app, tmp_path, where):
    """A USB stick not mounted: /mnt/usb is missing (or a file): an error, never a file called usb."""
    dest = tmp_path / "usb"
    if where == "a file":
        dest.write_bytes(b"not a folder")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = sqlite_app.test_cli_runner().invoke(args=["kiosk", "backup", str(dest)])
    assert result.exit_code != 0
    said = "is a file" if where == "a file" else "does not exist"
    assert f"backup folder {dest} {said}: give an existing folder (is the disk mounted?)" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert len(result.output.strip().splitlines()) == 1


def test_keep_removes_the_oldest_backups_past_n_with_their_keys_and_nothing_else(sqlite_app, tmp_path):
    tmp_path = tmp_path / "usb"  # the stick: only backups and the hotel's own files
    tmp_path.mkdir()
    for day in ("01", "02", "03"):
        (tmp_path / f"kiosk-202611{day}-020000.sqlite3").write_bytes(b"old")
        (tmp_path / f"kiosk-202611{day}-020000.keys").write_text("old")
    (tmp_path / "notes.txt").write_text("the hotel's own file")
    (tmp_path / "kiosk-20261101-020000.sqlite3.bak").write_text("not ours to remove")
    result = sqlite_app.test_cli_runner().invoke(args=["kiosk", "backup", str(tmp_path), "--keep", "2"])
    assert result.exit_code == 0, result.output
    [new] = [p for p in tmp_path.glob("kiosk-2026*.sqlite3") if not p.name.startswith("kiosk-202611")]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([
        "kiosk-20261103-020000.sqlite3", "kiosk-20261103-020000.keys", new.name, new.stem + ".keys",
        "notes.txt", "kiosk-20261101-020000.sqlite3.bak"])
    assert "Removed the older kiosk-20261101-020000.sqlite3 (--keep 2)." in result.output
    refused = sqlite_app.test_cli_runner().invoke(args=["kiosk", "backup", str(tmp_path), "--keep", "0"])
    assert refused.exit_code != 0  # keeping none would remove the one just made


def test_a_failed_backup_removes_nothing(sqlite_app, tmp_path, fixed_name):
    for day in ("01", "02"):
        (tmp_path / f"kiosk-202611{day}-020000.sqlite3").write_bytes(b"old")
    (tmp_path / f"{fixed_name}.keys").write_text("a keys file in the way")
    result = sqlite_app.test_cli_runner().invoke(args=["kiosk", "backup", str(tmp_path), "--keep", "1"])
    assert result.exit_code != 0 and "refusing to overwrite" in result.output
    assert {"kiosk-20261101-020000.sqlite3", "kiosk-20261102-020000.sqlite3"} <= {p.name for p in tmp_path.iterdir()}


def test_backup_on_the_test_database_is_a_checked_copy_or_dump(app, runner, tmp_path):
    """Whatever the suite runs on: SQLite is copied; PostgreSQL is dumped by pg_dump and checked."""
    from kiosk.backup import verify_dump

    result = runner.invoke(args=["kiosk", "backup", str(tmp_path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "postgresql":
        [dump] = tmp_path.glob("kiosk-*.dump")
        assert "pg_restore --list ok" in result.output
        assert any(" TABLE DATA public garments " in line for line in verify_dump(dump, url))
        assert dump.stat().st_mode & 0o777 == 0o600
    else:
        [copy] = tmp_path.glob("kiosk-*.sqlite3")
        assert _integrity(copy) == ["ok"]


def test_a_failed_backup_alerts_the_supervisors_channels_once_a_day(app, runner, tmp_path):
    """The nightly backup into a stick that is not mounted: exit 1, and one alert queued for each
    channel listening for failed backups (kiosk.alerts sends it; tests/test_alerts.py covers the sending)."""
    from sqlalchemy import select

    from kiosk.alerts.models import Alert, AlertChannel
    from kiosk.alerts.services import BACKUP_FAILED

    with app.app_context():
        db.session.add_all([AlertChannel(name="领班群", kind="wecom", url="https://qyapi.weixin.qq.com/x",
                                         events=BACKUP_FAILED),
                            AlertChannel(name="其他", kind="wecom", url="https://qyapi.weixin.qq.com/y",
                                         events="loan_escalated")])
        db.session.commit()
    for _night in range(2):
        result = runner.invoke(args=["kiosk", "backup", str(tmp_path / "usb")])
        assert result.exit_code == 1
    with app.app_context():
        alerts = db.session.scalars(select(Alert)).all()
        assert [(a.channel.name, a.event) for a in alerts] == [("领班群", BACKUP_FAILED)]
        assert str(tmp_path / "usb") in alerts[0].text and "does not exist" in alerts[0].text
