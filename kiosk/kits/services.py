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

import logging
from dataclasses import dataclass, field

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from ..domain import typed
from ..domain.errors import N_, DomainError
from ..domain.garment_states import Status
from .. import scope
from ..database import plain_read, run_core
from ..models import Department, Employee, Garment, GarmentType, User, utcnow
from ..request_keys import Once, once, write_lock
from .models import MAX_QUANTITY, KitLine, item_key

#: What a person holds: with them, out to them as a spare, on loan to them.
HELD = (Status.ISSUED.value, Status.SPARE_ISSUED.value, Status.LOANED.value)


def position_key(text: str | None) -> str:
    """A position as kits compare it: NFKC, inner spaces collapsed, trimmed."""
    return typed.collapsed(text)


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


def _choose(rows: list, department_id: int | None) -> list:
    """Of one position's rows, the department's own if it has any, else the general ones."""
    own = [row for row in rows if department_id is not None and row.department_id == department_id]
    return own or [row for row in rows if row.department_id is None]


def lines_for(session: Session, position: str, department_id: int | None) -> list[KitLine]:
    """The rows that make up the kit of ``position`` (in ``department_id``), by the order above
    (the kits screen's: records it can name and edit; a give reads :func:`kit_for`)."""
    key = position_key(position)
    if not key:
        return []
    rows = list(session.scalars(select(KitLine).where(KitLine.position == key).order_by(KitLine.id)))
    return _choose(rows, department_id)


# What every give reads, once per person: plain columns, each statement built once and bound
# per call (building a select per call costs more than running it).
_lines, _types = KitLine.__table__, GarmentType.__table__
_KIT_ROWS = select(_lines.c.position, _lines.c.department_id, _lines.c.type_id, _lines.c.stock_code,
                   _lines.c.quantity).where(scope.of_property(_lines)).order_by(_lines.c.id)
_KIT_ROWS_OF_POSITION = _KIT_ROWS.where(_lines.c.position == bindparam("position"))
_KIT_ROWS_OF_POSITIONS = _KIT_ROWS.where(_lines.c.position.in_(bindparam("positions", expanding=True)))
_FALLBACK = select(_types.c.id, _types.c.entitlement).where(_types.c.active.is_(True), _types.c.entitlement > 0)


def _kit(employee: Employee, rows: list, fallback: dict[int, int]) -> Kit:
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


def fallback_garments(session: Session) -> dict[int, int]:
    """What a position without kit rows gets: every active garment type with its own entitlement."""
    return dict(plain_read(session, _FALLBACK).all())


def kit_for(session: Session, employee: Employee) -> Kit:
    """The kit of ``employee``: their position's rows (their department's first), or the fallback.

    A request that gives reads it once and passes it on (:func:`hold`'s ``kit``, the panel's).
    """
    key = position_key(employee.position)
    rows = _choose(plain_read(session, _KIT_ROWS_OF_POSITION, {"position": key}).all(),
                   employee.department_id) if key else []
    return _kit(employee, rows, {} if rows else fallback_garments(session))


def kits_for(session: Session, employees: list[Employee]) -> dict[int, Kit]:
    """:func:`kit_for` of many people at once (a report, the monthly run): two queries in all."""
    positions = {position_key(e.position) for e in employees} - {""}
    by_position: dict[str, list] = {}
    if positions:
        for row in plain_read(session, _KIT_ROWS_OF_POSITIONS, {"positions": sorted(positions)}):
            by_position.setdefault(row.position, []).append(row)
    fallback = fallback_garments(session)
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

_garments = Garment.__table__
_HELD_COUNT = select(func.count()).select_from(_garments).where(
    _garments.c.holder_id == bindparam("employee_id"), _garments.c.type_id == bindparam("type_id"),
    _garments.c.status.in_(HELD), scope.of_property(_garments))
_LOCK_PERSON = (select(Employee.__table__.c.id).where(Employee.__table__.c.id == bindparam("employee_id"),
                                                       scope.of_property(Employee.__table__)).with_for_update())


def held_count(session: Session, employee_id: int, type_id: int) -> int:
    """How many of the type the person holds now (with them, as a spare, on loan to them)."""
    return plain_read(session, _HELD_COUNT, {"employee_id": employee_id, "type_id": type_id}).scalar() or 0


