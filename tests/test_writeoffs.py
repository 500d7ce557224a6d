"""Write-offs (报损) and compensation (赔偿): opened by a clerk, approved by a supervisor's own PIN."""
import csv
import datetime as dt
import html
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Event, Garment, PrintJob, User
from kiosk.printing import services as printing
from kiosk.writeoffs.models import Compensation, CompensationCorrection, WriteOff

from printers.documents import Text

from .scans import garment_status

SUPERVISOR_PIN = "7531"


@pytest.fixture
def room(app, make):
    """A housekeeping employee's shirt bought ~6.5 months ago for ¥120 (80 % tier: ¥96)."""
    app.config["KIOSK_UNWASHED_FEE"] = Decimal("10.00")
    dept = make.department("客房部")
    emp = make.employee("张堃", department=dept, staff_no="E777")
    garment = make.garment(tag="SH-000001", owner=emp, cost=Decimal("120.00"),
                           purchased_on=dt.date.today() - dt.timedelta(days=200), status="issued")
    boss = make.user("王领班", role="supervisor", pin=SUPERVISOR_PIN)
    db.session.commit()
    return {"dept": dept, "emp": emp, "garment": garment, "boss": boss}


def _counts():
    return (db.session.scalar(select(func.count(WriteOff.id))),
            db.session.scalar(select(func.count(Compensation.id))),
            db.session.scalar(select(func.count(Event.id))),
            db.session.scalar(select(func.count(PrintJob.id))))


def _open(client, **fields):
    data = {"code": "SH-000001", "reason": "lost", "responsible": "employee", "staff_no": "E777",
            "request_key": "key-open-0001", **fields}
    return client.post("/writeoffs/new", data=data)


def _approve(client, write_off_id, user_id, pin):
    return client.post(f"/writeoffs/{write_off_id}/approve", data={"approver_id": user_id, "pin": pin})


def _status(tag="SH-000001"):
    db.session.expire_all()
    return db.session.scalar(select(Garment.status).where(Garment.tag == tag))


def test_a_write_off_waits_for_a_supervisor_then_moves_the_garment_and_charges_the_employee(client, login_as, room):
    login_as("clerk")
    response = _open(client, unwashed="1")
    assert response.status_code == 302
    write_off = db.session.scalar(select(WriteOff))
    assert write_off.status == "pending" and write_off.price == Decimal("120.00")
    assert write_off.percent == 80 and write_off.unwashed_fee == Decimal("10.00")
    assert write_off.amount == Decimal("106.00") and write_off.department_id == room["dept"].id
    assert _status() == "issued"  # nothing moves before the approval
    page = client.get(f"/writeoffs/{write_off.id}").get_data(as_text=True)
    assert "106.00" in page and 'hx-history="false"' in page

    response = _approve(client, write_off.id, room["boss"].id, SUPERVISOR_PIN)
    assert response.status_code == 200
    db.session.expire_all()
    write_off = db.session.get(WriteOff, write_off.id)
    assert write_off.status == "approved" and write_off.approved_by_id == room["boss"].id
    assert _status() == "written_off"
    assert write_off.event.action == "write_off" and write_off.event.user_id == room["boss"].id
    comp = write_off.compensation
    assert comp.status == "pending" and comp.amount == Decimal("106.00") and comp.party == "张堃"
    job = db.session.scalar(select(PrintJob))
    assert job.kind == "compensation" and "106.00" in job.document and "张堃" in job.document

    before = _counts()
    _approve(client, write_off.id, room["boss"].id, SUPERVISOR_PIN)  # a double tap
    _open(client)  # the opening form sent again
    assert _counts() == before


def test_the_compensation_slip_names_the_approving_supervisor_as_such(client, login_as, room):
    login_as("clerk")
    client.post("/language", data={"lang": "zh_CN"})
    _open(client)
    write_off = db.session.scalar(select(WriteOff))
    _approve(client, write_off.id, room["boss"].id, SUPERVISOR_PIN)
    job = db.session.scalar(select(PrintJob))
    texts = [el.text for el in printing.document_of(job).elements if isinstance(el, Text)]
    assert "审批主管：王领班" in texts
    assert not any(text.startswith("收发员") for text in texts)  # the approver is no clerk


def test_a_clerk_cannot_approve_with_their_own_pin_and_nothing_changes(client, login_as, room):
    clerk_id = login_as("clerk")
    _open(client)
    write_off = db.session.scalar(select(WriteOff))
    before = _counts()
    response = _approve(client, write_off.id, clerk_id, "2580")
    assert "Only a supervisor can approve." in response.get_data(as_text=True)
    assert _counts() == before and _status() == "issued"
    db.session.expire_all()
    assert db.session.get(WriteOff, write_off.id).status == "pending"


