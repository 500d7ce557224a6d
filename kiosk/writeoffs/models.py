"""Write-offs (报损), compensation (赔偿) and its corrections.

A write-off copies the facts of its moment (price at purchase, months in use,
the responsible person's department) so that a later change to the garment
or the employee does not change an old statement. A settled compensation is
never edited: a correction is a new :class:`CompensationCorrection` that
points at it, and the latest correction is what holds.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Department, Employee, Event, Garment, Money, PerProperty, UTCDateTime, User, utcnow

REASONS = ("worn_out", "damaged", "lost", "stain", "tag_lost", "other")
RESPONSIBLE = ("employee", "borrower", "hotel", "unknown")
WRITE_OFF_STATUSES = ("pending", "approved")
COMPENSATION_STATUSES = ("pending", "paid", "waived")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class WriteOff(PerProperty, db.Model):
    __tablename__ = "write_offs"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (
        CheckConstraint(_in("reason", REASONS), name="reason"),
        CheckConstraint(_in("responsible", RESPONSIBLE), name="responsible"),
        CheckConstraint(_in("status", WRITE_OFF_STATUSES), name="status"),
        CheckConstraint("price >= 0 AND amount >= 0 AND unwashed_fee >= 0", name="money"),
        Index("ix_write_offs_property_status_approved", "property_id", "status", "approved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    garment_id: Mapped[int] = mapped_column(ForeignKey("garments.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    responsible: Mapped[str] = mapped_column(String(16))
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    # A borrower who is not an employee (from a loan): free text, as given.
    borrower_name: Mapped[str] = mapped_column(String(64), default="")
    # Copied at the moment: the responsible employee's department, else the owner's.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    price: Mapped[Decimal] = mapped_column(Money)
    purchased_on: Mapped[dt.date | None]
    months_in_use: Mapped[int]
    percent: Mapped[Decimal] = mapped_column(Money)
    unwashed_fee: Mapped[Decimal] = mapped_column(Money)
    # What the responsible person is charged: price × tier + unwashed fee (0 for hotel/unknown).
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Indexed: the loss report finds the write-off of each write-off event of its month.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)

    garment: Mapped[Garment] = relationship()
    employee: Mapped[Employee | None] = relationship()
    department: Mapped[Department | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    event: Mapped[Event | None] = relationship()
    compensation: Mapped[Compensation | None] = relationship(back_populates="write_off")

    @property
    def party(self) -> str:
        if self.responsible == "employee" and self.employee is not None:
            return self.employee.name
        return self.borrower_name


class Compensation(PerProperty, db.Model):
    __tablename__ = "compensations"
    __table_args__ = (
        CheckConstraint(_in("status", COMPENSATION_STATUSES), name="status"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # One write-off charges at most once: the unique index refuses a second.
    write_off_id: Mapped[int] = mapped_column(ForeignKey("write_offs.id"), unique=True)
    party: Mapped[str] = mapped_column(String(64))
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    write_off: Mapped[WriteOff] = relationship(back_populates="compensation")
    employee: Mapped[Employee | None] = relationship()
    department: Mapped[Department | None] = relationship()
    settled_by: Mapped[User | None] = relationship()
    corrections: Mapped[list[CompensationCorrection]] = relationship(
        back_populates="compensation", order_by="CompensationCorrection.id")

    @property
    def latest(self) -> CompensationCorrection | None:
        return self.corrections[-1] if self.corrections else None

    @property
    def current_status(self) -> str:
        return self.latest.status if self.latest else self.status

    @property
    def current_amount(self) -> Decimal:
        return self.latest.amount if self.latest else self.amount


class CompensationCorrection(PerProperty, db.Model):
    """A new state of a compensation (settled or corrected); the original stays as it was."""

    __tablename__ = "compensation_corrections"
    __table_args__ = (
        CheckConstraint(_in("status", COMPENSATION_STATUSES), name="status"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    compensation_id: Mapped[int] = mapped_column(ForeignKey("compensations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    compensation: Mapped[Compensation] = relationship(back_populates="corrections")
    created_by: Mapped[User | None] = relationship()
