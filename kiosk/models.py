"""Typed SQLAlchemy models.

Times are stored as UTC; money as ``Numeric(12, 2)`` read back as ``Decimal``.
The event ledger is append-only: nothing here updates or deletes an event.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    DDL,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from .domain.garment_states import Status
from .domain.roles import ROLES
from .extensions import db

EMPLOYEE_KINDS = ("regular", "hourly", "new_hire")
#: The bounds of a garment type's numbers, for the form and the import alike.
ENTITLEMENT_MAX = 99
WASHES_MAX = 100_000


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator):
    """Store naive UTC on every backend; hand back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc)


Money = Numeric(12, 2, asdecimal=True)

#: The property a database of one hotel has (and what an existing database was migrated into).
FIRST_PROPERTY = 1


class Property(db.Model):
    """A hotel of the group (门店): its own room, staff, numbers, printers and tablets.

    A single hotel's database has one (id 1, made by the migration). ``code`` is short and
    printable: new tags of the property begin with it. ``time_zone`` None: as KIOSK_TIMEZONE
    says. What belongs to a property carries its id (:class:`PerProperty`), and every query of
    such a record is held to the signed-in property in one place, :mod:`kiosk.scope`.
    """

    __tablename__ = "properties"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The first property may have none (its tags stay as they were); every other has its own.
    code: Mapped[str] = mapped_column(String(8), unique=True, default="")
    name: Mapped[str] = mapped_column(String(128), default="")
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # The hotel's own settings; None: as the KIOSK_* setting says (kiosk.properties.services.setting).
    duplicate_seconds: Mapped[int | None] = mapped_column()
    tailor_days: Mapped[int | None] = mapped_column()
    borrower_retention_days: Mapped[int | None] = mapped_column()
    depreciation: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# A new database has its first property from the start, as a migrated one does (migration 0021):
# a single hotel never chooses one.
event.listen(Property.__table__, "after_create",
             DDL(f"INSERT INTO properties (id, code, name, active, created_at) "
                 f"VALUES ({FIRST_PROPERTY}, '', '', true, CURRENT_TIMESTAMP)"))
event.listen(Property.__table__, "after_create",  # the id was given: PostgreSQL's sequence starts after it
             DDL(f"SELECT setval(pg_get_serial_sequence('properties', 'id'), {FIRST_PROPERTY})")
             .execute_if(dialect="postgresql"))


class PerProperty:
    """A record of one property: ``property_id``, set from the session's property when it is
    added (:mod:`kiosk.scope`), never chosen by a form.

    Every query of such a record reads ``property_id = ?``: it is indexed, on its own, or as the
    first column of the table's indexes and unique keys (``__property_led__``: then only there).
    """

    __property_led__ = False

    @declared_attr
    def property_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("properties.id"), index=not cls.__property_led__)