class OverEntitlement(DomainError):
    """Giving one more would take the person past their kit."""


#: The moves that give a garment to a person, each refused in its own words.
COUNTER, LOAN, UNDO = "counter", "loan", "undo"

_TOO_MANY = {
    COUNTER: N_("%(name)s already holds %(held)s of %(entitled)s of this type: hand in a dirty one first."),
    LOAN: N_("%(name)s already holds %(held)s of %(entitled)s of this type, on loan included: "
             "their kit gives no more. Nothing was lent."),
    UNDO: N_("Undo refused: %(name)s already holds %(held)s of %(entitled)s of this type (a clean one was "
             "issued since); giving this one back would exceed the kit. Nothing was changed."),
}


def lock_person(session: Session, employee: Employee) -> None:
    """Serialise gives to one person: SQLite's write lock, or the employee's row on PostgreSQL.

    Called before counting, so two tablets giving to the same person at once
    count one after the other and the second sees the first's garment.
    """
    write_lock(session)
    if session.get_bind().dialect.name != "sqlite":
        run_core(session, _LOCK_PERSON, {"employee_id": employee.id})


def hold(session: Session, employee: Employee, garment_type: GarmentType, *, give: str = COUNTER,
         kit: Kit | None = None) -> None:
    """Raise :class:`OverEntitlement` when one more ``garment_type`` would exceed what the person may hold.

    The one count and the one lock of every move that gives a garment to a
    person, called inside its transaction before the move: the counter's
    issue and spare and the new-hire kit (``give=COUNTER``), a loan to an
    employee (``LOAN``: a garment on loan to them is one they hold until it
    comes back), the undo of a check-in or a return (``UNDO``). ``give`` only
    chooses the words of the refusal.
    """
    lock_person(session, employee)
    kit = kit or kit_for(session, employee)
    entitled = kit.entitlement(garment_type)
    if entitled == 0:
        if kit.from_position:
            raise OverEntitlement(N_("%(type)s is not in the kit of %(position)s: %(name)s is not issued it."),
                                  type=garment_type.name_zh, position=kit.position, name=employee.name)
        raise OverEntitlement(N_("%(type)s has no entitlement: it is not issued to staff."),
                              type=garment_type.name_zh)
    held = held_count(session, employee.id, garment_type.id)
    if held >= entitled:
        raise OverEntitlement(_TOO_MANY[give], name=employee.name, held=held, entitled=entitled)


# --- what a kit row can give ----------------------------------------------------

#: ``KitItem.kind`` of a garment type (a stock item's is its own kind: shoes, socks, ...).
GARMENT = "garment"
#: How long a position may be (the column's length).
POSITION_MAX = 64

#: Who changed the kits and how, for the room's log: the table keeps who changed a row last,
#: and a removed row is gone, so its removal is written here.
log = logging.getLogger("kiosk.kits")


@dataclass(frozen=True)
class KitItem:
    """Something a kit row can give: a garment type, or a stock item by its code (every size)."""

    key: str  # KitLine.item_key: t<type id> or s<stock code>
    code: str
    name_zh: str
    name_en: str = ""
    kind: str = GARMENT
    type_id: int | None = None
    stock_code: str | None = None
    sizes: tuple[str, ...] = ()
    #: A garment type's own entitlement (what a position without a kit gets).
    entitlement: int = 0
    active: bool = True

    @property
    def is_garment(self) -> bool:
        return self.type_id is not None


def _stock_items() -> Table:
    """The stock items' table, by name.

    The stock package reads kits (its monthly run asks :func:`kit_for`), so kits
    may not import it back (kiosk.kits -> kiosk.stock would be an import cycle);
    the table is registered with the same metadata by :mod:`kiosk.stock.models`.
    """
    return KitLine.metadata.tables["stock_items"]


