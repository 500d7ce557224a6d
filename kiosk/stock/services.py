"""Stock items, their movements, the purchase list and the monthly distribution.

Rules (no Flask here; services take the session and plain values and never
commit — the route commits, or rolls back on a :class:`DomainError`):

- A quantity on hand changes only with a :class:`StockMovement`, through one
  conditional UPDATE (``... WHERE quantity_on_hand + delta >= 0``): stock never
  goes below zero, even with two tablets at once; a refusal names the numbers.
- Every command carries a request key (rendered into its form): the same form
  sent twice writes one movement.
- Issuing to an employee takes the size from their record when the item comes
  in that size; a one-size item (size "") fits everyone.
- Purchase list (采购计划): active items with a reorder level whose quantity on
  hand is at or below it; quantity to order = 2 × reorder level − on hand
  (bring the shelf back to twice the reorder level).
- Monthly distribution: opening a run for a month (once; opening again gives
  the same run) writes a line per active employee and per item with a monthly
  allowance, in the employee's size (or the one-size row; an employee without
  a matching size gets no line for that item). Collecting writes a movement
  per line, all or nothing; collecting again is a duplicate. A closed run
  changes only through reopening, which is recorded on the run. A tick can be
  undone within the shift by whoever ticked it (or a supervisor): a movement
  back (``returned``, noted ``distribution undone YYYY-MM``) per line, and the
  person waits again; nothing is deleted.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from dataclasses import dataclass, field
from typing import Callable, Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from printers import documents as d

from .. import people, scope
from ..database import insert_or_skip
from ..kits import services as kits
from ..domain import cells
from ..domain.calendar import parse_month
from ..domain.errors import DomainError, N_
from ..domain.names import STOCK_KIND_LABELS, local_name
from ..domain.roles import is_manager
from ..models import Employee, User, utcnow
from ..request_keys import by_id, once, savepoint
from .models import DistributionLine, DistributionRun, StockItem, StockMovement

NOTE_MAX = 500
QUANTITY_MAX = 100000

KIND_LABELS = STOCK_KIND_LABELS

REASON_LABELS = {
    "received": N_("Received"),
    "issued": N_("Issued"),
    "adjusted": N_("Adjusted"),
    "distributed": N_("Monthly distribution"),
    "returned": N_("Returned"),
    "transfer_out": N_("Transferred out"),
    "transfer_in": N_("Transferred in"),
}

Gettext = Callable[..., str]


def english(message: str, **params) -> str:
    return message % params if params else message


def item_name(item: StockItem, language: str = "zh_CN") -> str:
    """鞋 38 / Shoes 38: the name in the reader's language, with the size."""
    return f"{local_name(item, language)} {item.size}".strip()


# --- reading --------------------------------------------------------------

def list_items(session: Session, *, active_only: bool = True) -> list[StockItem]:
    query = select(StockItem).order_by(StockItem.kind, StockItem.code, StockItem.size)
    if active_only:
        query = query.where(StockItem.active.is_(True))
    return list(session.scalars(query))


def recent_movements(session: Session, limit: int = 20) -> list[StockMovement]:
    return list(session.scalars(
        select(StockMovement).options(joinedload(StockMovement.item), joinedload(StockMovement.employee),
                                      joinedload(StockMovement.user))
        .order_by(StockMovement.at.desc(), StockMovement.id.desc()).limit(limit)))


# --- moving stock -----------------------------------------------------------

@dataclass
class Moved:
    movement: StockMovement
    duplicate: bool = False


def _moved_once(session: Session, request_key: str | None, *, user: User | None, command: str,
                run: Callable[[], StockMovement]) -> Moved:
    """A stock command at most once per request key; a repeat answers with the first movement."""
    done = once(session, request_key, operator=user, command=command, run=run, **by_id(session, StockMovement))
    return Moved(done.result, duplicate=done.repeated)


