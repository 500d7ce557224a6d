"""Locks between kiosk processes on one database, held by the operating system or the server.

- **Serving**: every ``kiosk serve`` holds a *shared* lock for as long as it
  serves; ``kiosk restore`` needs it *exclusively* and asks without waiting,
  so a restore is refused while any kiosk serves that database, and no
  kiosk starts serving in the middle of a restore.
- **Upgrading**: ``flask db upgrade`` (migrations/env.py) holds an
  exclusive lock while it migrates, so two processes starting together on
  a fresh database both come up: the second waits, then finds nothing to do.
- **Writing, inside one process** (SQLite only): the threads of one server
  take turns for SQLite's one write lock here (:func:`writer_turn`), each
  waking as the one before it commits, instead of in SQLite's busy handler,
  which sleeps 1, 2, 5 ... 100 ms between tries: with ten tablets on one
  server that sleeping, not the writing, was most of a scan's wait. Other
  processes still meet in SQLite's busy handler.

SQLite: ``flock`` on a file beside the database (``kiosk.sqlite3.serve-lock``,
``kiosk.sqlite3.upgrade-lock``). The kernel drops the lock when the process
ends, however it ends, so a file left behind by a killed server means
nothing. PostgreSQL: advisory locks of the server, on their own connection
(serving, restore) or in the migration's transaction (upgrade): they end with
the connection or the transaction.
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from .files import sqlite_path

#: advisory lock keys (any two bigints the kiosk alone uses): "kiosk" in ASCII, then 1 or 2
SERVE_KEY = 0x6B696F736B01
UPGRADE_KEY = 0x6B696F736B02


class Busy(Exception):
    """The lock is held by another process (a kiosk serving this database)."""


def _lock_file(database: Path, kind: str) -> int:
    path = database.with_name(f"{database.name}.{kind}-lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


class Held:
    """A lock this process holds until :meth:`release` (or its end)."""

    def __init__(self, fd: int | None = None, connection: Connection | None = None, key: int = 0,
                 shared: bool = False) -> None:
        self._fd, self._connection, self._key, self._shared = fd, connection, key, shared

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None
        if self._connection is not None:
            unlock = "pg_advisory_unlock_shared" if self._shared else "pg_advisory_unlock"
            try:
                self._connection.execute(text(f"SELECT {unlock}(:key)"), {"key": self._key})
                self._connection.commit()
            finally:
                engine = self._connection.engine
                self._connection.close()
                engine.dispose()
                self._connection = None


def _take(engine: Engine, *, kind: str, key: int, shared: bool, wait: bool) -> Held:
    database = sqlite_path(engine.url)
    if database is not None:
        try:
            fd = _lock_file(database, kind)
        except OSError as error:
            if shared:  # a read-only folder: serve (and let /healthz say it); nothing can restore here anyway
                logging.getLogger(__name__).warning("no %s lock beside %s: %s", kind, database, error.strerror)
                return Held()
            raise Busy(kind) from None
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            raise Busy(kind) from None
        return Held(fd=fd)
    if engine.url.get_backend_name() == "postgresql":
        # A connection of its own, outside the app's pool: held for as long as the lock is,
        # untouched by the pool's dispose, and really closed on release.
        connection = create_engine(engine.url, poolclass=NullPool).connect()
        function = ("pg_advisory_lock" if wait else "pg_try_advisory_lock") + ("_shared" if shared else "")
        got = connection.execute(text(f"SELECT {function}(:key)"), {"key": key}).scalar()
        connection.commit()
        if got is False:
            connection.close()
            raise Busy(kind)
        return Held(connection=connection, key=key, shared=shared)
    return Held()  # an in-memory database: nobody else can reach it


def serving(engine: Engine) -> Held:
    """``kiosk serve``: the shared lock that says a kiosk serves this database (held until released)."""
    return _take(engine, kind="serve", key=SERVE_KEY, shared=True, wait=True)


def nobody_serving(engine: Engine) -> Held:
    """``kiosk restore``: the lock no kiosk may hold meanwhile, or :class:`Busy` at once."""
    return _take(engine, kind="serve", key=SERVE_KEY, shared=False, wait=False)


@contextmanager
def upgrading(connection: Connection) -> Iterator[None]:
    """While migrating: one process at a time per database (migrations/env.py).

    PostgreSQL: a transaction-level advisory lock, taken inside the
    migration's transaction, so it ends with it (commit or rollback).
    SQLite: the upgrade lock file beside the database, for the whole upgrade.
    """
    database = sqlite_path(connection.engine.url)
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_KEY})
        yield
        return
    if database is None:
        yield
        return
    fd = _lock_file(database, "upgrade")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# --- turns for SQLite's write lock, inside one process ------------------------------------

class Turns:
    """A lock handed over in the order it was asked for (first come, first served): a thread
    that releases it and asks again queues behind those already waiting."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held = False
        self._waiting: deque[threading.Lock] = deque()

    def acquire(self, timeout: float) -> bool:
        with self._guard:
            if not self._held:
                self._held = True
                return True
            mine = threading.Lock()
            mine.acquire()
            self._waiting.append(mine)
        if mine.acquire(timeout=timeout):
            return True  # handed over by release(): held now
        with self._guard:
            try:
                self._waiting.remove(mine)
            except ValueError:
                return True  # handed over just as the wait ran out
            return False

    def release(self) -> None:
        with self._guard:
            if self._waiting:
                self._waiting.popleft().release()  # straight to the next in line: still held
            else:
                self._held = False


_TURNS: dict[str, Turns] = {}
_TURNS_GUARD = threading.Lock()
_HOLDS = "kiosk.locks.writer_turn"


def _turn_for(database: str) -> Turns:
    with _TURNS_GUARD:
        return _TURNS.setdefault(database, Turns())


def writer_turn(connection: Connection, *, wait_seconds: float) -> None:
    """Wait for this process's turn at the SQLite file's write lock, for the transaction
    ``connection`` is about to begin; the turn passes on when it commits or rolls back
    (:func:`watch_turns`). After ``wait_seconds`` the transaction goes ahead anyway and meets
    SQLite's own busy handling, as it would without turns."""
    path = sqlite_path(connection.engine.url)
    info = connection.connection.info
    if path is None or info.get(_HOLDS) is not None:
        return
    turn = _turn_for(str(path))
    if turn.acquire(timeout=wait_seconds):
        info[_HOLDS] = turn


def _pass_turn(dbapi_connection_info: dict) -> None:
    turn = dbapi_connection_info.pop(_HOLDS, None)
    if turn is not None:
        turn.release()


def pass_turn(connection: Connection) -> None:
    """The transaction did not begin after all (SQLite refused it): the next thread's turn."""
    _pass_turn(connection.connection.info)


def watch_turns(engine: Engine) -> None:
    """Pass the turn on at every end of a transaction on ``engine`` (commit, rollback, a
    connection given back to the pool or closed with its transaction open)."""
    from sqlalchemy import event

    for name in ("commit", "rollback"):
        event.listen(engine, name, lambda conn: _pass_turn(conn.connection.info))
    event.listen(engine, "checkin", lambda _dbapi, record: _pass_turn(record.info))
    event.listen(engine, "close", lambda _dbapi, record: _pass_turn(record.info))