def test_a_clerk_cannot_settle_or_correct_a_compensation_by_posting_directly(client, login_as, room):
    login_as("clerk")
    _open(client)
    write_off = db.session.scalar(select(WriteOff))
    _approve(client, write_off.id, room["boss"].id, SUPERVISOR_PIN)
    comp = db.session.scalar(select(Compensation))
    assert client.post(f"/writeoffs/compensations/{comp.id}/settle", data={"status": "waived"}).status_code == 403
    assert client.post(f"/writeoffs/compensations/{comp.id}/correct",
                       data={"status": "waived", "amount": "0", "reason": "x"}).status_code == 403
    assert client.get("/writeoffs/payroll.csv").status_code == 403
    assert client.get("/writeoffs/statement").status_code == 403
    db.session.expire_all()
    assert db.session.get(Compensation, comp.id).status == "pending"
    assert db.session.scalar(select(func.count(CompensationCorrection.id))) == 0


def test_a_wrong_supervisor_pin_counts_towards_their_lock(client, login_as, room):
    login_as("clerk")
    _open(client)
    write_off = db.session.scalar(select(WriteOff))
    before = _counts()
    response = _approve(client, write_off.id, room["boss"].id, "0000")
    assert "Wrong PIN" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, room["boss"].id).failed_attempts == 1
    for _ in range(4):
        _approve(client, write_off.id, room["boss"].id, "0000")
    db.session.expire_all()
    assert db.session.get(User, room["boss"].id).locked_until is not None
    response = _approve(client, write_off.id, room["boss"].id, SUPERVISOR_PIN)  # locked: even the right PIN
    assert "locked" in response.get_data(as_text=True)
    assert _counts() == before and _status() == "issued"


@pytest.mark.parametrize("fields, message", [
    ({"staff_no": "NOPE"}, "Enter the staff no. of the responsible employee."),  # no such employee
    ({"staff_no": " "}, "Enter the staff no. of the responsible employee."),
    ({"responsible": "borrower", "borrower_name": " "}, "Enter the borrower's name."),
    ({"reason": "bored"}, "Choose a reason."),
    ({"responsible": ""}, "Choose who is responsible."),
])
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(client, login_as, room, fields, message):
    login_as("clerk")
    before = _counts()
    response = client.post("/writeoffs/new", headers={"HX-Request": "true"}, data={
        "code": "SH-000001", "reason": "lost", "responsible": "employee", "staff_no": "E777",
        "request_key": "key-open-0001", **fields})
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and 'id="writeoff-form"' in body and "<html" not in body  # swapped in place
    assert message in body
    assert _counts() == before


def test_a_refused_form_marks_the_field_and_keeps_what_was_typed(client, login_as, room):
    login_as("clerk")
    response = _open(client, responsible="borrower", borrower_name="", note="袖口撕破", reason="damaged")
    body = html.unescape(response.get_data(as_text=True))
    assert re.search(r'class="field has-error" data-field="borrower_name">.*?Enter the borrower\'s name\.', body, re.S)
    assert 'value="袖口撕破"' in body
    assert re.search(r'data-testid="reason-damaged"\s+checked', body)
    assert 'class="field has-error" data-field="note"' not in body


def test_the_responsible_employee_is_found_by_a_full_width_staff_no_even_after_leaving(client, login_as, room):
    # The write-off matched the 工号 as typed; kiosk.people normalises it as every station does,
    # and charging a leaver for what they lost is not giving them anything.
    from kiosk.registry.services import deactivate_employee

    deactivate_employee(db.session, room["emp"], dt.date(2025, 3, 1))
    db.session.commit()
    login_as("clerk")
    assert _open(client, staff_no=" ｅ７７７ ").status_code == 302
    write_off = db.session.scalar(select(WriteOff))
    assert write_off.employee_id == room["emp"].id and write_off.department_id == room["dept"].id


def test_a_garment_is_written_off_once(client, login_as, room):
    login_as("clerk")
    _open(client)
    response = _open(client, request_key="key-open-0002")
    assert "already waits for approval" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(WriteOff.id))) == 1


