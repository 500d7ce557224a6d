"""A leaver's clearance (离职退还): what they hold when they leave, and how each thing ends.

No Flask here: routes pass the session and plain values; the route commits.

- Opening: marking a person as left (the registry's ``employee_left`` signal, in
  the transaction that marks them) opens their list with a line for each thing
  they hold: own garments with them (``issued``), spares they wear
  (``spare_issued``), garments out on their loans, and the stock items with a
  return rule (``return_on_leaving``) they were given and have not handed back.
  Someone who holds nothing gets a list that is closed at once: nothing for the
  today board to chase. Coming back (``employee_back``: rehired, or marked as
  left by mistake) cancels the open list: what they still hold is theirs again.
- Returns: a garment is checked in through :func:`kiosk.scanning.scan_move`
  (the state machine, the duplicate window, the event), a loaned one through
  the loans' own return (:func:`kiosk.loans.services.take_back`, which closes the
  loan item); a garment not on the list is refused and nothing changes. Stock
  comes back by count (a ``returned`` movement, on hand again).
- Not returned (报损): a garment gets a write-off through
  :mod:`kiosk.writeoffs.services` (lost, the leaver responsible, charged at the
  depreciated price the compensation rules give it, approved by a supervisor
  there); a stock item is charged its unit cost for each one missing. A
  supervisor may waive a line instead.
- Every line changes once: it is claimed with one conditional UPDATE
  (``open`` → its outcome), so two tablets or a double tap settle it once; every
  form also carries a request key (:mod:`kiosk.request_keys`).
- Closing needs no line open and the leaver's signature (drawn on the tablet, or
  on the printed slip).
- A garment may come back at another station (the check-in counter, the loans'
  return) or be written off from the write-offs screen: :func:`reconcile` takes
  that from the ledger, so the list never asks for what the room already has.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from printers import documents
from printers.documents import Document

from ..domain import calendar, money
from ..domain.errors import DomainError, Label, N_
from ..domain.garment_states import Action, Status, status_label
from ..domain.roles import is_manager
from ..ledger import last_event, not_undone
from ..loans import services as loans
from ..loans.models import Loan, LoanItem
from ..models import Employee, Event, Garment, User, utcnow
from ..printing.services import garment_line
from ..registry import services as registry
from ..request_keys import by_id, once, savepoint
from ..scanning import DUPLICATE, ERROR, OK, ScanMeta, ScanResult, find_garment, scan_move, unknown, warnings_for
from ..stock import services as stock
from ..stock.models import StockItem, StockMovement
from ..writeoffs import services as writeoffs
from ..writeoffs.models import WriteOff
from .models import Clearance, ClearanceLine

STATION = "clearance"
#: the print-job kind of the slip (离职退还单)
SLIP_KIND = "clearance"
HANDED_OUT = (Status.ISSUED.value, Status.SPARE_ISSUED.value, Status.LOANED.value)
#: stock movements that hand an item to a person
GIVEN = ("issued", "distributed")
#: the order lines are listed in
KIND_ORDER = ("garment", "spare", "loan", "stock")

KIND_LABELS = {"garment": N_("Own garment"), "spare": N_("Spare"), "loan": N_("On loan"),
               "stock": N_("Stock item")}
OUTCOME_LABELS = {"open": N_("To return"), "returned": N_("Handed back"), "written_off": N_("Written off"),
                  "waived": N_("Waived")}

#: kept in the clearance's note (the record's own words, not shown translated)
NOTHING_HELD = "nothing to return"
CANCELLED = "cancelled: active again"
WRITE_OFF_NOTE = "not returned on leaving (clearance #{id})"

NOT_ON_LIST = N_("%(tag)s is not on the clearance list of %(name)s: nothing was changed. "
                 "If it is theirs, take it in at check-in.")
CLOSED = N_("This clearance is closed: nothing on it changes any more.")
SETTLED = N_("This line is settled already (%(outcome)s): nothing was changed.")
BACK_ALREADY = N_("%(tag)s had come back already (checked in elsewhere): its line is closed now.")
NOT_WITH_THEM = N_("%(tag)s is no longer with %(name)s (%(status)s): nothing was changed. Reload the list.")
STILL_OPEN = N_("Still to settle: %(count)s. Take each one back, write it off or waive it first.")
NO_SIGNATURE = N_("The leaver must sign on the pad, or tick “Signed on the printed slip instead”.")
TOO_MANY = N_("Only %(left)s still to return: nothing was changed.")
ONLY_SUPERVISOR = N_("Only a supervisor can waive a line.")
#: what the leaver signs (on the screen and on the slip)
STATEMENT = N_("I confirm the above: what I handed back, and that I pay the total charged for what I did not "
               "hand back, under the compensation rules.")


# --- reading ----------------------------------------------------------------

def _with_lines():
    return (joinedload(Clearance.employee).joinedload(Employee.department),
            selectinload(Clearance.lines).joinedload(ClearanceLine.garment).joinedload(Garment.garment_type),
            selectinload(Clearance.lines).joinedload(ClearanceLine.stock_item),
            selectinload(Clearance.lines).joinedload(ClearanceLine.loan_item),
            selectinload(Clearance.lines).joinedload(ClearanceLine.write_off))


def get(session: Session, clearance_id: int) -> Clearance | None:
    """The clearance with its lines as they are in the database now (after a command that
    changed them with UPDATEs, the session's copies are refreshed)."""
    return session.scalar(select(Clearance).where(Clearance.id == clearance_id).options(*_with_lines())
                          .execution_options(populate_existing=True))


def open_of(session: Session, employee: Employee) -> Clearance | None:
    """The person's clearance still open (there is at most one)."""
    return session.scalar(select(Clearance).where(Clearance.employee_id == employee.id,
                                                  Clearance.closed_at.is_(None)).limit(1))


def latest_of(session: Session, employee: Employee) -> Clearance | None:
    return session.scalar(select(Clearance).where(Clearance.employee_id == employee.id)
                          .order_by(Clearance.opened_at.desc(), Clearance.id.desc()).limit(1))


def ending(clearance: Clearance) -> str:
    """How it stands: ``open``, ``signed`` (closed with the leaver's signature), ``nothing``
    (they held nothing) or ``cancelled`` (they came back before it was closed)."""
    if clearance.is_open:
        return "open"
    if not clearance.lines:
        return "nothing"
    return "signed" if clearance.signature_png or clearance.signed_on_paper else "cancelled"


@dataclass
class OpenClearance:
    """A clearance on the today board: who, how much is left, since when."""

    clearance: Clearance
    lines_left: int
    days_open: int


def open_clearances(session: Session, *, now_utc: dt.datetime, timezone: str) -> list[OpenClearance]:
    """Every clearance still open, the oldest first."""
    today = calendar.local_date(now_utc, timezone)
    found = session.scalars(select(Clearance).where(Clearance.closed_at.is_(None))
                            .options(joinedload(Clearance.employee).joinedload(Employee.department),
                                     selectinload(Clearance.lines))
                            .order_by(Clearance.opened_at, Clearance.id))
    return [OpenClearance(c, sum(1 for line in c.lines if line.outcome == "open"),
                          (today - calendar.local_date(c.opened_at, timezone)).days) for c in found]


def recently_closed(session: Session, limit: int = 20) -> list[Clearance]:
    return list(session.scalars(select(Clearance).where(Clearance.closed_at.is_not(None))
                                .options(joinedload(Clearance.employee).joinedload(Employee.department),
                                         selectinload(Clearance.lines))
                                .order_by(Clearance.closed_at.desc(), Clearance.id.desc()).limit(limit)))


# --- what a person holds -------------------------------------------------------

def holdings(session: Session, employee: Employee) -> list[ClearanceLine]:
    """A new line for each thing ``employee`` holds now (not added to the session)."""
    lines: list[ClearanceLine] = []
    on_loan = {item.garment_id: item for item in session.scalars(
        select(LoanItem).join(Loan, Loan.id == LoanItem.loan_id)
        .where(Loan.employee_id == employee.id, LoanItem.returned_at.is_(None),
               LoanItem.written_off_event_id.is_(None))
        .options(joinedload(LoanItem.garment)).order_by(LoanItem.id))
        if item.garment.status == Status.LOANED.value}
    held = session.scalars(select(Garment).where(Garment.holder_id == employee.id,
                                                 Garment.status.in_(HANDED_OUT)).order_by(Garment.tag))
    for garment in held:
        item = on_loan.pop(garment.id, None)
        kind = "loan" if item else "spare" if garment.status == Status.SPARE_ISSUED.value else "garment"
        lines.append(ClearanceLine(kind=kind, garment=garment, loan_item=item))
    # Out on their loan, though no longer recorded as held by them: still theirs to bring back.
    lines += [ClearanceLine(kind="loan", garment=item.garment, loan_item=item) for item in on_loan.values()]
    lines.sort(key=lambda line: (KIND_ORDER.index(line.kind), line.garment.tag))
    for item, quantity in stock_held(session, employee):
        lines.append(ClearanceLine(kind="stock", stock_item=item, quantity=quantity))
    return lines


def stock_held(session: Session, employee: Employee) -> list[tuple[StockItem, int]]:
    """Stock items with a return rule given to ``employee`` and not handed back: what they
    were given (issued, the monthly distribution) less what came back and what an earlier
    clearance of theirs already charged or waived."""
    given = func.sum(case((StockMovement.reason.in_(GIVEN), -StockMovement.delta), else_=0))
    back = func.sum(case((StockMovement.reason == "returned", StockMovement.delta), else_=0))
    rows = session.execute(
        select(StockMovement.item_id, given - back).join(StockItem, StockItem.id == StockMovement.item_id)
        .where(StockMovement.employee_id == employee.id, StockItem.return_on_leaving.is_(True))
        .group_by(StockMovement.item_id)).all()
    settled = dict(session.execute(
        select(ClearanceLine.stock_item_id, func.sum(ClearanceLine.quantity - ClearanceLine.returned_quantity))
        .join(Clearance, Clearance.id == ClearanceLine.clearance_id)
        .where(Clearance.employee_id == employee.id, ClearanceLine.stock_item_id.is_not(None),
               ClearanceLine.outcome.in_(("written_off", "waived")))
        .group_by(ClearanceLine.stock_item_id)).all())
    held = {item_id: int(n or 0) - int(settled.get(item_id) or 0) for item_id, n in rows}
    items = session.scalars(select(StockItem).where(StockItem.id.in_([i for i, n in held.items() if n > 0]))
                            .order_by(StockItem.code, StockItem.size))
    return [(item, held[item.id]) for item in items]


# --- opening and cancelling ------------------------------------------------------

def open_for_leaver(session: Session, employee: Employee, *, user: User | None,
                    at: dt.datetime | None = None) -> Clearance:
    """The leaver's clearance: the one still open, else a new one with what they hold now
    (closed at once when they hold nothing)."""
    existing = open_of(session, employee)
    if existing is not None:
        return existing
    at = at or utcnow()
    clearance = Clearance(employee=employee, opened_by=user, opened_at=at, lines=holdings(session, employee),
                          signed_on_paper=False, note="")
    if not clearance.lines:
        clearance.closed_at, clearance.closed_by, clearance.note = at, user, NOTHING_HELD
    session.add(clearance)
    session.flush()
    return clearance


@registry.employee_left.connect
def _opened_on_leaving(employee: Employee, *, session: Session, user: User | None, at: dt.datetime) -> None:
    open_for_leaver(session, employee, user=user, at=at)


def cancel(session: Session, employee: Employee, *, user: User | None,
           at: dt.datetime | None = None) -> Clearance | None:
    """The person is back before their clearance was closed: it closes as cancelled (what is
    settled on it stands; what they still hold is theirs again). None when none was open."""
    clearance = open_of(session, employee)
    if clearance is None:
        return None
    session.execute(update(Clearance).where(Clearance.id == clearance.id, Clearance.closed_at.is_(None))
                    .values(closed_at=at or utcnow(), closed_by_id=user.id if user else None, note=CANCELLED)
                    .execution_options(synchronize_session=False))
    session.refresh(clearance)
    return clearance


@registry.employee_back.connect
def _cancelled_on_return(employee: Employee, *, session: Session, user: User | None, at: dt.datetime) -> None:
    cancel(session, employee, user=user, at=at)


# --- settling a line --------------------------------------------------------------

def _claim(session: Session, line: ClearanceLine, outcome: str, *, user: User | None, at: dt.datetime,
           **values) -> bool:
    """Settle ``line`` as ``outcome`` if it is still open: True only for the one request that did."""
    claimed = session.execute(
        update(ClearanceLine).where(ClearanceLine.id == line.id, ClearanceLine.outcome == "open")
        .values(outcome=outcome, done_by_id=user.id if user else None, done_at=at, **values)
        .execution_options(synchronize_session=False)).rowcount == 1
    session.refresh(line)
    return claimed


def _settled(line: ClearanceLine) -> DomainError:
    return DomainError(SETTLED, outcome=Label(OUTCOME_LABELS[line.outcome]))


def _check_open(line: ClearanceLine) -> None:
    if not line.clearance.is_open:
        raise DomainError(CLOSED)
    if line.outcome != "open":
        raise _settled(line)


def still_out(line: ClearanceLine) -> bool:
    """The line's garment is still out with the leaver: not back in the room, not written off
    (a loaned one: still on their open loan item)."""
    garment = line.garment
    if line.loan_item is not None:
        return garment.status == Status.LOANED.value and line.loan_item.settled_at is None
    return garment.holder_id == line.clearance.employee_id and garment.status in HANDED_OUT


def reconcile(session: Session, clearance: Clearance) -> int:
    """Settle the lines of garments that are no longer with the leaver: checked in at another
    station (returned, with that event) or written off on the write-offs screen (with that
    write-off). Idempotent; returns how many lines it settled."""
    if not clearance.is_open:
        return 0
    settled = 0
    for line in clearance.lines:
        garment = line.garment
        if line.outcome != "open" or garment is None or still_out(line):
            continue
        if garment.status == Status.WRITTEN_OFF.value:
            write_off = session.scalar(select(WriteOff).where(WriteOff.garment_id == garment.id,
                                                              WriteOff.status == "approved")
                                       .order_by(WriteOff.id.desc()).limit(1))
            settled += _claim(session, line, "written_off", user=write_off.approved_by if write_off else None,
                              at=write_off.approved_at if write_off else utcnow(),
                              write_off_id=write_off.id if write_off else None)
            continue
        came_back = session.scalar(
            select(Event).where(Event.garment_id == garment.id, Event.from_status.in_(HANDED_OUT),
                                Event.created_at >= clearance.opened_at, not_undone())
            .order_by(Event.created_at.desc(), Event.id.desc()).limit(1)) or last_event(session, garment)
        settled += _claim(session, line, "returned", user=came_back.user, at=came_back.created_at,
                          event_id=came_back.id)
    return settled


def take_back(session: Session, clearance: Clearance, raw_code: str, *, user: User | None,
              duplicate_seconds: int, now: dt.datetime | None = None, meta: ScanMeta | None = None) -> ScanResult:
    """A garment of the list scanned back: checked in (a loaned one through the loans, which
    closes the loan item) and its line returned; anything else is refused, nothing changes."""
    now = now or utcnow()
    code, garment = find_garment(session, raw_code)
    if garment is None:
        return unknown(code, raw_code)
    if not clearance.is_open:
        return ScanResult(ERROR, code, garment, error=DomainError(CLOSED))
    line = next((line for line in clearance.lines if line.garment_id == garment.id), None)
    if line is None:
        return ScanResult(ERROR, code, garment, error=DomainError(NOT_ON_LIST, tag=garment.tag,
                                                                  name=clearance.employee.name))
    if line.outcome == "returned":
        return ScanResult(DUPLICATE, code, garment, line.event, warnings=warnings_for(garment))
    if line.outcome != "open":
        return ScanResult(ERROR, code, garment, error=_settled(line))
    if not still_out(line):
        reconcile(session, clearance)
        return ScanResult(OK, code, garment, warnings=[DomainError(BACK_ALREADY, tag=garment.tag)])

    def check_in() -> ScanResult:
        if line.loan_item_id is not None:
            return loans.take_back(session, raw_code, user=user, duplicate_seconds=duplicate_seconds, now=now,
                                   meta=meta)[0]
        return scan_move(session, raw_code, Action.CHECK_IN, station=STATION, user=user,
                         employee=clearance.employee, note=f"clearance #{clearance.id}",
                         duplicate_seconds=duplicate_seconds, now=now, found=(code, garment), meta=meta)

    # The claim and the check-in share one savepoint: a refused or lost check-in leaves the line open.
    with savepoint(session) as nested:
        if not _claim(session, line, "returned", user=user, at=now):  # another tablet, a moment ago
            nested.rollback()
            session.refresh(line)
            if line.outcome == "returned":
                return ScanResult(DUPLICATE, code, garment, line.event, warnings=warnings_for(garment))
            return ScanResult(ERROR, code, garment, error=_settled(line))
        result = check_in()
        if not result.ok or result.event is None:
            nested.rollback()
            return result
        line.event = result.event
        session.flush()
    return result


def return_stock(session: Session, line: ClearanceLine, quantity: int, *, user: User | None,
                 request_key: str | None, now: dt.datetime | None = None) -> ClearanceLine:
    """``quantity`` of a stock line handed back: on hand again (a ``returned`` movement); the
    line is returned once all are back. Once per request key; never more than was given."""
    return once(session, request_key, operator=user, command="clearance.return_stock",
                **by_id(session, ClearanceLine),
                run=lambda: _return_stock(session, line, quantity, user=user, now=now or utcnow()))


def _return_stock(session: Session, line: ClearanceLine, quantity: int, *, user: User | None,
                  now: dt.datetime) -> ClearanceLine:
    _check_open(line)
    left = line.quantity - line.returned_quantity
    if line.stock_item is None or not 1 <= quantity <= left:
        raise DomainError(TOO_MANY, left=left)
    back = ClearanceLine.returned_quantity + quantity
    counted = session.execute(
        update(ClearanceLine).where(ClearanceLine.id == line.id, ClearanceLine.outcome == "open",
                                    back <= ClearanceLine.quantity)
        .values(returned_quantity=back, outcome=case((back == ClearanceLine.quantity, "returned"), else_="open"),
                done_by_id=user.id if user else None, done_at=now)
        .execution_options(synchronize_session=False)).rowcount == 1
    session.refresh(line)
    if not counted:  # another tablet counted some at the same moment
        raise _settled(line) if line.outcome != "open" else DomainError(
            TOO_MANY, left=line.quantity - line.returned_quantity)
    movement = stock.take_back(session, item=line.stock_item, employee=line.clearance.employee,
                               quantity=quantity, user=user, note=f"clearance #{line.clearance_id}")
    line.movement = movement
    session.flush()
    return line


def charge_if_lost(line: ClearanceLine, *, rules: writeoffs.Rules, today: dt.date) -> Decimal:
    """What the leaver would be charged for what is still to return on ``line``: a garment
    at the compensation rules' depreciated price, a stock item at its unit cost each."""
    if line.garment is not None:
        return writeoffs.charge(writeoffs.quote(line.garment, today, rules).value, "employee", False, rules)[1]
    return money.quantize(line.stock_item.unit_cost * (line.quantity - line.returned_quantity))


def write_off(session: Session, line: ClearanceLine, *, user: User | None, rules: writeoffs.Rules,
              today: dt.date, request_key: str | None, now: dt.datetime | None = None) -> ClearanceLine:
    """未退还 → 报损: a garment gets its write-off (lost, charged to the leaver under the
    compensation rules, for a supervisor to approve on the write-offs screen); a stock item
    is charged its unit cost for each one missing. Once per line, whoever taps first."""
    return once(session, request_key, operator=user, command="clearance.write_off",
                **by_id(session, ClearanceLine),
                run=lambda: _write_off(session, line, user=user, rules=rules, today=today, now=now or utcnow()))


def _write_off(session: Session, line: ClearanceLine, *, user: User | None, rules: writeoffs.Rules,
               today: dt.date, now: dt.datetime) -> ClearanceLine:
    _check_open(line)
    employee = line.clearance.employee
    garment = line.garment
    if garment is None:
        if not _claim(session, line, "written_off", user=user, at=now, charged=charge_if_lost(
                line, rules=rules, today=today)):
            raise _settled(line)
        return line
    if not still_out(line):
        raise DomainError(NOT_WITH_THEM, tag=garment.tag, name=employee.name, status=status_label(garment.status))
    if not _claim(session, line, "written_off", user=user, at=now):
        raise _settled(line)
    pending = writeoffs.pending_for(session, garment)
    if pending is None:
        pending = writeoffs.open_write_off(
            session, garment, reason="lost", responsible="employee", staff_no=employee.staff_no, user=user,
            rules=rules, today=today, note=WRITE_OFF_NOTE.format(id=line.clearance_id), now=now)
    line.write_off = pending
    session.flush()
    return line


def waive(session: Session, line: ClearanceLine, *, user: User | None, request_key: str | None,
          now: dt.datetime | None = None) -> ClearanceLine:
    """A supervisor lets a line go: not returned, not charged."""
    if not is_manager(user):
        raise DomainError(ONLY_SUPERVISOR)
    return once(session, request_key, operator=user, command="clearance.waive", **by_id(session, ClearanceLine),
                run=lambda: _waive(session, line, user=user, now=now or utcnow()))


def _waive(session: Session, line: ClearanceLine, *, user: User | None, now: dt.datetime) -> ClearanceLine:
    _check_open(line)
    if not _claim(session, line, "waived", user=user, at=now):
        raise _settled(line)
    return line


# --- closing ------------------------------------------------------------------------

def close(session: Session, clearance: Clearance, *, user: User | None, signature_png: bytes | None,
          signed_on_paper: bool, request_key: str | None, now: dt.datetime | None = None) -> Clearance:
    """Close the clearance: every line settled and the leaver's signature (drawn, or on paper)."""
    return once(session, request_key, operator=user, command="clearance.close", **by_id(session, Clearance),
                run=lambda: _close(session, clearance, user=user, signature_png=signature_png,
                                   signed_on_paper=signed_on_paper, now=now or utcnow()))


def _close(session: Session, clearance: Clearance, *, user: User | None, signature_png: bytes | None,
           signed_on_paper: bool, now: dt.datetime) -> Clearance:
    if not clearance.is_open:
        raise DomainError(CLOSED)
    reconcile(session, clearance)
    left = sum(1 for line in clearance.lines if line.outcome == "open")
    if left:
        raise DomainError(STILL_OPEN, count=left)
    if signature_png is None and not signed_on_paper:
        raise DomainError(NO_SIGNATURE)
    closed = session.execute(
        update(Clearance).where(Clearance.id == clearance.id, Clearance.closed_at.is_(None))
        .values(closed_at=now, closed_by_id=user.id if user else None, signature_png=signature_png,
                signed_on_paper=signature_png is None)
        .execution_options(synchronize_session=False)).rowcount == 1
    session.refresh(clearance)
    if not closed:  # closed on another tablet a moment ago
        raise DomainError(CLOSED)
    return clearance


# --- the summary and the slip ------------------------------------------------------------

@dataclass
class Summary:
    """What the leaver signs for: each thing by how it ended, with the amounts charged."""

    returned: list[documents.ClearanceLine] = field(default_factory=list)
    written_off: list[documents.ClearanceLine] = field(default_factory=list)
    waived: list[documents.ClearanceLine] = field(default_factory=list)
    still_open: list[documents.ClearanceLine] = field(default_factory=list)
    total: Decimal = money.ZERO


def charged(line: ClearanceLine) -> Decimal | None:
    """What a written-off line charges the leaver: its write-off's amount, or the stock charge."""
    if line.outcome != "written_off":
        return None
    if line.write_off is not None:
        return line.write_off.amount
    return line.charged if line.charged is not None else money.ZERO


def summary(clearance: Clearance, *, language: str, money_text: Callable[[Decimal], str]) -> Summary:
    out = Summary()
    for line in clearance.lines:
        if line.garment is not None:
            what = garment_line(line.garment, language).text()
            counts = {line.outcome: 1}
        else:
            what = stock.item_name(line.stock_item, language)
            missing = line.quantity - line.returned_quantity
            counts = defaultdict(int, {"returned": line.returned_quantity})
            counts[line.outcome if line.outcome != "returned" else "open"] += missing
        for outcome, count in counts.items():
            if not count:
                continue
            text = what if line.garment is not None else f"{what} ×{count}"
            amount = charged(line) if outcome == "written_off" else None
            if amount is not None:
                out.total += amount
            getattr(out, "still_open" if outcome == "open" else outcome).append(
                documents.ClearanceLine(text, money_text(amount) if amount is not None else ""))
    return out


def slip_no(clearance: Clearance) -> str:
    return f"C{clearance.id:06d}"


def employee_text(employee: Employee) -> str:
    return f"{employee.name} ({employee.staff_no}) · {employee.department.name}"


def slip(clearance: Clearance, *, gettext: Callable[..., str], language: str, clerk: str, when: str,
         money_text: Callable[[Decimal], str]) -> Document:
    """离职退还单: returned, written off with the amounts charged, waived, the total, and the
    leaver's signature when it was drawn on the tablet (else a line to sign on paper)."""
    if not clearance.lines:
        raise DomainError(N_("Nothing was on this clearance: there is no slip to print."))
    found = summary(clearance, language=language, money_text=money_text)
    return documents.clearance_slip(
        gettext("Uniform room · leaver's clearance slip"), employee=employee_text(clearance.employee),
        returned=found.returned, written_off=found.written_off, waived=found.waived,
        still_open=found.still_open, total=money_text(found.total), clerk=clerk, when=when,
        slip_no=slip_no(clearance), statement=gettext(STATEMENT), signature_png=clearance.signature_png,
        labels=documents.labels(gettext))
