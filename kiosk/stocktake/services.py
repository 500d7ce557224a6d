"""Monthly stocktake (月盘点): open, scan, count items, preview, close, correct.

No Flask in here. The caller commits. A refused command raises DomainError
and changes nothing (except a wrong PIN, which counts towards the lock: the
caller commits that too).

A close runs in short steps (:func:`close` claims the count and takes its snapshot;
:func:`finish_closing` marks the unseen missing a batch at a time, each batch its own
transaction, then writes the lists), so that no tablet waits for it. While it runs the count is
``closing``: count scans are refused with why, station scans go on. A close cut short (a
killed server) is finished by the next :func:`finish_closing` (the close button again, or a
server's start).

What a close keeps, never changed afterwards:

- ``stocktake.missing`` — the garments the close marked missing: garment id,
  tag, type id, size, status, the department of the owner/holder at that
  moment (or None) and the garment's cost, copied at the close;
- ``stocktake.snapshot`` — :class:`StocktakeSnapshot` rows per type and size
  (expected, seen, accounted_for, missing); ``stocktake.unknown_codes`` and
  ``stocktake.overdue_loans`` — the lists as they were at the close.

:func:`closed_for_month` is the month's final closed count (the latest closed
correction, else the original).
"""
from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, fields

from sqlalchemy import delete, func, insert, literal, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from ..auth.services import Policy, check_pin
from ..scope import plain_session
from ..domain.calendar import parse_month
from ..domain.codes import normalise_code
from ..domain.errors import DomainError, N_
from ..domain.garment_states import Action, Status
from ..domain.roles import can_approve, is_manager, works_counter
from ..domain.typed import is_clean
from ..ledger import move, move_many
from ..loans.services import overdue
from ..models import Event, Garment, GarmentType, User, utcnow
from ..properties import services as properties
from ..paging import Page, paginate
from ..request_keys import savepoint, write_lock
from ..scanning import DUPLICATE, ERROR, OK, ScanResult, find_garment, unknown
from ..stock.models import StockItem
from ..stock.services import list_items
from .models import (LOCATIONS, Stocktake, StocktakeCloseQueue, StocktakeItemCount, StocktakeScan,
                     StocktakeSnapshot)

STATION = "stocktake"

#: Garments that should be in the room.
EXPECTED = (Status.IN_STOCK.value, Status.DIRTY.value, Status.IRONING.value,
            Status.INSPECTION.value, Status.AT_TAILOR.value)
#: Garments out of the room, accounted for through their records (issue, loan).
# Out of the room but not lost: with a person, or on its way to another hotel of the group
# (调拨途中: still this property's until the receiver scans it in).
ACCOUNTED = (Status.ISSUED.value, Status.SPARE_ISSUED.value, Status.LOANED.value, Status.IN_TRANSIT.value)

NOT_FOUND = N_("This stocktake does not exist.")
NOT_OPEN = N_("This stocktake is closed; it cannot be changed. Open a correction instead.")
CLOSING = N_("This stocktake is being closed right now, so it takes no more counts. "
             "Scans at the stations go on as usual.")
ALREADY_CLOSED = N_("This stocktake was already closed by %(name)s.")
MONTH_TAKEN = N_("The stocktake for %(month)s is closed. Open a correction instead.")
NOTHING_TO_CORRECT = N_("There is no closed stocktake for %(month)s to correct.")
CHOOSE_BOTH = N_("Choose the supervisor and the clerk who counted, and both type their PIN.")
TWO_PEOPLE = N_("The supervisor and the clerk who counted must be two different people.")
NOT_SUPERVISOR = N_("%(name)s is not a supervisor; a supervisor or administrator must confirm the close.")
NOT_COUNTER = N_("%(name)s may not confirm a count.")
BAD_LOCATION = N_("Choose a location from the list.")
BAD_QUANTITY = N_("Give the counted quantity as a whole number, 0 or more.")
UNKNOWN_ITEM = N_("Choose a stock item from the list.")
UNKNOWN_CODE = N_("%(code)s is not one of our uniforms. It is listed as an unknown code; carry on counting.")
EMPTY_CODE = N_("Scan a tag.")


