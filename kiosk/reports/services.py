"""The monthly loss report (月度报损报表). No Flask in here.

Every figure comes from the event ledger (DESIGN: every count is
recomputable): a garment's status at an instant is the ``to_status`` of its
last event before that instant, and its value is the ``unit_cost`` copied on
that event. Departments are the ones copied on each event (as at the time),
except for a write-off: it counts under the department copied onto the
write-off record, which also gives the reason and who is responsible. The
compensation per department is the consumption statement's own computation
(:func:`kiosk.writeoffs.services.department_losses`), read as it stands now
(latest correction wins).

Figures:

- opening / closing: garments whose last event before the month's start /
  end leaves them neither ``written_off`` nor ``missing`` (:mod:`.stock`: read
  once from the events, then from the snapshot stored for that instant once
  the month has closed; the opening of a month is the closing of the one before);
- purchased: ``register`` events in the month, at their cost;
- written_off: ``write_off`` events in the month not undone, split into
  normal wear (reason ``worn_out``), charged to a person (employee or
  borrower responsible) and other;
- missing: ``mark_missing`` events in the month not undone, minus ``found``
  events in the month not undone (the net change);
- transferred in / out: garments received from / by another hotel of the group in the month
  (``transfer_in`` events: at this property, or of a transfer this property sent); a garment on
  its way stays in the sender's stock until it is scanned in;
- unexplained = opening + purchased + transferred in − transferred out − written off − closing;
- loss_rate = (written off + missing) / opening, 4 decimals (None without stock).
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from ..domain import calendar, cells, depreciation
from ..domain.calendar import month_bounds
from ..domain.garment_states import Action, Status
from ..ledger import REGISTER, not_undone
from ..loans.models import Loan, LoanItem
from ..kits import services as kits
from ..models import Department, Employee, Event, Garment, GarmentType, utcnow
from ..writeoffs.models import WriteOff
from ..writeoffs.services import Losses, department_losses
from . import stock

ZERO = Decimal("0.00")
PERSONS = ("employee", "borrower")
NORMAL_WEAR = "worn_out"
#: lifecycle figures look back this many months (write-offs are too few in one month)
LIFECYCLE_MONTHS = 12
SCHEMA_VERSION = 1


def _q(value: Decimal, places: str = "0.01") -> Decimal:
    return Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP)


@dataclass
class Figure:
    count: int = 0
    value: Decimal = ZERO

    # Money is stored with two decimals, so sums of it are exact: no rounding here.
    def add(self, value: Decimal | None) -> None:
        self.count += 1
        self.value += value or ZERO

    def add_many(self, count: int, value: Decimal) -> None:
        self.count += count
        self.value += value

    def sub(self, value: Decimal | None) -> None:
        self.count -= 1
        self.value -= value or ZERO


@dataclass
class TypeRow:
    type_id: int
    code: str
    name_zh: str
    name_en: str
    opening: Figure = field(default_factory=Figure)
    purchased: Figure = field(default_factory=Figure)
    written_off: Figure = field(default_factory=Figure)
    missing: Figure = field(default_factory=Figure)
    closing: Figure = field(default_factory=Figure)
    transferred_in: Figure = field(default_factory=Figure)
    transferred_out: Figure = field(default_factory=Figure)

    @property
    def unexplained(self) -> Figure:
        return _unexplained(self.opening, self.purchased, self.written_off, self.closing,
                            self.transferred_in, self.transferred_out)


@dataclass
class DepartmentRow:
    department_id: int | None
    name: str | None
    written_off: Figure = field(default_factory=Figure)
    normal_wear: Figure = field(default_factory=Figure)
    charged_to_person: Figure = field(default_factory=Figure)
    missing: Figure = field(default_factory=Figure)
    compensation_charged: Decimal = ZERO


@dataclass
class ReasonRow:
    reason: str
    count: int = 0
    value: Decimal = ZERO


@dataclass
class CompensationFigures:
    count: int = 0
    charged: Decimal = ZERO
    collected: Decimal = ZERO
    waived: Decimal = ZERO
    pending: Decimal = ZERO


@dataclass
class OverdueRow:
    loan_id: int
    borrower: str
    department: str | None
    due_at: dt.datetime
    days_late: int
    tags: list[str]
    #: how late at the month's end (or now), as the page says it (hours under a day)
    late: dt.timedelta = dt.timedelta(0)


@dataclass
class LifecycleRow:
    type_id: int
    code: str
    name_zh: str
    name_en: str
    written_off: int = 0
    washes: int = 0
    months: int = 0
    cost: Decimal = ZERO

    @property
    def avg_washes(self) -> Decimal | None:
        return _q(Decimal(self.washes) / self.written_off, "0.1") if self.written_off else None

    @property
    def avg_age_months(self) -> Decimal | None:
        return _q(Decimal(self.months) / self.written_off, "0.1") if self.written_off else None

    @property
    def cost_per_wear(self) -> Decimal | None:
        return _q(self.cost / self.washes) if self.washes else None


@dataclass
class ForecastRow:
    type_id: int
    code: str
    name_zh: str
    name_en: str
    size: str
    entitled: int
    in_circulation: int
    expected_losses: int
    to_buy: int


@dataclass
class LossReport:
    month: str
    zone: str  # the hotel's calendar the month and its dates are read in
    start: dt.datetime
    end: dt.datetime
    closed: bool
    opening: Figure
    purchased: Figure
    written_off: Figure
    normal_wear: Figure
    charged_to_person: Figure
    other_write_offs: Figure
    marked_missing: Figure
    found: Figure
    missing: Figure
    closing: Figure
    by_type: list[TypeRow]
    by_department: list[DepartmentRow]
    reasons: list[ReasonRow]
    compensation: CompensationFigures
    overdue_loans: list[OverdueRow]
    lifecycle: list[LifecycleRow]
    forecast: list[ForecastRow]
    transferred_in: Figure = field(default_factory=Figure)
    transferred_out: Figure = field(default_factory=Figure)

    @property
    def unexplained(self) -> Figure:
        return _unexplained(self.opening, self.purchased, self.written_off, self.closing,
                            self.transferred_in, self.transferred_out)

    @property
    def loss_rate(self) -> Decimal | None:
        return _rate(self.written_off.count + self.missing.count, self.opening.count)


def _total(figures) -> Figure:
    total = Figure()
    for f in figures:
        total.count += f.count
        total.value += f.value
    return total


def _unexplained(opening: Figure, purchased: Figure, written_off: Figure, closing: Figure,
                 transferred_in: Figure | None = None, transferred_out: Figure | None = None) -> Figure:
    """opening + purchased + transferred in − transferred out − written off − closing."""
    moved_in, moved_out = transferred_in or Figure(), transferred_out or Figure()
    return Figure(opening.count + purchased.count + moved_in.count - moved_out.count - written_off.count
                  - closing.count,
                  _q(opening.value + purchased.value + moved_in.value - moved_out.value - written_off.value
                     - closing.value))


def _rate(lost: int, base: int) -> Decimal | None:
    return _q(Decimal(lost) / base, "0.0001") if base else None


def _type_rows(session: Session) -> dict[int, TypeRow]:
    return {t.id: TypeRow(t.id, t.code, t.name_zh, t.name_en)
            for t in session.scalars(select(GarmentType).order_by(GarmentType.code))}


def loss_report(session: Session, month: str, *, zone: str, now: dt.datetime | None = None) -> LossReport:
    """The month's loss report; :class:`~kiosk.domain.calendar.BadMonth` on a bad month."""
    now = now or utcnow()
    month = calendar.parse_month(month)
    start, end = month_bounds(month, zone)
    types = _type_rows(session)
    departments = {d.id: d.name for d in session.scalars(select(Department))}
    circulation = _stock_at_both_ends(session, types, start, end, now)
    moves = _month_moves(session, types, departments, start, end)
    compensation = _compensation(moves, department_losses(session, start, end))
    _transfers(session, moves, types, start, end)
    return LossReport(
        month=month, zone=zone, start=start, end=end, closed=end <= now,
        opening=_total(t.opening for t in types.values()), purchased=moves.purchased,
        written_off=moves.written_off, normal_wear=moves.normal_wear, charged_to_person=moves.charged_to_person,
        other_write_offs=moves.other_write_offs, marked_missing=moves.marked_missing, found=moves.found,
        missing=moves.missing, closing=_total(t.closing for t in types.values()),
        transferred_in=moves.transferred_in, transferred_out=moves.transferred_out,
        by_type=[t for t in types.values()
                 if t.opening.count or t.closing.count or t.purchased.count or t.written_off.count
                 or t.missing.count or t.transferred_in.count or t.transferred_out.count],
        by_department=sorted(moves.by_department.values(), key=lambda d: (d.name is None, d.name or "")),
        reasons=sorted(moves.reasons.values(), key=lambda r: (-r.count, -r.value, r.reason)),
        compensation=compensation,
        overdue_loans=overdue_loans(session, min(end, now), departments),
        lifecycle=lifecycle(session, end, zone, types),
        forecast=forecast(session, types, circulation),
    )


