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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain.errors import DomainError, N_
from ..domain.garment_states import Status
from ..models import Employee, Garment, GarmentType
from ..request_keys import write_lock
from .models import KitLine

#: What a person holds: with them, out to them as a spare, on loan to them.
HELD = (Status.ISSUED.value, Status.SPARE_ISSUED.value, Status.LOANED.value)


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
        if not self.from_position:
            return garment_type.entitlement if garment_type.active else 0
        return self.garments.get(garment_type.id, 0)


def _choose(rows: list[KitLine], department_id: int | None) -> list[KitLine]:
    """Of one position's rows, the department's own if it has any, else the general ones."""
    own = [row for row in rows if department_id is not None and row.department_id == department_id]
    return own or [row for row in rows if row.department_id is None]


def lines_for(session: Session, position: str, department_id: int | None) -> list[KitLine]:
    """The rows that make up the kit of ``position`` (in ``department_id``), by the order above."""
    key = position_key(position)
    if not key:
        return []
    rows = list(session.scalars(select(KitLine).where(KitLine.position == key).order_by(KitLine.id)))
    return _choose(rows, department_id)


def _kit(employee: Employee, rows: list[KitLine], fallback: dict[int, int]) -> Kit:
    kit = Kit(position_key(employee.position), employee.department_id, from_position=bool(rows))
    if not rows:
        kit.garments.update(fallback)
        return kit
    for row in rows:
        if row.type_id is not None:
            kit.garments[row.type_id] = row.quantity
        else:
            kit.stock[row.stock_code] = row.quantity
    return kit


def _fallback(session: Session) -> dict[int, int]:
    return dict(session.execute(select(GarmentType.id, GarmentType.entitlement).where(
        GarmentType.active.is_(True), GarmentType.entitlement > 0)).all())


def kit_for(session: Session, employee: Employee) -> Kit:
    rows = lines_for(session, employee.position, employee.department_id)
    return _kit(employee, rows, {} if rows else _fallback(session))


def kits_for(session: Session, employees: list[Employee]) -> dict[int, Kit]:
    """:func:`kit_for` of many people at once (a report, the monthly run): two queries in all."""
    positions = {position_key(e.position) for e in employees} - {""}
    by_position: dict[str, list[KitLine]] = {}
    if positions:
        for row in session.scalars(select(KitLine).where(KitLine.position.in_(positions)).order_by(KitLine.id)):
            by_position.setdefault(row.position, []).append(row)
    fallback = _fallback(session)
    return {e.id: _kit(e, _choose(by_position.get(position_key(e.position), []), e.department_id), fallback)
            for e in employees}


#: Which of a person's sizes a stock item of each kind takes ("" : one size).
SIZE_OF_KIND = {"shoes": "shoe_size", "socks": "sock_size", "hair_accessory": None, "consumable": None}


def person_size(employee: Employee, stock_kind: str) -> str:
    """The employee's size for a stock item of ``stock_kind`` ("" when the kind has no sizes)."""
    column = SIZE_OF_KIND.get(stock_kind)
    return (getattr(employee, column) or "").strip() if column else ""


def size_row(employee: Employee, rows: list):
    """Of one stock item's rows (one per size), the one that fits the person, or None.

    Their size for the item's kind (shoe size for shoes, sock size for socks),
    else their clothing size (an item sized like clothes), else the one-size
    row, else the only row there is.
    """
    if not rows:
        return None
    by_size = {row.size: row for row in rows}
    for size in (person_size(employee, rows[0].kind), (employee.size or "").strip()):
        if size and size in by_size:
            return by_size[size]
    if "" in by_size:
        return by_size[""]
    return rows[0] if len(rows) == 1 else None


# --- holding the entitlement at every give ----------------------------------------

def held_count(session: Session, employee_id: int, type_id: int) -> int:
    """How many of the type the person holds now (with them, as a spare, on loan to them)."""
    return session.scalar(select(func.count()).select_from(Garment).where(
        Garment.holder_id == employee_id, Garment.type_id == type_id, Garment.status.in_(HELD))) or 0


class OverEntitlement(DomainError):
    """Giving one more would take the person past their kit."""


def lock_person(session: Session, employee: Employee) -> None:
    """Serialise gives to one person: SQLite's write lock, or the employee's row on PostgreSQL.

    Called before counting, so two tablets giving to the same person at once
    count one after the other and the second sees the first's garment.
    """
    write_lock(session)
    if session.get_bind().dialect.name != "sqlite":
        session.execute(select(Employee.id).where(Employee.id == employee.id).with_for_update())


def hold(session: Session, employee: Employee, garment_type: GarmentType, *, kit: Kit | None = None) -> None:
    """Raise :class:`OverEntitlement` when one more ``garment_type`` would exceed what the person may hold.

    Every move that gives a garment to a person calls this inside its
    transaction, before the move: issue, spare, new-hire kit, a loan to an
    employee, the undo of a check-in or a return.
    """
    lock_person(session, employee)
    kit = kit or kit_for(session, employee)
    entitled = kit.entitlement(garment_type)
    if entitled == 0 and kit.from_position:
        raise OverEntitlement(N_("%(type)s is not in the kit of %(position)s: %(name)s is not issued it."),
                              type=garment_type.name_zh, position=kit.position, name=employee.name)
    held = held_count(session, employee.id, garment_type.id)
    if held >= entitled:
        raise OverEntitlement(N_("%(name)s already holds %(held)s of %(entitled)s of this type: "
                                 "hand in a dirty one first."),
                              name=employee.name, held=held, entitled=entitled)
