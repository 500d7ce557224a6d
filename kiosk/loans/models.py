"""Loans (借衣): who borrowed what until when, the returns, and every attempt to get it back.

A loan copies the borrower's name, phone and department as they were at the
moment (a person who changes department later does not rewrite an old loan).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Department, Employee, Event, Garment, PerProperty, UTCDateTime, User, utcnow

REASONS = ("forgot_locker_key", "other_post", "event", "other")
CONTACT_HOW = ("phone", "wechat", "in_person", "other")
CONTACT_OUTCOMES = ("reached", "no_answer", "promised", "refused")
#: outcomes that count towards escalation (nobody reached, or a refusal)
FAILED_OUTCOMES = ("no_answer", "refused")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Loan(PerProperty, db.Model):
    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint(f"reason IN ({_in(REASONS)})", name="reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    borrower_name: Mapped[str] = mapped_column(String(64))
    borrower_phone: Mapped[str] = mapped_column(String(32), default="")
    # Department (copied) or the outside organisation, as written on the slip.
    borrower_org: Mapped[str] = mapped_column(String(64), default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    reason: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")
    approver: Mapped[str] = mapped_column(String(64), default="")
    deposit: Mapped[str] = mapped_column(String(128), default="")
    deposit_returned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    signed_on_paper: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    # A visitor's phone and signature are erased KIOSK_BORROWER_RETENTION_DAYS
    # after the loan closed (personal information kept no longer than needed).
    contact_erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    employee: Mapped[Employee | None] = relationship()
    department: Mapped[Department | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    items: Mapped[list[LoanItem]] = relationship(back_populates="loan", order_by="LoanItem.id")
    attempts: Mapped[list[ContactAttempt]] = relationship(back_populates="loan", order_by="ContactAttempt.at")

    @property
    def outstanding(self) -> list[LoanItem]:
        return [item for item in self.items if item.settled_at is None]


class LoanItem(PerProperty, db.Model):
    __tablename__ = "loan_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    garment_id: Mapped[int] = mapped_column(ForeignKey("garments.id"), index=True)
    # One item per lending move: a repeated scan cannot add it twice.
    loan_event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)
    returned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    return_event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    written_off_event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))

    loan: Mapped[Loan] = relationship(back_populates="items")
    garment: Mapped[Garment] = relationship()
    loan_event: Mapped[Event] = relationship(foreign_keys=[loan_event_id])
    return_event: Mapped[Event | None] = relationship(foreign_keys=[return_event_id])
    written_off_event: Mapped[Event | None] = relationship(foreign_keys=[written_off_event_id])

    @property
    def settled_at(self) -> dt.datetime | None:
        """Returned, or written off: nothing more to chase."""
        if self.returned_at is not None:
            return self.returned_at
        return self.written_off_event.created_at if self.written_off_event is not None else None


class ContactAttempt(PerProperty, db.Model):
    __tablename__ = "loan_contact_attempts"
    __table_args__ = (
        CheckConstraint(f"how IN ({_in(CONTACT_HOW)})", name="how"),
        CheckConstraint(f"outcome IN ({_in(CONTACT_OUTCOMES)})", name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    how: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    loan: Mapped[Loan] = relationship(back_populates="attempts")
    user: Mapped[User | None] = relationship()

    @property
    def failed(self) -> bool:
        return self.outcome in FAILED_OUTCOMES
