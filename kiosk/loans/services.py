"""Loans (借衣登记): open a loan, lend and take back garments, chase what is overdue.

No Flask here: routes pass the session and plain values; the route commits.
Every garment still changes only through :func:`kiosk.scanning.scan_move`
(lending, returns) or :func:`kiosk.ledger.move` (a write-off).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from printers import documents
from printers.documents import Document, Image, Rule, Text

from .. import people
from ..kits import services as kits
from ..domain import calendar
from ..domain.errors import DomainError, N_
from ..domain.garment_states import Action, Status, TransitionRefused
from ..models import Event, Garment, PrintJob, User, utcnow
from ..printing.services import garment_line
from ..request_keys import by_id, once
from ..scanning import ERROR, ScanMeta, ScanResult, find_garment, scan_move
from ..writeoffs import services as writeoffs
from ..writeoffs.models import WriteOff
from .models import CONTACT_HOW, CONTACT_OUTCOMES, ContactAttempt, Loan, LoanItem

STATION = "loans"
#: Returns are scanned at a station of their own: lending a garment and taking
#: it back a moment later must not look like one scan repeated.
RETURN_STATION = "loans_return"

REASON_LABELS = {
    "forgot_locker_key": N_("Forgot the locker key"),
    "other_post": N_("Helping at another post"),
    "event": N_("Event"),
    "other": N_("Other"),
}
HOW_LABELS = {"phone": N_("Phone"), "wechat": N_("WeChat"), "in_person": N_("In person"), "other": N_("Other")}
OUTCOME_LABELS = {"reached": N_("Reached"), "no_answer": N_("No answer"), "promised": N_("Promised to return"),
                  "refused": N_("Refused")}
WRITE_OFF_NOTE = "not returned by borrower (loan #{loan_id})"
#: a loan is due back the next day at this hour, hotel time, unless the clerk says otherwise
DUE_TIME = dt.time(18, 0)


class LoanInputError(DomainError):
    """The loan form was filled in wrongly; nothing was written."""


def default_due(now: dt.datetime, timezone: str) -> dt.datetime:
    """Next day, 18:00 hotel time (in UTC)."""
    return calendar.at_local(calendar.local_date(now, timezone) + dt.timedelta(days=1), DUE_TIME, timezone)


def parse_due(raw: str, *, now: dt.datetime, timezone: str) -> dt.datetime:
    """``YYYY-MM-DDTHH:MM`` in hotel time (a datetime-local field); empty: the default."""
    raw = (raw or "").strip()
    if not raw:
        return default_due(now, timezone)
    try:
        local = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise LoanInputError(N_("Enter the due date and time.")) from None
    due = calendar.at_local(local.date(), local.time(), timezone) if local.tzinfo is None \
        else local.astimezone(dt.timezone.utc)
    if due <= now:
        raise LoanInputError(N_("The due date is in the past. Choose a later time."))
    return due


@dataclass(frozen=True)
class LoanData:
    """A loan as the form checked it (:mod:`.forms`): a visitor's contact, or the employee to look up."""

    reason: str
    due_at: dt.datetime
    employee_code: str = ""
    name: str = ""
    phone: str = ""
    organisation: str = ""
    note: str = ""
    approver: str = ""
    deposit: str = ""
    signature_png: bytes | None = None
    signed_on_paper: bool = False


def open_loan(session: Session, data: LoanData, *, user: User | None, request_key: str | None,
              now: dt.datetime | None = None) -> Loan:
    """Open a loan (nothing lent yet), or raise DomainError when the employee is not one to lend to.

    The same form sent twice (its request key) returns the loan it opened.
    """
    return once(session, request_key, operator=user, command="loan.open", **by_id(session, Loan),
                run=lambda: _new_loan(session, data, user=user, now=now or utcnow())).result


def _new_loan(session: Session, data: LoanData, *, user: User | None, now: dt.datetime) -> Loan:
    employee = None
    name, phone, organisation = data.name, data.phone, data.organisation
    if data.employee_code:
        employee = people.resolve(session, data.employee_code, giving=True)
        name, phone = employee.name, employee.phone or ""
        organisation = employee.department.name
    loan = Loan(employee=employee, borrower_name=name, borrower_phone=phone[:32],
                borrower_org=organisation, department=employee.department if employee else None,
                reason=data.reason, note=data.note, approver=data.approver, deposit=data.deposit,
                due_at=data.due_at, signature_png=data.signature_png,
                signed_on_paper=data.signature_png is None and data.signed_on_paper, created_by=user, created_at=now)
    session.add(loan)
    session.flush()
    return loan