# --- open ----------------------------------------------------------------------

def open_stocktake(session: Session, month: str, *, user: User, blind: bool = False,
                   now: dt.datetime | None = None) -> Stocktake:
    """Open the month's count; opening it again returns the one already there."""
    month = parse_month(month)
    existing = session.scalar(select(Stocktake).where(Stocktake.month == month,
                                                      Stocktake.corrects_id.is_(None)))
    if existing is not None:
        if existing.is_open:
            return existing
        raise DomainError(MONTH_TAKEN, month=month)
    stocktake = Stocktake(month=month, blind=blind, opened_by=user, opened_at=now or utcnow())
    return _insert(session, stocktake, lambda: session.scalar(
        select(Stocktake).where(Stocktake.month == month, Stocktake.corrects_id.is_(None))))


def open_correction(session: Session, month: str, *, user: User, blind: bool = False,
                    now: dt.datetime | None = None) -> Stocktake:
    """A new count for a closed month, pointing at the closed one. An open correction is reused."""
    month = parse_month(month)
    pending = session.scalar(select(Stocktake).where(Stocktake.month == month, Stocktake.status == "open")
                             .order_by(Stocktake.id.desc()).limit(1))
    if pending is not None:
        return pending
    closed = closed_for_month(session, month)
    if closed is None:
        raise DomainError(NOTHING_TO_CORRECT, month=month)
    stocktake = Stocktake(month=month, blind=blind, opened_by=user, opened_at=now or utcnow(),
                          corrects=closed)
    session.add(stocktake)
    session.flush()
    return stocktake


def _insert(session: Session, record, again):
    """Insert, or (two tablets at once) return what the other one inserted."""
    try:
        with savepoint(session):
            session.add(record)
            session.flush()
    except IntegrityError:
        found = again()
        if found is None:
            raise
        return found
    return record


# --- scan ----------------------------------------------------------------------

@dataclass
class CountScan:
    result: ScanResult
    scan: StocktakeScan | None = None


def scan(session: Session, stocktake: Stocktake, raw_code: str, *, user: User,
         location: str | None = None, now: dt.datetime | None = None) -> ScanResult:
    """Count one tag. Known once per stocktake, whichever tablet scanned it first.

    - a tag already counted (here or on another tablet) → duplicate, nothing new;
    - a code that is not ours → listed as unknown (answered as an error, but
      the count goes on);
    - a garment recorded missing turns up → marked found (back to inspection).
    """
    _refuse_unless_open(session, stocktake)
    location = (location or "").strip() or None
    if location is not None and location not in LOCATIONS:
        raise DomainError(BAD_LOCATION)
    now = now or utcnow()
    if not is_clean(raw_code or ""):  # no garbled code is listed as unknown
        return unknown("", raw_code)
    code, garment = find_garment(session, raw_code)
    code = (code or normalise_code(raw_code or ""))[:64]
    if not code:
        return ScanResult(ERROR, "", error=DomainError(EMPTY_CODE))
    row = StocktakeScan(stocktake_id=stocktake.id, garment_id=garment.id if garment else None,
                        code=code, location=location, user_id=user.id, at=now)
    existing = _existing_scan(session, stocktake, garment, code)
    if existing is not None:
        return ScanResult(DUPLICATE, code, garment)
    try:
        with savepoint(session):
            session.add(row)
            session.flush()
    except IntegrityError:  # the other tablet was quicker
        return ScanResult(DUPLICATE, code, garment)
    if garment is None:
        return ScanResult(ERROR, code, error=DomainError(UNKNOWN_CODE, code=code))
    event = None
    if garment.status == Status.MISSING.value:
        event = move(session, garment, Action.FOUND, user=user, station=STATION,
                     note=f"stocktake #{stocktake.id} {stocktake.month}", at=now)
        session.flush()
    return ScanResult(OK, code, garment, event)


