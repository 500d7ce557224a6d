"""Issue and exchange (发衣 / 换衣), spares (备用制服) and the new-hire kit.

One set of rules serves the counter's exchange and the new-hire kit:

- :mod:`kiosk.people` finds the person (badge, 工号, uniform no. or name)
  and refuses a leaver anything;
- :func:`employee_panel` says what they hold against their entitlement per
  garment type and where each of their own garments is;
- :func:`scan_for_employee` decides what a scanned garment means for them
  (a dirty one handed in, their own clean one out, a spare out) and moves it
  with :func:`kiosk.scanning.scan_move`, so the duplicate window, the state
  machine and the optimistic lock apply as at every station.

Services take the session and plain values and never commit; a refused
scan raises nothing and changes nothing (it is an ``error`` result).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import Row, bindparam, func, or_, select
from sqlalchemy.orm import Session

from ..domain.errors import DomainError, N_
from ..domain.garment_states import Action, Status
from .. import people, scope
from ..database import plain_read
from ..kits import services as kits
from ..models import Employee, Garment, GarmentType, User
from ..domain.names import local_name
from ..stock import services as stock_services
from ..stock.models import StockItem, StockMovement
from ..scanning import ERROR, OK, ScanMeta, ScanResult, find_garment, scan_move

STATION = "issue"
KIT_STATION = "kit"
NOTE_MAX = 500

HELD = kits.HELD

#: Where a garment is, as the clerk says it to the employee.
WHERE: dict[str, str] = {
    Status.IN_STOCK.value: N_("in stock"),
    Status.ISSUED.value: N_("with them"),
    Status.SPARE_ISSUED.value: N_("out as a spare"),
    Status.LOANED.value: N_("on loan"),
    Status.DIRTY.value: N_("in the wash"),
    Status.IRONING.value: N_("being ironed"),
    Status.INSPECTION.value: N_("at inspection"),
    Status.AT_TAILOR.value: N_("at the tailor"),
    Status.MISSING.value: N_("missing"),
    Status.WRITTEN_OFF.value: N_("written off"),
}

# The order statuses are listed in a "where are theirs" summary.
_WHERE_ORDER = list(WHERE)

Gettext = Callable[..., str]


def english(message: str, **params) -> str:
    """A gettext that does not translate (the default when no locale is at hand)."""
    return message % params if params else message


# --- what they hold, where theirs are ---------------------------------------

@dataclass(frozen=True)
class TypeFacts:
    """A garment type as the panel names it and counts against it (what :meth:`kiosk.kits.services.Kit.entitlement`
    and the ``type_name`` filter read of a :class:`GarmentType`)."""

    id: int
    code: str
    name_zh: str
    name_en: str
    entitlement: int
    active: bool


@dataclass(frozen=True)
class Piece:
    """One of the person's garments as the panel shows it: read to be shown, so plain values."""

    tag: str
    status: str
    size: str | None
    holder_id: int | None
    owner_id: int | None

    @property
    def is_spare(self) -> bool:
        return self.owner_id is None


@dataclass
class TypeLine:
    """One garment type for one person: entitlement, holdings, their own pieces, spares."""

    garment_type: TypeFacts
    employee_id: int
    #: How many the person may hold (their position's kit, else the type's entitlement).
    entitled: int = 0
    held: list[Piece] = field(default_factory=list)
    own: list[Piece] = field(default_factory=list)
    size: str = ""
    spares_in_stock: int = 0

    @property
    def entitlement(self) -> int:
        return self.entitled

    @property
    def outside_kit(self) -> bool:
        """Held or registered to them, but not in what their kit gives them."""
        return self.entitled == 0

    @property
    def missing(self) -> int:
        return max(0, self.entitlement - len(self.held))

    @property
    def complete(self) -> bool:
        return len(self.held) >= self.entitlement

    @property
    def own_in_stock(self) -> list[Piece]:
        return [g for g in self.own if g.status == Status.IN_STOCK.value]

    @property
    def own_away(self) -> list[Piece]:
        """Their own pieces that are neither with them nor ready in stock."""
        return [g for g in self.own if g.status != Status.IN_STOCK.value and g.holder_id != self.employee_id]

    @property
    def where_counts(self) -> list[tuple[str, int]]:
        return where_counts(self.own_away)

    @property
    def offers_spare(self) -> bool:
        """Their own cannot be issued (none in stock) and they are still entitled to one."""
        return not self.complete and not self.own_in_stock

    @property
    def checklist(self) -> list[bool]:
        """✓ per held piece, ☐ per missing one (the kit's checklist)."""
        return [True] * min(len(self.held), self.entitlement) + [False] * self.missing


