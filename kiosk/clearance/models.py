"""A leaver's clearance list and its lines.

Marking an employee as left opens one :class:`Clearance` with a line for each
thing they hold (own garments, spares, loans, stock items with a return rule).
A line ends ``returned`` (scanned back), ``written_off`` (a write-off charged to
them under the compensation rules) or ``waived`` (a supervisor lets it go);
the clearance closes when no line is ``open``, with one slip the leaver signs.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Employee, Event, Garment, Money, PerProperty, UTCDateTime, User, utcnow
from ..loans.models import LoanItem
from ..stock.models import StockItem, StockMovement
from ..writeoffs.models import WriteOff

LINE_KINDS = ("garment", "spare", "loan", "stock")
LINE_OUTCOMES = ("open", "returned", "written_off", "waived")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Clearance(PerProperty, db.Model):
    __tablename__ = "clearances"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Indexed: the today board lists the clearances still open.
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    #: The leaver's signature on the slip (PNG drawn on the tablet), or signed on paper.
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    signed_on_paper: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")

    employee: Mapped[Employee] = relationship()
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    lines: Mapped[list[ClearanceLine]] = relationship(back_populates="clearance", order_by="ClearanceLine.id")

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class ClearanceLine(PerProperty, db.Model):
    __tablename__ = "clearance_lines"
    __table_args__ = (
        CheckConstraint(_in("kind", LINE_KINDS), name="kind"),
        CheckConstraint(_in("outcome", LINE_OUTCOMES), name="outcome"),
        CheckConstraint("quantity > 0 AND returned_quantity >= 0 AND returned_quantity <= quantity",
                        name="quantities"),
        CheckConstraint("(garment_id IS NULL) <> (stock_item_id IS NULL)", name="one_thing"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clearance_id: Mapped[int] = mapped_column(ForeignKey("clearances.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    garment_id: Mapped[int | None] = mapped_column(ForeignKey("garments.id"), index=True)
    #: A loan's item (kind ``loan``): returning the garment returns the loan item too.
    loan_item_id: Mapped[int | None] = mapped_column(ForeignKey("loan_items.id"))
    stock_item_id: Mapped[int | None] = mapped_column(ForeignKey("stock_items.id"))
    quantity: Mapped[int] = mapped_column(default=1)
    returned_quantity: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str] = mapped_column(String(12), default="open")
    #: The event that brought the garment back, or the stock movement of the return.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    movement_id: Mapped[int | None] = mapped_column(ForeignKey("stock_movements.id"))
    write_off_id: Mapped[int | None] = mapped_column(ForeignKey("write_offs.id"))
    #: What a stock item not returned was charged (a garment's charge is its write-off's).
    charged: Mapped[Decimal | None] = mapped_column(Money)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    clearance: Mapped[Clearance] = relationship(back_populates="lines")
    garment: Mapped[Garment | None] = relationship()
    loan_item: Mapped[LoanItem | None] = relationship()
    stock_item: Mapped[StockItem | None] = relationship()
    event: Mapped[Event | None] = relationship()
    movement: Mapped[StockMovement | None] = relationship()
    write_off: Mapped[WriteOff | None] = relationship()
    done_by: Mapped[User | None] = relationship()
