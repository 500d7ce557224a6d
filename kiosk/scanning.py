"""One scan at any station: find the tag, refuse or move it, answer ok / duplicate / error.

No Flask in here: routes pass the session, the user, the station and the
settings, and turn a :class:`ScanResult` into a fragment. The caller commits
after an ``ok`` (the move is already flushed, in its own savepoint, so a lost
race shows up here, not at commit, and undoes only that scan).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import bindparam, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from .database import BUSY as database_busy
from .database import why_not_saved
from .domain.codes import is_valid_tag, normalise_code
from .domain.typed import is_clean
from .domain.errors import DomainError, N_
from .domain.garment_states import Action, where_it_is
from .ledger import UNDO, latest_move, move, undo
from .models import Employee, Event, Garment, User, utcnow
from .request_keys import once, savepoint

OK, DUPLICATE, ERROR = "ok", "duplicate", "error"

NOT_OURS = N_("%(code)s is not one of our uniforms. Personal clothes never enter the stock.")
UNREADABLE = N_("The code scanned or typed holds a control character or an invisible one: scan it again.")
RACED = N_("%(tag)s was just moved on another tablet: %(where)s.")
BUSY = N_("The database is busy. Scan %(tag)s again.")


#: the oldest a scan kept in a tablet's queue (Wi-Fi down) may be when it arrives: a shift
QUEUE_LIMIT = dt.timedelta(hours=12)
TOO_OLD = N_("%(code)s was scanned on this tablet more than 12 hours ago and never reached the kiosk. "
             "Nothing was recorded: scan it again.")


#: a scan that waited on the tablet less than this was sent at once: no scan time of its own
WAITED = dt.timedelta(seconds=2)


@dataclass(frozen=True)
class ScanMeta:
    """What the tablet says of a scan it queued: its own id for the scan (``key``, the request
    key: the same scan sent again is answered as the first was, and moves nothing more) and how
    long ago it was scanned there (``age``: measured on the tablet's own clock, so a tablet whose
    clock is wrong still says it rightly)."""

    key: str | None = None
    age: dt.timedelta | None = None


@dataclass
class ScanResult:
    result: str
    code: str
    garment: Garment | None = None
    event: Event | None = None
    error: DomainError | None = None
    warnings: list[DomainError] = field(default_factory=list)
    #: the answer to a scan sent again (its id seen before): ``ok`` as the first was, nothing moved now
    repeated: bool = False

    @property
    def ok(self) -> bool:
        return self.result == OK

    @property
    def moved(self) -> bool:
        """Whether this request moved the garment (not a repeat answered as the first)."""
        return self.ok and not self.repeated


#: A garment by its tag, with what every answer shows and every move copies: built once.
_BY_TAG = (select(Garment).where(Garment.tag == bindparam("tag"))
           .options(joinedload(Garment.garment_type), joinedload(Garment.owner), joinedload(Garment.holder)))


def find_garment(session: Session, raw_code: str) -> tuple[str, Garment | None]:
    """The normalised code and its garment (type, owner and holder loaded), or None."""
    code = normalise_code(raw_code)
    if not is_valid_tag(code):
        return code, None
    return code, session.scalar(_BY_TAG, {"tag": code})


def not_ours(code: str, raw_code: str = "") -> DomainError:
    """The refusal every station gives for a code that is not in the registry (one with a
    control or invisible character says so, not the garbled code)."""
    if not is_clean(raw_code or ""):
        return DomainError(UNREADABLE)
    return DomainError(NOT_OURS, code=code or (raw_code or "").strip())


def unknown(code: str, raw_code: str = "") -> ScanResult:
    """The error answer to a code that is not in the registry."""
    return ScanResult(ERROR, code, error=not_ours(code, raw_code))


def warnings_for(garment: Garment) -> list[DomainError]:
    """What the user must hear about this garment at every scan."""
    found = []
    expected = garment.garment_type.expected_washes
    if garment.wash_count >= expected:
        found.append(DomainError(N_("Due for retirement: washed %(washes)s times (expected %(expected)s)."),
                                 washes=garment.wash_count, expected=expected))
    return found


def recent_duplicate(session: Session, garment: Garment, station: str, now: dt.datetime,
                     window_seconds: int) -> Event | None:
    """The event this scan repeats: the garment's latest, at this station, within the window.

    The latest is read as a row (most scans repeat nothing); only a repeat loads its event.
    """
    latest = latest_move(session, garment.id)
    if (latest is not None and latest.station == station and latest.action != UNDO
            and now - latest.created_at < dt.timedelta(seconds=window_seconds)):
        return session.get(Event, latest.id)
    return None


Check = Callable[[Garment], None]


def scan_move(session: Session, raw_code: str, action: Action | str, *, station: str,
              user: User | None, employee: Employee | None = None, defects: str = "",
              note: str = "", batch_id: int | None = None,
              duplicate_seconds: int = 10, check: Check | None = None,
              now: dt.datetime | None = None,
              found: tuple[str, Garment | None] | None = None, meta: ScanMeta | None = None) -> ScanResult:
    """Scan ``raw_code`` and apply ``action`` through the state machine.

    - unknown code → error (不是本店制服), nothing written;
    - the same tag at the same station within ``duplicate_seconds`` → duplicate;
    - ``check`` (a station's own rule) or the state machine refuses → error;
    - two tablets at once: the garment's version column lets one win; the
      other gets a clear error and nothing of its move is kept.

    A form that carries a request key goes through :func:`scan_once` as well. ``meta``: the
    tablet's id for this scan (once per id: a repeat is answered as the first was, ``ok`` with
    its event) and how long it waited on the tablet (the event keeps when it was scanned, for a
    scan that waited; one that waited longer than :data:`QUEUE_LIMIT` is refused).
    """
    now = now or utcnow()
    if meta is not None and meta.key:
        return scan_once(session, meta.key, operator=user, command=f"scan.{station}", as_first=True,
                         scan=lambda: scan_move(
                             session, raw_code, action, station=station, user=user, employee=employee,
                             defects=defects, note=note, batch_id=batch_id, duplicate_seconds=duplicate_seconds,
                             check=check, now=now, found=found, meta=ScanMeta(age=meta.age)))
    scanned_at = None
    if meta is not None and meta.age is not None:
        if meta.age > QUEUE_LIMIT:
            code = found[0] if found is not None else normalise_code(raw_code)
            return ScanResult(ERROR, code, error=DomainError(TOO_OLD, code=code or raw_code.strip()))
        if meta.age >= WAITED:
            scanned_at = now - meta.age
    # ``found``: the station already looked the code up (to choose the action).
    code, garment = found if found is not None else find_garment(session, raw_code)
    if garment is None:
        return unknown(code, raw_code)
    warnings = warnings_for(garment)
    repeated = recent_duplicate(session, garment, station, now, duplicate_seconds)
    if repeated is not None:
        if repeated.user_id != (user.id if user is not None else None):
            # Another operator's move, seconds ago (two tablets at once; on SQLite
            # this one waited for the other's write lock and read its move): told
            # as the race it is, the same as when the garment's version no longer matches.
            return _raced(session, code, garment.tag)
        # The move it repeats may have landed after the garment was read:
        # answer with the garment as it is now.
        session.refresh(garment)
        return ScanResult(DUPLICATE, code, garment, repeated, warnings=warnings)

    def moved() -> Event:
        if check is not None:
            check(garment)
        return move(session, garment, action, user=user, station=station, employee=employee,
                    defects=defects, note=note, batch_id=batch_id, at=now, scanned_at=scanned_at)

    return write_scan(session, code, garment, moved, warnings=warnings)


def undo_last(session: Session, *, station: str, user: User) -> ScanResult:
    """Undo this user's latest scan at this station with a compensating event."""
    latest = session.scalar(
        select(Event).where(Event.station == station, Event.user_id == user.id, Event.action != UNDO)
        .order_by(Event.created_at.desc(), Event.id.desc()).limit(1)
    )
    if latest is None:
        return ScanResult(ERROR, "", error=DomainError(N_("There is no scan to undo.")))
    garment = latest.garment
    return write_scan(session, garment.tag, garment,
                      lambda: undo(session, latest, user=user, station=station))


