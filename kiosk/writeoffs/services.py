"""Write-offs (报损) and compensation (赔偿). No Flask in here.

A clerk opens a write-off (pending): the facts of the moment are copied and
the amount computed. A supervisor approves it with their own PIN on the same
tablet: only then does the garment move to ``written_off`` through the
ledger and, when a person is responsible and owes something, a compensation
(pending) is created. Paid / waived and any later correction are written as
new records; nothing settled is edited.

Other workflows take part without the write-offs knowing them: through the
two signals below (a loan answers who is responsible for a garment it lent,
and stops chasing a garment once it is written off), so this module imports
none of them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Mapping

from blinker import Namespace
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from printers import documents
from printers.documents import Document

from .. import people
from ..auth.services import Policy, check_pin
from ..domain import calendar, cells, depreciation, money
from ..domain.errors import DomainError, N_
from ..domain.garment_states import Action, Status
from ..domain.notes import WRITE_OFF_REASONS
from ..domain.roles import APPROVERS, can_approve, is_manager
from ..ledger import move, not_undone
from ..models import Department, Event, Garment, User, utcnow
from ..properties import services as properties
from ..printing.services import garment_line
from ..request_keys import by_id, once
from ..scanning import find_garment
from .models import Compensation, CompensationCorrection, WriteOff

STATION = "writeoffs"
OPEN_COMMAND = "writeoff.open"
PERSONS = ("employee", "borrower")

#: the reasons, as the event's note keeps them (read back by kiosk.domain.notes)
REASON_LABELS = WRITE_OFF_REASONS
RESPONSIBLE_LABELS = {
    "employee": N_("Employee"),
    "borrower": N_("Borrower"),
    "hotel": N_("Hotel"),
    "unknown": N_("Unknown"),
}
COMPENSATION_LABELS = {"pending": N_("Not paid yet"), "paid": N_("Paid"), "waived": N_("Waived")}

ONLY_SUPERVISOR = N_("Only a supervisor can approve.")

# Flask's own idiom (flask.signals): a named signal per module, receivers
# connected where they are defined. They hold functions only, never data.
_signals = Namespace()
#: Asked by :func:`responsible_for`; ``sender`` is the garment, with ``session``.
#: A workflow that lent the garment answers with a :class:`Responsibility`,
#: any other receiver with None.
responsibility_asked = _signals.signal("responsibility-asked")
#: Sent by :func:`approve` once the garment is written off, inside the
#: caller's transaction; ``sender`` is the garment, with ``session``,
#: ``event`` (the write-off event) and ``at``.
garment_written_off = _signals.signal("garment-written-off")


@dataclass(frozen=True)
class Responsibility:
    """Who answers for a garment that is written off: one of
    :data:`~kiosk.writeoffs.models.RESPONSIBLE`, and who exactly."""

    responsible: str
    staff_no: str = ""
    borrower_name: str = ""


def responsible_for(session: Session, garment: Garment) -> Responsibility:
    """Who the write-off form proposes for ``garment``: what the workflow that
    lent it answers (a loan: its borrower), else the employee who has it or
    owns it."""
    for _receiver, answer in responsibility_asked.send(garment, session=session):
        if answer is not None:
            return answer
    if garment.status == Status.LOANED.value:  # lent, but no loan says to whom
        return Responsibility("borrower")
    person = garment.holder or garment.owner
    return Responsibility("employee", staff_no=person.staff_no if person else "")


@dataclass(frozen=True)
class Rules:
    """The room's settings: KIOSK_DEPRECIATION, KIOSK_UNWASHED_FEE and KIOSK_TIMEZONE."""

    table: depreciation.Table = depreciation.DEFAULT_TABLE
    unwashed_fee: Decimal = Decimal("0.00")
    zone: str = calendar.DEFAULT_ZONE

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, zone: str, table: depreciation.Table | None = None) -> Rules:
        """The settings as the app was configured (write-offs and the loans that open one),
        on the calendar of the hotel's ``zone``, with the hotel's own depreciation ``table``."""
        return cls(table if table is not None else config["KIOSK_DEPRECIATION"], config["KIOSK_UNWASHED_FEE"], zone)


@dataclass(frozen=True)
class Quote:
    price: Decimal
    purchased_on: dt.date | None
    months: int
    percent: Decimal
    value: Decimal


def quote(garment: Garment, on_date: dt.date, rules: Rules) -> Quote:
    """The garment's value on the hotel's ``on_date``. No purchase date: counted from the
    hotel's date when it was registered."""
    since = garment.purchased_on or calendar.local_date(garment.created_at, rules.zone)
    months = depreciation.months_in_use(since, on_date)
    return Quote(garment.cost, garment.purchased_on, months, depreciation.percent(months, rules.table),
                 depreciation.amount(garment.cost, since, on_date, rules.table))