def where_counts(garments: list) -> list[tuple[str, int]]:
    counts = Counter(g.status for g in garments)
    return [(status, counts[status]) for status in _WHERE_ORDER if counts[status]]


def where_text(counts: list[tuple[str, int]], gettext: Gettext = english) -> str:
    """"1 in the wash, 1 at the tailor" in the user's language."""
    return gettext(N_(", ")).join(
        gettext(N_("%(count)s %(where)s"), count=n, where=gettext(WHERE[status])) for status, n in counts)


@dataclass
class StockLine:
    """A stock item of the person's kit (shoes, socks, 头花): how many, in which size, how many given."""

    code: str
    quantity: int
    size: str
    #: The item in their size (its code, size, kind and names; None: no such size in the stock room).
    item: Row | None
    #: Any size of the item, for its name when their size is missing.
    named: Row
    given: int = 0

    @property
    def missing(self) -> int:
        return max(0, self.quantity - self.given)

    @property
    def complete(self) -> bool:
        return self.given >= self.quantity


@dataclass
class Panel:
    employee: Employee
    lines: list[TypeLine]
    kit: kits.Kit | None = None
    stock: list[StockLine] = field(default_factory=list)

    @property
    def kit_complete(self) -> bool:
        return all(line.complete for line in self.lines) and all(line.complete for line in self.stock)

    @property
    def missing(self) -> int:
        return sum(line.missing for line in self.lines) + sum(line.missing for line in self.stock)


_items, _movements = StockItem.__table__, StockMovement.__table__
#: The sizes in use of the kit's stock items (each statement built once, bound per call).
_KIT_ITEMS = (select(_items.c.code, _items.c.size, _items.c.kind, _items.c.name_zh, _items.c.name_en)
              .where(_items.c.code.in_(bindparam("codes", expanding=True)), _items.c.active.is_(True),
                     scope.of_property(_items))
              .order_by(_items.c.code, _items.c.size))
#: What the person was given of each (issued less returned: the deltas are negative).
_GIVEN = (select(_items.c.code, func.sum(_movements.c.delta))
          .join_from(_movements, _items, _items.c.id == _movements.c.item_id)
          .where(_movements.c.employee_id == bindparam("employee_id"),
                 _items.c.code.in_(bindparam("codes", expanding=True)),
                 _movements.c.reason.in_(("issued", "returned")), scope.of_property(_movements))
          .group_by(_items.c.code))


def stock_lines(session: Session, employee: Employee, kit: kits.Kit) -> list[StockLine]:
    """The kit's stock items in the person's sizes, with how many they were given (less returns)."""
    if not kit.stock:
        return []
    codes = sorted(kit.stock)
    rows = plain_read(session, _KIT_ITEMS, {"codes": codes}).all()
    given = dict(plain_read(session, _GIVEN, {"employee_id": employee.id, "codes": codes}).all())
    out = []
    for code, quantity in kit.stock.items():
        of_code = [row for row in rows if row.code == code]
        if not of_code:
            continue  # an item no longer kept: nothing to give
        item = kits.size_row(employee, of_code)
        size = item.size if item is not None else kits.person_size(employee, of_code[0].kind)
        out.append(StockLine(code, quantity, size, item, of_code[0], max(0, -(given.get(code) or 0))))
    return sorted(out, key=lambda line: line.code)


def _wanted_size(employee: Employee, own: list) -> str:
    """The size a spare must have: that of their own pieces of the type, else theirs."""
    sizes = Counter(g.size for g in own if g.size)
    if sizes:
        return sizes.most_common(1)[0][0]
    return employee.size or ""


