"""What /healthz tells the hotel's monitoring: the truth about the database, in one place.

503 (with the reason) when the kiosk cannot do its job: the database cannot
be reached, cannot be written (a read-only file or server, a lock never
granted), its disk is (nearly) full (below ``KIOSK_MIN_FREE_MB``), or its
migration revision is not this code's (a restore not upgraded, a
half-applied upgrade). 200 otherwise, whatever the printers do: a paper-out
must not make a monitor restart the kiosk; the body says it under ``print``.

The body, either way: ``status``, ``reason`` (English, for IT), ``database``,
``revision`` (the database's and the code's), ``disk`` (free MB where the
database, or for PostgreSQL the instance folder, lives), ``version`` and
``print`` (the queue: waiting, failed, the printer as its latest job found it).
"""
from __future__ import annotations

import shutil
from importlib import metadata
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .database import READ_ONLY, STORAGE_FULL, UNREACHABLE, why_not_saved
from .files import sqlite_path

#: app.extensions key: the migration head of this code, read once
HEAD = "kiosk.migration_head"


def version() -> str:
    try:
        return metadata.version("uniform-room-kiosk")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def code_head(app: Flask) -> str | None:
    """The newest migration this code has (Flask-Migrate's scripts), cached on the app."""
    if HEAD not in app.extensions:
        from alembic.script import ScriptDirectory

        state = app.extensions["migrate"]
        app.extensions[HEAD] = ScriptDirectory.from_config(state.migrate.get_config(state.directory)).get_current_head()
    return app.extensions[HEAD]


def _storage_folder(app: Flask, session: Session) -> Path:
    database = sqlite_path(session.get_bind().url)
    return database.parent if database is not None else Path(app.instance_path)


def _write_probe(session: Session) -> None:
    """A real write, never kept: the row of alembic_version updated to itself, rolled back.

    SQLite refuses it on a read-only file or when the write lock is not
    granted in busy_timeout; PostgreSQL in a read-only server or transaction.
    """
    session.execute(text("UPDATE alembic_version SET version_num = version_num"))
    session.rollback()


#: a group's print state is its worst hotel's
_WORST_FIRST = ("failed", "status_unknown", "ok", "unused")


def _print_state(session: Session, printer_state) -> dict[str, Any]:
    """The print queue's state; a group's: the sums and the worst printer, and each hotel's."""
    from .properties.services import each_property

    states = {record.code or str(record.id): printer_state(session) for record in each_property(session)}
    if len(states) == 1:
        return next(iter(states.values()))
    worst = min(states.values(), key=lambda state: _WORST_FIRST.index(state["printer"]))
    return {"waiting": sum(state["waiting"] for state in states.values()),
            "failed": sum(state["failed"] for state in states.values()),
            "printer": worst["printer"], **({"reason": worst["reason"]} if "reason" in worst else {}),
            "properties": states}


def check(app: Flask, session: Session) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) for /healthz."""
    from .printing.services import printer_state

    head = code_head(app)
    body: dict[str, Any] = {"status": "ok", "database": "ok", "version": version(),
                            "revision": {"database": None, "code": head}}
    problems: list[str] = []
    try:
        folder = _storage_folder(app, session)
        free_mb = shutil.disk_usage(folder).free // (1024 * 1024)
        body["disk"] = {"free_mb": free_mb, "path": str(folder)}
        if free_mb < int(app.config.get("KIOSK_MIN_FREE_MB", 50)):
            problems.append(f"storage nearly full: {free_mb} MB free in {folder} "
                            f"(KIOSK_MIN_FREE_MB={app.config.get('KIOSK_MIN_FREE_MB', 50)})")
    except OSError as error:
        problems.append(f"storage cannot be read: {error.strerror}")
    try:
        revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        body["revision"]["database"] = revision
        if revision != head:
            problems.append(f"database at migration {revision}, code at {head}: run flask --app app db upgrade")
        else:
            _write_probe(session)
        body["print"] = _print_state(session, printer_state)
        session.rollback()
    except SQLAlchemyError as error:
        session.rollback()
        why = why_not_saved(error)
        body["database"] = {STORAGE_FULL: "full", READ_ONLY: "read_only", UNREACHABLE: "unreachable"}.get(why, "busy")
        said = str(getattr(error, "orig", error)).strip().splitlines()
        problems.append(f"database: {said[0] if said else type(error).__name__}")
    if problems:
        body["status"] = "error"
        body["reason"] = "; ".join(problems)
        return 503, body
    return 200, body