def read_loss_report(session: Session, month: str, *, zone: str, now: dt.datetime | None = None) -> LossReport:
    """:func:`loss_report`, committing what it stored (a closed month's stock snapshots, the first
    time it is read); a database too busy to take them now leaves them to the next report."""
    report = loss_report(session, month, zone=zone, now=now)
    try:
        session.commit()
    except OperationalError:
        session.rollback()
    return report


def _stock_at_both_ends(session: Session, types: dict[int, TypeRow], start: dt.datetime,
                        end: dt.datetime, now: dt.datetime) -> dict[tuple[int, str], int]:
    """Each type's opening and closing stock (into ``types``); returns the garments
    in circulation at the end, per (type, size), for the forecast."""
    for line in stock.stock_at(session, start, now=now):
        types[line.type_id].opening.add_many(line.count, line.value)
    circulation: dict[tuple[int, str], int] = defaultdict(int)
    for line in stock.stock_at(session, end, now=now):
        types[line.type_id].closing.add_many(line.count, line.value)
        circulation[(line.type_id, line.size)] += line.count
    return circulation


@dataclass
class _Moves:
    """The month's events that move a garment in or out of the stock, added up."""

    departments: dict[int, str]
    purchased: Figure = field(default_factory=Figure)
    written_off: Figure = field(default_factory=Figure)
    normal_wear: Figure = field(default_factory=Figure)
    charged_to_person: Figure = field(default_factory=Figure)
    other_write_offs: Figure = field(default_factory=Figure)
    marked_missing: Figure = field(default_factory=Figure)
    found: Figure = field(default_factory=Figure)
    missing: Figure = field(default_factory=Figure)
    transferred_in: Figure = field(default_factory=Figure)
    transferred_out: Figure = field(default_factory=Figure)
    by_department: dict[int | None, DepartmentRow] = field(default_factory=dict)
    reasons: dict[str, ReasonRow] = field(default_factory=dict)

    def department(self, department_id: int | None) -> DepartmentRow:
        return self.by_department.setdefault(department_id,
                                             DepartmentRow(department_id, self.departments.get(department_id)))

    def write_off(self, type_row: TypeRow, department_id: int | None, cost: Decimal | None,
                  reason: str | None, responsible: str | None) -> None:
        reason = reason or "other"
        self.written_off.add(cost)
        type_row.written_off.add(cost)
        row = self.department(department_id)
        row.written_off.add(cost)
        if reason == NORMAL_WEAR:
            self.normal_wear.add(cost)
            row.normal_wear.add(cost)
        elif responsible in PERSONS:
            self.charged_to_person.add(cost)
            row.charged_to_person.add(cost)
        else:
            self.other_write_offs.add(cost)
        counted = self.reasons.setdefault(reason, ReasonRow(reason))
        counted.count += 1
        counted.value = _q(counted.value + (cost or ZERO))

    def marked(self, type_row: TypeRow, department_id: int | None, cost: Decimal | None) -> None:
        self.marked_missing.add(cost)
        self.missing.add(cost)
        type_row.missing.add(cost)
        self.department(department_id).missing.add(cost)

    def turned_up(self, type_row: TypeRow, department_id: int | None, cost: Decimal | None) -> None:
        self.found.add(cost)
        self.missing.sub(cost)
        type_row.missing.sub(cost)
        self.department(department_id).missing.sub(cost)


