"""Kits by position (kiosk.kits): who gets what (kit_for), and the kits screen that keeps it."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.kits import services
from kiosk.kits.models import KitLine
from kiosk.kits.services import kit_for
from kiosk.models import Department, Employee, RequestKey, User
from kiosk.stock.models import StockItem

HX = {"HX-Request": "true"}


@dataclass
class Room:
    dining: int
    rooms: int
    shirt: int
    chef: int
    guard: int


def _stock(code: str, name_zh: str, kind: str, sizes=("",), **fields) -> None:
    for size in sizes:
        db.session.add(StockItem(code=code, name_zh=name_zh, name_en="", kind=kind, size=size, **fields))


@pytest.fixture
def room(make) -> Room:
    """Two departments, three garment types with their own entitlements, shoes by size, socks, 头花,
    and servers in both departments, a cook, and one person without a position."""
    dining, rooms = make.department("餐饮部"), make.department("客房部")
    shirt = make.garment_type("SHIRT", name_zh="衬衫", entitlement=3)
    chef = make.garment_type("CHEF", name_zh="厨师服", entitlement=2)
    guard = make.garment_type("SEC", name_zh="保安服", entitlement=1)
    _stock("SHOE", "工作鞋", "shoes", ("38", "39"))
    _stock("SOCK", "袜子", "socks")
    _stock("HAIR", "头花", "hair_accessory")
    for name, department, position in (("王芳", dining, "服务员"), ("李娜", dining, "服务员 "),
                                       ("赵敏", rooms, "服务员"), ("刘强", dining, "厨师"), ("孙丽", rooms, "")):
        make.employee(name, department=department, position=position)
    make.employee("离职", department=dining, position="服务员", active=False)
    db.session.commit()
    return Room(dining.id, rooms.id, shirt.id, chef.id, guard.id)


def _employee(name: str) -> Employee:
    return db.session.scalar(select(Employee).where(Employee.name == name))


def _item(key: str) -> services.KitItem:
    return next(item for item in services.kit_items(db.session) if item.key == key)


def _set(position: str, key: str, quantity: int, department=None, user=None, request_key=None):
    done = services.set_line(db.session, position=position, department=department, item=_item(key),
                             quantity=quantity, user=user, request_key=request_key)
    db.session.commit()
    return done


def _rows() -> set[tuple]:
    db.session.expire_all()
    return {(line.position, line.department_id, line.item_key, line.quantity)
            for line in db.session.scalars(select(KitLine))}


# --- who gets what: kit_for ---------------------------------------------------------

def test_a_position_without_rows_falls_back_to_every_types_own_entitlement(room):
    kit = kit_for(db.session, _employee("王芳"))

    assert kit.from_position is False
    assert kit.garments == {room.shirt: 3, room.chef: 2, room.guard: 1}
    assert kit.stock == {}


def test_general_rows_give_the_position_exactly_its_items_in_every_department(room):
    _set("服务员", f"t{room.shirt}", 2)
    _set("服务员", "sSHOE", 1)

    for name in ("王芳", "赵敏"):
        kit = kit_for(db.session, _employee(name))
        assert kit.from_position is True
        assert kit.garments == {room.shirt: 2}  # no chef jacket, no security uniform
        assert kit.stock == {"SHOE": 1}
    # Another position still falls back.
    assert kit_for(db.session, _employee("刘强")).garments == {room.shirt: 3, room.chef: 2, room.guard: 1}


def test_a_departments_own_rows_win_over_the_general_rows(room, make):
    dining = db.session.get(Department, room.dining)
    _set("服务员", f"t{room.shirt}", 2)
    _set("服务员", "sSHOE", 1)
    _set("服务员", f"t{room.shirt}", 4, department=dining)
    _set("服务员", "sSOCK", 3, department=dining)

    dining_server = kit_for(db.session, _employee("李娜"))  # typed "服务员 " with a trailing blank
    assert (dining_server.garments, dining_server.stock) == ({room.shirt: 4}, {"SOCK": 3})
    rooms_server = kit_for(db.session, _employee("赵敏"))
    assert (rooms_server.garments, rooms_server.stock) == ({room.shirt: 2}, {"SHOE": 1})


def test_positions_are_compared_as_typed_text_full_width_spaces_and_all():
    assert services.position_key("  客房\u3000服务员 ") == "客房 服务员"
    assert services.position_key("ＰＡ") == "PA"


def test_a_person_gets_their_shoe_and_sock_sizes_for_stock_items(room):
    employee = _employee("王芳")
    employee.shoe_size, employee.sock_size = "39", "M"
    assert services.person_size(employee, "shoes") == "39"
    assert services.person_size(employee, "socks") == "M"
    assert services.person_size(employee, "hair_accessory") == ""


# --- changing a kit: the services ------------------------------------------------

def test_set_adds_then_changes_then_leaves_a_row_and_records_who_and_when(room, make):
    supervisor = make.user(role="supervisor")
    db.session.commit()
    before = dt.datetime.now(dt.timezone.utc)

    assert _set("服务员", "sSHOE", 1, user=supervisor).result.outcome == "added"
    line = db.session.scalar(select(KitLine))
    assert (line.updated_by_id, line.position, line.department_id, line.stock_code) == \
        (supervisor.id, "服务员", None, "SHOE")
    assert line.updated_at >= before
    changed = _set("服务员", "sSHOE", 2, user=supervisor).result
    assert (changed.outcome, changed.before, changed.quantity) == ("changed", 1, 2)
    assert _set("服务员", "sSHOE", 2, user=supervisor).result.outcome == "unchanged"
    assert _rows() == {("服务员", None, "sSHOE", 2)}


@pytest.mark.parametrize("quantity", [0, 21, -1, None])
def test_a_quantity_outside_1_to_20_is_refused_and_writes_nothing(room, quantity):
    with pytest.raises(services.DomainError, match="from 1 to 20"):
        _set("服务员", "sSHOE", quantity)
    db.session.rollback()
    assert _rows() == set()


def test_the_same_request_key_lands_once(room, make):
    supervisor = make.user(role="supervisor")
    db.session.commit()
    first = _set("服务员", "sSOCK", 2, user=supervisor, request_key="k-1")
    again = _set("服务员", "sSOCK", 5, user=supervisor, request_key="k-1")

    assert (first.repeated, again.repeated) == (False, True)
    assert _rows() == {("服务员", None, "sSOCK", 2)}


def test_remove_takes_the_row_out_and_a_second_remove_changes_nothing(room):
    _set("服务员", "sHAIR", 1)
    _set("服务员", f"t{room.shirt}", 2)
    done = services.remove_line(db.session, position="服务员", department=None, item=_item("sHAIR"), user=None)
    db.session.commit()
    again = services.remove_line(db.session, position="服务员", department=None, item=_item("sHAIR"), user=None)
    db.session.commit()

    assert (done.result.outcome, done.result.before, again.result.outcome) == ("removed", 1, "absent")
    assert _rows() == {("服务员", None, f"t{room.shirt}", 2)}


def test_positions_list_every_held_position_with_counts_and_kit_only_positions(room):
    _set("礼宾员", "sSHOE", 1)  # prepared before anyone is hired to it
    _set("服务员", "sSOCK", 2, department=db.session.get(Department, room.dining))

    overview = services.positions(db.session)
    by_name = {summary.position: summary for summary in overview.positions}
    assert set(by_name) == {"服务员", "厨师", "礼宾员"}
    server = by_name["服务员"]
    assert (server.employees, server.general_lines, server.has_kit) == (3, 0, True)  # the leaver not counted
    assert {(d.name, d.employees, d.lines) for d in server.departments} == {("餐饮部", 2, 1), ("客房部", 1, 0)}
    assert server.falling_back == 1  # the room's server: no department kit, no general kit
    assert (by_name["厨师"].has_kit, by_name["礼宾员"].employees) == (False, 0)
    assert overview.without_position == 1


# --- the screen ---------------------------------------------------------------------

def _signed_in(app, client, role: str) -> int:
    with app.app_context():
        from tests.conftest import Factory, login

        user = Factory().user(role=role)
        db.session.commit()
        user_id = user.id
    assert login(client, user_id).status_code == 302
    return user_id


def _post(client, endpoint: str, headers=None, **data):
    data.setdefault("request_key", "")
    return client.post(f"/kits/{endpoint}", data=data, headers=headers or {})


def test_the_list_shows_each_position_its_people_and_the_fallback(app, client, room):
    _signed_in(app, client, "clerk")
    _set("服务员", "sSHOE", 1)
    html = client.get("/kits/").get_data(as_text=True)

    assert 'data-position="服务员" data-has-kit="yes"' in html
    assert 'data-position="厨师" data-has-kit="no"' in html
    row = re.search(r'<tr data-position="厨师".*?</tr>', html, re.S).group(0)
    assert "No kit for this position: each garment type's own entitlement applies" in row
    assert 'data-testid="kit-without-position"' in html


def test_the_home_screen_and_the_types_page_lead_to_the_kits(app, client, room):
    _signed_in(app, client, "supervisor")
    assert 'data-station="kits.index"' in client.get("/").get_data(as_text=True)
    assert 'href="/kits/"' in client.get("/registry/types").get_data(as_text=True)


def test_a_clerk_reads_a_kit_but_gets_no_forms_and_cannot_post(app, client, room):
    _set("服务员", "sSHOE", 1)
    _signed_in(app, client, "clerk")
    page = client.get("/kits/position?name=服务员").get_data(as_text=True)
    assert 'data-testid="kit-lines"' in page and 'data-code="SHOE"' in page
    assert 'data-testid="kit-add"' not in page and 'data-testid="kit-remove"' not in page

    for endpoint in ("set", "remove"):
        response = _post(client, endpoint, position="服务员", department_id="", item="sSHOE", quantity="5")
        assert response.status_code == 403
        response = _post(client, endpoint, HX, position="服务员", department_id="", item="sSHOE", quantity="5")
        assert response.status_code == 403
    assert _rows() == {("服务员", None, "sSHOE", 1)}


def test_an_ironer_may_not_open_the_kits(app, client, room):
    _signed_in(app, client, "ironer")
    assert client.get("/kits/").status_code == 403


def test_a_supervisor_adds_changes_and_removes_rows_on_the_screen(app, client, room):
    user_id = _signed_in(app, client, "supervisor")
    page = client.get("/kits/position?name=服务员").get_data(as_text=True)
    assert 'data-applies="fallback"' in page and 'data-testid="kit-effective"' in page

    added = _post(client, "set", HX, position="服务员", department_id="", item=f"t{room.shirt}", quantity="2")
    html = added.get_data(as_text=True)
    assert added.status_code == 200 and "<html" not in html and 'id="kit-editor"' in html
    assert 'data-kit-result="added"' in html and 'data-applies="general"' in html
    _post(client, "set", HX, position="服务员", department_id="", item="sSHOE", quantity="1")
    changed = _post(client, "set", HX, position="服务员", department_id="", item=f"t{room.shirt}", quantity="3")
    assert 'data-kit-result="changed"' in changed.get_data(as_text=True)
    removed = _post(client, "remove", HX, position="服务员", department_id="", item="sSHOE")
    assert 'data-kit-result="removed"' in removed.get_data(as_text=True)

    assert _rows() == {("服务员", None, f"t{room.shirt}", 3)}
    assert db.session.scalar(select(KitLine.updated_by_id)) == user_id


def test_without_htmx_a_change_is_redirected_to_the_position_with_the_message(app, client, room):
    _signed_in(app, client, "admin")
    response = _post(client, "set", position="服务员", department_id=str(room.rooms), item="sSOCK", quantity="2")

    assert response.status_code == 302
    assert f"department={room.rooms}" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Added to the kit: SOCK · 袜子 × 2." in page and 'data-applies="own"' in page
    assert _rows() == {("服务员", room.rooms, "sSOCK", 2)}


@pytest.mark.parametrize("quantity, reason", [
    ("0", "from 1 to 20"), ("21", "from 1 to 20"), ("abc", "from 1 to 20"), ("", "from 1 to 20"),
])
def test_a_bad_quantity_is_said_on_the_form_and_writes_nothing(app, client, room, quantity, reason):
    _signed_in(app, client, "supervisor")
    for headers in (HX, {}):
        response = _post(client, "set", headers, position="服务员", department_id="", item="sSHOE",
                         quantity=quantity)
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert 'data-kit-result="error"' in html and reason in html
    assert _rows() == set()


def test_an_unknown_item_or_department_is_refused_and_writes_nothing(app, client, room):
    _signed_in(app, client, "supervisor")
    html = _post(client, "set", HX, position="服务员", department_id="", item="sNOPE", quantity="1").get_data(
        as_text=True)
    assert "Choose a garment type or a stock item." in html
    assert _post(client, "set", HX, position="服务员", department_id="999", item="sSHOE",
                 quantity="1").status_code == 404
    assert _post(client, "set", HX, position="  ", department_id="", item="sSHOE", quantity="1").status_code == 400
    assert _rows() == set()


def test_the_same_form_sent_twice_lands_once(app, client, room):
    _signed_in(app, client, "supervisor")
    first = _post(client, "set", HX, position="服务员", department_id="", item="sSHOE", quantity="2",
                  request_key="tap-1")
    again = _post(client, "set", HX, position="服务员", department_id="", item="sSHOE", quantity="7",
                  request_key="tap-1")

    assert 'data-kit-result="added"' in first.get_data(as_text=True)
    assert 'data-kit-result="repeated"' in again.get_data(as_text=True)
    assert _rows() == {("服务员", None, "sSHOE", 2)}
    assert db.session.scalar(select(func.count()).select_from(RequestKey)) == 1


def test_a_department_page_says_the_general_kit_applies_until_it_has_its_own(app, client, room):
    _set("服务员", f"t{room.shirt}", 2)
    _signed_in(app, client, "supervisor")
    page = client.get(f"/kits/position?name=服务员&department={room.dining}").get_data(as_text=True)

    assert 'data-applies="general"' in page and 'data-lines="0"' in page
    assert "餐饮部 has no kit of its own" in page
    assert f'data-item="t{room.shirt}"' in page  # what they get now: the general rows
    fragment = client.get(f"/kits/position?name=服务员&department={room.dining}", headers=HX).get_data(as_text=True)
    assert 'id="kit-editor"' in fragment and "<html" not in fragment


def test_a_position_page_needs_a_position(app, client, room):
    _signed_in(app, client, "clerk")
    response = client.get("/kits/position?name=%20")
    assert response.status_code == 302 and response.headers["Location"].endswith("/kits/")


def test_the_kits_screen_speaks_chinese_by_default(app, client, room, product_language):
    _signed_in(app, client, "supervisor")
    page = client.get("/kits/position?name=厨师").get_data(as_text=True)
    assert "无岗位配置：按各品类配发数量" in page
    assert "岗位配置" in client.get("/kits/").get_data(as_text=True)


# --- employees' sizes and stock items' return rule and cost ------------------------------

def test_the_employee_form_keeps_shoe_and_sock_sizes_and_the_list_shows_them(app, client, room):
    _signed_in(app, client, "supervisor")
    wang = _employee("王芳")
    response = client.post(f"/registry/employees/{wang.id}/edit", data={
        "staff_no": wang.staff_no, "name": "王芳", "department_id": str(room.dining), "position": "服务员",
        "kind": "regular", "uniform_no": wang.uniform_no, "size": "M", "shoe_size": "38", "sock_size": "M"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (_employee("王芳").shoe_size, _employee("王芳").sock_size) == ("38", "M")
    assert "shoes 38 · socks M" in client.get("/registry/employees?q=王芳").get_data(as_text=True)
    form = client.get(f"/registry/employees/{wang.id}/edit").get_data(as_text=True)
    assert 'name="shoe_size"' in form and 'value="38"' in form


def test_a_too_long_shoe_size_is_refused_on_the_form(app, client, room):
    _signed_in(app, client, "supervisor")
    wang = _employee("王芳")
    response = client.post(f"/registry/employees/{wang.id}/edit", data={
        "staff_no": wang.staff_no, "name": "王芳", "department_id": str(room.dining), "kind": "regular",
        "shoe_size": "9" * 17}, headers=HX)
    assert response.status_code == 200 and 'data-field="shoe_size"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert _employee("王芳").shoe_size == ""


def test_a_stock_item_keeps_its_return_rule_and_unit_cost_on_every_size(app, client, room):
    _signed_in(app, client, "supervisor")
    shoe = db.session.scalar(select(StockItem).where(StockItem.code == "SHOE", StockItem.size == "38"))
    response = client.post(f"/stock/items/{shoe.id}/edit", data={
        "code": "SHOE", "size": "38", "name_zh": "工作鞋", "name_en": "Work shoes", "kind": "shoes",
        "unit_cost": "¥85.50", "reorder_level": "3", "monthly_allowance": "0", "return_on_leaving": "y",
        "active": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    shoes = db.session.scalars(select(StockItem).where(StockItem.code == "SHOE")).all()
    assert {(s.size, s.unit_cost, s.return_on_leaving, s.name_en) for s in shoes} == {
        ("38", Decimal("85.50"), True, "Work shoes"), ("39", Decimal("85.50"), True, "Work shoes")}
    assert {s.reorder_level for s in shoes} == {3, 0}  # the level is each size's own

    page = client.get("/stock/").get_data(as_text=True)
    row = re.search(r'<tr[^>]*data-item="SHOE" data-size="39".*?</tr>', page, re.S).group(0)
    assert "¥85.50" in row and "Yes" in row
    sock = re.search(r'<tr[^>]*data-item="SOCK".*?</tr>', page, re.S).group(0)
    assert "Yes" not in sock


def test_a_new_size_and_a_taken_size_on_the_stock_item_form(app, client, room):
    _signed_in(app, client, "supervisor")
    data = {"code": "shoe", "size": "40", "name_zh": "工作鞋", "kind": "shoes", "unit_cost": "90",
            "reorder_level": "2", "monthly_allowance": "0"}
    assert client.post("/stock/items/new", data=data).status_code == 302
    taken = client.post("/stock/items/new", data={**data, "size": "39"}, headers=HX)
    assert taken.status_code == 200 and "already has the size" in taken.get_data(as_text=True)
    bad = client.post("/stock/items/new", data={**data, "size": "41", "unit_cost": "-3"}, headers=HX)
    assert bad.status_code == 200 and 'data-field="unit_cost"' in bad.get_data(as_text=True)
    db.session.expire_all()
    sizes = db.session.scalars(select(StockItem.size).where(StockItem.code == "SHOE")).all()
    assert sorted(sizes) == ["38", "39", "40"]
    new = db.session.scalar(select(StockItem).where(StockItem.size == "40"))
    assert (new.quantity_on_hand, new.unit_cost, new.return_on_leaving) == (0, Decimal("90.00"), False)


def test_a_clerk_may_not_change_a_stock_item(app, client, room):
    _signed_in(app, client, "clerk")
    shoe = db.session.scalar(select(StockItem).where(StockItem.code == "SHOE"))
    assert client.get("/stock/items/new").status_code == 403
    assert client.post(f"/stock/items/{shoe.id}/edit", data={"code": "SHOE", "name_zh": "x", "kind": "shoes",
                                                             "reorder_level": "0",
                                                             "monthly_allowance": "0"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(StockItem, shoe.id).name_zh == "工作鞋"
    assert 'data-testid="stock-item-edit"' not in client.get("/stock/").get_data(as_text=True)


def test_each_row_names_who_changed_it_last(app, client, room):
    user_id = _signed_in(app, client, "supervisor")
    _post(client, "set", HX, position="厨师", department_id="", item=f"t{room.chef}", quantity="3")
    name = db.session.get(User, user_id).name
    page = client.get("/kits/position?name=厨师").get_data(as_text=True)
    assert f"{name} ·" in page


# --- two tablets at once -----------------------------------------------------------------

@pytest.fixture
def slow_kit_writers():
    """Hold each flush that adds a kit row, so that concurrent requests overlap read → write."""
    import time

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    def hold(session, flush_context, instances):
        if any(isinstance(obj, KitLine) for obj in session.new):
            time.sleep(0.15)

    event.listen(Session, "before_flush", hold)
    yield
    event.remove(Session, "before_flush", hold)


def test_tablets_adding_the_same_item_at_once_end_with_one_row(app, room, slow_kit_writers):
    import threading

    from tests.conftest import Factory, login

    with app.app_context():
        users = [Factory().user(role="supervisor") for _ in range(6)]
        db.session.commit()
        ids = [user.id for user in users]
    clients = []
    for user_id in ids:
        client = app.test_client()
        assert login(client, user_id).status_code == 302
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    answers: list = [None] * len(clients)

    def add(i, client):
        barrier.wait()
        response = _post(client, "set", HX, position="服务员", department_id="", item="sSHOE", quantity=str(i + 1))
        answers[i] = (response.status_code, re.search(r'data-kit-result="(\w+)"', response.get_data(as_text=True)))

    threads = [threading.Thread(target=add, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert all(status == 200 and found for status, found in answers), answers
    outcomes = sorted(found.group(1) for _, found in answers)
    assert outcomes.count("added") == 1 and set(outcomes) <= {"added", "changed", "unchanged"}, outcomes
    rows = _rows()
    assert len(rows) == 1 and next(iter(rows))[:3] == ("服务员", None, "sSHOE")


def test_a_bad_quantity_on_a_row_is_said_above_the_table_and_the_row_keeps_its_quantity(app, client, room):
    _set("服务员", "sSHOE", 1)
    _signed_in(app, client, "supervisor")
    html = _post(client, "set", HX, position="服务员", department_id="", item="sSHOE", quantity="25",
                 **{"from": "row"}).get_data(as_text=True)

    assert 'data-kit-result="error"' in html
    assert 'data-code="SHOE" data-quantity="1"' in html
    add_form = html[html.index('data-testid="kit-add"'):]
    assert 'role="alert"' not in add_form  # the add form is not blamed for the row's refusal
    assert _rows() == {("服务员", None, "sSHOE", 1)}
