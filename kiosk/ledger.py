"""The one way a garment changes: through the state machine, into the ledger.

Every workflow (registry, import, and the stations to come) calls
:func:`register_garment` or :func:`move` so that each change is an event
with the user, the station and the time, and the facts of that moment
(the owner's department, the garment's price) are copied onto the event.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import bindparam, exists, func, insert, inspect, literal, select, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.session import make_transient_to_detached

from . import scope
from .database import plain_read, run_core
from .domain.errors import DomainError, N_
from .domain.garment_states import Action, Status, next_status, status_label
from .kits import services as kits
from .properties import services as properties
from .models import Employee, Event, Garment, GarmentType, User, utcnow

REGISTER = "register"


def _event_columns(garment: Garment, action: str, from_status: str | None, to_status: str, *,
                   user: User | None, station: str, person: Employee | None, defects: str = "",
                   note: str = "", batch_id: int | None = None, at: dt.datetime | None = None,
                   scanned_at: dt.datetime | None = None) -> dict:
    """The event's columns, the facts of the moment copied (the person's department, the
    garment's price): what :func:`_event` builds its record from and a move writes as its row."""
    return {"property_id": garment.property_id, "garment_id": garment.id, "action": action,
            "from_status": from_status, "to_status": to_status,
            "user_id": user.id if user is not None else None, "station": station,
            "employee_id": person.id if person is not None else None,
            "department_id": person.department_id if person else None, "unit_cost": garment.cost,
            "defects": defects, "note": note, "reverses_event_id": None, "batch_id": batch_id,
            "created_at": at or utcnow(), "scanned_at": scanned_at}


def _event(garment: Garment, action: str, from_status: str | None, to_status: str, *,
           user: User | None, station: str, employee: Employee | None = None, **facts) -> Event:
    person = employee or garment.holder or garment.owner
    return Event(garment=garment, user=user, employee=person,
                 **_event_columns(garment, action, from_status, to_status, user=user, station=station,
                                  person=person, **facts))


def register_garment(session: Session, *, tag: str, garment_type: GarmentType, size: str = "",
                     owner: Employee | None = None, number: str | None = None,
                     purchased_on: dt.date | None = None, cost: Decimal | None = None,
                     user: User | None = None, station: str = "registry",
                     note: str = "", at: dt.datetime | None = None) -> Garment:
    """A new garment enters the stock, clean and in its slot.

    ``at`` backdates it (demo data, imports of an existing stock).
    """
    at = at or utcnow()
    garment = Garment(
        tag=tag,
        garment_type=garment_type,
        size=size,
        owner=owner,
        number=number if number is not None else (owner.uniform_no if owner else None),
        status=Status.IN_STOCK.value,
        wash_count=0,
        repair_count=0,
        defects="",
        awaiting_slot=False,
        status_since=at,
        created_at=at,
        purchased_on=purchased_on,
        cost=cost if cost is not None else properties.type_price(session, garment_type),
    )
    session.add(garment)
    session.add(_event(garment, REGISTER, None, Status.IN_STOCK.value, user=user,
                       station=station, note=note, at=at))
    return garment


# Moves that hand a garment to a person: the holder is who has it now.
_HANDED_OUT = {Status.ISSUED.value, Status.SPARE_ISSUED.value, Status.LOANED.value}


def _counts_a_wash(action: Action, from_status: str) -> bool:
    return action is Action.WASH or (action is Action.IRON and from_status == Status.DIRTY.value)