def write_scan(session: Session, code: str, garment: Garment, write: Callable[[], Event], *,
               warnings: list[DomainError] | None = None) -> ScanResult:
    """Write the scan's event now, in a savepoint: a refusal, a lost race or a busy database
    is answered (and undoes only this scan), never raised.

    A lost race (the garment's version no longer matches: another tablet
    moved it since it was read) is "just moved on another tablet", with where
    the garment is now.
    """
    warnings = warnings or []
    tag = garment.tag
    try:
        with savepoint(session):
            event = write()
            session.flush()
    except DomainError as refused:  # raised before anything was changed
        return ScanResult(ERROR, code, garment, error=refused, warnings=warnings)
    except StaleDataError:
        return _raced(session, code, tag)
    except OperationalError as error:
        why = why_not_saved(error)
        refused = DomainError(BUSY, tag=tag) if why == database_busy else DomainError(why)
        return ScanResult(ERROR, code, _reload(session, tag), error=refused)
    return ScanResult(OK, code, garment, event, warnings=warnings)


def _raced(session: Session, code: str, tag: str) -> ScanResult:
    """Lost to another tablet: nothing of this scan is kept; the answer shows the garment as it is now."""
    garment = _reload(session, tag)
    session.refresh(garment)
    return ScanResult(ERROR, code, garment, error=DomainError(RACED, tag=tag, where=where_it_is(garment.status)))


def scan_once(session: Session, raw_key: str | None, *, operator: User | None, command: str,
              scan: Callable[[], ScanResult], as_first: bool = False) -> ScanResult:
    """``scan()`` at most once per request key; a repeat is answered as a duplicate of the first
    (``as_first``: as the first was, ``ok`` with its event: a tablet sending a scan again whose
    answer it never got, kiosk/static/js/scan.js).

    Only a scan that moved something keeps its key: a refused one may be sent
    again. A malformed key is an error answer, and nothing is scanned.
    """
    try:
        done = once(session, raw_key, operator=operator, command=command, run=scan,
                    remember=lambda result: result.event.id if result.ok and result.event else None,
                    recall=lambda event_id: _repeat_of(session, event_id, as_first=as_first))
    except DomainError as refused:
        return ScanResult(ERROR, "", error=refused)
    return done.result


def _repeat_of(session: Session, event_id: int, *, as_first: bool = False) -> ScanResult:
    event = session.get(Event, event_id)
    garment = _reload(session, event.garment.tag)
    session.refresh(garment)  # as it is now, whatever came after the first request
    return ScanResult(OK if as_first else DUPLICATE, garment.tag, garment, event, warnings=warnings_for(garment),
                      repeated=True)


def _reload(session: Session, tag: str) -> Garment | None:
    return find_garment(session, tag)[1]
