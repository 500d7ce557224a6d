"""Tailor (裁缝间): garments sent out for mending and received back. No Flask in here.

Sending out needs to say what to mend: the defects chosen now, else the ones
flagged on the garment (by the ironer, the inspector). Receiving back puts
the garment on the inspection table again; the ledger counts the repair.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..domain.errors import DomainError
from ..domain.garment_states import Action, Status, next_status
from ..inspection.services import DEFECT_REQUIRED, defect_codes, flagged_defects
from ..models import Garment, User, utcnow
from ..scanning import ScanMeta, ScanResult, find_garment, scan_move, scan_once

STATION = "tailor"
SEND, RECEIVE = "send", "receive"
MODES: dict[str, Action] = {SEND: Action.TO_TAILOR, RECEIVE: Action.FROM_TAILOR}

class TailorRow(NamedTuple):
    garment: Garment
    days_out: int
    #: out longer than the limit (KIOSK_TAILOR_DAYS): the one rule, see ``overdue_before``
    overdue: bool = False


def scan(session: Session, raw_code: str, mode: str, *, user: User | None, defects: Iterable[str] = (),
         request_key: str | None = None, duplicate_seconds: int = 10,
         now: dt.datetime | None = None, meta: ScanMeta | None = None) -> ScanResult:
    """Send a garment out (from inspection or stock) or receive it back (→ inspection).

    The same ``request_key`` again (a double tap) moves nothing more and answers ``duplicate``.
    """
    action = MODES.get(mode, Action.TO_TAILOR)
    chosen = defect_codes(defects)
    recorded = chosen

    def needs_a_defect(garment: Garment) -> None:
        next_status(garment.status, action)  # where it is comes first: "it is with its owner"
        if not (chosen or flagged_defects(garment)):
            raise DomainError(DEFECT_REQUIRED)

    check = None
    if action is Action.TO_TAILOR:
        check = needs_a_defect
        if not chosen:
            # The tailor's slip says what to mend: the flagged defects by default.
            garment = find_garment(session, raw_code)[1]
            recorded = flagged_defects(garment) if garment is not None else []
    return scan_once(session, request_key, operator=user, command="tailor.scan", scan=lambda: scan_move(
        session, raw_code, action, station=STATION, user=user, defects=",".join(recorded),
        duplicate_seconds=duplicate_seconds, check=check, now=now, meta=meta))


def days_out(since: dt.datetime, now: dt.datetime) -> int:
    """Whole days since the garment went to the tailor (0 on the day it went)."""
    return max(0, (now - since).days)


def overdue_before(now: dt.datetime, limit_days: int) -> dt.datetime:
    """A garment sent to the tailor before this moment is overdue: out more than ``limit_days`` days.

    The one rule for the tailor list, 今日 and the handover (a garment out 3½ days is over a limit of 3).
    """
    return now - dt.timedelta(days=limit_days)


def at_tailor(session: Session, now: dt.datetime | None = None, limit_days: int | None = None) -> list[TailorRow]:
    """Garments at the tailor with their days out, longest out first; ``limit_days``: which are overdue."""
    now = now or utcnow()
    cutoff = overdue_before(now, limit_days) if limit_days is not None else None
    garments = session.scalars(
        select(Garment).where(Garment.status == Status.AT_TAILOR.value)
        .options(joinedload(Garment.garment_type), joinedload(Garment.owner))
        .order_by(Garment.status_since, Garment.tag)
    ).all()
    return [TailorRow(g, days_out(g.status_since, now), cutoff is not None and g.status_since < cutoff)
            for g in garments]
