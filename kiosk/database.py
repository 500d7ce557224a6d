"""Engine settings that must hold on every connection."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import event

from .files import make_private, sqlite_files


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets tablets read while one writes; synchronous=FULL makes a committed
    # scan survive a power cut; busy_timeout waits for a writer instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    # What is deleted or overwritten is zeroed in the file, not left in free pages: an erased
    # visitor's phone, a badge code from before it was hashed, must not live on in a copy.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _owner_only(database: str) -> None:
    # Before the pragmas: the -wal and -shm files SQLite creates next take this file's mode.
    for path in sqlite_files(database):
        make_private(path)


def init_app(app: Flask) -> None:
    from .extensions import db

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            database = engine.url.database
            if database and database != ":memory:" and not database.startswith("file:"):
                event.listen(engine, "connect", lambda _conn, _record: _owner_only(database))
            event.listen(engine, "connect", _sqlite_pragmas)
