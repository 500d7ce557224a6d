"""Registry screens: employees, garment types, garments (issue item 6)."""
from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kiosk.domain.codes import is_valid_tag
from kiosk.extensions import db
from kiosk.models import Department, Employee, Event, Garment, GarmentType
from kiosk.registry import services

HX = {"HX-Request": "true"}


def committed(model) -> int:
    """Rows really in the database (a fresh connection sees only what was committed)."""
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model.__table__))


def text_of(response) -> str:
    return response.get_data(as_text=True)


def is_fragment(body: str, root_id: str) -> bool:
    return "<html" not in body and re.match(rf'\s*(?:<[a-z]+) id="{root_id}"', body) is not None


def row_staff_nos(body: str) -> list[str]:
    return re.findall(r'data-staff-no="([^"]+)"', body)


def employee_data(department_id: int, **changes) -> dict:
    data = {"staff_no": "E90001", "name": "李四", "department_id": department_id, "new_department": "",
            "position": "服务员", "phone": "138 0013 8000", "kind": "regular", "uniform_no": "2001",
            "size": "M"}
    data.update(changes)
    return data


@pytest.fixture
def people(make):
    """Two active people and one who left, committed."""
    housekeeping = make.department("客房部")
    zhang = make.employee("张三", housekeeping, staff_no="E10001", uniform_no="3001", phone="13800138000")
    wang = make.employee("王五", make.department("餐饮部"), staff_no="E20002", uniform_no="4002")
    gone = make.employee("赵六", housekeeping, staff_no="E30003", uniform_no="5003", active=False)
    db.session.commit()
    return {"zhang": zhang.id, "wang": wang.id, "gone": gone.id, "dept": housekeeping.id}


# --- employees: list and search ---------------------------------------------

def test_employee_list_serves_the_full_page_with_the_search_box(client, login_as, people):
    login_as("clerk")
    body = text_of(client.get("/registry/employees"))
    assert "<html" in body
    assert 'data-testid="employee-search"' in body
    assert 'delay:300ms' in body
    assert 'id="employee-results"' in body
    assert 'hx-history="false"' in body  # phones on a shared tablet
    assert sorted(row_staff_nos(body)) == ["E10001", "E20002", "E30003"]


def test_a_search_by_name_stays_out_of_the_tablets_history(client, login_as, people, make):
    for n in range(30):  # enough people for a second page
        make.employee(f"张{n:02d}")
    db.session.commit()
    login_as("clerk")
    page = text_of(client.get("/registry/employees"))
    search = page[page.index('role="search"'):page.index("</form>", page.index('role="search"'))]
    assert 'hx-get="/registry/employees"' in search and "hx-push-url" not in search
    results = text_of(client.get("/registry/employees?q=张", headers=HX))
    assert 'rel="next"' in results  # the pager is there, and pushes no address with the name in it
    assert 'hx-push-url="false" rel="next"' in results


def test_employee_search_with_htmx_answers_with_only_the_results(client, login_as, people):
    login_as("clerk")
    response = client.get("/registry/employees?q=张", headers=HX)
    body = text_of(response)
    assert response.status_code == 200
    assert is_fragment(body, "employee-results")
    assert row_staff_nos(body) == ["E10001"]
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("query, expected", [
    ("张三", ["E10001"]),          # name
    ("王", ["E20002"]),            # part of a name
    ("e20002", ["E20002"]),        # staff no., typed in lower case
    ("Ｅ１０００１", ["E10001"]),  # staff no. from a full-width IME
    ("4002", ["E20002"]),          # uniform no.
    ("3001", ["E10001"]),
    ("nobody", []),
])
def test_employee_search_finds_by_name_staff_no_or_uniform_no(client, login_as, people, query, expected):
    login_as("clerk")
    body = text_of(client.get("/registry/employees", query_string={"q": query}, headers=HX))
    assert row_staff_nos(body) == expected


def test_people_who_left_are_listed_greyed_after_the_active_ones(client, login_as, people):
    login_as("clerk")
    body = text_of(client.get("/registry/employees"))
    assert row_staff_nos(body)[-1] == "E30003"
    row = re.search(r'<tr data-staff-no="E30003"[^>]*>', body).group(0)
    assert 'class="inactive"' in row
    assert 'class="inactive"' not in re.search(r'<tr data-staff-no="E10001"[^>]*>', body).group(0)


