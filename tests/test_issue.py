"""Issue and exchange (发衣 / 换衣), spares and the new-hire kit."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from kiosk.domain.garment_states import Status
from kiosk.extensions import db
from kiosk.issue import services
from kiosk.models import Event, Garment

HX = {"HX-Request": "true"}


@pytest.fixture
def clerk(client, login_as):
    """A clerk signed in, working in English so texts can be asserted."""
    user_id = login_as("clerk")
    client.post("/language", data={"lang": "en", "next": "/"})
    return user_id


def _events() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Event))


def _garment(tag: str) -> Garment:
    db.session.expire_all()
    return db.session.scalar(select(Garment).where(Garment.tag == tag))


def _scan(client, employee_id, code, *, htmx=True, url="/issue/scan", **fields):
    response = client.post(url, data={"employee_id": employee_id, "code": code, **fields},
                           headers=HX if htmx else {})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _result(html: str) -> str:
    return re.search(r'data-scan-result="(\w+)"', html).group(1)


def _status(html: str) -> str | None:
    found = re.search(r'data-garment-status="(\w+)"', html)
    return found.group(1) if found else None


@pytest.fixture
def shirt(make):
    return make.garment_type("SH", name_zh="衬衫", name_en="Shirt", entitlement=2)


@pytest.fixture
def person(make):
    return make.employee("王芳", size="L", badge="BADGE-77", staff_no="S1001", uniform_no="1023")


def _held(make, person, gtype, tag, status=Status.ISSUED):
    return make.garment(tag, garment_type=gtype, owner=person, size="L", status=status.value, holder=person)


# --- identification ---------------------------------------------------------

def test_badge_scan_identifies_the_employee_and_shows_their_facts(client, clerk, make, person, shirt):
    db.session.commit()
    html = client.post("/issue/employee", data={"who": "badge-77"}, headers=HX).get_data(as_text=True)
    assert html.lstrip().startswith('<section id="employee-panel"')
    assert f'data-employee-id="{person.id}"' in html
    for fact in ("王芳", "S1001", "1023", person.department.name, "Regular", "Shirt"):
        assert fact in html


def test_staff_number_typed_full_width_identifies_the_employee(client, clerk, make, person):
    db.session.commit()
    html = client.post("/issue/employee", data={"who": " ｓ１００１ "}, headers=HX).get_data(as_text=True)
    assert f'data-employee-id="{person.id}"' in html


def test_identified_employee_goes_into_the_address_so_a_reload_keeps_them(client, clerk, make, person):
    db.session.commit()
    response = client.post("/issue/employee", data={"who": "S1001"}, headers=HX)
    assert response.headers["HX-Replace-Url"] == f"/issue/?employee={person.id}"
    page = client.get(f"/issue/?employee={person.id}").get_data(as_text=True)
    assert f'data-employee-id="{person.id}"' in page and 'hx-history="false"' in page


def test_a_unique_name_identifies_the_employee(client, clerk, make, person):
    db.session.commit()
    html = client.post("/issue/employee", data={"who": "王芳"}, headers=HX).get_data(as_text=True)
    assert f'data-employee-id="{person.id}"' in html


def test_several_people_with_the_name_are_listed_as_buttons_to_tap(client, clerk, make, person):
    other = make.employee("王芳", staff_no="S2002")
    db.session.commit()
    html = client.post("/issue/employee", data={"who": "王芳"}, headers=HX).get_data(as_text=True)
    assert "data-employee-id" not in html
    assert html.count('data-testid="candidate"') == 2
    assert f'value="{person.id}"' in html and f'value="{other.id}"' in html
    tapped = client.post("/issue/employee", data={"employee_id": other.id}, headers=HX).get_data(as_text=True)
    assert f'data-employee-id="{other.id}"' in tapped


def test_a_leaver_is_refused_with_the_reason(client, clerk, make):
    leaver = make.employee("李四", staff_no="S3003", active=False, left_on=dt.date(2025, 3, 1))
    db.session.commit()
    html = client.post("/issue/employee", data={"who": "S3003"}, headers=HX).get_data(as_text=True)
    assert "data-employee-id" not in html
    assert "left on 2025-03-01" in html and "李四" in html
    # nor can a scan for them be sneaked in by id
    garment = make.garment("G-LEFT", owner=leaver)
    db.session.commit()
    before = _events()
    answer = _scan(client, leaver.id, "G-LEFT")
    assert _result(answer) == "error" and _events() == before and garment.status == "in_stock"


def test_nobody_matching_is_said_plainly(client, clerk, make):
    html = client.post("/issue/employee", data={"who": "无此人"}, headers=HX).get_data(as_text=True)
    assert "Nobody matches" in html


def test_identification_without_htmx_renders_the_whole_page_with_the_panel(client, clerk, make, person):
    db.session.commit()
    page = client.post("/issue/employee", data={"who": "BADGE-77"}).get_data(as_text=True)
    assert "<html" in page and f'data-employee-id="{person.id}"' in page and 'id="scan-field"' in page


# --- the exchange: dirty in, clean out ---------------------------------------

def test_exchange_takes_one_dirty_in_and_hands_one_clean_out_of_the_same_type(client, clerk, make, person, shirt):
    _held(make, person, shirt, "SH-1")
    _held(make, person, shirt, "SH-2")
    make.garment("SH-3", garment_type=shirt, owner=person, size="L")
    db.session.commit()

    returned = _scan(client, person.id, "sh-1")
    assert _result(returned) == "ok" and _status(returned) == "dirty" and "Returned" in returned
    assert 'id="employee-panel"' in returned and 'hx-swap-oob="true"' in returned
    assert 'data-held="1"' in returned  # the panel refreshed: holds 1 of 2 now

    issued = _scan(client, person.id, "SH-3")
    assert _result(issued) == "ok" and _status(issued) == "issued" and "Issued" in issued
    assert 'data-held="2"' in issued
    garment = _garment("SH-3")
    assert garment.holder_id == person.id and garment.status == "issued"
    assert _garment("SH-1").holder_id is None


def test_issuing_beyond_the_entitlement_is_refused_and_changes_nothing(client, clerk, make, person, shirt):
    _held(make, person, shirt, "SH-1")
    _held(make, person, shirt, "SH-2")
    make.garment("SH-3", garment_type=shirt, owner=person, size="L")
    db.session.commit()
    before = _events()
    answer = _scan(client, person.id, "SH-3")
    assert _result(answer) == "error" and _status(answer) == "in_stock"
    assert "already holds 2 of 2" in answer and "hand in a dirty one first" in answer
    assert _events() == before
    assert _garment("SH-3").status == "in_stock" and _garment("SH-3").holder_id is None


def test_their_own_garment_in_the_wash_is_refused_by_the_state_machine(client, clerk, make, person, shirt):
    make.garment("SH-1", garment_type=shirt, owner=person, status="dirty")
    db.session.commit()
    before = _events()
    answer = _scan(client, person.id, "SH-1")
    assert _result(answer) == "error" and _status(answer) == "dirty"
    assert "waiting for the wash" in answer and _events() == before


def test_another_persons_garment_is_refused_saying_whose_it_is(client, clerk, make, person, shirt):
    other = make.employee("赵六", staff_no="S4004")
    make.garment("SH-9", garment_type=shirt, owner=other)
    db.session.commit()
    before = _events()
    answer = _scan(client, person.id, "SH-9")
    assert _result(answer) == "error" and "belongs to 赵六 (S4004)" in answer
    assert _events() == before and _garment("SH-9").status == "in_stock"


def test_an_unknown_code_is_not_ours(client, clerk, make, person):
    db.session.commit()
    answer = _scan(client, person.id, "NOPE-1")
    assert _result(answer) == "error" and "not one of our uniforms" in answer
    assert "data-garment-status" not in answer


def test_a_scan_before_anyone_is_identified_is_refused(client, clerk, make, shirt):
    make.garment("SH-1", garment_type=shirt)
    db.session.commit()
    answer = _scan(client, "", "SH-1")
    assert _result(answer) == "error" and "Identify the employee first" in answer


def test_the_same_tag_scanned_again_at_once_is_a_duplicate_not_a_second_move(client, clerk, make, person, shirt):
    _held(make, person, shirt, "SH-1")
    db.session.commit()
    assert _result(_scan(client, person.id, "SH-1")) == "ok"
    before = _events()
    again = _scan(client, person.id, "SH-1")
    assert _result(again) == "duplicate" and _events() == before


def test_undo_puts_the_returned_garment_back_with_them(client, clerk, make, person, shirt):
    _held(make, person, shirt, "SH-1")
    db.session.commit()
    _scan(client, person.id, "SH-1")
    response = client.post("/issue/undo", data={"employee_id": person.id}, headers=HX)
    html = response.get_data(as_text=True)
    assert _result(html) == "ok" and 'data-held="1"' in html
    garment = _garment("SH-1")
    assert garment.status == "issued" and garment.holder_id == person.id


# --- spares (备用制服) ----------------------------------------------------------

def test_spare_goes_out_only_when_their_own_is_not_in_stock_with_the_reason_in_the_note(
        client, clerk, make, person, shirt):
    make.garment("SH-1", garment_type=shirt, owner=person, size="L", status="dirty")
    make.garment("SH-2", garment_type=shirt, owner=person, size="L", status="at_tailor")
    make.garment("SP-1", garment_type=shirt, size="L")
    db.session.commit()

    page = client.get(f"/issue/?employee={person.id}").get_data(as_text=True)
    assert 'data-testid="spare-offer" data-spares="1"' in page
    assert "1 in the wash, 1 at the tailor" in page

    answer = _scan(client, person.id, "SP-1", reason="wedding banquet")
    assert _result(answer) == "ok" and _status(answer) == "spare_issued"
    assert "Own garments: 1 in the wash, 1 at the tailor." in answer
    spare = _garment("SP-1")
    assert spare.holder_id == person.id and spare.owner_id is None
    event = db.session.scalar(select(Event).where(Event.garment_id == spare.id, Event.action == "issue_spare"))
    assert "1 in the wash, 1 at the tailor" in event.note and "wedding banquet" in event.note
    assert event.employee_id == person.id


def test_spare_is_refused_while_their_own_is_in_stock(client, clerk, make, person, shirt):
    make.garment("SH-1", garment_type=shirt, owner=person, size="L")
    make.garment("SP-1", garment_type=shirt, size="L")
    db.session.commit()
    before = _events()
    answer = _scan(client, person.id, "SP-1")
    assert _result(answer) == "error" and "own garment of this type is in stock (SH-1 (1023))" in answer
    assert _events() == before and _garment("SP-1").status == "in_stock"


def test_spare_of_another_size_is_refused(client, clerk, make, person, shirt):
    make.garment("SH-1", garment_type=shirt, owner=person, size="L", status="dirty")
    make.garment("SP-XL", garment_type=shirt, size="XL")
    db.session.commit()
    answer = _scan(client, person.id, "SP-XL")
    assert _result(answer) == "error" and "size XL" in answer and "size L" in answer


def test_entitlement_applies_to_spares_too(client, clerk, make, person, shirt):
    _held(make, person, shirt, "SH-1")
    _held(make, person, shirt, "SH-2")
    make.garment("SP-1", garment_type=shirt, size="L")
    db.session.commit()
    before = _events()
    answer = _scan(client, person.id, "SP-1")
    assert _result(answer) == "error" and "already holds 2 of 2" in answer and _events() == before


def test_a_returned_spare_leaves_them_and_has_no_owner_to_go_back_to(client, clerk, make, person, shirt):
    make.garment("SP-1", garment_type=shirt, size="L", status="spare_issued", holder=person)
    db.session.commit()
    answer = _scan(client, person.id, "SP-1")
    assert _result(answer) == "ok" and _status(answer) == "dirty"
    spare = _garment("SP-1")
    assert spare.holder_id is None and spare.owner_id is None


# --- the new-hire kit --------------------------------------------------------

@pytest.fixture
def new_hire(make):
    return make.employee("陈新", kind="new_hire", size="M", staff_no="N5005", uniform_no="2001")


def test_kit_checklist_fills_as_garments_are_scanned_until_complete(client, clerk, make, new_hire):
    shirt = make.garment_type("SH", name_en="Shirt", entitlement=2)
    shoes = make.garment_type("SO", name_en="Shoes", entitlement=1)
    make.garment("SH-1", garment_type=shirt, owner=new_hire, size="M")
    make.garment("SH-2", garment_type=shirt, owner=new_hire, size="M")
    make.garment("SO-SPARE", garment_type=shoes, size="M")
    db.session.commit()

    page = client.get(f"/issue/kit?employee={new_hire.id}").get_data(as_text=True)
    assert 'data-kit-complete="false"' in page and "Still missing: 3" in page and "☐☐" in page

    first = _scan(client, new_hire.id, "SH-1", url="/issue/kit/scan")
    assert _result(first) == "ok" and "✓☐" in first and "Still missing: 2" in first
    assert _result(_scan(client, new_hire.id, "SH-2", url="/issue/kit/scan")) == "ok"
    last = _scan(client, new_hire.id, "SO-SPARE", url="/issue/kit/scan")
    assert _result(last) == "ok" and _status(last) == "spare_issued"
    assert "New hire, own not yet made." in last
    assert 'data-kit-complete="true"' in last and "Kit complete" in last
    event = db.session.scalar(select(Event).where(Event.action == "issue_spare"))
    assert event.note == "New hire, own not yet made." and event.station == "kit"


def test_kit_does_not_take_back_what_was_just_issued(client, clerk, make, new_hire):
    shirt = make.garment_type("SH", entitlement=2)
    _held(make, new_hire, shirt, "SH-1")
    db.session.commit()
    before = _events()
    answer = _scan(client, new_hire.id, "SH-1", url="/issue/kit/scan")
    assert _result(answer) == "error" and "already with 陈新" in answer and _events() == before


def test_kit_identification_answers_with_the_checklist_panel(client, clerk, make, new_hire):
    make.garment_type("SH", entitlement=2)
    db.session.commit()
    html = client.post("/issue/kit/employee", data={"who": "N5005"}, headers=HX).get_data(as_text=True)
    assert f'data-employee-id="{new_hire.id}"' in html and "kit-panel" in html and "<html" not in html
    assert client.post("/issue/kit/employee", data={"who": "N5005"}).get_data(as_text=True).count("<html") == 1


def test_kit_undo_takes_back_the_last_kit_scan(client, clerk, make, new_hire):
    shirt = make.garment_type("SH", entitlement=2)
    make.garment("SH-1", garment_type=shirt, owner=new_hire)
    db.session.commit()
    _scan(client, new_hire.id, "SH-1", url="/issue/kit/scan")
    html = client.post("/issue/kit/undo", data={"employee_id": new_hire.id}, headers=HX).get_data(as_text=True)
    assert _result(html) == "ok" and _garment("SH-1").status == "in_stock"


# --- page and fragment, roles ------------------------------------------------

@pytest.mark.parametrize("url", ["/issue/", "/issue/kit"])
def test_station_pages_offer_the_person_search_the_panel_and_the_scan_field(client, clerk, url):
    page = client.get(url).get_data(as_text=True)
    assert 'id="who-field"' in page and 'id="scan-field"' in page and 'id="employee-panel"' in page
    assert 'hx-history="false"' in page


def test_scan_without_htmx_renders_the_whole_page_with_the_answer(client, clerk, make, person, shirt):
    _held(make, person, shirt, "SH-1")
    db.session.commit()
    page = _scan(client, person.id, "SH-1", htmx=False)
    assert "<html" in page and _result(page) == "ok" and f'data-employee-id="{person.id}"' in page
    fragment = _scan(client, person.id, "SH-1")
    assert "<html" not in fragment and _result(fragment) == "duplicate"


@pytest.mark.parametrize("method,url", [
    ("GET", "/issue/"), ("POST", "/issue/employee"), ("POST", "/issue/scan"), ("POST", "/issue/undo"),
    ("GET", "/issue/kit"), ("POST", "/issue/kit/employee"), ("POST", "/issue/kit/scan"),
    ("POST", "/issue/kit/undo"),
])
def test_an_ironer_may_not_issue(client, login_as, method, url):
    login_as("ironer")
    assert client.open(url, method=method).status_code == 403


# --- services directly -------------------------------------------------------

def test_panel_counts_spares_of_their_size_only(ctx, make, person, shirt):
    make.garment("SH-1", garment_type=shirt, owner=person, size="L", status="ironing")
    make.garment("SP-L", garment_type=shirt, size="L")
    make.garment("SP-S", garment_type=shirt, size="S")
    panel = services.employee_panel(db.session, person)
    (line,) = [line for line in panel.lines if line.garment_type.id == shirt.id]
    assert line.offers_spare and line.spares_in_stock == 1 and line.size == "L"
    assert line.where_counts == [("ironing", 1)]


def test_spare_reason_is_composed_in_the_users_language(ctx):
    reason = services.SpareReason([("dirty", 2), ("at_tailor", 1)])
    assert reason.translated(services.english) == "Own garments: 2 in the wash, 1 at the tailor."


def test_a_badge_scanned_into_the_garment_field_brings_the_next_person(client, clerk, make, person, shirt):
    first = make.employee("钱七", staff_no="S6006")
    _held(make, person, shirt, "SH-1")
    db.session.commit()
    before = _events()
    response = client.post("/issue/scan", data={"employee_id": first.id, "code": "badge-77"}, headers=HX)
    html = response.get_data(as_text=True)
    assert _result(html) == "ok" and "data-garment-status" not in html
    assert "Next: 王芳" in html and f'data-employee-id="{person.id}"' in html
    assert response.headers["HX-Replace-Url"] == f"/issue/?employee={person.id}"
    assert _events() == before
    # with nobody on screen yet, the staff number works as well
    assert f'data-employee-id="{person.id}"' in _scan(client, "", "S1001")


def test_a_leavers_badge_in_the_garment_field_is_refused_and_clears_the_person(client, clerk, make, person):
    make.employee("李四", staff_no="S3003", active=False, badge="OLD-1", left_on=dt.date(2025, 3, 1))
    db.session.commit()
    html = _scan(client, person.id, "OLD-1")
    # The one leaver refusal, with the day they left (it said "has left" without the day here before).
    assert _result(html) == "error" and "李四 (S3003) left on 2025-03-01: nothing can be handed out" in html
    assert "data-employee-id" not in html


def test_exchange_panel_lists_only_the_types_registered_to_the_person(client, clerk, make, person, shirt):
    chef_coat = make.garment_type("CHEF", name_zh="厨师服", name_en="Chef coat", entitlement=3)
    make.garment("SH-OWN", garment_type=shirt, owner=person, size="L")
    db.session.commit()
    page = client.get(f"/issue/?employee={person.id}").get_data(as_text=True)
    assert "Shirt" in page and "Chef coat" not in page
    kit = client.get(f"/issue/kit?employee={person.id}").get_data(as_text=True)
    assert "Shirt" in kit and "Chef coat" in kit and chef_coat.entitlement == 3
