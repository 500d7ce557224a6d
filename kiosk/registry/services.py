"""Registry work on the database: people, garment types, garments.

Services take the session and plain values, never ``request`` or ``g``.
A refused command raises :class:`FieldErrors` (each error names the form
field it belongs to, with a translatable message) and writes nothing; the
caller commits.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Sequence

from blinker import Namespace
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from .. import badges, people, scope
from ..domain.codes import TAG_MAX_LENGTH, normalise_code
from ..domain.errors import N_, DomainError
from ..domain.garment_states import Status
from ..ledger import register_garment
from ..models import Department, Employee, Garment, GarmentType, User, utcnow
from ..properties import services as properties
from ..paging import Page, paginate
from ..operators import services as operator_services
from ..operators.services import Actor
from ..request_keys import once, recorded_result, write_lock

PER_PAGE = 25
MAX_BATCH = 200
AUTO_TAG_DIGITS = 6


# --- errors ---------------------------------------------------------------

class FieldError(DomainError):
    """A refused value, tied to the form field the user has to correct."""

    def __init__(self, field_name: str, message: str, **params) -> None:
        super().__init__(message, **params)
        self.field = field_name


class FieldErrors(DomainError):
    """One or more refused values; nothing was written."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = list(errors)


def _refuse_if(errors: list[FieldError]) -> None:
    if errors:
        raise FieldErrors(errors)


# --- departments and employees -------------------------------------------

def list_departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.name)))


def search_employees(session: Session, text: str = "", page: int = 1,
                     per_page: int = PER_PAGE) -> Page[Employee]:
    """People whose name, staff no. (工号) or uniform no. (制服编号) contains ``text``.

    Active people come first; those who left are listed after them.
    """
    query = select(Employee).options(joinedload(Employee.department))
    text = (text or "").strip()
    if text:
        code = normalise_code(text)
        query = query.where(or_(
            Employee.name.icontains(text, autoescape=True),
            Employee.staff_no.contains(code, autoescape=True),
            Employee.uniform_no.contains(code, autoescape=True),
        ))
    query = query.order_by(Employee.active.desc(), Employee.staff_no)
    return paginate(session, query, page, per_page)


@dataclass
class EmployeeData:
    """Values from the employee form, already checked one by one."""

    staff_no: str
    name: str
    department_id: int | None
    new_department: str
    position: str
    phone: str
    kind: str
    uniform_no: str | None
    size: str
    # A badge typed or scanned into the form (the code, not kept); None: keep the badge on record.
    badge: str | None = None
    #: Shoes and socks have their own scales (a kit's stock items are handed out in them).
    shoe_size: str = ""
    sock_size: str = ""


def _other_people(query: Select, employee: Employee | None) -> Select:
    return query.where(Employee.id != employee.id) if employee is not None else query


def _uniqueness_errors(session: Session, data: EmployeeData,
                       employee: Employee | None, actor: Actor) -> list[FieldError]:
    errors: list[FieldError] = []
    other = session.scalar(_other_people(
        select(Employee).where(Employee.staff_no == data.staff_no), employee))
    if other is not None:
        errors.append(FieldError("staff_no", N_("Staff no. %(staff_no)s already belongs to %(name)s."),
                                 staff_no=data.staff_no, name=other.name))
    if data.uniform_no:
        other = session.scalar(_other_people(
            select(Employee).where(Employee.uniform_no == data.uniform_no), employee))
        if other is not None:
            errors.append(FieldError("uniform_no",
                                     N_("Uniform no. %(uniform_no)s already belongs to %(name)s."),
                                     uniform_no=data.uniform_no, name=other.name))
    if data.badge:
        try:
            operator_services.employee_operator(session, actor, employee)
            badges.check_free(session, data.badge, for_employee=employee)
        except DomainError as refused:
            errors.append(FieldError("badge", refused.message, **refused.params))
    return errors


def check_employee(session: Session, data: EmployeeData, employee: Employee | None = None, *,
                   actor: Actor) -> None:
    """Raise FieldErrors when ``data`` clashes with another person or names no department,
    or gives a badge that ``actor`` may not set (the linked operator is above them)."""
    errors = _uniqueness_errors(session, data, employee, actor)
    if not data.new_department and (
            data.department_id is None or session.get(Department, data.department_id) is None):
        errors.append(FieldError("department_id", N_("Choose a department.")))
    _refuse_if(errors)