def test_employee_list_pages_by_25(client, login_as, make):
    dept = make.department()
    for n in range(30):
        make.employee(f"员工{n}", dept, staff_no=f"P{n:04d}", uniform_no=f"U{n:04d}")
    db.session.commit()
    login_as("clerk")
    first = text_of(client.get("/registry/employees"))
    assert len(row_staff_nos(first)) == 25
    assert 'rel="next"' in first
    second = client.get("/registry/employees?page=2", headers=HX)
    body = text_of(second)
    assert is_fragment(body, "employee-results")
    assert row_staff_nos(body) == [f"P{n:04d}" for n in range(25, 30)]
    assert 'rel="prev"' in body and 'rel="next"' not in body
    # A page past the end shows the last one rather than nothing.
    assert len(row_staff_nos(text_of(client.get("/registry/employees?page=99")))) == 5


def test_clerk_sees_no_add_or_edit_buttons(client, login_as, people):
    login_as("clerk")
    response = client.get("/registry/employees")
    body = text_of(response)
    # The clerk has the list, every row of it (an error page would lack the buttons too)...
    assert response.status_code == 200 and 'data-testid="employee-search"' in body
    assert sorted(row_staff_nos(body)) == ["E10001", "E20002", "E30003"]
    # ...and only the supervisor's part is missing.
    assert 'data-testid="employee-add"' not in body
    assert "/edit" not in body


def test_supervisor_sees_add_and_edit_buttons(client, login_as, people):
    login_as("supervisor")
    body = text_of(client.get("/registry/employees"))
    assert 'data-testid="employee-add"' in body
    assert f'/registry/employees/{people["zhang"]}/edit' in body


# --- employees: add, edit, leave --------------------------------------------

def test_employee_form_serves_the_full_page_and_the_fragment(client, login_as, people):
    login_as("supervisor")
    for url in ("/registry/employees/new", f"/registry/employees/{people['zhang']}/edit"):
        page = text_of(client.get(url))
        assert "<html" in page and 'id="employee-form"' in page and 'hx-history="false"' in page
        assert f'action="{url}"' in page and f'hx-post="{url}"' in page
        fragment = text_of(client.get(url, headers=HX))
        assert is_fragment(fragment, "employee-form")


