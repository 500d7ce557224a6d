"""A leaver's clearance (离职退还): marking left opens the list, returns are scanned against it,
what is not returned is written off and charged, the leaver signs one slip, the today board
lists it until it is closed."""
from __future__ import annotations

import base64
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import flask_babel
import pytest
from PIL import Image as PILImage
from sqlalchemy import func, select

from kiosk.auth.services import Policy
from kiosk.clearance import services
from kiosk.clearance.models import Clearance, ClearanceLine
from kiosk.extensions import db
from kiosk.loans import services as loans
from kiosk.loans.models import Loan, LoanItem
from kiosk.models import Employee, Event, PrintJob, utcnow
from kiosk.printing import process_queue
from kiosk.printing import services as printing
from kiosk.printing import worker
from kiosk.registry.services import deactivate_employee, reactivate_employee
from kiosk.stock import services as stock
from kiosk.stock.models import StockItem, StockMovement
from kiosk.writeoffs import services as writeoffs
from kiosk.writeoffs.models import Compensation, WriteOff
from tests.printers.fakeprinter import decode

from .scans import HX, events, garment, garment_status, scan_result, text_of
from .test_concurrency import _at_once, _tablets

SHOTS = Path("/work/shots")
TODAY = dt.date.today()


def _png_data_url() -> str:
    image = PILImage.new("RGB", (300, 100), "white")
    for x in range(20, 280):
        image.putpixel((x, 50 + (x % 30) - 15), (0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def count(model) -> int:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model.__table__))


@pytest.fixture
def room(make):
    """张三 of 客房部 holds his own shirt, a spare jacket, a borrowed waistcoat, two pairs of
    shoes (handed back on leaving) and four pairs of socks (never handed back)."""
    boss = make.user("主管甲", role="supervisor")
    dept = make.department("客房部")
    person = make.employee("张三", department=dept, staff_no="E10001", uniform_no="1001", size="L")
    shirt = make.garment_type("SH", name_zh="衬衫", name_en="Shirt", unit_cost=Decimal("120.00"))
    jacket = make.garment_type("JK", name_zh="外套", name_en="Jacket", unit_cost=Decimal("300.00"))
    vest = make.garment_type("VS", name_zh="马甲", name_en="Waistcoat", unit_cost=Decimal("90.00"))
    own = make.garment("SH-0001", garment_type=shirt, owner=person, size="L", status="issued",
                       cost=Decimal("120.00"), purchased_on=TODAY - dt.timedelta(days=200))
    spare = make.garment("JK-0001", garment_type=jacket, size="L", status="spare_issued", holder=person)
    make.garment("VS-0001", garment_type=vest, size="L")
    shoes = StockItem(code="SHOE", name_zh="工作鞋", name_en="Work shoes", kind="shoes", size="39",
                      quantity_on_hand=10, return_on_leaving=True, unit_cost=Decimal("80.00"))
    socks = StockItem(code="SOCK", name_zh="袜子", name_en="Socks", kind="socks", size="",
                      quantity_on_hand=20, return_on_leaving=False, unit_cost=Decimal("5.00"))
    db.session.add_all([shoes, socks])
    db.session.flush()
    stock.issue(db.session, employee=person, code="SHOE", size="39", quantity=2, user=boss)
    stock.issue(db.session, employee=person, code="SOCK", quantity=4, user=boss)
    loan = loans.open_loan(db.session, loans.LoanData(reason="other_post", due_at=utcnow() + dt.timedelta(days=1),
                                                      employee_code="E10001", signed_on_paper=True),
                           user=boss, request_key=None)
    assert loans.lend(db.session, loan, "VS-0001", user=boss, duplicate_seconds=10).ok
    other = make.employee("李四", department=dept, staff_no="E10002")
    make.garment("SH-0099", garment_type=shirt, owner=other, status="issued")
    db.session.commit()
    return {"person": person, "boss": boss, "own": own, "spare": spare, "shoes": shoes, "socks": socks,
            "loan": loan, "dept": dept, "shirt": shirt}


@pytest.fixture
def left(room):
    """张三 marked as left (the service the registry's button calls): his clearance is open."""
    deactivate_employee(db.session, room["person"], TODAY, user=room["boss"])
    db.session.commit()
    return services.open_of(db.session, room["person"])


