"""The demo hotel: believable, consistent with its ledger, loaded once."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from kiosk.demo import DEMO_USERS, GARMENT_TYPES
from kiosk.domain.codes import is_valid_phone, is_valid_tag
from kiosk.domain.garment_states import Action, Status
from kiosk.extensions import db
from kiosk.models import ROLES, Department, Employee, Event, Garment, GarmentType, User, utcnow

RARE_CHARACTERS = "堃喆玥赟"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def demo(app, runner):
    result = runner.invoke(args=["kiosk", "demo"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


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
        assert statuses == {s.value for s in Status}
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
    assert {u.role for u in DEMO_USERS} == set(ROLES)
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
