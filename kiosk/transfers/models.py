"""Transfers between the group's properties (调拨): a slip of garments and stock sent from one
hotel to another.

A transfer is the sender's record (``property_id``); ``to_property_id`` is the receiver. Its
lines name a garment (with the event that scanned it out and the one that scanned it in) or a
quantity of a stock item (the movement out at the sender, the movement in at the receiver).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Garment, Money, PerProperty, Property, User, UTCDateTime, utcnow

TRANSFER_STATUSES = ("open", "sent", "received", "cancelled")


class Transfer(PerProperty, db.Model):
    """One transfer slip (调拨单): opened, filled by scanning, sent, received or cancelled."""

    __tablename__ = "transfers"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (
        CheckConstraint("status IN ('open', 'sent', 'received', 'cancelled')", name="status"),
        CheckConstraint("to_property_id <> property_id", name="elsewhere"),
        UniqueConstraint("property_id", "slip_no", name="uq_transfers_property_slip_no"),
        Index("ix_transfers_property_status", "property_id", "status"),
        # The receiver's incoming list: what is addressed to it, by status.
        Index("ix_transfers_to_property_status", "to_property_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: DB-YYYYMMDD-NNN, the sender's own sequence (printed on the slip)
    slip_no: Mapped[str] = mapped_column(String(32))
    to_property_id: Mapped[int] = mapped_column(ForeignKey("properties.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    note: Mapped[str] = mapped_column(Text, default="")
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    to_property: Mapped[Property] = relationship(foreign_keys=[to_property_id])
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])
    received_by: Mapped[User | None] = relationship(foreign_keys=[received_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
    lines: Mapped[list[TransferLine]] = relationship(back_populates="transfer", order_by="TransferLine.id")


class TransferLine(db.Model):
    """A garment, or N of a stock item (code and size), on a transfer. Reached through its
    transfer (the sender's record), never on its own."""

    __tablename__ = "transfer_lines"
    __table_args__ = (
        CheckConstraint("(garment_id IS NULL) <> (stock_code IS NULL)", name="what"),
        CheckConstraint("quantity > 0", name="quantity"),
        # A garment is on a transfer once.
        UniqueConstraint("transfer_id", "garment_id", name="uq_transfer_lines_transfer_garment"),
        # "Is this garment on its way?": a garment's open line, wherever it is.
        Index("ix_transfer_lines_garment", "garment_id", sqlite_where=text("garment_id IS NOT NULL"),
              postgresql_where=text("garment_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"))
    garment_id: Mapped[int | None] = mapped_column(ForeignKey("garments.id"))
    stock_code: Mapped[str | None] = mapped_column(String(32))
    stock_size: Mapped[str | None] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(default=1)
    #: the stock item as the sender had it (the receiver's item of the code and size is made from it)
    stock_name_zh: Mapped[str | None] = mapped_column(String(64))
    stock_name_en: Mapped[str | None] = mapped_column(String(64))
    stock_kind: Mapped[str | None] = mapped_column(String(16))
    unit_cost: Mapped[Decimal | None] = mapped_column(Money)
    out_event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    in_event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    out_movement_id: Mapped[int | None] = mapped_column(ForeignKey("stock_movements.id"))
    in_movement_id: Mapped[int | None] = mapped_column(ForeignKey("stock_movements.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    transfer: Mapped[Transfer] = relationship(back_populates="lines")
    garment: Mapped[Garment | None] = relationship()
