"""The hotel record: demo or real, a real hotel's first admin, the demo taken out again.

- :func:`record_demo`: what the demo loader writes (the demo's marks: the
  highest id of each table it filled, so that rows added later by a real
  user are told apart from the demo's);
- :func:`set_up_hotel`: a real hotel, its name and first admin (``kiosk
  init`` and the first-run screen);
- :func:`remove_demo`: every demo record out again (``kiosk demo --remove``);
- the one-time setup code of the first-run screen, kept as a hash in a file
  of the instance folder so that every server process on the machine checks
  the same code and counts the same wrong tries.

No Flask here: the callers pass the session, the folder and the settings.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Table, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from ..checklists.services import seed_defaults as seed_checklists
from ..domain import pins
from ..domain.errors import DomainError, N_
from ..extensions import db
from ..models import Hotel, Property, User

DEMO_HOTEL_NAME = "演示酒店"
HOTEL_NAME_MAX = 128


# --- the hotel row ---------------------------------------------------------

def the_hotel(session: Session) -> Hotel | None:
    """The one hotel row, or None in a database nobody has set up yet."""
    return session.scalar(select(Hotel).order_by(Hotel.id).limit(1))


def has_operators(session: Session) -> bool:
    """Whether anyone can sign in at all (any operator row, active or not)."""
    return session.scalar(select(User.id).limit(1)) is not None


@dataclass(frozen=True)
class HotelState:
    """What every request needs to know about the hotel: read once, kept by the app."""

    set_up: bool  # at least one operator exists
    is_demo: bool


def read_state(session: Session) -> HotelState:
    hotel = the_hotel(session)
    return HotelState(set_up=has_operators(session), is_demo=bool(hotel and hotel.is_demo))


def _tables() -> list[Table]:
    """Every table of the models, the ones referred to first (the hotel row and its properties aside:
    the demo fills a property, it is not one)."""
    return [t for t in db.metadata.sorted_tables if t.name not in (Hotel.__tablename__, Property.__tablename__)]


def highest_ids(session: Session) -> dict[str, int]:
    """The highest ``id`` of each table with one and any rows."""
    marks = {}
    for table in _tables():
        if "id" in table.c:
            top = session.scalar(select(func.max(table.c.id)))
            if top is not None:
                marks[table.name] = int(top)
    return marks


def record_demo(session: Session, *, before: dict[str, int], name: str = DEMO_HOTEL_NAME) -> Hotel:
    """Mark the database as the demo: ``before`` is :func:`highest_ids` before loading.

    The marks are the highest id, after loading, of every table the demo
    filled (the tables whose highest id moved).
    """
    after = highest_ids(session)
    marks = {table: top for table, top in after.items() if top != before.get(table)}
    hotel = the_hotel(session) or Hotel()
    hotel.name = name
    hotel.is_demo = True
    hotel.demo_marks = json.dumps(marks, sort_keys=True)
    session.add(hotel)
    session.flush()
    return hotel


def demo_marks(hotel: Hotel | None) -> dict[str, int]:
    if hotel is None:
        return {}
    try:
        marks = json.loads(hotel.demo_marks or "{}")
    except ValueError:
        return {}
    return {str(t): int(m) for t, m in marks.items() if isinstance(m, int)}


# --- a real hotel ----------------------------------------------------------

def check_hotel_name(name: str | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(N_("Enter the hotel's name."))
    if len(name) > HOTEL_NAME_MAX:
        raise DomainError(N_("The hotel's name is too long: at most %(max)s characters."), max=HOTEL_NAME_MAX)
    return name


def why_not_set_up(session: Session) -> str | None:
    """Why a real hotel cannot be set up in this database (a msgid), or None when it can."""
    hotel = the_hotel(session)
    if hotel is not None and hotel.is_demo:
        return N_("This database holds the demo hotel. Take the demo out first: "
                  "flask --app app kiosk demo --remove")
    if has_operators(session):
        return N_("This hotel is already set up: it has operators. Sign in, or manage operators on the "
                  "operators screen.")
    return None


def set_up_hotel(session: Session, *, hotel_name: str, admin_name: str, pin: str,
                 hash_method: str = "scrypt") -> User:
    """A real hotel in a database with no operator: its name and first admin (the caller commits).

    The admin chose the PIN themselves, so it need not be changed at the
    first sign-in. Refused on the demo and on a database that has operators.
    """
    from ..auth.services import create_user

    reason = why_not_set_up(session)
    if reason:
        raise DomainError(reason)
    name = check_hotel_name(hotel_name)
    pins.check(pin)  # before the admin's name: the PIN's reason is the one the screen shows first
    admin = create_user(session, admin_name, "admin", pin, hash_method=hash_method)
    admin.must_change_pin = False
    seed_checklists(session)  # the room's written duties, where the migration did not put them
    hotel = the_hotel(session) or Hotel()
    hotel.name = name
    hotel.is_demo = False
    hotel.demo_marks = "{}"
    session.add(hotel)
    session.flush()
    return admin


# --- the demo out again ----------------------------------------------------

@dataclass
class Removal:
    """What :func:`remove_demo` took out: rows per table; rows kept but let go of a demo record."""

    removed: dict[str, int]
    detached: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.removed.values())


def _doomed(table: Table, marks: dict[str, int], extra: dict[str, set[int]]):
    """SQL condition for the rows of ``table`` that go (None: none of them)."""
    clauses = []
    if "id" in table.c:
        if table.name in marks:
            clauses.append(table.c.id <= marks[table.name])
        if extra.get(table.name):
            clauses.append(table.c.id.in_(sorted(extra[table.name])))
    for fk in table.foreign_keys:
        column, target = fk.parent, fk.column.table
        if column.nullable or "id" in table.c:
            continue  # a table with ids: its dependants were collected in ``extra``
        sub = _doomed(target, marks, extra)
        if sub is not None:
            clauses.append(column.in_(select(target.c.id).where(sub)))
    return or_(*clauses) if clauses else None


def remove_demo(session: Session) -> Removal:
    """Take every demo record out of the demo database (the caller commits).

    A demo record is a row with an id up to the demo's mark of its table, and
    every row that cannot stand without one (a NOT NULL reference to it: the
    events of a demo garment, the sessions and changes of a demo operator).
    A row that only mentions a demo record in a column that may be empty
    (a real garment whose owner was a demo employee) stays, with the column
    emptied. Real operators added after the demo stay; the demo's go.
    Afterwards the hotel is no longer the demo, and it has its real operators
    only (none at all after a try-out: the first-run screen, or ``kiosk init``).
    """
    hotel = the_hotel(session)
    if hotel is None or not hotel.is_demo:
        raise DomainError(N_("This database is not the demo hotel; nothing was removed."))
    marks = demo_marks(hotel)
    tables = _tables()

    # Rows past the marks that hang on a demo row by a NOT NULL reference go too,
    # and so on down: collected by id until nothing new turns up.
    extra: dict[str, set[int]] = {}
    changed = True
    while changed:
        changed = False
        for table in tables:
            if "id" not in table.c:
                continue
            for fk in table.foreign_keys:
                if fk.parent.nullable:
                    continue
                target = fk.column.table
                sub = _doomed(target, marks, extra)
                if sub is None:
                    continue
                query = select(table.c.id).where(fk.parent.in_(select(target.c.id).where(sub)))
                mine = _doomed(table, marks, extra)
                if mine is not None:
                    query = query.where(~mine)
                found = set(session.scalars(query))
                if found:
                    extra.setdefault(table.name, set()).update(found)
                    changed = True

    # Rows that stay let go of the demo records they mention where they may.
    detached: dict[str, int] = {}
    for table in tables:
        mine = _doomed(table, marks, extra)
        for fk in table.foreign_keys:
            if not fk.parent.nullable:
                continue
            target = fk.column.table
            sub = _doomed(target, marks, extra)
            if sub is None:
                continue
            condition = fk.parent.in_(select(target.c.id).where(sub))
            if mine is not None:
                condition = and_(condition, ~mine)
            count = session.execute(update(table).where(condition).values({fk.parent.name: None})).rowcount
            if count:
                detached[table.name] = detached.get(table.name, 0) + count

    # Then the demo rows themselves, each table before the ones it refers to.
    # Self-references first let go within the table (an undo event, a recount).
    conditions = {table.name: _doomed(table, marks, extra) for table in tables}
    removed: dict[str, int] = {}
    for table in tables:
        condition = conditions[table.name]
        for fk in table.foreign_keys:
            if fk.column.table is table and fk.parent.nullable and condition is not None:
                session.execute(update(table).where(condition).values({fk.parent.name: None}))
    for table in reversed(tables):
        condition = conditions[table.name]
        if condition is None:
            continue
        count = session.execute(delete(table).where(condition)).rowcount
        if count:
            removed[table.name] = count

    hotel.is_demo = False
    hotel.name = ""
    hotel.demo_marks = "{}"
    session.flush()
    return Removal(removed=removed, detached=detached)


# --- the one-time setup code ----------------------------------------------

SETUP_CODE_FILE = "setup_code"
SETUP_CODE_TRIES = 5
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a console and typed


def _code_path(folder: str | os.PathLike) -> Path:
    return Path(folder) / SETUP_CODE_FILE


def _normalise_code(code: str | None) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _hash(salt: str, code: str) -> str:
    return hashlib.sha256((salt + _normalise_code(code)).encode()).hexdigest()


@contextlib.contextmanager
def _locked(path: Path):
    """Hold an exclusive lock while a process reads and rewrites the code file."""
    lock = os.open(str(path) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: one process at a time is all we promise
            yield
        else:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    finally:
        os.close(lock)


def _write(path: Path, state: dict) -> None:
    fresh = path.with_name(path.name + f".{os.getpid()}.new")
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(state, out)
    os.chmod(fresh, 0o600)
    os.replace(fresh, path)


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def new_setup_code(folder: str | os.PathLike) -> str:
    """A fresh code (``XXXX-XXXX``); the file keeps only its salted hash. Any older code stops working."""
    code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    salt = secrets.token_hex(16)
    path = _code_path(folder)
    with _locked(path):
        _write(path, {"salt": salt, "hash": _hash(salt, code), "failures": 0})
    return f"{code[:4]}-{code[4:]}"


def setup_code_exists(folder: str | os.PathLike) -> bool:
    state = _read(_code_path(folder))
    return bool(state) and state.get("failures", 0) < SETUP_CODE_TRIES


class WrongSetupCode(DomainError):
    """The setup code was wrong, spent or missing (logged with the client's address)."""


@contextlib.contextmanager
def claim_setup_code(folder: str | os.PathLike, code: str | None):
    """Hold the printed code while the hotel is set up; refuse a wrong one and count the try.

    The count is kept in the file, so every server process counts the same
    tries. After :data:`SETUP_CODE_TRIES` wrong codes the code is spent: only
    a new one made on the server (``kiosk serve`` or ``kiosk setup-code``)
    opens the first-run screen again. The right code holds the file's lock
    for the ``with`` block (two people with the code: the second waits, then
    finds the hotel set up) and the code file goes when the block ends
    without an error.
    """
    path = _code_path(folder)
    with _locked(path):
        state = _read(path)
        if not state:
            raise WrongSetupCode(N_("There is no setup code. Start the server again (kiosk serve) or run "
                                 "flask --app app kiosk setup-code on the server for a new one."))
        failures = int(state.get("failures", 0))
        if failures >= SETUP_CODE_TRIES:
            raise WrongSetupCode(N_("Too many wrong setup codes. Run flask --app app kiosk setup-code on the "
                                 "server for a new one."))
        if not hmac.compare_digest(_hash(state["salt"], code or ""), state["hash"]):
            state["failures"] = failures + 1
            _write(path, state)
            left = SETUP_CODE_TRIES - state["failures"]
            if left <= 0:
                raise WrongSetupCode(N_("Wrong setup code. Too many wrong codes: run flask --app app kiosk "
                                     "setup-code on the server for a new one."))
            raise WrongSetupCode(N_("Wrong setup code. Tries left: %(left)s."), left=left)
        yield
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def forget_setup_code(folder: str | os.PathLike) -> None:
    """The hotel is set up: the code file goes (a stale code must not set up anything later).

    The empty ``setup_code.lock`` beside it stays: a process may be waiting on it.
    """
    path = _code_path(folder)
    with _locked(path):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
