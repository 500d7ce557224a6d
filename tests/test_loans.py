"""Loans (借衣登记): open a loan, lend, return, chase, escalate, write off."""
from __future__ import annotations

import base64
import datetime as dt
import io
import re

import flask_babel
import pytest
from PIL import Image as PILImage
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.loans import services
from kiosk.loans.models import ContactAttempt, Loan, LoanItem
from kiosk.models import Event, PrintJob, utcnow

from .scans import HX, events, garment, garment_status, scan_result, text_of


def _png_data_url() -> str:
    buffer = io.BytesIO()
    PILImage.new("RGB", (60, 20), "white").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _png(image: PILImage.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _future(hours: int = 30) -> str:
    return (dt.datetime.now() + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def outsider(**overrides) -> dict:
    form = {"name": "李四", "phone": "138-0013-8000", "organisation": "宴会外包公司", "reason": "event",
            "approver": "王经理", "deposit": "自己的白衬衫", "due": "", "signature": _png_data_url(),
            "request_key": "key-" + str(id(overrides)) + str(len(overrides))}
    form.update(overrides)
    return form


def count(model) -> int:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model.__table__))


@pytest.fixture
def clerk(login_as):
    return login_as("clerk")


def open_loan(client, **overrides) -> Loan:
    response = client.post("/loans/open", data=outsider(**overrides))
    assert response.status_code == 302, text_of(response)
    loan_id = int(re.search(r"loan_id=(\d+)", response.headers["Location"]).group(1))
    return db.session.get(Loan, loan_id)


def lend(client, loan, tag):
    return text_of(client.post(f"/loans/{loan.id}/scan", data={"code": tag}, headers=HX))


# --- lending ------------------------------------------------------------------

def test_loan_to_a_non_employee_lends_the_garments_and_writes_events(make, client, clerk):
    shirt, trousers = make.garment(tag="LN-0001"), make.garment(tag="LN-0002")
    db.session.commit()
    loan = open_loan(client)
    assert loan.borrower_phone == "13800138000" and loan.borrower_org == "宴会外包公司"
    assert loan.signature_png.startswith(b"\x89PNG") and loan.approver == "王经理"
    for tag in ("LN-0001", "LN-0002"):
        body = lend(client, loan, tag)
        assert scan_result(body) == "ok" and garment_status(body) == "loaned"
    db.session.expire_all()
    assert [i.garment.tag for i in loan.items] == ["LN-0001", "LN-0002"]
    assert garment("LN-0001").status == "loaned"
    lent = db.session.scalars(select(Event).where(Event.action == "loan")).all()
    assert len(lent) == 2 and all(e.note == f"loan #{loan.id}" and e.station == "loans" for e in lent)


def test_loan_to_an_employee_copies_their_department_at_the_moment(make, client, clerk):
    dept = make.department("客房部")
    person = make.employee("张三", department=dept, staff_no="E777", phone="13900001111")
    make.garment(tag="LN-0100")
    db.session.commit()
    loan = open_loan(client, employee_code="E777", name="", phone="", organisation="")
    assert loan.employee_id == person.id and loan.department_id == dept.id and loan.borrower_org == "客房部"
    lend(client, loan, "LN-0100")
    person.department = make.department("前厅部")
    db.session.commit()
    db.session.expire_all()
    loan = db.session.get(Loan, loan.id)
    assert loan.borrower_org == "客房部" and loan.department_id == dept.id
    event = db.session.scalar(select(Event).where(Event.action == "loan"))
    assert event.employee_id == person.id and event.department_id == dept.id


def test_default_due_is_next_day_six_pm_hotel_time():
    now = dt.datetime(2026, 3, 1, 20, 0, tzinfo=dt.timezone.utc)  # 04:00 on 2 March in Shanghai
    assert services.default_due(now, "Asia/Shanghai") == dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.timezone.utc)


def test_open_loan_twice_with_the_same_key_opens_one(make, client, clerk):
    form = outsider(request_key="same-key-123")
    client.post("/loans/open", data=form)
    client.post("/loans/open", data=form)
    assert count(Loan) == 1


