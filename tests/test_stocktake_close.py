"""A stocktake close that blocks nobody: the unseen marked missing in short steps while the
stations go on, count scans refused while it runs, a close cut short finished later.

Runs on a SQLite file and on PostgreSQL (KIOSK_TEST_DATABASE_URL) alike: the close and the
scans are real requests on their own connections, at the same time.
"""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kiosk.auth.services import Policy
from kiosk.extensions import db
from kiosk.models import Event, Garment, User
from kiosk.stock.models import StockItem
from kiosk.stocktake import services
from kiosk.domain.garment_states import Action
from kiosk.ledger import move
from kiosk.stocktake.models import Stocktake, StocktakeCloseQueue, StocktakeSnapshot
from tests.conftest import Factory, login
from tests.scans import HX, scan_result, text_of

MONTH = "2026-05"
UNSEEN = 600      # in the room, nobody counts them: missing at the close
SEEN = 40         # counted
OUT = 120         # issued: checked in at the counter while the close runs


@pytest.fixture
def room(app, monkeypatch):
    """A supervisor, a counting clerk and a counter clerk; the garments above, counted."""
    monkeypatch.setattr(services, "CLOSE_STEP", 10)  # many steps, so the scans fall between them
    with app.app_context():
        make = Factory()
        ids = {"boss": make.user("主管", role="supervisor", pin="1470").id,
               "counter": make.user("盘点员", role="clerk", pin="3691").id,
               "desk": make.user("收发员", role="clerk", pin="4826").id}
        shirt = make.garment_type("SHIRT", unit_cost=Decimal("80.00"))
        unseen = [make.garment(f"UN-{n:04d}", garment_type=shirt, size="M").tag for n in range(UNSEEN)]
        seen = [make.garment(f"SE-{n:04d}", garment_type=shirt, size="M").tag for n in range(SEEN)]
        out = [make.garment(f"OUT-{n:04d}", garment_type=shirt, size="L", status="issued").tag for n in range(OUT)]
        db.session.commit()
        boss = db.session.get(User, ids["boss"])
        ids["stocktake"] = services.open_stocktake(db.session, MONTH, user=boss).id
        db.session.commit()
    counting = _client(app, ids["counter"], "3691")
    for tag in seen:
        assert scan_result(text_of(_count(counting, ids["stocktake"], tag))) == "ok"
    return {**ids, "unseen": unseen, "seen": seen, "out": out, "counting": counting}


def _client(app, user_id, pin):
    client = app.test_client()
    assert login(client, user_id, pin).status_code == 302
    return client


def _count(client, stocktake_id, code):
    return client.post(f"/stocktake/{stocktake_id}/scan", data={"code": code}, headers=HX)


def _close(client, room):
    return client.post(f"/stocktake/{room['stocktake']}/close", data={
        "supervisor_id": room["boss"], "supervisor_pin": "1470",
        "counter_id": room["counter"], "counter_pin": "3691"})


def _status(app, stocktake_id) -> str:
    """The stocktake's status as committed (a connection of its own)."""
    with app.app_context(), db.engine.connect() as connection:
        return connection.scalar(select(Stocktake.status).where(Stocktake.id == stocktake_id))


def _events(action: str, tags) -> dict[str, int]:
    return dict(db.session.execute(
        select(Garment.tag, func.count(Event.id)).join(Event, Event.garment_id == Garment.id)
        .where(Event.action == action, Garment.tag.in_(list(tags))).group_by(Garment.tag)).all())


