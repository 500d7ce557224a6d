"""Consistent backup of a live database: ``flask --app app kiosk backup DEST``.

SQLite is copied with its online backup API, which reads one consistent
snapshot even while tablets keep scanning (WAL mode lets the copy read while
a writer writes). PostgreSQL is not copied here: ``pg_dump`` does that job
properly, so the command prints how to run it and fails, since no backup
was made.
"""
from __future__ import annotations

import datetime as dt
import os
import shlex
import sqlite3
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.engine import URL

from .extensions import db
from .files import make_private


class BackupError(Exception):
    """The backup was not made; the message says why, in one line."""


def backup_file_name(now: dt.datetime | None = None) -> str:
    return f"kiosk-{(now or dt.datetime.now()):%Y%m%d-%H%M%S}.sqlite3"


def pg_dump_command(url: URL, dest: str | os.PathLike[str]) -> str:
    """The pg_dump call for this database, with the password left out."""
    # pg_dump speaks libpq URLs: no "+psycopg" driver suffix, and no password on
    # a command line that lands in shell history (PGPASSWORD or ~/.pgpass).
    public = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                        database=url.database, query=url.query)
    target = public.render_as_string(hide_password=False)
    return f"pg_dump --format=custom --file {shlex.quote(str(dest))} {shlex.quote(target)}"


def _target(dest: Path) -> Path:
    target = dest / backup_file_name() if dest.is_dir() else dest
    if target.exists():
        raise BackupError(f"{target} already exists; refusing to overwrite it.")
    if not target.parent.is_dir():
        raise BackupError(f"directory {target.parent} does not exist.")
    return target


def _verify(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()
    if result != ["ok"]:
        raise BackupError(f"the copy failed its integrity check: {'; '.join(map(str, result[:3]))}")


def backup_sqlite(source: Path, dest: Path) -> Path:
    """Copy the live SQLite database ``source`` to ``dest`` (a file or a directory).

    The copy is written beside the target under a temporary name, checked,
    and only then given its name, so a half-written file never looks like
    a backup, and an existing file is never replaced.
    """
    if not source.is_file():
        raise BackupError(f"database file {source} not found.")
    target = _target(dest)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        src = sqlite3.connect(source, timeout=30)
        try:
            dst = sqlite3.connect(partial)
            make_private(partial)  # a copy of everyone's data: the owner's only (the link keeps the mode)
            try:
                src.backup(dst)  # all pages in one step: one consistent snapshot
                # The copy is a single self-contained file, not a WAL database
                # that would want -wal and -shm files beside it.
                dst.execute("PRAGMA journal_mode=DELETE").fetchall()
            finally:
                dst.close()
        finally:
            src.close()
        _verify(partial)
        try:
            os.link(partial, target)  # fails rather than overwrite a file that appeared meanwhile
        except FileExistsError:
            raise BackupError(f"{target} already exists; refusing to overwrite it.") from None
        except OSError:  # a file system without hard links
            if target.exists():
                raise BackupError(f"{target} already exists; refusing to overwrite it.") from None
            os.replace(partial, target)
    except sqlite3.Error as error:
        raise BackupError(f"could not copy the database: {error}") from error
    finally:
        partial.unlink(missing_ok=True)
    return target


def backup(url: URL, dest: Path) -> Path:
    backend = url.get_backend_name()
    if backend == "postgresql":
        raise BackupError(
            "PostgreSQL is not copied by the kiosk; back it up with: "
            + pg_dump_command(url, dest)
        )
    if backend != "sqlite":
        raise BackupError(f"cannot back up a {backend} database.")
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("the database is not a SQLite file.")
    return backup_sqlite(Path(url.database), dest)


@click.command("backup")
@with_appcontext
@click.argument("dest", type=click.Path(path_type=Path))
def backup_command(dest: Path) -> None:
    """Back up the database to DEST (a file, or a directory for kiosk-YYYYmmdd-HHMMSS.sqlite3)."""
    try:
        target = backup(db.engine.url, dest)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written to {target} ({target.stat().st_size:,} bytes), integrity check ok.")