@pytest.mark.parametrize("overrides, message", [
    ({"phone": "12345"}, "valid phone number"),
    ({"due": "2020-01-01T18:00"}, "due date is in the past"),
    ({"name": ""}, "borrower&#39;s name"),
    ({"organisation": ""}, "department or organisation"),
    ({"reason": ""}, "purpose"),
    ({"signature": ""}, "must sign"),
    ({"signature": "data:image/png;base64,not-a-png"}, "could not be read"),
    # the one "nobody" message of kiosk.people (loans said "Nobody found for" before)
    ({"employee_code": "NOBODY"}, "Nobody matches “NOBODY”"),
])
def test_bad_loan_form_is_refused_and_nothing_changes(make, client, clerk, overrides, message):
    before = count(Loan), events()
    response = client.post("/loans/open", data=outsider(**overrides), headers=HX)
    body = text_of(response)
    assert response.status_code == 200 and message in body and 'data-testid="loan-error"' in body
    assert (count(Loan), events()) == before


def _bomb(size) -> bytes:
    """A PNG header saying ``size`` with no image behind it: decoding it would fail, so a
    refusal for its size proves the size was checked before anything was decoded."""
    return _png(PILImage.new("1", (8, 8), 1))[:16] + size[0].to_bytes(4, "big") + size[1].to_bytes(4, "big") \
        + b"\x01\x00\x00\x00" + b"\x00" * 64


@pytest.mark.parametrize("png, message", [
    (_png(PILImage.new("1", (9000, 9000), 1)), "9000 × 9000 pixels, larger than the pad (600 × 200)"),
    (_png(PILImage.new("1", (576, 60000), 1)), "576 × 60000 pixels, larger than the pad (600 × 200)"),
    (_bomb((9000, 9000)), "9000 × 9000 pixels, larger than the pad"),
    (_png(PILImage.new("RGBA", (601, 200), (0, 0, 0, 0))), "601 × 200 pixels, larger than the pad"),
    (_png(PILImage.new("L", (60, 20), 0)) + b"\x00" * 300_000, "The signature is too large"),
    (b"GIF89a" + b"\x00" * 64, "could not be read"),
    (_png(PILImage.new("L", (60, 20), 0))[:45], "could not be read"),
])
def test_a_signature_that_is_not_what_the_pad_draws_is_refused_with_a_message(make, client, clerk, png, message):
    before = count(Loan), events()
    response = client.post("/loans/open", data=outsider(signature=_data_url(png)), headers=HX)
    body = text_of(response)
    assert response.status_code == 200 and 'data-testid="loan-error"' in body
    assert message in body.replace("&#215;", "×")
    assert re.findall(r'class="field[^"]*has-error" data-field="(\w+)"', body) == ["signature"]
    assert (count(Loan), events()) == before


def test_an_oversized_signature_is_refused_in_chinese(make, client, clerk):
    client.post("/language", data={"lang": "zh_CN"})
    body = text_of(client.post("/loans/open", headers=HX, data=outsider(
        signature=_data_url(_png(PILImage.new("1", (9000, 9000), 1))))))
    assert "签名图片为 9000 × 9000 像素，超出签名板（600 × 200）" in body and count(Loan) == 0


def test_a_signature_the_size_of_the_pad_is_taken(make, client, clerk):
    loan = open_loan(client, signature=_data_url(_png(PILImage.new("RGBA", (600, 200), (0, 0, 0, 0)))))
    assert loan.signature_png.startswith(b"\x89PNG")


def test_a_refused_loan_form_marks_the_field_keeps_what_was_typed_and_empties_the_pad(make, client, clerk):
    response = client.post("/loans/open", data=outsider(phone="12345", organisation="宴会外包公司"), headers=HX)
    body = text_of(response)
    marked = re.findall(r'class="field has-error" data-field="(\w+)"', body)
    assert marked == ["phone"]
    assert re.search(r'<input[^>]*name="name"[^>]*value="李四"', body)  # what was typed stays
    assert re.search(r'<input[^>]*name="organisation"[^>]*value="宴会外包公司"', body)
    assert '<input type="hidden" name="signature" value="" data-signature-value>' in body  # sign again
    assert count(Loan) == 0


