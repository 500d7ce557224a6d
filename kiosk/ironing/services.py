"""Ironing (熨烫): defects flagged by the ironer, and what inspection sends back per ironer.

No Flask here: routes pass the session and plain values; the route commits.
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ..domain.defects import DEFECTS
from ..domain.errors import DomainError, N_
from ..domain.garment_states import Action, Status
from ..ledger import flag_defects, not_undone
from ..models import Event, Garment, User
from ..scanning import DUPLICATE, ERROR, ScanResult, find_garment, scan_once, unknown, warnings_for, write_scan

UNKNOWN_DEFECT = N_("Choose one of the defects shown.")
CANNOT_FLAG = N_("%(tag)s has been written off; there is nothing to flag.")


def flag(session: Session, raw_tag: str, defect: str, *, user: User | None, station: str,
         note: str = "", request_key: str | None = None, at: dt.datetime | None = None) -> ScanResult:
    """One tap on a defect chip: the defect is recorded on the garment (status unchanged).

    - the same tap sent twice (double tap, retry) lands once: ``request_key``,
      per defect, since every chip of the answer shares the form's key;
    - a defect already flagged on the garment is not flagged again (duplicate);
    - an unknown tag or defect, or a written-off garment → error, nothing written.
    """
    code, garment = find_garment(session, raw_tag)
    if garment is None:
        return unknown(code, raw_tag)
    if defect not in DEFECTS:
        return ScanResult(ERROR, code, garment, error=DomainError(UNKNOWN_DEFECT))
    if garment.status == Status.WRITTEN_OFF.value:
        return ScanResult(ERROR, code, garment, error=DomainError(CANNOT_FLAG, tag=garment.tag))
    warnings = warnings_for(garment)

    def flagged() -> ScanResult:
        if defect in defects_of(garment):
            return ScanResult(DUPLICATE, code, garment, warnings=warnings)
        return write_scan(session, code, garment, lambda: flag_defects(
            session, garment, defect, user=user, station=station, note=note.strip(), at=at), warnings=warnings)

    # The defect is part of the command: every chip of one answer carries the form's key.
    return scan_once(session, request_key, operator=user, command=f"ironing.flag.{defect}", scan=flagged)


def defects_of(garment: Garment) -> list[str]:
    """The defect codes flagged on the garment since its last pass, in flagging order."""
    return [c for c in (garment.defects or "").split(",") if c]


class IronerRejects(NamedTuple):
    """One ironer's figures for a period: ``(name, ironed, rejected, user_id)``.

    ``user_id`` is who they are: two ironers may go by the same name on the floor.
    """

    name: str
    ironed: int
    rejected: int
    user_id: int | None = None


def rejects_per_ironer(session: Session, since_utc: dt.datetime, until_utc: dt.datetime) -> list[IronerRejects]:
    """Per ironer: garments ironed in the period, and inspection rejects in the period that were theirs.

    A reject is a REWASH or REIRON (not undone) whose garment's previous IRON
    event (not undone) was by that ironer — found with a correlated subquery,
    so it works the same on SQLite and PostgreSQL. Ironed counts IRON events
    that were not undone. Sorted by name; each row is a
    ``(name, ironed, rejected, user_id)`` tuple.
    """
    ironed = dict(session.execute(
        select(Event.user_id, func.count(Event.id))
        .where(Event.action == Action.IRON.value, Event.created_at >= since_utc, Event.created_at < until_utc,
               Event.user_id.is_not(None), not_undone(Event))
        .group_by(Event.user_id)
    ).all())

    reject = aliased(Event)
    iron = aliased(Event)
    ironer_of_reject = (
        select(iron.user_id)
        .where(iron.garment_id == reject.garment_id, iron.action == Action.IRON.value,
               (iron.created_at < reject.created_at)
               | ((iron.created_at == reject.created_at) & (iron.id < reject.id)),
               not_undone(iron))
        .order_by(iron.created_at.desc(), iron.id.desc())
        .limit(1)
        .correlate(reject)
        .scalar_subquery()
    )
    rejects = (
        select(ironer_of_reject.label("ironer_id"))
        .where(reject.action.in_((Action.REWASH.value, Action.REIRON.value)),
               reject.created_at >= since_utc, reject.created_at < until_utc, not_undone(reject))
        .subquery()
    )
    rejected = dict(session.execute(
        select(rejects.c.ironer_id, func.count()).where(rejects.c.ironer_id.is_not(None))
        .group_by(rejects.c.ironer_id)
    ).all())

    user_ids = set(ironed) | set(rejected)
    if not user_ids:
        return []
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())
    return sorted(IronerRejects(names[uid], ironed.get(uid, 0), rejected.get(uid, 0), uid) for uid in user_ids)


def figures_of(rows: list[IronerRejects], user: User) -> IronerRejects:
    """This operator's own row of ``rows`` (found by who they are, not by name), or none ironed."""
    return next((row for row in rows if row.user_id == user.id), IronerRejects(user.name, 0, 0, user.id))
