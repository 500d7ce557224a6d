"""What a person gets: their position's kit (配发标准), or each type's own entitlement.

The one home of "how many of this type may this person hold" and "which stock
items, in which size, does their kit give": the counter's exchange, spares,
the new-hire kit, loans to employees, the undo of a check-in and the monthly
distribution all ask :func:`kit_for`.

Resolution, the first that has any row wins:

1. rows for the employee's position in their department;
2. rows for the position in no particular department;
3. none: every active garment type with its own ``entitlement`` and no stock
   items (``Kit.from_position`` is False).

Positions are compared as typed text, NFKC-normalised and trimmed, so a
full-width space or a trailing blank from Excel does not split a position.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Employee, GarmentType
from .models import KitLine


def position_key(text: str | None) -> str:
    """A position as kits compare it: NFKC, inner spaces collapsed, trimmed."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


@dataclass
class Kit:
    """A person's kit: garment type id → how many, stock item code → how many."""

    position: str
    department_id: int | None
    from_position: bool
    garments: dict[int, int] = field(default_factory=dict)
    stock: dict[str, int] = field(default_factory=dict)

    def entitlement(self, garment_type: GarmentType) -> int:
        """How many of ``garment_type`` the person may hold (0: not theirs to have)."""
        return self.garments.get(garment_type.id, 0)


def lines_for(session: Session, position: str, department_id: int | None) -> list[KitLine]:
    """The rows that make up the kit of ``position`` (in ``department_id``), by the order above."""
    key = position_key(position)
    if not key:
        return []
    rows = list(session.scalars(select(KitLine).where(KitLine.position == key).order_by(KitLine.id)))
    own = [row for row in rows if department_id is not None and row.department_id == department_id]
    return own or [row for row in rows if row.department_id is None]


def kit_for(session: Session, employee: Employee) -> Kit:
    rows = lines_for(session, employee.position, employee.department_id)
    kit = Kit(position_key(employee.position), employee.department_id, from_position=bool(rows))
    if rows:
        for row in rows:
            if row.type_id is not None:
                kit.garments[row.type_id] = row.quantity
            else:
                kit.stock[row.stock_code] = row.quantity
        return kit
    for type_id, entitled in session.execute(select(GarmentType.id, GarmentType.entitlement).where(
            GarmentType.active.is_(True), GarmentType.entitlement > 0)):
        kit.garments[type_id] = entitled
    return kit


#: Which of a person's sizes a stock item of each kind takes ("" : one size).
SIZE_OF_KIND = {"shoes": "shoe_size", "socks": "sock_size", "hair_accessory": None, "consumable": None}


def person_size(employee: Employee, stock_kind: str) -> str:
    """The employee's size for a stock item of ``stock_kind`` ("" when the kind has no sizes)."""
    column = SIZE_OF_KIND.get(stock_kind)
    return (getattr(employee, column) or "") if column else ""
