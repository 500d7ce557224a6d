"""New purchases (新购制服): what was bought, and the garments it registered.

A purchase is a received delivery: type, size, quantity, unit price,
supplier and date. Receiving it registers ``quantity`` garments through the
registry (each a ledger ``register`` event); :class:`PurchaseGarment` links
each of them to the purchase, in the order their tags were made, without
touching the garment table.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Employee, Garment, GarmentType, Money, PerProperty, UTCDateTime, User, utcnow

MAX_QUANTITY = 500


class Purchase(PerProperty, db.Model):
    __tablename__ = "purchases"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (
        CheckConstraint(f"quantity >= 1 AND quantity <= {MAX_QUANTITY}", name="quantity"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
        # The month list and the loss report read purchases by date.
        Index("ix_purchases_property_purchased_on", "property_id", "purchased_on"),
        Index("ix_purchases_property_created_at", "property_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("garment_types.id"), index=True)
    size: Mapped[str] = mapped_column(String(16), default="")
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    supplier: Mapped[str] = mapped_column(String(128))
    purchased_on: Mapped[dt.date]
    # Registered straight to this person (by 工号); None: the spare pool.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    garment_type: Mapped[GarmentType] = relationship()
    owner: Mapped[Employee | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    links: Mapped[list[PurchaseGarment]] = relationship(
        back_populates="purchase", order_by="PurchaseGarment.position")

    @property
    def value(self) -> Decimal:
        return self.unit_price * self.quantity


class PurchaseGarment(PerProperty, db.Model):
    """One garment a purchase registered; ``position`` keeps the order of its tags."""

    __tablename__ = "purchase_garments"

    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    garment_id: Mapped[int] = mapped_column(ForeignKey("garments.id"), unique=True)

    purchase: Mapped[Purchase] = relationship(back_populates="links")
    garment: Mapped[Garment] = relationship()
