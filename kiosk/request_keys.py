"""Once per request key: a command sent again (double tap, retry, a queued scan sent twice) happens once.

Every form that changes data carries a ``request_key``; the service hands it
to :func:`once` with the command. The first request runs the command and
records the key (``request_keys``) with a pointer at what it produced; a
repeat runs nothing and is answered with that first result.

- One parser, :func:`parse_key`: up to 64 letters, digits, ``-`` or ``_``;
  anything else (a control character, a space inside, too long) is refused
  with a message and nothing changes. No key at all means the client asked
  for no protection: the command simply runs.
- Keys are scoped per operator and command: tablets will choose their own
  keys (scans queued offline), so one operator's key never replays or blocks
  another's. The command is part of the scope because one form may carry
  several commands under one key (the ironing chips: each defect is its own).
- The key row and the command's writes share one SAVEPOINT: a command that
  is refused, or a request that lost the race for its key, leaves the outer
  transaction as it was, and the caller can go on and commit.

No Flask in here: routes pass the raw key from the form, services call
:func:`once`.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, Union

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.exc import StaleDataError

from .domain.errors import DomainError, N_
from .models import RequestKey, User, utcnow

T = TypeVar("T")
#: What the key row keeps of a result: a record id, or several in order.
Ref = Union[int, list[int]]

KEY_MAX = 64
_KEY = re.compile(rf"[A-Za-z0-9_-]{{1,{KEY_MAX}}}")

from . import locks  # noqa: E402
from .database import BUSY, BUSY_TIMEOUT_MS, insert_or_skip, run_core, why_not_saved  # noqa: E402 - one rule for why a write was refused
CHANGED = N_("This was changed on another tablet at the same moment, so nothing was saved. "
             "Look at it again and try again.")

MALFORMED = N_("This request carries a key that is not valid (up to 64 letters, digits, - or _). "
               "Nothing was changed: reload the page and try again.")


def new_key() -> str:
    """A fresh key for a form: the same form sent twice lands once."""
    return uuid.uuid4().hex


def parse_key(raw: str | None) -> str | None:
    """The key a request carried; None when it carried none; DomainError when it is malformed.

    Only spaces around it are forgiven (a hand-typed key); a tab, a newline
    or any other control character is refused like any other wrong character.
    """
    if raw is None:
        return None
    key = raw.strip(" ")
    if not key:
        return None
    if not _KEY.fullmatch(key):
        raise DomainError(MALFORMED)
    return key


@contextmanager
def savepoint(session: Session) -> Iterator[SessionTransaction]:
    """``session.begin_nested()`` that is safe on SQLite too.

    pysqlite begins a transaction only before an INSERT, UPDATE or DELETE; a
    SAVEPOINT sent first becomes the transaction itself, and its RELEASE
    commits it. So on SQLite, when nothing is written yet, the transaction
    is begun here with BEGIN IMMEDIATE: it is real, and a concurrent writer
    waits for it (busy_timeout) before it reads, instead of after.
    """
    write_lock(session)
    with session.begin_nested() as nested:
        yield nested


def write_lock(session: Session) -> None:
    """On SQLite, begin the transaction now with BEGIN IMMEDIATE (the database's one write lock).

    pysqlite would begin it only before the first INSERT, UPDATE or DELETE,
    so a check read before it (the last administrator, a key) could be stale
    by the time the write runs. With the lock taken first, a concurrent writer
    waits (busy_timeout) before it reads. PostgreSQL locks rows instead
    (``with_for_update``): nothing to do there.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.driver_connection.in_transaction:
        locks.writer_turn(connection, wait_seconds=BUSY_TIMEOUT_MS / 1000)  # this process's threads in turn
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except Exception:
            locks.pass_turn(connection)
            raise


@dataclass
class Once(Generic[T]):
    """A command's result, and whether it is the first request's (``repeated``)."""

    result: T
    repeated: bool = False


def once(session: Session, raw_key: str | None, *, operator: User | None, command: str,
         run: Callable[[], T], remember: Callable[[T], Ref | None],
         recall: Callable[[Ref], T]) -> Once[T]:
    """Run ``run()`` at most once per (operator, command, key); answer a repeat with ``recall``.

    ``remember(result)`` says what to keep of the first result (an id, or a
    list of ids), or None when nothing happened worth keeping (a refused
    scan answered as an error): then its writes are undone and the key stays
    free, so the same request may be tried again. ``recall(ref)`` rebuilds
    the first result from what was kept. A malformed key raises DomainError
    before anything is read or written; a DomainError from ``run`` undoes
    the command's writes (and the key) and is raised again.

    Two requests at once never become a 500: a database too busy to take the
    write lock in time (SQLite's busy_timeout, a PostgreSQL deadlock) and a
    record changed by the other request meanwhile (its version column) undo
    this command and raise DomainError (:data:`BUSY`, :data:`CHANGED`); the
    same without a key (the caller rolls back, as after any refusal).
    """
    key = parse_key(raw_key)
    if key is not None and operator is None:
        raise ValueError("a request key is scoped by its operator: pass the user")
    try:
        if key is None:
            return Once(run())
        return _once(session, key, operator, command, run, remember, recall)
    except OperationalError as error:  # busy, or storage full, read-only, unreachable: said as such
        raise DomainError(why_not_saved(error)) from None
    except StaleDataError:
        raise DomainError(CHANGED) from None


def _once(session: Session, key: str, operator: User, command: str, run: Callable[[], T],
          remember: Callable[[T], Ref | None], recall: Callable[[Ref], T]) -> Once[T]:
    scope = {"user_id": operator.id, "command": command, "key": key}
    with savepoint(session) as nested:
        first = _recorded(session, scope)
        if first is not None:
            return Once(recall(json.loads(first)), repeated=True)
        # The key is claimed first: the same request landing from another connection now
        # waits for this one (PostgreSQL's unique index), then finds its result.
        claimed = run_core(session, _claim(session), {**{f"scope_{name}": value for name, value in scope.items()},
                                                    "claimed_at": utcnow()}).scalar()
        if claimed is None:
            first = _recorded(session, scope)
            if first is None:  # cannot happen (a skipped key is a stored one); said as a clash, not a 500
                raise DomainError(CHANGED)
            return Once(recall(json.loads(first)), repeated=True)
        result = run()
        ref = remember(result)
        if ref is None:
            nested.rollback()
            return Once(result)
        run_core(session, _KEEP_RESULT, {"key_id": claimed, "kept": json.dumps(ref)})
    return Once(result)


_keys = RequestKey.__table__
_SCOPE = (_keys.c.user_id == bindparam("user_id"), _keys.c.command == bindparam("command"),
          _keys.c.key == bindparam("key"))
_RECORDED = select(_keys.c.result).where(*_SCOPE)
_KEEP_RESULT = update(_keys).where(_keys.c.id == bindparam("key_id")).values(result=bindparam("kept"))
#: INSERT of a key, skipped when the key is there already (one statement per dialect, built once)
_CLAIMS: dict[str, Any] = {}


def _claim(session: Session):
    dialect = session.get_bind().dialect.name
    statement = _CLAIMS.get(dialect)
    if statement is None:
        statement = _CLAIMS[dialect] = (
            insert_or_skip(session, RequestKey, ["user_id", "command", "key"])
            .values(user_id=bindparam("scope_user_id"), command=bindparam("scope_command"),
                    key=bindparam("scope_key"), result="null", created_at=bindparam("claimed_at"))
            .returning(_keys.c.id))
    return statement


#: how long a key is kept: far longer than any retry (a scan waits on a tablet 12 hours at most)
KEPT_FOR = dt.timedelta(hours=48)
_PRUNE = (select(_keys.c.id).where(_keys.c.created_at < bindparam("before")).limit(5000))


def prune(session: Session, now: dt.datetime | None = None) -> int:
    """Forget the keys older than :data:`KEPT_FOR` (every scan now keeps one), a few thousand
    at a time, each batch its own short transaction; returns how many. The caller's session is
    left committed."""
    before = (now or utcnow()) - KEPT_FOR
    gone = 0
    while True:
        ids = list(session.scalars(_PRUNE, {"before": before}))
        if not ids:
            session.rollback()
            return gone
        write_lock(session)
        session.execute(_keys.delete().where(_keys.c.id.in_(ids)))
        session.commit()
        gone += len(ids)


def by_id(session: Session, model: type) -> dict[str, Callable]:
    """``remember`` and ``recall`` for a command whose result is one record: kept by its id."""
    return {"remember": lambda record: record.id, "recall": lambda record_id: session.get(model, record_id)}


def _recorded(session: Session, scope: dict) -> str | None:
    """The result (JSON) kept for the key in ``scope`` (user_id, command, key), or None."""
    return run_core(session, _RECORDED, scope).scalar()


def recorded_result(session: Session, operator: User | None, command: str, raw_key: str | None) -> Ref | None:
    """What the first request with this key produced, without running anything (None: no such request).

    For pages that show a command's result by its key (the garments a
    registration produced). A malformed key finds nothing.
    """
    try:
        key = parse_key(raw_key)
    except DomainError:
        return None
    if key is None or operator is None:
        return None
    first = _recorded(session, {"user_id": operator.id, "command": command, "key": key})
    return json.loads(first) if first is not None else None