def kit_items(session: Session, *, active_only: bool = True) -> list[KitItem]:
    """Garment types by code, then stock items by kind and code (one entry per code, its sizes listed).

    ``active_only``: what a kit may be given now (a type in use, a stock item
    with a size in use); without it, also what old rows may still name.
    """
    query = select(GarmentType).order_by(GarmentType.code)
    if active_only:
        query = query.where(GarmentType.active.is_(True))
    items = [KitItem(item_key(gtype.id, None), gtype.code, gtype.name_zh, gtype.name_en, GARMENT,
                     type_id=gtype.id, entitlement=gtype.entitlement, active=gtype.active)
             for gtype in session.scalars(query)]
    stock = _stock_items()
    codes: dict[str, dict] = {}
    for row in session.execute(select(stock.c.code, stock.c.name_zh, stock.c.name_en, stock.c.kind, stock.c.size,
                                      stock.c.active).order_by(stock.c.kind, stock.c.code, stock.c.size)):
        entry = codes.setdefault(row.code, {"row": row, "sizes": [], "active": False})
        if row.active:
            if not entry["active"]:
                entry["row"] = row  # the names of a size in use
            entry["active"] = True
            if row.size:
                entry["sizes"].append(row.size)
    for code, entry in codes.items():
        if active_only and not entry["active"]:
            continue
        row = entry["row"]
        items.append(KitItem(item_key(None, code), code, row.name_zh, row.name_en, row.kind, stock_code=code,
                             sizes=tuple(entry["sizes"]), active=entry["active"]))
    return items


def _unknown_item(line: KitLine) -> KitItem:
    """A row whose item is not on record any more (shown by its code, so it can be removed)."""
    code = line.garment_type.code if line.garment_type is not None else (line.stock_code or "?")
    return KitItem(line.item_key, code, code, kind=GARMENT if line.type_id is not None else "",
                   type_id=line.type_id, stock_code=line.stock_code, active=False)


# --- positions ----------------------------------------------------------------------

@dataclass
class DepartmentUse:
    """One department of a position: its active employees there, and its own kit rows."""

    department_id: int
    name: str
    employees: int = 0
    lines: int = 0


@dataclass
class PositionSummary:
    """A position on the kits screen: who holds it, and whether it has a kit or falls back."""

    position: str
    employees: int = 0
    general_lines: int = 0
    departments: list[DepartmentUse] = field(default_factory=list)

    @property
    def has_kit(self) -> bool:
        return self.general_lines > 0 or any(use.lines for use in self.departments)

    @property
    def falling_back(self) -> int:
        """How many of its active employees get the fallback (each type's own entitlement)."""
        if self.general_lines:
            return 0
        return sum(use.employees for use in self.departments if not use.lines)

    def department(self, department_id: int | None) -> DepartmentUse | None:
        return next((use for use in self.departments if use.department_id == department_id), None)


@dataclass
class Overview:
    positions: list[PositionSummary]
    #: Active employees whose record has no position (they always get the fallback).
    without_position: int = 0


def positions(session: Session) -> Overview:
    """Every position of an active employee, and every position with kit rows.

    Positions are grouped as kits compare them (:func:`position_key`). Listed
    by how many people hold them, most first; a position only a kit names
    (prepared before anyone is hired to it) has 0.
    """
    names = dict(session.execute(select(Department.id, Department.name)).all())
    summaries: dict[str, PositionSummary] = {}
    overview = Overview([])

    def use(position: str, department_id: int) -> DepartmentUse:
        summary = summaries.setdefault(position, PositionSummary(position))
        found = summary.department(department_id)
        if found is None:
            found = DepartmentUse(department_id, names.get(department_id, ""))
            summary.departments.append(found)
        return found

    for raw, department_id, count in session.execute(
            select(Employee.position, Employee.department_id, func.count())
            .where(Employee.active.is_(True)).group_by(Employee.position, Employee.department_id)):
        position = position_key(raw)
        if not position:
            overview.without_position += count
            continue
        use(position, department_id).employees += count
        summaries[position].employees += count
    for position, department_id, count in session.execute(
            select(KitLine.position, KitLine.department_id, func.count())
            .group_by(KitLine.position, KitLine.department_id)):
        if department_id is None:
            summaries.setdefault(position, PositionSummary(position)).general_lines += count
        else:
            use(position, department_id).lines += count
    for summary in summaries.values():
        summary.departments.sort(key=lambda d: (-d.employees, d.name))
    overview.positions = sorted(summaries.values(), key=lambda s: (-s.employees, s.position))
    return overview


def departments(session: Session) -> list[Department]:
    """Every department, by name (a position may be given its own kit in any of them)."""
    return list(session.scalars(select(Department).order_by(Department.name)))