def _month_moves(session: Session, types: dict[int, TypeRow], departments: dict[int, str],
                 start: dt.datetime, end: dt.datetime) -> _Moves:
    """Purchases, write-offs and garments missing or found in the month (not undone).

    A write-off counts under the department copied onto the write-off, as the
    consumption statement does; only a write-off event without a write-off
    record (loaded history) falls back to the department on the event.
    """
    department = case((WriteOff.id.is_(None), Event.department_id), else_=WriteOff.department_id)
    # The garment as a table: one this property bought this month may be another hotel's now (a
    # transfer), and its purchase is still this property's.
    garments = Garment.__table__
    rows = session.execute(
        select(Event.action, department, Event.unit_cost, garments.c.type_id, WriteOff.reason, WriteOff.responsible)
        .join(garments, garments.c.id == Event.garment_id)
        .outerjoin(WriteOff, WriteOff.event_id == Event.id)
        .where(Event.created_at >= start, Event.created_at < end,
               Event.action.in_((REGISTER, Action.WRITE_OFF.value, Action.MARK_MISSING.value,
                                 Action.FOUND.value)),
               not_undone(Event))).all()  # no ORDER BY: sums, and sorted after; read off ix_events_property_action_created
    moves = _Moves(departments)
    for action, dept_id, cost, type_id, reason, responsible in rows:
        if action == REGISTER:
            moves.purchased.add(cost)
            types[type_id].purchased.add(cost)
        elif action == Action.WRITE_OFF.value:
            moves.write_off(types[type_id], dept_id, cost, reason, responsible)
        elif action == Action.MARK_MISSING.value:
            moves.marked(types[type_id], dept_id, cost)
        else:
            moves.turned_up(types[type_id], dept_id, cost)
    return moves


