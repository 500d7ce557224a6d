"""The demo hotel: believable, consistent with its ledger, loaded once."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from kiosk.checklists.services import DEFAULT_ITEMS
from kiosk.demo import DEMO_USERS, GARMENT_TYPES
from kiosk.domain.codes import is_valid_phone, is_valid_tag
from kiosk.domain.garment_states import Action, Status
from kiosk.extensions import db
from kiosk.domain.roles import HOTEL_ROLES
from kiosk.models import Department, Employee, Event, Garment, GarmentType, User, utcnow

RARE_CHARACTERS = "堃喆玥赟"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def demo(demo_data):
    """The test's database starts as the demo hotel: a copy of the one ``kiosk demo`` loaded
    for this run (tests/conftest.py); ``.output`` is what it printed. The tests of loading
    itself (``--if-empty``) load it into their empty database."""
    return demo_data


def test_demo_loads_a_believable_hotel(app, demo):
    with app.app_context():
        departments = set(db.session.scalars(select(Department.name)))
        assert departments == {"客房部", "餐饮部", "前厅部", "工程部", "保安部"}
        employees = db.session.scalars(select(Employee)).all()
        assert 55 <= len(employees) <= 65
        assert any(ch in e.name for e in employees for ch in RARE_CHARACTERS)
        assert all(is_valid_phone(e.phone) for e in employees)
        assert len({e.phone for e in employees}) == len(employees)
        assert {e.kind for e in employees} == {"regular", "hourly", "new_hire"}
        assert any(not e.active and e.left_on for e in employees)
        assert {e.size for e in employees} <= {"S", "M", "L", "XL", "XXL"}
        types = db.session.scalars(select(GarmentType)).all()
        assert {t.code for t in types} == {t.code for t in GARMENT_TYPES}
        assert len(types) == 8
        garments = db.session.scalars(select(Garment)).all()
        assert 280 <= len(garments) <= 320
        codes = {t.id: t.code for t in types}
        for garment in garments:
            assert is_valid_tag(garment.tag)
            assert re.fullmatch(rf"{re.escape(codes[garment.type_id])}-\d{{6}}", garment.tag)
            if garment.owner is not None:
                assert garment.number == garment.owner.uniform_no
        assert any(g.owner_id is None for g in garments)
        assert sum(g.owner_id is not None for g in garments) > len(garments) * 0.7
    assert "Demo hotel loaded" in demo.output


def test_every_status_is_reached_through_the_ledger(app, demo):
    now = utcnow()
    with app.app_context():
        statuses = set(db.session.scalars(select(Garment.status).distinct()))
        # every status but 调拨途中: a transfer needs a second hotel, which the demo has not
        assert statuses == {s.value for s in Status if s is not Status.IN_TRANSIT}
        events: dict[int, list[Event]] = {}
        for event in db.session.scalars(select(Event).order_by(Event.id)):
            events.setdefault(event.garment_id, []).append(event)
        for garment in db.session.scalars(select(Garment)):
            history = events[garment.id]
            assert history[0].action == "register" and history[0].from_status is None
            # The ledger replays: each event starts where the one before ended.
            for before, after in zip(history, history[1:]):
                assert after.from_status == before.to_status, garment.tag
                assert after.created_at > before.created_at, garment.tag
            assert garment.status == history[-1].to_status, garment.tag
            washes = sum(e.action == Action.WASH or (e.action == Action.IRON and e.from_status == Status.DIRTY)
                         for e in history)
            assert garment.wash_count == washes
            assert garment.repair_count == sum(e.action == Action.FROM_TAILOR for e in history)
            assert garment.wash_count < garment.garment_type.expected_washes
            assert history[-1].created_at <= now
        # The uniform room is open 07:00-22:00 hotel time (UTC+8).
        hours = {(e.created_at.hour + 8) % 24 for history in events.values() for e in history}
        assert hours <= set(range(7, 22))


def test_demo_users_of_every_role_sign_in_with_the_printed_pins(app, demo):
    assert {u.role for u in DEMO_USERS} == set(HOTEL_ROLES)  # one hotel: the group's own roles are not in it
    with app.app_context():
        ids = {u.name: u.id for u in db.session.scalars(select(User))}
    for demo_user in DEMO_USERS:
        assert demo_user.pin in demo.output
        client = app.test_client()
        response = client.post("/login", data={"user_id": ids[demo_user.name], "pin": demo_user.pin})
        assert response.status_code == 302, demo_user
        wrong = app.test_client().post("/login", data={"user_id": ids[demo_user.name], "pin": "0000"})
        assert wrong.status_code == 200


def test_if_empty_loads_only_once(app, runner):
    first = runner.invoke(args=["kiosk", "demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        counts = (_count(Garment), _count(Event), _count(User))
    second = runner.invoke(args=["kiosk", "demo", "--if-empty"])
    assert second.exit_code == 0
    assert "not loaded" in second.output
    with app.app_context():
        assert (_count(Garment), _count(Event), _count(User)) == counts


def test_demo_refuses_a_database_that_has_data(app, runner, demo):
    with app.app_context():
        before = _count(Event)
    result = runner.invoke(args=["kiosk", "demo"])
    assert result.exit_code != 0
    assert "already has data" in result.output
    with app.app_context():
        assert _count(Event) == before


def test_if_empty_leaves_a_database_with_only_staff_alone(app, runner, make):
    make.employee("张三")
    db.session.commit()
    result = runner.invoke(args=["kiosk", "demo", "--if-empty"])
    assert result.exit_code == 0
    assert _count(Garment) == 0 and _count(User) == 0


# --- the demo marked, and taken out again (kiosk demo --remove) ---------------

def _rows_up_to(marks: dict[str, int]) -> dict[str, int]:
    """Per table, the rows with an id up to the demo's mark: the demo's records."""
    tables = {t.name: t for t in db.metadata.sorted_tables}
    return {name: db.session.scalar(select(func.count()).select_from(tables[name])
                                    .where(tables[name].c.id <= mark))
            for name, mark in marks.items()}


def _all_rows() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def test_the_demo_marks_its_hotel_and_the_highest_id_of_every_table_it_filled(app, demo):
    from kiosk.hotel.services import demo_marks, the_hotel

    with app.app_context():
        hotel = the_hotel(db.session)
        assert hotel.is_demo and hotel.name == "演示酒店"
        marks = demo_marks(hotel)
        # The shift checklists' items are the hotel's (seeded as migration 0012 does), not the demo's; so
        # is its property; the demo operators' memberships (no id) go with the operators.
        filled = {name for name, count in _all_rows().items()
                  if count and name not in ("hotel", "checklist_items", "properties", "property_members")}
        assert filled <= set(marks)  # every table the demo filled has its mark
        for name, mark in marks.items():
            table = next(t for t in db.metadata.sorted_tables if t.name == name)
            assert db.session.scalar(select(func.max(table.c.id))) == mark


def test_remove_takes_out_every_demo_record_and_keeps_what_came_later(app, runner, demo):
    import datetime as dt

    from kiosk.hotel.services import demo_marks, the_hotel
    from kiosk.ledger import move
    from kiosk.models import OperatorChange, OperatorSession
    from tests.conftest import Factory

    with app.app_context():
        marks = demo_marks(the_hotel(db.session))
        assert {"users", "employees", "garments", "events", "departments"} <= set(marks)
        assert all(_rows_up_to(marks).values())
        make = Factory()
        # A real hotel's first records, typed in after the try-out.
        admin = make.user("新管理员", role="admin", pin="2580")
        department = make.department("新部门")
        employee = make.employee("新员工", department=department, staff_no="N0001", uniform_no="8001")
        gtype = make.garment_type("NEWT")
        own = make.garment("NEWT-000001", garment_type=gtype, owner=employee, status="issued")
        # Mentions of demo records in columns that may be empty: kept, let go of them.
        demo_staff = db.session.scalars(select(Employee).order_by(Employee.id)).first()
        mixed = make.garment("NEWT-000002", garment_type=gtype, owner=demo_staff)
        admin.employee_id = demo_staff.id
        # A demo garment moved later by the real admin: the move goes with the garment.
        demo_garment = db.session.scalars(select(Garment).where(Garment.status == "issued")).first()
        move(db.session, demo_garment, Action.CHECK_IN, user=admin, station="checkin")
        # The demo admin signed in and changed an operator; their sessions and records go with them.
        demo_admin = db.session.scalar(select(User).where(User.name == "管理员"))
        db.session.add(OperatorSession(token_hash="a" * 64, user_id=demo_admin.id, client="10.0.0.9", property_id=1))
        db.session.add(OperatorChange(user_id=demo_admin.id, actor="cli", action="unlocked"))
        db.session.add(OperatorChange(user_id=admin.id, actor_id=demo_admin.id, action="added",
                                      at=dt.datetime.now(dt.timezone.utc)))
        db.session.commit()
        kept_ids = {"garments": {own.id, mixed.id}, "users": {admin.id}, "employees": {employee.id}}
        real_events = db.session.scalar(select(func.count()).select_from(Event)
                                        .where(Event.garment_id.in_([own.id, mixed.id])))

    result = runner.invoke(args=["kiosk", "demo", "--remove", "--yes"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "Demo removed" in result.output

    with app.app_context():
        assert set(_rows_up_to(marks).values()) == {0}, _rows_up_to(marks)
        assert set(db.session.scalars(select(Garment.id))) == kept_ids["garments"]
        assert set(db.session.scalars(select(User.id))) == kept_ids["users"]
        assert set(db.session.scalars(select(Employee.id))) == kept_ids["employees"]
        assert db.session.scalars(select(Department.name)).all() == ["新部门"]
        assert db.session.scalars(select(GarmentType.code)).all() == ["NEWT"]
        assert _count(Event) == real_events  # the demo garment's later move went with it
        assert db.session.get(Garment, mixed.id).owner_id is None
        assert db.session.get(User, admin.id).employee_id is None
        assert _count(OperatorSession) == 0
        [change] = db.session.scalars(select(OperatorChange)).all()
        assert (change.user_id, change.actor_id) == (admin.id, None)
        hotel = the_hotel(db.session)
        assert (hotel.is_demo, hotel.demo_marks) == (False, "{}")
    assert "PIN 9999" not in runner.invoke(args=["kiosk", "demo", "--if-empty"]).output


def test_remove_of_an_untouched_demo_leaves_an_empty_database(app, runner, demo):
    assert runner.invoke(args=["kiosk", "demo", "--remove", "--yes"]).exit_code == 0
    with app.app_context():
        left = {name: count for name, count in _all_rows().items() if count and name not in ("hotel", "properties")}
        # Only the hotel's shift checklists stay (its written duties, as migration 0012 seeds them).
        assert left == {"checklist_items": len(DEFAULT_ITEMS)}
    client = app.test_client()
    assert client.get("/").headers["Location"].endswith("/setup")  # nobody left: the first-run screen


def test_remove_refuses_a_database_that_is_not_the_demo(app, runner, make):
    make.user("管理员", role="admin")
    db.session.commit()
    result = runner.invoke(args=["kiosk", "demo", "--remove", "--yes"])
    assert result.exit_code != 0 and "not the demo" in result.output
    assert _count(User) == 1


def test_remove_asks_on_a_terminal_and_needs_yes_without_one(app, runner, demo, monkeypatch):
    with app.app_context():
        before = _count(Garment)
    refused = runner.invoke(args=["kiosk", "demo", "--remove"])
    assert refused.exit_code != 0 and "--yes" in refused.output
    monkeypatch.setattr("kiosk.hotel.cli.interactive", lambda: True)
    declined = runner.invoke(args=["kiosk", "demo", "--remove"], input="n\n")
    assert declined.exit_code != 0
    with app.app_context():
        assert _count(Garment) == before
    confirmed = runner.invoke(args=["kiosk", "demo", "--remove"], input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    with app.app_context():
        assert _count(Garment) == 0


@pytest.mark.parametrize("hour", [3, 7])
def test_every_status_is_reached_at_an_hour_when_few_spares_find_a_wearer(app, hour):
    """The ledger is built back from now, so who may wear a spare depends on the hour: at 07:00 UTC
    on 2026-12-03 none of ten spares found a wearer (a red test of the afternoon); 03:00 has the fewest."""
    import datetime as dt

    from kiosk.demo import load_demo

    with app.app_context():
        load_demo(db.session, hash_method="pbkdf2:sha256:1000",
                  now=dt.datetime(2026, 12, 3, hour, 0, tzinfo=dt.timezone.utc))
        db.session.commit()
        assert set(db.session.scalars(select(Garment.status).distinct())) == {
            s.value for s in Status if s is not Status.IN_TRANSIT}