def save_employee(session: Session, data: EmployeeData,
                  employee: Employee | None = None, *, actor: Actor) -> Employee:
    """Add a person (``employee`` is None) or change one; checks first, then writes.

    A new badge on the record of a linked operator is recorded in their history
    and ends their sign-ins (:func:`kiosk.operators.services.employee_badge_changed`).
    """
    # Every check runs before anything is changed, so an autoflush cannot
    # push a half-made person into the database.
    check_employee(session, data, employee, actor=actor)
    operator = operator_services.employee_operator(session, actor, employee) if data.badge else None
    if data.new_department:
        department = session.scalar(select(Department).where(Department.name == data.new_department))
        if department is None:
            department = Department(name=data.new_department)
            session.add(department)
    else:
        department = session.get(Department, data.department_id)
    if employee is None:
        employee = Employee(staff_no=data.staff_no, active=True)
        session.add(employee)
    employee.staff_no = data.staff_no
    employee.name = data.name
    employee.department = department
    employee.position = data.position
    employee.phone = data.phone
    employee.kind = data.kind
    employee.uniform_no = data.uniform_no or None
    employee.size = data.size
    employee.shoe_size = data.shoe_size
    employee.sock_size = data.sock_size
    if data.badge:  # checked free above; a new scan replaces the badge on record
        badge, before = badges.digest(data.badge), employee.badge_hash
        employee.badge_hash = badge
        if operator is not None and badge != before:
            operator_services.employee_badge_changed(session, actor, operator,
                                                     "replaced" if before else "assigned")
    return employee


def revoke_badge(session: Session, employee: Employee, *, actor: Actor) -> bool:
    """The person's badge no longer names them (lost, or handed back); False when there was none.

    An operator linked to this employee record signs in with the badge no
    longer either (their PIN still works): revoking it is managing them, so it
    is refused when ``actor`` may not (a DomainError), and recorded when done.
    """
    operator = operator_services.employee_operator(session, actor, employee)
    if employee.badge_hash is None:
        return False
    employee.badge_hash = None
    if operator is not None:
        operator_services.employee_badge_changed(session, actor, operator, "revoked")
    return True


def garments_held(session: Session, employee: Employee) -> int:
    """Garments registered to ``employee`` that are not written off."""
    return session.scalar(
        select(func.count()).select_from(Garment).where(
            Garment.owner_id == employee.id, Garment.status != Status.WRITTEN_OFF.value)
    ) or 0


# What follows a person's leaving or coming back belongs to other workflows (their
# clearance, kiosk.clearance): they take part through these signals, in the caller's
# transaction, so the registry imports none of them. ``sender`` is the employee, with
# ``session``, ``user`` (who did it) and ``at``.
_signals = Namespace()
employee_left = _signals.signal("employee-left")
employee_back = _signals.signal("employee-back")


def _set_active(session: Session, employee: Employee, active: bool, left_on: dt.date | None) -> bool:
    """One conditional UPDATE: True only for the request that changed it (two taps, two
    tablets: the person leaves, and their clearance opens, once)."""
    write_lock(session)
    session.flush()
    changed = session.execute(
        update(Employee).where(Employee.id == employee.id, Employee.active.is_(not active))
        .values(active=active, left_on=left_on).execution_options(synchronize_session=False)).rowcount == 1
    session.refresh(employee, ["active", "left_on", "updated_at"])
    return changed


def deactivate_employee(session: Session, employee: Employee, today: dt.date, *,
                        user: User | None = None) -> bool:
    """The person left: kept for the history, shown greyed. Repeating it changes nothing.

    Returns True when this call marked them; then :data:`employee_left` is sent.
    """
    left = _set_active(session, employee, False, today)
    if left:
        employee_left.send(employee, session=session, user=user, at=utcnow())
    return left


def reactivate_employee(session: Session, employee: Employee, *, user: User | None = None) -> bool:
    """The person is back (rehired, or deactivated by mistake); then :data:`employee_back` is sent."""
    back = _set_active(session, employee, True, None)
    if back:
        employee_back.send(employee, session=session, user=user, at=utcnow())
    return back


