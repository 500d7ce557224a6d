"""Backups of a live database: ``flask --app app kiosk backup FOLDER [--keep N]``.

- FOLDER must be an existing folder: a USB stick that is not mounted is an
  error, never a file of that name.
- SQLite is copied with its online backup API, which reads one consistent
  snapshot even while tablets keep scanning (WAL mode lets the copy read
  while a writer writes); the copy is a single file (no -wal beside it).
- PostgreSQL is dumped by ``pg_dump --format=custom`` run here (Debian's
  postgresql-client, installed by scripts/system-deps.sh), with the
  password in the environment, never on a command line.
- Each backup is written under a temporary name, checked (SQLite's
  integrity check; ``pg_restore --list`` of the dump), made owner-only and
  only then given its name, so a half-written or broken file never looks
  like a backup and an existing one is never replaced.
- The instance's keys go beside it (``kiosk-YYYYmmdd-HHMMSS.keys``,
  owner-only): the badge key without which the copy's badges name nobody
  (badges are stored as keyed hashes, see :mod:`kiosk.badges`) and the
  secret key, in the environment file format (``KIOSK_BADGE_KEY=...``).
  ``kiosk restore`` puts them back in place (:mod:`kiosk.restore`).
- ``--keep N``: once the new backup is checked, the oldest backups in the
  folder past the newest N are removed, with their keys (only files this
  command names: ``kiosk-YYYYmmdd-HHMMSS.sqlite3|.dump|.keys``).
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext
from sqlalchemy.engine import URL

from .domain.errors import DomainError, Label, N_
from .extensions import db
from .files import make_private, sqlite_path


class BackupError(DomainError):
    """The backup was not made; the message says why, in one line (a msgid and its
    parameters: the command says it in the kiosk's language)."""


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
        raise BackupError(N_("%(path)s already exists; refusing to overwrite it."), path=str(path)) from None
    except OSError as error:
        raise BackupError(N_("could not write the keys to %(path)s: %(reason)s"), path=str(path), reason=str(error.strerror)) from None
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


#: what this command names its files, and so the only files ``--keep`` removes
BACKUP_NAME = re.compile(r"^kiosk-(\d{8}-\d{6})\.(sqlite3|dump)$")


def _folder(dest: Path) -> Path:
    """``dest`` when it is an existing folder; else why not (nothing is written)."""
    if not dest.is_dir():
        what = N_("is a file") if dest.exists() else N_("does not exist")
        raise BackupError(N_("backup folder %(path)s %(what)s: give an existing folder (is the disk mounted?); "
                             "nothing was written."), path=str(dest), what=Label(what))
    return dest


def _target(folder: Path, suffix: str) -> Path:
    target = folder / backup_file_name(suffix=suffix)
    for path in (target, keys_file_for(target)):
        if path.exists():
            raise BackupError(N_("%(path)s already exists; refusing to overwrite it."), path=str(path))
    return target


def _publish(partial: Path, target: Path) -> None:
    """Give the checked ``partial`` its name, never over a file that appeared meanwhile."""
    try:
        os.link(partial, target)
    except FileExistsError:
        raise BackupError(N_("%(path)s already exists; refusing to overwrite it."), path=str(target)) from None
    except OSError:  # a file system without hard links (a FAT stick)
        if target.exists():
            raise BackupError(N_("%(path)s already exists; refusing to overwrite it."), path=str(target)) from None
        os.replace(partial, target)

def verify_sqlite(path: Path) -> None:
    """SQLite's integrity check of the file at ``path``, or :class:`BackupError`."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:
        raise BackupError(N_("%(name)s is not a readable SQLite database: %(reason)s"), name=path.name, reason=str(error)) from None
    finally:
        conn.close()
    if result != ["ok"]:
        raise BackupError(N_("%(name)s failed its integrity check: %(reason)s"), name=path.name,
                          reason="; ".join(map(str, result[:3])))


def backup_sqlite(source: Path, target: Path) -> Path:
    """Copy the live SQLite database ``source`` to ``target`` (a new file), checked."""
    if not source.is_file():
        raise BackupError(N_("database file %(path)s not found."), path=str(source))
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
        verify_sqlite(partial)
        _publish(partial, target)
    except sqlite3.Error as error:
        raise BackupError(N_("could not copy the database: %(reason)s"), reason=str(error)) from error
    finally:
        partial.unlink(missing_ok=True)
    return target


def pg_environment(url: URL) -> dict[str, str]:
    """The environment pg_dump/pg_restore/psql run in: the password in PGPASSWORD, never argv."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return env


def pg_target(url: URL) -> str:
    """A libpq URL for ``url`` without driver suffix or password."""
    return URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                      database=url.database, query=url.query).render_as_string(hide_password=False)


def pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(N_("%(name)s is not installed: install Debian's postgresql-client "
                             "(scripts/system-deps.sh does), then run the backup again."), name=name)
    return path


