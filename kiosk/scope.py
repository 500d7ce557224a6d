"""Which property a database session works for: every query of a property's records is held to
it here, in one place, not by each route remembering a filter.

A session's property is set by the request layer (the sign-in's property, else the tablet's),
by the command line (``--property``) or by background work that goes through the properties one
by one (:func:`within`). Then:

- every ORM select, update and delete of a :class:`kiosk.models.PerProperty` record, however
  it is written (``session.get``, a join, a subquery, ``get_or_404``), gets
  ``property_id = <the property>`` (SQLAlchemy's ``with_loader_criteria``, added by a
  ``do_orm_execute`` listener); a record of another property is simply not found;
- a record added to the session gets the property's id when it is flushed;
- a Core statement run through :func:`kiosk.database.run_core` gets the property as its
  ``:in_property`` parameter (tests/test_scope.py checks that every Core statement over a
  property's table asks for one).

A database of one hotel needs nothing chosen: its one property is taken. With several and none
chosen, a query of property records raises :class:`NoProperty` (a programming error, never an
answer with every hotel's records). Work for the whole group (the group's report, the print
worker's queue, the privacy erase) says so with :func:`every_property`.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session, scoped_session, with_loader_criteria

# Imported once, not in each listener call (a scan's every query passes through them).
from .models import PerProperty, Property


#: ``Session.info`` keys: the property chosen (an id, or :data:`EVERY`), and the only one of a
#: database with one (read once per session)
CHOSEN = "kiosk.property"
ONLY = "kiosk.only_property"
EVERY = "every"
#: the parameter a Core statement's criterion reads (not "property_id": an UPDATE binds its
#: columns' names itself)
PARAM = "in_property"


def plain_session(session) -> Session:
    """The Session itself: Flask-SQLAlchemy's ``db.session`` is a scoped_session, which passes
    on most calls but not the questions about its transaction (``in_transaction``)."""
    return session() if isinstance(session, scoped_session) else session


class NoProperty(RuntimeError):
    """Records of a property were asked for, or added, with no property chosen in a database
    of several: a bug of the caller, who must say which property (or :func:`every_property`)."""


def use(session, property_id: int | None) -> None:
    """From now on ``session`` works for ``property_id`` (None: nothing chosen)."""
    info = plain_session(session).info
    if property_id is None:
        info.pop(CHOSEN, None)
    else:
        info[CHOSEN] = int(property_id)


@contextmanager
def within(session, property_id: int) -> Iterator[None]:
    """``session`` works for ``property_id`` inside the block, as it did before after it."""
    info = plain_session(session).info
    before = info.get(CHOSEN)
    info[CHOSEN] = int(property_id)
    try:
        yield
    finally:
        _restore(info, before)


@contextmanager
def every_property(session) -> Iterator[None]:
    """Inside the block ``session`` reads every property's records (the group's work). Nothing
    can be added there without a property of its own."""
    info = plain_session(session).info
    before = info.get(CHOSEN)
    info[CHOSEN] = EVERY
    try:
        yield
    finally:
        _restore(info, before)


def _restore(info: dict, before) -> None:
    if before is None:
        info.pop(CHOSEN, None)
    else:
        info[CHOSEN] = before


def current(session) -> int | None:
    """The property ``session`` works for; None when it reads every property.

    Raises :class:`NoProperty` when none was chosen and the database has several.
    """
    plain = plain_session(session)
    chosen = plain.info.get(CHOSEN)
    if chosen is None:
        return only_property(plain)
    return None if chosen == EVERY else chosen


def required(session) -> int:
    """The property that what ``session`` adds belongs to: one must be chosen (or be the only one)."""
    property_id = current(session)
    if property_id is None:
        raise NoProperty("a record of a property was added while reading every property: say which one")
    return property_id


def only_property(session) -> int:
    """The one property of a database of one hotel, else :class:`NoProperty`."""
    plain = plain_session(session)
    only = plain.info.get(ONLY)
    if only is None:
        ids = plain.connection().execute(select(Property.__table__.c.id).limit(2)).scalars().all()
        if len(ids) != 1:
            raise NoProperty("this database has %s properties and none was chosen" % ("several" if ids else "no"))
        only = plain.info[ONLY] = ids[0]
    return only


#: the execution option that says why a Core statement over a property's table has no
#: ``:in_property`` (tests/test_scope.py lets no other through)
REACHED_THROUGH = "kiosk_reached_through"


def reached_through(statement, why: str):
    """Mark a Core statement that reads a property's table through a record already held to the
    property (the events of a garment found in it), so it asks for no ``:in_property``."""
    return statement.execution_options(**{REACHED_THROUGH: why})


def of_property(table):
    """``table.property_id = :property_id``: the criterion a Core statement over a property's
    table carries (:func:`kiosk.database.run_core` gives the parameter)."""
    from sqlalchemy import bindparam

    return table.c.property_id == bindparam(PARAM)


def is_chosen(session) -> bool:
    """Whether a property (or every property) was chosen for ``session``."""
    return CHOSEN in plain_session(session).info


# --- the listeners ---------------------------------------------------------------------------

def _hold_to_property(state: ORMExecuteState):
    if state.is_insert:
        return _stamp_bulk(state)
    if not (state.is_select or state.is_update or state.is_delete):
        return None
    # A lazy load or a deferred column follows a record already reached in this property (an
    # event's garment that moved on to another hotel stays readable on the event).
    if state.is_column_load or state.is_relationship_load:
        return
    chosen = state.session.info.get(CHOSEN)
    if chosen == EVERY:
        return None
    if chosen is None:
        # Nothing chosen (a page before sign-in, a command, a test): a query of the group's own
        # (operators, properties, the catalogue) runs as it is; one of a property's records reads
        # the only property there is, or is refused in a group.
        if not _reads_property_records(state.statement, PerProperty):
            return None
        chosen = only_property(state.session)
    property_id = chosen

    state.statement = state.statement.options(with_loader_criteria(
        PerProperty, lambda cls: cls.property_id == property_id, include_aliases=True,
        propagate_to_loaders=False))


def _reads_property_records(statement, per_property: type) -> bool:
    """Whether ``statement`` names a property's records anywhere (asked only of a group's query
    with no property chosen, which is then refused)."""
    from sqlalchemy.sql import visitors

    for element in visitors.iterate(statement):
        entity = getattr(element, "_annotations", {}).get("parententity")
        if entity is not None and issubclass(entity.class_, per_property):
            return True
    return False


def _stamp_bulk(state: ORMExecuteState):
    """``session.execute(insert(Model), rows)`` of a property's records: rows without a property
    get the session's, as records added one by one do."""
    entity = state.bind_mapper
    rows = state.parameters
    if entity is None or not issubclass(entity.class_, PerProperty) or not rows:
        return None
    listed = rows if isinstance(rows, list) else [rows]
    if all("property_id" in row for row in listed):
        return None
    property_id = required(state.session)
    stamped = [row if "property_id" in row else {**row, "property_id": property_id} for row in listed]
    return state.invoke_statement(params=stamped if isinstance(rows, list) else stamped[0])


def _stamp_new(session: Session, _flush_context, _instances) -> None:
    property_id = None
    for record in session.new:
        if isinstance(record, Property):
            session.info.pop(ONLY, None)  # a second property: nothing is "the only one" any more
        elif isinstance(record, PerProperty) and record.property_id is None:
            if property_id is None:
                property_id = required(session)
            record.property_id = property_id


def init_app(_app=None) -> None:
    """Listen on every ORM session (once per process: the listeners read only the session)."""
    if not event.contains(Session, "do_orm_execute", _hold_to_property):
        event.listen(Session, "do_orm_execute", _hold_to_property)
        event.listen(Session, "before_flush", _stamp_new)
