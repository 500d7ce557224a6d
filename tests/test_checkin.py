"""Check-in station (收衣): garments handed in become dirty; employee holdings; department carts."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from kiosk.checkin import services
from kiosk.extensions import db
from kiosk.models import CheckinBatch, Event, Garment, utcnow

from .scans import HX, garment_status, scan_result, text_of


def events_of(garment) -> int:
    return db.session.scalar(select(func.count(Event.id)).where(Event.garment_id == garment.id))


def issued(make, status="issued", holder=None, **fields):
    """A garment out with a person, as the issue station leaves it (holder set)."""
    owner = fields.pop("owner", None) or make.employee()
    garment = make.garment(owner=owner, status=status, holder=holder or owner, **fields)
    db.session.commit()
    return garment


@pytest.fixture
def clerk(login_as):
    return login_as("clerk")


# --- the scan -------------------------------------------------------------

@pytest.mark.parametrize("status", ["issued", "spare_issued", "loaned"])
def test_check_in_makes_a_garment_held_out_dirty(make, client, clerk, status):
    garment = issued(make, status=status)
    response = client.post("/checkin/scan", data={"code": garment.tag}, headers=HX)
    body = text_of(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert scan_result(body) == "ok" and garment_status(body) == "dirty"
    db.session.refresh(garment)
    assert garment.status == "dirty" and garment.holder_id is None
    event = db.session.scalar(select(Event).where(Event.garment_id == garment.id, Event.action == "check_in"))
    assert event.user_id == clerk and event.station == "checkin" and event.from_status == status


def test_check_in_without_htmx_answers_with_the_full_page(make, client, clerk):
    garment = issued(make)
    body = text_of(client.post("/checkin/scan", data={"code": garment.tag}))
    assert "<html" in body and 'id="scan-field"' in body
    assert scan_result(body) == "ok" and garment_status(body) == "dirty"


def test_written_off_garment_is_refused_and_nothing_changes(make, client, clerk):
    garment = make.garment(status="written_off")
    db.session.commit()
    before = events_of(garment)
    body = text_of(client.post("/checkin/scan", data={"code": garment.tag}, headers=HX))
    assert scan_result(body) == "error" and garment_status(body) == "written_off"
    assert 'data-testid="result-message"' in body
    db.session.refresh(garment)
    assert garment.status == "written_off" and events_of(garment) == before


def test_unknown_code_is_refused_as_not_our_uniform(make, client, clerk):
    body = text_of(client.post("/checkin/scan", data={"code": "MY-OWN-SHIRT"}, headers=HX))
    assert scan_result(body) == "error"
    assert "data-garment-status" not in body
    assert "不是本店制服" in body or "not one of our uniforms" in body
    assert db.session.scalar(select(func.count(Event.id)).where(Event.action == "check_in")) == 0


def test_full_width_code_from_a_chinese_input_method_matches(make, client, clerk):
    garment = issued(make, tag="SH-0042")
    body = text_of(client.post("/checkin/scan", data={"code": "  ｓｈ－００４２ "}, headers=HX))
    assert scan_result(body) == "ok"
    db.session.refresh(garment)
    assert garment.status == "dirty"


def test_same_tag_again_within_the_window_is_a_duplicate_not_a_second_event(make, client, clerk):
    garment = issued(make)
    client.post("/checkin/scan", data={"code": garment.tag}, headers=HX)
    count = events_of(garment)
    body = text_of(client.post("/checkin/scan", data={"code": garment.tag}, headers=HX))
    assert scan_result(body) == "duplicate" and garment_status(body) == "dirty"
    assert events_of(garment) == count


def test_undo_writes_a_compensating_event_and_gives_the_garment_back(make, client, clerk):
    garment = issued(make)
    owner_id = garment.owner_id
    client.post("/checkin/scan", data={"code": garment.tag}, headers=HX)
    body = text_of(client.post("/checkin/undo", headers=HX))
    assert scan_result(body) == "ok" and garment_status(body) == "issued"
    db.session.refresh(garment)
    assert garment.status == "issued" and garment.holder_id == owner_id
    actions = db.session.scalars(select(Event.action).where(Event.garment_id == garment.id)
                                 .order_by(Event.id)).all()
    assert actions == ["register", "issue", "check_in", "undo"]


def test_undo_with_nothing_to_undo_is_an_error(make, client, clerk):
    body = text_of(client.post("/checkin/undo", headers=HX))
    assert scan_result(body) == "error"


def test_the_shift_log_lists_the_scans(make, client, clerk):
    garment = issued(make)
    body = text_of(client.post("/checkin/scan", data={"code": garment.tag}, headers=HX))
    assert 'hx-swap-oob="afterbegin:#scan-log-rows"' in body
    page = text_of(client.get("/checkin/"))
    assert re.search(r'id="scan-log".*' + garment.tag, page, re.S)


# --- the employee at the counter -------------------------------------------

def test_employee_found_by_badge_shows_what_they_hold_by_type(make, client, clerk):
    employee = make.employee(name="王芳", badge="BADGE-77")
    shirt = make.garment_type(code="SH", name_zh="衬衫")
    pants = make.garment_type(code="PT", name_zh="西裤")
    shirts = [issued(make, owner=employee, garment_type=shirt) for _ in range(2)]
    issued(make, owner=employee, garment_type=pants)
    page = text_of(_who(client, "badge-77"))
    assert 'data-employee="%d"' % employee.id in page
    scan_form = re.search(r'<form[^>]*id="scan-form".*?</form>', page, re.S).group(0)
    assert '<input type="hidden" name="employee_id" value="%d">' % employee.id in scan_form
    assert re.search(r'data-type="SH".*?data-held="2".*?data-returned="0"', page, re.S)
    assert re.search(r'data-type="PT".*?data-held="1"', page, re.S)
    assert shirts[0].tag in page


def _who(client, text: str, **form):
    """The "who is handing in" field sent as the page sends it (a POST), and the page it leads to."""
    return client.post("/checkin/who", data={"who": text, **form}, follow_redirects=True)


def test_who_is_handing_in_stays_out_of_the_address(make, client, clerk):
    # A badge code in the tablet's history could sign its holder in: the page
    # posts it, and the address it lands on names the employee by id alone.
    employee = make.employee(name="钱多多", badge="badge-88")
    db.session.commit()
    page = client.get("/checkin/").get_data(as_text=True)
    form = re.search(r'<form[^>]*class="search checkin-who"[^>]*>', page).group(0)
    assert 'method="post"' in form and 'action="/checkin/who"' in form
    answer = client.post("/checkin/who", data={"who": "badge-88"})
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/checkin/?employee_id={employee.id}"
    assert "badge" not in answer.headers["Location"]
    assert 'data-employee="%d"' % employee.id in text_of(client.get(answer.headers["Location"]))
    # A GET with ?who= no longer looks anyone up.
    assert 'data-employee="' not in text_of(client.get("/checkin/?who=badge-88"))


def test_employee_found_by_staff_no_or_name(make, client, clerk):
    employee = make.employee(name="赵小敏", staff_no="E77001")
    make.employee(name="赵大伟")
    db.session.commit()
    assert 'data-employee="%d"' % employee.id in text_of(_who(client, "e77001"))
    assert 'data-employee="%d"' % employee.id in text_of(_who(client, "小敏"))
    both = text_of(_who(client, "赵"))
    assert 'data-testid="candidates"' in both and "data-employee=" not in both
    assert 'data-testid="who-unknown"' in text_of(_who(client, "nobody"))


def test_scans_for_the_selected_employee_move_from_held_to_handed_in(make, client, clerk):
    employee = make.employee()
    shirt = make.garment_type(code="SH")
    first, second = (issued(make, owner=employee, garment_type=shirt) for _ in range(2))
    body = text_of(client.post("/checkin/scan", data={"code": first.tag, "employee_id": employee.id},
                               headers=HX))
    assert scan_result(body) == "ok"
    panel = re.search(r'<section id="checkin-employee".*?</section>', body, re.S).group(0)
    assert 'hx-swap-oob="true"' in panel
    assert re.search(r'data-held="1">.*?%s.*?data-returned="1">.*?%s' % (second.tag, first.tag), panel, re.S)
    assert 'data-testid="warning"' not in body


def test_garment_held_by_a_colleague_is_accepted_with_a_warning_saying_whose(make, client, clerk):
    at_counter = make.employee(name="王芳")
    colleague = make.employee(name="李雷", staff_no="E55501")
    garment = issued(make, owner=colleague)
    body = text_of(client.post("/checkin/scan", data={"code": garment.tag, "employee_id": at_counter.id},
                               headers=HX))
    assert scan_result(body) == "ok" and garment_status(body) == "dirty"
    warning = re.search(r'data-testid="warning">(.*?)</p>', body, re.S).group(1)
    assert "李雷" in warning and "E55501" in warning and "王芳" in warning
    event = db.session.scalar(select(Event).where(Event.garment_id == garment.id, Event.action == "check_in"))
    assert event.employee_id == colleague.id  # the event says whose it was


def test_handed_in_today_ignores_undone_check_ins(make, client, clerk):
    employee = make.employee()
    garment = issued(make, owner=employee)
    client.post("/checkin/scan", data={"code": garment.tag, "employee_id": employee.id}, headers=HX)
    client.post("/checkin/undo", data={"employee_id": employee.id}, headers=HX)
    start = utcnow() - dt.timedelta(hours=1)
    tallies = services.holdings(db.session, employee, station="checkin", since_utc=start,
                                until_utc=start + dt.timedelta(days=1))
    assert [(len(t.held), len(t.returned)) for t in tallies] == [(1, 0)]


# --- department carts -------------------------------------------------------

def open_cart(client, department, declared):
    response = client.post("/checkin/batch", data={"department_id": department.id, "declared": declared})
    assert response.status_code == 302
    return int(re.search(r"batch_id=(\d+)", response.headers["Location"]).group(1))


def test_cart_scans_carry_the_batch_and_the_count_is_live(make, client, clerk):
    dept = make.department("客房部")
    garments = [issued(make, owner=make.employee(department=dept)) for _ in range(3)]
    batch_id = open_cart(client, dept, "5")
    page = text_of(client.get(f"/checkin/?batch_id={batch_id}"))
    scan_form = re.search(r'<form[^>]*id="scan-form".*?</form>', page, re.S).group(0)
    assert '<input type="hidden" name="batch_id" value="%d">' % batch_id in scan_form
    for garment in garments:
        body = text_of(client.post("/checkin/scan", data={"code": garment.tag, "batch_id": batch_id},
                                   headers=HX))
    assert scan_result(body) == "ok"
    assert re.search(r'id="checkin-batch"[^>]*data-batch-scanned="3" data-batch-declared="5"[^>]*hx-swap-oob="true"',
                     body)
    assert re.search(r'data-testid="batch-gap">\s*2 fewer than declared', body)  # until the translation pass
    batch_ids = db.session.scalars(select(Event.batch_id).where(Event.action == "check_in")).all()
    assert batch_ids == [batch_id] * 3


def test_closing_a_cart_records_the_gap_and_closing_twice_changes_nothing(make, client, clerk):
    dept = make.department("餐饮部")
    garments = [issued(make, owner=make.employee(department=dept)) for _ in range(3)]
    batch_id = open_cart(client, dept, 30)
    for garment in garments:
        client.post("/checkin/scan", data={"code": garment.tag, "batch_id": batch_id}, headers=HX)
    client.post("/checkin/undo", data={"batch_id": batch_id}, headers=HX)  # the last one was a mistake
    assert client.post(f"/checkin/batch/{batch_id}/close").status_code == 302
    batch = db.session.get(CheckinBatch, batch_id)
    closed_at = batch.closed_at
    assert batch.scanned == 2 and batch.gap == 28 and closed_at is not None
    page = text_of(client.get(f"/checkin/?batch_id={batch_id}"))
    assert re.search(r'data-testid="batch-gap" data-gap="28"', page)

    client.post(f"/checkin/batch/{batch_id}/close")
    db.session.expire_all()
    batch = db.session.get(CheckinBatch, batch_id)
    assert batch.scanned == 2 and batch.closed_at == closed_at


def test_a_closed_cart_takes_no_more_scans(make, client, clerk):
    dept = make.department()
    garment = issued(make, owner=make.employee(department=dept))
    batch_id = open_cart(client, dept, 1)
    client.post(f"/checkin/batch/{batch_id}/close")
    body = text_of(client.post("/checkin/scan", data={"code": garment.tag, "batch_id": batch_id}, headers=HX))
    assert scan_result(body) == "error"
    db.session.refresh(garment)
    assert garment.status == "issued"


def test_opening_the_same_departments_cart_twice_opens_one(make, client, clerk):
    dept = make.department()
    db.session.commit()
    assert open_cart(client, dept, 10) == open_cart(client, dept, 10)
    assert db.session.scalar(select(func.count(CheckinBatch.id))) == 1


def test_cart_form_with_a_bad_count_is_shown_again_with_the_reason(make, client, clerk):
    dept = make.department()
    db.session.commit()
    response = client.post("/checkin/batch", data={"department_id": dept.id, "declared": "abc"})
    assert response.status_code == 200
    assert 'data-testid="batch-error"' in text_of(response)
    assert db.session.scalar(select(func.count(CheckinBatch.id))) == 0


@pytest.mark.parametrize("form, field, message", [
    ({"declared": "0"}, "declared", "Declared count: Enter a whole number from 1 to 10,000."),
    ({"declared": "十"}, "declared", "Declared count: Enter a whole number from 1 to 10,000."),
    ({"declared": ""}, "declared", "Enter the number of garments the department declares (1 or more)."),
    ({"department_id": ""}, "department_id", "Choose the department the cart comes from."),
    ({"department_id": "999"}, "department_id", "Choose the department the cart comes from."),
])
def test_cart_form_marks_the_bad_field_with_its_reason_and_opens_nothing(make, client, clerk, form, field, message):
    dept = make.department()
    db.session.commit()
    body = text_of(client.post("/checkin/batch", data={"department_id": dept.id, "declared": "5", **form}))
    marked = dict(re.findall(r'class="field has-error" data-field="(\w+)">.*?<span class="error" role="alert">([^<]+)',
                             body, re.S))
    assert marked == {field: message}
    assert '<details class="card checkin-open-batch" open>' in body
    assert db.session.scalar(select(func.count(CheckinBatch.id))) == 0


def test_garment_of_another_department_in_a_cart_is_accepted_with_a_warning(make, client, clerk):
    cart_dept, other = make.department("客房部"), make.department("保安部")
    garment = issued(make, owner=make.employee(department=other))
    batch_id = open_cart(client, cart_dept, 1)
    body = text_of(client.post("/checkin/scan", data={"code": garment.tag, "batch_id": batch_id}, headers=HX))
    assert scan_result(body) == "ok"
    assert "保安部" in re.search(r'data-testid="warning">(.*?)</p>', body, re.S).group(1)


def test_batches_with_gaps_lists_closed_carts_with_a_gap_and_open_carts(make):
    now = utcnow()
    a, b, c, d = (make.department() for _ in range(4))
    short = CheckinBatch(department=a, declared=30, scanned=28, opened_at=now, closed_at=now)
    exact = CheckinBatch(department=b, declared=10, scanned=10, opened_at=now, closed_at=now)
    still_open = CheckinBatch(department=c, declared=5, opened_at=now)
    yesterday = CheckinBatch(department=d, declared=5, scanned=1, opened_at=now - dt.timedelta(days=2),
                             closed_at=now - dt.timedelta(days=2))
    db.session.add_all([short, exact, still_open, yesterday])
    db.session.commit()
    found = services.batches_with_gaps(db.session, now - dt.timedelta(hours=1), now + dt.timedelta(hours=1))
    assert {x.id for x in found} == {short.id, still_open.id}
    assert next(x for x in found if x.id == short.id).gap == 2
    assert services.open_batch_counts(db.session, [still_open.id]) == {still_open.id: 0}


# --- access ---------------------------------------------------------------

def test_ironer_cannot_open_check_in(client, login_as):
    login_as("ironer")
    assert client.get("/checkin/").status_code == 403
    assert client.post("/checkin/scan", data={"code": "X"}).status_code == 403


def test_clerk_opens_check_in_page_and_fragment_from_the_same_url(make, client, clerk):
    page = client.get("/checkin/")
    assert page.status_code == 200 and 'data-scan-result="idle"' in text_of(page)
    garment = issued(make)
    fragment = text_of(client.post("/checkin/scan", data={"code": garment.tag}, headers=HX))
    assert fragment.lstrip().startswith('<section id="scan-result"')
    assert db.session.get(Garment, garment.id).status == "dirty"