def _refuse_unless_open(session: Session, stocktake: Stocktake) -> None:
    """A count goes only into an open stocktake, as it is now: read under SQLite's write lock, or
    a share lock on PostgreSQL that the close's claim waits for, so no count slips in after it."""
    write_lock(session)
    status = session.scalar(select(Stocktake.status).where(Stocktake.id == stocktake.id)
                            .with_for_update(read=True))
    if status == "closing":
        raise DomainError(CLOSING)
    if status != "open":
        raise DomainError(NOT_OPEN)


def _existing_scan(session: Session, stocktake: Stocktake, garment: Garment | None,
                   code: str) -> StocktakeScan | None:
    condition = (StocktakeScan.garment_id == garment.id) if garment else (StocktakeScan.code == code)
    return session.scalar(select(StocktakeScan).where(StocktakeScan.stocktake_id == stocktake.id, condition))


def count_item(session: Session, stocktake: Stocktake, item: StockItem, counted: int, *,
               user: User, now: dt.datetime | None = None) -> StocktakeItemCount:
    """Record a stock item's counted quantity (checked by :mod:`.forms`); counting again
    replaces it while the count is open."""
    _refuse_unless_open(session, stocktake)
    now = now or utcnow()
    row = session.scalar(select(StocktakeItemCount).where(StocktakeItemCount.stocktake_id == stocktake.id,
                                                          StocktakeItemCount.item_id == item.id))
    if row is None:
        row = StocktakeItemCount(stocktake_id=stocktake.id, item=item, user_id=user.id, at=now)
        session.add(row)
    row.counted = counted
    row.expected = item.quantity_on_hand
    row.user_id = user.id
    row.at = now
    session.flush()
    return row


# --- progress --------------------------------------------------------------------

@dataclass
class ProgressRow:
    garment_type: GarmentType
    size: str
    expected: int = 0
    seen: int = 0
    accounted_for: int = 0

    @property
    def unseen(self) -> int:
        return self.expected - self.seen


def progress(session: Session, stocktake: Stocktake) -> list[ProgressRow]:
    """Expected against seen by type and size, as it stands now (an open count)."""
    seen_ids = select(StocktakeScan.garment_id).where(StocktakeScan.stocktake_id == stocktake.id,
                                                      StocktakeScan.garment_id.is_not(None))
    rows = session.execute(
        select(Garment.type_id, Garment.size, Garment.status, Garment.id.in_(seen_ids), func.count())
        .where(Garment.status.in_(EXPECTED + ACCOUNTED))
        .group_by(Garment.type_id, Garment.size, Garment.status, Garment.id.in_(seen_ids))
    ).all()
    types = {t.id: t for t in session.scalars(select(GarmentType))}
    table: dict[tuple[int, str], ProgressRow] = {}
    for type_id, size, status, was_seen, n in rows:
        line = table.setdefault((type_id, size), ProgressRow(types[type_id], size))
        if status in EXPECTED:
            line.expected += n
            if was_seen:
                line.seen += n
        else:
            line.accounted_for += n
    return [table[k] for k in sorted(table, key=lambda k: (types[k[0]].code, k[1]))]


def scans_by(session: Session, stocktake: Stocktake, user: User) -> int:
    """How many tags this user counted (what a clerk sees in blind mode)."""
    return session.scalar(select(func.count()).select_from(StocktakeScan)
                          .where(StocktakeScan.stocktake_id == stocktake.id,
                                 StocktakeScan.user_id == user.id, StocktakeScan.garment_id.is_not(None)))


