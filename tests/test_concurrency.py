"""Two tablets at the same moment: exactly one move happens, and every answer is an answer.

Scans, ironing flags, inspection routes and stock forms. The race is forced,
not hoped for: a flush listener holds every writer for a moment after it has
read, so both requests read the same version before either writes; a lock
held by another connection shows what a busy database answers. Runs on SQLite
(file) and PostgreSQL alike.
"""
import re
import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from kiosk.domain.defects import DEFECTS
from kiosk.extensions import db
from kiosk.models import Event, Garment

from .conftest import Factory, login


@contextmanager
def _held_flushes(*models):
    """Hold each flush that adds one of ``models`` for 150 ms, so concurrent requests overlap read → write."""

    def hold(session, flush_context, instances):
        if any(isinstance(obj, models) for obj in session.new):
            time.sleep(0.15)

    event.listen(Session, "before_flush", hold)
    try:
        yield
    finally:
        event.remove(Session, "before_flush", hold)


@pytest.fixture
def slow_writers():
    """Every write of an event (a scan, a flag, a route) is held."""
    with _held_flushes(Event):
        yield


@pytest.fixture
def slow_stock_writers():
    """Every write of a stock movement is held."""
    from kiosk.stock.models import StockMovement

    with _held_flushes(StockMovement):
        yield


def _tablets(app, n=2, *, role="clerk", same_operator=False):
    """``n`` signed-in test clients: one operator each, or one operator on every tablet."""
    with app.app_context():
        ids = [Factory().user(role=role, pin="2580").id for _ in range(1 if same_operator else n)]
        db.session.commit()
    clients = []
    for i in range(n):
        client = app.test_client()
        assert login(client, ids[0 if same_operator else i]).status_code == 302
        clients.append(client)
    return clients


