"""Restore a backup: ``flask --app app kiosk restore BACKUP [--yes]``.

Copying a backup over ``kiosk.sqlite3`` by hand goes wrong: a stopped (or
killed) kiosk leaves ``kiosk.sqlite3-wal`` behind, which SQLite then replays
over the copy, silently undoing the restore or corrupting it. So:

1. The backup is checked first: SQLite's integrity check (or
   ``pg_restore --list`` of a dump), and its migration revision must be one
   this code knows (a backup from a newer kiosk is refused).
2. No kiosk may be serving the database: ``kiosk serve`` holds a lock for as
   long as it serves (:mod:`kiosk.locks`; the operating system's or the
   PostgreSQL server's, never a left-over file), and the restore holds it
   exclusively until it is done, so no kiosk starts meanwhile.
3. It asks before it replaces anything (on a terminal; without one,
   ``--yes`` is needed).
4. SQLite: the current database and its ``-wal``/``-shm`` are moved aside,
   kept, named with the time (``kiosk.sqlite3.before-restore-20261203-061500``
   and its ``-wal``); the backup is copied into place (owner-only).
   PostgreSQL: the current database is dumped into the instance folder
   first (``before-restore-….dump``), then emptied and the dump restored in
   one transaction.
5. The keys file written beside the backup (``.keys``) is put in place
   (``instance/badge_key``, ``instance/secret_key``; the current ones moved
   aside), so the restored badges find their people.
6. The restored database is upgraded to this code's schema.

Anything failing before the backup is in place changes nothing; a failure
while putting it in place moves the current files back.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import gettext
from sqlalchemy import text
from sqlalchemy.engine import URL

from . import locks
from .backup import (
    BackupError,
    backup_postgres,
    keys_file_for,
    pg_target,
    pg_tool,
    read_keys,
    run_tool,
    verify_dump,
    verify_sqlite,
)
from .config import BADGE_KEY_FILE, SECRET_KEY_FILE
from .domain.errors import DomainError, N_
from .extensions import db
from .files import make_private, sqlite_files, sqlite_path, write_private

#: keys file setting -> (instance file, app config key)
KEY_FILES = {"KIOSK_BADGE_KEY": (BADGE_KEY_FILE, "KIOSK_BADGE_KEY"), "KIOSK_SECRET_KEY": (SECRET_KEY_FILE, "SECRET_KEY")}


class RestoreError(BackupError):
    """Nothing was restored; the message says why, in one line (in the kiosk's language)."""


@dataclass
class Restored:
    backup: Path
    revision: str
    head: str
    kept: list[Path] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    #: what the person must know, as messages to say in their language
    warnings: list[DomainError] = field(default_factory=list)


def _stamp() -> str:
    return f"{dt.datetime.now():%Y%m%d-%H%M%S}"


def _scripts(app: Flask) -> ScriptDirectory:
    """The migrations this code has (Flask-Migrate's own configuration)."""
    state = app.extensions["migrate"]
    return ScriptDirectory.from_config(state.migrate.get_config(state.directory))


def check_revision(app: Flask, revision: str | None) -> str:
    """The head this code migrates to, when ``revision`` is one it knows; else :class:`RestoreError`."""
    scripts = _scripts(app)
    head = scripts.get_current_head()
    if not revision:
        raise RestoreError(N_("the backup has no migration revision: it is not a kiosk database "
                              "(or was never migrated)."))
    try:
        known = scripts.get_revision(revision)
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown revision
        known = None
    if known is None:
        raise RestoreError(N_("the backup is at migration %(revision)s, which this kiosk does not know: it was "
                              "made by a newer kiosk (this one is at %(head)s). Upgrade the kiosk first."),
                           revision=revision, head=head)
    return head


def sqlite_revision(path: Path) -> str | None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()
    return row[0] if row else None


def dump_revision(path: Path, url: URL) -> str | None:
    """The revision in a custom-format dump's alembic_version data (read without restoring it)."""
    result = run_tool([pg_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(path)],
                      url, f"reading {path.name}")
    lines = result.stdout.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and index + 1 < len(lines):
            value = lines[index + 1].strip()
            return value if value and value != "\\." else None
    return None


def _keys_in_place(app: Flask, backup: Path, stamp: str, restored: Restored) -> None:
    """Write the backup's keys into the instance folder (the current ones kept aside) and the app's config."""
    keys_file = keys_file_for(backup)
    if not keys_file.exists():
        restored.warnings.append(DomainError(N_(
            "no keys file %(name)s beside the backup: the current keys stay; badges made with another key must "
            "be scanned in again (PINs still work)."), name=keys_file.name))
        return
    keys = read_keys(keys_file)
    folder = Path(app.instance_path)
    for setting, (file_name, config_key) in KEY_FILES.items():
        value = keys.get(setting)
        if not value:
            continue
        path = folder / file_name
        if path.exists():
            aside = path.with_name(f"{file_name}.before-restore-{stamp}")
            os.replace(path, aside)
            restored.kept.append(aside)
        write_private(path, value.encode())
        app.config[config_key] = value
        restored.keys.append(file_name)
        if os.environ.get(setting) and os.environ[setting] != value:
            restored.warnings.append(DomainError(N_(
                "%(setting)s is set in the environment: the kiosk uses that, not the restored %(file)s. Put the "
                "backup's value there (from %(keys)s)."), setting=setting, file=file_name, keys=keys_file.name))


def _restore_sqlite(app: Flask, backup: Path, url: URL, stamp: str, restored: Restored) -> None:
    database = Path(url.database)
    partial = database.with_name(f".{database.name}.restoring-{os.getpid()}")
    shutil.copyfile(backup, partial)
    make_private(partial)
    moved: list[tuple[Path, Path]] = []
    try:
        verify_sqlite(partial)
        for name in sqlite_files(str(database)):
            current = Path(name)
            if current.exists():
                aside = database.with_name(database.name + f".before-restore-{stamp}" + name[len(str(database)):])
                os.replace(current, aside)
                moved.append((current, aside))
        os.replace(partial, database)
    except BaseException:
        for current, aside in reversed(moved):
            os.replace(aside, current)
        partial.unlink(missing_ok=True)
        raise
    restored.kept.extend(aside for _, aside in moved)


def _restore_postgres(app: Flask, backup: Path, url: URL, stamp: str, restored: Restored) -> None:
    before = Path(app.instance_path) / f"before-restore-{stamp}.dump"
    with db.engine.connect() as connection:
        has_tables = connection.execute(text(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")).scalar()
    if has_tables:
        backup_postgres(url, before)
        restored.kept.append(before)
    db.engine.dispose()
    with db.engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
        connection.commit()
    db.engine.dispose()
    run_tool([pg_tool("pg_restore"), "--no-owner", "--single-transaction", "--exit-on-error",
              "--dbname", pg_target(url), str(backup)], url, "pg_restore")


def restore(app: Flask, backup: Path, *, confirm) -> Restored:
    """Restore ``backup`` over the configured database (see the module's steps); ``confirm(question)``."""
    url = db.engine.url
    backend = url.get_backend_name()
    if not backup.is_file():
        raise RestoreError(N_("backup %(path)s not found."), path=str(backup))
    if backend == "sqlite":
        if sqlite_path(url) is None:
            raise RestoreError(N_("the database is not a SQLite file."))
        verify_sqlite(backup)
        revision = sqlite_revision(backup)
        target = url.database
    elif backend == "postgresql":
        verify_dump(backup, url)
        revision = dump_revision(backup, url)
        target = pg_target(url)
    else:
        raise RestoreError(N_("cannot restore a %(backend)s database."), backend=backend)
    head = check_revision(app, revision)
    if not confirm(gettext("Replace the database %(target)s with the backup %(name)s (migration %(revision)s)? "
                           "The current one is kept aside.", target=target, name=backup.name, revision=revision)):
        raise RestoreError(N_("not confirmed: nothing was changed."))
    db.session.remove()
    try:
        held = locks.nobody_serving(db.engine)
    except locks.Busy:
        raise RestoreError(N_("a kiosk is serving this database: stop it first (systemctl stop uniform-kiosk, or "
                              "Ctrl+C where it runs), then restore. Nothing was changed.")) from None
    restored = Restored(backup, revision, head)
    stamp = _stamp()
    try:
        db.engine.dispose()  # no connection may stay open on the file that moves aside
        if backend == "sqlite":
            _restore_sqlite(app, backup, url, stamp, restored)
        else:
            _restore_postgres(app, backup, url, stamp, restored)
        _keys_in_place(app, backup, stamp, restored)
        db.engine.dispose()
        from flask_migrate import upgrade

        upgrade()
    finally:
        db.session.remove()
        db.engine.dispose()
        held.release()
    current_app.logger.info("restored %s (migration %s, upgraded to %s)", backup, revision, head)
    return restored


@click.command("restore")
@with_appcontext
@click.argument("backup", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask (needed without a terminal: cron, a script).")
def restore_command(backup: Path, yes: bool) -> None:
    """Restore BACKUP (a kiosk backup: .sqlite3 or a PostgreSQL .dump) over the configured database.

    Checked first; refused while a kiosk serves the database; the current
    database (SQLite: with its -wal and -shm) is kept aside, named with the
    time; the backup's keys are put in place; then it is upgraded.
    """
    def confirm(question: str) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            raise RestoreError(N_("not on a terminal: add --yes to restore without being asked. Nothing was changed."))
        return click.confirm(question, default=False)

    try:
        restored = restore(current_app._get_current_object(), backup, confirm=confirm)
    except BackupError as error:
        raise click.ClickException(error.translated(gettext)) from None
    click.echo(gettext("Restored %(backup)s (migration %(revision)s), upgraded to %(head)s.",
                       backup=restored.backup, revision=restored.revision, head=restored.head))
    for path in restored.kept:
        click.echo(gettext("Kept aside: %(path)s", path=path))
    if restored.keys:
        click.echo(gettext("Keys put in place: %(keys)s (from %(file)s).", keys=", ".join(restored.keys),
                           file=keys_file_for(restored.backup).name))
    for warning in restored.warnings:
        click.echo(gettext("Warning: %(warning)s", warning=warning.translated(gettext)))
    click.echo(gettext("Start the kiosk again."))
