"""Check-in (收衣): what the person handing in holds, and department carts checked in as a batch.

Who is handing in is found by :mod:`kiosk.people` (a leaver too: taking their
garments back is what check-in is for).

No Flask here: routes pass the session and plain values; the route commits.
Every garment still changes only through :func:`kiosk.scanning.scan_move`.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select, union_all
from sqlalchemy.orm import Session, joinedload

from ..domain.errors import DomainError, N_
from ..domain.garment_states import Action
from ..ledger import not_undone
from ..models import CheckinBatch, Department, Employee, Event, Garment, GarmentType, User

@dataclass
class TypeTally:
    """One garment type of an employee: what they still hold, what they handed in."""

    garment_type: GarmentType
    held: list[Garment] = field(default_factory=list)
    returned: list[Garment] = field(default_factory=list)


def holdings(session: Session, employee: Employee, *, station: str,
             since_utc: dt.datetime, until_utc: dt.datetime) -> list[TypeTally]:
    """What ``employee`` holds now against what they handed in at ``station`` in the period, by type."""
    held = session.scalars(
        select(Garment).where(Garment.holder_id == employee.id)
        .options(joinedload(Garment.garment_type)).order_by(Garment.tag)
    ).all()
    returned = session.scalars(
        select(Garment).join(Event, Event.garment_id == Garment.id)
        .where(Event.action == Action.CHECK_IN.value, Event.station == station,
               Event.employee_id == employee.id, Event.created_at >= since_utc,
               Event.created_at < until_utc, not_undone())
        .options(joinedload(Garment.garment_type)).order_by(Event.created_at, Event.id)
    ).unique().all()
    tallies: dict[int, TypeTally] = {}
    for garment in held:
        tallies.setdefault(garment.type_id, TypeTally(garment.garment_type)).held.append(garment)
    for garment in returned:
        tally = tallies.setdefault(garment.type_id, TypeTally(garment.garment_type))
        if garment not in tally.returned:
            tally.returned.append(garment)
    return sorted(tallies.values(), key=lambda t: t.garment_type.code)


def held_by_someone_else(event: Event, selected: Employee | None) -> DomainError | None:
    """A warning when the garment just checked in was held by another person than the one at the counter.

    Clerks take bags in for colleagues, so it is accepted; the clerk is told whose it was.
    """
    if selected is None or event.employee is None or event.employee_id == selected.id:
        return None
    return DomainError(N_("%(tag)s was held by %(name)s (%(staff_no)s), not by %(selected)s."),
                       tag=event.garment.tag, name=event.employee.name,
                       staff_no=event.employee.staff_no, selected=selected.name)


# --- department carts -------------------------------------------------------

BATCH_CLOSED = N_("The cart of %(department)s is closed. Open a new cart to go on.")
BATCH_OTHER_DEPARTMENT = N_("%(tag)s belongs to %(department)s, not to this cart's department.")


def open_batch(session: Session, *, department: Department, declared: int,
               user: User | None, note: str = "") -> tuple[CheckinBatch, bool]:
    """Open a department's cart with the count the department declares (checked by :mod:`.forms`).

    Opening again while that department's cart is still open returns the open
    one (a double tap opens one cart). Returns ``(batch, created)``.
    """
    already = session.scalar(
        select(CheckinBatch).where(CheckinBatch.department_id == department.id, CheckinBatch.closed_at.is_(None))
        .order_by(CheckinBatch.opened_at.desc(), CheckinBatch.id.desc()).limit(1)
    )
    if already is not None:
        return already, False
    batch = CheckinBatch(department=department, declared=declared, user=user, note=note)
    session.add(batch)
    session.flush()
    return batch, True


def scanned_count(session: Session, batch_id: int) -> int:
    """Check-ins of the cart that still stand (an undone scan no longer counts)."""
    return session.scalar(
        select(func.count(Event.id)).where(Event.batch_id == batch_id,
                                           Event.action == Action.CHECK_IN.value, not_undone())
    ) or 0


def batch_check(batch: CheckinBatch):
    """The station's own rule for a scan into a cart: the cart must still be open."""

    def check(_garment: Garment) -> None:
        if batch.closed_at is not None:
            raise DomainError(BATCH_CLOSED, department=batch.department.name)

    return check


