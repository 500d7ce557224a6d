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
from kiosk.models import Event

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


@pytest.fixture
def clerk(login_as):
    return login_as("clerk")


def test_a_queued_scan_sent_twice_checks_in_once_and_the_repeat_is_answered_as_the_first(
        app, make, client, clerk):
    garment = make.garment(status="issued", owner=make.employee())
    db.session.commit()
    form = {"code": garment.tag, "scan_id": uuid.uuid4().hex, "scan_age": str(7 * 60 * 1000),
            "scan_operator": str(clerk)}
    first = text_of(client.post("/checkin/scan", data=form, headers=HX))
    app.config["KIOSK_DUPLICATE_SECONDS"] = 0  # no time window to hide behind: the id alone
    again = text_of(client.post("/checkin/scan", data=form, headers=HX))
    # The tablet never got the first answer: the repeat is that answer, with its row for the list.
    assert (scan_result(first), scan_result(again)) == ("ok", "ok")
    [event] = events_of(garment, "check_in")
    assert f'id="scan-log-event-{event.id}"' in again
    waited = event.created_at - event.scanned_at
    assert dt.timedelta(minutes=7) <= waited < dt.timedelta(minutes=7, seconds=5)
    # Without an id the same code again is a new scan (refused: it is dirty already) -- the id did it.
    refused = text_of(client.post("/checkin/scan", data={"code": garment.tag}, headers=HX))
    assert scan_result(refused) == "error" and len(events_of(garment, "check_in")) == 1


def test_the_scan_time_is_measured_on_the_tablet_and_one_older_than_the_queue_keeps_is_refused(
        app, make, client, clerk):
    at_once, stale, plain = (make.garment(status="issued", owner=make.employee()) for _ in range(3))
    db.session.commit()
    # Sent a moment after it was scanned: a scan like any other, no time of its own.
    client.post("/checkin/scan", data={"code": at_once.tag, "scan_id": "a1", "scan_age": "300"}, headers=HX)
    [event] = events_of(at_once, "check_in")
    assert event.scanned_at is None
    old = text_of(client.post("/checkin/scan", data={"code": stale.tag, "scan_id": "a2",
                                                     "scan_age": str(13 * 3600 * 1000)}, headers=HX))
    assert scan_result(old) == "error" and "more than 12 hours ago" in old and stale.tag in old
    assert events_of(stale, "check_in") == []
    for nonsense in ("yesterday", "1E+30", "9" * 40, "-5", "\x00"):
        client.post("/checkin/scan", data={"code": plain.tag, "scan_age": nonsense}, headers=HX)
    [event] = events_of(plain, "check_in")  # taken as arriving now; every other try is the duplicate
    assert event.scanned_at is None


def test_a_scan_made_by_another_operator_is_kept_for_them_not_recorded_as_this_one(app, make, client, clerk):
    garment = make.garment(status="issued", owner=make.employee())
    other = Factory().user(role="clerk", pin="2580")
    db.session.commit()
    answer = client.post("/checkin/scan", data={"code": garment.tag, "scan_id": "b1",
                                                "scan_operator": str(other.id)}, headers=HX)
    assert answer.status_code == 409 and answer.headers["X-Kiosk-Queue"] == "held"
    assert "another operator" in text_of(answer) and events_of(garment, "check_in") == []
    mine = client.post("/checkin/scan", data={"code": garment.tag, "scan_id": "b1", "scan_operator": str(clerk)},
                       headers=HX)
    assert scan_result(text_of(mine)) == "ok" and len(events_of(garment, "check_in")) == 1


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
    form = {"code": tag, "scan_id": uuid.uuid4().hex, "scan_age": "10"}
    answers = _each_at_once([(c, "/checkin/scan", form) for c in clients])
    assert all(status == 200 for status, _ in answers), [a[1][:300] for a in answers if a[0] != 200]
    results = sorted(scan_result(body) for _status, body in answers)
    # One moved it; the others, the same scan, are answered as it was (or, racing it, as busy).
    assert results.count("ok") >= 1 and set(results) <= {"ok", "duplicate", "error"}, results
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
        "tailor": ("/tailor/scan", {"mode": "send"}),
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
    assert scan_result(again) == "ok", again[-600:]  # answered as the first was
    assert len(events_of(garment)) == before + 1
