"""Transfers between the group's hotels (调拨): garments and stock sent from 甲店 to 乙店.

What a group would check: a garment scanned out is 调拨途中 and still the sender's (its stock,
its stocktake, not visible at the receiver until the transfer is sent); scanned in, it is the
receiver's spare; each hotel's loss report of both months balances (unexplained 0) across a
month end; the garment's page shows both sides; thirty scan-ins at once land once; more stock
than is on hand is refused and changes nothing; the slip lists every tag.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kiosk import scope
from kiosk.domain.errors import DomainError
from kiosk.extensions import db
from kiosk.models import Event, Garment, Property, utcnow
from kiosk.properties import services as properties
from kiosk.reports.services import read_loss_report
from kiosk.stock.models import StockItem, StockMovement
from kiosk.transfers import services
from kiosk.transfers.models import Transfer
from tests.conftest import Factory, login

ZONE = "Asia/Shanghai"
UTC = dt.timezone.utc
#: registered early in October, scanned out on the last day of October, received on 2 November
BOUGHT = dt.datetime(2026, 10, 3, 2, 0, tzinfo=UTC)
SENT = dt.datetime(2026, 10, 31, 8, 0, tzinfo=UTC)
RECEIVED = dt.datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def group(app):
    """甲店 (property 1): four garments, two owned; 20 pairs of socks. 乙店: one garment of its own.
    A supervisor at each (members of their own hotel only)."""
    with app.app_context():
        first = db.session.get(Property, 1)
        properties.change_property(db.session, first, code="JIA", name="甲店")
        second = properties.add_property(db.session, "YI", "乙店")
        shirt = Factory().garment_type("SH", unit_cost=Decimal("100.00"))
        users = {}
        with scope.within(db.session, first.id):
            make = Factory()
            owner = make.employee("甲员工", uniform_no="U01")
            for n in range(4):
                make.garment(f"JIA-{n}", garment_type=shirt, owner=owner if n < 2 else None, at=BOUGHT)
            db.session.add(StockItem(code="SOCK", name_zh="袜子", name_en="Socks", kind="socks", size="M",
                                     quantity_on_hand=20, unit_cost=Decimal("5.00")))
            users["first"] = make.user("甲领班", role="supervisor").id  # a member of 甲店 only
        with scope.within(db.session, second.id):
            make = Factory()
            make.garment("YI-0", garment_type=shirt, at=BOUGHT)
            users["second"] = make.user("乙领班", role="supervisor").id
        db.session.commit()
        made = {"first": first.id, "second": second.id, "users": users}
    # Outside the app context: each request of a test client then has a session of its own.
    yield made


def _user(user_id):
    from kiosk.models import User

    return db.session.get(User, user_id)


def _send(group, tags, *, socks=0, at=SENT):
    """甲店 packs ``tags`` (and ``socks`` pairs) for 乙店 and sends it; returns the transfer's id."""
    with scope.within(db.session, group["first"]):
        user = _user(group["users"]["first"])
        transfer = services.open_transfer(db.session, to_property_id=group["second"], user=user, now=at)
        for tag in tags:
            result = services.scan_out(db.session, transfer, tag, user=user, now=at)
            assert result.ok, result.error
        if socks:
            services.add_stock(db.session, transfer, code="SOCK", size="M", quantity=socks, user=user)
        services.send(db.session, transfer, user=user, now=at)
        db.session.commit()
        return transfer.id


def _receive(group, transfer_id, tags, *, at=RECEIVED):
    with scope.within(db.session, group["second"]):
        user = _user(group["users"]["second"])
        transfer = services.incoming_one(db.session, transfer_id)
        for tag in tags:
            result = services.scan_in(db.session, transfer, tag, user=user, now=at)
            assert result.ok, result.error
        db.session.commit()
        transfer = services.incoming_one(db.session, transfer_id)
        services.confirm_receipt(db.session, transfer, user=user, now=at)
        db.session.commit()


def _report(property_id, month):
    with scope.within(db.session, property_id):
        return read_loss_report(db.session, month, zone=ZONE, now=utcnow())