def test_signed_on_paper_needs_no_signature_image(make, client, clerk):
    loan = open_loan(client, signature="", signed_on_paper="1")
    assert loan.signature_png is None and loan.signed_on_paper


def test_a_garment_already_on_loan_is_refused_and_nothing_changes(make, client, clerk):
    make.garment(tag="LN-0200")
    db.session.commit()
    first = open_loan(client, request_key="first-loan-1")
    lend(client, first, "LN-0200")
    second = open_loan(client, request_key="second-loan-2", name="赵六")
    before = events(), count(LoanItem)
    body = lend(client, second, "LN-0200")
    assert scan_result(body) == "error" and "on loan" in body
    assert (events(), count(LoanItem)) == before


def test_the_same_scan_twice_lends_once(make, client, clerk):
    make.garment(tag="LN-0300")
    db.session.commit()
    loan = open_loan(client)
    lend(client, loan, "LN-0300")
    assert scan_result(lend(client, loan, "LN-0300")) == "duplicate"
    assert count(LoanItem) == 1


# --- returns ------------------------------------------------------------------

def test_partial_return_then_full_return_closes_the_loan_and_gives_the_deposit_back(make, client, clerk):
    make.garment(tag="LN-0401"), make.garment(tag="LN-0402")
    db.session.commit()
    loan = open_loan(client)
    lend(client, loan, "LN-0401"), lend(client, loan, "LN-0402")
    body = text_of(client.post("/loans/return", data={"code": "LN-0401"}, headers=HX))
    assert scan_result(body) == "ok" and garment_status(body) == "dirty"
    db.session.expire_all()
    loan = db.session.get(Loan, loan.id)
    assert loan.closed_at is None and [i.garment.tag for i in loan.outstanding] == ["LN-0402"]
    client.post("/loans/return", data={"code": "LN-0402"}, headers=HX)
    db.session.expire_all()
    loan = db.session.get(Loan, loan.id)
    assert loan.closed_at is not None and loan.deposit_returned_at is not None
    assert all(i.return_event.action == "check_in" for i in loan.items)


def test_returning_a_garment_not_on_loan_is_refused(make, client, clerk):
    make.garment(tag="LN-0500")
    db.session.commit()
    before = events()
    body = text_of(client.post("/loans/return", data={"code": "LN-0500"}, headers=HX))
    assert scan_result(body) == "error" and "is not on loan" in body and events() == before


# --- the overdue board, contact attempts, escalation ---------------------------

def _overdue_loan(make, *, name="李四", hours_late=1, tag=None) -> Loan:
    g = make.garment(tag=tag)
    loan = Loan(borrower_name=name, borrower_phone="13800138000", borrower_org="外包", reason="event",
                due_at=utcnow() - dt.timedelta(hours=hours_late), signed_on_paper=True)
    db.session.add(loan)
    db.session.flush()
    result = services.lend(db.session, loan, g.tag, user=None, duplicate_seconds=0)
    assert result.ok
    db.session.commit()
    return loan


def test_overdue_board_is_sorted_by_lateness_with_a_tel_link(make, client, clerk):
    _overdue_loan(make, name="少迟", hours_late=2)
    _overdue_loan(make, name="最迟", hours_late=50)
    board = services.overdue(db.session)
    assert [o.loan.borrower_name for o in board] == ["最迟", "少迟"] and board[0].days_late == 2
    body = text_of(client.get("/loans/"))
    assert body.index("最迟") < body.index("少迟") and 'href="tel:13800138000"' in body
    assert 'hx-history="false"' in body


def test_a_loan_late_by_hours_reads_in_hours_and_by_days_in_days(make, client, clerk):
    """逾期 5 小时, never 逾期 0 天, on the board and its card; two days late reads in days."""
    _overdue_loan(make, name="刚逾期", hours_late=5)
    _overdue_loan(make, name="早逾期", hours_late=50)
    client.post("/language", data={"lang": "zh_CN"})
    body = text_of(client.get("/loans/"))
    late = re.findall(r'data-testid="days-late">([^<]*)<', body)
    assert late == ["逾期 2 天", "逾期 5 小时"]
    assert "逾期 0 天" not in body