def test_supervisor_adds_an_employee_with_the_phone_normalised(client, login_as, people):
    login_as("supervisor")
    response = client.post("/registry/employees/new",
                           data=employee_data(people["dept"], phone="+86 138 0013 8000", kind="hourly",
                                              staff_no="e90001"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/registry/employees?q=E90001")
    db.session.expire_all()
    added = db.session.scalar(select(Employee).where(Employee.staff_no == "E90001"))
    assert (added.name, added.phone, added.kind, added.uniform_no, added.department_id, added.active) == (
        "李四", "13800138000", "hourly", "2001", people["dept"], True)
    follow = text_of(client.get(response.headers["Location"]))
    assert "notice-success" in follow and row_staff_nos(follow) == ["E90001"]


def test_adding_an_employee_by_htmx_redirects_with_hx_redirect(client, login_as, people):
    login_as("admin")
    response = client.post("/registry/employees/new", data=employee_data(people["dept"]), headers=HX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].endswith("/registry/employees?q=E90001")
    assert committed(Employee) == 4


def test_adding_an_employee_with_a_new_department_creates_the_department(client, login_as, people):
    login_as("supervisor")
    response = client.post("/registry/employees/new",
                           data=employee_data(0, new_department="洗衣房"))
    assert response.status_code == 302
    db.session.expire_all()
    added = db.session.scalar(select(Employee).where(Employee.staff_no == "E90001"))
    assert added.department.name == "洗衣房"
    assert committed(Department) == 3


def test_an_employee_without_a_department_is_refused(client, login_as, people):
    login_as("supervisor")
    response = client.post("/registry/employees/new", data=employee_data(0))
    assert response.status_code == 200
    assert 'data-field="department_id"' in text_of(response)
    assert committed(Employee) == 3


@pytest.mark.parametrize("phone", ["12345", "1380013800", "23800138000", "abc", "010-123"])
def test_a_bad_phone_is_refused_and_nothing_is_written(client, login_as, people, phone):
    login_as("supervisor")
    response = client.post("/registry/employees/new", data=employee_data(people["dept"], phone=phone),
                           headers=HX)
    body = text_of(response)
    assert response.status_code == 200  # htmx swaps the form with its errors
    assert is_fragment(body, "employee-form")
    assert re.search(r'class="field has-error" data-field="phone"', body)
    assert committed(Employee) == 3


def test_a_landline_with_area_code_is_accepted(client, login_as, people):
    login_as("supervisor")
    response = client.post("/registry/employees/new", data=employee_data(people["dept"], phone="0755-1234567"))
    assert response.status_code == 302
    assert db.session.scalar(select(Employee.phone).where(Employee.staff_no == "E90001")) == "0755-1234567"


def test_a_duplicate_staff_no_is_refused_and_nothing_is_written(client, login_as, people):
    login_as("supervisor")
    response = client.post("/registry/employees/new",
                           data=employee_data(people["dept"], staff_no="e10001", uniform_no="9999"))
    body = text_of(response)
    assert response.status_code == 200
    assert re.search(r'class="field has-error" data-field="staff_no"', body)
    assert "E10001" in body and "张三" in body  # says who has it
    assert committed(Employee) == 3


def test_a_duplicate_uniform_no_is_refused_and_nothing_is_written(client, login_as, people):
    login_as("supervisor")
    response = client.post("/registry/employees/new", data=employee_data(people["dept"], uniform_no="4002"))
    assert response.status_code == 200
    assert re.search(r'class="field has-error" data-field="uniform_no"', text_of(response))
    assert committed(Employee) == 3


def test_required_fields_are_asked_for_again(client, login_as, people):
    login_as("supervisor")
    response = client.post("/registry/employees/new", data=employee_data(people["dept"], staff_no=" ", name=" "))
    body = text_of(response)
    assert response.status_code == 200
    assert re.search(r'has-error" data-field="staff_no"', body) and re.search(r'has-error" data-field="name"', body)
    assert committed(Employee) == 3


def test_supervisor_edits_an_employee(client, login_as, people):
    login_as("supervisor")
    form = employee_data(people["dept"], staff_no="E10001", name="张三丰", uniform_no="3001",
                         phone="010-12345678", kind="new_hire", position="领班")
    response = client.post(f"/registry/employees/{people['zhang']}/edit", data=form)
    assert response.status_code == 302
    db.session.expire_all()
    zhang = db.session.get(Employee, people["zhang"])
    assert (zhang.name, zhang.phone, zhang.kind, zhang.position) == ("张三丰", "010-12345678", "new_hire", "领班")


def test_editing_onto_someone_elses_staff_no_is_refused(client, login_as, people):
    login_as("supervisor")
    form = employee_data(people["dept"], staff_no="E20002", uniform_no="3001", name="张三丰")
    response = client.post(f"/registry/employees/{people['zhang']}/edit", data=form)
    assert response.status_code == 200
    db.session.expire_all()
    zhang = db.session.get(Employee, people["zhang"])
    assert (zhang.staff_no, zhang.name) == ("E10001", "张三")


def test_edit_form_shows_the_kind_choices_and_the_current_values(client, login_as, people):
    login_as("supervisor")
    body = text_of(client.get(f"/registry/employees/{people['zhang']}/edit"))
    assert 'value="E10001"' in body and 'value="13800138000"' in body
    for kind in ("regular", "hourly", "new_hire"):
        assert f'value="{kind}"' in body


def test_an_employee_leaves_and_comes_back(client, login_as, make, people):
    make.garment(owner=db.session.get(Employee, people["zhang"]))
    db.session.commit()
    login_as("supervisor")
    response = client.post(f"/registry/employees/{people['zhang']}/deactivate")
    assert response.status_code == 302
    db.session.expire_all()
    zhang = db.session.get(Employee, people["zhang"])
    assert zhang.active is False and zhang.left_on is not None
    page = text_of(client.get(response.headers["Location"]))
    assert "notice-warning" in page  # one garment is still registered to them
    assert 'data-testid="employee-reactivate"' in page
    listed = text_of(client.get("/registry/employees?q=E10001"))
    assert 'class="inactive"' in listed

    response = client.post(f"/registry/employees/{people['zhang']}/reactivate", headers=HX)
    assert response.status_code == 204 and "HX-Redirect" in response.headers
    db.session.expire_all()
    zhang = db.session.get(Employee, people["zhang"])
    assert zhang.active is True and zhang.left_on is None


def test_leaving_twice_keeps_the_first_date(client, login_as, people):
    login_as("supervisor")
    client.post(f"/registry/employees/{people['zhang']}/deactivate")
    db.session.expire_all()
    first = db.session.get(Employee, people["zhang"]).left_on
    client.post(f"/registry/employees/{people['zhang']}/deactivate")
    db.session.expire_all()
    assert db.session.get(Employee, people["zhang"]).left_on == first


def test_clerk_gets_403_on_employee_changes_typed_directly_and_nothing_is_written(client, login_as, people):
    login_as("clerk")
    zhang = people["zhang"]
    edit = employee_data(people["dept"], staff_no="E10001", name="改名", uniform_no="3001")
    attempts = [
        ("GET", "/registry/employees/new", None),
        ("POST", "/registry/employees/new", employee_data(people["dept"])),
        ("GET", f"/registry/employees/{zhang}/edit", None),
        ("POST", f"/registry/employees/{zhang}/edit", edit),
        ("POST", f"/registry/employees/{zhang}/deactivate", None),
        ("POST", f"/registry/employees/{people['gone']}/reactivate", None),
    ]
    for method, url, data in attempts:
        for headers in ({}, HX):
            response = client.open(url, method=method, data=data, headers=headers)
            assert response.status_code == 403, (method, url)
    assert committed(Employee) == 3
    db.session.expire_all()
    assert db.session.get(Employee, zhang).name == "张三"
    assert db.session.get(Employee, zhang).active is True
    assert db.session.get(Employee, people["gone"]).active is False


def test_ironer_cannot_even_search_employees(client, login_as, people):
    login_as("ironer")
    assert client.get("/registry/employees").status_code == 403


# --- garment types -----------------------------------------------------------

def type_data(**changes) -> dict:
    data = {"code": "sh1", "name_zh": "衬衫", "name_en": "Shirt", "unit_cost": "85.5",
            "entitlement": "3", "expected_washes": "120", "active": "y"}
    data.update(changes)
    return data


def test_types_page_lists_the_types(client, login_as, make):
    make.garment_type("JK", name_zh="西装外套", unit_cost=Decimal("320.00"))
    db.session.commit()
    login_as("supervisor")
    body = text_of(client.get("/registry/types"))
    assert "<html" in body and 'data-type-code="JK"' in body and "西装外套" in body


def test_type_form_serves_the_full_page_and_the_fragment(client, login_as, make):
    gtype = make.garment_type("JK")
    db.session.commit()
    login_as("supervisor")
    for url in ("/registry/types/new", f"/registry/types/{gtype.id}/edit"):
        assert 'id="type-form"' in text_of(client.get(url))
        assert is_fragment(text_of(client.get(url, headers=HX)), "type-form")


def test_supervisor_registers_a_garment_type(client, login_as, ctx):
    login_as("supervisor")
    response = client.post("/registry/types/new", data=type_data())
    assert response.status_code == 302 and response.headers["Location"].endswith("/registry/types")
    gtype = db.session.scalar(select(GarmentType))
    assert (gtype.code, gtype.name_zh, gtype.name_en, gtype.unit_cost, gtype.entitlement,
            gtype.expected_washes, gtype.active) == ("SH1", "衬衫", "Shirt", Decimal("85.50"), 3, 120, True)
    assert "notice-success" in text_of(client.get("/registry/types"))


@pytest.mark.parametrize("field, value", [
    ("code", "-S1"), ("code", "S 1"), ("code", "S_1"), ("code", ""), ("code", "ABCDEFGHIJKLMNOPQ"),
    ("name_zh", ""),
    ("unit_cost", "1.234"), ("unit_cost", "-1"), ("unit_cost", "NaN"), ("unit_cost", "Infinity"),
    ("unit_cost", "abc"), ("unit_cost", ""),
    ("entitlement", "-1"), ("entitlement", "x"),
    ("expected_washes", "0"), ("expected_washes", ""),
])
def test_a_bad_type_value_is_refused_and_nothing_is_written(client, login_as, ctx, field, value):
    login_as("admin")
    response = client.post("/registry/types/new", data=type_data(**{field: value}), headers=HX)
    body = text_of(response)
    assert response.status_code == 200
    assert is_fragment(body, "type-form")
    assert re.search(rf'class="field has-error" data-field="{field}"', body)
    assert committed(GarmentType) == 0


def test_zero_entitlement_and_zero_cost_are_allowed(client, login_as, ctx):
    login_as("admin")
    response = client.post("/registry/types/new", data=type_data(entitlement="0", unit_cost="0"))
    assert response.status_code == 302
    assert db.session.scalar(select(GarmentType.unit_cost)) == Decimal("0.00")


def test_a_duplicate_type_code_is_refused(client, login_as, make):
    make.garment_type("SH1")
    db.session.commit()
    login_as("supervisor")
    response = client.post("/registry/types/new", data=type_data(code="sh1"))
    assert response.status_code == 200
    assert re.search(r'has-error" data-field="code"', text_of(response))
    assert committed(GarmentType) == 1


def test_supervisor_edits_a_garment_type(client, login_as, make):
    gtype = make.garment_type("SH1")
    db.session.commit()
    login_as("supervisor")
    response = client.post(f"/registry/types/{gtype.id}/edit",
                           data=type_data(code="SH1", unit_cost="99.90", active=""))
    assert response.status_code == 302
    db.session.expire_all()
    gtype = db.session.get(GarmentType, gtype.id)
    assert (gtype.unit_cost, gtype.active) == (Decimal("99.90"), False)


def test_supervisor_edits_a_garment_type_whose_code_has_a_dash(client, login_as, make):
    gtype = make.garment_type("HK-SUIT")
    db.session.commit()
    login_as("supervisor")
    response = client.post(f"/registry/types/{gtype.id}/edit",
                           data=type_data(code="hk-suit", unit_cost="420", active="y"), headers=HX)
    assert response.headers.get("HX-Redirect")  # saved: back to the list
    db.session.expire_all()
    gtype = db.session.get(GarmentType, gtype.id)
    assert (gtype.code, gtype.unit_cost) == ("HK-SUIT", Decimal("420.00"))


@pytest.mark.parametrize("code", ["HK-SUIT", "SH1", "A-1-B", "-SH", "SH_1", "SH 1", "SH.1", "衬衫"])
def test_the_type_form_and_the_import_accept_the_same_codes(client, login_as, ctx, code):
    from kiosk.domain.codes import is_valid_code
    from kiosk.imports.services import import_csv

    login_as("supervisor")
    by_form = client.post("/registry/types/new", data=type_data(code=code), headers=HX)
    form_takes = bool(by_form.headers.get("HX-Redirect"))
    db.session.rollback()
    db.session.execute(GarmentType.__table__.delete())
    db.session.commit()
    file = f"code,name_zh,unit_cost,entitlement,expected_washes\r\n{code},衬衫,85.5,3,120\r\n".encode()
    imported = import_csv(db.session, "types", file)
    db.session.rollback()
    assert form_takes == imported.ok == is_valid_code(code)


def test_clerk_gets_403_on_garment_types_and_nothing_is_written(client, login_as, make):
    gtype = make.garment_type("SH1", name_zh="衬衫")
    db.session.commit()
    login_as("clerk")
    for method, url, data in [("GET", "/registry/types", None),
                              ("GET", "/registry/types/new", None),
                              ("POST", "/registry/types/new", type_data(code="NEW")),
                              ("GET", f"/registry/types/{gtype.id}/edit", None),
                              ("POST", f"/registry/types/{gtype.id}/edit", type_data(code="SH1", name_zh="改"))]:
        assert client.open(url, method=method, data=data).status_code == 403, (method, url)
    assert committed(GarmentType) == 1
    db.session.expire_all()
    assert db.session.get(GarmentType, gtype.id).name_zh == "衬衫"


# --- garments: list ----------------------------------------------------------

@pytest.fixture
def stock(make, people):
    """Shirts and trousers, owned and spare, in a few statuses; committed."""
    shirt = make.garment_type("SH", name_zh="衬衫")
    trousers = make.garment_type("TR", name_zh="裤子")
    zhang = db.session.get(Employee, people["zhang"])
    wang = db.session.get(Employee, people["wang"])
    make.garment("SH-000001", shirt, zhang)
    make.garment("SH-000002", shirt, zhang, status="dirty")
    make.garment("TR-000001", trousers, wang, status="at_tailor")
    make.garment("SH-000003", shirt, None)
    db.session.commit()
    return {"shirt": shirt.id, "trousers": trousers.id, **people}


def row_tags(body: str) -> list[str]:
    return re.findall(r'<tr data-tag="([^"]+)"', body)


def test_garment_list_serves_the_full_page_with_status_badges(client, login_as, stock):
    login_as("clerk")
    body = text_of(client.get("/registry/garments"))
    assert "<html" in body and 'id="garment-results"' in body
    assert row_tags(body) == ["SH-000001", "SH-000002", "SH-000003", "TR-000001"]
    assert re.search(r'<span class="badge status-dirty" data-status="dirty">[^<]+</span>', body)
    assert 'class="badge status-at_tailor"' in body
    assert 'data-testid="garment-add"' not in body  # a clerk looks, a supervisor registers
    login_as("supervisor")
    assert 'data-testid="garment-add"' in text_of(client.get("/registry/garments"))


def test_garment_list_with_htmx_answers_with_only_the_results(client, login_as, stock):
    login_as("clerk")
    body = text_of(client.get("/registry/garments?status=dirty", headers=HX))
    assert is_fragment(body, "garment-results")
    assert row_tags(body) == ["SH-000002"]


def test_status_badge_shows_the_translated_label(client, login_as, stock):
    login_as("clerk")
    client.post("/language", data={"lang": "en", "next": "/"})
    body = text_of(client.get("/registry/garments?status=at_tailor", headers=HX))
    assert re.search(r'status-at_tailor" data-status="at_tailor">At the tailor<', body)


@pytest.mark.parametrize("query, expected", [
    ({"q": "sh-00000"}, ["SH-000001", "SH-000002", "SH-000003"]),
    ({"q": "4002"}, ["TR-000001"]),                       # garment number = owner's uniform no.
    ({"status": "in_stock"}, ["SH-000001", "SH-000003"]),
    ({"type_id": "trousers"}, ["TR-000001"]),
    ({"owner": "e10001"}, ["SH-000001", "SH-000002"]),
    ({"owner": "王五"}, ["TR-000001"]),
    ({"spares": "y"}, ["SH-000003"]),
    ({"status": "in_stock", "type_id": "shirt", "owner": "E10001"}, ["SH-000001"]),
    ({"status": "bogus", "type_id": "x"}, ["SH-000001", "SH-000002", "SH-000003", "TR-000001"]),
])
def test_garment_filters(client, login_as, stock, query, expected):
    login_as("clerk")
    if query.get("type_id") in stock:
        query = {**query, "type_id": stock[query["type_id"]]}
    body = text_of(client.get("/registry/garments", query_string=query, headers=HX))
    assert row_tags(body) == expected


def test_garment_list_pages_and_keeps_the_filter(client, login_as, make):
    shirt = make.garment_type("SH")
    for n in range(1, 31):
        make.garment(f"SH-{n:06d}", shirt)
    make.garment("XX-000001", shirt, status="dirty")
    db.session.commit()
    login_as("clerk")
    first = text_of(client.get("/registry/garments?status=in_stock"))
    assert len(row_tags(first)) == 25
    next_link = re.search(r'href="([^"]+)"[^>]*rel="next"', first).group(1)
    assert "status=in_stock" in next_link and "page=2" in next_link
    second = text_of(client.get(next_link.replace("&amp;", "&"), headers=HX))
    assert row_tags(second) == [f"SH-{n:06d}" for n in range(26, 31)]


# --- garments: register ------------------------------------------------------

def garment_data(type_id: int, **changes) -> dict:
    data = {"type_id": type_id, "tag": "", "staff_no": "", "size": "", "purchased_on": "", "cost": ""}
    data.update(changes)
    return data


def registered_events() -> int:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Event.__table__).where(Event.action == "register"))