def lines_of(clearance: Clearance) -> dict[str, ClearanceLine]:
    db.session.expire_all()
    fresh = services.get(db.session, clearance.id)
    return {(line.garment.tag if line.garment else line.stock_item.code): line for line in fresh.lines}


def scan(client, clearance, code, headers=HX):
    return text_of(client.post(f"/clearance/{clearance.id}/scan", data={"code": code}, headers=headers))


def post_line(client, line, action, **form):
    return client.post(f"/clearance/lines/{line.id}/{action}", data=form, headers=HX)


# --- opening ------------------------------------------------------------------------

def test_marking_left_opens_the_list_with_what_they_hold_in_the_same_request(client, login_as, room):
    supervisor = login_as("supervisor")
    response = client.post(f"/registry/employees/{room['person'].id}/deactivate")
    assert response.status_code == 302
    [clearance] = db.session.scalars(select(Clearance)).all()
    lines = lines_of(clearance)
    assert {tag: line.kind for tag, line in lines.items()} == {
        "SH-0001": "garment", "JK-0001": "spare", "VS-0001": "loan", "SHOE": "stock"}
    assert lines["SHOE"].quantity == 2 and lines["VS-0001"].loan_item.loan_id == room["loan"].id
    assert "SOCK" not in lines and "SH-0099" not in lines  # socks are not handed back; 李四's shirt is his
    assert all(line.outcome == "open" for line in lines.values()) and clearance.is_open
    assert clearance.opened_by_id == supervisor
    # Leaving twice opens one list; the employee page links to it.
    client.post(f"/registry/employees/{room['person'].id}/deactivate")
    assert count(Clearance) == 1
    page = text_of(client.get(response.headers["Location"]))
    assert f'/clearance/employee/{room["person"].id}' in page


def test_two_supervisors_marking_one_person_left_at_once_open_one_clearance(app, room):
    clients = []
    with app.app_context():
        from tests.conftest import Factory, login

        ids = [Factory().user(role="supervisor").id for _ in range(6)]
        db.session.commit()
    for user_id in ids:
        client = app.test_client()
        assert login(client, user_id).status_code == 302
        clients.append(client)
    answers = _at_once(clients, f"/registry/employees/{room['person'].id}/deactivate", {})
    assert all(status in (200, 204) for status, _ in answers), answers
    with app.app_context():
        assert db.session.scalar(select(func.count(Clearance.id))) == 1
        assert db.session.scalar(select(func.count(ClearanceLine.id))) == 4


def test_someone_holding_nothing_gets_a_clearance_closed_at_once_that_the_board_does_not_list(
        client, login_as, make, room):
    nobody = make.employee("王五", department=room["dept"], staff_no="E10003")
    db.session.commit()
    deactivate_employee(db.session, nobody, TODAY)
    db.session.commit()
    clearance = services.latest_of(db.session, nobody)
    assert clearance.lines == [] and not clearance.is_open and services.ending(clearance) == "nothing"
    login_as("clerk")
    board = text_of(client.get("/today/"))
    assert 'id="clearances" data-count="0"' in board and "王五" not in board
    page = text_of(client.get(f"/clearance/{clearance.id}"))
    assert 'data-ending="nothing"' in page and 'data-testid="scan"' not in page


def test_stock_handed_back_or_charged_earlier_is_not_asked_for_again(make, room, left):
    lines = lines_of(left)
    services.return_stock(db.session, lines["SHOE"], 1, user=room["boss"], request_key=None)
    services.write_off(db.session, lines["SHOE"], user=room["boss"], rules=writeoffs.Rules(), today=TODAY,
                       request_key=None)
    db.session.commit()
    assert services.stock_held(db.session, room["person"]) == []  # one back, one paid for


# --- returns --------------------------------------------------------------------------

def test_scanning_a_return_closes_its_line_and_checks_the_garment_in(client, login_as, room, left):
    login_as("clerk")
    before = events()
    body = scan(client, left, "SH-0001")
    assert scan_result(body) == "ok" and garment_status(body) == "dirty"
    assert 'id="clearance-lines"' in body and 'hx-swap-oob="true"' in body  # the list follows the answer
    line = lines_of(left)["SH-0001"]
    assert line.outcome == "returned" and line.event.action == "check_in" and line.event.station == "clearance"
    assert line.event.employee_id == room["person"].id and events() == before + 1
    assert garment("SH-0001").holder_id is None
    # The same scan again (a double read of the scanner) changes nothing.
    assert scan_result(scan(client, left, "SH-0001")) == "duplicate" and events() == before + 1