class PropertyMember(db.Model):
    """An operator works at a property: its sign-in screen lists them, they may sign in there."""

    __tablename__ = "property_members"

    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Department(PerProperty, db.Model):
    __tablename__ = "departments"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (UniqueConstraint("property_id", "name", name="uq_departments_property_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    employees: Mapped[list[Employee]] = relationship(back_populates="department")


class Employee(PerProperty, db.Model):
    __tablename__ = "employees"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (
        CheckConstraint("kind IN ('regular', 'hourly', 'new_hire')", name="kind"),
        # The numbers staff read are the property's own; a badge is one person's in the group.
        UniqueConstraint("property_id", "staff_no", name="uq_employees_property_staff_no"),
        UniqueConstraint("property_id", "uniform_no", name="uq_employees_property_uniform_no"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_no: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    position: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    kind: Mapped[str] = mapped_column(String(16), default="regular")
    uniform_no: Mapped[str | None] = mapped_column(String(32))
    #: Clothing size (every garment type); shoes and socks have their own scales.
    size: Mapped[str] = mapped_column(String(16), default="")
    shoe_size: Mapped[str] = mapped_column(String(16), default="")
    sock_size: Mapped[str] = mapped_column(String(16), default="")
    # The badge (工牌) as a keyed hash (kiosk.badges.digest), never the code itself.
    badge_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    left_on: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    department: Mapped[Department] = relationship(back_populates="employees")
    garments: Mapped[list[Garment]] = relationship(back_populates="owner", foreign_keys="Garment.owner_id")


class GarmentType(db.Model):
    __tablename__ = "garment_types"
    __table_args__ = (
        CheckConstraint("unit_cost >= 0", name="cost"),
        CheckConstraint("entitlement >= 0", name="entitlement"),
        CheckConstraint("expected_washes > 0", name="washes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64), default="")
    unit_cost: Mapped[Decimal] = mapped_column(Money)
    entitlement: Mapped[int] = mapped_column(default=2)
    expected_washes: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)

    garments: Mapped[list[Garment]] = relationship(back_populates="garment_type")


class TypePrice(PerProperty, db.Model):
    """A hotel's own price of a garment type of the group's catalogue (none: the catalogue's)."""

    __tablename__ = "type_prices"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (
        UniqueConstraint("property_id", "type_id", name="uq_type_prices_property_type"),
        CheckConstraint("unit_cost >= 0", name="cost"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("garment_types.id"))
    unit_cost: Mapped[Decimal] = mapped_column(Money)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


_STATUS_SQL = ", ".join(f"'{s.value}'" for s in Status)


class Garment(PerProperty, db.Model):
    __tablename__ = "garments"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_SQL})", name="status"),
        CheckConstraint("wash_count >= 0 AND repair_count >= 0", name="counts"),
        Index("ix_garments_property_status_type", "property_id", "status", "type_id"),
        # Spares of a type and size in stock (owner_id NULL), asked at every exchange.
        Index("ix_garments_owner_status_type_size", "owner_id", "status", "type_id", "size"),
        # The today board's "in this status for over N hours".
        Index("ix_garments_property_status_since", "property_id", "status", "status_since"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique in the group: a garment keeps its tag when it moves to another property.
    tag: Mapped[str] = mapped_column(String(24), unique=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("garment_types.id"))
    size: Mapped[str] = mapped_column(String(16), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    number: Mapped[str | None] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default=Status.IN_STOCK.value)
    wash_count: Mapped[int] = mapped_column(default=0)
    repair_count: Mapped[int] = mapped_column(default=0)
    purchased_on: Mapped[dt.date | None]
    cost: Mapped[Decimal] = mapped_column(Money)
    # Who has it now: the owner when issued, the wearer of a spare. Kept with
    # every move so "what does this person hold" is one indexed lookup.
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    # Defects flagged since the last pass (codes, comma separated): the
    # inspector sees what the ironer reported.
    defects: Mapped[str] = mapped_column(String(128), default="")
    # When the current status began: the today board reads this instead of
    # searching the ledger.
    status_since: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # True from an inspection pass until the garment is scanned into its slot.
    awaiting_slot: Mapped[bool] = mapped_column(default=False, index=True)
    # Optimistic lock: two tablets moving the same garment at once cannot both win.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    garment_type: Mapped[GarmentType] = relationship(back_populates="garments")
    owner: Mapped[Employee | None] = relationship(back_populates="garments", foreign_keys=[owner_id])
    holder: Mapped[Employee | None] = relationship(foreign_keys=[holder_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_spare(self) -> bool:
        return self.owner_id is None


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN (%s)" % ", ".join(f"'{role}'" for role in ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    pin_hash: Mapped[str] = mapped_column(String(255))
    # The operator's own badge as a keyed hash (kiosk.badges.digest). An operator
    # linked to their employee record (employee_id) uses the employee's badge instead.
    badge_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set when someone else chose the PIN (a reset, the CLI): replaced at the next sign-in.
    must_change_pin: Mapped[bool] = mapped_column(default=False)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    employee: Mapped[Employee | None] = relationship()


class OperatorChange(db.Model):
    """One change to an operator (added, role, PIN reset, badge, deactivated, unlocked).

    Who did it (``actor_id``; NULL with ``actor`` naming the command line), when
    and what (``detail``, JSON: the old and new role, say). Never the PIN.
    """

    __tablename__ = "operator_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor_user: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class OperatorSession(db.Model):
    """A sign-in on the server: the cookie carries a random token, this row its hash.

    Sign-out, the idle lock and a change of the operator's PIN or role end
    the row (``ended_at``), so a copied cookie stops working at once.
    """

    __tablename__ = "operator_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: the property signed in to: every query of the sign-in's requests is held to it
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id"))
    client: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str] = mapped_column(String(16), default="")

    user: Mapped[User] = relationship()


class SignInThrottle(db.Model):
    """Wrong PINs and unknown badges from one client address: a growing delay.

    Tablets behind one router share an address, so this never refuses a
    right PIN; it only makes the next attempt from that address wait.
    """

    __tablename__ = "sign_in_throttle"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Attempts from this address are held back until then.
    wait_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Hotel(db.Model):
    """The hotel this database serves: one row, written by ``kiosk init`` or the demo.

    ``is_demo``: the demo hotel (a band on every screen, its published PINs);
    ``demo_marks``: JSON of what the demo loaded, for ``kiosk demo --remove``.
    """

    __tablename__ = "hotel"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    is_demo: Mapped[bool] = mapped_column(default=False)
    demo_marks: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Event(PerProperty, db.Model):
    """One change to a garment (流水). Append-only; an undo is a new event.

    ``department_id`` and ``unit_cost`` are copied at the moment of the event
    so that an old report does not change when someone moves department.
    """

    __tablename__ = "events"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (
        Index("ix_events_garment_created", "garment_id", "created_at"),
        Index("ix_events_property_created", "property_id", "created_at"),
        # The loss report's purchases, write-offs, missing and found garments of a month.
        Index("ix_events_property_action_created", "property_id", "action", "created_at"),
        # "Was this event undone?" is asked by undo, carts, the board and reports, once per event
        # read. Only undos are indexed: the index holds the few that are set, so a planner that has
        # counted the table (ANALYZE) still finds it selective, and a scan adds nothing to it.
        Index("ix_events_reversed", "reverses_event_id", sqlite_where=text("reverses_event_id IS NOT NULL"),
              postgresql_where=text("reverses_event_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    garment_id: Mapped[int] = mapped_column(ForeignKey("garments.id"))
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    station: Mapped[str] = mapped_column(String(24), default="")
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    unit_cost: Mapped[Decimal | None] = mapped_column(Money)
    defects: Mapped[str] = mapped_column(String(255), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    reverses_event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("checkin_batches.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the tablet scanned it, for a scan that waited in the tablet's queue (Wi-Fi down):
    # never later than ``created_at`` (when it arrived); None for a scan sent at once.
    scanned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    garment: Mapped[Garment] = relationship()
    user: Mapped[User | None] = relationship()
    employee: Mapped[Employee | None] = relationship()
    department: Mapped[Department | None] = relationship()


class CheckinBatch(PerProperty, db.Model):
    """A department's cart checked in at once: the count declared against the count scanned."""

    __tablename__ = "checkin_batches"
    __table_args__ = (
        CheckConstraint("declared >= 0", name="declared"),
        # The carts still open (the board, the counter): a few, found without reading every cart.
        Index("ix_checkin_batches_open", "property_id", "opened_at", sqlite_where=text("closed_at IS NULL"),
              postgresql_where=text("closed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    declared: Mapped[int]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Scanned count at closing, kept with the closed document; while open it
    # is counted from the batch's events.
    scanned: Mapped[int | None]
    note: Mapped[str] = mapped_column(Text, default="")

    department: Mapped[Department] = relationship()
    user: Mapped[User | None] = relationship()

    @property
    def gap(self) -> int | None:
        return None if self.scanned is None else self.declared - self.scanned


class TagReprint(PerProperty, db.Model):
    """A tag to print again (a faded number found at inspection, a lost tag)."""

    __tablename__ = "tag_reprints"
    __table_args__ = (
        # The tags still to print (the board's count, the reprint list), not every one printed.
        Index("ix_tag_reprints_pending", "property_id", "requested_at", sqlite_where=text("done_at IS NULL"),
              postgresql_where=text("done_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    garment_id: Mapped[int] = mapped_column(ForeignKey("garments.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32), default="faded_number")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    garment: Mapped[Garment] = relationship()


class Printer(PerProperty, db.Model):
    """A printer of the room: a receipt printer at the counter, a label printer for tags.

    ``url`` is one of :mod:`printers.transport`'s addresses; ``language`` what it speaks
    (ESC/POS for receipts; TSPL or ZPL for labels), with its paper width (58/80 mm) or label
    size ("40x30"); ``status_query`` whether it is asked for its status before and after a job
    (``auto``: ESC/POS printers are, label printers are not). ``host``: the server that drives
    it when only that one can reach it (USB, serial, a local file); other servers leave its jobs
    alone. The default printer (``is_default``) takes what no other is chosen for; the one
    created from KIOSK_PRINTER (``from_setting``) follows that setting where a server sets it.
    """

    __tablename__ = "printers"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (
        CheckConstraint("kind IN ('receipt', 'label')", name="kind"),
        CheckConstraint("language IN ('escpos', 'tspl', 'zpl')", name="language"),
        CheckConstraint("status_query IN ('auto', 'on', 'off')", name="status_query"),
        UniqueConstraint("property_id", "name", name="uq_printers_property_name"),
        Index("ix_printers_one_default", "property_id", "is_default", unique=True,
              sqlite_where=text("is_default AND retired_at IS NULL"),
              postgresql_where=text("is_default AND retired_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    url: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16), default="receipt")
    language: Mapped[str] = mapped_column(String(16), default="escpos")
    paper_mm: Mapped[int | None] = mapped_column()
    label_size: Mapped[str | None] = mapped_column(String(16))
    native: Mapped[bool] = mapped_column(default=False)
    status_query: Mapped[str] = mapped_column(String(8), default="auto")
    host: Mapped[str | None] = mapped_column(String(255))
    is_default: Mapped[bool] = mapped_column(default=False)
    from_setting: Mapped[bool] = mapped_column(default=False)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Tablet(PerProperty, db.Model):
    """A tablet of the room, named once by a supervisor (前台平板, 熨烫间平板).

    It is known by a long-lived cookie holding a random token (``token_hash`` keeps its SHA-256
    only). The token grants nothing: it only says which printers this tablet's slips and tags go
    to (``receipt_printer``, ``tag_printer``; none: the default printer) and whether its stations
    print receipts (``checkin_receipts``, ``issue_receipts``; None: as the room's switch says).
    A name is one tablet's at a time: a tablet that takes over a name (its cookie was lost)
    retires the old entry.
    """

    __tablename__ = "tablets"
    __table_args__ = (
        Index("ix_tablets_name_in_use", "property_id", "name", unique=True,
              sqlite_where=text("retired_at IS NULL"), postgresql_where=text("retired_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    receipt_printer_id: Mapped[int | None] = mapped_column(ForeignKey("printers.id"))
    tag_printer_id: Mapped[int | None] = mapped_column(ForeignKey("printers.id"))
    checkin_receipts: Mapped[bool | None] = mapped_column()
    issue_receipts: Mapped[bool | None] = mapped_column()
    named_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    receipt_printer: Mapped[Printer | None] = relationship(foreign_keys=[receipt_printer_id])
    tag_printer: Mapped[Printer | None] = relationship(foreign_keys=[tag_printer_id])


class PrintHost(db.Model):
    """A server that sends print jobs, as its print worker last said it was running
    (``seen_at``): a job for a printer only that host drives waits for it, and the queue says
    so when the host has not been seen for a while."""

    __tablename__ = "print_hosts"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PrintJob(PerProperty, db.Model):
    """One tag or receipt to print (the print queue).

    The document is kept as data (``printers.documents.Document.to_dict()``
    as JSON), so a preview, a retry and a reprint draw exactly what was asked
    for. ``last_error`` keeps the reason as msgid + parameters (JSON) so it
    is shown in the reader's language, not the worker's.
    """

    __tablename__ = "print_jobs"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'printing', 'done', 'failed')", name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        # The worker's "oldest queued first" and the status bar's "any failed?".
        Index("ix_print_jobs_property_status_id", "property_id", "status", "id"),
        # The status bar on every page reads only what it shows, whatever the history
        # (kiosk.printing.services.queue_status): failed of the last hours, printed just now,
        # the latest finished job for /healthz.
        Index("ix_print_jobs_property_status_created_at", "property_id", "status", "created_at"),
        Index("ix_print_jobs_property_status_printed_at", "property_id", "status", "printed_at"),
        Index("ix_print_jobs_property_status_updated_at", "property_id", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    document: Mapped[str] = mapped_column(Text)
    garment_id: Mapped[int | None] = mapped_column(ForeignKey("garments.id"), index=True)
    # The reprint request (faded number) this tag answers: marked done with the job.
    reprint_id: Mapped[int | None] = mapped_column(ForeignKey("tag_reprints.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The printer URL when the job was queued, then at its latest attempt.
    printer: Mapped[str] = mapped_column(String(255), default="")
    # The printer it is for (None: queued before printers were records, the default one's).
    printer_id: Mapped[int | None] = mapped_column(ForeignKey("printers.id"), index=True)
    # The tablet that asked for it (None: not a named tablet, the command line, before 0019).
    tablet_id: Mapped[int | None] = mapped_column(ForeignKey("tablets.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    printed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    garment: Mapped[Garment | None] = relationship()
    reprint: Mapped[TagReprint | None] = relationship()
    printer_record: Mapped[Printer | None] = relationship()
    tablet: Mapped[Tablet | None] = relationship()
    requested_by: Mapped[User | None] = relationship()


class StationSetting(PerProperty, db.Model):
    """A station's switches, the same on every tablet: receipts on or off.

    Kept in the database, not the browser session: a sign-in starts a fresh
    session, and the room decides once whether a station hands out slips.
    """

    __tablename__ = "station_settings"

    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id"), primary_key=True)
    station: Mapped[str] = mapped_column(String(24), primary_key=True)
    receipts: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RequestKey(db.Model):
    """A command that changed data, by the key its request carried (see :mod:`kiosk.request_keys`).

    Scoped per operator: tablets choose their own keys (scans queued offline),
    so one operator's key never meets another's. ``result`` points at what the
    first request produced (JSON: a record id or a list of ids), so a repeat
    is answered with it instead of running the command again.
    """

    __tablename__ = "request_keys"
    __table_args__ = (UniqueConstraint("user_id", "command", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    command: Mapped[str] = mapped_column(String(48))
    key: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(Text, default="null")
    # Indexed: old keys can be pruned by age without a scan of the table.
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