def test_contact_attempts_are_logged_once_per_form(make, client, clerk):
    loan = _overdue_loan(make)
    form = {"how": "phone", "outcome": "no_answer", "note": "关机", "request_key": "contact-key-1"}
    body = text_of(client.post(f"/loans/{loan.id}/contact", data=form, headers=HX))
    client.post(f"/loans/{loan.id}/contact", data=form, headers=HX)
    assert 'id="loan-board"' in body and "<html" not in body and "关机" in body
    attempt = db.session.scalar(select(ContactAttempt))
    assert count(ContactAttempt) == 1 and attempt.user_id == clerk and attempt.failed


def test_a_bad_contact_attempt_is_refused(make, client, clerk):
    loan = _overdue_loan(make)
    body = text_of(client.post(f"/loans/{loan.id}/contact", data={"how": "fax", "outcome": "reached"}, headers=HX))
    assert "Choose how" in body and count(ContactAttempt) == 0


def test_escalates_after_three_failed_attempts(make, ctx):
    loan = _overdue_loan(make)
    for i, outcome in enumerate(["no_answer", "promised", "refused", "reached"]):
        services.log_contact(db.session, loan, how="phone", outcome=outcome, note="", user=None, request_key=None)
    assert services.escalated(db.session) == []
    services.log_contact(db.session, loan, how="wechat", outcome="no_answer", note="", user=None, request_key=None)
    assert [o.loan.id for o in services.escalated(db.session)] == [loan.id]


def test_escalates_after_three_days_overdue(make, ctx):
    loan = _overdue_loan(make)
    assert services.escalated(db.session) == []
    later = utcnow() + dt.timedelta(days=3)
    assert [o.loan.id for o in services.escalated(db.session, now=later)] == [loan.id]
    assert services.escalated(db.session, now=later, escalate_days=5) == []


def test_supervisor_sees_the_escalated_list_and_a_clerk_does_not(make, app, client, login_as):
    _overdue_loan(make, name="久借不还", hours_late=24 * 4)
    login_as("clerk")
    clerk_page = text_of(client.get("/loans/"))
    # The clerk has the overdue list with this loan on it, only not the supervisors' list.
    assert 'data-testid="overdue-loan"' in clerk_page and "久借不还" in clerk_page
    assert 'data-testid="escalated"' not in clerk_page
    login_as("supervisor")
    body = text_of(client.get("/loans/"))
    assert 'data-testid="escalated-loan"' in body and "久借不还" in body


def test_a_garment_never_returned_is_written_off_and_charged_to_the_borrower(make, client, login_as):
    from kiosk.writeoffs.models import Compensation, WriteOff

    loan = _overdue_loan(make, hours_late=24 * 4, tag="LN-0900")
    item = loan.items[0]
    boss = make.user(role="supervisor", pin="7531")
    db.session.commit()
    login_as("clerk")
    form = {"request_key": "write-off-key-1"}
    first = client.post(f"/loans/items/{item.id}/write-off", data=form, headers=HX)
    client.post(f"/loans/items/{item.id}/write-off", data=form, headers=HX)
    write_offs = db.session.scalars(select(WriteOff)).all()
    assert len(write_offs) == 1 and write_offs[0].responsible == "borrower"
    assert first.headers["HX-Redirect"].endswith(f"/writeoffs/{write_offs[0].id}")
    assert garment("LN-0900").status == "loaned"  # nothing moves before a supervisor approves
    client.post(f"/writeoffs/{write_offs[0].id}/approve", data={"approver_id": boss.id, "pin": "7531"})
    assert garment("LN-0900").status == "written_off"
    offs = db.session.scalars(select(Event).where(Event.action == "write_off")).all()
    assert len(offs) == 1
    compensation = db.session.scalar(select(Compensation))
    assert compensation is not None and compensation.amount > 0 and compensation.party == loan.borrower_name
    assert db.session.get(Loan, loan.id).closed_at is not None