def move(session: Session, garment: Garment, action: Action | str, *, user: User | None,
         station: str, employee: Employee | None = None, defects: str = "", note: str = "",
         batch_id: int | None = None, at: dt.datetime | None = None,
         scanned_at: dt.datetime | None = None) -> Event:
    """Apply ``action`` to ``garment`` or raise TransitionRefused (nothing changes).

    ``employee`` is the person the garment goes to or comes from (the wearer
    of a spare, a borrower on the registry); it defaults to who holds it, then
    its owner, and their department is copied onto the event.

    A stored garment is moved at once, in two statements built once (:func:`_write_move`):
    the garment's row, only if its version is still the one read (else StaleDataError:
    another tablet moved it, and nothing is written), then the event. A garment not yet
    stored (registered in the same transaction) goes with the session's next flush.
    """
    action = Action(action)
    if action is Action.TRANSFER_IN:
        raise ValueError("a transfer is received through receive_transfer: the garment changes property")
    target = next_status(garment.status, action).value
    person = employee or garment.holder or garment.owner
    columns = _event_columns(garment, action.value, garment.status, target, user=user, station=station,
                             person=person, defects=defects, note=note, batch_id=batch_id, at=at,
                             scanned_at=scanned_at)
    if action is Action.LOAN:
        # The borrower holds it: an employee, or nobody on the staff (a visitor's loan
        # of someone's own garment is not one its owner holds).
        holder = employee
    elif target in _HANDED_OUT:
        holder = employee or garment.owner
    else:
        holder = None
    if action is Action.PASS:
        new_defects = ""
    elif defects:
        new_defects = _merge_defects(garment.defects, defects)
    else:
        new_defects = garment.defects
    moved = {
        "status": target,
        "holder": holder,
        "awaiting_slot": action is Action.PASS,
        "defects": new_defects,
        "wash_count": garment.wash_count + (1 if _counts_a_wash(action, garment.status) else 0),
        "repair_count": garment.repair_count + (1 if action is Action.FROM_TAILOR else 0),
        "status_since": columns["created_at"],
    }
    if inspect(garment).persistent:
        return _write_move(session, garment, moved, columns, user=user, person=person)
    for name, value in moved.items():
        setattr(garment, name, value)
    event = Event(garment=garment, user=user, employee=person, **columns)
    session.add(event)
    return event


_garments, _events = Garment.__table__, Event.__table__
#: The columns a move changes (besides its version and ``updated_at``).
_MOVED = ("status", "holder_id", "awaiting_slot", "defects", "wash_count", "repair_count", "status_since")
_UPDATE_MOVED = (update(_garments)
                 .where(_garments.c.id == bindparam("garment_id"), _garments.c.version == bindparam("read_version"),
                        scope.of_property(_garments))
                 .values({**{name: bindparam(f"new_{name}") for name in _MOVED},
                          "version": bindparam("new_version"), "updated_at": bindparam("new_updated_at")}))
_EVENT_COLUMNS = tuple(c.name for c in _events.columns if c.name != "id")
_INSERT_EVENT = (insert(_events).values({name: bindparam(f"new_{name}") for name in _EVENT_COLUMNS})
                 .returning(_events.c.id))


def _write_move(session: Session, garment: Garment, moved: dict, columns: dict, *,
                user: User | None, person: Employee | None) -> Event:
    """Store a move of a stored garment without the unit of work: its row where the version
    still matches, then the event (``columns``); the objects are then as a fresh load would give them.

    The event's record is made once it is stored, without its garment (which would put it in the
    session to be flushed again); its relationships are then set as loaded.
    """
    session.flush()  # anything pending first: the version compared below is the stored one
    holder = moved.pop("holder")
    values = {**moved, "holder_id": holder.id if holder is not None else None}
    now = utcnow()
    version = garment.version + 1
    changed = run_core(session, _UPDATE_MOVED, {
        "garment_id": garment.id, "read_version": garment.version, "new_version": version, "new_updated_at": now,
        **{f"new_{name}": values[name] for name in _MOVED}})
    if changed.rowcount != 1:
        raise StaleDataError(f"garment {garment.id} was moved since version {garment.version} was read")
    return _store_event(session, garment, columns, {**values, "version": version, "updated_at": now, "holder": holder},
                        user=user, person=person)