def test_a_garment_scanned_out_is_in_transit_and_still_the_senders(app, group):
    with app.app_context():
        transfer_id = _send(group, ["JIA-0", "JIA-2"])
        with scope.every_property(db.session):
            rows = dict(db.session.execute(select(Garment.tag, Garment.property_id)
                                           .where(Garment.tag.in_(["JIA-0", "JIA-2"]))).all())
            statuses = set(db.session.scalars(select(Garment.status).where(Garment.tag.in_(["JIA-0", "JIA-2"]))))
        assert rows == {"JIA-0": group["first"], "JIA-2": group["first"]} and statuses == {"in_transit"}
        with scope.within(db.session, group["second"]):
            assert db.session.scalar(select(Garment).where(Garment.tag == "JIA-0")) is None
            assert services.get(db.session, transfer_id) is None  # the sender's record
            assert [t.id for t in services.incoming(db.session)] == [transfer_id]


def test_the_receiver_cannot_see_a_transfer_before_it_is_sent(app, group):
    with app.app_context():
        with scope.within(db.session, group["first"]):
            user = _user(group["users"]["first"])
            transfer = services.open_transfer(db.session, to_property_id=group["second"], user=user)
            assert services.scan_out(db.session, transfer, "JIA-1", user=user).ok
            db.session.commit()
            transfer_id = transfer.id
        with scope.within(db.session, group["second"]):
            assert services.incoming(db.session) == []
            assert services.incoming_one(db.session, transfer_id) is None


def test_a_transfer_moves_a_garment_and_both_months_reports_balance(app, group):
    with app.app_context():
        transfer_id = _send(group, ["JIA-0", "JIA-2"], socks=5)
        # End of October: both still 甲店's stock, on their way.
        october = {pid: _report(pid, "2026-10") for pid in (group["first"], group["second"])}
        _receive(group, transfer_id, ["JIA-0", "JIA-2"])
        november = {pid: _report(pid, "2026-11") for pid in (group["first"], group["second"])}
        october_again = {pid: _report(pid, "2026-10") for pid in (group["first"], group["second"])}
        for reports in (october, november, october_again):
            for report in reports.values():
                assert (report.unexplained.count, report.unexplained.value) == (0, Decimal("0.00"))
        first, second = group["first"], group["second"]
        assert (october[first].closing.count, october[first].transferred_out.count) == (4, 0)
        assert (october[second].closing.count, october[second].transferred_in.count) == (1, 0)
        assert october_again[first].closing.count == 4  # the snapshot of the month's end is kept
        assert (november[first].opening.count, november[first].transferred_out.count,
                november[first].closing.count) == (4, 2, 2)
        assert (november[second].opening.count, november[second].transferred_in.count,
                november[second].closing.count) == (1, 2, 3)
        assert november[second].transferred_in.value == Decimal("200.00")
        with scope.within(db.session, second):
            from kiosk.reports.services import to_json

            figures = to_json(november[second])
            assert figures["transferred_in"] == {"count": 2, "value": "200.00"}
            garment = db.session.scalar(select(Garment).where(Garment.tag == "JIA-0"))
            assert (garment.status, garment.owner_id, garment.number, garment.property_id) == (
                "in_stock", None, None, second)
            socks = db.session.scalar(select(StockItem).where(StockItem.code == "SOCK"))
            assert socks.quantity_on_hand == 5
        from kiosk.group.services import group_month

        with scope.every_property(db.session):
            side_by_side = group_month(db.session, "2026-11", default_zone=ZONE, now=utcnow())
        # The group's total: what one hotel sent the other received; nothing unexplained.
        assert side_by_side.transferred_in.count == side_by_side.transferred_out.count == 2
        assert (side_by_side.opening.count, side_by_side.closing.count, side_by_side.unexplained.count) == (5, 5, 0)
        with scope.within(db.session, first):
            assert db.session.scalar(select(StockItem.quantity_on_hand).where(StockItem.code == "SOCK")) == 15
            assert db.session.scalar(select(Garment).where(Garment.tag == "JIA-0")) is None
            assert services.get(db.session, transfer_id).status == "received"


def test_the_garment_page_shows_both_sides(app, group):
    with app.app_context():
        transfer_id = _send(group, ["JIA-1"])
        _receive(group, transfer_id, ["JIA-1"])
    client = app.test_client()
    client.post("/login/property", data={"property_id": group["second"]})
    assert login(client, group["users"]["second"]).status_code == 302
    page = client.get("/garment/JIA-1").get_data(as_text=True)
    assert 'data-action="register"' in page and 'data-action="transfer_out"' in page
    assert 'data-action="transfer_in"' in page
    assert f'data-property="{group["first"]}">甲店' in page and f'data-property="{group["second"]}">乙店' in page
    assert "甲员工" not in page  # the sender's staff stay the sender's