def _each_at_once(posts):
    """``posts``: (client, path, data), each sent by its own thread at the same moment."""
    barrier = threading.Barrier(len(posts))
    answers = [None] * len(posts)

    def send(i, client, path, data):
        barrier.wait()
        response = client.post(path, data=data, headers={"HX-Request": "true"})
        answers[i] = (response.status_code, response.get_data(as_text=True))

    threads = [threading.Thread(target=send, args=(i, *post)) for i, post in enumerate(posts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return answers


def _at_once(clients, path, data):
    return _each_at_once([(client, path, data) for client in clients])


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
    answers = _each_at_once([(client, "/issue/scan", {"employee_id": person_id, "code": tag})
                             for client, tag in zip(clients, ["ENT-1", "ENT-2"])])
    results = sorted(_result_of(html) for _, html in answers)
    assert results == ["error", "ok"], results
    with app.app_context():
        issued = db.session.scalar(select(func.count()).select_from(Garment)
                                   .where(Garment.holder_id == person_id, Garment.status == "issued"))
        assert issued == 1


# --- flags, routes and stock forms from two tablets at once -------------------

def _events_of(tag, *actions):
    garment = db.session.scalar(select(Garment).where(Garment.tag == tag))
    return db.session.scalars(select(Event.action).where(Event.garment_id == garment.id,
                                                         Event.action.in_(actions))).all()


def test_two_ironers_flagging_one_garment_at_once_the_loser_hears_it_was_just_moved(app, slow_writers):
    with app.app_context():
        Factory().garment(tag="FLAG-1", status="inspection")
        db.session.commit()
    a, b = _tablets(app, role="ironer")
    answers = _each_at_once([(a, "/ironing/flag", {"tag": "FLAG-1", "defect": "damage", "request_key": "ka"}),
                             (b, "/ironing/flag", {"tag": "FLAG-1", "defect": "hair", "request_key": "kb"})])
    assert [status for status, _ in answers] == [200, 200], answers
    assert sorted(_result_of(html) for _, html in answers) == ["error", "ok"]
    loser = next(html for _, html in answers if _result_of(html) == "error")
    assert "FLAG-1 was just moved on another tablet: it is waiting for inspection." in loser
    with app.app_context():
        assert len(_events_of("FLAG-1", "flag")) == 1


def test_two_inspectors_routing_one_garment_at_once_move_it_once_and_the_loser_hears_where(app, slow_writers):
    with app.app_context():
        Factory().garment(tag="ROUTE-1", status="inspection")
        db.session.commit()
    a, b = _tablets(app)
    answers = _each_at_once([
        (a, "/inspection/act", {"code": "ROUTE-1", "action": "pass", "checks": ["buttons", "hooks", "zippers"],
                                "request_key": "ka"}),
        (b, "/inspection/act", {"code": "ROUTE-1", "action": "rewash", "request_key": "kb"})])
    assert [status for status, _ in answers] == [200, 200], answers
    assert sorted(_result_of(html) for _, html in answers) == ["error", "ok"]
    passed = _result_of(answers[0][1]) == "ok"
    loser = answers[1 if passed else 0][1]
    where = "it is clean and in its slot" if passed else "it is waiting for the wash"
    assert f"ROUTE-1 was just moved on another tablet: {where}." in loser
    with app.app_context():
        assert _events_of("ROUTE-1", "pass", "rewash") == ["pass" if passed else "rewash"]


def test_a_flag_and_a_route_of_one_garment_at_once_give_no_500_and_route_it_once(app, slow_writers):
    with app.app_context():
        Factory().garment(tag="FR-1", status="inspection")
        db.session.commit()
    (ironer,) = _tablets(app, 1, role="ironer")
    (inspector,) = _tablets(app, 1)
    answers = _each_at_once([
        (ironer, "/ironing/flag", {"tag": "FR-1", "defect": "damage", "request_key": "ka"}),
        (inspector, "/inspection/act", {"code": "FR-1", "action": "rewash", "request_key": "kb"})])
    assert [status for status, _ in answers] == [200, 200], answers
    flagged, routed = (_result_of(html) for _, html in answers)
    assert "ok" in (flagged, routed)
    with app.app_context():
        assert len(_events_of("FR-1", "rewash")) == (routed == "ok")
        assert len(_events_of("FR-1", "flag")) == (flagged == "ok")


def test_thirty_tablets_flagging_one_garment_at_once_are_each_answered(app, slow_writers):
    """More than SQLite's busy_timeout of held writes: a busy database is an answer too, never a 500."""
    with app.app_context():
        Factory().garment(tag="FLAG-30", status="inspection")
        db.session.commit()
    tablets = _tablets(app, 30, role="ironer")
    defects = list(DEFECTS)
    answers = _each_at_once([(t, "/ironing/flag", {"tag": "FLAG-30", "defect": defects[i % len(defects)],
                                                   "request_key": f"k{i}"}) for i, t in enumerate(tablets)])
    assert {status for status, _ in answers} == {200}
    results = [_result_of(html) for _, html in answers]
    with app.app_context():
        flags = _events_of("FLAG-30", "flag")
        assert len(flags) == results.count("ok") >= 1
        garment = db.session.scalar(select(Garment).where(Garment.tag == "FLAG-30"))
        assert len(garment.defects.split(",")) == len(flags)


@pytest.fixture
def impatient_database(app):
    """Every new connection gives up waiting for a lock after 0.2 s (SQLite busy_timeout,
    PostgreSQL lock_timeout), so a held lock shows what a busy database answers."""
    with app.app_context():  # not held during the test: each request has its own context
        engine = db.engine
    dialect = engine.dialect.name

    def impatient(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        if dialect == "sqlite":
            cursor.execute("PRAGMA busy_timeout=200")
        else:
            cursor.execute("SET lock_timeout = '200ms'")
            dbapi_connection.commit()
        cursor.close()

    engine.dispose()
    event.listen(engine, "connect", impatient)
    yield engine
    event.remove(engine, "connect", impatient)


@contextmanager
def _lock_held(engine, table, row_id):
    """Another connection holds the write lock (SQLite) or the row's lock (PostgreSQL) meanwhile."""
    with engine.connect() as other:
        if engine.dialect.name == "sqlite":
            other.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            other.exec_driver_sql(f"SELECT id FROM {table} WHERE id = {int(row_id)} FOR UPDATE")
        try:
            yield
        finally:
            other.rollback()


def test_a_flag_while_the_database_is_locked_is_answered_busy_and_nothing_is_written(
        app, client, login_as, impatient_database):
    with app.app_context():
        garment_id = Factory().garment(tag="BUSY-1", status="inspection").id
        db.session.commit()
    login_as("ironer")
    with _lock_held(impatient_database, "garments", garment_id):
        response = client.post("/ironing/flag", data={"tag": "BUSY-1", "defect": "damage", "request_key": "kb"},
                               headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and _result_of(html) == "error"
    assert "The database is busy" in html
    with app.app_context():
        assert _events_of("BUSY-1", "flag") == []
    again = client.post("/ironing/flag", data={"tag": "BUSY-1", "defect": "damage", "request_key": "kb"},
                        headers={"HX-Request": "true"})  # the key stayed free: the same tap lands now
    assert _result_of(again.get_data(as_text=True)) == "ok"


def _sock_item(on_hand=10):
    from kiosk.stock.models import StockItem

    item = StockItem(code="SOCK", name_zh="袜子", name_en="Socks", kind="socks", size="", quantity_on_hand=on_hand)
    db.session.add(item)
    db.session.flush()
    return item


STOCK_FORMS = [
    ("/stock/receive", {"quantity": "5"}, 15),
    ("/stock/issue", {"who": "S-TWICE", "code": "SOCK", "quantity": "1"}, 9),
    ("/stock/adjust", {"delta": "-2", "reason": "盘点少两双"}, 8),
]


@pytest.mark.parametrize("path,data,after", STOCK_FORMS, ids=["receive", "issue", "adjust"])
def test_one_stock_form_posted_twice_at_once_moves_stock_once_and_both_answers_are_normal(
        app, slow_stock_writers, path, data, after):
    from kiosk.stock.models import StockItem, StockMovement

    with app.app_context():
        Factory().employee("袜子领用", staff_no="S-TWICE")
        item_id = _sock_item(on_hand=10).id
        db.session.commit()
    tablets = _tablets(app, role="supervisor", same_operator=True)  # one form, tapped twice
    form = {"item_id": item_id, "request_key": "twice", **data}
    answers = _each_at_once([(t, path, form) for t in tablets])
    assert [status for status, _ in answers] == [200, 200], answers
    outcomes = sorted(re.search(r'data-stock-result="(\w*)"', html).group(1) for _, html in answers)
    assert outcomes == ["duplicate", "ok"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 1
        assert db.session.get(StockItem, item_id).quantity_on_hand == after


def test_a_stock_form_while_the_database_is_locked_is_refused_busy_and_nothing_moves(
        app, client, login_as, impatient_database):
    from kiosk.stock.models import StockItem, StockMovement

    with app.app_context():
        item_id = _sock_item(on_hand=10).id
        db.session.commit()
    login_as("clerk")
    with _lock_held(impatient_database, "stock_items", item_id):
        response = client.post("/stock/receive", data={"item_id": item_id, "quantity": "5", "request_key": "kr"},
                               headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-stock-result="error"' in html
    assert "The database is busy, so nothing was saved" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 0
        assert db.session.get(StockItem, item_id).quantity_on_hand == 10