def test_a_close_while_the_counter_checks_in_refuses_no_scan_and_loses_nothing(app, room):
    desk = _client(app, room["desk"], "4826")
    answers: list[tuple[str, str, str, str]] = []  # (tag, result, status before, status after)
    scanning = threading.Event()

    def check_in_all():
        for tag in room["out"]:
            before = _status(app, room["stocktake"])
            response = desk.post("/checkin/scan", data={"code": tag}, headers=HX)
            answers.append((tag, scan_result(text_of(response)), before, _status(app, room["stocktake"])))
            if len(answers) == 5:
                scanning.set()  # the counter is busy: now the supervisor closes

    boss = _client(app, room["boss"], "1470")
    counter = threading.Thread(target=check_in_all)
    counter.start()
    assert scanning.wait(30)
    closed = _close(boss, room)
    counter.join(120)

    assert closed.status_code == 302, text_of(closed)
    # Every check-in landed: none refused (busy or otherwise), while the close was under way.
    assert [a for a in answers if a[1] != "ok"] == []
    assert len(answers) == OUT
    during = [a for a in answers if a[2] == a[3] == "closing"]
    assert during, sorted({a[2:] for a in answers})  # some check-ins fell inside the close
    with app.app_context():
        stocktake = db.session.get(Stocktake, room["stocktake"])
        assert stocktake.status == "closed"
        # In the room and unseen at the moment of the close: missing, each through one event
        # (a garment checked in before the close and not counted too); seen at the counter
        # after that moment, or counted: not missing. The snapshot agrees to the garment.
        statuses = dict(db.session.execute(select(Garment.tag, Garment.status)).all())
        before = [tag for tag in room["out"] if statuses[tag] == "missing"]
        after = [tag for tag in room["out"] if statuses[tag] == "dirty"]
        assert sorted(before + after) == sorted(room["out"])
        assert after and len(before) >= 5  # five were in before the close began
        assert _events("check_in", room["out"]) == {tag: 1 for tag in room["out"]}
        assert _events("mark_missing", room["unseen"] + before) == {tag: 1 for tag in room["unseen"] + before}
        assert _events("mark_missing", room["seen"] + after) == {}
        assert {statuses[t] for t in room["unseen"]} == {"missing"}
        assert {statuses[t] for t in room["seen"]} == {"in_stock"}
        assert {statuses[t] for t in after} == {"dirty"}
        # What the close kept agrees with the ledger.
        assert sorted(m["tag"] for m in stocktake.missing) == sorted(room["unseen"] + before)
        lines = {row.size: (row.expected, row.seen, row.accounted_for, row.missing)
                 for row in db.session.scalars(select(StocktakeSnapshot)
                                               .where(StocktakeSnapshot.stocktake_id == stocktake.id))}
        assert lines == {"M": (UNSEEN + SEEN, SEEN, 0, UNSEEN),
                         "L": (len(before), 0, OUT - len(before), len(before))}
        missing = db.session.scalars(select(Garment).where(Garment.tag.in_(room["unseen"][:3]))).all()
        assert {g.version for g in missing} == {2}  # one up: a tablet holding the old row is told it moved


def test_a_count_scan_while_the_close_runs_is_refused_with_why(app, room):
    with app.app_context():
        socks = StockItem(code="SOCK", name_zh="袜子", name_en="Socks", kind="socks", quantity_on_hand=40)
        db.session.add(socks)
        db.session.commit()
        socks_id = socks.id
        _claim(room)
    answer = text_of(_count(room["counting"], room["stocktake"], room["unseen"][0]))
    assert scan_result(answer) == "error"
    assert "This stocktake is being closed right now, so it takes no more counts." in answer, answer
    items = room["counting"].post(f"/stocktake/{room['stocktake']}/items", data={"item_id": socks_id, "counted": "1"},
                                  headers=HX)
    assert items.status_code == 200  # the count's page, with why: a stock item is refused as well
    assert "This stocktake is being closed right now, so it takes no more counts." in text_of(items)
    with app.app_context():
        # Nothing counted, nothing marked yet: the close has only been claimed.
        assert db.session.scalar(select(func.count()).select_from(Event).where(Event.action == "mark_missing")) == 0
        garment = db.session.scalar(select(Garment).where(Garment.tag == room["unseen"][0]))
        assert garment.status == "in_stock"