def _transfers(session: Session, moves: _Moves, types: dict[int, TypeRow], start: dt.datetime,
               end: dt.datetime) -> None:
    """The month's garments received from another hotel (this property's ``transfer_in`` events)
    and received by another from this one (the ``transfer_in`` of a transfer it sent, written at
    the receiver: the garment left this property's stock when it was scanned in there)."""
    from ..transfers.models import Transfer, TransferLine

    events, garments = Event.__table__, Garment.__table__
    received = session.execute(
        select(Event.unit_cost, garments.c.type_id).join(garments, garments.c.id == Event.garment_id)
        .where(Event.created_at >= start, Event.created_at < end, Event.action == Action.TRANSFER_IN.value)).all()
    for cost, type_id in received:
        moves.transferred_in.add(cost)
        types[type_id].transferred_in.add(cost)
    # The receiver's events as a table (not this property's records), reached through this
    # property's own transfers and their lines.
    sent = session.execute(
        select(events.c.unit_cost, garments.c.type_id)
        .select_from(Transfer)
        .join(TransferLine, TransferLine.transfer_id == Transfer.id)
        .join(events, events.c.id == TransferLine.in_event_id)
        .join(garments, garments.c.id == events.c.garment_id)
        .where(Transfer.status.in_(("sent", "received")), events.c.created_at >= start,
               events.c.created_at < end)).all()
    for cost, type_id in sent:
        moves.transferred_out.add(cost)
        types[type_id].transferred_out.add(cost)


def _compensation(moves: _Moves, losses: Losses) -> CompensationFigures:
    """The compensation charged on the month's write-offs (:func:`department_losses`,
    the statement's computation), in total and on each department's row."""
    for department_id, charged in losses.by_department.items():
        if charged.compensations:
            moves.department(department_id).compensation_charged += charged.charged
    total = losses.total
    return CompensationFigures(count=total.compensations, charged=total.charged, collected=total.collected,
                               waived=total.waived, pending=total.pending)


def overdue_loans(session: Session, at: dt.datetime, departments: dict) -> list[OverdueRow]:
    """Loans with garments still out after their due time, as at ``at`` (the month's end, or now)."""
    wo = aliased(Event)
    rows = session.execute(
        select(Loan.id, Loan.borrower_name, Loan.department_id, Loan.due_at, Garment.tag)
        .join(LoanItem, LoanItem.loan_id == Loan.id)
        .join(Garment, Garment.id == LoanItem.garment_id)
        .outerjoin(wo, wo.id == LoanItem.written_off_event_id)
        # Filtered on the loan (its due_at index), never on a range of events.
        .where(Loan.due_at < at, Loan.created_at < at,
               or_(LoanItem.returned_at.is_(None), LoanItem.returned_at >= at),
               or_(wo.id.is_(None), wo.created_at >= at))
        .order_by(Loan.due_at, Loan.id, Garment.tag)).all()
    loans: dict[int, OverdueRow] = {}
    for loan_id, name, dept_id, due, tag in rows:
        row = loans.get(loan_id)
        if row is None:
            row = loans[loan_id] = OverdueRow(loan_id, name, departments.get(dept_id), due,
                                              (at - due).days, [], late=at - due)
        row.tags.append(tag)
    return list(loans.values())