# What the panel reads, once per request: plain columns, each statement built once and bound per call.
_garments, _types = Garment.__table__, GarmentType.__table__
_TYPE_FACTS = (_types.c.code, _types.c.name_zh, _types.c.name_en, _types.c.entitlement, _types.c.active)
#: The person's garments (with them, or theirs wherever they are) by tag, each with its type's facts.
_PIECES = (select(_garments.c.tag, _garments.c.status, _garments.c.size, _garments.c.holder_id,
                  _garments.c.owner_id, _garments.c.type_id, *_TYPE_FACTS)
           .join_from(_garments, _types, _garments.c.type_id == _types.c.id)
           .where(or_(_garments.c.holder_id == bindparam("employee_id"),
                      _garments.c.owner_id == bindparam("employee_id")),
                  _garments.c.status != Status.WRITTEN_OFF.value, scope.of_property(_garments))
           .order_by(_garments.c.tag))
_TYPES = select(_types.c.id.label("type_id"), *_TYPE_FACTS).where(_types.c.id.in_(bindparam("type_ids", expanding=True)))
_SPARES = (select(_garments.c.type_id, _garments.c.size, func.count())
           .where(_garments.c.status == Status.IN_STOCK.value, _garments.c.owner_id.is_(None),
                  _garments.c.type_id.in_(bindparam("type_ids", expanding=True)), scope.of_property(_garments))
           .group_by(_garments.c.type_id, _garments.c.size))


def _type_facts(row) -> TypeFacts:
    return TypeFacts(row.type_id, row.code, row.name_zh, row.name_en, row.entitlement, row.active)


def employee_panel(session: Session, employee: Employee, *, whole_set: bool = False,
                   kit: kits.Kit | None = None) -> Panel:
    """Per garment type of theirs: what they hold against their kit (:func:`kiosk.kits.services.kit_for`,
    or ``kit`` when the request has read it already), where their own pieces are, and the spares in
    stock of their size.

    A position with a kit lists exactly the kit's types (and any other type
    they still hold, marked as outside the kit). Without one, ``whole_set``
    (the new-hire kit) lists every type with an entitlement, registered to
    them or not; the counter lists the types registered to them. The kit's
    stock items (shoes, socks) are the new-hire kit's: only ``whole_set`` lists them.
    """
    kit = kit or kits.kit_for(session, employee)
    types: dict[int, TypeFacts] = {}
    pieces: list[tuple[int, Piece]] = []
    for row in plain_read(session, _PIECES, {"employee_id": employee.id}):
        pieces.append((row.type_id, Piece(row.tag, row.status, row.size, row.holder_id, row.owner_id)))
        if row.type_id not in types:
            types[row.type_id] = _type_facts(row)
    # A person's uniform is what is registered to them (a chef gets no security
    # uniform); someone with nothing registered yet (a new hire) sees every
    # type they could be entitled to (the fallback kit's).
    listed = list(kit.garments) if kit.from_position or whole_set or not pieces else []
    unread = [type_id for type_id in listed if type_id not in types]
    if unread:
        types.update((row.type_id, _type_facts(row)) for row in plain_read(session, _TYPES, {"type_ids": unread}))
    lines = {type_id: TypeLine(types[type_id], employee.id, kit.entitlement(types[type_id]))
             for type_id in listed if type_id in types}
    for type_id, piece in pieces:
        line = lines.get(type_id)
        if line is None:
            line = lines[type_id] = TypeLine(types[type_id], employee.id, kit.entitlement(types[type_id]))
        if piece.holder_id == employee.id and piece.status in HELD:
            line.held.append(piece)
        if piece.owner_id == employee.id:
            line.own.append(piece)
    for line in lines.values():
        line.size = _wanted_size(employee, line.own)
    _count_spares(session, [line for line in lines.values() if line.offers_spare])
    ordered = sorted(lines.values(), key=lambda l: (l.entitlement == 0, l.garment_type.code))
    return Panel(employee, ordered, kit=kit, stock=stock_lines(session, employee, kit) if whole_set else [])


def _count_spares(session: Session, lines: list[TypeLine]) -> None:
    if not lines:
        return
    rows = plain_read(session, _SPARES, {"type_ids": sorted({line.garment_type.id for line in lines})}).all()
    for line in lines:
        line.spares_in_stock = sum(n for type_id, size, n in rows
                                   if type_id == line.garment_type.id and (not line.size or size == line.size))


# --- one scan for one person -----------------------------------------------------

