"""Every give holds the position's kit (配发标准): the counter, spares, loans to staff, the undo
of a check-in, the new-hire kit's stock items and the monthly distribution.

The rule is kiosk.kits.services.hold; these tests go through the screens a
clerk uses, on SQLite and PostgreSQL, and race real requests where two
tablets could serve one person at the same moment.
"""
from __future__ import annotations

import re
import threading
import time

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from kiosk.extensions import db
from kiosk.kits.models import KitLine
from kiosk.models import Event, Garment
from kiosk.stock import services as stock
from kiosk.stock.models import DistributionLine, StockItem, StockMovement

from .conftest import Factory, login
from .test_loans import open_loan, lend

HX = {"HX-Request": "true"}


def _result(html: str) -> str:
    return re.search(r'data-scan-result="(\w+)"', html).group(1)


def _events() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Event))


def _garment(tag: str) -> Garment:
    db.session.expire_all()
    return db.session.scalar(select(Garment).where(Garment.tag == tag))


@pytest.fixture
def clerk(client, login_as):
    user_id = login_as("clerk")
    client.post("/language", data={"lang": "en", "next": "/"})
    return user_id


@pytest.fixture
def hotel(make):
    """A restaurant server's kit (2 vests, 1 shirt, shoes, socks) beside a chef's type."""
    vest = make.garment_type("VEST", name_zh="餐厅马甲", name_en="Restaurant vest", entitlement=3)
    shirt = make.garment_type("SHIRT", name_zh="衬衫", name_en="Shirt", entitlement=3)
    chef = make.garment_type("CHEF", name_zh="厨师服", name_en="Chef jacket", entitlement=3)
    dining = make.department("餐饮部")
    for gtype, quantity in ((vest, 2), (shirt, 1)):
        db.session.add(KitLine(position="服务员", type_id=gtype.id, quantity=quantity))
    db.session.add(KitLine(position="服务员", stock_code="SHOE", quantity=1))
    db.session.add(KitLine(position="服务员", stock_code="SOCK", quantity=2))
    server = make.employee("刘芳", department=dining, position="服务员", size="M", shoe_size="38",
                           staff_no="S2001")
    return {"vest": vest, "shirt": shirt, "chef": chef, "server": server, "dining": dining}


def test_the_counter_lists_only_the_kits_types_and_refuses_one_outside_it(client, clerk, make, hotel):
    make.garment("CHEF-9001", garment_type=hotel["chef"], size="M")
    make.garment("VEST-9001", garment_type=hotel["vest"], size="M")
    db.session.commit()
    page = client.get(f"/issue/?employee={hotel['server'].id}").get_data(as_text=True)
    assert set(re.findall(r'<tr data-type="([\w-]+)"', page)) == {"VEST", "SHIRT"}
    assert 'data-entitled="2"' in page and 'data-entitled="1"' in page

    before = _events()
    refused = client.post("/issue/scan", data={"employee_id": hotel["server"].id, "code": "CHEF-9001"},
                          headers=HX).get_data(as_text=True)
    assert _result(refused) == "error" and "not in the kit of 服务员" in refused
    assert _garment("CHEF-9001").status == "in_stock" and _events() == before
    # A type of the kit goes out as a spare (the presence that makes the refusal meaningful).
    issued = client.post("/issue/scan", data={"employee_id": hotel["server"].id, "code": "VEST-9001"},
                         headers=HX).get_data(as_text=True)
    assert _result(issued) == "ok" and _garment("VEST-9001").status == "spare_issued"


def test_undo_of_a_check_in_past_the_kit_is_refused_and_changes_nothing(client, clerk, make, hotel):
    server, shirt = hotel["server"], hotel["shirt"]
    make.garment("SHIRT-0001", garment_type=shirt, owner=server, size="M", status="issued", holder=server)
    make.garment("SHIRT-0002", garment_type=shirt, owner=server, size="M")
    db.session.commit()
    assert _result(client.post("/checkin/scan", data={"code": "SHIRT-0001"}, headers=HX)
                   .get_data(as_text=True)) == "ok"
    # The clean one goes out at the counter: the kit's one shirt is with them again.
    assert _result(client.post("/issue/scan", data={"employee_id": server.id, "code": "SHIRT-0002"},
                               headers=HX).get_data(as_text=True)) == "ok"
    before = _events()
    html = client.post("/checkin/undo", headers=HX).get_data(as_text=True)
    assert _result(html) == "error" and "Undo refused" in html and "already holds 1 of 1" in html
    dirty = _garment("SHIRT-0001")
    assert dirty.status == "dirty" and dirty.holder_id is None and _events() == before

    # With the clean one handed back, the same undo goes through.
    assert _result(client.post("/issue/undo", data={"employee_id": server.id}, headers=HX)
                   .get_data(as_text=True)) == "ok"
    assert _result(client.post("/checkin/undo", headers=HX).get_data(as_text=True)) == "ok"
    back = _garment("SHIRT-0001")
    assert back.status == "issued" and back.holder_id == server.id