def charge(value: Decimal, responsible: str, unwashed: bool, rules: Rules) -> tuple[Decimal, Decimal]:
    """(unwashed fee, amount owed). The hotel and "unknown" owe nothing."""
    if responsible not in PERSONS:
        return money.ZERO, money.ZERO
    fee = money.quantize(rules.unwashed_fee) if unwashed else money.ZERO
    return fee, money.quantize(value + fee)


def garment_for(session: Session, raw_code: str) -> Garment:
    code, garment = find_garment(session, raw_code)
    if garment is None:
        raise DomainError(N_("%(code)s is not one of our uniforms."), code=code)
    if garment.status == Status.WRITTEN_OFF.value:
        raise DomainError(N_("%(tag)s is already written off."), tag=garment.tag)
    return garment


def pending_for(session: Session, garment: Garment) -> WriteOff | None:
    return session.scalar(select(WriteOff).where(WriteOff.garment_id == garment.id,
                                                 WriteOff.status == "pending"))


def open_write_off(session: Session, garment: Garment, *, reason: str, responsible: str, user: User | None,
                   rules: Rules, staff_no: str = "", borrower_name: str = "", unwashed: bool = False,
                   today: dt.date, note: str = "", request_key: str | None = None,
                   now: dt.datetime | None = None) -> WriteOff:
    """A pending write-off, or the one this request (its request key) opened.

    ``today`` is the hotel's date (the months in use are counted on its calendar).
    """
    return once(session, request_key, operator=user, command=OPEN_COMMAND, **by_id(session, WriteOff),
                run=lambda: _new_write_off(session, garment, reason=reason, responsible=responsible, user=user,
                                           rules=rules, staff_no=staff_no, borrower_name=borrower_name,
                                           unwashed=unwashed, today=today, note=note, now=now)).result


def open_write_off_for(session: Session, code: str, *, user: User | None, request_key: str | None,
                       **fields: Any) -> WriteOff:
    """:func:`open_write_off` for the garment the form was opened for, found after the key:
    a repeat that comes after the approval (the garment is written off now) still finds its write-off."""
    return once(session, request_key, operator=user, command=OPEN_COMMAND, **by_id(session, WriteOff),
                run=lambda: _new_write_off(session, garment_for(session, code), user=user, **fields)).result


def _new_write_off(session: Session, garment: Garment, *, reason: str, responsible: str, user: User | None,
                   rules: Rules, today: dt.date, staff_no: str = "", borrower_name: str = "",
                   unwashed: bool = False, note: str = "", now: dt.datetime | None = None) -> WriteOff:
    # ``reason``, ``responsible`` and the names are checked by .forms.WriteOffForm
    # (the loans pass their own: lost, the borrower); the database holds the codes too.
    if garment.status == Status.WRITTEN_OFF.value:
        raise DomainError(N_("%(tag)s is already written off."), tag=garment.tag)
    if pending_for(session, garment) is not None:
        raise DomainError(N_("%(tag)s already waits for approval."), tag=garment.tag)
    employee = None
    if responsible == "employee":
        # A leaver can still be charged for what they lost (that is taking back, not giving).
        employee = people.find_by_staff_no(session, staff_no)
        if employee is None:
            raise DomainError(N_("Enter the staff no. of the responsible employee."))
        borrower_name = ""
    elif responsible != "borrower":
        borrower_name = ""
    now = now or utcnow()
    priced = quote(garment, today, rules)
    fee, owed = charge(priced.value, responsible, unwashed, rules)
    person = employee or garment.owner
    write_off = WriteOff(
        garment=garment, reason=reason, note=(note or "").strip(), responsible=responsible, employee=employee,
        borrower_name=borrower_name, department_id=person.department_id if person else None,
        price=priced.price, purchased_on=priced.purchased_on, months_in_use=priced.months, percent=priced.percent,
        unwashed_fee=fee, amount=owed, status="pending", created_by=user, created_at=now)
    session.add(write_off)
    session.flush()
    return write_off


def approve(session: Session, write_off: WriteOff, *, approver: User | None, pin: str, policy: Policy,
            now: dt.datetime | None = None, client: str = "") -> WriteOff:
    """Approve with the supervisor's own PIN; refuse (and count a wrong PIN) otherwise.

    Approving what is already approved changes nothing (a repeated request).
    The caller commits either way, so a wrong PIN counts towards the lock.
    """
    if write_off.status == "approved":
        return write_off
    if approver is None:
        raise DomainError(N_("Choose the supervisor who approves."))
    if not can_approve(approver):
        raise DomainError(ONLY_SUPERVISOR)
    check_pin(session, approver, pin, policy, now=now, client=client)
    now = now or utcnow()
    garment = write_off.garment
    person = write_off.employee or garment.holder or garment.owner
    event = move(session, garment, Action.WRITE_OFF, user=approver, station=STATION, employee=person,
                 note=write_off.reason, at=now)
    garment_written_off.send(garment, session=session, event=event, at=now)
    write_off.status = "approved"
    write_off.approved_by = approver
    write_off.approved_at = now
    write_off.event = event
    if write_off.responsible in PERSONS and write_off.amount > 0:
        session.add(Compensation(write_off=write_off, party=write_off.party[:64], employee=write_off.employee,
                                 department_id=write_off.department_id, amount=write_off.amount,
                                 status="pending", created_at=now))
    session.flush()
    return write_off