def _store_event(session: Session, garment: Garment, columns: dict, moved: dict, *, user: User | None,
                 person: Employee | None) -> Event:
    """The event of a move whose garment row was just written (``moved``: its new values, set on
    the object as a fresh load would give them); its record is made once stored, its
    relationships set as loaded (it is never flushed again)."""
    event_id = run_core(session, _INSERT_EVENT, {f"new_{name}": value for name, value in columns.items()}).scalar_one()
    for name, value in moved.items():
        set_committed_value(garment, name, value)
    stored = Event(id=event_id, **columns)
    make_transient_to_detached(stored)
    session.add(stored)
    for name, value in (("garment", garment), ("user", user), ("employee", person)):
        set_committed_value(stored, name, value)
    return stored


#: The receiver takes the garment: its row becomes the receiving property's, in its spare pool (no
#: owner, holder or number of the sender's), only if it is still the version read and still on its
#: way from the sender.
_RECEIVE = scope.reached_through(
    update(_garments)
    .where(_garments.c.id == bindparam("garment_id"), _garments.c.version == bindparam("read_version"),
           _garments.c.property_id == bindparam("from_property"),
           _garments.c.status == Status.IN_TRANSIT.value)
    .values(property_id=bindparam("to_property"), status=Status.IN_STOCK.value, owner_id=None, holder_id=None,
            number=None, awaiting_slot=False, status_since=bindparam("new_status_since"),
            version=bindparam("new_version"), updated_at=bindparam("new_updated_at")),
    "a garment on a transfer addressed to the session's property (kiosk.transfers.services.incoming)")


def receive_transfer(session: Session, garment: Garment, *, to_property_id: int, user: User | None,
                     station: str, note: str = "", at: dt.datetime | None = None,
                     scanned_at: dt.datetime | None = None) -> Event:
    """The receiving property scans in a garment on its way to it (``transfer_in``).

    Its row is handed to ``to_property_id`` first, cleared of the sender's owner, holder and
    number (it arrives in the receiver's spare pool), then the event is written at the receiver.
    The version lock holds as for every move: a second scan of the same garment finds it moved
    (StaleDataError) and writes nothing. Refused (TransitionRefused) unless it is in transit.
    """
    target = next_status(garment.status, Action.TRANSFER_IN).value
    session.flush()
    now = utcnow()
    version = garment.version + 1
    columns = _event_columns(garment, Action.TRANSFER_IN.value, garment.status, target, user=user, station=station,
                             person=None, note=note, at=at, scanned_at=scanned_at)
    columns["property_id"] = to_property_id
    changed = run_core(session, _RECEIVE, {
        "garment_id": garment.id, "read_version": garment.version, "from_property": garment.property_id,
        "to_property": to_property_id, "new_status_since": columns["created_at"], "new_version": version,
        "new_updated_at": now})
    if changed.rowcount != 1:
        raise StaleDataError(f"garment {garment.id} was moved since version {garment.version} was read")
    return _store_event(session, garment, columns, {
        "property_id": to_property_id, "status": target, "owner_id": None, "owner": None, "holder_id": None,
        "holder": None, "number": None, "awaiting_slot": False, "status_since": columns["created_at"],
        "version": version, "updated_at": now}, user=user, person=None)


#: Moves :func:`move_many` may apply: nothing per garment but its status (no wash or repair
#: counted, no holder given, no defects, nothing for its slot).
_PLAIN_MOVES = frozenset({Action.MARK_MISSING})


