"""The group's properties and who works at each. No Flask in here.

Which property a session works for is :mod:`kiosk.scope`'s; this module answers the questions
about the properties themselves: which there are, who may sign in at which, and who is listed.
"""
from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from .. import scope
from ..domain.errors import DomainError, N_
from ..domain.roles import GROUP, in_group
from ..models import GarmentType, Property, PropertyMember, TypePrice, User, utcnow

NOT_HERE = N_("%(name)s is not an operator of this hotel. Sign in at a tablet of their own hotel.")


def properties(session: Session, *, active_only: bool = True) -> list[Property]:
    query = select(Property).order_by(Property.id)
    if active_only:
        query = query.where(Property.active.is_(True))
    return list(session.scalars(query))


def each_property(session: Session) -> Iterator[Property]:
    """Every active property in turn, ``session`` working for it meanwhile: how background work
    (the print queue, alerts, the privacy erase) goes through a group, one hotel at a time."""
    for record in properties(session):
        with scope.within(session, record.id):
            yield record


#: ``Session.info`` key: (property id, its time zone), read once per session
_ZONE = "kiosk.property_zone"
#: ``Session.info`` key: (property id, its own settings by column), read with the sign-in
_OWN = "kiosk.property_settings"


def zone_of(record: Property | None, default: str) -> str:
    return (record.time_zone if record is not None else None) or default


def remember(session: Session, record: Property) -> None:
    """The property's time zone and own settings, read with the sign-in: :func:`zone_of_session`
    and :func:`setting` ask no more in this request."""
    info = scope.plain_session(session).info
    info[_ZONE] = (record.id, record.time_zone)
    info[_OWN] = (record.id, {column: getattr(record, column) for column, _bounds in OWN_SETTINGS.values()})


def zone_of_session(session: Session, default: str) -> str:
    """The time zone of the property ``session`` works for (``default``: KIOSK_TIMEZONE, for a
    property without its own, every property at once, or none chosen in a group)."""
    plain = scope.plain_session(session)
    try:
        property_id = scope.current(plain)
    except scope.NoProperty:
        return default
    if property_id is None:
        return default
    kept = plain.info.get(_ZONE)
    if kept is None or kept[0] != property_id:
        kept = plain.info[_ZONE] = (property_id, plain.get(Property, property_id).time_zone)
    return kept[1] or default


def by_code(session: Session, code: str) -> Property | None:
    """The property of ``code`` (its number for the first, which may have no code)."""
    code = (code or "").strip()
    found = session.scalar(select(Property).where(Property.code == code)) if code else None
    if found is None and code.isdigit() and len(code) < 10:
        found = session.get(Property, int(code))
    return found


def several(session: Session) -> bool:
    """Whether the database holds more than one property (a group): what a single hotel's
    screens never show (the property's name, a choice of property) depends on it."""
    return len(session.execute(select(Property.id).limit(2)).all()) > 1


def works_here(user_id: int, property_id: int):
    """The criterion "this operator works at the property" (for a select of users)."""
    return exists().where(PropertyMember.user_id == user_id, PropertyMember.property_id == property_id)


def is_member(session: Session, user: User, property_id: int) -> bool:
    """Whether ``user`` works at the property: a member of it, or of the group's own roles."""
    return in_group(user) or session.scalar(select(works_here(user.id, property_id))) is True


def operators_here(session: Session):
    """``select(User)`` of the operators of the session's property: the sign-in tiles, the
    operators screen, the counter's and the approvers' lists, the command line's list."""
    here = scope.required(session)
    return select(User).where(or_(User.id.in_(select(PropertyMember.user_id).where(PropertyMember.property_id == here)),
                                  User.role.in_(GROUP)))


def operator(session: Session, user_id: int | None) -> User | None:
    """The operator ``user_id`` of the session's property, or None (nobody, or another hotel's):
    every form that names an operator (a PIN to confirm, a handover, the operators screen)."""
    if not user_id:
        return None
    return session.scalar(operators_here(session).where(User.id == user_id))


def add_member(session: Session, user: User, property_id: int | None = None) -> None:
    """``user`` works at ``property_id`` (the session's property when None), once."""
    property_id = property_id or scope.required(session)
    session.flush()  # the operator's id
    if not is_member(session, user, property_id):
        session.add(PropertyMember(property_id=property_id, user_id=user.id, created_at=utcnow()))
        session.flush()


BAD_CODE = N_("A hotel's code is 1 to 8 letters or digits (it begins its new tags), like HZ or SH02.")
CODE_TAKEN = N_("Another hotel of the group has the code %(code)s.")
BAD_ZONE = N_("%(zone)s is not a time zone; write one like Asia/Shanghai.")


def check_code(code: str | None) -> str:
    value = (code or "").strip().upper()
    if not (1 <= len(value) <= 8 and value.isascii() and value.isalnum()):
        raise DomainError(BAD_CODE)
    return value


def check_zone(zone: str | None) -> str | None:
    value = (zone or "").strip()
    if not value:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(BAD_ZONE, zone=value) from None
    return value