_OWN_OF_TYPE = (select(_garments.c.tag, _garments.c.number, _garments.c.status, _garments.c.size,
                       _garments.c.holder_id)
                .where(_garments.c.owner_id == bindparam("employee_id"), _garments.c.type_id == bindparam("type_id"),
                       _garments.c.status != Status.WRITTEN_OFF.value, scope.of_property(_garments))
                .order_by(_garments.c.tag))


def _own_of_type(session: Session, employee: Employee, type_id: int) -> list:
    """Their own garments of the type (tag, number, status, size, holder), by tag."""
    return plain_read(session, _OWN_OF_TYPE, {"employee_id": employee.id, "type_id": type_id}).all()


def _number_of(garment) -> str:
    return f"{garment.tag} ({garment.number})" if garment.number else garment.tag


class ExchangeRules:
    """The station's rule for :func:`scan_move` (its ``check``): called with the
    garment just before the state machine; it raises a DomainError to refuse.

    The rule also fills in the spare's reason, which becomes the event's note.
    """

    def __init__(self, session: Session, employee: Employee, *, kit: bool = False,
                 allow_return: bool = True) -> None:
        self.session = session
        self.employee = employee
        self.kit = kit
        self.allow_return = allow_return
        self.spare_reason: DomainError | None = None
        #: The person's kit (what they may hold), once a give has read it: their panel shows it again.
        self.person_kit: kits.Kit | None = None

    def action_for(self, garment: Garment | None) -> Action:
        if garment is not None and garment.holder_id == self.employee.id and garment.status in HELD:
            return Action.CHECK_IN
        if garment is not None and garment.owner_id is None:
            return Action.ISSUE_SPARE
        return Action.ISSUE

    def __call__(self, garment: Garment) -> None:
        action = self.action_for(garment)
        if action is Action.CHECK_IN:
            if not self.allow_return:
                raise DomainError(N_("%(tag)s is already with %(name)s."), tag=garment.tag,
                                  name=self.employee.name)
            return
        if garment.owner_id is not None and garment.owner_id != self.employee.id:
            owner = garment.owner
            raise DomainError(N_("%(tag)s belongs to %(owner)s (%(staff_no)s), not to %(name)s."),
                              tag=garment.tag, owner=owner.name, staff_no=owner.staff_no,
                              name=self.employee.name)
        if garment.status != Status.IN_STOCK.value:
            return  # the state machine says where it is ("in the wash")
        self.person_kit = self.person_kit or kits.kit_for(self.session, self.employee)
        kits.hold(self.session, self.employee, garment.garment_type, kit=self.person_kit)
        if action is Action.ISSUE_SPARE:
            self.spare_reason = self._spare_allowed(garment)

    def preview_spare_reason(self, spare: Garment) -> DomainError | None:
        """The reason a spare would go out with, or None when it would be refused."""
        try:
            return self._spare_allowed(spare)
        except DomainError:
            return None

    def _spare_allowed(self, spare: Garment) -> DomainError:
        """Why a spare may go out (their own cannot), or raise why it may not."""
        own = _own_of_type(self.session, self.employee, spare.type_id)
        in_stock = [g for g in own if g.status == Status.IN_STOCK.value]
        if in_stock:
            raise DomainError(N_("Their own garment of this type is in stock (%(tags)s): issue that one, "
                                 "not a spare."), tags=", ".join(_number_of(g) for g in in_stock))
        # Their own pieces say their size for this type; the person's one
        # recorded size may be of another scale (shoes), so it only guides the panel.
        wanted = _wanted_size(self.employee, own) if own else ""
        if wanted and spare.size and spare.size != wanted:
            raise DomainError(N_("This spare is size %(size)s; %(name)s needs size %(wanted)s."),
                              size=spare.size, name=self.employee.name, wanted=wanted)
        away = [g for g in own if g.holder_id != self.employee.id]
        if not own:
            if self.kit:
                return DomainError(N_("New hire, own not yet made."))
            return DomainError(N_("No own garment of this type yet."))
        if not away:
            return DomainError(N_("All own garments of this type are already with them."))
        return SpareReason(where_counts(away))


