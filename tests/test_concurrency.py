"""Two tablets scanning the same garment at the same moment: exactly one move happens.

The race is forced, not hoped for: a flush listener holds every writer for a
moment after it has read the garment, so both requests read the same version
before either writes. Runs on SQLite (file) and PostgreSQL alike.
"""
import threading
import time

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from kiosk.extensions import db
from kiosk.models import Event, Garment

from .conftest import Factory, login


@pytest.fixture
def slow_writers():
    """Hold each flush for 150 ms, so concurrent requests overlap read → write."""

    def hold(session, flush_context, instances):
        if any(isinstance(obj, Event) for obj in session.new):
            time.sleep(0.15)

    event.listen(Session, "before_flush", hold)
    yield
    event.remove(Session, "before_flush", hold)


def _tablets(app, n=2):
    clients = []
    with app.app_context():
        users = [Factory().user(role="clerk", pin="2580") for _ in range(n)]
        db.session.commit()
        ids = [u.id for u in users]
    for user_id in ids:
        client = app.test_client()
        assert login(client, user_id).status_code == 302
        clients.append(client)
    return clients


def _at_once(clients, path, data):
    barrier = threading.Barrier(len(clients))
    answers = [None] * len(clients)

    def scan(i, client):
        barrier.wait()
        response = client.post(path, data=data, headers={"HX-Request": "true"})
        answers[i] = (response.status_code, response.get_data(as_text=True))

    threads = [threading.Thread(target=scan, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return answers


def _result_of(html):
    for word in ("ok", "duplicate", "error"):
        if f'data-scan-result="{word}"' in html:
            return word
    raise AssertionError(html[:500])


def test_two_tablets_checking_in_one_garment_move_it_once(app, slow_writers):
    with app.app_context():
        garment = Factory().garment(tag="RACE-1", status="issued")
        db.session.commit()
    clients = _tablets(app)
    answers = _at_once(clients, "/checkin/scan", {"code": "RACE-1"})
    assert all(status == 200 for status, _ in answers)
    results = sorted(_result_of(html) for _, html in answers)
    assert results.count("ok") == 1, results
    loser = next(html for _, html in answers if _result_of(html) != "ok")
    assert _result_of(loser) == "error" and "RACE-1" in loser  # told which garment, not a bare failure
    with app.app_context():
        garment = db.session.scalar(select(Garment).where(Garment.tag == "RACE-1"))
        moves = db.session.scalar(select(func.count()).select_from(Event)
                                  .where(Event.garment_id == garment.id, Event.action == "check_in"))
        assert (garment.status, moves, garment.version) == ("dirty", 1, 2)


def test_many_garments_scanned_on_two_tablets_at_once_each_move_once(app):
    """Without the forced delay: real overlap, many times; never a double move."""
    with app.app_context():
        f = Factory()
        gtype = f.garment_type()
        tags = [f.garment(tag=f"PAIR-{i}", garment_type=gtype, status="issued").tag for i in range(15)]
        db.session.commit()
    clients = _tablets(app)
    for tag in tags:
        answers = _at_once(clients, "/checkin/scan", {"code": tag})
        assert [_result_of(h) for _, h in answers].count("ok") == 1, tag
    with app.app_context():
        counts = db.session.execute(
            select(Garment.tag, func.count(Event.id)).join(Event, Event.garment_id == Garment.id)
            .where(Event.action == "check_in").group_by(Garment.tag)).all()
        assert dict(counts) == {tag: 1 for tag in tags}


def test_two_tablets_issuing_to_one_person_at_once_respect_the_entitlement(app, slow_writers):
    """Two different clean garments, one person entitled to one: only one goes out."""
    with app.app_context():
        f = Factory()
        person = f.employee("并发")
        shirt = f.garment_type(entitlement=1)
        f.garment(tag="ENT-1", garment_type=shirt, owner=person)
        f.garment(tag="ENT-2", garment_type=shirt, owner=person)
        db.session.commit()
        person_id = person.id
    clients = _tablets(app)
    barrier = threading.Barrier(2)
    answers = [None, None]

    def issue(i, client, tag):
        barrier.wait()
        response = client.post("/issue/scan", data={"employee_id": person_id, "code": tag},
                               headers={"HX-Request": "true"})
        answers[i] = response.get_data(as_text=True)

    threads = [threading.Thread(target=issue, args=(i, c, t))
               for i, (c, t) in enumerate(zip(clients, ["ENT-1", "ENT-2"]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    results = sorted(_result_of(html) for html in answers)
    assert results == ["error", "ok"], results
    with app.app_context():
        issued = db.session.scalar(select(func.count()).select_from(Garment)
                                   .where(Garment.holder_id == person_id, Garment.status == "issued"))
        assert issued == 1