def run_tool(args: list[str], url: URL, what: str, timeout: float = 3600) -> subprocess.CompletedProcess:
    """Run a PostgreSQL client tool; its failure is a :class:`BackupError` with its own words."""
    try:
        result = subprocess.run(args, env=pg_environment(url), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BackupError(N_("%(what)s did not finish within %(seconds)s s."), what=what, seconds=f"{timeout:.0f}") from None
    if result.returncode != 0:
        said = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(N_("%(what)s failed: %(reason)s"), what=what,
                          reason=said[-1] if said else f"exit {result.returncode}")
    return result


def verify_dump(path: Path, url: URL) -> list[str]:
    """The table of contents of a custom-format dump (``pg_restore --list``), or :class:`BackupError`."""
    result = run_tool([pg_tool("pg_restore"), "--list", str(path)], url, f"checking {path.name}")
    return [line for line in result.stdout.splitlines() if line and not line.startswith(";")]


def backup_postgres(url: URL, target: Path) -> Path:
    """``pg_dump --format=custom`` of the configured database into ``target``, checked."""
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        partial.touch(mode=0o600)
        make_private(partial)
        run_tool([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), pg_target(url)],
                 url, "pg_dump")
        make_private(partial)
        verify_dump(partial, url)
        _publish(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def older_backups(folder: Path, keep: int) -> list[Path]:
    """The backups in ``folder`` past the newest ``keep`` (by the time in their names), oldest first."""
    named = sorted((match.group(1), path) for path in folder.iterdir()
                   if (match := BACKUP_NAME.match(path.name)) and path.is_file())
    return [path for _, path in named[:max(0, len(named) - keep)]]


@dataclass
class Backup:
    copy: Path
    keys: Path | None
    removed: list[Path] = field(default_factory=list)


def backup(url: URL, dest: Path, keys: dict[str, str] | None = None, *, keep: int | None = None) -> Backup:
    """Back the database up into the folder ``dest`` with ``keys`` beside it; then keep the newest ``keep``."""
    folder = _folder(dest)
    backend = url.get_backend_name()
    if backend == "postgresql":
        target = _target(folder, ".dump")
        copy = backup_postgres(url, target)
    elif backend == "sqlite":
        if sqlite_path(url) is None:
            raise BackupError(N_("the database is not a SQLite file."))
        target = _target(folder, ".sqlite3")
        copy = backup_sqlite(Path(url.database), target)
    else:
        raise BackupError(N_("cannot back up a %(backend)s database."), backend=backend)
    written = write_keys(keys_file_for(copy), keys, copy.name) if keys else None
    result = Backup(copy, written)
    if keep is not None:
        for old in older_backups(folder, keep):
            for path in (old, keys_file_for(old)):
                if path.exists():
                    path.unlink()
                    result.removed.append(path)
    return result


def instance_keys(config) -> dict[str, str]:
    """The keys a copy of this kiosk's database needs, from the app's config."""
    return {name: config[setting] for name, setting in KEY_SETTINGS if config.get(setting)}


@click.command("backup")
@with_appcontext
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--keep", type=click.IntRange(min=1), default=None,
              help="After a good backup, remove the oldest ones in FOLDER past the newest N.")
def backup_command(folder: Path, keep: int | None) -> None:
    """Back up the database into FOLDER (an existing folder): kiosk-YYYYmmdd-HHMMSS.sqlite3 (SQLite)
    or .dump (PostgreSQL, pg_dump), checked, owner-only, with the keys beside it (.keys).
    """
    try:
        made = backup(db.engine.url, folder, instance_keys(current_app.config), keep=keep)
    except BackupError as error:
        current_app.logger.error("backup into %s failed: %s", folder, error)
        _backup_failed(error.translated(gettext))
        raise click.ClickException(error.translated(gettext)) from None
    check = gettext("integrity check ok") if made.copy.suffix == ".sqlite3" else "pg_restore --list ok"
    click.echo(gettext("Backup written to %(path)s (%(size)s bytes), %(check)s.", path=made.copy,
                       size=f"{made.copy.stat().st_size:,}", check=check))
    current_app.logger.info("backup written to %s (%d bytes)", made.copy, made.copy.stat().st_size)
    if made.keys is not None:
        click.echo(gettext("Keys written to %(path)s (owner-only). Keep both files together: without the keys "
                           "every badge must be scanned in again (PINs still work).", path=made.keys))
    for path in made.removed:
        click.echo(gettext("Removed the older %(name)s (--keep %(keep)s).", name=path.name, keep=keep))


def _backup_failed(reason: str) -> None:
    """Tell the supervisors (kiosk.alerts: the channels listening for a failed backup), once a day;
    a failed alert never hides the backup's own failure."""
    from .alerts import services as alerts

    try:
        alerts.raise_alert(db.session, alerts.BACKUP_FAILED, gettext("Uniform room: the backup failed: %(reason)s",
                                                                    reason=reason),
                           key=f"{alerts.BACKUP_FAILED}:{dt.date.today():%Y-%m-%d}")
    except Exception:  # noqa: BLE001 - the backup's own failure is what must be seen
        db.session.rollback()
        current_app.logger.exception("could not queue the backup-failed alert")