def test_garment_forms_serve_the_full_page_and_the_fragment(client, login_as, stock):
    login_as("supervisor")
    for url in ("/registry/garments/new", "/registry/garments/batch"):
        page = text_of(client.get(url))
        assert "<html" in page and 'id="garment-form"' in page
        assert re.search(r'name="request_key" type="hidden" value="[0-9a-f]{32}"', page)
        assert is_fragment(text_of(client.get(url, headers=HX)), "garment-form")


def test_register_one_garment_with_its_tag_for_an_employee(client, login_as, stock):
    login_as("supervisor")
    response = client.post("/registry/garments/new",
                           data=garment_data(stock["shirt"], tag="sh-a001", staff_no="e10001",
                                             purchased_on="2024-03-01", cost="88.80"))
    assert response.status_code == 302
    garment = db.session.scalar(select(Garment).where(Garment.tag == "SH-A001"))
    assert (garment.owner_id, garment.number, garment.status, garment.cost, str(garment.purchased_on)) == (
        stock["zhang"], "3001", "in_stock", Decimal("88.80"), "2024-03-01")
    assert registered_events() == 5
    page = text_of(client.get(response.headers["Location"]))
    assert 'data-tag="SH-A001"' in page and "notice-success" in page


def test_register_one_garment_without_a_tag_gets_the_next_automatic_one(client, login_as, stock, make):
    make.garment("SH-000041", db.session.get(GarmentType, stock["shirt"]))
    make.garment("SH-99X", db.session.get(GarmentType, stock["shirt"]))  # not an automatic tag
    db.session.commit()
    login_as("supervisor")
    response = client.post("/registry/garments/new", data=garment_data(stock["shirt"]), headers=HX)
    assert response.status_code == 204 and "/registry/garments/registered/" in response.headers["HX-Redirect"]
    spare = db.session.scalar(select(Garment).where(Garment.tag == "SH-000042"))
    assert spare is not None and spare.owner_id is None and spare.number is None
    assert spare.cost == Decimal("120.00")  # the type's unit cost


