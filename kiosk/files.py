"""Files the kiosk writes that hold personal data: readable by their owner only (0600).

The SQLite database (and its -wal and -shm files, which SQLite creates with the
database file's mode), a backup, an export written by the command line: each
holds names, staff numbers, visitors' phones or payroll amounts, so on a
shared machine nobody but the account that runs the kiosk may read them. The
instance folder's key files are written owner-only by :mod:`kiosk.config`.
"""
from __future__ import annotations

import os
from pathlib import Path

OWNER_ONLY = 0o600


def make_private(path: str | os.PathLike[str]) -> None:
    """``chmod 600`` when the file is there and ours (anyone else's file is left as it is)."""
    try:
        os.chmod(path, OWNER_ONLY)
    except OSError:  # not there, not ours, or a read-only file system (/healthz then says so)
        pass


def write_private(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` (replacing what was there), owner-only from its first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), OWNER_ONLY)  # a file that was there keeps its mode through O_CREAT
        out.write(data)
    return Path(path)


def sqlite_path(url) -> Path | None:
    """The file of a SQLite database URL, or None (another database, in memory, a ``file:`` URI):
    the one rule for "is there a database file" (backup, restore, locks, health, file modes)."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def sqlite_files(database: str) -> list[str]:
    """The SQLite database file and the -wal and -shm files beside it."""
    return [database, f"{database}-wal", f"{database}-shm"]