def position_summary(session: Session, position: str) -> PositionSummary:
    """One position's summary (an empty one for a position nobody holds and no kit names)."""
    key = position_key(position)
    found = next((s for s in positions(session).positions if s.position == key), None)
    return found or PositionSummary(key)


# --- one position's kit, as the screen shows it ---------------------------------

#: ``ScopeView.applies``: where what a person gets comes from.
OWN, GENERAL, FALLBACK = "own", "general", "fallback"


@dataclass
class ScopeView:
    """One position's rows, for every department (``department`` None) or for one.

    ``lines``: the rows of exactly this scope, to edit. ``applies``: what a
    person of the position (in the department) gets, by :func:`lines_for`'s
    order: the department's own rows (``own``), the general rows
    (``general``), or each garment type's own entitlement (``fallback``), with
    ``effective`` listing it.
    """

    position: str
    department: Department | None
    lines: list[tuple[KitLine, KitItem]]
    applies: str
    effective: list[tuple[KitItem, int]]
    summary: PositionSummary

    @property
    def employees(self) -> int:
        """The active employees this scope's rows are for."""
        if self.department is not None:
            use = self.summary.department(self.department.id)
            return use.employees if use else 0
        return sum(use.employees for use in self.summary.departments if not use.lines)


def _ordered(pairs: list, item_of) -> list:
    """Garments first, then stock items, each by code."""
    return sorted(pairs, key=lambda pair: (not item_of(pair).is_garment, item_of(pair).kind, item_of(pair).code))


def scope_lines(session: Session, position: str, department_id: int | None) -> list[KitLine]:
    """The rows of exactly this position and department (None: the position's general rows)."""
    return list(session.scalars(
        select(KitLine).options(joinedload(KitLine.updated_by), joinedload(KitLine.garment_type))
        .where(KitLine.position == position_key(position), KitLine.department_key == (department_id or 0))
        .order_by(KitLine.id)))


def scope_view(session: Session, position: str, department: Department | None) -> ScopeView:
    key = position_key(position)
    department_id = department.id if department is not None else None
    items = {item.key: item for item in kit_items(session, active_only=False)}

    def item(line: KitLine) -> KitItem:
        return items.get(line.item_key) or _unknown_item(line)

    own = [(line, item(line)) for line in scope_lines(session, key, department_id)]
    applying = lines_for(session, key, department_id)
    if applying:
        applies = OWN if applying[0].department_id is not None else GENERAL
        effective = [(item(line), line.quantity) for line in applying]
    else:
        applies = FALLBACK
        by_type = {entry.type_id: entry for entry in items.values() if entry.is_garment}
        effective = [(by_type[type_id], quantity) for type_id, quantity in fallback_garments(session).items()
                     if type_id in by_type]
    return ScopeView(key, department, _ordered(own, lambda pair: pair[1]), applies,
                     _ordered(effective, lambda pair: pair[0]), position_summary(session, key))


# --- changing a kit -----------------------------------------------------------------

NO_POSITION = N_("Type the position (岗位).")
POSITION_TOO_LONG = N_("A position has at most %(max)s characters.")
QUANTITY_RANGE = N_("The quantity must be a whole number from 1 to %(max)s.")
INACTIVE_ITEM = N_("%(item)s is no longer in use; it cannot be added to a kit.")


def check_position(text: str | None) -> str:
    """The position as kits keep it, or DomainError (empty, too long)."""
    key = position_key(text)
    if not key:
        raise DomainError(NO_POSITION)
    if len(key) > POSITION_MAX:
        raise DomainError(POSITION_TOO_LONG, max=POSITION_MAX)
    return key


def check_quantity(quantity: int | None) -> int:
    if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
        raise DomainError(QUANTITY_RANGE, max=MAX_QUANTITY)
    return quantity


@dataclass(frozen=True)
class KitChange:
    """What one command did to one row: ``added``, ``changed``, ``unchanged``, ``removed``,
    ``absent`` (a removal of a row that was not there) or ``repeated`` (a request sent again)."""

    outcome: str
    item: KitItem
    quantity: int = 0
    before: int = 0


def _scope_row(session: Session, position: str, department_id: int | None, key: str) -> KitLine | None:
    return session.scalar(select(KitLine).where(
        KitLine.position == position, KitLine.department_key == (department_id or 0),
        KitLine.item_key == key).with_for_update())