def test_the_write_off_form_of_a_lent_garment_proposes_the_borrower_the_loan_would_charge(make, client, clerk):
    """One rule for who answers for a garment lost on a loan: the write-off form
    scanned at the counter proposes what the loan's own write-off charges."""
    owner = make.employee("王主人", staff_no="E100")
    make.employee("张三", staff_no="E777")
    make.garment(tag="LN-0950", owner=owner)
    make.garment(tag="LN-0951", owner=owner)
    make.garment(tag="LN-0952", owner=owner)
    db.session.commit()
    visitor = open_loan(client, name="李外借", request_key="loan-visitor-1")
    lend(client, visitor, "LN-0950")
    colleague = open_loan(client, employee_code="E777", name="", phone="", organisation="",
                          request_key="loan-employee-1")
    lend(client, colleague, "LN-0951")

    def proposed(tag):
        body = text_of(client.get(f"/writeoffs/new?code={tag}", headers=HX))
        checked = re.search(r'value="(\w+)" data-testid="responsible-\w+"\s+checked', body).group(1)
        staff_no = re.search(r'<input[^>]*name="staff_no"[^>]*value="([^"]*)"', body).group(1)
        borrower = re.search(r'<input[^>]*name="borrower_name"[^>]*value="([^"]*)"', body).group(1)
        return checked, staff_no, borrower

    assert proposed("LN-0950") == ("borrower", "", "李外借")  # not the garment's owner
    assert proposed("LN-0951") == ("employee", "E777", "")
    assert proposed("LN-0952") == ("employee", "E100", "")  # in the room: its owner
    assert services.responsible_for(visitor).borrower_name == "李外借"
    assert services.responsible_for(colleague).staff_no == "E777"


@pytest.mark.parametrize("path", ["/loans/", "/loans/return"])
def test_ironers_may_not_see_borrowers(client, login_as, path):
    login_as("ironer")
    response = client.get(path) if path == "/loans/" else client.post(path, data={"code": "X"})
    assert response.status_code == 403


# --- the slip -------------------------------------------------------------------

def test_loan_slip_goes_to_the_print_queue_with_the_signature(make, client, clerk):
    make.garment(tag="LN-1000")
    db.session.commit()
    loan = open_loan(client)
    lend(client, loan, "LN-1000")
    form = {"request_key": "slip-key-0001"}
    client.post(f"/loans/{loan.id}/slip", data=form)
    client.post(f"/loans/{loan.id}/slip", data=form)
    job = db.session.scalar(select(PrintJob))
    assert count(PrintJob) == 1 and job.kind == "loan"
    assert '"type": "image"' in job.document and "LN-1000" in job.document and "李四" in job.document


def test_the_notice_after_printing_a_loan_slip_reads_whole_in_both_languages(make, client, clerk):
    make.garment(tag="LN-1001")
    db.session.commit()
    loan = open_loan(client)
    lend(client, loan, "LN-1001")
    page = text_of(client.post(f"/loans/{loan.id}/slip", data={"request_key": "slip-key-0002"},
                               follow_redirects=True))
    assert "Sent to the printer." in page and "%(" not in page
    client.post("/language", data={"lang": "zh_CN"})
    flask_babel.refresh()  # the test's app context is shared by its requests: drop the cached locale
    page = text_of(client.post(f"/loans/{loan.id}/slip", data={"request_key": "slip-key-0003"},
                               follow_redirects=True))
    assert "已发送到打印机（1 项）" in page and "%(" not in page


def test_the_loan_page_and_its_lending_view_render(make, client, clerk):
    page = text_of(client.get("/loans/"))
    assert 'data-testid="loan-open"' in page and "data-signature-pad" in page
    loan = open_loan(client)
    body = text_of(client.get(f"/loans/?loan_id={loan.id}"))
    assert 'data-testid="loan-borrower"' in body and f"/loans/{loan.id}/scan" in body