@pytest.mark.parametrize("tag", ["SH 01", "SH_01", "-SH01", "A" * 25, "衬衫01"])
def test_an_invalid_tag_is_refused_and_nothing_is_written(client, login_as, stock, tag):
    login_as("supervisor")
    response = client.post("/registry/garments/new", data=garment_data(stock["shirt"], tag=tag), headers=HX)
    body = text_of(response)
    assert response.status_code == 200 and is_fragment(body, "garment-form")
    assert re.search(r'has-error" data-field="tag"', body)
    assert committed(Garment) == 4 and registered_events() == 4


def test_a_duplicate_tag_is_refused_and_nothing_is_written(client, login_as, stock):
    login_as("supervisor")
    response = client.post("/registry/garments/new", data=garment_data(stock["shirt"], tag="sh-000001"))
    assert response.status_code == 200
    assert re.search(r'has-error" data-field="tag"', text_of(response))
    assert committed(Garment) == 4 and registered_events() == 4


@pytest.mark.parametrize("staff_no", ["E99999", "E30003"])  # unknown; left
def test_an_owner_who_is_unknown_or_has_left_is_refused(client, login_as, stock, staff_no):
    login_as("supervisor")
    response = client.post("/registry/garments/batch",
                           data=garment_data(stock["shirt"], staff_no=staff_no, count="3"))
    assert response.status_code == 200
    assert re.search(r'has-error" data-field="staff_no"', text_of(response))
    assert committed(Garment) == 4