def loan_check(session: Session, loan: Loan):
    """The station's own rule for a garment lent into ``loan``: it must still be open, and a
    loan to an employee holds their entitlement (a garment on loan to them is one they hold)."""

    def check(garment: Garment) -> None:
        if loan.closed_at is not None:
            raise DomainError(N_("This loan is closed. Open a new loan to lend more."))
        if loan.employee is not None:
            people.refuse_leaver(loan.employee)  # they left after the loan was opened
            if garment.status == Status.IN_STOCK.value:  # else the state machine says where it is
                kits.hold(session, loan.employee, garment.garment_type, give=kits.LOAN)

    return check


def lend(session: Session, loan: Loan, raw_code: str, *, user: User | None, duplicate_seconds: int,
         now: dt.datetime | None = None, meta: ScanMeta | None = None) -> ScanResult:
    """Scan one garment out to the borrower (→ ``loaned``) and add it to the loan.

    A garment out on another loan is refused even within the duplicate window
    (it is not this clerk's scan repeated: it is someone else's loan).
    """
    found = find_garment(session, raw_code)
    if found[1] is not None and found[1].status == Status.LOANED.value:
        other = open_item_of(session, found[1])
        if other is None or other.loan_id != loan.id:
            return ScanResult(ERROR, found[0], found[1], error=TransitionRefused(Status.LOANED, Action.LOAN))
    result = scan_move(session, raw_code, Action.LOAN, station=STATION, user=user, employee=loan.employee,
                       note=f"loan #{loan.id}", duplicate_seconds=duplicate_seconds,
                       check=loan_check(session, loan), now=now, found=found, meta=meta)
    if result.moved and result.event is not None:
        session.add(LoanItem(loan=loan, garment=result.garment, loan_event=result.event))
        session.flush()
    return result


def open_item_of(session: Session, garment: Garment) -> LoanItem | None:
    return session.scalar(select(LoanItem).where(
        LoanItem.garment_id == garment.id, LoanItem.returned_at.is_(None),
        LoanItem.written_off_event_id.is_(None)).options(joinedload(LoanItem.loan)))


def _close_if_settled(loan: Loan, at: dt.datetime) -> None:
    if loan.closed_at is None and loan.items and not loan.outstanding:
        loan.closed_at = at
        if loan.deposit and loan.deposit_returned_at is None:
            loan.deposit_returned_at = at


def take_back(session: Session, raw_code: str, *, user: User | None, duplicate_seconds: int,
              now: dt.datetime | None = None, meta: ScanMeta | None = None) -> tuple[ScanResult, LoanItem | None]:
    """A lent garment scanned back in (→ ``dirty``); the loan closes when all is back."""
    now = now or utcnow()
    found = find_garment(session, raw_code)
    garment = found[1]
    item = open_item_of(session, garment) if garment is not None else None

    def check(g: Garment) -> None:
        if item is None:
            raise DomainError(N_("%(tag)s is not on loan."), tag=g.tag)

    result = scan_move(session, raw_code, Action.CHECK_IN, station=RETURN_STATION, user=user,
                       employee=item.loan.employee if item else None,
                       note=f"loan #{item.loan_id}" if item else "", duplicate_seconds=duplicate_seconds,
                       check=check, now=now, found=found, meta=meta)
    if result.moved and item is not None:
        item.returned_at = now
        item.return_event = result.event
        _close_if_settled(item.loan, now)
        session.flush()
    return result, item


def log_contact(session: Session, loan: Loan, *, how: str, outcome: str, note: str, user: User | None,
                request_key: str | None, now: dt.datetime | None = None) -> ContactAttempt:
    """Record one attempt to reach the borrower; the same form sent twice records one."""
    return once(session, request_key, operator=user, command="loan.contact", **by_id(session, ContactAttempt),
                run=lambda: _new_contact(session, loan, how=how, outcome=outcome, note=note, user=user,
                                         now=now or utcnow())).result


def _new_contact(session: Session, loan: Loan, *, how: str, outcome: str, note: str, user: User | None,
                 now: dt.datetime) -> ContactAttempt:
    if how not in CONTACT_HOW:
        raise LoanInputError(N_("Choose how you contacted the borrower."))
    if outcome not in CONTACT_OUTCOMES:
        raise LoanInputError(N_("Choose the outcome."))
    attempt = ContactAttempt(loan=loan, how=how, outcome=outcome, note=note[:500], user=user, at=now)
    session.add(attempt)
    session.flush()
    return attempt