def test_a_loan_to_an_employee_holds_their_kit(client, clerk, make, hotel):
    server, shirt = hotel["server"], hotel["shirt"]
    make.garment("SHIRT-0001", garment_type=shirt, owner=server, size="M", status="issued", holder=server)
    make.garment("SHIRT-9001", garment_type=shirt, size="M")
    make.garment("VEST-9001", garment_type=hotel["vest"], size="M")
    make.garment("CHEF-9001", garment_type=hotel["chef"], size="M")
    db.session.commit()
    loan = open_loan(client, employee_code="S2001", name="", phone="", organisation="")
    before = _events()
    refused = lend(client, loan, "SHIRT-9001")
    assert _result(refused) == "error" and "already holds 1 of 1" in refused and "Nothing was lent" in refused
    assert _garment("SHIRT-9001").status == "in_stock" and _events() == before
    outside = lend(client, loan, "CHEF-9001")  # a type the server's kit does not give
    assert _result(outside) == "error" and "not in the kit of 服务员" in outside
    assert _garment("CHEF-9001").status == "in_stock" and _events() == before
    assert _result(lend(client, loan, "VEST-9001")) == "ok"
    assert _garment("VEST-9001").holder_id == server.id


def _tablets(app, n):
    with app.app_context():
        ids = [Factory().user(role="clerk").id for _ in range(n)]
        db.session.commit()
    clients = []
    for user_id in ids:
        client = app.test_client()
        assert login(client, user_id).status_code == 302
        clients.append(client)
    return clients


@pytest.fixture
def slow_gives():
    """Hold every give a moment between its count and its write (the event or the stock row it
    writes), so requests sent together all count before any of them writes unless a lock orders them."""

    def pause(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("INSERT INTO EVENTS", "UPDATE STOCK_ITEMS")):
            time.sleep(0.1)

    event.listen(Engine, "before_cursor_execute", pause)
    yield
    event.remove(Engine, "before_cursor_execute", pause)


def _at_once(requests) -> list[str]:
    """Send ``(client, path, data)`` requests at the same moment, each on its own thread."""
    barrier = threading.Barrier(len(requests))
    answers: list[str | None] = [None] * len(requests)

    def send(i, client, path, data):
        barrier.wait()
        answers[i] = client.post(path, data=data, headers=HX).get_data(as_text=True)

    threads = [threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return [_result(html) for html in answers]


def _vests_held(server_id) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Garment).join(Garment.garment_type).where(
        Garment.holder_id == server_id, Garment.status.in_(("issued", "spare_issued", "loaned")),
        Garment.tag.like("%VEST%")))


@pytest.mark.parametrize("tablets", [2, 30])
def test_tablets_at_once_cannot_take_a_person_past_their_kit(app, make, hotel, slow_gives, tablets):
    """The kit gives a server 2 vests and she wears one; each tablet hands her a different spare vest
    at the same moment: one goes out."""
    server_id = hotel["server"].id
    make.garment("VEST-0001", garment_type=hotel["vest"], owner=hotel["server"], size="M", status="issued")
    for n in range(tablets):
        make.garment(f"VEST-9{n:03d}", garment_type=hotel["vest"], size="M")
    db.session.commit()
    clients = _tablets(app, tablets)
    results = _at_once([(client, "/issue/scan", {"employee_id": server_id, "code": f"VEST-9{i:03d}"})
                        for i, client in enumerate(clients)])
    assert sorted(results).count("ok") == 1, results
    assert _vests_held(server_id) == 2


def test_a_spare_a_loan_and_an_undo_at_once_give_the_one_vest_the_kit_has_room_for(
        app, make, hotel, slow_gives):
    """The kit gives a server 2 vests; she wears one and has just handed the other in. At the same
    moment one tablet undoes that check-in, others hand her spares and others lend her vests: the
    three kinds of give count under the one lock, so exactly one of them goes through."""
    server, vest = hotel["server"], hotel["vest"]
    make.garment("VEST-0001", garment_type=vest, owner=server, size="M", status="issued", holder=server)
    make.garment("VEST-0002", garment_type=vest, owner=server, size="M", status="issued", holder=server)
    for n in range(4):
        make.garment(f"VEST-8{n:03d}", garment_type=vest, size="M")
        make.garment(f"VEST-7{n:03d}", garment_type=vest, size="M")
    db.session.commit()
    server_id = server.id
    checker, *clients = _tablets(app, 9)
    assert _result(checker.post("/checkin/scan", data={"code": "VEST-0002"}, headers=HX)
                   .get_data(as_text=True)) == "ok"
    loan = open_loan(clients[0], employee_code="S2001", name="", phone="", organisation="")
    before = _events()

    requests = [(checker, "/checkin/undo", {})]
    requests += [(c, "/issue/scan", {"employee_id": server_id, "code": f"VEST-8{n:03d}"})
                 for n, c in enumerate(clients[:4])]
    requests += [(c, f"/loans/{loan.id}/scan", {"code": f"VEST-7{n:03d}"}) for n, c in enumerate(clients[4:])]
    results = _at_once(requests)
    assert results.count("ok") == 1, results
    assert _vests_held(server_id) == 2
    assert _events() == before + 1