def test_a_garment_never_returned_from_a_loan_charges_the_borrower(client, login_as, room, make):
    make.garment(tag="SH-000002", cost=Decimal("80.00"), purchased_on=dt.date.today(), status="loaned")
    db.session.commit()
    login_as("clerk")
    form = client.get("/writeoffs/new?code=SH-000002", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="writeoff-form"' in form and "<html" not in form
    assert 'value="borrower" data-testid="responsible-borrower"\n        checked' in form
    _open(client, code="SH-000002", responsible="borrower", borrower_name="李外借", staff_no="")
    write_off = db.session.scalar(select(WriteOff))
    _approve(client, write_off.id, room["boss"].id, SUPERVISOR_PIN)
    comp = db.session.scalar(select(Compensation))
    assert comp.party == "李外借" and comp.amount == Decimal("80.00") and comp.employee_id is None
    assert _status("SH-000002") == "written_off"


def test_the_hotel_pays_nothing_so_no_compensation_and_no_slip(client, login_as, room):
    login_as("clerk")
    _open(client, responsible="hotel", reason="worn_out", unwashed="1")
    write_off = db.session.scalar(select(WriteOff))
    assert write_off.amount == 0
    _approve(client, write_off.id, room["boss"].id, SUPERVISOR_PIN)
    assert _status() == "written_off"
    assert db.session.scalar(select(func.count(Compensation.id))) == 0
    assert db.session.scalar(select(func.count(PrintJob.id))) == 0


def _approved(client, login_as, room):
    login_as("clerk")
    _open(client)
    write_off = db.session.scalar(select(WriteOff))
    _approve(client, write_off.id, room["boss"].id, SUPERVISOR_PIN)
    from tests.conftest import login
    login(client, room["boss"].id, SUPERVISOR_PIN)
    return db.session.scalar(select(Compensation))


def test_paid_is_a_settled_state_and_a_correction_is_a_new_record(client, login_as, room):
    comp = _approved(client, login_as, room)
    client.post(f"/writeoffs/compensations/{comp.id}/settle", data={"status": "paid"})
    client.post(f"/writeoffs/compensations/{comp.id}/settle", data={"status": "paid"})  # repeated
    db.session.expire_all()
    comp = db.session.get(Compensation, comp.id)
    assert comp.status == "paid" and comp.settled_by_id == room["boss"].id
    settled_at = comp.settled_at

    response = client.post(f"/writeoffs/compensations/{comp.id}/settle", data={"status": "waived"})
    assert "This compensation is settled. Write a correction instead." in response.get_data(as_text=True)

    data = {"status": "waived", "amount": "106.00", "reason": "经理批准免赔", "request_key": "key-corr-0001"}
    client.post(f"/writeoffs/compensations/{comp.id}/correct", data=data)
    client.post(f"/writeoffs/compensations/{comp.id}/correct", data=data)  # repeated
    db.session.expire_all()
    comp = db.session.get(Compensation, comp.id)
    assert comp.status == "paid" and comp.settled_at == settled_at  # the settled record is untouched
    assert len(comp.corrections) == 1 and comp.current_status == "waived"
    assert comp.corrections[0].reason == "经理批准免赔"


def test_a_waived_compensation_and_bad_corrections(client, login_as, room):
    comp = _approved(client, login_as, room)
    client.post(f"/writeoffs/compensations/{comp.id}/settle", data={"status": "waived"},
                headers={"HX-Request": "true"})
    db.session.expire_all()
    assert db.session.get(Compensation, comp.id).status == "waived"
    for data, message in [({"status": "paid", "amount": "-1", "reason": "x"}, "Enter an amount"),
                          ({"status": "paid", "amount": "1.234", "reason": "x"}, "Enter an amount"),
                          ({"status": "paid", "amount": "50", "reason": " "}, "Say why it is corrected."),
                          ({"status": "waived", "amount": "96.00", "reason": "x"}, "Nothing to correct")]:
        response = client.post(f"/writeoffs/compensations/{comp.id}/correct", data=data)
        assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(CompensationCorrection.id))) == 0


def test_a_refused_correction_comes_back_open_with_the_field_marked(client, login_as, room):
    comp = _approved(client, login_as, room)
    response = client.post(f"/writeoffs/compensations/{comp.id}/correct", headers={"HX-Request": "true"},
                           data={"status": "paid", "amount": "12,3.4", "reason": "经理批准"})
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and 'id="writeoff"' in body and "<html" not in body
    assert re.findall(r'class="field has-error" data-field="(\w+)"', body) == ["amount"]
    assert '<details class="correction" open>' in body
    assert re.search(r'<input[^>]*name="reason"[^>]*value="经理批准"', body)  # what was typed stays
    assert db.session.scalar(select(func.count(CompensationCorrection.id))) == 0


def test_payroll_csv_lists_unpaid_employee_compensation_with_a_bom(client, login_as, room):
    comp = _approved(client, login_as, room)
    response = client.get("/writeoffs/payroll.csv")
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode()) and response.mimetype == "text/csv"
    lines = raw.decode("utf-8-sig").splitlines()
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert lines == ["工号,姓名,部门,金额,原因,日期", f"E777,张堃,客房部,96.00,丢失,{today}"]
    client.post(f"/writeoffs/compensations/{comp.id}/settle", data={"status": "paid"})
    assert client.get("/writeoffs/payroll.csv").get_data().decode("utf-8-sig").splitlines() == [lines[0]]