def _move(session: Session, item: StockItem, delta: int, reason: str, *, user: User | None,
          employee: Employee | None = None, note: str = "", language: str = "zh_CN",
          at: dt.datetime | None = None) -> StockMovement:
    """Change the quantity on hand by ``delta`` and record it; refuse going below zero.

    ``at`` backdates the movement (the demo's history); the kiosk's own moves are now.
    """
    changed = session.execute(
        update(StockItem)
        .where(StockItem.id == item.id, StockItem.quantity_on_hand + delta >= 0)
        .values(quantity_on_hand=StockItem.quantity_on_hand + delta)
        .execution_options(synchronize_session=False))
    session.refresh(item, ["quantity_on_hand"])
    if changed.rowcount != 1:
        raise DomainError(
            N_("Not enough %(item)s: %(on_hand)s on hand, %(wanted)s needed. Nothing was changed."),
            item=item_name(item, language), on_hand=item.quantity_on_hand, wanted=-delta)
    movement = StockMovement(
        item=item, delta=delta, balance=item.quantity_on_hand, reason=reason, employee=employee,
        department_id=employee.department_id if employee else None, note=note[:NOTE_MAX],
        user=user, at=at or utcnow())
    session.add(movement)
    session.flush()
    return movement


def transfer_move(session: Session, *, item: StockItem, delta: int, user: User | None, note: str = "",
                  language: str = "zh_CN") -> StockMovement:
    """A transfer between properties (:mod:`kiosk.transfers`) moves ``delta`` of ``item``: out at the
    sender (negative, refused beyond what is on hand, nothing changed), in at the receiver. One
    conditional UPDATE, as every stock move."""
    return _move(session, item, delta, "transfer_out" if delta < 0 else "transfer_in", user=user, note=note,
                 language=language)


def item_for_transfer(session: Session, *, code: str, size: str, name_zh: str, name_en: str, kind: str,
                      unit_cost) -> StockItem:
    """This property's item of ``code`` and ``size``, made (with nothing on hand) from the sender's
    facts when it has none yet: a transfer in lands on it."""
    found = session.scalar(select(StockItem).where(StockItem.code == code, StockItem.size == size))
    if found is not None:
        return found
    with savepoint(session):
        session.execute(insert_or_skip(session, StockItem, ["property_id", "code", "size"]).values(
            property_id=scope.required(session), code=code, size=size, name_zh=name_zh, name_en=name_en or "",
            kind=kind, quantity_on_hand=0, reorder_level=0, monthly_allowance=0, return_on_leaving=False,
            unit_cost=unit_cost or 0, active=True, created_at=utcnow()))
    return session.scalar(select(StockItem).where(StockItem.code == code, StockItem.size == size))


def receive(session: Session, *, item: StockItem, quantity: int, note: str = "", user: User | None,
            request_key: str | None = None) -> Moved:
    """A delivery (purchase) comes in: stock rises (``quantity`` checked by :mod:`.forms`)."""
    return _moved_once(session, request_key, user=user, command="stock.receive",
                       run=lambda: _move(session, item, quantity, "received", user=user, note=note))


def resolve_for_employee(session: Session, code: str, employee: Employee, size: str = "",
                         language: str = "zh_CN") -> StockItem:
    """The row of item ``code`` in the size asked, else the employee's size, else one size."""
    rows = list(session.scalars(select(StockItem).where(StockItem.code == code, StockItem.active.is_(True))))
    if not rows:
        raise DomainError(N_("Choose an item."))
    by_size = {row.size: row for row in rows}
    asked = (size or "").strip()
    if asked:
        if asked in by_size:
            return by_size[asked]
    elif (fits := kits.size_row(employee, rows)) is not None:
        return fits
    raise DomainError(N_("%(item)s has no size %(size)s: choose the size."),
                      item=local_name(rows[0], language),
                      size=(size or kits.person_size(employee, rows[0].kind) or employee.size or "—"))


def issue(session: Session, *, employee: Employee, code: str, size: str = "", quantity: int = 1, note: str = "",
          user: User | None, request_key: str | None = None, language: str = "zh_CN") -> Moved:
    """Hand stock to an employee (size from their record): stock falls, never below zero."""
    def issued() -> StockMovement:
        people.refuse_leaver(employee)
        item = resolve_for_employee(session, code, employee, size, language)
        return _move(session, item, -quantity, "issued", user=user, employee=employee, note=note, language=language)

    return _moved_once(session, request_key, user=user, command="stock.issue", run=issued)


def take_back(session: Session, *, item: StockItem, employee: Employee, quantity: int, user: User | None,
              note: str = "") -> StockMovement:
    """Stock handed back (a leaver's shoes): on hand again, with a ``returned`` movement.
    The caller keeps it once per request (:mod:`kiosk.clearance.services`)."""
    return _move(session, item, quantity, "returned", user=user, employee=employee, note=note)