def test_a_visitors_phone_and_signature_are_erased_after_the_retention_time(make, app, runner):
    from kiosk.loans.services import erase_visitor_contacts

    old = _overdue_loan(make, name="外包甲", tag="LN-0990")
    recent = _overdue_loan(make, name="外包乙", tag="LN-0991")
    now = utcnow()
    old.closed_at = now - dt.timedelta(days=91)
    recent.closed_at = now - dt.timedelta(days=10)
    old.signature_png = recent.signature_png = b"\x89PNG..."
    db.session.commit()
    assert erase_visitor_contacts(db.session, retention_days=90, now=now).loans == 1
    db.session.commit()
    assert (old.borrower_phone, old.signature_png, old.borrower_name) == ("", None, "外包甲")
    assert recent.borrower_phone and recent.signature_png
    result = runner.invoke(args=["kiosk", "privacy", "erase"])
    assert result.exit_code == 0 and "0 visitor" in result.output  # nothing more to erase


def _slip_printed_and_returned(client, make, tag: str, phone: str) -> Loan:
    """A visitor's loan of one garment, its slip printed (with the signature), the garment back."""
    make.garment(tag=tag)
    db.session.commit()
    loan = open_loan(client, phone=phone, request_key=f"key-open-{tag}")
    lend(client, loan, tag)
    client.post(f"/loans/{loan.id}/slip", data={"request_key": f"key-slip-{tag}"})
    client.post("/loans/return", data={"code": tag}, headers=HX)
    db.session.expire_all()
    loan = db.session.get(Loan, loan.id)
    assert loan.closed_at is not None and loan.borrower_phone == phone.replace("-", "")
    return loan


def _jobs_holding(text: str) -> list[int]:
    return [job.id for job in db.session.scalars(select(PrintJob)) if text in job.document]


def test_privacy_erase_takes_the_phone_and_signature_off_the_print_jobs_of_the_slip(make, client, clerk, runner):
    old = _slip_printed_and_returned(client, make, "LN-0980", "138-0013-8000")
    recent = _slip_printed_and_returned(client, make, "LN-0981", "139-0013-9000")
    slip_job = db.session.scalar(select(PrintJob).where(PrintJob.document.contains("LN-0980")))
    client.post(f"/print/jobs/{slip_job.id}/reprint", data={"request_key": "key-reprint-0980"})
    assert len(_jobs_holding("13800138000")) == 2 and len(_jobs_holding('"type": "image"')) == 3
    db.session.get(Loan, old.id).closed_at = utcnow() - dt.timedelta(days=91)
    db.session.commit()

    result = runner.invoke(args=["kiosk", "privacy", "erase"])
    assert result.exit_code == 0, result.output
    assert "1 visitor loans closed" in result.output and "2 print jobs" in result.output
    db.session.expire_all()
    assert _jobs_holding("13800138000") == []  # no print job holds the visitor's phone any more
    old_jobs = [job for job in db.session.scalars(select(PrintJob)) if "LN-0980" in job.document]
    assert len(old_jobs) == 2 and all('"type": "image"' not in job.document for job in old_jobs)
    assert all("李四 · 宴会外包公司" in job.document for job in old_jobs)  # the name stays, as on the loan
    preview = client.get(f"/print/jobs/{old_jobs[0].id}/preview.png")
    assert preview.status_code == 200 and preview.mimetype == "image/png"  # still draws
    # the recent loan keeps everything it had
    recent_job, = [job for job in db.session.scalars(select(PrintJob)) if "LN-0981" in job.document]
    assert "13900139000" in recent_job.document and '"type": "image"' in recent_job.document

    again = runner.invoke(args=["kiosk", "privacy", "erase"])
    assert "0 visitor loans closed" in again.output and "0 print jobs" in again.output


def test_privacy_erase_also_cleans_the_slips_of_a_loan_erased_before(make, client, clerk):
    from kiosk.loans.services import erase_visitor_contacts

    loan = _slip_printed_and_returned(client, make, "LN-0982", "138-0013-8000")
    stored = db.session.get(Loan, loan.id)
    # erased by an earlier version, which left the print jobs as they were
    stored.borrower_phone, stored.signature_png = "", None
    stored.contact_erased_at = stored.closed_at = utcnow() - dt.timedelta(days=91)
    db.session.commit()
    assert erase_visitor_contacts(db.session, retention_days=90) == services.Erased(loans=0, print_jobs=1)
    db.session.commit()
    assert _jobs_holding("13800138000") == [] and _jobs_holding('"type": "image"') == []