def responsible_for(loan: Loan) -> writeoffs.Responsibility:
    """Who answers for a garment lost on ``loan``: an employee borrower by staff
    no., anyone else by the name on the loan."""
    if loan.employee is not None:
        return writeoffs.Responsibility("employee", staff_no=loan.employee.staff_no)
    return writeoffs.Responsibility("borrower", borrower_name=loan.borrower_name)


@writeoffs.responsibility_asked.connect
def _borrower_answers(garment: Garment, *, session: Session) -> writeoffs.Responsibility | None:
    """The write-off form of a garment out on a loan proposes its borrower."""
    item = open_item_of(session, garment)
    return responsible_for(item.loan) if item is not None else None


def open_write_off(session: Session, item: LoanItem, *, user: User | None, rules: writeoffs.Rules,
                   request_key: str | None, today: dt.date, now: dt.datetime | None = None) -> WriteOff:
    """A garment the borrower never returned goes to 报损/赔偿: a pending write-off
    charged to the borrower (:func:`responsible_for`) at the garment's
    depreciated price. Nothing moves until a supervisor approves it with their
    PIN; then :func:`settle_written_off` closes the loan item.
    """
    if item.settled_at is not None:
        raise DomainError(N_("%(tag)s is already back or written off."), tag=item.garment.tag)
    loan = item.loan
    existing = writeoffs.pending_for(session, item.garment)
    if existing is not None:
        return existing
    who = responsible_for(loan)
    return writeoffs.open_write_off(
        session, item.garment, reason="lost", responsible=who.responsible, staff_no=who.staff_no,
        borrower_name=who.borrower_name, user=user, rules=rules,
        note=WRITE_OFF_NOTE.format(loan_id=loan.id), request_key=request_key, today=today, now=now)


@writeoffs.garment_written_off.connect
def settle_written_off(garment: Garment, *, session: Session, event: Event, at: dt.datetime) -> None:
    """A garment was written off: the loan it was out on stops chasing it."""
    item = session.scalar(select(LoanItem).where(
        LoanItem.garment_id == garment.id, LoanItem.returned_at.is_(None),
        LoanItem.written_off_event_id.is_(None)))
    if item is not None:
        item.written_off_event = event
        session.flush()
        _close_if_settled(item.loan, at)


#: the print-job kind of a loan slip
SLIP_KIND = "loan"
_SLIP_NO = re.compile(r"：L(\d{6,})$")


@dataclass(frozen=True)
class Erased:
    """What :func:`erase_visitor_contacts` erased: loans, and print jobs (their slips)."""

    loans: int
    print_jobs: int


def erase_visitor_contacts(session: Session, *, retention_days: int, now: dt.datetime | None = None) -> Erased:
    """Erase the phone and signature of visitors whose loan closed over ``retention_days`` ago,
    on the loan and on every print job of its slip (the document a preview, a retry and a
    reprint draw from).

    Employees' details live in the registry and are not touched; the loan
    keeps the name (it is on the slip and any compensation) and what was lent.
    Slips of loans erased before print jobs were covered are cleaned too.
    Running it again erases nothing more (both counts 0).
    """
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=retention_days)
    expired = session.scalars(select(Loan).where(
        Loan.employee_id.is_(None), Loan.closed_at.is_not(None), Loan.closed_at < cutoff)).all()
    phones: dict[int, str] = {}
    erased = 0
    for loan in expired:
        if loan.contact_erased_at is not None:
            continue
        phones[loan.id] = loan.borrower_phone or ""
        loan.borrower_phone = ""
        loan.signature_png = None
        loan.contact_erased_at = now
        erased += 1
    by_id = {loan.id: loan for loan in expired}
    jobs = 0
    for job in session.scalars(select(PrintJob).where(PrintJob.kind == SLIP_KIND)):
        document = Document.from_dict(json.loads(job.document))
        loan = by_id.get(_slip_loan_id(document) or 0)
        if loan is None:
            continue
        cleaned = _without_contact(document, loan, phones.get(loan.id, ""))
        if cleaned != document:
            job.document = json.dumps(cleaned.to_dict(), ensure_ascii=False)
            jobs += 1
    session.flush()
    return Erased(erased, jobs)


