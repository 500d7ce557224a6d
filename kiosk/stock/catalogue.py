"""The stock items themselves (鞋、袜、头花, consumables): adding an item or a size, changing its facts.

Quantities are not changed here: they move only with a movement (receive,
issue, adjust in :mod:`kiosk.stock.services`). An item is its code; each size
is its own row (SHOE 38, SHOE 39). What is the item's, not the size's — its
names, kind, unit cost and whether it is handed back when a person leaves —
is kept the same on every size of the code: saving one size sets it on all.
The reorder level, the monthly allowance and "in use" are each size's own.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.errors import N_, DomainError
from .models import StockItem

#: The facts of the item, the same on every size of its code.
ITEM_FACTS = ("name_zh", "name_en", "kind", "unit_cost", "return_on_leaving")


@dataclass
class ItemData:
    """Values from the stock item form, already checked one by one."""

    code: str
    name_zh: str
    name_en: str
    kind: str
    size: str
    unit_cost: Decimal
    reorder_level: int
    monthly_allowance: int
    return_on_leaving: bool
    active: bool = True


SIZE_TAKEN = N_("%(code)s already has the size “%(size)s”: change that row instead.")


class SizeTaken(DomainError):
    """The code already has a row in this size (shown under the size field)."""

    field = "size"


def check_item(session: Session, data: ItemData, item: StockItem | None = None) -> None:
    """Raise SizeTaken when another row already is this code in this size."""
    clash = session.scalar(select(StockItem).where(StockItem.code == data.code, StockItem.size == data.size))
    if clash is not None and clash is not item:
        raise SizeTaken(SIZE_TAKEN, code=data.code, size=data.size or "—")


def save_item(session: Session, data: ItemData, item: StockItem | None = None) -> StockItem:
    """Add an item or a size of one (``item`` None), or change one; the quantity on hand is not touched."""
    check_item(session, data, item)
    if item is None:
        item = StockItem(quantity_on_hand=0)
        session.add(item)
    item.code, item.size = data.code, data.size
    item.reorder_level, item.monthly_allowance, item.active = data.reorder_level, data.monthly_allowance, data.active
    for name in ITEM_FACTS:
        setattr(item, name, getattr(data, name))
    session.flush()
    for other in session.scalars(select(StockItem).where(StockItem.code == data.code, StockItem.id != item.id)):
        for name in ITEM_FACTS:
            setattr(other, name, getattr(data, name))
    session.flush()
    return item


def item_defaults(session: Session, code: str) -> StockItem | None:
    """A size of ``code`` on record, whose facts a new size of it starts from."""
    return session.scalar(select(StockItem).where(StockItem.code == code).order_by(StockItem.id).limit(1))