def _claim(room) -> Stocktake:
    """The close's first step only, as a server killed right after it leaves it."""
    boss, counter = db.session.get(User, room["boss"]), db.session.get(User, room["counter"])
    stocktake = services.close(db.session, room["stocktake"], supervisor=boss, supervisor_pin="1470",
                               counter=counter, counter_pin="3691", policy=Policy())
    db.session.commit()
    assert stocktake.status == "closing"
    return stocktake


def test_a_close_cut_short_is_shown_and_finished_once_by_two_at_once(app, room):
    with app.app_context():
        stocktake = _claim(room)
        steps = services.close_steps(db.session, stocktake)
        next(steps)  # one step marked, then the server "died"
        db.session.commit()
        steps.close()
        # Meanwhile a clerk sends one of the still unmarked to the tailor: seen, so not missing.
        moved = db.session.scalar(select(Garment).where(Garment.tag == room["unseen"][-1]))
        move(db.session, moved, Action.TO_TAILOR, user=db.session.get(User, room["counter"]), station="tailor")
        db.session.commit()
    boss = _client(app, room["boss"], "1470")
    page = text_of(boss.get(f"/stocktake/{room['stocktake']}"))
    assert 'data-stocktake-status="closing"' in page and 'data-testid="finish-close"' in page

    # Two supervisors tap "finish" on two tablets at once (or a server starts as one taps).
    other = _client(app, room["boss"], "1470")
    barrier = threading.Barrier(2)
    codes = []

    def finish(client):
        barrier.wait()
        codes.append(client.post(f"/stocktake/{room['stocktake']}/finish", headers=HX).status_code)

    threads = [threading.Thread(target=finish, args=(c,)) for c in (boss, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert codes == [204, 204]  # each told to show the count (HX-Redirect)
    with app.app_context():
        stocktake = db.session.get(Stocktake, room["stocktake"])
        assert stocktake.status == "closed"
        marked = room["unseen"][:-1]
        assert _events("mark_missing", room["unseen"]) == {tag: 1 for tag in marked}
        assert db.session.scalar(select(Garment.status).where(Garment.tag == room["unseen"][-1])) == "at_tailor"
        assert sorted(m["tag"] for m in stocktake.missing) == sorted(marked)
        assert sum(row.missing for row in stocktake.snapshot) == UNSEEN - 1
        assert db.session.scalar(select(func.count()).select_from(StocktakeCloseQueue)) == 0  # nothing left over
    page = text_of(boss.get(f"/stocktake/{room['stocktake']}"))
    assert 'data-stocktake-status="closed"' in page


def test_a_server_starting_finishes_a_close_cut_short(app, room):
    from kiosk.cli import _finish_cut_short

    with app.app_context():
        _claim(room)
        _finish_cut_short(app)
        stocktake = db.session.get(Stocktake, room["stocktake"])
        assert stocktake.status == "closed" and len(stocktake.missing) == UNSEEN


def test_the_preview_and_the_closed_list_come_a_page_at_a_time(app, room):
    boss = _client(app, room["boss"], "1470")
    preview = text_of(boss.get(f"/stocktake/{room['stocktake']}/close"))
    assert preview.count('<tr data-tag="') == services.PREVIEW_PAGE
    assert f'data-unseen="{UNSEEN}"' in preview  # the counts per type and size show them all
    last = text_of(boss.get(f"/stocktake/{room['stocktake']}/close?page=6", headers=HX))
    assert last.count('<tr data-tag="') == UNSEEN - 5 * services.PREVIEW_PAGE
    assert room["unseen"][-1] in last and room["unseen"][0] not in last

    assert _close(boss, room).status_code == 302
    closed = text_of(boss.get(f"/stocktake/{room['stocktake']}"))
    assert closed.count('<li class="tag-code" data-tag="') == services.PREVIEW_PAGE
    page_two = text_of(boss.get(f"/stocktake/{room['stocktake']}/missing?page=2", headers=HX))
    assert page_two.count('<li class="tag-code" data-tag="') == services.PREVIEW_PAGE
    assert room["unseen"][services.PREVIEW_PAGE] in page_two and room["unseen"][0] not in page_two