class SpareReason(DomainError):
    """"Own garments: 1 in the wash, 1 at the tailor" — a list of Labels, so it
    is composed in the user's language by :meth:`translated`."""

    def __init__(self, counts: list[tuple[str, int]]) -> None:
        super().__init__(N_("Own garments: %(where)s."), where=where_text(counts))
        self.counts = counts

    def translated(self, gettext) -> str:
        return gettext(self.message, where=where_text(self.counts, gettext))


@dataclass
class IssueScan:
    """A scan at the counter: the engine's result, what it meant, and why a spare went out."""

    result: ScanResult
    action: Action | None = None
    spare_reason: DomainError | None = None
    switched_to: people.Identified | None = None
    #: The kit of the person scanned for, when the scan read it (for their panel).
    person_kit: kits.Kit | None = None

    @property
    def returned(self) -> bool:
        return self.result.ok and self.action is Action.CHECK_IN


def scan_for_employee(session: Session, employee: Employee | None, raw_code: str, *, user: User | None,
                      station: str = STATION, reason: str = "", kit: bool = False,
                      duplicate_seconds: int = 10, gettext: Gettext = english,
                      now: dt.datetime | None = None, meta: ScanMeta | None = None) -> IssueScan:
    """One scan for ``employee``: dirty in (→ ``dirty``), own clean out (→ ``issued``),
    or a spare out (→ ``spare_issued``, the reason in the event's note).

    A code that is no garment but somebody's badge or 工号 brings that person
    to the counter instead (``IssueScan.switched_to``): the next in the queue
    is served by scanning their badge into the same field.
    ``kit`` (the new-hire kit) refuses hand-ins and words a spare's reason for
    a new hire. ``gettext`` puts the note in the clerk's language.
    """
    code, garment = find_garment(session, raw_code)
    if garment is None:
        # Only badge and 工号: a uniform no. typed here is more likely a garment's number.
        person = people.find_by_code(session, raw_code, columns=("badge", "staff_no"))
        if person is not None:
            found = people.identified(person, giving=True, query=code)
            result = ScanResult(OK if found.employee else ERROR, code, error=found.error)
            return IssueScan(result, switched_to=found)
    if employee is None:
        return IssueScan(ScanResult(ERROR, code, error=DomainError(people.IDENTIFY_FIRST)))
    if (refused := people.leaver_refusal(employee)) is not None:
        return IssueScan(ScanResult(ERROR, code, error=refused))
    rules = ExchangeRules(session, employee, kit=kit, allow_return=not kit)
    action = rules.action_for(garment)
    note = reason.strip()
    if action is Action.ISSUE_SPARE and garment is not None:
        # The note is written with the move, so the reason is worked out first;
        # the same rules run again as the engine's check and refuse if need be.
        why = rules.preview_spare_reason(garment)
        if why is not None:
            note = f"{why.translated(gettext)} {note}".strip()
    result = scan_move(session, raw_code, action, station=station, user=user, employee=employee,
                       note=note[:NOTE_MAX],
                       duplicate_seconds=duplicate_seconds, check=rules, now=now,
                       found=(code, garment), meta=meta)
    return IssueScan(result, action, rules.spare_reason if result.ok else None, person_kit=rules.person_kit)


def give_kit_stock(session: Session, employee: Employee, code: str, *, user: User | None,
                   request_key: str | None, language: str = "zh_CN", note: str = ""):
    """Issue what the kit still owes of stock item ``code``, in the person's size (once per request key).

    Refused when the code is not in their kit, when nothing is owed, or when
    their size is not kept; the stock room's own rules (never below zero)
    apply through :func:`kiosk.stock.services.issue`.
    """
    people.refuse_leaver(employee)
    kits.lock_person(session, employee)  # two taps at once: the second counts after the first
    kit = kits.kit_for(session, employee)
    line = next((l for l in stock_lines(session, employee, kit) if l.code == code), None)
    if line is None:
        raise DomainError(N_("This item is not in the kit of %(name)s."), name=employee.name)
    if line.item is None:
        raise DomainError(N_("%(item)s has no size %(size)s: choose the size."),
                          item=local_name(line.named, language), size=line.size or "—")
    if line.complete:
        raise DomainError(N_("%(name)s already has this item of the kit."), name=employee.name)
    moved = stock_services.issue(session, employee=employee, code=code, size=line.item.size,
                                 quantity=line.missing, note=note, user=user, request_key=request_key,
                                 language=language)
    return moved.movement
