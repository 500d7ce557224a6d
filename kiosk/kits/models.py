"""The uniform room's 配发标准: per position (and department where positions repeat),
which garment types and stock items each person gets, and how many.

A position with any kit row gets exactly its rows; a position with none falls
back to each garment type's own entitlement (:mod:`kiosk.kits.services`).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Department, GarmentType, PerProperty, UTCDateTime, User, utcnow

#: The most of one item a kit may give one person (a typing slip, not a kit).
MAX_QUANTITY = 20


class KitLine(PerProperty, db.Model):
    """One row of a position's kit: a garment type or a stock item (by its code, every size), and how many.

    ``department_id`` NULL: the position in every department; set: only there
    (a department's own rows win over the position's general ones).
    """

    __tablename__ = "kit_lines"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (
        CheckConstraint("(type_id IS NULL) <> (stock_code IS NULL)", name="one_item"),
        CheckConstraint(f"quantity > 0 AND quantity <= {MAX_QUANTITY}", name="quantity"),
        # One row per position, department (or none) and item: the keys hold the NULLs as values.
        UniqueConstraint("property_id", "position", "department_key", "item_key", name="uq_kit_lines_position_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[str] = mapped_column(String(64), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    type_id: Mapped[int | None] = mapped_column(ForeignKey("garment_types.id"))
    #: A stock item's code (StockItem.code: every size of it); the size comes from the person.
    stock_code: Mapped[str | None] = mapped_column(String(32))
    quantity: Mapped[int]
    #: ``department_id`` or 0, and ``t<type_id>`` or ``s<stock_code>``: set on every write (below).
    department_key: Mapped[int] = mapped_column(default=0)
    item_key: Mapped[str] = mapped_column(String(40))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    department: Mapped[Department | None] = relationship()
    garment_type: Mapped[GarmentType | None] = relationship()
    updated_by: Mapped[User | None] = relationship()


def item_key(type_id: int | None, stock_code: str | None) -> str:
    """How a row names its item: ``t<type_id>`` for a garment type, ``s<stock_code>`` for a stock item."""
    return f"t{type_id}" if type_id is not None else f"s{stock_code}"


@event.listens_for(KitLine, "before_insert")
@event.listens_for(KitLine, "before_update")
def _keys(mapper, connection, line: KitLine) -> None:
    line.department_key = line.department_id or 0
    line.item_key = item_key(line.type_id, line.stock_code)
