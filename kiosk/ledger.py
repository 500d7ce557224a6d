"""The one way a garment changes: through the state machine, into the ledger.

Every workflow (registry, import, and the stations to come) calls
:func:`register_garment` or :func:`move` so that each change is an event
with the user, the station and the time, and the facts of that moment
(the owner's department, the garment's price) are copied onto the event.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from .domain.garment_states import Action, Status, next_status
from .models import Employee, Event, Garment, GarmentType, User, utcnow

REGISTER = "register"


def _event(garment: Garment, action: str, from_status: str | None, to_status: str, *,
           user: User | None, station: str, employee: Employee | None = None,
           defects: str = "", note: str = "", request_key: str | None = None,
           at: dt.datetime | None = None) -> Event:
    person = employee or garment.owner
    return Event(
        garment=garment,
        action=action,
        from_status=from_status,
        to_status=to_status,
        user=user,
        station=station,
        employee=person,
        department_id=person.department_id if person else None,
        unit_cost=garment.cost,
        defects=defects,
        note=note,
        request_key=request_key,
        created_at=at or utcnow(),
    )


def register_garment(session: Session, *, tag: str, garment_type: GarmentType, size: str = "",
                     owner: Employee | None = None, number: str | None = None,
                     purchased_on: dt.date | None = None, cost: Decimal | None = None,
                     user: User | None = None, station: str = "registry",
                     note: str = "", request_key: str | None = None) -> Garment:
    """A new garment enters the stock, clean and in its slot.

    ``request_key`` marks the registering event so that a repeated request
    (double tap, retry) can be recognised and lands once.
    """
    garment = Garment(
        tag=tag,
        garment_type=garment_type,
        size=size,
        owner=owner,
        number=number if number is not None else (owner.uniform_no if owner else None),
        status=Status.IN_STOCK.value,
        wash_count=0,
        repair_count=0,
        purchased_on=purchased_on,
        cost=cost if cost is not None else garment_type.unit_cost,
    )
    session.add(garment)
    session.add(_event(garment, REGISTER, None, Status.IN_STOCK.value, user=user,
                       station=station, note=note, request_key=request_key))
    return garment


def move(session: Session, garment: Garment, action: Action | str, *, user: User | None,
         station: str, employee: Employee | None = None, defects: str = "", note: str = "",
         request_key: str | None = None) -> Event:
    """Apply ``action`` to ``garment`` or raise TransitionRefused (nothing changes)."""
    action = Action(action)
    target = next_status(garment.status, action)
    event = _event(garment, action.value, garment.status, target.value, user=user,
                   station=station, employee=employee, defects=defects, note=note,
                   request_key=request_key)
    garment.status = target.value
    if action is Action.WASH or (action is Action.IRON and event.from_status == Status.DIRTY.value):
        garment.wash_count += 1
    if action is Action.FROM_TAILOR:
        garment.repair_count += 1
    session.add(event)
    return event


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