@pytest.mark.parametrize("tablets", [2, 30])
def test_tablets_at_once_give_a_kits_socks_once(app, make, hotel, stock_room, slow_gives, tablets):
    """The same 'give 2 pairs of socks' tapped on many tablets at once: one gives, the rest are told."""
    server_id = hotel["server"].id
    socks_id = stock_room[("SOCK", "")].id
    db.session.commit()
    clients = _tablets(app, tablets)
    results = _at_once([(client, "/issue/kit/stock", {"employee_id": server_id, "code": "SOCK",
                                                      "request_key": f"socks-{i}"})
                        for i, client in enumerate(clients)])
    assert sorted(results).count("ok") == 1, results
    db.session.expire_all()
    assert db.session.get(StockItem, socks_id).quantity_on_hand == 8
    assert db.session.scalar(select(func.count()).select_from(StockMovement).where(
        StockMovement.employee_id == server_id)) == 1


def test_a_visitors_loan_of_someones_own_garment_is_not_one_they_hold(client, clerk, make, hotel):
    """Lent to a wedding's helper, the server's own shirt is with the helper: she may take her other one."""
    server, shirt = hotel["server"], hotel["shirt"]
    make.garment("SHIRT-0001", garment_type=shirt, owner=server, size="M")
    make.garment("SHIRT-0002", garment_type=shirt, owner=server, size="M")
    db.session.commit()
    loan = open_loan(client)
    assert _result(lend(client, loan, "SHIRT-0001")) == "ok"
    assert _garment("SHIRT-0001").status == "loaned" and _garment("SHIRT-0001").holder_id is None
    issued = client.post("/issue/scan", data={"employee_id": server.id, "code": "SHIRT-0002"},
                         headers=HX).get_data(as_text=True)
    assert _result(issued) == "ok" and _garment("SHIRT-0002").holder_id == server.id


@pytest.fixture
def stock_room(make):
    items = {}
    for code, kind, sizes in (("SHOE", "shoes", ("37", "38", "39")), ("SOCK", "socks", ("",)),
                              ("HAIR", "hair_accessory", ("",))):
        for size in sizes:
            item = StockItem(code=code, name_zh={"SHOE": "工作鞋", "SOCK": "袜子", "HAIR": "头花"}[code],
                             name_en=code.title(), kind=kind, size=size, quantity_on_hand=10,
                             monthly_allowance=2 if code == "SOCK" else 0)
            db.session.add(item)
            items[(code, size)] = item
    db.session.flush()
    return items


def test_the_new_hire_kit_gives_the_kits_stock_items_in_their_sizes_once(client, clerk, make, hotel, stock_room):
    server = hotel["server"]
    server.kind = "new_hire"
    db.session.commit()
    page = client.get(f"/issue/kit?employee={server.id}").get_data(as_text=True)
    assert set(re.findall(r'data-stock="(\w+)"', page)) == {"SHOE", "SOCK"}  # no 头花 in a server's kit
    assert 'data-kit-complete="false"' in page

    def give(code, key):
        return client.post("/issue/kit/stock", data={"employee_id": server.id, "code": code, "request_key": key},
                           headers=HX).get_data(as_text=True)

    shoes = give("SHOE", "k-shoe")
    assert 'data-scan-result="ok"' in shoes and "38" in shoes
    db.session.expire_all()
    assert db.session.get(StockItem, stock_room[("SHOE", "38")].id).quantity_on_hand == 9
    assert db.session.get(StockItem, stock_room[("SHOE", "37")].id).quantity_on_hand == 10
    again = give("SHOE", "k-shoe-2")
    assert 'data-scan-result="error"' in again and "already has" in again
    assert 'data-scan-result="ok"' in give("SOCK", "k-sock")
    db.session.expire_all()
    assert db.session.get(StockItem, stock_room[("SOCK", "")].id).quantity_on_hand == 8
    refused = give("HAIR", "k-hair")
    assert 'data-scan-result="error"' in refused and "not in the kit" in refused
    moved = db.session.scalar(select(func.count()).select_from(StockMovement).where(
        StockMovement.employee_id == server.id))
    assert moved == 2


def test_the_monthly_distribution_follows_the_kit(make, hotel, stock_room):
    chef_position = make.employee("周师傅", department=hotel["dining"], position="厨师", staff_no="S3001")
    db.session.add(KitLine(position="厨师", type_id=hotel["chef"].id, quantity=3))  # a kit without socks
    somebody = make.employee("吴明", department=hotel["dining"], position="杂工", staff_no="S4001")  # no kit
    db.session.flush()
    run, _ = stock.open_run(db.session, "2026-12", user=None)
    db.session.flush()
    due = {line.employee_id for line in db.session.scalars(select(DistributionLine).where(
        DistributionLine.run_id == run.id))}
    assert hotel["server"].id in due and somebody.id in due
    assert chef_position.id not in due
