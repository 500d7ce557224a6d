"""kiosk.scope: every query of a property's records is held to the session's property, in one place.

What a hotel of a group would notice: its screens never show, count or change another hotel's
records, however the query is written (an ORM select, ``session.get``, a join, an update, a
Core statement of the scan's fast path), and a query with no hotel chosen in a group is refused
rather than answered with everyone's records. The walk over every route is
tests/test_property_walk.py.
"""
from __future__ import annotations

import importlib
import pkgutil

import pytest
from sqlalchemy import Insert, func, select, update
from sqlalchemy.sql import visitors
from sqlalchemy.sql.base import Executable

import kiosk
from kiosk import scope
from kiosk.database import plain_read, run_core
from kiosk.extensions import db
from kiosk.models import Department, Employee, Garment, PerProperty, Property


def _per_property_tables() -> set[str]:
    return {mapper.local_table.name for mapper in db.Model.registry.mappers if issubclass(mapper.class_, PerProperty)}


def _module_statements():
    """Every Core statement built once at import by a module of the kiosk (module-level names)."""
    for info in pkgutil.walk_packages(kiosk.__path__, "kiosk."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, Executable) and not isinstance(value, type):
                yield f"{info.name}.{name}", value


def _tables(statement) -> set[str]:
    return {element.name for element in visitors.iterate(statement)
            if getattr(element, "__visit_name__", "") == "table" and hasattr(element, "name")}


def _is_orm(statement) -> bool:
    return any(getattr(element, "_annotations", {}).get("parententity") is not None
               for element in visitors.iterate(statement))


def test_every_core_statement_over_a_propertys_table_asks_for_the_property(ctx):
    """A Core statement skips the ORM's criteria: it must carry ``:in_property`` (run_core gives
    it) or say what record of the property it is reached through."""
    owned = _per_property_tables()
    checked, unscoped = [], []
    for name, statement in _module_statements():
        tables = _tables(statement) & owned
        if not tables or _is_orm(statement):
            continue
        checked.append(name)
        if isinstance(statement, Insert):  # a new row: its property is one of its values
            if "property_id" not in str(statement.compile()):
                unscoped.append((name, sorted(tables)))
            continue
        binds = statement.compile().binds
        if scope.PARAM not in binds and scope.REACHED_THROUGH not in statement.get_execution_options():
            unscoped.append((name, sorted(tables)))
    # The presence that makes the absence meaningful: the scan's own statements are among them.
    assert {"kiosk.ledger._UPDATE_MOVED", "kiosk.issue.services._SPARES", "kiosk.printing.services._QUEUE_COUNTS",
            "kiosk.kits.services._KIT_ROWS", "kiosk.ledger._INSERT_EVENT"} <= set(checked)
    assert unscoped == []


@pytest.fixture
def two(ctx):
    """Property 1 and a second one, each with a department of the same name and a garment."""
    second = Property(code="B", name="乙酒店")
    db.session.add(second)
    db.session.flush()
    made = {}
    for property_id in (1, second.id):
        with scope.within(db.session, property_id):
            department = Department(name="客房部")
            db.session.add(department)
            db.session.flush()
            employee = Employee(staff_no="0001", name=f"员工{property_id}", department_id=department.id,
                                uniform_no="U01")
            db.session.add(employee)
            db.session.flush()
            made[property_id] = employee
    db.session.commit()
    yield second.id, made
    db.session.rollback()


def test_the_same_numbers_live_side_by_side_and_each_property_reads_only_its_own(ctx, two):
    second, made = two
    for property_id in (1, second):
        with scope.within(db.session, property_id):
            assert db.session.scalars(select(Employee.name)).all() == [f"员工{property_id}"]
            assert db.session.scalar(select(func.count()).select_from(Department)) == 1
            # An id of the other property is not found, by get or by a join.
            other = made[second if property_id == 1 else 1]
            db.session.expunge_all()
            assert db.session.get(Employee, other.id) is None
            assert db.session.scalar(select(Employee).join(Department).where(Employee.id == other.id)) is None
    with scope.every_property(db.session):
        assert sorted(db.session.scalars(select(Employee.name))) == ["员工1", f"员工{second}"]


def test_an_update_of_one_property_leaves_the_other_as_it_was(ctx, two):
    second, _made = two
    with scope.within(db.session, second):
        changed = db.session.execute(update(Employee).values(position="领班")
                                     .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    assert changed == 1
    with scope.every_property(db.session):
        assert dict(db.session.execute(select(Employee.property_id, Employee.position)).all()) == {
            1: "", second: "领班"}


def test_a_record_added_belongs_to_the_sessions_property(ctx, two):
    second, _made = two
    with scope.within(db.session, second):
        db.session.add(Department(name="餐饮部"))
        db.session.flush()
    with scope.every_property(db.session):
        assert db.session.scalar(select(Department.property_id).where(Department.name == "餐饮部")) == second
        # Adding with every property read is refused: which hotel's would it be?
        db.session.add(Department(name="前厅部"))
        with pytest.raises(scope.NoProperty):
            db.session.flush()
    db.session.rollback()


def test_a_core_statement_is_held_to_the_property_as_the_orm_is(ctx, two, make):
    second, _made = two
    scope.use(db.session, 1)
    garment = make.garment(status="in_stock")  # property 1's
    spares = Garment.__table__
    statement = select(func.count()).select_from(spares).where(scope.of_property(spares))
    assert plain_read(db.session, statement).scalar() == 1
    with scope.within(db.session, second):
        assert plain_read(db.session, statement).scalar() == 0
    with scope.every_property(db.session), pytest.raises(Exception, match="in_property"):
        run_core(db.session, statement)
    assert garment.property_id == 1


def test_with_several_properties_and_none_chosen_a_query_is_refused_not_answered_with_all(ctx, two):
    scope.use(db.session, None)
    db.session.info.pop(scope.ONLY, None)
    with pytest.raises(scope.NoProperty):
        db.session.scalars(select(Employee)).all()


def test_a_single_hotel_chooses_nothing(make):
    """One property: nothing is chosen anywhere, and every query reads it."""
    employee = make.employee()
    assert not scope.is_chosen(db.session)
    assert db.session.scalars(select(Employee)).all() == [employee]
    assert employee.property_id == 1