def add_property(session: Session, code: str, name: str, *, time_zone: str | None = None) -> Property:
    """A new hotel of the group: its own room, staff and numbers from now on."""
    code = check_code(code)
    if session.scalar(select(Property.id).where(Property.code == code)) is not None:
        raise DomainError(CODE_TAKEN, code=code)
    record = Property(code=code, name=(name or "").strip()[:128] or code, time_zone=check_zone(time_zone),
                      active=True, created_at=utcnow())
    session.add(record)
    session.flush()
    return record


def change_property(session: Session, record: Property, *, code: str | None = None, name: str | None = None,
                    time_zone: str | None = None) -> Property:
    """A hotel's code, name or time zone (the first hotel gets its code when a second one comes)."""
    if code is not None:
        code = check_code(code)
        taken = session.scalar(select(Property.id).where(Property.code == code, Property.id != record.id))
        if taken is not None:
            raise DomainError(CODE_TAKEN, code=code)
        record.code = code
    if name is not None and name.strip():
        record.name = name.strip()[:128]
    if time_zone is not None:
        record.time_zone = check_zone(time_zone)
    session.flush()
    return record


#: a KIOSK_* setting a hotel may have its own value of -> (its column, the bounds of a number)
OWN_SETTINGS: dict[str, tuple[str, tuple[int, int] | None]] = {
    "KIOSK_DUPLICATE_SECONDS": ("duplicate_seconds", (0, 3600)),
    "KIOSK_TAILOR_DAYS": ("tailor_days", (1, 365)),
    "KIOSK_BORROWER_RETENTION_DAYS": ("borrower_retention_days", (1, 3650)),
    "KIOSK_DEPRECIATION": ("depreciation", None),
}
BAD_SETTING = N_("%(name)s must be a whole number from %(low)s to %(high)s.")
BAD_TABLE = N_("The depreciation table %(value)s cannot be read: %(why)s")


def setting(session: Session, config, name: str):
    """The setting ``name`` (a KIOSK_* key of :data:`OWN_SETTINGS`) for the session's property:
    its own value, else the server's (``config``). The one reader of these settings: the
    stations, the tailor, the board, the write-offs, the alerts and the privacy erase."""
    column, _bounds = OWN_SETTINGS[name]
    try:
        property_id = scope.current(session)
    except scope.NoProperty:
        property_id = None
    kept = scope.plain_session(session).info.get(_OWN)
    if kept is not None and kept[0] == property_id:
        own = kept[1][column]
    else:
        record = scope.plain_session(session).get(Property, property_id) if property_id else None
        own = getattr(record, column) if record is not None else None
    if own is None:
        return config[name]
    if name == "KIOSK_DEPRECIATION":
        from ..domain.depreciation import parse_table

        return parse_table(own)
    return own


def set_settings(session: Session, record: Property, values: dict[str, str | None]) -> Property:
    """A hotel's own settings (a KIOSK_* name -> its text; "" goes back to the server's)."""
    for name, raw in values.items():
        if raw is None:
            continue
        column, bounds = OWN_SETTINGS[name]
        text = raw.strip()
        if not text:
            setattr(record, column, None)
        elif bounds is None:
            from ..domain.depreciation import parse_table

            try:
                parse_table(text)
            except ValueError as why:
                raise DomainError(BAD_TABLE, value=text, why=str(why)) from None
            setattr(record, column, text[:255])
        else:
            low, high = bounds
            if not (text.isascii() and text.isdigit() and low <= int(text) <= high):
                raise DomainError(BAD_SETTING, name=name, low=low, high=high)
            setattr(record, column, int(text))
    session.flush()
    return record


def type_prices(session: Session) -> dict[int, Decimal]:
    """The session's hotel's own prices, by garment type (the catalogue's where it has none)."""
    return dict(session.execute(select(TypePrice.type_id, TypePrice.unit_cost)).all())


def type_price(session: Session, garment_type: GarmentType) -> Decimal:
    """What a garment of ``garment_type`` costs at the session's hotel: its own price, else the
    catalogue's. The one rule for a new garment's cost and the price a screen shows."""
    own = session.scalar(select(TypePrice.unit_cost).where(TypePrice.type_id == garment_type.id))
    return own if own is not None else garment_type.unit_cost


def set_type_price(session: Session, garment_type: GarmentType, unit_cost: Decimal) -> None:
    """The session's hotel's own price of ``garment_type`` (kept even when it equals the catalogue's)."""
    row = session.scalar(select(TypePrice).where(TypePrice.type_id == garment_type.id))
    if row is None:
        session.add(TypePrice(type_id=garment_type.id, unit_cost=unit_cost, updated_at=utcnow()))
    else:
        row.unit_cost = unit_cost
    session.flush()


def tag_prefix(session: Session) -> str:
    """The code that begins the session's property's new tags ("" for a hotel without one)."""
    record = session.get(Property, scope.required(session))
    return record.code if record is not None else ""


def label(record: Property) -> str:
    """What a screen calls the hotel: its name, else its code, else its number."""
    return record.name or record.code or f"#{record.id}"


def check_member(session: Session, user: User, property_id: int) -> None:
    """Refuse a sign-in at a property the operator does not work at."""
    if not is_member(session, user, property_id):
        raise DomainError(NOT_HERE, name=user.name)