def test_cancelling_brings_garments_and_stock_back_to_the_sender(app, group):
    with app.app_context():
        transfer_id = _send(group, ["JIA-3"], socks=4)
        with scope.within(db.session, group["first"]):
            user = _user(group["users"]["first"])
            transfer = services.get(db.session, transfer_id)
            services.cancel(db.session, transfer, user=user)
            db.session.commit()
            garment = db.session.scalar(select(Garment).where(Garment.tag == "JIA-3"))
            assert garment.status == "in_stock"
            assert db.session.scalar(select(StockItem.quantity_on_hand).where(StockItem.code == "SOCK")) == 20
        with scope.within(db.session, group["second"]):
            assert services.incoming(db.session) == []


def test_only_a_clean_garment_in_its_slot_goes_and_the_refusal_says_why(app, group):
    with app.app_context(), scope.within(db.session, group["first"]):
        Factory().garment("JIA-DIRTY", garment_type=db.session.scalar(select(Garment)).garment_type,
                          status="dirty")
        user = _user(group["users"]["first"])
        transfer = services.open_transfer(db.session, to_property_id=group["second"], user=user)
        result = services.scan_out(db.session, transfer, "JIA-DIRTY", user=user)
        assert result.result == "error" and "waiting for the wash" in result.error.translated(
            lambda m, **p: m % p if p else m)
        with pytest.raises(DomainError):
            services.open_transfer(db.session, to_property_id=group["first"], user=user)


def test_a_passed_garment_not_yet_in_its_slot_is_not_sent(app, group):
    with app.app_context(), scope.within(db.session, group["first"]):
        shirt = db.session.scalar(select(Garment)).garment_type
        Factory().passed("JIA-PASSED", garment_type=shirt)
        user = _user(group["users"]["first"])
        transfer = services.open_transfer(db.session, to_property_id=group["second"], user=user)
        result = services.scan_out(db.session, transfer, "JIA-PASSED", user=user)
        assert result.result == "error" and "not in its slot yet" in str(result.error)
        assert db.session.scalar(select(Garment.status).where(Garment.tag == "JIA-PASSED")) == "in_stock"


def test_more_stock_than_on_hand_is_refused_and_changes_nothing(app, group):
    with app.app_context(), scope.within(db.session, group["first"]):
        user = _user(group["users"]["first"])
        transfer = services.open_transfer(db.session, to_property_id=group["second"], user=user)
        db.session.commit()
        movements = db.session.scalar(select(func.count()).select_from(StockMovement))
        with pytest.raises(DomainError) as refused:
            services.add_stock(db.session, transfer, code="SOCK", size="M", quantity=21, user=user)
        assert "Not enough" in str(refused.value)
        db.session.rollback()
        assert db.session.scalar(select(StockItem.quantity_on_hand).where(StockItem.code == "SOCK")) == 20
        assert db.session.scalar(select(func.count()).select_from(StockMovement)) == movements
        assert services.get(db.session, transfer.id).lines == []