def lifecycle(session: Session, end: dt.datetime, zone: str, types: dict[int, TypeRow]) -> list[LifecycleRow]:
    """Per type, the write-offs of the last LIFECYCLE_MONTHS months: washes, age and cost per wear."""
    since = calendar.start_of_day(calendar.add_months(calendar.local_date(end, zone), -LIFECYCLE_MONTHS), zone)
    rows = session.execute(
        select(Garment.type_id, Garment.wash_count, Garment.purchased_on, Garment.created_at,
               Event.unit_cost, Event.created_at)
        .join(Event, Event.garment_id == Garment.id)
        # Written off is final (no move leaves it; an undone write-off is excluded below), so
        # only written-off garments can hold a counted write-off: their status index narrows
        # a year of events to a few hundred seeks.
        .where(Garment.status == Status.WRITTEN_OFF.value,
               Event.action == Action.WRITE_OFF.value, Event.created_at >= since, Event.created_at < end,
               not_undone(Event))).all()
    out: dict[int, LifecycleRow] = {}
    for type_id, washes, purchased_on, created_at, cost, at in rows:
        t = types[type_id]
        row = out.setdefault(type_id, LifecycleRow(type_id, t.code, t.name_zh, t.name_en))
        row.written_off += 1
        row.washes += washes
        row.months += depreciation.months_in_use(purchased_on or calendar.local_date(created_at, zone),
                                                 calendar.local_date(at, zone))
        row.cost = _q(row.cost + (cost or ZERO))
    return sorted(out.values(), key=lambda r: r.code)


def forecast(session: Session, types: dict[int, TypeRow], circulation: dict[tuple[int, str], int]) -> list[ForecastRow]:
    """Next month's purchase per type and size: entitlement of active staff (owners of that type
    and size) − garments in circulation + expected losses (this month's loss rate of the type
    × circulation, rounded up); never negative."""
    active_types = {t.id: t for t in session.scalars(select(GarmentType).where(GarmentType.active))}
    entitlement = {type_id: t.entitlement for type_id, t in active_types.items()}
    owners = session.execute(
        select(Garment.type_id, Garment.size, Garment.owner_id)
        .join(Employee, Employee.id == Garment.owner_id)
        .where(Employee.active.is_(True)).distinct()).all()
    # Each owner is entitled to what their position's kit gives (kiosk.kits.services).
    staff = list(session.scalars(select(Employee).where(Employee.id.in_({owner for _t, _s, owner in owners}))))
    kit_of = kits.kits_for(session, staff)
    entitled: dict[tuple[int, str], int] = defaultdict(int)
    for type_id, size, owner in owners:
        if type_id in active_types:
            entitled[(type_id, size or "")] += kit_of[owner].entitlement(active_types[type_id])
    rows = []
    for key in sorted(set(entitled) | {k for k in circulation if k[0] in entitlement},
                      key=lambda k: (types[k[0]].code, k[1])):
        t = types[key[0]]
        have = circulation.get(key, 0)
        rate = _rate(t.written_off.count + t.missing.count, t.opening.count) or Decimal(0)
        expected = math.ceil(max(rate, Decimal(0)) * have)
        need = max(0, entitled.get(key, 0) - have + expected)
        rows.append(ForecastRow(t.type_id, t.code, t.name_zh, t.name_en, key[1], entitled.get(key, 0), have,
                                expected, need))
    return rows


# --- the stable JSON shape ------------------------------------------------------

def _fig(f: Figure) -> dict:
    return {"count": f.count, "value": str(f.value)}


def _s(value) -> str | None:
    return None if value is None else str(value)


def _type_head(row) -> dict:
    return {"type_id": row.type_id, "code": row.code, "name_zh": row.name_zh, "name_en": row.name_en}