def test_a_batch_creates_n_garments_with_unique_valid_tags_and_n_ledger_events(client, login_as, stock):
    login_as("supervisor")
    response = client.post("/registry/garments/batch",
                           data=garment_data(stock["trousers"], staff_no="E10001", count="12", size="L"))
    assert response.status_code == 302
    new = db.session.scalars(select(Garment).where(Garment.type_id == stock["trousers"],
                                                   Garment.owner_id == stock["zhang"])).all()
    tags = [g.tag for g in new]
    assert len(new) == 12 and len(set(tags)) == 12
    assert all(is_valid_tag(tag) and re.fullmatch(r"TR-\d{6}", tag) for tag in tags)
    assert sorted(tags) == [f"TR-{n:06d}" for n in range(2, 14)]  # after TR-000001
    assert {(g.number, g.size, g.status) for g in new} == {("3001", "L", "in_stock")}
    events = db.session.scalars(select(Event).where(Event.garment_id.in_([g.id for g in new]))).all()
    assert len(events) == 12 and {e.action for e in events} == {"register"}
    assert {e.department_id for e in events} == {stock["dept"]}
    assert committed(Garment) == 16 and registered_events() == 16

    page = text_of(client.get(response.headers["Location"]))
    assert sorted(re.findall(r'<li data-tag="([^"]+)"', page)) == sorted(tags)