# --- garment types --------------------------------------------------------

def list_types(session: Session, active_only: bool = False) -> list[GarmentType]:
    query = select(GarmentType).order_by(GarmentType.code)
    if active_only:
        query = query.where(GarmentType.active.is_(True))
    return list(session.scalars(query))


@dataclass
class TypeData:
    code: str
    name_zh: str
    name_en: str
    unit_cost: Decimal
    entitlement: int
    expected_washes: int
    active: bool = True


def check_type(session: Session, data: TypeData, garment_type: GarmentType | None = None) -> None:
    """Raise FieldErrors when another type already has ``data.code``."""
    query = select(GarmentType).where(GarmentType.code == data.code)
    if garment_type is not None:
        query = query.where(GarmentType.id != garment_type.id)
    if session.scalar(query) is not None:
        raise FieldErrors([FieldError("code", N_("Code %(code)s is already used by another type."),
                                      code=data.code)])


def save_type(session: Session, data: TypeData, garment_type: GarmentType | None = None) -> GarmentType:
    """Add a garment type or change one; the code is unique (in the group: the types are one
    catalogue; in a group the price is the hotel's own, :func:`kiosk.properties.services.type_price`)."""
    check_type(session, data, garment_type)
    group = properties.several(session)
    if garment_type is None:
        garment_type = GarmentType(code=data.code, unit_cost=data.unit_cost)
        session.add(garment_type)
    garment_type.code = data.code
    garment_type.name_zh = data.name_zh
    garment_type.name_en = data.name_en
    if group:  # the catalogue is the group's; the price is this hotel's own
        session.flush()
        properties.set_type_price(session, garment_type, data.unit_cost)
    else:
        garment_type.unit_cost = data.unit_cost
    garment_type.entitlement = data.entitlement
    garment_type.expected_washes = data.expected_washes
    garment_type.active = data.active
    return garment_type


# --- garments -------------------------------------------------------------

@dataclass
class GarmentFilter:
    text: str = ""          # part of a tag or a garment number
    status: str = ""        # a Status code, or "" for all
    type_id: int | None = None
    owner: str = ""         # part of the owner's staff no., uniform no. or name
    spares_only: bool = False


def search_garments(session: Session, flt: GarmentFilter, page: int = 1,
                    per_page: int = PER_PAGE) -> Page[Garment]:
    query = select(Garment).options(joinedload(Garment.garment_type), joinedload(Garment.owner))
    if flt.text.strip():
        code = normalise_code(flt.text)
        query = query.where(or_(Garment.tag.contains(code, autoescape=True),
                                Garment.number.contains(code, autoescape=True)))
    if flt.status:
        query = query.where(Garment.status == flt.status)
    if flt.type_id:
        query = query.where(Garment.type_id == flt.type_id)
    if flt.spares_only:
        query = query.where(Garment.owner_id.is_(None))
    elif flt.owner.strip():
        text = flt.owner.strip()
        code = normalise_code(text)
        owners = select(Employee.id).where(or_(
            Employee.staff_no.contains(code, autoescape=True),
            Employee.uniform_no.contains(code, autoescape=True),
            Employee.name.icontains(text, autoescape=True),
        ))
        query = query.where(Garment.owner_id.in_(owners))
    query = query.order_by(Garment.tag)
    return paginate(session, query, page, per_page)


def _auto_tag_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(prefix)}(\d+)$")


def next_auto_tags(session: Session, type_code: str, count: int) -> list[str]:
    """``count`` fresh tags ``<TYPECODE>-<6 digits>``, after the highest one in use; in a group,
    ``<HOTEL CODE>-<TYPECODE>-<6 digits>`` (the first hotel without a code keeps the plain form).

    Computed from the table each time, so asking again after a failed or
    repeated attempt never hands out a tag that already exists. Read across the group: a tag is
    unique in it, and a garment keeps its tag when it moves to another hotel.
    """
    hotel = properties.tag_prefix(session)
    prefix = f"{hotel}-{type_code}-" if hotel else f"{type_code}-"
    pattern = _auto_tag_pattern(prefix)
    with scope.every_property(session):
        used = list(session.scalars(select(Garment.tag).where(Garment.tag.startswith(prefix, autoescape=True))))
    highest = max((int(m.group(1)) for tag in used if (m := pattern.match(tag))), default=0)
    tags = [f"{prefix}{n:0{AUTO_TAG_DIGITS}d}" for n in range(highest + 1, highest + 1 + count)]
    if tags and len(tags[-1]) > TAG_MAX_LENGTH:  # pragma: no cover - a 17+ character type code
        raise FieldErrors([FieldError("type_id", N_("This type code is too long for automatic tags."))])
    return tags