def to_json(report: LossReport) -> dict:
    """The stable, documented shape (described in bench/README.md, "report.py"): Decimal as strings."""
    return {
        "schema": SCHEMA_VERSION,
        "month": report.month,
        "start_utc": report.start.isoformat(),
        "end_utc": report.end.isoformat(),
        # the same bounds on the hotel's clock, as every other time in the file
        "start": calendar.local_time(report.start, report.zone).isoformat(),
        "end": calendar.local_time(report.end, report.zone).isoformat(),
        "closed": report.closed,
        "opening": _fig(report.opening),
        "purchased": _fig(report.purchased),
        "written_off": {**_fig(report.written_off), "normal_wear": _fig(report.normal_wear),
                        "charged_to_person": _fig(report.charged_to_person),
                        "other": _fig(report.other_write_offs)},
        "missing": {**_fig(report.missing), "marked": _fig(report.marked_missing), "found": _fig(report.found)},
        "closing": _fig(report.closing),
        "transferred_in": _fig(report.transferred_in),
        "transferred_out": _fig(report.transferred_out),
        "unexplained": _fig(report.unexplained),
        "loss_rate": _s(report.loss_rate),
        "by_type": [{**_type_head(t), "opening": _fig(t.opening), "purchased": _fig(t.purchased),
                     "written_off": _fig(t.written_off), "missing": _fig(t.missing),
                     "closing": _fig(t.closing), "transferred_in": _fig(t.transferred_in),
                     "transferred_out": _fig(t.transferred_out), "unexplained": _fig(t.unexplained)}
                    for t in report.by_type],
        "by_department": [{"department_id": d.department_id, "name": d.name,
                           "written_off": _fig(d.written_off), "normal_wear": _fig(d.normal_wear),
                           "charged_to_person": _fig(d.charged_to_person), "missing": _fig(d.missing),
                           "compensation_charged": str(d.compensation_charged)} for d in report.by_department],
        "reasons": [{"reason": r.reason, "count": r.count, "value": str(r.value)} for r in report.reasons],
        "compensation": {"count": report.compensation.count, "charged": str(report.compensation.charged),
                         "collected": str(report.compensation.collected),
                         "waived": str(report.compensation.waived),
                         "pending": str(report.compensation.pending)},
        "overdue_loans": {"count": len(report.overdue_loans),
                          "loans": [{"loan_id": o.loan_id, "borrower": o.borrower, "department": o.department,
                                     "due_at": calendar.local_time(o.due_at, report.zone).isoformat(),
                                     "days_late": o.days_late, "hours_late": int(o.late.total_seconds() // 3600),
                                     "tags": o.tags} for o in report.overdue_loans]},
        "lifecycle": [{**_type_head(r), "written_off": r.written_off, "avg_washes": _s(r.avg_washes),
                       "avg_age_months": _s(r.avg_age_months), "cost_per_wear": _s(r.cost_per_wear)}
                      for r in report.lifecycle],
        "forecast": [{**_type_head(f), "size": f.size, "entitled": f.entitled, "in_circulation": f.in_circulation,
                      "expected_losses": f.expected_losses, "to_buy": f.to_buy} for f in report.forecast],
    }


# --- the thermal-printer slip ----------------------------------------------------

def summary_slip(report: LossReport, *, gettext, pgettext, money, clerk: str, when):
    """The month's figures on a receipt (daily_summary's layout, the month in place of the day)."""
    from printers import documents

    _ = gettext
    rate = report.loss_rate
    rows = [
        (_("Opening stock"), f"{report.opening.count} / {money(report.opening.value)}"),
        (pgettext("loss report", "Purchased"), f"{report.purchased.count} / {money(report.purchased.value)}"),
        (_("Written off"), f"{report.written_off.count} / {money(report.written_off.value)}"),
        (_("Normal wear"), f"{report.normal_wear.count} / {money(report.normal_wear.value)}"),
        (_("Charged to a person"), f"{report.charged_to_person.count} / {money(report.charged_to_person.value)}"),
        (_("Missing at stocktake"), f"{report.missing.count} / {money(report.missing.value)}"),
        (_("Transferred in"), f"{report.transferred_in.count} / {money(report.transferred_in.value)}"),
        (_("Transferred out"), f"{report.transferred_out.count} / {money(report.transferred_out.value)}"),
        (_("Closing stock"), f"{report.closing.count} / {money(report.closing.value)}"),
        (_("Unexplained loss"), f"{report.unexplained.count} / {money(report.unexplained.value)}"),
        (_("Loss rate"), cells.percent_text(rate)),
        (_("Compensation charged"), money(report.compensation.charged)),
        (_("Compensation collected"), money(report.compensation.collected)),
        (_("Compensation waived"), money(report.compensation.waived)),
        (_("Overdue loans"), str(len(report.overdue_loans))),
    ]
    lab = documents.labels(_)
    lab["date"] = _("Month")
    return documents.daily_summary(_("Uniform room · monthly loss report"), day=report.month, rows=rows,
                                   clerk=clerk, when=when.replace(tzinfo=None), labels=lab)
