"""Receiving new purchases (新购制服); no Flask in here.

Garments are registered only through :func:`kiosk.registry.services.register_garments`
(automatic tags ``<TYPECODE>-<6 digits>``, one ledger ``register`` event each).
A purchase may be larger than one registry batch, so it is registered in
chunks whose request keys all start with the purchase's own key: the
registry's "registered with this key" then finds the whole purchase.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..domain.calendar import month_of
from ..domain.errors import N_
from ..domain.money import ZERO
from ..models import Employee, Garment, GarmentType, User, utcnow
from ..registry.services import MAX_BATCH, FieldError, FieldErrors, register_batch, resolve_owner
from ..request_keys import once
from .models import Purchase, PurchaseGarment

SUPPLIER_MAX = 128
SIZE_MAX = 16
NOTE_MAX = 500


@dataclass
class PurchaseData:
    """A purchase, checked: every value typed and within its limits."""

    garment_type: GarmentType
    size: str
    quantity: int
    unit_price: Decimal
    supplier: str
    purchased_on: dt.date
    owner: Employee | None = None
    note: str = ""


@dataclass
class Received:
    purchase: Purchase
    garments: list[Garment] = field(default_factory=list)
    repeated: bool = False


# --- checking the form ------------------------------------------------------

@dataclass(frozen=True)
class PurchaseInput:
    """The purchase form's values, each already checked on its own (:mod:`.forms`)."""

    type_id: int
    size: str
    quantity: int
    unit_price: Decimal
    supplier: str
    purchased_on: dt.date
    staff_no: str = ""
    note: str = ""


def check_purchase(session: Session, values: PurchaseInput) -> PurchaseData:
    """The purchase, with what only the database knows: the type, the owner, the owner's size.

    Raises FieldErrors naming every field that is wrong.
    """
    errors: list[FieldError] = []
    garment_type = session.get(GarmentType, values.type_id)
    if garment_type is None or not garment_type.active:
        errors.append(FieldError("type_id", N_("Choose a garment type.")))
    owner = None
    try:
        owner = resolve_owner(session, values.staff_no)
    except FieldErrors as refused:
        errors.extend(refused.errors)
    size = values.size or (owner.size if owner is not None else "")
    if not size:
        errors.append(FieldError("size", N_("Required.")))
    if errors:
        raise FieldErrors(errors)
    assert garment_type is not None  # for the type checker
    return PurchaseData(garment_type=garment_type, size=size, quantity=values.quantity,
                        unit_price=values.unit_price, supplier=values.supplier,
                        purchased_on=values.purchased_on, owner=owner, note=values.note)


# --- receiving --------------------------------------------------------------

def garments_of(session: Session, purchase: Purchase) -> list[Garment]:
    """The garments ``purchase`` registered, in the order of their tags."""
    return list(session.scalars(
        select(Garment).join(PurchaseGarment, PurchaseGarment.garment_id == Garment.id)
        .options(joinedload(Garment.garment_type), joinedload(Garment.owner))
        .where(PurchaseGarment.purchase_id == purchase.id)
        .order_by(PurchaseGarment.position)
    ).unique())


def receive_purchase(session: Session, data: PurchaseData, *, request_key: str | None,
                     user: User | None) -> Received:
    """Record the purchase and register its garments with new tags (cost = unit price).

    Sent again with the same ``request_key``, it registers nothing more and
    returns the first purchase. The caller commits; a clash with another
    tablet over the same tags surfaces as IntegrityError (try again).
    """
    done = once(session, request_key, operator=user, command="purchase.receive",
                run=lambda: _receive(session, data, user=user),
                remember=lambda received: received.purchase.id,
                recall=lambda purchase_id: _received(session, session.get(Purchase, purchase_id)))
    return done.result


def _received(session: Session, purchase: Purchase) -> Received:
    return Received(purchase=purchase, garments=garments_of(session, purchase), repeated=True)


def _receive(session: Session, data: PurchaseData, *, user: User | None) -> Received:
    purchase = Purchase(type_id=data.garment_type.id, garment_type=data.garment_type, size=data.size,
                        quantity=data.quantity, unit_price=data.unit_price, supplier=data.supplier,
                        purchased_on=data.purchased_on, owner=data.owner, note=data.note,
                        created_by=user, created_at=utcnow())
    session.add(purchase)
    garments: list[Garment] = []
    for start in range(0, data.quantity, MAX_BATCH):
        # Flushed per batch: the next batch's tags follow these ones.
        garments.extend(register_batch(
            session, garment_type=data.garment_type, count=min(MAX_BATCH, data.quantity - start),
            owner=data.owner, size=data.size, purchased_on=data.purchased_on, cost=data.unit_price, user=user))
    for position, garment in enumerate(garments):
        session.add(PurchaseGarment(purchase=purchase, position=position, garment_id=garment.id))
    session.flush()
    return Received(purchase=purchase, garments=garments)


# --- reading ----------------------------------------------------------------

@dataclass
class Month:
    """A calendar month of purchases (by purchase date) and its totals."""

    month: str  # YYYY-MM
    purchases: list[Purchase] = field(default_factory=list)

    @property
    def quantity(self) -> int:
        return sum(p.quantity for p in self.purchases)

    @property
    def value(self) -> Decimal:
        return sum((p.value for p in self.purchases), ZERO)


def by_month(session: Session) -> list[Month]:
    """Every purchase, grouped by the month of its purchase date, newest first."""
    purchases = session.scalars(
        select(Purchase).options(joinedload(Purchase.garment_type), joinedload(Purchase.owner))
        .order_by(Purchase.purchased_on.desc(), Purchase.id.desc()))
    months: dict[str, Month] = {}
    for purchase in purchases:
        key = month_of(purchase.purchased_on)
        months.setdefault(key, Month(key)).purchases.append(purchase)
    return list(months.values())