def move_many(session: Session, garments: Iterable[tuple[int, str]], action: Action | str, *,
              user: User | None, station: str, note: str = "", at: dt.datetime) -> int:
    """:func:`move` for many garments at once, in two statements, as a stocktake close needs.

    ``garments`` are (id, status) pairs the caller has read and locked (under SQLite's write
    lock, or ``FOR UPDATE`` on PostgreSQL): every status is checked by the state machine first,
    and any refusal raises TransitionRefused before anything is written. Each garment gets the
    event :func:`move` would write (the person is its holder, else its owner, with their
    department and the garment's price copied), and its row the same change: the new status
    since ``at``, nobody holding it, not waiting for its slot, its version one up (a tablet
    that read it before is told it moved meanwhile). Only for :data:`_PLAIN_MOVES`.
    """
    action = Action(action)
    if action not in _PLAIN_MOVES:
        raise ValueError(f"not a plain move: {action.value}")
    pairs = list(garments)
    if not pairs:
        return 0
    (target,) = {next_status(status, action).value for _id, status in pairs}  # a plain move has one
    ids = [garment_id for garment_id, _status in pairs]
    g, person = Garment.__table__, Employee.__table__
    here = g.c.property_id == scope.required(session)
    who = func.coalesce(g.c.holder_id, g.c.owner_id)
    session.execute(insert(Event.__table__).from_select(
        ["property_id", "garment_id", "action", "from_status", "to_status", "user_id", "station", "employee_id",
         "department_id", "unit_cost", "defects", "note", "created_at"],
        select(g.c.property_id, g.c.id, literal(action.value), g.c.status, literal(target),
               literal(user.id if user else None), literal(station), who, person.c.department_id,
               g.c.cost, literal(""), literal(note), literal(at, Event.__table__.c.created_at.type))
        .select_from(g.outerjoin(person, person.c.id == who)).where(g.c.id.in_(ids), here)))
    session.execute(update(g).where(g.c.id.in_(ids), here).values(
        status=target, holder_id=None, awaiting_slot=False, status_since=at,
        version=g.c.version + 1, updated_at=utcnow()))
    return len(ids)


def _merge_defects(current: str, added: str) -> str:
    codes = [c for c in current.split(",") if c]
    codes += [c for c in added.split(",") if c and c not in codes]
    return ",".join(codes)


FLAG = "flag"    # a defect reported (ironer, inspector); the status stays
SLOT = "slot"    # a passed garment put into its numbered slot (配入)
UNDO = "undo"    # compensates an earlier event; nothing is ever deleted


def flag_defects(session: Session, garment: Garment, defects: str, *, user: User | None,
                 station: str, note: str = "", at: dt.datetime | None = None) -> Event:
    """Record defects on a garment without moving it; the inspector sees them."""
    event = _event(garment, FLAG, garment.status, garment.status, user=user, station=station,
                   defects=defects, note=note, at=at)
    garment.defects = _merge_defects(garment.defects, defects)
    session.add(event)
    return event


def slot(session: Session, garment: Garment, *, user: User | None, station: str,
         at: dt.datetime | None = None) -> Event:
    """Confirm a passed garment is in its numbered slot."""
    if garment.status != Status.IN_STOCK.value:
        raise DomainError(N_("Only a clean garment in stock goes into a slot; this one: %(status)s."),
                          status=status_label(garment.status))
    event = _event(garment, SLOT, garment.status, garment.status, user=user, station=station, at=at)
    garment.awaiting_slot = False
    session.add(event)
    return event


def not_undone(event=Event):
    """SQL condition: no later event compensates ``event`` (an Event or an alias of it)."""
    undo_event = aliased(Event)
    return ~exists().where(undo_event.reverses_event_id == event.id)


#: A garment's events, latest first (two at the same microsecond: the later written first).
_LATEST_FIRST = (_events.c.created_at.desc(), _events.c.id.desc())
_LAST_EVENT = select(Event).where(Event.garment_id == bindparam("garment_id")).order_by(*_LATEST_FIRST).limit(1)
_LATEST_MOVE = scope.reached_through(
    select(_events.c.id, _events.c.station, _events.c.action, _events.c.user_id, _events.c.created_at)
    .where(_events.c.garment_id == bindparam("garment_id")).order_by(*_LATEST_FIRST).limit(1),
    "a garment of the property: its history, wherever it was")