def adjust(session: Session, *, item: StockItem, delta: int, reason: str, user: User | None,
           request_key: str | None = None, language: str = "zh_CN") -> Moved:
    """A correction after counting (盘点), with its reason (both checked by :mod:`.forms`); never below zero."""
    return _moved_once(session, request_key, user=user, command="stock.adjust",
                       run=lambda: _move(session, item, delta, "adjusted", user=user, note=reason, language=language))


# --- purchase list (采购计划) -----------------------------------------------

@dataclass(frozen=True)
class PurchaseLine:
    item: StockItem

    @property
    def to_order(self) -> int:
        return 2 * self.item.reorder_level - self.item.quantity_on_hand


def purchase_list(session: Session) -> list[PurchaseLine]:
    return [PurchaseLine(item) for item in list_items(session) if item.low]


def purchase_csv(lines: list[PurchaseLine], gettext: Gettext = english) -> str:
    """The purchase list for Excel: UTF-8 with a BOM so Chinese opens correctly (both names, any language)."""
    headers = [gettext(N_("Code")), gettext(N_("Chinese name")), gettext(N_("English name")), gettext(N_("Size")),
               gettext(N_("On hand")), gettext(N_("Reorder level")), gettext(N_("To order"))]
    return cells.csv_text([headers, *([line.item.code, line.item.name_zh, line.item.name_en, line.item.size,
                                       line.item.quantity_on_hand, line.item.reorder_level, line.to_order]
                                      for line in lines)])


def purchase_document(lines: list[PurchaseLine], *, title: str, when: str, empty: str,
                      header: str, language: str = "zh_CN") -> d.Document:
    """The purchase list as a slip for the receipt printer."""
    elements: list = [d.Text(title, size=2, bold=True, align="center"), d.Text(when, align="center"), d.Rule(),
                      d.Text(header, bold=True)]
    for line in lines:
        elements.append(d.Text(f"{item_name(line.item, language)}  {line.item.quantity_on_hand} → "
                               f"+{line.to_order}"))
    if not lines:
        elements.append(d.Text(empty))
    elements += [d.Rule(), d.Feed(), d.Cut()]
    return d.Document(kind="purchase", elements=elements, title=title)


# --- monthly distribution (每月鞋袜分发) ------------------------------------

def runs(session: Session) -> list[DistributionRun]:
    return list(session.scalars(select(DistributionRun).order_by(DistributionRun.month.desc())))


def run_by_month(session: Session, month: str) -> DistributionRun | None:
    return session.scalar(select(DistributionRun).where(DistributionRun.month == month))


def due_items(session: Session, employee: Employee, allowance_rows: dict[str, list[StockItem]],
              kit: kits.Kit | None = None) -> list[tuple[StockItem, int]]:
    """What ``employee`` is due this month: each item with an allowance, in their size.

    A position with a kit (:func:`kiosk.kits.services.kit_for`) is due only the
    items its kit names (a chef gets no 头花); without one, every item.
    """
    kit = kit or kits.kit_for(session, employee)
    due = []
    for code, rows in allowance_rows.items():
        if kit.from_position and code not in kit.stock:
            continue
        row = kits.size_row(employee, rows)
        if row is not None:
            due.append((row, row.monthly_allowance))
    return due


def open_run(session: Session, month: str, *, user: User | None) -> tuple[DistributionRun, bool]:
    """Open the month's run (once): a line per active employee and item they are due."""
    month = parse_month(month)
    existing = run_by_month(session, month)
    if existing is not None:
        return existing, False
    allowance_rows: dict[str, list[StockItem]] = defaultdict(list)
    for item in session.scalars(select(StockItem).where(StockItem.active.is_(True),
                                                        StockItem.monthly_allowance > 0)
                                .order_by(StockItem.code, StockItem.size)):
        allowance_rows[item.code].append(item)
    if not allowance_rows:
        raise DomainError(N_("No stock item has a monthly allowance: nothing to distribute."))
    run = DistributionRun(month=month, status="open", opened_by=user, opened_at=utcnow())
    session.add(run)
    session.flush()
    staff = list(session.scalars(select(Employee).where(Employee.active.is_(True)).order_by(Employee.staff_no)))
    kit_of = kits.kits_for(session, staff)
    for employee in staff:
        for item, quantity in due_items(session, employee, allowance_rows, kit_of[employee.id]):
            session.add(DistributionLine(run=run, employee_id=employee.id, item=item, quantity=quantity))
    session.flush()
    return run, True