def scanned_total(session: Session, stocktake: Stocktake) -> int:
    return session.scalar(select(func.count()).select_from(StocktakeScan)
                          .where(StocktakeScan.stocktake_id == stocktake.id, StocktakeScan.garment_id.is_not(None)))


def unknown_scans(session: Session, stocktake: Stocktake) -> list[StocktakeScan]:
    return list(session.scalars(select(StocktakeScan).options(joinedload(StocktakeScan.user))
                                .where(StocktakeScan.stocktake_id == stocktake.id,
                                       StocktakeScan.garment_id.is_(None)).order_by(StocktakeScan.at)))


def sees_expected(stocktake: Stocktake, user: User) -> bool:
    """The blind count: only a supervisor sees what is expected (and how much
    has been seen so far); a counting clerk sees their own count only."""
    return not stocktake.blind or is_manager(user)


@dataclass
class CountView:
    """What ``user`` sees of an open count (:func:`count_view`)."""

    show_expected: bool
    rows: list[ProgressRow]
    my_count: int
    total_seen: int | None
    unknown: list[StocktakeScan]
    items: list[StocktakeItemCount]
    stock_items: list[StockItem]

    def context(self) -> dict:
        """The fields as template variables."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def count_view(session: Session, stocktake: Stocktake, user: User) -> CountView:
    """The count as ``user`` may see it: progress and the total seen only when
    they see what is expected (:func:`sees_expected`), always their own count,
    the unknown codes, the items counted and the stock items to count."""
    show_expected = sees_expected(stocktake, user)
    return CountView(
        show_expected=show_expected,
        rows=progress(session, stocktake) if show_expected else [],
        my_count=scans_by(session, stocktake, user),
        total_seen=scanned_total(session, stocktake) if show_expected else None,
        unknown=unknown_scans(session, stocktake),
        items=item_counts(session, stocktake),
        stock_items=list_items(session))


#: The preview lists the unseen a page at a time (the counts per type and size show them all).
PREVIEW_PAGE = 100


def _unseen_condition(stocktake: Stocktake):
    seen_ids = select(StocktakeScan.garment_id).where(StocktakeScan.stocktake_id == stocktake.id,
                                                      StocktakeScan.garment_id.is_not(None))
    return Garment.property_id == stocktake.property_id, Garment.status.in_(EXPECTED), Garment.id.not_in(seen_ids)


def unseen(session: Session, stocktake: Stocktake, *, page: int = 1, per_page: int = PREVIEW_PAGE) -> Page[Garment]:
    """The preview, one page: expected garments nobody has scanned yet (they become missing at
    the close), by tag."""
    return paginate(session, select(Garment).options(
        joinedload(Garment.garment_type), joinedload(Garment.owner), joinedload(Garment.holder))
        .where(*_unseen_condition(stocktake)).order_by(Garment.tag), page, per_page)


def item_counts(session: Session, stocktake: Stocktake) -> list[StocktakeItemCount]:
    return list(session.scalars(select(StocktakeItemCount).options(joinedload(StocktakeItemCount.item))
                                .where(StocktakeItemCount.stocktake_id == stocktake.id)
                                .order_by(StocktakeItemCount.id)))


# --- close -----------------------------------------------------------------------

SUPERVISOR_PIN = N_("Supervisor's PIN")
COUNTER_PIN = N_("Clerk's PIN")
WHOSE_PIN = N_("%(whose)s (%(name)s): %(reason)s")


class PinRefused(DomainError):
    """One of the two PINs at the close was refused: the answer says whose (the supervisor's or
    the counting clerk's) before why. The same message and parameters as the refusal, so it
    counts as the guess it was (kiosk.auth.guard)."""

    def __init__(self, refused: DomainError, whose: str, user: User) -> None:
        super().__init__(refused.message, **refused.params)
        self.whose, self.user_id, self.name = whose, user.id, user.name

    @property
    def field(self) -> str:
        """The PIN field to mark on the close form."""
        return "supervisor_pin" if self.whose == SUPERVISOR_PIN else "counter_pin"

    def translated(self, gettext) -> str:
        return gettext(WHOSE_PIN, whose=gettext(self.whose), name=self.name, reason=super().translated(gettext))

def close(session: Session, stocktake_id: int | None, *, supervisor: User | None, supervisor_pin: str,
          counter: User | None, counter_pin: str, policy: Policy,
          now: dt.datetime | None = None, client: str = "") -> Stocktake:
    """Begin the close: both people confirm with their own PIN on this tablet.

    The count becomes ``closing`` (no more count scans) and its snapshot is taken, as it stands
    at this moment; the caller commits, then :func:`finish_closing` marks the unseen missing
    and closes it for good. Closing again with the same two people is a repeat: it lands once
    (and the caller finishes what is left).
    """
    stocktake = session.get(Stocktake, stocktake_id) if stocktake_id else None
    if stocktake is None:
        raise DomainError(NOT_FOUND)
    if not stocktake.is_open:
        return _repeat_or_refuse(stocktake, supervisor, counter)
    _check_closers(supervisor, counter)
    claimed_at = now  # None: the moment the claim is written (after the PINs' slow hashes)
    now = now or utcnow()
    for whose, user, pin in ((SUPERVISOR_PIN, supervisor, supervisor_pin), (COUNTER_PIN, counter, counter_pin)):
        try:
            check_pin(session, user, pin, policy, now=now, client=client)
        except DomainError as refused:
            raise PinRefused(refused, whose, user) from None
    if not _claim(session, stocktake, supervisor, counter, claimed_at):
        return _repeat_or_refuse(stocktake, supervisor, counter)
    _write_snapshot(session, stocktake, progress(session, stocktake))  # before anything is marked missing
    session.flush()
    return stocktake


#: Garments marked missing per step: each step holds SQLite's write lock for milliseconds (at
#: millions of events each event's index entries land on pages of their own).
CLOSE_STEP = 100


def close_steps(session: Session, stocktake: Stocktake, *, step: int | None = None) -> Iterator[int]:
    """The rest of a close that :func:`close` claimed, one short step per ``next()``; the caller
    commits after each (it yields how many garments the step marked missing; 0 for the last).

    The garments marked are those expected and unseen when the close was claimed (its queue): one
    that a station moved since (its version moved on: a check-in, an issue) was seen there and
    stays as it is. Steps may run
    in two processes at once (a resumed close): each takes its garments under a lock, and the
    last step closes the count only once.
    """
    step = step or CLOSE_STEP
    queue = StocktakeCloseQueue
    while True:
        write_lock(session)
        status, at = session.execute(select(Stocktake.status, Stocktake.closed_at)
                                     .where(Stocktake.id == stocktake.id)).one()
        if status != "closing":
            return
        batch = session.execute(
            select(queue.garment_id, queue.version, Garment.version, Garment.status)
            .join(Garment, Garment.id == queue.garment_id).where(queue.stocktake_id == stocktake.id)
            .order_by(queue.garment_id).limit(step).with_for_update(of=Garment)).all()
        if batch:
            unmoved = [(garment_id, status) for garment_id, then, now, status in batch if then == now]
            move_many(session, unmoved, Action.MARK_MISSING, user=stocktake.closed_by, station=STATION,
                      note=_note(stocktake), at=at)
            session.execute(delete(queue).where(queue.stocktake_id == stocktake.id,
                                                queue.garment_id.in_([row[0] for row in batch])))
            yield len(unmoved)
            continue
        _finish(session, stocktake, at)
        yield 0
        return


#: The pause after each step, as a multiple of the time the step took. The close shares the
#: server with the scans: SQLite's one write lock (a scan waiting for it, in this process's
#: queue or in SQLite's busy handler from another, finds it free three times out of four) and,
#: on either database, the server's CPU (a close that never paused held Python's interpreter
#: lock for seconds, and the scans beside it waited for their turn at it).
YIELD_FACTOR = 3


def finish_closing(session: Session, stocktake: Stocktake) -> Stocktake:
    """Run :func:`close_steps` to the end, committing each step (the one command here that
    commits: its point is to let other tablets write between the steps)."""
    started = time.perf_counter()
    for _marked in close_steps(session, stocktake):
        session.commit()
        time.sleep(min((time.perf_counter() - started) * YIELD_FACTOR, 0.2))
        started = time.perf_counter()
    session.commit()
    session.refresh(stocktake)
    return stocktake


def finish_all(session: Session) -> list[Stocktake]:
    """Finish every close cut short (a server killed in the middle of one), as a server starts."""
    return [finish_closing(session, stocktake) for stocktake in
            session.scalars(select(Stocktake).where(Stocktake.status == "closing")).all()]


def _note(stocktake: Stocktake) -> str:
    return f"stocktake #{stocktake.id} {stocktake.month}"


def _check_closers(supervisor: User | None, counter: User | None) -> None:
    """Two different people: a supervisor, and someone who may count."""
    if supervisor is None or counter is None:
        raise DomainError(CHOOSE_BOTH)
    if supervisor.id == counter.id:
        raise DomainError(TWO_PEOPLE)
    if not can_approve(supervisor):
        raise DomainError(NOT_SUPERVISOR, name=supervisor.name)
    if not works_counter(counter):
        raise DomainError(NOT_COUNTER, name=counter.name)


def _claim(session: Session, stocktake: Stocktake, supervisor: User, counter: User,
           at: dt.datetime | None) -> bool:
    """Mark the count closing, at this moment; False when another tablet closed it first.

    Conditional: of two tablets closing at once, only one does the work. The list of garments
    to mark (each with its version) and the snapshot are read as of one moment: under SQLite's
    write lock, and on PostgreSQL in a REPEATABLE READ transaction (one snapshot of the data for
    all its statements, with no lock on the garments: the stations go on meanwhile). A garment a
    station moves after that moment has a new version, and the close leaves it.
    """
    own = plain_session(session)
    one_snapshot = own.get_bind().dialect.name == "postgresql" and not own.in_transaction()
    if one_snapshot:
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    write_lock(session)
    claimed = session.execute(
        update(Stocktake).where(Stocktake.id == stocktake.id, Stocktake.status == "open")
        .values(status="closing", closed_by_id=supervisor.id, counted_by_id=counter.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed == 1:
        if session.get_bind().dialect.name == "postgresql" and not one_snapshot:
            session.execute(text("LOCK TABLE garments IN SHARE MODE"))  # begun before: no one snapshot
        session.execute(update(Stocktake).where(Stocktake.id == stocktake.id)
                        .values(closed_at=at or utcnow()).execution_options(synchronize_session=False))
        session.execute(insert(StocktakeCloseQueue).from_select(
            ["stocktake_id", "garment_id", "version"],
            select(literal(stocktake.id), Garment.id, Garment.version).where(*_unseen_condition(stocktake))))
    session.refresh(stocktake)
    return claimed == 1


def _write_snapshot(session: Session, stocktake: Stocktake, table: list[ProgressRow]) -> None:
    """The count per type and size as it stood at the claim (what went missing is added by
    :func:`_finish`); the stock items' expected quantity as at the close."""
    for line in table:
        session.add(StocktakeSnapshot(
            stocktake_id=stocktake.id, type_id=line.garment_type.id, size=line.size,
            expected=line.expected, seen=line.seen, accounted_for=line.accounted_for, missing=0))
    for row in item_counts(session, stocktake):
        row.expected = row.item.quantity_on_hand


def _finish(session: Session, stocktake: Stocktake, now: dt.datetime) -> None:
    """The last step: what went missing (read back from the ledger: the close's own events), the
    snapshot's missing per type and size, the lists as they were, and the count closed."""
    missing = [{"garment_id": garment_id, "tag": tag, "type_id": type_id, "size": size, "status": status,
                "department_id": department_id, "cost": str(cost)}
               for garment_id, tag, type_id, size, status, department_id, cost in session.execute(
                   select(Event.garment_id, Garment.tag, Garment.type_id, Garment.size, Event.from_status,
                          Event.department_id, Event.unit_cost).join(Garment, Garment.id == Event.garment_id)
                   .where(Event.created_at == now, Event.action == Action.MARK_MISSING.value,
                          Event.station == STATION, Event.note == _note(stocktake))
                   .order_by(Garment.tag))]
    per_line = Counter((garment["type_id"], garment["size"]) for garment in missing)
    for line in session.scalars(select(StocktakeSnapshot).where(StocktakeSnapshot.stocktake_id == stocktake.id)):
        line.missing = per_line[(line.type_id, line.size)]
    session.flush()
    closed = session.execute(
        update(Stocktake).where(Stocktake.id == stocktake.id, Stocktake.status == "closing")
        .values(status="closed", **_the_lists(session, stocktake, missing, now))
        .execution_options(synchronize_session=False)).rowcount
    if closed != 1:
        session.rollback()  # another process finished it meanwhile: its lists stand


def _the_lists(session: Session, stocktake: Stocktake, missing: list[dict], now: dt.datetime) -> dict:
    """The garments marked missing, the unknown codes and the overdue loans, as they were."""
    return {
        "missing_json": json.dumps(missing, ensure_ascii=False),
        "unknown_json": json.dumps(
            [{"code": s.code, "location": s.location, "user_id": s.user_id, "at": s.at.isoformat()}
             for s in unknown_scans(session, stocktake)], ensure_ascii=False),
        # Overdue loans at this moment: ids, tags and lateness (no borrower's
        # contact details: those are erased from the loan later, not kept here).
        "overdue_json": json.dumps(
            [{"loan_id": o.loan.id, "due_at": o.loan.due_at.isoformat(), "days_late": o.days_late,
              "hours_late": int(o.late.total_seconds() // 3600),
              "department_id": o.loan.department_id,
              "tags": [item.garment.tag for item in o.loan.outstanding]}
             for o in overdue(session, now=now)], ensure_ascii=False),
    }


def _repeat_or_refuse(stocktake: Stocktake, supervisor: User | None, counter: User | None) -> Stocktake:
    if (supervisor is not None and counter is not None and stocktake.closed_by_id == supervisor.id
            and stocktake.counted_by_id == counter.id):
        return stocktake  # a repeated tap: it already landed
    raise DomainError(ALREADY_CLOSED, name=stocktake.closed_by.name if stocktake.closed_by else "?")


# --- reading ---------------------------------------------------------------------

def closed_for_month(session: Session, month: str) -> Stocktake | None:
    """The month's closed count that stands: the latest closed correction, else the original."""
    return session.scalar(select(Stocktake).where(Stocktake.month == month, Stocktake.status == "closed")
                          .order_by(Stocktake.closed_at.desc(), Stocktake.id.desc()).limit(1))


def history(session: Session, limit: int = 24) -> list[Stocktake]:
    return list(session.scalars(select(Stocktake).order_by(Stocktake.month.desc(), Stocktake.id.desc())
                                .limit(limit)))


def current_open(session: Session) -> list[Stocktake]:
    return list(session.scalars(select(Stocktake).where(Stocktake.status == "open").order_by(Stocktake.month)))


def closers(session: Session) -> tuple[list[User], list[User]]:
    """Who may confirm a close: supervisors/admins, and the counting staff."""
    users = list(session.scalars(properties.operators_here(session).where(User.active.is_(True)).order_by(User.name)))
    return [u for u in users if can_approve(u)], [u for u in users if works_counter(u)]