def slip_number(loan: Loan) -> str:
    """The loan's number as its slip prints it (L000017)."""
    return f"L{loan.id:06d}"


def _borrower_text(loan: Loan) -> str:
    return " · ".join(part for part in (loan.borrower_name, loan.borrower_phone, loan.borrower_org) if part)


def _slip_loan_id(document: Document) -> int | None:
    """The loan a slip is of, from its number in the header (:func:`slip`)."""
    for element in document.elements[:3]:
        found = isinstance(element, Text) and _SLIP_NO.search(element.text)
        if found:
            return int(found.group(1))
    return None


def _without_contact(document: Document, loan: Loan, phone: str) -> Document:
    """``document`` (a slip of ``loan``, already erased) with no signature image and the
    borrower line (the first field after the header's rule, :func:`slip`) as the loan now
    reads; ``phone``, when known, gone from every line."""
    elements: list = []
    state = "header"
    for element in document.elements:
        if isinstance(element, Image):
            continue  # the signature
        if isinstance(element, Rule) and state == "header":
            state = "borrower"
        elif isinstance(element, Text):
            text = element.text.replace(phone, "") if len(phone) >= 5 else element.text
            label, sep, _value = text.partition("：")
            if state == "borrower" and sep:
                text, state = f"{label}：{_borrower_text(loan)}", "rest"
            element = replace(element, text=text)
        elements.append(element)
    return Document(kind=document.kind, elements=elements, title=document.title)


# --- the overdue board ------------------------------------------------------

@dataclass
class Overdue:
    loan: Loan
    late: dt.timedelta
    failed_attempts: int
    escalated: bool

    @property
    def days_late(self) -> int:
        return self.late.days


def _open_loans(session: Session) -> list[Loan]:
    return list(session.scalars(
        select(Loan).where(Loan.closed_at.is_(None))
        .options(selectinload(Loan.items).joinedload(LoanItem.garment).joinedload(Garment.garment_type),
                 selectinload(Loan.items).joinedload(LoanItem.written_off_event),
                 selectinload(Loan.attempts))
        .order_by(Loan.due_at)))


def overdue(session: Session, *, now: dt.datetime | None = None, escalate_attempts: int = 3,
            escalate_days: int = 3) -> list[Overdue]:
    """Open loans with garments out past their due time, most overdue first."""
    now = now or utcnow()
    board = []
    for loan in _open_loans(session):
        if loan.due_at >= now or not loan.outstanding:
            continue
        late = now - loan.due_at
        failed = sum(1 for a in loan.attempts if a.failed)
        escalated = failed >= escalate_attempts or late >= dt.timedelta(days=escalate_days)
        board.append(Overdue(loan, late, failed, escalated))
    board.sort(key=lambda o: o.late, reverse=True)
    return board


def escalated(session: Session, **kwargs) -> list[Overdue]:
    """The supervisors' list: overdue loans chased too often, or too late."""
    return [o for o in overdue(session, **kwargs) if o.escalated]


def open_loans(session: Session) -> list[Loan]:
    return _open_loans(session)


# --- the slip ---------------------------------------------------------------

def slip(loan: Loan, *, gettext, language: str, clerk: str, when: str, due: str) -> Document:
    """借用单: the loan slip, with the borrower's signature image above the signature line."""
    if not loan.items:
        raise DomainError(N_("Nothing was lent on this loan yet."))
    borrower = _borrower_text(loan)
    note_parts = [gettext(REASON_LABELS[loan.reason])]
    if loan.approver:
        note_parts.append(gettext("Approved by %(name)s", name=loan.approver))
    if loan.deposit:
        note_parts.append(gettext("Deposit: %(deposit)s", deposit=loan.deposit))
    lines = [garment_line(i.garment, language) for i in loan.items]
    labels = documents.labels(gettext)
    document = documents.loan_slip(gettext("Uniform room · loan slip"), borrower=borrower, garments=lines,
                                   clerk=clerk, when=when, due=due, slip_no=slip_number(loan),
                                   note=" · ".join(note_parts), labels=labels)
    if loan.signature_png:
        # The signature image goes right above the printed signature line.
        line = f"{labels['signature']}："
        index = next(i for i, el in enumerate(document.elements)
                     if getattr(el, "text", "").startswith(line))
        document.elements.insert(index, Image(loan.signature_png))
    return document

