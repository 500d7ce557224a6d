"""The today board (今日): what the room holds now and what must be done before it closes.

Read from the garments table (``status``, ``status_since``, ``awaiting_slot``
are kept for this), never from the whole ledger: only today's events are
read, through ``ix_events_property_created``. No Flask here: the route passes the
session, the time and the settings.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from ..checkin.services import batches_with_gaps, open_batch_counts
from ..clearance.services import OpenClearance, open_clearances
from ..domain.errors import N_
from ..domain.garment_states import Status
from ..domain.calendar import local_day_bounds
from ..inspection.services import awaiting_slot, awaiting_slot_count
from ..ironing.services import IronerRejects, rejects_per_ironer
from ..models import CheckinBatch, Garment, TagReprint
from ..tailor.services import overdue_before

#: ironing or inspection for longer than this is "stuck"
STUCK_HOURS = 24
#: at most this many garments are listed per section (the count is always exact)
LIST_LIMIT = 60


def status_counts(session: Session) -> dict[str, int]:
    """Garments per status, every status present (0 when none): one GROUP BY on an index."""
    counts = {status.value: 0 for status in Status}
    for status, count in session.execute(select(Garment.status, func.count()).group_by(Garment.status)):
        counts[status] = count
    return counts


@dataclass
class Aged:
    """A garment and how long it has been in its status."""

    garment: Garment
    hours: int

    @property
    def days(self) -> int:
        return self.hours // 24


def _aged(session: Session, statuses: tuple[str, ...], older_than: dt.datetime,
          now: dt.datetime) -> tuple[int, list[Aged]]:
    where = (Garment.status.in_(statuses), Garment.status_since < older_than)
    count = session.scalar(select(func.count()).select_from(Garment).where(*where)) or 0
    garments = session.scalars(
        select(Garment).where(*where)
        .options(joinedload(Garment.garment_type), joinedload(Garment.owner))
        .order_by(Garment.status_since, Garment.id).limit(LIST_LIMIT)
    ).all()
    return count, [Aged(g, int((now - g.status_since).total_seconds() // 3600)) for g in garments]


def stuck_in_process(session: Session, now: dt.datetime, hours: int = STUCK_HOURS) -> tuple[int, list[Aged]]:
    """Garments in ironing or inspection for more than ``hours``, the oldest first."""
    return _aged(session, (Status.IRONING.value, Status.INSPECTION.value),
                 now - dt.timedelta(hours=hours), now)


def overdue_at_tailor(session: Session, now: dt.datetime, days: int) -> tuple[int, list[Aged]]:
    """Garments at the tailor for more than ``days`` days, the longest out first."""
    return _aged(session, (Status.AT_TAILOR.value,), overdue_before(now, days), now)


def unslotted(session: Session) -> tuple[int, list[Garment]]:
    """Passed garments not yet in their numbered slot (count, and the list in rack order)."""
    return awaiting_slot_count(session), awaiting_slot(session, limit=LIST_LIMIT)


@dataclass
class CartLine:
    """A department cart that needs a look: a gap, or still open."""

    batch: CheckinBatch
    scanned: int

    @property
    def is_open(self) -> bool:
        return self.batch.closed_at is None

    @property
    def gap(self) -> int:
        """Declared minus scanned: positive = garments missing from the cart."""
        return self.batch.declared - self.scanned


def carts(session: Session, start_utc: dt.datetime, end_utc: dt.datetime) -> list[CartLine]:
    """Today's carts whose scanned count differs from the declared one, and every open cart."""
    batches = batches_with_gaps(session, start_utc, end_utc)
    open_counts = open_batch_counts(session, [b.id for b in batches if b.closed_at is None])
    return [CartLine(b, b.scanned if b.closed_at is not None else open_counts.get(b.id, 0))
            for b in batches]


def pending_reprints(session: Session) -> int:
    """Tags still to print again (faded numbers, lost tags)."""
    return session.scalar(select(func.count()).select_from(TagReprint)
                          .where(TagReprint.done_at.is_(None))) or 0


#: end-of-day check items, in the order the room works through them
UNSLOTTED = "unslotted"
STUCK = "stuck"
OPEN_CARTS = "open_carts"
TAILOR = "tailor"

CHECK_LABELS: dict[str, str] = {
    UNSLOTTED: N_("Every passed garment is slotted by end of day"),
    STUCK: N_("Nothing left in ironing or inspection for over 24 hours"),
    OPEN_CARTS: N_("Every department cart is closed"),
    TAILOR: N_("Chase the garments overdue at the tailor"),
}


@dataclass
class CheckItem:
    key: str
    label: str
    pending: int

    @property
    def done(self) -> bool:
        return self.pending == 0


@dataclass
class Board:
    start_utc: dt.datetime
    end_utc: dt.datetime
    tailor_days: int
    counts: dict[str, int]
    unslotted_count: int
    unslotted: list[Garment]
    stuck_count: int
    stuck: list[Aged]
    tailor_count: int
    tailor: list[Aged]
    carts: list[CartLine]
    reprints: int
    rejects: list[IronerRejects]
    checklist: list[CheckItem] = field(default_factory=list)
    #: leavers' clearances still open: listed until closed (not an end-of-day check: a leaver
    #: may bring things back over days)
    clearances: list[OpenClearance] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def open_carts(self) -> int:
        """Department carts not yet closed (the end-of-day check's, and the morning summary's)."""
        return sum(1 for line in self.carts if line.is_open)

    @property
    def all_done(self) -> bool:
        return all(item.done for item in self.checklist)


def today_board(session: Session, *, now_utc: dt.datetime, timezone: str, tailor_days: int) -> Board:
    """Everything the board shows, for the hotel-zone day containing ``now_utc``."""
    start, end = local_day_bounds(now_utc, timezone)
    unslotted_count, unslotted_list = unslotted(session)
    stuck_count, stuck_list = stuck_in_process(session, now_utc)
    tailor_count, tailor_list = overdue_at_tailor(session, now_utc, tailor_days)
    cart_lines = carts(session, start, end)
    board = Board(
        start_utc=start, end_utc=end, tailor_days=tailor_days,
        counts=status_counts(session),
        unslotted_count=unslotted_count, unslotted=unslotted_list,
        stuck_count=stuck_count, stuck=stuck_list,
        tailor_count=tailor_count, tailor=tailor_list,
        carts=cart_lines,
        reprints=pending_reprints(session),
        rejects=rejects_per_ironer(session, start, end),
    )
    pending = {
        UNSLOTTED: unslotted_count,
        STUCK: stuck_count,
        OPEN_CARTS: board.open_carts,
        TAILOR: tailor_count,
    }
    board.checklist = [CheckItem(key, CHECK_LABELS[key], pending[key]) for key in CHECK_LABELS]
    board.clearances = open_clearances(session, now_utc=now_utc, timezone=timezone)
    return board