@dataclass
class PersonDue:
    employee: Employee
    lines: list[DistributionLine] = field(default_factory=list)

    @property
    def collected(self) -> bool:
        return all(line.collected_at is not None for line in self.lines)

    @property
    def movement_ids(self) -> str:
        """The tick's movements, as the undo form names them (a tick undone and made again is another)."""
        return ",".join(str(line.movement_id) for line in self.lines if line.movement_id)

    def undoable(self, user: User | None, since: dt.datetime) -> bool:
        """Ticked since ``since`` (this shift), by ``user`` or with ``user`` a supervisor."""
        return bool(self.lines) and self.collected and user is not None and all(
            line.collected_at >= since and line.movement is not None
            and (line.movement.user_id == user.id or is_manager(user)) for line in self.lines)


def undo_note(month: str) -> str:
    """The note on a movement that takes back a tick of the ``month`` run (read in words by kiosk.domain.notes)."""
    return f"distribution undone {month}"


@dataclass
class RunView:
    run: DistributionRun
    people: list[PersonDue]
    undone: list[StockMovement] = field(default_factory=list)

    @property
    def waiting(self) -> list[PersonDue]:
        return [p for p in self.people if not p.collected]

    @property
    def done(self) -> list[PersonDue]:
        return [p for p in self.people if p.collected]


def run_view(session: Session, run: DistributionRun) -> RunView:
    lines = session.scalars(
        select(DistributionLine).where(DistributionLine.run_id == run.id)
        .options(joinedload(DistributionLine.employee).joinedload(Employee.department),
                 joinedload(DistributionLine.item), joinedload(DistributionLine.movement))
        .order_by(DistributionLine.id))
    people: dict[int, PersonDue] = {}
    for line in lines:
        people.setdefault(line.employee_id, PersonDue(line.employee)).lines.append(line)
    return RunView(run, sorted(people.values(), key=lambda p: p.employee.staff_no), undone_ticks(session, run))


def undone_ticks(session: Session, run: DistributionRun) -> list[StockMovement]:
    """The movements that took a tick of this run back, the latest first (shown on the run's page)."""
    return list(session.scalars(
        select(StockMovement).where(StockMovement.reason == "returned", StockMovement.note == undo_note(run.month))
        .options(joinedload(StockMovement.employee), joinedload(StockMovement.item), joinedload(StockMovement.user))
        .order_by(StockMovement.at.desc(), StockMovement.id.desc())))


RUN_CLOSED = N_("The %(month)s distribution is closed. A supervisor can reopen it.")
NOT_ON_LIST = N_("%(name)s (%(staff_no)s) is not on the %(month)s list.")


@dataclass
class Collected:
    person: PersonDue
    duplicate: bool = False