def _who(user: User | None) -> str:
    return user.name if user is not None else "command line"


def _set(session: Session, position: str, department_id: int | None, item: KitItem, quantity: int,
         user: User | None) -> KitChange:
    """Add the row or change its quantity; two tablets adding the same item at once end with one row."""
    write_lock(session)
    line = _scope_row(session, position, department_id, item.key)
    if line is None:
        line = KitLine(position=position, department_id=department_id, type_id=item.type_id,
                       stock_code=item.stock_code, quantity=quantity, updated_by=user, updated_at=utcnow())
        try:
            with session.begin_nested():
                session.add(line)
                session.flush()
        except IntegrityError:
            # The same row landed from another connection just now: change that one.
            line = _scope_row(session, position, department_id, item.key)
            if line is None:
                raise
        else:
            log.info("kit row added: %s / %s / %s x%s by %s", position, department_id or "-", item.code,
                     quantity, _who(user))
            return KitChange("added", item, quantity)
    before = line.quantity
    if before == quantity:
        return KitChange("unchanged", item, quantity, before)
    line.quantity, line.updated_by, line.updated_at = quantity, user, utcnow()
    session.flush()
    log.info("kit row changed: %s / %s / %s x%s -> x%s by %s", position, department_id or "-", item.code,
             before, quantity, _who(user))
    return KitChange("changed", item, quantity, before)


def _remove(session: Session, position: str, department_id: int | None, item: KitItem,
            user: User | None) -> KitChange:
    write_lock(session)
    line = _scope_row(session, position, department_id, item.key)
    if line is None:
        return KitChange("absent", item)
    before = line.quantity
    session.delete(line)
    session.flush()
    log.info("kit row removed: %s / %s / %s x%s by %s", position, department_id or "-", item.code, before,
             _who(user))
    return KitChange("removed", item, 0, before)


def _once(session: Session, request_key: str | None, user: User | None, command: str, item: KitItem,
          run) -> Once[KitChange]:
    return once(session, request_key, operator=user, command=command, run=run,
                remember=lambda change: 1, recall=lambda _ref: KitChange("repeated", item))


def set_line(session: Session, *, position: str, department: Department | None, item: KitItem, quantity: int,
             user: User | None, request_key: str | None = None) -> Once[KitChange]:
    """Give the position (in ``department``, or every department) ``quantity`` of ``item``.

    Adds the row, or changes its quantity; the row records who and when. Safe
    to repeat: the same request key lands once, and the same quantity again
    changes nothing. Refused (DomainError, nothing written): no position, a
    quantity outside 1..20, an item no longer in use.
    """
    key = check_position(position)
    check_quantity(quantity)
    if not item.active:
        raise DomainError(INACTIVE_ITEM, item=item.code)
    department_id = department.id if department is not None else None
    return _once(session, request_key, user, "kits.set", item,
                 lambda: _set(session, key, department_id, item, quantity, user))


def remove_line(session: Session, *, position: str, department: Department | None, item: KitItem,
                user: User | None, request_key: str | None = None) -> Once[KitChange]:
    """Take ``item`` out of the position's kit (in ``department``, or the general rows).

    A row that is not there (removed from another tablet) changes nothing.
    """
    key = check_position(position)
    department_id = department.id if department is not None else None
    return _once(session, request_key, user, "kits.remove", item,
                 lambda: _remove(session, key, department_id, item, user))


def replace_scope(session: Session, position: str, department_id: int | None,
                  wanted: dict[str, tuple[KitItem, int]], user: User | None) -> list[KitChange]:
    """Make the rows of exactly this position and department be ``wanted`` (item key -> item, quantity).

    What the kit import does per position and department it names: each
    wanted item is added or given its quantity, and the rows it does not list
    are taken out. Returns one change per row (``unchanged`` included).
    """
    key = check_position(position)
    changes = [_set(session, key, department_id, item, check_quantity(quantity), user)
               for item, quantity in wanted.values()]
    stale = [line for line in scope_lines(session, key, department_id) if line.item_key not in wanted]
    if stale:
        items = {item.key: item for item in kit_items(session, active_only=False)}
        changes += [_remove(session, key, department_id, items.get(line.item_key) or _unknown_item(line), user)
                    for line in stale]
    return changes
