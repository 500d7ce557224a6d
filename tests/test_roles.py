"""Roles as domain data (kiosk.domain.roles): a role may do the same on the home screen's
tile, on the route behind it and in the service, because all three read one table."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from kiosk.auth.services import Policy
from kiosk.domain import roles
from kiosk.domain.errors import DomainError
from kiosk.extensions import db
from kiosk.handover import services as handover
from kiosk.main.stations import STATIONS
from kiosk.stocktake import services as stocktake
from kiosk.web import roles as route_roles
from kiosk.models import User
from kiosk.writeoffs import services as writeoffs
from kiosk.writeoffs.models import Compensation, WriteOff
from tests.conftest import FAST_HASH, Factory, login

PIN = "5927"
POLICY = Policy(hash_method=FAST_HASH)


def test_the_groups_say_who_manages_approves_and_works_the_counter():
    group = ["group_supervisor", "group_admin"]
    assert [r for r in roles.ROLES if roles.is_manager(r)] == ["supervisor", "admin", *group]
    assert [r for r in roles.ROLES if roles.can_approve(r)] == ["supervisor", "admin", *group]
    assert [r for r in roles.ROLES if roles.works_counter(r)] == ["clerk", "supervisor", "admin", *group]
    assert [r for r in roles.ROLES if roles.in_group(r)] == group
    assert not roles.is_manager(None) and not roles.works_counter(None) and not roles.in_group(None)
    assert {r: roles.label(r) for r in roles.ROLES} == {
        "clerk": "Clerk", "ironer": "Ironer", "supervisor": "Supervisor", "admin": "Administrator",
        "group_supervisor": "Group supervisor", "group_admin": "Group administrator"}
    # A hotel's administrator gives a hotel's roles only; the group's administrator every role.
    assert not roles.may_manage("admin", "group_admin") and not roles.may_manage("admin", "group_supervisor")
    assert roles.may_manage("group_admin", "group_admin") and roles.may_manage("group_admin", "clerk")


def test_a_route_cannot_name_a_role_that_does_not_exist():
    with pytest.raises(ValueError, match="supervisr"):
        route_roles("clerk", "supervisr")
    assert route_roles(*roles.COUNTER)(lambda: None)._access == frozenset(roles.COUNTER)


@pytest.mark.parametrize("role", roles.ROLES)
def test_every_tile_a_role_sees_opens_and_every_tile_it_does_not_see_is_refused(app, client, login_as, role):
    login_as(role)
    home = client.get("/").get_data(as_text=True)
    with app.test_request_context():
        urls = {s.endpoint: app.url_for(s.endpoint) for s in STATIONS}
    shown = 0
    for station in STATIONS:
        on_tile = f'data-station="{station.endpoint}"' in home
        assert on_tile == (role in station.roles), station.endpoint
        assert client.get(urls[station.endpoint]).status_code == (200 if on_tile else 403), station.endpoint
        shown += on_tile
    assert shown >= 2  # every role has a screen (ironing, the look-up)


@pytest.fixture
def write_off(app):
    """A write-off a clerk opened for an employee's lost shirt (the employee pays), waiting for approval."""
    with app.app_context():
        make = Factory()
        owner = make.employee("张堃", staff_no="E777")
        make.garment("SH-000001", owner=owner, cost=Decimal("120.00"),
                     purchased_on=dt.date.today() - dt.timedelta(days=30))
        clerk = make.user("收发员", role="clerk", pin="1470")
        db.session.commit()
        clerk_id = clerk.id
    client = app.test_client()
    login(client, clerk_id, "1470")
    opened = client.post("/writeoffs/new", data={"code": "SH-000001", "reason": "lost", "responsible": "employee",
                                                 "staff_no": "E777", "request_key": "key-open-0001"})
    assert opened.status_code == 302
    with app.app_context():
        write_off_id = db.session.scalar(select(WriteOff.id))
    return client, write_off_id


def _user(app, role: str) -> int:
    with app.app_context():
        user = Factory().user(role=role, pin=PIN)
        db.session.commit()
        return user.id