def test_a_batch_for_the_spare_pool_has_no_owner_and_no_number(client, login_as, stock):
    login_as("admin")
    response = client.post("/registry/garments/batch", data=garment_data(stock["shirt"], count="5"))
    assert response.status_code == 302
    new = db.session.scalars(select(Garment).where(Garment.tag > "SH-000003",
                                                   Garment.type_id == stock["shirt"])).all()
    assert [g.tag for g in new] == [f"SH-{n:06d}" for n in range(4, 9)]
    assert {(g.owner_id, g.number) for g in new} == {(None, None)}


def test_a_repeated_batch_request_registers_once(client, login_as, stock):
    login_as("supervisor")
    data = garment_data(stock["shirt"], count="4", request_key=uuid.uuid4().hex)
    first = client.post("/registry/garments/batch", data=data)
    again = client.post("/registry/garments/batch", data=data)  # a double tap or a retry
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert committed(Garment) == 8 and registered_events() == 8
    assert "notice-warning" in text_of(client.get(again.headers["Location"]))


@pytest.mark.parametrize("count", ["0", "201", "-3", "x", ""])
def test_a_batch_size_outside_1_to_200_is_refused(client, login_as, stock, count):
    login_as("supervisor")
    response = client.post("/registry/garments/batch", data=garment_data(stock["shirt"], count=count))
    assert response.status_code == 200
    assert re.search(r'has-error" data-field="count"', text_of(response))
    assert committed(Garment) == 4