def test_a_loaned_garment_handed_back_also_closes_its_loan(client, login_as, room, left):
    login_as("clerk")
    body = scan(client, left, "VS-0001", headers={})  # without htmx: the whole page with the answer
    assert scan_result(body) == "ok" and 'data-testid="clearance-line"' in body
    line = lines_of(left)["VS-0001"]
    assert line.outcome == "returned" and garment("VS-0001").status == "dirty"
    item = db.session.get(LoanItem, line.loan_item_id)
    assert item.returned_at is not None and item.return_event_id == line.event_id
    assert db.session.get(Loan, room["loan"].id).closed_at is not None


def test_a_garment_not_on_the_list_is_refused_and_nothing_changes(client, login_as, room, left):
    login_as("clerk")
    before = events(), garment("SH-0099").status
    body = scan(client, left, "SH-0099")
    assert scan_result(body) == "error"
    assert "SH-0099 is not on the clearance list of 张三" in body
    assert (events(), garment("SH-0099").status) == before
    assert scan_result(scan(client, left, "NOT-OURS-1")) == "error"  # not a uniform at all
    assert all(line.outcome == "open" for line in lines_of(left).values())


def test_a_garment_checked_in_at_the_counter_settles_its_line_when_the_list_is_read(client, login_as, room, left):
    login_as("clerk")
    assert scan_result(text_of(client.post("/checkin/scan", data={"code": "JK-0001"}, headers=HX))) == "ok"
    assert lines_of(left)["JK-0001"].outcome == "open"
    page = text_of(client.get(f"/clearance/{left.id}"))
    assert re.search(r'data-outcome="returned" data-tag="JK-0001"', page)
    line = lines_of(left)["JK-0001"]
    assert line.outcome == "returned" and line.event.station == "checkin"


def test_stock_comes_back_by_count_and_goes_on_hand_again(client, login_as, room, left):
    login_as("clerk")
    shoes = lines_of(left)["SHOE"]
    on_hand = room["shoes"].quantity_on_hand
    body = text_of(post_line(client, shoes, "return", quantity="1", request_key="ret-key-1"))
    assert 'id="clearance-lines"' in body
    post_line(client, shoes, "return", quantity="1", request_key="ret-key-1")  # a double tap
    shoes = lines_of(left)["SHOE"]
    assert (shoes.returned_quantity, shoes.outcome) == (1, "open")
    assert db.session.get(StockItem, room["shoes"].id).quantity_on_hand == on_hand + 1
    movement = db.session.get(StockMovement, shoes.movement_id)
    assert (movement.reason, movement.delta, movement.employee_id) == ("returned", 1, room["person"].id)
    body = text_of(post_line(client, shoes, "return", quantity="5", request_key="ret-key-2"))
    assert "Only 1 still to return" in body and lines_of(left)["SHOE"].returned_quantity == 1
    body = text_of(post_line(client, shoes, "return", quantity="abc", request_key="ret-key-3"))
    assert "whole number" in body
    post_line(client, shoes, "return", quantity="1", request_key="ret-key-4")
    assert lines_of(left)["SHOE"].outcome == "returned"


def test_thirty_tablets_counting_the_same_shoes_back_take_back_what_was_given(app, room, left):
    shoes = lines_of(left)["SHOE"]
    on_hand = room["shoes"].quantity_on_hand
    clients = _tablets(app, 30)
    answers = _at_once(clients, f"/clearance/lines/{shoes.id}/return", {"quantity": "1"})
    assert all(status == 200 for status, _ in answers)
    with app.app_context():
        line = db.session.get(ClearanceLine, shoes.id)
        assert (line.returned_quantity, line.outcome) == (2, "returned")
        assert db.session.get(StockItem, room["shoes"].id).quantity_on_hand == on_hand + 2
        assert db.session.scalar(select(func.count(StockMovement.id))
                                 .where(StockMovement.reason == "returned")) == 2


# --- not returned -----------------------------------------------------------------------