def settle(session: Session, compensation: Compensation, status: str, *, user: User,
           now: dt.datetime | None = None) -> Compensation:
    """Paid or waived. Once settled a compensation is closed; a repeat of the same changes nothing."""
    if status not in ("paid", "waived"):
        raise DomainError(N_("Choose paid or waived."))
    if not is_manager(user):
        raise DomainError(N_("Only a supervisor can settle a compensation."))
    if compensation.current_status == status:
        return compensation
    if compensation.current_status != "pending":
        raise DomainError(N_("This compensation is settled. Write a correction instead."))
    now = now or utcnow()
    if compensation.latest is None:
        compensation.status, compensation.settled_by, compensation.settled_at = status, user, now
    else:  # pending again after a correction: the new state is a new record
        session.add(CompensationCorrection(compensation=compensation, status=status,
                                           amount=compensation.current_amount, reason="",
                                           created_by=user, created_at=now))
    session.flush()
    return compensation


def correct(session: Session, compensation: Compensation, *, status: str, amount: Decimal, reason: str,
            user: User, request_key: str | None = None, now: dt.datetime | None = None) -> CompensationCorrection:
    """A correcting record pointing at the compensation: new status and amount, and why
    (each checked by :class:`.forms.CorrectionForm`).

    The same ``request_key`` again (a double tap) returns the first correction.
    """
    return once(session, request_key, operator=user, command="compensation.correct",
                **by_id(session, CompensationCorrection),
                run=lambda: _new_correction(session, compensation, status=status, amount=amount, reason=reason,
                                            user=user, now=now or utcnow())).result


def _new_correction(session: Session, compensation: Compensation, *, status: str, amount: Decimal, reason: str,
                    user: User, now: dt.datetime) -> CompensationCorrection:
    if not is_manager(user):
        raise DomainError(N_("Only a supervisor can correct a compensation."))
    value = money.quantize(amount)
    if status == compensation.current_status and value == compensation.current_amount:
        raise DomainError(N_("Nothing to correct: status and amount are the same."))
    correction = CompensationCorrection(compensation=compensation, status=status, amount=value, reason=reason,
                                        created_by=user, created_at=now)
    session.add(correction)
    session.flush()
    return correction


# --- lists -------------------------------------------------------------------

def pending_write_offs(session: Session) -> list[WriteOff]:
    return list(session.scalars(
        select(WriteOff).where(WriteOff.status == "pending")
        .options(joinedload(WriteOff.garment).joinedload(Garment.garment_type), joinedload(WriteOff.employee))
        .order_by(WriteOff.created_at, WriteOff.id)))


def compensations(session: Session) -> list[Compensation]:
    return list(session.scalars(
        select(Compensation).options(selectinload(Compensation.corrections),
                                     joinedload(Compensation.write_off), joinedload(Compensation.employee))
        .order_by(Compensation.created_at.desc(), Compensation.id.desc())).unique())


def open_compensations(session: Session) -> list[Compensation]:
    return [c for c in compensations(session) if c.current_status == "pending"]


def approvers(session: Session) -> list[User]:
    return list(session.scalars(properties.operators_here(session).where(User.active.is_(True), User.role.in_(APPROVERS))
                                .order_by(User.name)))


# --- slip and exports ---------------------------------------------------------

def slip(write_off: WriteOff, *, language: str, gettext: Callable[..., str], amount_text: str,
         when: str) -> Document:
    """赔偿单 for an approved write-off with a compensation."""
    garment = write_off.garment
    who = write_off.party
    if write_off.employee is not None:
        who = f"{write_off.employee.name} ({write_off.employee.staff_no})"
    return documents.compensation_slip(
        gettext("Uniform room · compensation slip"), employee=who,
        garment=garment_line(garment, language),
        reason=gettext(REASON_LABELS[write_off.reason]), amount=amount_text,
        approver=write_off.approved_by.name if write_off.approved_by else "", when=when,
        slip_no=f"WO{write_off.id:06d}", labels=documents.labels(gettext))


PAYROLL_HEADERS = ["工号", "姓名", "部门", "金额", "原因", "日期"]