def collect(session: Session, run: DistributionRun, employee: Employee, *, user: User | None,
            language: str = "zh_CN") -> Collected:
    """Hand an employee everything they are due this month: all lines or none."""
    if not run.is_open:
        raise DomainError(RUN_CLOSED, month=run.month)
    people.refuse_leaver(employee)  # also one who left after the run listed them
    person = person_due(session, run, employee)
    lines = person.lines
    waiting = [line for line in lines if line.collected_at is None]
    if not waiting:
        return Collected(person, duplicate=True)
    now = utcnow()
    for line in waiting:
        # Claim the line first: a second tablet collecting the same person at once gets a duplicate.
        claimed = session.execute(
            update(DistributionLine).where(DistributionLine.id == line.id, DistributionLine.collected_at.is_(None))
            .values(collected_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            session.refresh(line)
            continue
        movement = _move(session, line.item, -line.quantity, "distributed", user=user, employee=employee,
                         note=run.month, language=language)
        session.execute(update(DistributionLine).where(DistributionLine.id == line.id)
                        .values(movement_id=movement.id).execution_options(synchronize_session=False))
        session.refresh(line)
    return Collected(person)


def person_due(session: Session, run: DistributionRun, employee: Employee) -> PersonDue:
    """What ``employee`` is due in the run (refused when they are not on its list)."""
    lines = list(session.scalars(
        select(DistributionLine).where(DistributionLine.run_id == run.id, DistributionLine.employee_id == employee.id)
        .options(joinedload(DistributionLine.item)).order_by(DistributionLine.id)))
    if not lines:
        raise DomainError(NOT_ON_LIST, name=employee.name, staff_no=employee.staff_no, month=run.month)
    return PersonDue(employee, lines)


def undo_collect(session: Session, run: DistributionRun, employee: Employee, movement_ids: Iterable[int], *,
                 user: User | None, since: dt.datetime, language: str = "zh_CN") -> Collected:
    """Take back a tick of this shift: each line's stock comes back by a movement, the person waits again.

    ``movement_ids``: the tick the page showed. Undoing it again (a double tap,
    another tablet) or after it was ticked anew is a duplicate that moves nothing.
    """
    if not run.is_open:
        raise DomainError(RUN_CLOSED, month=run.month)
    person = person_due(session, run, employee)
    wanted = set(movement_ids)
    ticked = [line for line in person.lines if line.movement_id is not None and line.movement_id in wanted]
    if not ticked:
        return Collected(person, duplicate=True)
    if not person.undoable(user, since):
        raise DomainError(N_("Only a tick of this shift can be undone, by whoever made it or a supervisor."))
    for line in ticked:
        # Claim the line first: a second undo at once finds it no longer ticked by that movement.
        claimed = session.execute(
            update(DistributionLine).where(DistributionLine.id == line.id,
                                           DistributionLine.movement_id == line.movement_id)
            .values(collected_at=None, movement_id=None).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            continue
        _move(session, line.item, line.quantity, "returned", user=user, employee=employee,
              note=undo_note(run.month), language=language)
    for line in person.lines:
        session.refresh(line)
    return Collected(person)


def close_run(session: Session, run: DistributionRun, *, user: User | None) -> bool:
    """Close the run (again: nothing changes). Returns whether it changed."""
    if not run.is_open:
        return False
    run.status, run.closed_by, run.closed_at = "closed", user, utcnow()
    session.flush()
    return True


def reopen_run(session: Session, run: DistributionRun, *, user: User | None) -> bool:
    """Reopen a closed run: the supervisor's action is recorded on the run."""
    if run.is_open:
        return False
    run.status, run.reopened_by, run.reopened_at = "open", user, utcnow()
    run.reopen_count += 1
    session.flush()
    return True


# --- demo data ----------------------------------------------------------------

_DEMO_ITEMS = [
    # code, name_zh, name_en, kind, sizes, on hand per size, reorder level, monthly allowance,
    # unit cost, handed back by a leaver
    ("SHOE", "工作鞋", "Work shoes", "shoes", [str(s) for s in range(36, 45)], 6, 3, 0, Decimal("89.00"), True),
    ("SOCK", "袜子", "Socks", "socks", ["35-39", "40-44"], 90, 40, 2, Decimal("6.50"), False),
    ("HAIR", "头花", "Hair accessory", "hair_accessory", [""], 25, 30, 0, Decimal("12.00"), False),
    ("HANGER", "衣架", "Hangers", "consumable", [""], 120, 50, 0, Decimal("3.00"), False),
    ("DETERGENT", "洗衣液", "Laundry detergent", "consumable", [""], 4, 6, 0, Decimal("58.00"), False),
]


def load_stock_demo(session: Session, *, received_at: dt.datetime | None = None,
                    given: Iterable[tuple[Employee, str, int, dt.datetime]] = (), by: User | None = None) -> int:
    """A small stock room for the demo (shoes and socks by size, 头花, hangers, detergent).

    Quantities are set by a ``received`` movement each (at ``received_at``), so the
    ledger explains them; then each of ``given`` (employee, item code, quantity,
    when: a new hire's kit) is issued by ``by`` in the person's size, as the counter
    does, while their size is on hand.
    Returns the number of item rows added; does nothing when stock items exist.
    """
    if session.scalar(select(StockItem.id).limit(1)) is not None:
        return 0
    added = 0
    for code, zh, en, kind, sizes, on_hand, reorder, allowance, cost, returned in _DEMO_ITEMS:
        for i, size in enumerate(sizes):
            item = StockItem(code=code, name_zh=zh, name_en=en, kind=kind, size=size, quantity_on_hand=0,
                             reorder_level=reorder, monthly_allowance=allowance, unit_cost=cost,
                             return_on_leaving=returned)
            session.add(item)
            session.flush()
            # A couple of shoe sizes run low, so the purchase list has something on it.
            quantity = on_hand - (4 if kind == "shoes" and i % 4 == 0 else 0)
            _move(session, item, quantity, "received", user=None, note="demo", at=received_at)
            added += 1
    for employee, code, quantity, at in given:
        rows = list(session.scalars(select(StockItem).where(StockItem.code == code)))
        item = kits.size_row(employee, rows)
        if item is not None and item.quantity_on_hand >= quantity:
            _move(session, item, -quantity, "issued", user=by, employee=employee, note="新员工配发", at=at)
    return added