def test_a_garment_not_returned_is_written_off_and_charged_to_them_under_the_compensation_rules(
        app, client, login_as, room, left):
    login_as("clerk")
    own = lines_of(left)["SH-0001"]
    rules = writeoffs.Rules.from_config(app.config, zone=app.config["BABEL_DEFAULT_TIMEZONE"])
    expected = writeoffs.quote(garment("SH-0001"), TODAY, rules).value
    assert Decimal("0") < expected < Decimal("120.00")  # 200 days in use: depreciated
    page = text_of(client.get(f"/clearance/{left.id}"))
    # The clerk reads the amount before tapping.
    assert re.search(r'data-testid="write-off">[^<]*charge [^<]*%s\)' % expected, page)
    body = text_of(post_line(client, own, "write-off", request_key="wo-key-1"))
    post_line(client, own, "write-off", request_key="wo-key-1")  # a double tap
    assert count(WriteOff) == 1
    write_off = db.session.scalar(select(WriteOff))
    assert (write_off.reason, write_off.responsible, write_off.employee_id, write_off.status) == (
        "lost", "employee", room["person"].id, "pending")
    assert write_off.amount == expected and write_off.department_id == room["dept"].id
    line = lines_of(left)["SH-0001"]
    assert line.outcome == "written_off" and line.write_off_id == write_off.id
    assert f"WO{write_off.id:06d}" in body and garment("SH-0001").status == "issued"  # moves once approved
    # The supervisor approves it on the write-offs screen: the leaver owes the amount.
    writeoffs.approve(db.session, write_off, approver=db.session.get(type(room["boss"]), room["boss"].id),
                      pin="2580", policy=Policy.from_config(app.config))
    db.session.commit()
    compensation = db.session.scalar(select(Compensation))
    assert compensation.employee_id == room["person"].id and compensation.amount == expected
    assert garment("SH-0001").status == "written_off"


def test_a_stock_item_not_returned_is_charged_its_unit_cost_for_each_missing(client, login_as, room, left):
    login_as("clerk")
    shoes = lines_of(left)["SHOE"]
    post_line(client, shoes, "return", quantity="1", request_key="ret-key-9")
    post_line(client, shoes, "write-off", request_key="wo-shoe-1")
    shoes = lines_of(left)["SHOE"]
    assert (shoes.outcome, shoes.charged, shoes.returned_quantity) == ("written_off", Decimal("80.00"), 1)
    assert count(WriteOff) == 0  # stock is not a numbered garment: the charge is on the line


def test_thirty_tablets_writing_off_one_garment_at_once_open_one_write_off(app, room, left):
    own = lines_of(left)["SH-0001"]
    clients = _tablets(app, 30)
    answers = _at_once(clients, f"/clearance/lines/{own.id}/write-off", {})
    assert all(status == 200 for status, _ in answers)
    told = [html for _, html in answers if "settled already" in html]
    assert len(told) == 29  # every other tablet is told, nothing more is written
    with app.app_context():
        assert db.session.scalar(select(func.count(WriteOff.id))) == 1
        assert db.session.get(ClearanceLine, own.id).outcome == "written_off"


def test_a_written_off_line_cannot_be_returned_nor_written_off_again(client, login_as, room, left):
    login_as("clerk")
    own = lines_of(left)["SH-0001"]
    post_line(client, own, "write-off", request_key="wo-key-5")
    before = events()
    assert scan_result(scan(client, left, "SH-0001")) == "error" and events() == before
    body = text_of(post_line(client, own, "write-off", request_key="wo-key-6"))
    assert "settled already" in body and count(WriteOff) == 1


def test_only_a_supervisor_waives_a_line(client, login_as, app, room, left):
    spare = lines_of(left)["JK-0001"]
    login_as("clerk")
    assert 'data-testid="waive"' not in text_of(client.get(f"/clearance/{left.id}"))
    response = post_line(client, spare, "waive", request_key="waive-1")
    assert response.status_code == 403 and lines_of(left)["JK-0001"].outcome == "open"
    with pytest.raises(services.DomainError):
        services.waive(db.session, spare, user=db.session.scalar(select(type(room["boss"])).where(
            type(room["boss"]).role == "clerk")), request_key=None)
    client.post("/logout")
    login_as("supervisor")
    assert 'data-testid="waive"' in text_of(client.get(f"/clearance/{left.id}"))
    post_line(client, spare, "waive", request_key="waive-2")
    assert lines_of(left)["JK-0001"].outcome == "waived" and garment("JK-0001").status == "spare_issued"