@dataclass
class Registration:
    """What a register command produced (or had produced, when repeated)."""

    key: str
    garments: list[Garment] = field(default_factory=list)
    repeated: bool = False


REGISTER_COMMAND = "registry.register"


def registered_with(session: Session, request_key: str, *, operator: User | None) -> list[Garment]:
    """Garments registered by ``operator``'s request that carried ``request_key``, in order."""
    return _garments(session, recorded_result(session, operator, REGISTER_COMMAND, request_key) or [])


def _garments(session: Session, ids: Sequence[int]) -> list[Garment]:
    found = {garment.id: garment for garment in session.scalars(
        select(Garment).options(joinedload(Garment.garment_type), joinedload(Garment.owner))
        .where(Garment.id.in_(list(ids))))}
    return [found[garment_id] for garment_id in ids if garment_id in found]


def resolve_owner(session: Session, staff_no: str, field_name: str = "staff_no") -> Employee | None:
    """The active employee with ``staff_no``; None for the spare pool (empty)."""
    staff_no = normalise_code(staff_no)
    if not staff_no:
        return None
    owner = people.find_by_staff_no(session, staff_no)
    if owner is None:
        raise FieldErrors([FieldError(field_name, N_("No employee has staff no. %(staff_no)s."),
                                      staff_no=staff_no)])
    if not owner.active:
        raise FieldErrors([FieldError(field_name, N_("%(name)s has left; reactivate them first."),
                                      name=owner.name)])
    return owner


def register_garments(session: Session, *, request_key: str, garment_type: GarmentType,
                      count: int = 1, tag: str = "", owner: Employee | None = None,
                      size: str = "", purchased_on: dt.date | None = None,
                      cost: Decimal | None = None, user: User | None = None) -> Registration:
    """Register one garment (with ``tag`` or an automatic one) or a batch of ``count``.

    A request is keyed by ``request_key``: sent again, it registers nothing
    more and returns what the first one registered.
    """
    done = once(session, request_key, operator=user, command=REGISTER_COMMAND,
                run=lambda: register_batch(session, garment_type=garment_type, count=count, tag=tag, owner=owner,
                                           size=size, purchased_on=purchased_on, cost=cost, user=user),
                remember=lambda garments: [garment.id for garment in garments],
                recall=lambda ids: _garments(session, ids))
    return Registration(key=request_key, garments=done.result, repeated=done.repeated)


def register_batch(session: Session, *, garment_type: GarmentType, count: int = 1, tag: str = "",
                   owner: Employee | None = None, size: str = "", purchased_on: dt.date | None = None,
                   cost: Decimal | None = None, user: User | None = None) -> list[Garment]:
    """The garments of one registration (a purchase registers its own in batches), flushed."""
    if not 1 <= count <= MAX_BATCH:
        raise FieldErrors([FieldError("count", N_("Between 1 and %(max)s at a time."), max=MAX_BATCH)])
    if tag:
        if count != 1:  # pragma: no cover - the forms never ask for this
            raise ValueError("a typed tag registers exactly one garment")
        with scope.every_property(session):  # a tag is one garment's in the whole group
            taken = session.scalar(select(Garment.id).where(Garment.tag == tag)) is not None
        if taken:
            raise FieldErrors([FieldError("tag", N_("Tag %(tag)s is already on another garment."), tag=tag)])
        tags = [tag]
    else:
        tags = next_auto_tags(session, garment_type.code, count)
    if not size and owner is not None:
        size = owner.size
    garments = [register_garment(session, tag=code, garment_type=garment_type, size=size, owner=owner,
                                 purchased_on=purchased_on, cost=cost, user=user, station="registry")
                for code in tags]
    session.flush()
    return garments