def last_event(session: Session, garment: Garment) -> Event | None:
    return session.scalar(_LAST_EVENT, {"garment_id": garment.id})


def latest_move(session: Session, garment_id: int):
    """The garment's latest event as a row (id, station, action, user_id, created_at), or None:
    what a scan asks of it at every scan (is this a repeat?), without loading the event."""
    return plain_read(session, _LATEST_MOVE, {"garment_id": garment_id}).first()


_TRANSFER_ACTIONS = {Action.TRANSFER_OUT.value, Action.TRANSFER_IN.value, Action.TRANSFER_CANCEL.value}


def undo(session: Session, event: Event, *, user: User | None, station: str) -> Event:
    """Write the event that compensates ``event``; refuse when it no longer can.

    Only the garment's latest event can be undone (anything later was built
    on it), and only once.
    """
    garment = event.garment
    if event.action in (UNDO, REGISTER) or event.reverses_event_id is not None:
        raise DomainError(N_("This scan cannot be undone."))
    if event.action in _TRANSFER_ACTIONS:
        raise DomainError(N_("A transfer is not undone: cancel it on its transfer slip."))
    if session.scalar(select(Event.id).where(Event.reverses_event_id == event.id)):
        raise DomainError(N_("This scan was already undone."))
    latest = last_event(session, garment)
    if latest is None or latest.id != event.id or garment.status != event.to_status:
        raise DomainError(N_("%(tag)s has moved on since; undo is no longer possible."), tag=garment.tag)
    if (event.action in {a.value for a in Action} and event.from_status in _HANDED_OUT
            and event.employee is not None):
        # Undoing a check-in or a return gives the garment back to the person:
        # it holds their entitlement like any other give (they may have been
        # issued a clean one since).
        kits.hold(session, event.employee, garment.garment_type, give=kits.UNDO)
    previous = session.scalar(select(Event).where(Event.garment_id == garment.id, Event.id != event.id,
                                                  Event.created_at <= event.created_at)
                              .order_by(Event.created_at.desc(), Event.id.desc()).limit(1))
    compensation = _event(garment, UNDO, event.to_status, event.from_status, user=user,
                          station=station, employee=event.employee, note=event.action)
    compensation.reverses_event_id = event.id
    if event.action in {a.value for a in Action}:
        action = Action(event.action)
        if _counts_a_wash(action, event.from_status):
            garment.wash_count -= 1
        if action is Action.FROM_TAILOR:
            garment.repair_count -= 1
        garment.holder = event.employee if event.from_status in _HANDED_OUT else None
        garment.awaiting_slot = previous is not None and previous.action == Action.PASS.value
        garment.status = event.from_status
        garment.status_since = previous.created_at if previous else garment.created_at
    elif event.action == SLOT:
        garment.awaiting_slot = True
    elif event.action == FLAG:
        flagged = set(event.defects.split(","))
        garment.defects = ",".join(c for c in garment.defects.split(",") if c and c not in flagged)
    session.add(compensation)
    return compensation


CORRECT = "correct"
_CORRECTABLE = ("size", "cost", "purchased_on")


def correct_garment(session: Session, garment: Garment, *, user: User | None, station: str,
                    note: str = "", **changes) -> Event:
    """Correct recorded facts of a garment (size, cost, purchase date), not its status.

    A typo fixed in the stock sheet is still a change to the garment, so it is
    an event like any other: the status stays, the note says what was what.
    """
    unknown = set(changes) - set(_CORRECTABLE)
    if unknown:
        raise ValueError(f"not correctable: {', '.join(sorted(unknown))}")
    what = "; ".join(f"{name}: {getattr(garment, name)} -> {value}" for name, value in changes.items())
    for name, value in changes.items():
        setattr(garment, name, value)
    event = _event(garment, CORRECT, garment.status, garment.status, user=user, station=station,
                   note=f"{note} ({what})" if note else what)
    session.add(event)
    return event