# --- closing and the slip ----------------------------------------------------------------

def _settle_all(client, clearance):
    lines = lines_of(clearance)
    scan(client, clearance, "SH-0001")
    scan(client, clearance, "VS-0001")
    post_line(client, lines["JK-0001"], "write-off", request_key="wo-jk")
    post_line(client, lines["SHOE"], "return", quantity="1", request_key="ret-shoe")
    post_line(client, lines["SHOE"], "write-off", request_key="wo-shoe")


def test_close_is_refused_while_lines_are_open_or_without_a_signature(client, login_as, room, left):
    login_as("clerk")
    body = text_of(client.post(f"/clearance/{left.id}/close", data={"signature": _png_data_url()}, headers=HX))
    assert "Still to settle: 4" in body and db.session.get(Clearance, left.id).closed_at is None
    _settle_all(client, left)
    body = text_of(client.post(f"/clearance/{left.id}/close", data={"signature": ""}, headers=HX))
    assert "must sign on the pad" in body
    body = text_of(client.post(f"/clearance/{left.id}/close", data={"signature": "data:image/png;base64,xx"},
                               headers=HX))
    assert "could not be read" in body
    db.session.expire_all()
    assert db.session.get(Clearance, left.id).closed_at is None
    response = client.post(f"/clearance/{left.id}/close", data={"signature": _png_data_url(),
                                                               "request_key": "close-1"}, headers=HX)
    assert response.status_code == 204 and "HX-Redirect" in response.headers
    db.session.expire_all()
    clearance = db.session.get(Clearance, left.id)
    assert clearance.closed_at is not None and clearance.signature_png.startswith(b"\x89PNG")
    assert services.ending(clearance) == "signed" and not clearance.signed_on_paper


def test_signed_on_paper_closes_without_a_drawing(client, login_as, room, left):
    login_as("clerk")
    _settle_all(client, left)
    client.post(f"/clearance/{left.id}/close", data={"signed_on_paper": "1", "request_key": "close-2"}, headers=HX)
    db.session.expire_all()
    clearance = db.session.get(Clearance, left.id)
    assert clearance.closed_at is not None and clearance.signed_on_paper and clearance.signature_png is None


def test_two_tablets_closing_at_once_close_it_once(app, client, login_as, room, left):
    login_as("clerk")
    _settle_all(client, left)
    clients = _tablets(app, 6)
    answers = _at_once(clients, f"/clearance/{left.id}/close", {"signature": _png_data_url()})
    closed = [status for status, _ in answers if status == 204]
    assert len(closed) == 1, [s for s, _ in answers]
    assert sum("is closed" in html for _, html in answers) == 5


def test_the_slip_lists_returned_and_charged_with_the_total_and_prints_to_a_tcp_printer(
        app, client, login_as, room, left, printers):
    printer = printers()
    app.config["KIOSK_PRINTER"] = printer.url
    login_as("clerk")
    _settle_all(client, left)
    client.post(f"/clearance/{left.id}/close", data={"signature": _png_data_url(), "request_key": "close-3"})
    jacket_charge = db.session.scalar(select(WriteOff)).amount
    total = jacket_charge + Decimal("80.00")
    slip = text_of(client.get(f"/clearance/{left.id}/slip"))
    assert re.search(r'data-testid="slip-total">[^<]*<strong>[^<]*%s</strong>' % total, slip)
    assert 'data-testid="signature-image"' in slip
    assert re.search(r'data-part="returned">.*SH-0001.*VS-0001.*Work shoes 39 ×1.*</ol>', slip, re.S)
    assert re.search(r'data-part="written_off">.*JK-0001.*%s.*Work shoes 39 ×1.*80\.00' % jacket_charge, slip, re.S)
    client.post("/language", data={"lang": "zh_CN", "next": "/"})  # the slip as the room reads it
    flask_babel.refresh()  # the test's app context keeps the locale it computed first
    form = {"request_key": "print-slip-1"}
    client.post(f"/clearance/{left.id}/print", data=form)
    client.post(f"/clearance/{left.id}/print", data=form)  # a double tap prints one
    [job] = db.session.scalars(select(PrintJob)).all()
    assert job.kind == "clearance" and printing.may_see("clearance", "clerk")
    assert "张三 (E10001) · 客房部" in job.document and '"type": "image"' in job.document
    process_queue(app)
    data = printer.wait_for(1000)
    printed, commands = decode(data)
    assert printed is not None and any(c.name == "cut" for c in commands)
    rendered = printing.render_job(db.session.get(PrintJob, job.id), worker.settings_of(app))
    assert printed.crop((0, 0, *rendered.size)).tobytes() == rendered.tobytes()  # what was asked is what came out
    assert printed.height > 600  # header, three parts, the total, the signature
    SHOTS.mkdir(parents=True, exist_ok=True)
    printed.convert("L").save(SHOTS / "clearance-slip.png")
    db.session.expire_all()
    assert db.session.get(PrintJob, job.id).status == "done"


