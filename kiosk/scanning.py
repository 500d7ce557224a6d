"""One scan at any station: find the tag, refuse or move it, answer ok / duplicate / error.

No Flask in here: routes pass the session, the user, the station and the
settings, and turn a :class:`ScanResult` into a fragment. The caller commits
after an ``ok`` (the move is already flushed, so a lost race shows up here,
not at commit).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from .domain.codes import is_valid_tag, normalise_code
from .domain.errors import DomainError, N_
from .domain.garment_states import Action
from .ledger import UNDO, last_event, move, undo
from .models import Employee, Event, Garment, User, utcnow

OK, DUPLICATE, ERROR = "ok", "duplicate", "error"

NOT_OURS = N_("%(code)s is not one of our uniforms. Personal clothes never enter the stock.")
RACED = N_("%(tag)s was just moved on another tablet. Scan it again to see where it is.")
BUSY = N_("The database is busy. Scan %(tag)s again.")


@dataclass
class ScanResult:
    result: str
    code: str
    garment: Garment | None = None
    event: Event | None = None
    error: DomainError | None = None
    warnings: list[DomainError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result == OK


def find_garment(session: Session, raw_code: str) -> tuple[str, Garment | None]:
    """The normalised code and its garment (type, owner and holder loaded), or None."""
    code = normalise_code(raw_code)
    if not is_valid_tag(code):
        return code, None
    garment = session.scalar(
        select(Garment).where(Garment.tag == code)
        .options(joinedload(Garment.garment_type), joinedload(Garment.owner), joinedload(Garment.holder))
    )
    return code, garment


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
    """The event this scan repeats: the garment's latest, at this station, within the window."""
    latest = last_event(session, garment)
    if (latest is not None and latest.station == station and latest.action != UNDO
            and now - latest.created_at < dt.timedelta(seconds=window_seconds)):
        return latest
    return None


Check = Callable[[Garment], None]


def scan_move(session: Session, raw_code: str, action: Action | str, *, station: str,
              user: User | None, employee: Employee | None = None, defects: str = "",
              note: str = "", request_key: str | None = None, batch_id: int | None = None,
              duplicate_seconds: int = 10, check: Check | None = None,
              now: dt.datetime | None = None,
              found: tuple[str, Garment | None] | None = None) -> ScanResult:
    """Scan ``raw_code`` and apply ``action`` through the state machine.

    - unknown code → error (不是本店制服), nothing written;
    - the same tag at the same station within ``duplicate_seconds`` → duplicate;
    - ``check`` (a station's own rule) or the state machine refuses → error;
    - two tablets at once: the garment's version column lets one win; the
      other gets a clear error and nothing of its move is kept.
    """
    now = now or utcnow()
    # ``found``: the station already looked the code up (to choose the action).
    code, garment = found if found is not None else find_garment(session, raw_code)
    if garment is None:
        return ScanResult(ERROR, code, error=DomainError(NOT_OURS, code=code or raw_code.strip()))
    warnings = warnings_for(garment)
    repeated = recent_duplicate(session, garment, station, now, duplicate_seconds)
    if repeated is not None:
        # The move it repeats may have landed (on another tablet) after the
        # garment was read: answer with the garment as it is now.
        session.refresh(garment)
        return ScanResult(DUPLICATE, code, garment, repeated, warnings=warnings)
    try:
        if check is not None:
            check(garment)
        event = move(session, garment, action, user=user, station=station, employee=employee,
                     defects=defects, note=note, request_key=request_key, batch_id=batch_id, at=now)
    except DomainError as refused:  # raised before anything was changed
        return ScanResult(ERROR, code, garment, error=refused, warnings=warnings)
    return flush_scan(session, ScanResult(OK, code, garment, event, warnings=warnings))


def undo_last(session: Session, *, station: str, user: User, request_key: str | None = None) -> ScanResult:
    """Undo this user's latest scan at this station with a compensating event."""
    latest = session.scalar(
        select(Event).where(Event.station == station, Event.user_id == user.id, Event.action != UNDO)
        .order_by(Event.created_at.desc(), Event.id.desc()).limit(1)
    )
    if latest is None:
        return ScanResult(ERROR, "", error=DomainError(N_("There is no scan to undo.")))
    garment = latest.garment
    try:
        event = undo(session, latest, user=user, station=station, request_key=request_key)
    except DomainError as refused:  # raised before anything was changed
        return ScanResult(ERROR, garment.tag, garment, error=refused)
    return flush_scan(session, ScanResult(OK, garment.tag, garment, event))


def flush_scan(session: Session, result: ScanResult) -> ScanResult:
    """Write now, so a lost race or a retried request is answered, not raised."""
    tag = result.garment.tag
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        return ScanResult(ERROR, result.code, _reload(session, tag), error=DomainError(RACED, tag=tag))
    except IntegrityError:
        # The same request (double tap, retry) already landed: its key is taken.
        session.rollback()
        garment = _reload(session, tag)
        return ScanResult(DUPLICATE, result.code, garment, last_event(session, garment) if garment else None)
    except OperationalError:
        session.rollback()
        return ScanResult(ERROR, result.code, _reload(session, tag), error=DomainError(BUSY, tag=tag))
    return result


def _reload(session: Session, tag: str) -> Garment | None:
    return find_garment(session, tag)[1]