def _threads(n, work):
    barrier = threading.Barrier(n)
    answers = [None] * n

    def run(i):
        barrier.wait()
        answers[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return answers


def test_thirty_simultaneous_scan_ins_of_one_garment_land_once(app, group):
    with app.app_context():
        transfer_id = _send(group, ["JIA-2"])

    def scan(_i):
        with app.app_context():
            scope.use(db.session, group["second"])
            try:
                transfer = services.incoming_one(db.session, transfer_id)
                result = services.scan_in(db.session, transfer, "JIA-2", user=_user(group["users"]["second"]))
                db.session.commit()
                return result.result
            except Exception as error:  # an answer, never a crash: said in the assertion
                db.session.rollback()
                return repr(error)
            finally:
                db.session.remove()

    answers = _threads(30, scan)
    assert answers.count("ok") == 1 and set(answers) <= {"ok", "error", "duplicate"}, answers
    with app.app_context(), scope.every_property(db.session):
        garment = db.session.scalar(select(Garment).where(Garment.tag == "JIA-2"))
        ins = db.session.scalar(select(func.count()).select_from(Event)
                                .where(Event.garment_id == garment.id, Event.action == "transfer_in"))
        assert (ins, garment.property_id, garment.status) == (1, group["second"], "in_stock")


def test_thirty_stock_lines_at_once_never_send_more_than_on_hand(app, group):
    with app.app_context(), scope.within(db.session, group["first"]):
        transfer = services.open_transfer(db.session, to_property_id=group["second"],
                                          user=_user(group["users"]["first"]))
        db.session.commit()
        transfer_id = transfer.id

    def add(_i):
        with app.app_context():
            scope.use(db.session, group["first"])
            try:
                services.add_stock(db.session, services.get(db.session, transfer_id), code="SOCK", size="M",
                                   quantity=3, user=_user(group["users"]["first"]))
                db.session.commit()
                return "ok"
            except DomainError:
                db.session.rollback()
                return "refused"
            finally:
                db.session.remove()

    answers = _threads(30, add)
    assert answers.count("ok") == 6, answers  # 20 on hand: six lines of three
    with app.app_context(), scope.within(db.session, group["first"]):
        assert db.session.scalar(select(StockItem.quantity_on_hand).where(StockItem.code == "SOCK")) == 2
        assert sum(line.quantity for line in services.get(db.session, transfer_id).lines) == 18


def test_an_in_transit_garment_is_not_missing_at_the_senders_stocktake(app, group):
    from kiosk.stocktake import services as stocktake

    with app.app_context():
        _send(group, ["JIA-2"])
        with scope.within(db.session, group["first"]):
            count = stocktake.open_stocktake(db.session, "2026-12", user=_user(group["users"]["first"]))
            count = count[0] if isinstance(count, tuple) else count
            rows = stocktake.progress(db.session, count)
            # Three on the rack expected; the one on its way accounted for, never missing.
            assert (sum(r.expected for r in rows), sum(r.accounted_for for r in rows)) == (3, 1)
            assert "JIA-2" not in {g.tag for g in stocktake.unseen(db.session, count).items}


# --- the screens ----------------------------------------------------------------------------

def _signed_in(app, group, which):
    client = app.test_client()
    client.post("/login/property", data={"property_id": group[which]})
    assert login(client, group["users"][which]).status_code == 302
    return client


def test_the_screens_send_a_transfer_print_its_slip_and_the_receiver_scans_it_in(app, group):
    from kiosk.printing.services import document_of
    from kiosk.models import PrintJob

    sender = _signed_in(app, group, "first")
    assert 'data-station="transfers.index"' in sender.get("/").get_data(as_text=True)
    page = sender.get("/transfers/").get_data(as_text=True)
    assert 'id="new-transfer"' in page and "乙店" in page
    opened = sender.post("/transfers/new", data={"to_property_id": group["second"], "request_key": "open-1"})
    assert opened.status_code == 302
    again = sender.post("/transfers/new", data={"to_property_id": group["second"], "request_key": "open-1"})
    assert again.headers["Location"] == opened.headers["Location"]  # a repeat opens nothing new
    packing = opened.headers["Location"]
    transfer_id = int(packing.rstrip("/").split("/")[-1])
    for tag in ("JIA-0", "JIA-2"):
        answer = sender.post(f"/transfers/{transfer_id}/scan", data={"code": tag}, headers={"HX-Request": "true"})
        html = answer.get_data(as_text=True)
        assert 'data-scan-result="ok"' in html and 'data-garment-status="in_transit"' in html
        assert 'id="transfer-lines"' in html  # the list comes along
        assert ("甲员工" in html) == (tag == "JIA-0")  # an owned garment: told it leaves its owner
    repeat = sender.post(f"/transfers/{transfer_id}/scan", data={"code": "JIA-0"}, headers={"HX-Request": "true"})
    assert 'data-scan-result="duplicate"' in repeat.get_data(as_text=True)
    # A scan the tablet sent again (its queue, the answer lost): answered as the first, one line.
    for _ in range(2):
        queued = sender.post(f"/transfers/{transfer_id}/scan", data={"code": "JIA-1", "scan_id": "tablet-scan-1"},
                             headers={"HX-Request": "true"}).get_data(as_text=True)
        assert 'data-scan-result="ok"' in queued
    line_id = _line_of(app, group, transfer_id, 'JIA-1')
    for attempt in range(2):  # a double tap takes it off once
        removed = sender.post(f"/transfers/{transfer_id}/lines/{line_id}/remove")
        assert removed.status_code == 302, attempt
    # The sender's own screens say where it is: 调拨途中.
    assert 'data-garment-status="in_transit"' in sender.get("/garment/JIA-2").get_data(as_text=True)
    full = sender.get(packing).get_data(as_text=True)
    assert 'data-scan-result="idle"' in full and "JIA-2" in full
    assert sender.post(f"/transfers/{transfer_id}/stock",
                       data={"code": "SOCK", "size": "M", "quantity": "3", "request_key": "sock-1"}).status_code == 302
    too_many = sender.post(f"/transfers/{transfer_id}/stock", data={"code": "SOCK", "size": "M", "quantity": "99"})
    assert "Not enough" in too_many.get_data(as_text=True)
    # Not yet sent: the receiver does not see it.
    receiver = _signed_in(app, group, "second")
    assert receiver.get(f"/transfers/incoming/{transfer_id}").status_code == 404
    assert receiver.get(f"/transfers/{transfer_id}").status_code == 404
    assert sender.post(f"/transfers/{transfer_id}/send", data={"request_key": "send-1"}).status_code == 302
    assert sender.post(f"/transfers/{transfer_id}/send", data={"request_key": "send-1"}).status_code == 302
    with app.app_context(), scope.within(db.session, group["first"]):
        jobs = list(db.session.scalars(select(PrintJob).where(PrintJob.kind == "transfer")))
        assert len(jobs) == 1
        lines = [el.get("text", "") for el in json.loads(jobs[0].document)["elements"]]
        text = "\n".join(lines)
        slip_no = services.get(db.session, transfer_id).slip_no
        assert slip_no in text and "甲店" in text and "乙店" in text
        assert "JIA-0" in text and "JIA-2" in text and "SOCK" in text and "× 3" in text
        assert "________________" in text  # the receiver signs
        assert document_of(jobs[0]).title.endswith(slip_no)
    listing = receiver.get("/transfers/").get_data(as_text=True)
    assert f'data-transfer="{transfer_id}"' in listing
    station = receiver.get(f"/transfers/incoming/{transfer_id}").get_data(as_text=True)
    assert 'data-testid="spare-pool-note"' in station and 'id="scan-field"' in station
    stranger = receiver.post(f"/transfers/incoming/{transfer_id}/scan", data={"code": "YI-0"},
                             headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-scan-result="error"' in stranger
    early = receiver.post(f"/transfers/incoming/{transfer_id}/confirm", data={"request_key": "c-0"})
    assert "have not been scanned in yet" in early.get_data(as_text=True)
    for tag in ("JIA-0", "JIA-2"):
        answer = receiver.post(f"/transfers/incoming/{transfer_id}/scan", data={"code": tag},
                               headers={"HX-Request": "true"}).get_data(as_text=True)
        assert 'data-scan-result="ok"' in answer and 'data-garment-status="in_stock"' in answer
    twice = receiver.post(f"/transfers/incoming/{transfer_id}/scan", data={"code": "JIA-0"},
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-scan-result="duplicate"' in twice
    assert receiver.post(f"/transfers/incoming/{transfer_id}/confirm", data={"request_key": "c-1"}).status_code == 302
    assert receiver.post(f"/transfers/incoming/{transfer_id}/confirm", data={"request_key": "c-1"}).status_code == 302
    with app.app_context(), scope.within(db.session, group["second"]):
        assert db.session.scalar(select(StockItem.quantity_on_hand).where(StockItem.code == "SOCK")) == 3
    with app.app_context(), scope.within(db.session, group["first"]):
        assert db.session.scalar(select(Garment.status).where(Garment.tag == "JIA-1")) == "in_stock"  # taken off
    assert 'data-transfer-status="received"' in sender.get(packing).get_data(as_text=True)
    # The sender's page of a garment that left: it says where it went, and shows nothing of it.
    gone = sender.get("/garment/JIA-0")
    assert gone.status_code == 404 and "transferred to 乙店" in gone.get_data(as_text=True)
    assert sender.get("/garment/NOPE-1").status_code == 404


def _line_of(app, group, transfer_id, tag):
    with app.app_context(), scope.within(db.session, group["first"]):
        lines = [line for line in services.get(db.session, transfer_id).lines
                 if line.garment is not None and line.garment.tag == tag]
        assert len(lines) == 1
        return lines[0].id


def test_a_clerk_may_scan_in_but_not_send(app, group):
    with app.app_context(), scope.within(db.session, group["second"]):
        clerk = Factory().user("乙收发员", role="clerk")
        db.session.commit()
        clerk_id = clerk.id
    client = app.test_client()
    client.post("/login/property", data={"property_id": group["second"]})
    assert login(client, clerk_id).status_code == 302
    assert client.get("/transfers/").status_code == 200
    assert client.post("/transfers/new", data={"to_property_id": group["first"]}).status_code == 403


def test_a_cancel_that_crosses_a_scan_in_is_refused_and_changes_nothing(app, group):
    with app.app_context():
        transfer_id = _send(group, ["JIA-2", "JIA-3"])
    with app.app_context():
        scope.use(db.session, group["first"])
        stale = services.get(db.session, transfer_id)
        assert [line.garment.status for line in stale.lines] == ["in_transit", "in_transit"]
        db.session.commit()  # the sender's page is open; meanwhile the receiver scans one in
        with app.app_context():
            scope.use(db.session, group["second"])
            incoming = services.incoming_one(db.session, transfer_id)
            assert services.scan_in(db.session, incoming, "JIA-3", user=_user(group["users"]["second"])).ok
            db.session.commit()
        with pytest.raises(DomainError) as refused:
            services.cancel(db.session, stale, user=_user(group["users"]["first"]))
        assert "scanned garments in" in str(refused.value)
        db.session.rollback()
    with app.app_context(), scope.every_property(db.session):
        assert dict(db.session.execute(select(Garment.tag, Garment.status)
                                       .where(Garment.tag.in_(["JIA-2", "JIA-3"]))).all()) == {
            "JIA-2": "in_transit", "JIA-3": "in_stock"}
        assert db.session.get(Transfer, transfer_id).status == "sent"


def test_the_transfer_slip_prints_on_a_real_printer(app, group, printers):
    """Sent over TCP as ESC/POS: what arrives is the slip's document, drawn (decoded back)."""
    from kiosk.models import PrintJob
    from kiosk.printing import process_queue
    from kiosk.printing.services import document_of
    from printers.render import render
    from tests.printers.fakeprinter import decode

    fake = printers()
    app.config["KIOSK_PRINTER"] = fake.url
    sender = _signed_in(app, group, "first")
    opened = sender.post("/transfers/new", data={"to_property_id": group["second"]})
    transfer_id = int(opened.headers["Location"].rstrip("/").split("/")[-1])
    assert 'data-scan-result="ok"' in sender.post(f"/transfers/{transfer_id}/scan", data={"code": "JIA-3"},
                                                  headers={"HX-Request": "true"}).get_data(as_text=True)
    assert sender.post(f"/transfers/{transfer_id}/send", data={"request_key": "send-print"}).status_code == 302
    process_queue(app)
    with app.app_context(), scope.within(db.session, group["first"]):
        [job] = db.session.scalars(select(PrintJob).where(PrintJob.kind == "transfer")).all()
        assert job.status == "done"
        [received] = fake.received
        printed, _commands = decode(received)
        expected = render(document_of(job), paper_mm=app.config["KIOSK_PAPER_MM"],
                          font_path=app.config["KIOSK_FONT"] or None)
        assert printed.crop((0, 0, expected.width, expected.height)).tobytes() == expected.tobytes()
        assert "JIA-3" in json.dumps(json.loads(job.document), ensure_ascii=False)


def test_thirty_tablets_scanning_one_garment_in_at_once_are_each_answered_and_it_lands_once(app, group):
    with app.app_context():
        transfer_id = _send(group, ["JIA-1"])
    tablets = [_signed_in(app, group, "second") for _ in range(30)]

    def scan(i):
        response = tablets[i].post(f"/transfers/incoming/{transfer_id}/scan", data={"code": "JIA-1"},
                                   headers={"HX-Request": "true"})
        html = response.get_data(as_text=True)
        return response.status_code, next((word for word in ("ok", "duplicate", "error")
                                           if f'data-scan-result="{word}"' in html), html[:300])

    answers = _threads(30, scan)
    assert {status for status, _ in answers} == {200}, answers
    assert [word for _, word in answers].count("ok") == 1, answers
    with app.app_context(), scope.every_property(db.session):
        garment = db.session.scalar(select(Garment).where(Garment.tag == "JIA-1"))
        assert db.session.scalar(select(func.count()).select_from(Event).where(
            Event.garment_id == garment.id, Event.action == "transfer_in")) == 1
