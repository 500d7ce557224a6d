"""Scans a tablet kept in its queue while the Wi-Fi was down (kiosk/static/js/scan.js), as the
server takes them: the tablet's id for each scan is its request key (sent again, it moves
nothing more and is answered as the first), and when it was scanned is kept on the event,
within bounds. Every station that moves a garment on a scan; SQLite and PostgreSQL.
"""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Event, utcnow

from .conftest import Factory, login
from .scans import HX, scan_result, text_of
from .test_concurrency import _each_at_once, _tablets


def events_of(garment, action: str | None = None) -> list[Event]:
    """The garment's events (``action``: of that action only), as committed."""
    db.session.expire_all()
    query = select(Event).where(Event.garment_id == garment.id)
    if action is not None:
        query = query.where(Event.action == action)
    return list(db.session.scalars(query.order_by(Event.id)))


def millis(when: dt.datetime) -> str:
    return str(int(when.timestamp() * 1000))


@pytest.fixture
def clerk(login_as):
    return login_as("clerk")


def test_a_queued_scan_sent_twice_checks_in_once_and_the_repeat_is_answered_as_already_scanned(
        app, make, client, clerk):
    garment = make.garment(status="issued", owner=make.employee())
    db.session.commit()
    scanned = utcnow() - dt.timedelta(minutes=7)
    form = {"code": garment.tag, "scan_id": uuid.uuid4().hex, "scanned_at": millis(scanned)}
    first = text_of(client.post("/checkin/scan", data=form, headers=HX))
    app.config["KIOSK_DUPLICATE_SECONDS"] = 0  # no time window to hide behind: the id alone
    again = text_of(client.post("/checkin/scan", data=form, headers=HX))
    assert (scan_result(first), scan_result(again)) == ("ok", "duplicate")
    [event] = events_of(garment, "check_in")
    assert abs((event.scanned_at - scanned).total_seconds()) < 0.01
    assert event.scanned_at < event.created_at
    # Without an id the same code again is a new scan (refused: it is dirty already) -- the id did it.
    refused = text_of(client.post("/checkin/scan", data={"code": garment.tag}, headers=HX))
    assert scan_result(refused) == "error" and len(events_of(garment, "check_in")) == 1


def test_a_scan_time_in_the_future_is_its_arrival_and_one_older_than_the_queue_keeps_is_refused(
        app, make, client, clerk):
    ahead, stale, plain = (make.garment(status="issued", owner=make.employee()) for _ in range(3))
    db.session.commit()
    client.post("/checkin/scan", data={"code": ahead.tag, "scan_id": "a1",
                                       "scanned_at": millis(utcnow() + dt.timedelta(hours=3))}, headers=HX)
    [event] = events_of(ahead, "check_in")
    assert event.scanned_at == event.created_at
    old = text_of(client.post("/checkin/scan", data={"code": stale.tag, "scan_id": "a2",
                                                     "scanned_at": millis(utcnow() - dt.timedelta(hours=13))},
                              headers=HX))
    assert scan_result(old) == "error" and "more than 12 hours ago" in old and stale.tag in old
    assert events_of(stale, "check_in") == []
    for nonsense in ("yesterday", "1E+30", "9" * 40, "-5", "\x00"):
        client.post("/checkin/scan", data={"code": plain.tag, "scanned_at": nonsense}, headers=HX)
    [event] = events_of(plain, "check_in")  # taken as arriving now; every other try is the duplicate
    assert event.scanned_at is None


def test_a_malformed_scan_id_is_refused_and_nothing_moves(make, client, clerk):
    garment = make.garment(status="issued", owner=make.employee())
    db.session.commit()
    for bad in ("with space", "x" * 65, "tab\there", "中文"):
        answer = text_of(client.post("/checkin/scan", data={"code": garment.tag, "scan_id": bad}, headers=HX))
        assert scan_result(answer) == "error" and "key that is not valid" in answer
    assert events_of(garment, "check_in") == []


def test_the_same_id_from_another_operator_is_their_own_scan(app, make, client, clerk):
    first, second = (make.garment(status="issued", owner=make.employee()) for _ in range(2))
    other = Factory().user(role="clerk", pin="2580")
    db.session.commit()
    client.post("/checkin/scan", data={"code": first.tag, "scan_id": "same-id"}, headers=HX)
    tablet = app.test_client()
    login(tablet, other.id)
    answer = text_of(tablet.post("/checkin/scan", data={"code": second.tag, "scan_id": "same-id"}, headers=HX))
    assert scan_result(answer) == "ok" and len(events_of(second, "check_in")) == 1


def test_thirty_copies_of_one_queued_scan_at_once_move_it_once(app):
    clients = _tablets(app, 30, same_operator=True)
    with app.app_context():
        garment = Factory().garment(status="issued", owner=Factory().employee())
        db.session.commit()
        tag = garment.tag
    app.config["KIOSK_DUPLICATE_SECONDS"] = 0
    form = {"code": tag, "scan_id": uuid.uuid4().hex, "scanned_at": millis(utcnow())}
    answers = _each_at_once([(c, "/checkin/scan", form) for c in clients])
    assert all(status == 200 for status, _ in answers), [a[1][:300] for a in answers if a[0] != 200]
    results = sorted(scan_result(body) for _status, body in answers)
    assert results.count("ok") == 1 and set(results) <= {"ok", "duplicate", "error"}, results
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event).where(Event.action == "check_in")) == 1


@pytest.mark.parametrize("station", ["ironing", "issue", "tailor", "loan", "loan-return"])
def test_every_station_that_moves_a_garment_takes_the_scan_id(app, make, client, login_as, station):
    owner = make.employee()
    status = {"ironing": "ironing", "issue": "in_stock", "tailor": "inspection", "loan": "in_stock",
              "loan-return": "in_stock"}[station]
    garment = make.garment(status=status, owner=owner, defects="button" if station == "tailor" else "")
    db.session.commit()
    login_as("supervisor")
    path, form = {
        "ironing": ("/ironing/scan", {}),
        "issue": ("/issue/scan", {"employee_id": owner.id}),
        "tailor": ("/tailor/scan", {"mode": "out"}),
    }.get(station, (None, {}))
    if station.startswith("loan"):
        from .test_loans import open_loan

        loan = open_loan(client)
        path = f"/loans/{loan.id}/scan"
        if station == "loan-return":
            assert scan_result(text_of(client.post(path, data={"code": garment.tag}, headers=HX))) == "ok"
            path = "/loans/return"
    app.config["KIOSK_DUPLICATE_SECONDS"] = 0
    before = len(events_of(garment))
    data = {**form, "code": garment.tag, "scan_id": uuid.uuid4().hex}
    first = text_of(client.post(path, data=data, headers=HX))
    again = text_of(client.post(path, data=data, headers=HX))
    assert scan_result(first) == "ok", first[-600:]
    assert scan_result(again) == "duplicate", again[-600:]
    assert len(events_of(garment)) == before + 1
