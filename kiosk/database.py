"""Engine settings that must hold on every connection."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import Executable, Result, event

from . import locks, scope
from .files import make_private, sqlite_files, sqlite_path


#: How long a SQLite write waits for another's write lock before it is refused as busy.
BUSY_TIMEOUT_MS = 5000
#: SQLite's page cache per connection, in KiB.
CACHE_KIB = 32768


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets tablets read while one writes; synchronous=FULL makes a committed
    # scan survive a power cut; busy_timeout waits for a writer instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # A year of a hotel group's ledger is millions of events: the default 2 MB of cached pages
    # per connection read a scan's and a garment page's index pages from disk again each time.
    cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
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
            path = sqlite_path(engine.url)
            if path is not None:
                database = str(path)
                event.listen(engine, "connect", lambda _conn, _record: _owner_only(database))
            event.listen(engine, "connect", _sqlite_pragmas)
            locks.watch_turns(engine)


# --- why the database did not take a write ------------------------------------------------

from .domain.errors import N_  # noqa: E402 - the msgids below, kept beside the rule that picks them

STORAGE_FULL = N_("The kiosk's storage is full, so nothing was saved. Tell a supervisor or IT: "
                  "the disk of the database must be freed. What was saved before is safe.")
READ_ONLY = N_("The database cannot be written (it is read-only), so nothing was saved. Tell a supervisor or IT.")
UNREACHABLE = N_("The database cannot be reached, so nothing was saved. Please try again; if it happens again, "
                 "tell a supervisor or IT.")
BUSY = N_("The database is busy, so nothing was saved. Please try again.")

#: PostgreSQL SQLSTATE (class or code) -> why
_PG_CODES = {"53100": STORAGE_FULL, "53": STORAGE_FULL, "25006": READ_ONLY, "08": UNREACHABLE, "57P": UNREACHABLE,
             "55P03": BUSY, "40P01": BUSY, "40001": BUSY}
#: words in SQLite's (and the drivers') messages -> why
_WORDS = (("disk is full", STORAGE_FULL), ("no space left", STORAGE_FULL), ("readonly database", READ_ONLY),
          ("read-only", READ_ONLY), ("database is locked", BUSY), ("unable to open database", UNREACHABLE),
          ("disk i/o error", STORAGE_FULL), ("server closed the connection", UNREACHABLE),
          ("connection refused", UNREACHABLE), ("connection is closed", UNREACHABLE))


def why_not_saved(error: BaseException) -> str:
    """The msgid for a database error that refused a write: full, read-only, unreachable, busy.

    One rule for every place that answers such an error (a scan, any form,
    /healthz): SQLite says it in words, PostgreSQL in its SQLSTATE.
    """
    original = getattr(error, "orig", error)
    code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None) or ""
    for prefix in (code, code[:3], code[:2]):
        if prefix and prefix in _PG_CODES:
            return _PG_CODES[prefix]
    said = str(original).lower()
    for words, why in _WORDS:
        if words in said:
            return why
    return BUSY


def plain_read(session, statement: Executable, params: dict | None = None) -> Result:
    """Run a Core select (columns of ``Model.__table__``, built once at import) in the session's
    transaction: rows, not objects, for what is only read and shown.

    The session flushes its pending changes before an ORM query but not before a Core
    statement: flushed here, so the read sees this transaction's own writes as an ORM one would.
    """
    session.flush()
    return run_core(session, statement, params)


def run_core(session, statement: Executable, params: dict | None = None) -> Result:
    """Run a Core statement (no ORM entity in it, built once at import) on the session's
    connection, in its transaction, without the session's own execute: that one looks for ORM
    entities and options to apply, which a Core statement has none of, at twice the cost of
    running it on the connection (~30 against ~24 us a statement, SQLite). Nothing is flushed
    (see :func:`plain_read`).

    A statement over a property's records asks for ``:in_property``: it is given the session's
    property (:mod:`kiosk.scope`), so the Core reads and writes are held to it as the ORM's are.
    Reading every property, it is not given, and such a statement refuses to run.
    """
    property_id = scope.current(session)
    if property_id is not None:
        params = {scope.PARAM: property_id, **(params or {})}
    return session.connection().execute(statement, params)


def insert_or_skip(session, model, keys: list[str]):
    """``INSERT ... ON CONFLICT (keys) DO NOTHING`` in the session's dialect: a row another
    process wrote first (the same unique keys) is left as it is."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model.__table__).on_conflict_do_nothing(index_elements=keys)
