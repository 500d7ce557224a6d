"""Stock items (鞋、袜、头花, consumables), their movements, and the monthly distribution.

Quantities on hand are kept on the item and changed only together with an
append-only :class:`StockMovement`; the database refuses a negative quantity
(CHECK), so two tablets at once cannot take the last pair twice.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Employee, Money, PerProperty, UTCDateTime, User, utcnow

STOCK_KINDS = ("shoes", "socks", "hair_accessory", "consumable")
MOVEMENT_REASONS = ("received", "issued", "adjusted", "distributed", "returned", "transfer_out", "transfer_in")
RUN_STATUSES = ("open", "closed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class StockItem(PerProperty, db.Model):
    """One item in one size (鞋 38 and 鞋 39 are two rows of the code SHOE)."""

    __tablename__ = "stock_items"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (
        UniqueConstraint("property_id", "code", "size", name="uq_stock_items_code_size"),
        CheckConstraint(_in("kind", STOCK_KINDS), name="kind"),
        CheckConstraint("quantity_on_hand >= 0", name="on_hand"),
        CheckConstraint("reorder_level >= 0 AND monthly_allowance >= 0", name="levels"),
        CheckConstraint("unit_cost >= 0", name="cost"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[str] = mapped_column(String(16))
    size: Mapped[str] = mapped_column(String(16), default="")
    quantity_on_hand: Mapped[int] = mapped_column(default=0)
    reorder_level: Mapped[int] = mapped_column(default=0)
    #: How many each active employee gets in the monthly run (0: only when due).
    monthly_allowance: Mapped[int] = mapped_column(default=0)
    #: Handed back when the person leaves (shoes, say; never socks): on the leaver's clearance.
    return_on_leaving: Mapped[bool] = mapped_column(default=False)
    #: What one costs (CNY), charged when a returnable one is not handed back.
    unit_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def low(self) -> bool:
        return self.reorder_level > 0 and self.quantity_on_hand <= self.reorder_level


class StockMovement(PerProperty, db.Model):
    """One change of a quantity on hand. Append-only: a correction is an adjustment."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint(_in("reason", MOVEMENT_REASONS), name="reason"),
        CheckConstraint("delta <> 0", name="delta"),
        Index("ix_stock_movements_item_at", "item_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("stock_items.id"))
    delta: Mapped[int]
    #: The quantity on hand just after this movement (the ledger reads without summing).
    balance: Mapped[int]
    reason: Mapped[str] = mapped_column(String(16))
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    #: The employee's department at the moment (facts of the moment are copied).
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[StockItem] = relationship()
    employee: Mapped[Employee | None] = relationship()
    user: Mapped[User | None] = relationship()


class DistributionRun(PerProperty, db.Model):
    """The monthly shoes-and-socks distribution (每月鞋袜分发) for one month."""

    __tablename__ = "distribution_runs"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (CheckConstraint(_in("status", RUN_STATUSES), name="status"),
                      UniqueConstraint("property_id", "month", name="uq_distribution_runs_property_month"))

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, one run per property
    status: Mapped[str] = mapped_column(String(8), default="open")
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: The last reopening (a supervisor's action; the only way a closed run changes).
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reopened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reopen_count: Mapped[int] = mapped_column(default=0)

    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    reopened_by: Mapped[User | None] = relationship(foreign_keys=[reopened_by_id])
    lines: Mapped[list[DistributionLine]] = relationship(back_populates="run", order_by="DistributionLine.id")

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class DistributionLine(PerProperty, db.Model):
    """What one employee is due of one item in a run, and when they collected it."""

    __tablename__ = "distribution_lines"
    __table_args__ = (
        UniqueConstraint("run_id", "employee_id", "item_id", name="uq_distribution_lines_run_employee_item"),
        CheckConstraint("quantity > 0", name="quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("distribution_runs.id"), index=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("stock_items.id"))
    quantity: Mapped[int]
    collected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    movement_id: Mapped[int | None] = mapped_column(ForeignKey("stock_movements.id"))

    run: Mapped[DistributionRun] = relationship(back_populates="lines")
    employee: Mapped[Employee] = relationship()
    item: Mapped[StockItem] = relationship()
    movement: Mapped[StockMovement | None] = relationship()
