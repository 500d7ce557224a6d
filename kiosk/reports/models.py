"""The stock at an instant, stored once that instant is settled (a month's end is the next one's start).

A closed month never changes (DESIGN: a closed month is never edited), so the
stock at its end is the same whenever it is asked: it is read from the events
once (:mod:`kiosk.reports.stock`), written here and read back, instead of
seeking every garment's last event again. The events stay the truth: the
tests recompute these rows from them.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import Money, PerProperty, UTCDateTime, utcnow


class StockSnapshot(PerProperty, db.Model):
    """The stock at ``taken_at`` (the start of a month in the hotel's zone), once."""

    __tablename__ = "stock_snapshots"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (UniqueConstraint("property_id", "taken_at", name="uq_stock_snapshots_property_taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    taken_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockSnapshotLine(db.Model):
    """Garments of a type and size in circulation (neither written off nor missing) at the instant,
    and their value (the cost copied on each one's last event before it)."""

    __tablename__ = "stock_snapshot_lines"

    snapshot_id: Mapped[int] = mapped_column(ForeignKey("stock_snapshots.id"), primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("garment_types.id"), primary_key=True)
    size: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int]
    value: Mapped[Decimal] = mapped_column(Money)
