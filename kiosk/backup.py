"""Consistent backup of a live database: ``flask --app app kiosk backup DEST``.

SQLite is copied with its online backup API, which reads one consistent
snapshot even while tablets keep scanning (WAL mode lets the copy read while
a writer writes). PostgreSQL is not copied here: ``pg_dump`` does that job
properly, so the command prints how to run it and fails, since no backup
was made.

Either way the instance's keys are written beside the copy
(``kiosk-YYYYmmdd-HHMMSS.keys``, owner-only): the badge key without which
the copy's badges name nobody (badges are stored as keyed hashes, see
:mod:`kiosk.badges`) and the secret key. The file is in the environment
file format (``KIOSK_BADGE_KEY=...``), so a restored kiosk can be started
with it, or each value written back into its file in ``instance/``.
"""
from __future__ import annotations

import datetime as dt
import os
import shlex
import sqlite3
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import URL

from .extensions import db
from .files import make_private


class BackupError(Exception):
    """The backup was not made; the message says why, in one line."""


def backup_file_name(now: dt.datetime | None = None, suffix: str = ".sqlite3") -> str:
    return f"kiosk-{(now or dt.datetime.now()):%Y%m%d-%H%M%S}{suffix}"


#: The keys a copy needs, by the environment variable that sets each one.
KEY_SETTINGS = (("KIOSK_BADGE_KEY", "KIOSK_BADGE_KEY"), ("KIOSK_SECRET_KEY", "SECRET_KEY"))


def keys_file_for(copy: Path) -> Path:
    """``kiosk-….sqlite3`` -> ``kiosk-….keys``, beside it."""
    return copy.with_suffix(".keys")


def write_keys(path: Path, keys: dict[str, str], copy_name: str) -> Path:
    """Write ``keys`` ({environment variable: value}) to ``path``, owner-only (0600), never over a file."""
    lines = [
        f"# The keys of the kiosk database copy {copy_name}. Keep this file with it, somewhere safe:",
        "# without KIOSK_BADGE_KEY every badge has to be scanned in again (PINs still work).",
        "# To restore, start the kiosk with these settings (an EnvironmentFile for systemd),",
        "# or write each value into instance/badge_key and instance/secret_key.",
        *(f"{name}={value}" for name, value in keys.items()),
    ]
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{path} already exists; refusing to overwrite it.") from None
    except OSError as error:
        raise BackupError(f"could not write the keys to {path}: {error.strerror}") from None
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)  # whatever the umask
    return path


def read_keys(path: Path) -> dict[str, str]:
    """The settings in a keys file written by :func:`write_keys`."""
    keys = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            keys[name.strip()] = value.strip()
    return keys


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


class PostgresNotCopied(BackupError):
    """PostgreSQL: the keys were written, the database is for pg_dump (no copy was made)."""

    def __init__(self, message: str, keys: Path) -> None:
        super().__init__(message)
        self.keys = keys


def backup(url: URL, dest: Path, keys: dict[str, str] | None = None) -> tuple[Path, Path | None]:
    """Copy the database to ``dest`` and write ``keys`` beside it; returns (copy, keys file).

    On PostgreSQL only the keys are written (beside the file pg_dump should
    write) and :class:`PostgresNotCopied` says how to run pg_dump.
    """
    backend = url.get_backend_name()
    if backend == "postgresql":
        target = dest / backup_file_name(suffix=".dump") if dest.is_dir() else dest
        written = None
        if keys:
            if not target.parent.is_dir():
                raise BackupError(f"directory {target.parent} does not exist.")
            written = write_keys(keys_file_for(target), keys, target.name)
        raise PostgresNotCopied(
            "PostgreSQL is not copied by the kiosk; back it up with: " + pg_dump_command(url, target),
            written)
    if backend != "sqlite":
        raise BackupError(f"cannot back up a {backend} database.")
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("the database is not a SQLite file.")
    # The target's name is decided once, so the keys file matches the copy.
    target = _target(dest)
    if keys and keys_file_for(target).exists():
        raise BackupError(f"{keys_file_for(target)} already exists; refusing to overwrite it.")
    copy = backup_sqlite(Path(url.database), target)
    written = write_keys(keys_file_for(copy), keys, copy.name) if keys else None
    return copy, written


def instance_keys(config) -> dict[str, str]:
    """The keys a copy of this kiosk's database needs, from the app's config."""
    return {name: config[setting] for name, setting in KEY_SETTINGS if config.get(setting)}


@click.command("backup")
@with_appcontext
@click.argument("dest", type=click.Path(path_type=Path))
def backup_command(dest: Path) -> None:
    """Back up the database to DEST (a file, or a directory for kiosk-YYYYmmdd-HHMMSS.sqlite3).

    The badge key and the secret key are written beside the copy (.keys, owner-only).
    """
    try:
        target, keys = backup(db.engine.url, dest, instance_keys(current_app.config))
    except PostgresNotCopied as refused:
        if refused.keys is not None:
            click.echo(f"Keys written to {refused.keys} (owner-only). Keep them with the pg_dump copy: "
                       "without the badge key every badge must be scanned in again.")
        raise click.ClickException(str(refused)) from None
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written to {target} ({target.stat().st_size:,} bytes), integrity check ok.")
    if keys is not None:
        click.echo(f"Keys written to {keys} (owner-only). Keep both files together: without the keys "
                   "every badge must be scanned in again (PINs still work).")
