"""A hotel group's own view: each property's month and day side by side. No Flask in here.

Every figure is the property's own report (:func:`kiosk.reports.services.read_loss_report`,
:func:`kiosk.board.services.today_board`), read with the session working for that property in
turn (:func:`kiosk.properties.services.each_property`): the group sees what each hotel's
supervisor sees, never a second way of counting.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..board import services as board
from ..domain.errors import DomainError, N_
from ..domain.roles import in_group
from ..models import OperatorSession, Property, User
from ..properties import services as properties
from ..reports import services as reports
from ..reports.services import Figure

NOT_GROUP = N_("Only the group's supervisors and administrators move between hotels.")
NO_SUCH_HOTEL = N_("There is no such hotel in the group.")


@dataclass
class PropertyMonth:
    """One property's month, as its loss report has it."""

    property: Property
    report: reports.LossReport

    @property
    def cost_per_wear(self) -> Decimal | None:
        return _per_wear(self.report.lifecycle)


def _per_wear(rows) -> Decimal | None:
    """What a wash of the month's written-off garments cost: their cost over their washes."""
    washes = sum(row.washes for row in rows)
    if not washes:
        return None
    return (sum((row.cost for row in rows), Decimal("0")) / washes).quantize(Decimal("0.01"))


@dataclass
class GroupMonth:
    month: str
    rows: list[PropertyMonth]

    def _sum(self, name: str) -> Figure:
        total = Figure()
        for row in self.rows:
            figure = getattr(row.report, name)
            total.count += figure.count
            total.value += figure.value
        return total

    @property
    def opening(self) -> Figure:
        return self._sum("opening")

    @property
    def purchased(self) -> Figure:
        return self._sum("purchased")

    @property
    def written_off(self) -> Figure:
        return self._sum("written_off")

    @property
    def missing(self) -> Figure:
        return self._sum("missing")

    @property
    def closing(self) -> Figure:
        return self._sum("closing")

    # Within the group a received transfer is in at one hotel and out at another: the totals match.
    @property
    def transferred_in(self) -> Figure:
        return self._sum("transferred_in")

    @property
    def transferred_out(self) -> Figure:
        return self._sum("transferred_out")

    @property
    def unexplained(self) -> Figure:
        return self._sum("unexplained")

    @property
    def loss_rate(self) -> Decimal | None:
        opening = self.opening.count
        if not opening:
            return None
        return (Decimal(self.written_off.count + self.missing.count) / opening).quantize(Decimal("0.0001"))

    @property
    def compensation_charged(self) -> Decimal:
        return sum((row.report.compensation.charged for row in self.rows), Decimal("0.00"))

    @property
    def compensation_collected(self) -> Decimal:
        return sum((row.report.compensation.collected for row in self.rows), Decimal("0.00"))

    @property
    def cost_per_wear(self) -> Decimal | None:
        return _per_wear([line for row in self.rows for line in row.report.lifecycle])


def group_month(session: Session, month: str, *, default_zone: str, now: dt.datetime) -> GroupMonth:
    """Every active property's loss report of ``month`` (each on its own calendar)."""
    rows = [PropertyMonth(record, reports.read_loss_report(session, month, zone=properties.zone_of(record, default_zone),
                                                           now=now))
            for record in properties.each_property(session)]
    return GroupMonth(rows[0].report.month if rows else month, rows)


@dataclass
class PropertyDay:
    property: Property
    board: board.Board


def group_day(session: Session, *, now: dt.datetime, default_zone: str,
              tailor_days: Callable[[], int]) -> list[PropertyDay]:
    """Every active property's today board (``tailor_days()``: the property's, asked in turn)."""
    return [PropertyDay(record, board.today_board(session, now_utc=now, timezone=properties.zone_of(record, default_zone),
                                                  tailor_days=tailor_days()))
            for record in properties.each_property(session)]


def move_to(session: Session, user: User, sign_in_id: int, property_id: int) -> Property:
    """A group supervisor or administrator carries on at another property of the group: their
    sign-in (this one only) works for it from the next request."""
    if not in_group(user):
        raise DomainError(NOT_GROUP)
    record = session.get(Property, property_id)
    if record is None or not record.active:
        raise DomainError(NO_SUCH_HOTEL)
    session.execute(update(OperatorSession).where(OperatorSession.id == sign_in_id, OperatorSession.user_id == user.id,
                                                  OperatorSession.ended_at.is_(None))
                    .values(property_id=record.id))
    return record