@pytest.fixture
def hostile_payroll(client, login_as, room):
    """An approved compensation of an employee whose name is a formula and whose staff no. is 00777."""
    comp = _approved(client, login_as, room)
    emp = db.session.get(type(room["emp"]), room["emp"].id)
    emp.name, emp.staff_no = '=HYPERLINK("http://x")', "00777"
    db.session.get(type(room["dept"]), room["dept"].id).name = "@客房部"
    db.session.commit()
    return comp


def test_the_payroll_csv_holds_a_formula_name_as_text_and_the_amount_as_a_number(client, hostile_payroll):
    response = client.get("/writeoffs/payroll.csv")
    raw = response.get_data().decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(raw, newline="")))[1]
    assert row[:4] == ["00777", "'=HYPERLINK(\"http://x\")", "'@客房部", "96.00"]
    assert raw.splitlines()[1].startswith('00777,"\'=HYPERLINK(""http://x"")",\'@客房部,96.00,')  # raw cells
    month = dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    statement = client.get(f"/writeoffs/statement.csv?month={month}").get_data().decode("utf-8-sig")
    assert statement.splitlines()[1] == f"{month},'@客房部,1,120.00,96.00,0.00,0.00"  # the department statement too


def test_the_payroll_xlsx_has_the_same_rows_with_staff_numbers_as_text_and_no_formula(client, hostile_payroll):
    from openpyxl import load_workbook

    page = client.get("/writeoffs/").get_data(as_text=True)
    assert 'data-testid="payroll-xlsx"' in page and 'href="/writeoffs/payroll.xlsx"' in page
    response = client.get("/writeoffs/payroll.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert response.headers["Content-Disposition"].endswith(".xlsx")
    assert response.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert [c.value for c in sheet[1]] == ["工号", "姓名", "部门", "金额", "原因", "日期"]
    assert [c.value for c in sheet[2]] == ["00777", '=HYPERLINK("http://x")', "@客房部", 96.0, "丢失",
                                           dt.datetime.combine(today, dt.time())]
    assert sheet[2][5].is_date and sheet[2][5].number_format == "yyyy-mm-dd"  # a real date, the hotel's
    staff_no, name, _dept, amount = sheet[2][:4]
    assert staff_no.data_type == "s" and staff_no.number_format == "@"
    assert name.data_type == "s" and amount.data_type == "n"
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert sheet.max_row == 2


def test_a_clerk_cannot_download_the_payroll_xlsx(client, login_as, room):
    login_as("clerk")
    assert client.get("/writeoffs/payroll.xlsx").status_code == 403
    assert 'data-testid="payroll-xlsx"' not in client.get("/writeoffs/").get_data(as_text=True)


def test_the_department_statement_keeps_the_department_of_the_moment(client, login_as, room, make):
    comp = _approved(client, login_as, room)
    client.post(f"/writeoffs/compensations/{comp.id}/settle", data={"status": "paid"})
    emp = db.session.get(type(room["emp"]), room["emp"].id)
    emp.department = make.department("餐饮部")  # moves after the write-off
    db.session.commit()
    page = client.get("/writeoffs/statement").get_data(as_text=True)
    assert 'data-department="客房部"' in page and "餐饮部" not in page
    month = dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    lines = client.get(f"/writeoffs/statement.csv?month={month}").get_data().decode("utf-8-sig").splitlines()
    assert lines[1] == f"{month},客房部,1,120.00,96.00,96.00,0.00"
    assert lines[2] == f"{month},合计,1,120.00,96.00,96.00,0.00"
    assert "Give the month as YYYY-MM, from 2000-01 to 2099-12" in \
        client.get("/writeoffs/statement?month=2026-13").get_data(as_text=True)


def test_index_page_and_scan_fragment(client, login_as, room):
    login_as("clerk")
    page = client.get("/writeoffs/").get_data(as_text=True)
    assert 'hx-history="false"' in page and "<html" in page
    fragment = client.get("/writeoffs/new?code=NOT-OURS", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-testid="writeoff-error"' in fragment and "<html" not in fragment
    assert 'data-scan-result="error"' in fragment  # DESIGN.md: every scan answer says how it went
    full = client.get("/writeoffs/new?code=SH-000001").get_data(as_text=True)
    assert "<html" in full and 'id="writeoff-form"' in full and "96.00" in full
    answer = client.get("/writeoffs/new?code=SH-000001", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert re.search(r'id="writeoff-form"[^>]*data-scan-result="ok"', answer, re.S)
    assert garment_status(answer) == "issued"