def test_a_batch_of_200_is_accepted(client, login_as, stock):
    login_as("supervisor")
    response = client.post("/registry/garments/batch", data=garment_data(stock["shirt"], count="200"))
    assert response.status_code == 302
    assert committed(Garment) == 204 and registered_events() == 204


def test_clerk_gets_403_on_registering_garments_and_nothing_is_written(client, login_as, stock):
    login_as("clerk")
    for url, data in [("/registry/garments/new", garment_data(stock["shirt"], tag="NEW-1")),
                      ("/registry/garments/batch", garment_data(stock["shirt"], count="3"))]:
        assert client.get(url).status_code == 403
        assert client.post(url, data=data).status_code == 403
        assert client.post(url, data=data, headers=HX).status_code == 403
    assert committed(Garment) == 4 and registered_events() == 4


def test_registered_page_is_404_for_an_unknown_key(client, login_as, stock):
    login_as("clerk")
    assert client.get(f"/registry/garments/registered/{uuid.uuid4().hex}").status_code == 404
    assert client.get("/registry/garments/registered/not-a-key").status_code == 404


def test_automatic_tags_follow_the_highest_number_of_that_type_only(make):
    shirt = make.garment_type("SH")
    make.garment("SH-000007", shirt)
    make.garment("SHX-000100", make.garment_type("SHX"))
    db.session.flush()
    assert services.next_auto_tags(db.session, "SH", 3) == ["SH-000008", "SH-000009", "SH-000010"]
    assert services.next_auto_tags(db.session, "TR", 1) == ["TR-000001"]


# --- CSRF --------------------------------------------------------------------

def test_the_employee_form_carries_a_csrf_token_that_is_accepted(app, client, login_as, people):
    login_as("supervisor")
    app.config["WTF_CSRF_ENABLED"] = True
    page = text_of(client.get("/registry/employees/new"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    refused = client.post("/registry/employees/new", data=employee_data(people["dept"]))
    assert refused.status_code == 400 and committed(Employee) == 3
    accepted = client.post("/registry/employees/new", data={**employee_data(people["dept"]), "csrf_token": token})
    assert accepted.status_code == 302 and committed(Employee) == 4
