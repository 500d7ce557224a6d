"""Who is this person (kiosk.people): one finder, one resolver, one leaver policy, one limit —
and every screen that asks (counter, kit, check-in, loans, stock, distribution) answering alike."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from kiosk import people
from kiosk.domain.garment_states import Action
from kiosk.extensions import db
from kiosk.ledger import move
from kiosk.loans.models import Loan
from kiosk.models import Employee
from kiosk.registry.services import deactivate_employee
from kiosk.stock.models import StockItem, StockMovement

from .scans import HX, events, garment, garment_status, scan_result, text_of

LEFT_ON = dt.date(2025, 3, 1)


def refusal(name: str, staff_no: str, date: str = "2025-03-01") -> str:
    return f"{name} ({staff_no}) left on {date}: nothing can be handed out to them."


def count(model) -> int:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model.__table__))


@pytest.fixture
def clerk(client, login_as):
    """A clerk signed in, working in English so the texts can be compared."""
    user_id = login_as("clerk")
    client.post("/language", data={"lang": "en", "next": "/"})
    return user_id


@pytest.fixture
def leaver(make):
    """李四 worked here until 1 March 2025 and still holds a shirt issued while he worked."""
    person = make.employee("李四", staff_no="S3003", badge="OLD-1", uniform_no="3003", size="L")
    shirt = make.garment("SH-LEFT", owner=person, size="L")
    move(db.session, shirt, Action.ISSUE, user=None, station="issue", employee=person)
    deactivate_employee(db.session, person, LEFT_ON)
    db.session.commit()
    return person


@pytest.fixture
def socks(make):
    item = StockItem(code="SOCK", name_zh="袜子", name_en="Socks", kind="socks", size="", quantity_on_hand=10,
                     reorder_level=0, monthly_allowance=2)
    db.session.add(item)
    db.session.commit()
    return item.id


def _loan_form(**fields) -> dict:
    form = {"reason": "event", "signed_on_paper": "1", "request_key": "people-loan-0001"}
    form.update(fields)
    return form


def _error_text(html: str, testid: str) -> str:
    return re.sub(r"\s+", " ", re.search(rf'data-testid="{testid}"[^>]*>(.*?)</p>', html, re.S).group(1)).strip()


# --- the finder and its match order ---------------------------------------------

def test_codes_match_exactly_in_the_order_badge_staff_no_uniform_no(make):
    by_badge = make.employee("甲", staff_no="E1", badge="X1", uniform_no="U1")
    by_staff_no = make.employee("乙", staff_no="X1", uniform_no="X2")
    by_uniform = make.employee("丙", staff_no="E3", uniform_no="U3")
    make.employee("X1 先生", staff_no="E4")  # a name containing the code loses to the code
    db.session.commit()
    assert people.find_candidates(db.session, "X1").people == (by_badge,)
    assert people.find_candidates(db.session, "X2").people == (by_staff_no,)
    assert people.find_candidates(db.session, "ｕ３").people == (by_uniform,)  # full width, lower case
    assert people.find_candidates(db.session, " e3 ").by_code
    assert people.find_by_staff_no(db.session, "x1") == by_staff_no  # only the 工号 column


def test_a_whole_name_beats_the_names_it_is_part_of_and_a_part_offers_them_all(make):
    short = make.employee("王芳", staff_no="S1")
    longer = make.employee("王芳芳", staff_no="S2")
    db.session.commit()
    assert people.resolve(db.session, " 王芳 ", giving=True) == short
    assert people.resolve(db.session, "王芳芳", giving=True) == longer
    assert set(people.find_candidates(db.session, "芳").people) == {short, longer}


def test_a_leaver_is_found_after_the_people_still_working(make, leaver):
    namesake = make.employee("李四", staff_no="S9009")
    db.session.commit()
    assert people.find_candidates(db.session, "李四").people == (namesake, leaver)
    assert people.find_candidates(db.session, "OLD-1").people == (leaver,)
    # taking back: the leaver is the answer; giving: the one refusal, with the day
    assert people.resolve(db.session, "S3003", giving=False) == leaver
    with pytest.raises(people.LeaverRefused) as refused:
        people.resolve(db.session, "S3003", giving=True)
    assert str(refused.value) == refusal("李四", "S3003")
    with pytest.raises(people.LeaverRefused):
        people.resolve_id(db.session, str(leaver.id), giving=True)
    assert people.resolve_id(db.session, leaver.id, giving=False) == leaver


def test_nobody_several_and_junk_ids_are_refused_saying_how_to_narrow(make):
    first = make.employee("王芳", staff_no="S1", department=make.department("客房部"))
    second = make.employee("王芳", staff_no="S2", department=make.department("前厅部"))
    db.session.commit()
    with pytest.raises(people.NobodyMatches, match="Nobody matches “无此人”"):
        people.resolve(db.session, "无此人", giving=True)
    with pytest.raises(people.NobodyMatches, match="Scan the badge"):
        people.resolve(db.session, "  ", giving=True)
    for junk in (None, "", "abc", "-3", "999999"):
        with pytest.raises(people.NobodyMatches, match="Identify the employee first"):
            people.resolve_id(db.session, junk, giving=True)
    with pytest.raises(people.SeveralMatch) as several:
        people.resolve(db.session, "王芳", giving=True)
    assert several.value.candidates.people == (first, second)
    assert str(several.value) == ("Several people match “王芳”: 王芳 (S1 · 客房部), 王芳 (S2 · 前厅部). "
                                  "Type the staff no. or scan the badge.")


def test_the_list_joins_names_in_the_readers_language(app, make):
    make.employee("王芳", staff_no="S1", department=make.department("客房部"))
    make.employee("王芳", staff_no="S2", department=make.department("前厅部"))
    db.session.commit()
    with pytest.raises(people.SeveralMatch) as several:
        people.resolve(db.session, "王芳", giving=True)
    from flask_babel import force_locale, gettext
    with app.test_request_context(), force_locale("zh_CN"):
        text = several.value.translated(gettext)
    assert "王芳 (S1 · 客房部)、王芳 (S2 · 前厅部)" in text and "Several" not in text


def test_the_limit_holds_and_says_there_are_more(make):
    for n in range(people.MAX_CANDIDATES + 2):
        make.employee(f"张{n:02d}", staff_no=f"Z{n:02d}")
    db.session.commit()
    found = people.find_candidates(db.session, "张")
    assert len(found.people) == people.MAX_CANDIDATES and found.more and found.one is None
    assert [p.staff_no for p in found.people] == [f"Z{n:02d}" for n in range(people.MAX_CANDIDATES)]
    exactly = people.find_candidates(db.session, "张", limit=people.MAX_CANDIDATES + 2)
    assert len(exactly.people) == people.MAX_CANDIDATES + 2 and not exactly.more
    with pytest.raises(people.SeveralMatch, match=f"More than {people.MAX_CANDIDATES} people match “张”"):
        people.resolve(db.session, "张", giving=False)


# --- a leaver at every screen: the same refusal; their garments come back ---------

def test_a_leaver_typed_at_the_counter_and_the_kit_is_refused_with_the_day_they_left(client, clerk, leaver):
    for url in ("/issue/employee", "/issue/kit/employee"):
        fragment = text_of(client.post(url, data={"who": "S3003"}, headers=HX))
        assert "data-employee-id" not in fragment
        assert _error_text(fragment, "employee-error") == refusal("李四", "S3003")
        page = text_of(client.post(url, data={"who": "S3003"}))
        assert "<html" in page and refusal("李四", "S3003") in page
    # a page sent back with their id (a reload, a tapped tile) is refused the same way
    before = events()
    answer = text_of(client.post("/issue/scan", data={"employee_id": leaver.id, "code": "SH-LEFT"}, headers=HX))
    assert scan_result(answer) == "error" and refusal("李四", "S3003") in answer and events() == before


def test_a_leaver_typed_at_loans_is_refused_the_same_way_and_no_loan_is_opened(make, client, clerk, leaver):
    before = count(Loan)
    fragment = text_of(client.post("/loans/open", data=_loan_form(employee_code="S3003"), headers=HX))
    assert _error_text(fragment, "loan-error") == refusal("李四", "S3003")
    page = text_of(client.post("/loans/open", data=_loan_form(employee_code="old-1")))
    assert "<html" in page and refusal("李四", "S3003") in page
    assert count(Loan) == before


def test_a_leaver_typed_at_stock_is_refused_the_same_way_and_no_stock_moves(make, app, client, clerk, leaver,
                                                                           socks):
    form = {"who": "S3003", "code": "SOCK", "quantity": "1", "request_key": "people-stock-1"}
    fragment = text_of(client.post("/stock/issue", data=form, headers=HX))
    assert 'data-stock-result="error"' in fragment
    assert _error_text(fragment, "stock-message") == refusal("李四", "S3003")
    page = text_of(client.post("/stock/issue", data={**form, "who": "李四"}))
    assert "<html" in page and refusal("李四", "S3003") in page
    assert count(StockMovement) == 0


def test_the_distribution_refuses_a_leaver_even_one_on_the_list_before_leaving(make, app, client, login_as,
                                                                              socks):
    stayer = make.employee("甲", staff_no="A1")
    going = make.employee("王五", staff_no="S5005")
    db.session.commit()
    login_as("supervisor")
    client.post("/language", data={"lang": "en", "next": "/"})
    client.post("/stock/distribution/open", data={"month": "2026-05"})
    deactivate_employee(db.session, db.session.get(Employee, going.id), LEFT_ON)
    db.session.commit()
    url = "/stock/distribution/2026-05/collect"
    for data in ({"code": "S5005"}, {"employee_id": going.id}):
        fragment = text_of(client.post(url, data=data, headers=HX))
        assert _error_text(fragment, "result-message") == refusal("王五", "S5005")
    assert refusal("王五", "S5005") in text_of(client.post(url, data={"code": "s5005"}))
    assert count(StockMovement) == 0
    ok = text_of(client.post(url, data={"code": stayer.staff_no}, headers=HX))
    assert 'data-scan-result="ok"' in ok  # the run itself works


def test_at_check_in_a_leavers_garments_are_taken_back(make, client, clerk, leaver):
    page = text_of(client.post("/checkin/who", data={"who": "S3003"}, follow_redirects=True))
    assert f'data-employee="{leaver.id}"' in page and 'data-testid="employee-left"' in page
    assert re.search(r'data-type="[^"]+".*?data-held="1"', page, re.S)
    fragment = text_of(client.post("/checkin/scan", data={"code": "SH-LEFT", "employee_id": leaver.id}, headers=HX))
    assert scan_result(fragment) == "ok" and garment_status(fragment) == "dirty"
    assert 'data-testid="warning"' not in fragment  # it was theirs
    panel = re.search(r'<section id="checkin-employee".*?</section>', fragment, re.S).group(0)
    assert 'data-held="0"' in panel and 'data-returned="1"' in panel and "SH-LEFT" in panel
    assert garment("SH-LEFT").holder_id is None


def test_a_loan_of_someone_who_then_left_is_returned_but_not_lent_into(make, client, clerk):
    person = make.employee("赵六", staff_no="S6006")
    make.garment("LN-P1"), make.garment("LN-P2")
    db.session.commit()
    response = client.post("/loans/open", data=_loan_form(employee_code="S6006"))
    loan_id = int(re.search(r"loan_id=(\d+)", response.headers["Location"]).group(1))
    assert scan_result(text_of(client.post(f"/loans/{loan_id}/scan", data={"code": "LN-P1"}, headers=HX))) == "ok"
    deactivate_employee(db.session, db.session.get(Employee, person.id), LEFT_ON)
    db.session.commit()
    refused = text_of(client.post(f"/loans/{loan_id}/scan", data={"code": "LN-P2"}, headers=HX))
    assert scan_result(refused) == "error" and refusal("赵六", "S6006") in refused
    assert garment("LN-P2").status == "in_stock"
    back = text_of(client.post("/loans/return", data={"code": "LN-P1"}, headers=HX))
    assert scan_result(back) == "ok" and garment("LN-P1").status == "dirty"


# --- ambiguous names and the limit: the same list at every screen -----------------------

@pytest.fixture
def namesakes(make, leaver):
    """Three 王芳: two still working in different departments, one who left."""
    found = [make.employee("王芳", staff_no="W2", department=make.department("前厅部")),
             make.employee("王芳", staff_no="W1", department=make.department("客房部")),
             make.employee("王芳", staff_no="W0", department=make.department("餐饮部"))]
    deactivate_employee(db.session, found[2], LEFT_ON)
    db.session.commit()
    return found


def _tile_ids(html: str) -> list[int]:
    """The people offered to tap, in order (a button posting their id, or a link carrying it)."""
    tiles = re.findall(r'<(?:button|a)\b[^>]*data-testid="candidate"[^>]*>', html)
    return [int(re.search(r'(?:value|data-employee-id)="(\d+)"', tile).group(1)) for tile in tiles]


def _listed_staff_nos(text: str) -> list[str]:
    return re.findall(r"王芳 \((\w+) · ", text)


def test_an_ambiguous_name_gives_the_same_candidates_everywhere(make, app, client, clerk, namesakes, socks):
    expected = people.find_candidates(db.session, "王芳").people
    assert [p.staff_no for p in expected] == ["W1", "W2", "W0"]  # working first, then by 工号; the leaver last
    ids = [p.id for p in expected]
    for url in ("/issue/employee", "/issue/kit/employee"):
        assert _tile_ids(text_of(client.post(url, data={"who": "王芳"}, headers=HX))) == ids
        assert _tile_ids(text_of(client.post(url, data={"who": "王芳"}))) == ids
    checkin = text_of(client.post("/checkin/who", data={"who": "王芳"}, follow_redirects=True))
    assert _tile_ids(checkin) == ids and checkin.count('data-testid="candidate-left"') == 1
    listed = ["W1", "W2", "W0"]
    loans = text_of(client.post("/loans/open", data=_loan_form(employee_code="王芳"), headers=HX))
    assert _listed_staff_nos(_error_text(loans, "loan-error")) == listed
    stock = text_of(client.post("/stock/issue", data={"who": "王芳", "code": "SOCK", "request_key": "amb-1"},
                                headers=HX))
    assert _listed_staff_nos(_error_text(stock, "stock-message")) == listed
    assert count(Loan) == 0 and count(StockMovement) == 0
    # the leaver's tile is there to be tapped; tapping it gives the leaver refusal
    tapped = text_of(client.post("/issue/employee", data={"employee_id": namesakes[2].id}, headers=HX))
    assert _error_text(tapped, "employee-error") == refusal("王芳", "W0")


def test_the_candidate_limit_holds_on_every_screen(make, client, clerk, socks):
    for n in range(people.MAX_CANDIDATES + 3):
        make.employee(f"张{n:02d}", staff_no=f"Z{n:02d}")
    db.session.commit()
    more = f"More than {people.MAX_CANDIDATES} people match “张”"
    for html in (text_of(client.post("/issue/employee", data={"who": "张"}, headers=HX)),
                 text_of(client.post("/checkin/who", data={"who": "张"}, follow_redirects=True))):
        assert len(_tile_ids(html)) == people.MAX_CANDIDATES
        assert more in _error_text(html, "candidates-more")
    loans = text_of(client.post("/loans/open", data=_loan_form(employee_code="张"), headers=HX))
    stock = text_of(client.post("/stock/issue", data={"who": "张", "code": "SOCK", "request_key": "lim-1"},
                                headers=HX))
    assert more in _error_text(loans, "loan-error") and more in _error_text(stock, "stock-message")
    # narrowed, the same screens find the one person
    assert 'data-employee-id="' in text_of(client.post("/issue/employee", data={"who": "张10"}, headers=HX))