def other_department(event: Event, batch: CheckinBatch) -> DomainError | None:
    """A warning when a garment in the cart belongs to another department (accepted, but said)."""
    if event.department_id is None or event.department_id == batch.department_id:
        return None
    return DomainError(BATCH_OTHER_DEPARTMENT, tag=event.garment.tag, department=event.department.name)


def close_batch(session: Session, batch: CheckinBatch, *, at: dt.datetime) -> bool:
    """Close the cart: keep the scanned count with it. Closing again changes nothing.

    Returns True when this call closed it.
    """
    if batch.closed_at is not None:
        return False
    batch.scanned = scanned_count(session, batch.id)
    batch.closed_at = at
    return True


def gap_message(gap: int | None) -> tuple[str, dict[str, int]] | None:
    """The msgid and parameters saying how the scanned count compares with the declared one."""
    if gap is None:
        return None
    if gap > 0:
        return N_("%(n)s fewer than declared"), {"n": gap}
    if gap < 0:
        return N_("%(n)s more than declared"), {"n": -gap}
    return N_("As declared"), {}


def batches_of(session: Session, since_utc: dt.datetime, until_utc: dt.datetime) -> list[CheckinBatch]:
    """Carts opened in the period, and any still open, newest first (for the check-in page)."""
    return list(session.scalars(
        select(CheckinBatch).where(or_(CheckinBatch.closed_at.is_(None),
                                       (CheckinBatch.opened_at >= since_utc) & (CheckinBatch.opened_at < until_utc)))
        .options(joinedload(CheckinBatch.department), joinedload(CheckinBatch.user))
        .order_by(CheckinBatch.opened_at.desc(), CheckinBatch.id.desc())
    ))


def batches_with_gaps(session: Session, day_start_utc: dt.datetime, day_end_utc: dt.datetime) -> list[CheckinBatch]:
    """For the today board: carts that need a look.

    - closed carts opened in ``[day_start_utc, day_end_utc)`` whose scanned
      count differs from the declared one (``batch.gap`` says by how much:
      positive = fewer scanned than declared);
    - every cart still open that was opened before ``day_end_utc`` (its
      ``scanned`` is None until it is closed; :func:`open_batch_counts` counts it).

    Oldest first, department loaded. Each half is a range of its own index (the day's carts, the
    open ones), so the board does not read every cart ever checked in.
    """
    closed_with_gap = select(CheckinBatch.id).where(
        CheckinBatch.opened_at >= day_start_utc, CheckinBatch.opened_at < day_end_utc,
        CheckinBatch.closed_at.is_not(None), CheckinBatch.scanned != CheckinBatch.declared)
    still_open = select(CheckinBatch.id).where(CheckinBatch.closed_at.is_(None),
                                               CheckinBatch.opened_at < day_end_utc)
    return list(session.scalars(
        select(CheckinBatch).where(CheckinBatch.id.in_(union_all(closed_with_gap, still_open)))
        .options(joinedload(CheckinBatch.department))
        .order_by(CheckinBatch.opened_at, CheckinBatch.id)
    ))


def open_batch_counts(session: Session, batch_ids: list[int]) -> dict[int, int]:
    """Scanned so far for each of ``batch_ids`` (one query), for carts not yet closed."""
    if not batch_ids:
        return {}
    rows = session.execute(
        select(Event.batch_id, func.count(Event.id)).where(
            Event.batch_id.in_(batch_ids), Event.action == Action.CHECK_IN.value, not_undone())
        .group_by(Event.batch_id)
    ).all()
    counts: dict[int, int] = defaultdict(int)
    counts.update({batch_id: n for batch_id, n in rows})
    return {batch_id: counts[batch_id] for batch_id in batch_ids}
