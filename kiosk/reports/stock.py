"""The stock at an instant: garments in circulation per type and size, and their value.

A garment's status at an instant is the ``to_status`` of its last event before
it, and its value the ``unit_cost`` copied on that event (DESIGN: every count
is recomputable from the events); it is in the stock of the property that event
was at (a transfer between hotels moves it when the receiver scans it in).
:func:`recount` asks the events: three index seeks per garment
(``ix_events_garment_created``), never a pass over the ledger. :func:`stock_at` answers a settled instant (a month's start, once the
month before it has closed) from its stored snapshot
(:class:`~kiosk.reports.models.StockSnapshot`), taking it the first time; the
opening of a month is the closing of the month before, the same instant and
so the same snapshot. No Flask here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, insert, select, type_coerce, union
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from .. import scope
from ..database import insert_or_skip
from ..domain.garment_states import Action, Status
from ..models import Event, Garment, Money, utcnow
from ..request_keys import savepoint
from ..stocktake.models import Stocktake
from .models import StockSnapshot, StockSnapshotLine

GONE = (Status.WRITTEN_OFF.value, Status.MISSING.value)
ZERO = Decimal("0.00")
#: An instant is stored this long after it has passed: a request that stamped an event just
#: before it may still be committing (and the servers' clocks may differ by a little).
SETTLE = dt.timedelta(hours=1)


@dataclass(frozen=True)
class StockLine:
    type_id: int
    size: str
    count: int
    value: Decimal


def stock_at(session: Session, at: dt.datetime, *, now: dt.datetime) -> list[StockLine]:
    """The stock at ``at``: from its snapshot when there is one; otherwise recounted from the
    events, and stored when ``at`` is settled (no event can still land before it). The caller
    commits (a snapshot not committed is simply taken again next time)."""
    stored = session.scalar(select(StockSnapshot.id).where(StockSnapshot.taken_at == at))
    if stored is not None:
        rows = session.execute(select(StockSnapshotLine.type_id, StockSnapshotLine.size, StockSnapshotLine.count,
                                      StockSnapshotLine.value).where(StockSnapshotLine.snapshot_id == stored))
        return [StockLine(type_id, size, count, value) for type_id, size, count, value in rows]
    lines = recount(session, at)
    if settled(session, at, now=now):
        _store(session, at, lines)
    return lines


def recount(session: Session, at: dt.datetime) -> list[StockLine]:
    """The stock of the session's property at ``at`` from the events themselves: the garments whose
    last event before ``at`` was at this property (events carry it) and left them in circulation.

    A garment transferred away since is still in this property's stock before it left, and one on
    its way (``in_transit``: its last event the sender's ``transfer_out``) is the sender's until the
    receiver scans it in. The garments asked are this property's now and those it sent away (its
    ``transfer_out`` events, off ix_events_property_action_created), never every garment.
    """
    # The events and garments as tables, not entities: each garment's own events, read off
    # ix_events_garment_created; the entity would get the property's criterion (and a garment
    # that left would not be found).
    events, garments = Event.__table__, Garment.__table__
    here = scope.required(session)
    sent_away = select(events.c.garment_id).where(
        events.c.property_id == here, events.c.action == Action.TRANSFER_OUT.value, events.c.created_at < at)
    candidates = union(select(garments.c.id.label("id")).where(garments.c.property_id == here),
                       sent_away).subquery()

    def last(column):
        return (select(column).where(events.c.garment_id == garments.c.id, events.c.created_at < at)
                .order_by(events.c.created_at.desc(), events.c.id.desc()).limit(1)
                .correlate(garments).scalar_subquery())

    facts = (select(garments.c.type_id, garments.c.size, last(events.c.to_status).label("status"),
                    last(events.c.unit_cost).label("cost"), last(events.c.property_id).label("at_property"))
             .join(candidates, candidates.c.id == garments.c.id)).subquery()
    # A garment with no event before ``at`` did not exist yet: its status is NULL, never NOT IN.
    rows = session.execute(
        select(facts.c.type_id, facts.c.size, func.count(), type_coerce(func.sum(facts.c.cost), Money))
        .where(facts.c.status.not_in(GONE), facts.c.at_property == here)
        .group_by(facts.c.type_id, facts.c.size)).all()
    # Money has two decimals, so the sum is exact (on SQLite, a float sum is far inside a cent of it).
    return [StockLine(type_id, size or "", count, Decimal(value or ZERO).quantize(Decimal("0.01")))
            for type_id, size, count, value in rows]


def settled(session: Session, at: dt.datetime, *, now: dt.datetime) -> bool:
    """No event can still be written before ``at``: it is SETTLE in the past (by the caller's
    clock and the server's), and no stocktake claimed before it is still marking garments missing
    (a close cut short marks them later, at the time it was claimed)."""
    if at > min(now, utcnow()) - SETTLE:
        return False
    closing = session.scalar(select(Stocktake.id).where(Stocktake.status == "closing", Stocktake.closed_at < at)
                             .limit(1))
    return closing is None


def _store(session: Session, at: dt.datetime, lines: list[StockLine]) -> None:
    """Keep the snapshot, if the database takes it now: a report is a read, and a database that is
    busy (or read-only) leaves the snapshot to the next report rather than refusing this one."""
    try:
        with savepoint(session):
            snapshot_id = session.execute(
                insert_or_skip(session, StockSnapshot, ["property_id", "taken_at"])
                .values(property_id=scope.required(session), taken_at=at, created_at=utcnow())
                .returning(StockSnapshot.id)).scalar()
            if snapshot_id is not None and lines:  # None: another report stored it just now, the same figures
                session.execute(insert(StockSnapshotLine), [
                    {"snapshot_id": snapshot_id, "type_id": line.type_id, "size": line.size, "count": line.count,
                     "value": line.value} for line in lines])
    except OperationalError:
        pass
