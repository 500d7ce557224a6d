"""Monthly stocktake (月盘点): the count, its scans, and what the close wrote.

A stocktake is open while clerks scan; the close (supervisor + the clerk who
counted, each with their PIN) writes the snapshot rows and the lists, then
nothing of it changes again. A later correction is a new stocktake whose
``corrects_id`` points at the closed one.
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Garment, GarmentType, PerProperty, UTCDateTime, User, utcnow
from ..stock.models import StockItem

LOCATIONS = ("rack", "laundry", "tailor", "other")


class Stocktake(PerProperty, db.Model):
    __tablename__ = "stocktakes"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closing', 'closed')", name="status"),
        # One original count per month; corrections (corrects_id set) come on top.
        Index("uq_stocktakes_month_original", "property_id", "month", unique=True,
              sqlite_where=text("corrects_id IS NULL"), postgresql_where=text("corrects_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    status: Mapped[str] = mapped_column(String(8), default="open")
    blind: Mapped[bool] = mapped_column(default=False)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    counted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("stocktakes.id"), index=True)
    # Written once at the close (JSON lists); empty while open.
    missing_json: Mapped[str] = mapped_column(Text, default="[]")
    unknown_json: Mapped[str] = mapped_column(Text, default="[]")
    overdue_json: Mapped[str] = mapped_column(Text, default="[]")

    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    counted_by: Mapped[User | None] = relationship(foreign_keys=[counted_by_id])
    corrects: Mapped[Stocktake | None] = relationship(remote_side=[id])
    snapshot: Mapped[list[StocktakeSnapshot]] = relationship(
        back_populates="stocktake", order_by="(StocktakeSnapshot.type_id, StocktakeSnapshot.size)")

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def is_closing(self) -> bool:
        """Claimed by a close that is still marking the unseen missing (kiosk.stocktake.services)."""
        return self.status == "closing"

    @property
    def missing(self) -> list[dict]:
        return json.loads(self.missing_json or "[]")

    @property
    def unknown_codes(self) -> list[dict]:
        return json.loads(self.unknown_json or "[]")

    @property
    def overdue_loans(self) -> list[dict]:
        return json.loads(self.overdue_json or "[]")


class StocktakeScan(PerProperty, db.Model):
    """One tag seen. The same tag on two tablets is one row (the second scan is a duplicate)."""

    __tablename__ = "stocktake_scans"
    __table_args__ = (
        UniqueConstraint("stocktake_id", "garment_id", name="uq_stocktake_scans_garment"),
        UniqueConstraint("stocktake_id", "code", name="uq_stocktake_scans_code"),
        CheckConstraint("location IS NULL OR location IN ('rack', 'laundry', 'tailor', 'other')",
                        name="location"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id"))
    garment_id: Mapped[int | None] = mapped_column(ForeignKey("garments.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))  # the tag, or the unknown code as scanned
    location: Mapped[str | None] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    garment: Mapped[Garment | None] = relationship()
    user: Mapped[User] = relationship()


class StocktakeCloseQueue(db.Model):
    """A close under way: the garments it will mark missing, each with its version at the moment
    of the close. A garment whose version has moved on since (a station moved it) was seen and
    is left as it is. Emptied as the close goes; empty once it is closed."""

    __tablename__ = "stocktake_close_queue"

    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id"), primary_key=True)
    garment_id: Mapped[int] = mapped_column(ForeignKey("garments.id"), primary_key=True)
    version: Mapped[int]


class StocktakeSnapshot(PerProperty, db.Model):
    """Per garment type and size, as it was at the close. Written once, never updated."""

    __tablename__ = "stocktake_snapshots"
    __table_args__ = (
        UniqueConstraint("stocktake_id", "type_id", "size", name="uq_stocktake_snapshots_type_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id"))
    type_id: Mapped[int] = mapped_column(ForeignKey("garment_types.id"))
    size: Mapped[str] = mapped_column(String(16), default="")
    expected: Mapped[int] = mapped_column(default=0)
    seen: Mapped[int] = mapped_column(default=0)
    accounted_for: Mapped[int] = mapped_column(default=0)
    missing: Mapped[int] = mapped_column(default=0)

    stocktake: Mapped[Stocktake] = relationship(back_populates="snapshot")
    garment_type: Mapped[GarmentType] = relationship()


class StocktakeItemCount(PerProperty, db.Model):
    """A stock item counted by quantity; ``expected`` is the quantity on hand at the close."""

    __tablename__ = "stocktake_item_counts"
    __table_args__ = (
        UniqueConstraint("stocktake_id", "item_id", name="uq_stocktake_item_counts_item"),
        CheckConstraint("counted >= 0", name="counted"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("stock_items.id"))
    expected: Mapped[int] = mapped_column(default=0)
    counted: Mapped[int] = mapped_column(default=0)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[StockItem] = relationship()