def payroll_rows(session: Session, *, zone: str) -> list[list]:
    """Compensation owed by employees and not paid yet, for payroll deduction: one row each,
    the amount as a Decimal (:mod:`kiosk.domain.cells` writes it as a number)."""
    departments = {d.id: d.name for d in session.scalars(select(Department))}
    return [[comp.employee.staff_no, comp.employee.name, departments.get(comp.department_id, ""),
             money.quantize(comp.current_amount), REASON_ZH[comp.write_off.reason],
             calendar.local_date(comp.created_at, zone)]
            for comp in sorted(open_compensations(session), key=lambda c: (c.created_at, c.id))
            if comp.employee is not None]


def payroll_csv(session: Session, *, zone: str) -> str:
    """The payroll deduction as CSV (UTF-8 with BOM); a staff no. is its raw text (``00777``)."""
    return cells.csv_text([PAYROLL_HEADERS, *payroll_rows(session, zone=zone)])


def payroll_xlsx(session: Session, *, zone: str) -> bytes:
    """The same rows as XLSX: staff numbers as text cells, so ``00777`` opens as ``00777``."""
    return cells.xlsx_bytes([cells.Sheet("扣薪", PAYROLL_HEADERS, payroll_rows(session, zone=zone))])


#: the payroll and finance files are in Chinese whatever the screen language
REASON_ZH = {"worn_out": "自然磨损", "damaged": "损坏无法修补", "lost": "丢失", "stain": "污渍",
             "tag_lost": "标签丢失", "other": "其他"}


ZERO = Decimal("0.00")


@dataclass
class DepartmentLosses:
    """One department's approved write-offs in a period and what they were charged.

    Everything comes from the facts copied onto each write-off when it was
    opened (the department and the garment's price of that moment), so a
    later move of the employee changes nothing; the compensation is read as
    it stands (the latest correction wins).
    """

    department_id: int | None
    department: str = ""  # its name; "" for none
    count: int = 0
    value: Decimal = ZERO  # at purchase price
    compensations: int = 0
    charged: Decimal = ZERO
    collected: Decimal = ZERO
    waived: Decimal = ZERO
    pending: Decimal = ZERO

    def add(self, write_off: WriteOff) -> None:
        self.count += 1
        self.value += write_off.price
        compensation = write_off.compensation
        if compensation is None:
            return
        amount, status = compensation.current_amount, compensation.current_status
        self.compensations += 1
        self.charged += amount
        if status == "paid":
            self.collected += amount
        elif status == "waived":
            self.waived += amount
        else:
            self.pending += amount


@dataclass
class Losses:
    """:class:`DepartmentLosses` per department id, and all of them together."""

    by_department: dict[int | None, DepartmentLosses] = field(default_factory=dict)
    total: DepartmentLosses = field(default_factory=lambda: DepartmentLosses(None))


def department_losses(session: Session, start: dt.datetime, end: dt.datetime) -> Losses:
    """Compensation per department: the write-offs approved in [start, end) (not
    undone), each counted under the department copied onto it. The one
    computation behind the consumption statement and the loss report."""
    write_offs = session.scalars(
        select(WriteOff).join(Event, Event.id == WriteOff.event_id)
        .where(WriteOff.status == "approved", WriteOff.approved_at >= start, WriteOff.approved_at < end,
               not_undone(Event))
        .options(joinedload(WriteOff.department),
                 joinedload(WriteOff.compensation).selectinload(Compensation.corrections))
        .order_by(WriteOff.id)).unique()
    losses = Losses()
    for write_off in write_offs:
        name = write_off.department.name if write_off.department else ""
        row = losses.by_department.setdefault(write_off.department_id,
                                              DepartmentLosses(write_off.department_id, name))
        row.add(write_off)
        losses.total.add(write_off)
    return losses


@dataclass
class Statement:
    month: str
    rows: list[DepartmentLosses] = field(default_factory=list)
    total: DepartmentLosses = field(default_factory=lambda: DepartmentLosses(None))


def statement(session: Session, month: str, *, zone: str, no_department: str = "") -> Statement:
    """制服消耗: per department (as copied on the write-off, :func:`department_losses`),
    write-offs approved in the month, their value at purchase price, and the
    compensation charged, collected and waived (as it stands)."""
    month = calendar.parse_month(month)
    losses = department_losses(session, *calendar.month_bounds(month, zone))
    for row in losses.by_department.values():
        row.department = row.department or no_department
    return Statement(month, sorted(losses.by_department.values(), key=lambda row: row.department), losses.total)


def statement_csv(report: Statement) -> str:
    return cells.csv_text([["月份", "部门", "报损件数", "报损金额(购入价)", "应赔金额", "已收金额", "免赔金额"],
                           *([report.month, row.department or ("合计" if row is report.total else ""), row.count,
                              row.value, row.charged, row.collected, row.waived]
                             for row in [*report.rows, report.total])])