@pytest.mark.parametrize("role", roles.ROLES)
def test_the_approver_tiles_and_the_pin_approval_agree_on_who_approves_a_write_off(app, write_off, role):
    client, write_off_id = write_off
    approver_id = _user(app, role)
    page = client.get(f"/writeoffs/{write_off_id}").get_data(as_text=True)
    assert 'data-testid="approve"' in page  # the clerk's tablet asks for a supervisor's PIN
    assert (f'data-testid="approver-{approver_id}"' in page) == roles.can_approve(role)

    answer = client.post(f"/writeoffs/{write_off_id}/approve",
                         data={"approver_id": approver_id, "pin": PIN}).get_data(as_text=True)
    with app.app_context():
        status = db.session.get(WriteOff, write_off_id).status
    if roles.can_approve(role):
        assert status == "approved" and 'data-testid="approved-by"' in answer
    else:  # a clerk cannot approve by PIN, not even their own write-off
        assert status == "pending" and "Only a supervisor can approve." in answer


@pytest.mark.parametrize("role", roles.ROLES)
def test_settling_a_compensation_is_offered_allowed_and_accepted_for_managers_only(app, write_off, role):
    client, write_off_id = write_off
    boss_id = _user(app, "supervisor")
    client.post(f"/writeoffs/{write_off_id}/approve", data={"approver_id": boss_id, "pin": PIN})
    user_id = _user(app, role)
    viewer = app.test_client()
    login(viewer, user_id, PIN)
    with app.app_context():
        compensation = db.session.get(WriteOff, write_off_id).compensation
        assert compensation is not None and compensation.amount > 0
        compensation_id = compensation.id
    page = viewer.get(f"/writeoffs/{write_off_id}")
    if not roles.works_counter(role):
        assert page.status_code == 403
    else:
        assert page.status_code == 200 and 'data-testid="compensation"' in page.get_data(as_text=True)
        assert ('data-testid="mark-paid"' in page.get_data(as_text=True)) == roles.is_manager(role)
    settled = viewer.post(f"/writeoffs/compensations/{compensation_id}/settle", data={"status": "paid"})
    assert settled.status_code == (200 if roles.is_manager(role) else 403)
    with app.app_context():
        compensation = db.session.get(Compensation, compensation_id)
        if roles.is_manager(role):
            assert compensation.current_status == "paid"
        else:
            with pytest.raises(DomainError, match="Only a supervisor can settle"):
                writeoffs.settle(db.session, compensation, "paid", user=db.session.get(User, user_id))


@pytest.mark.parametrize("role", roles.ROLES)
def test_the_stocktake_close_lists_and_accepts_the_same_people(app, make, role):
    boss = make.user("主管", role="supervisor", pin=PIN)
    clerk = make.user("小王", role="clerk", pin=PIN)
    someone = make.user(f"{role}-李", role=role, pin=PIN)
    count = stocktake.open_stocktake(db.session, "2026-03", user=boss)
    db.session.commit()
    supervisors, counters = stocktake.closers(db.session)
    assert (someone in supervisors) == roles.can_approve(role)
    assert (someone in counters) == roles.works_counter(role)

    if roles.can_approve(role):
        stocktake.close(db.session, count.id, supervisor=someone, supervisor_pin=PIN, counter=clerk,
                        counter_pin=PIN, policy=POLICY)
        assert not count.is_open
    else:
        with pytest.raises(DomainError) as refused:
            stocktake.close(db.session, count.id, supervisor=someone, supervisor_pin=PIN, counter=clerk,
                            counter_pin=PIN, policy=POLICY)
        assert refused.value.message == stocktake.NOT_SUPERVISOR and count.is_open


@pytest.mark.parametrize("role", roles.ROLES)
def test_who_may_take_over_the_counter_is_listed_and_accepted_alike(make, role):
    writer = make.user("早班", role="clerk", pin=PIN)
    someone = make.user(f"{role}-王", role=role, pin=PIN)
    written = handover.write(db.session, writer=writer, note="", tailor_days=7)
    db.session.commit()
    assert (someone in handover.successors(db.session, written)) == roles.works_counter(role)
    if roles.works_counter(role):
        handover.acknowledge(db.session, written.id, user=someone, pin=PIN, policy=POLICY)
        assert written.acknowledged_by_id == someone.id
    else:
        with pytest.raises(DomainError) as refused:
            handover.acknowledge(db.session, written.id, user=someone, pin=PIN, policy=POLICY)
        assert refused.value.message == handover.NOT_COUNTER and written.acknowledged_by_id is None