# --- coming back, the board, access ------------------------------------------------------

def test_reactivating_cancels_the_open_clearance_and_what_was_settled_stands(client, login_as, room, left):
    login_as("supervisor")
    scan(client, left, "SH-0001")
    client.post(f"/registry/employees/{room['person'].id}/reactivate")
    db.session.expire_all()
    clearance = db.session.get(Clearance, left.id)
    assert services.ending(clearance) == "cancelled" and clearance.note == services.CANCELLED
    assert lines_of(left)["SH-0001"].outcome == "returned" and garment("SH-0001").status == "dirty"
    assert 'data-count="0"' in text_of(client.get("/today/")).split('id="clearances"')[1][:40]
    # Leaving again opens a new list of what they hold then (the shirt is back in the room).
    deactivate_employee(db.session, db.session.get(Employee, room["person"].id), TODAY)
    db.session.commit()
    again = services.open_of(db.session, room["person"])
    assert again.id != left.id and set(lines_of(again)) == {"JK-0001", "VS-0001", "SHOE"}
    reactivate_employee(db.session, db.session.get(Employee, room["person"].id))
    db.session.commit()
    assert services.open_of(db.session, room["person"]) is None


def test_the_today_board_lists_open_clearances_until_closed(client, login_as, room, left):
    login_as("clerk")
    board = text_of(client.get("/today/"))
    row = re.search(r'<tr data-clearance="%d" data-left="(\d+)" data-days="(\d+)">(.*?)</tr>' % left.id, board, re.S)
    assert row and row.group(1) == "4" and row.group(2) == "0"
    assert "张三" in row.group(3) and "E10001" in row.group(3) and "客房部" in row.group(3)
    assert f"/clearance/{left.id}" in row.group(3)
    _settle_all(client, left)
    assert re.search(r'data-clearance="%d" data-left="0"' % left.id, text_of(client.get("/today/")))
    client.post(f"/clearance/{left.id}/close", data={"signed_on_paper": "1"})
    assert f'data-clearance="{left.id}"' not in text_of(client.get("/today/"))


def test_days_open_count_on_the_hotel_calendar(room, left):
    later = left.opened_at + dt.timedelta(days=3)
    [line] = services.open_clearances(db.session, now_utc=later, timezone="Asia/Shanghai")
    assert line.days_open == 3 and line.lines_left == 4


@pytest.mark.parametrize("path", ["/clearance/", "/clearance/{id}", "/clearance/{id}/slip"])
def test_pages_render_whole_and_as_fragments_and_are_never_stored(client, login_as, room, left, path):
    login_as("clerk")
    url = path.format(id=left.id)
    page = client.get(url)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "<html" in text_of(page) and "张三" in text_of(page) and 'hx-history="false"' in text_of(page)
    fragment = client.get(url, headers=HX)
    assert fragment.status_code == 200 and "张三" in text_of(fragment)


def test_an_ironer_cannot_open_a_clearance_and_a_signed_out_tablet_sees_no_names(client, login_as, room, left):
    response = client.get(f"/clearance/{left.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as("ironer")
    for method, url in (("GET", f"/clearance/{left.id}"), ("GET", f"/clearance/{left.id}/slip"),
                        ("POST", f"/clearance/{left.id}/scan"), ("POST", f"/clearance/{left.id}/close")):
        response = client.open(url, method=method, data={"code": "SH-0001"}, headers=HX)
        assert response.status_code == 403 and "张三" not in text_of(response)
    assert lines_of(left)["SH-0001"].outcome == "open"
