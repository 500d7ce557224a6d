"""Two hotels of a group on one database: an operator of one cannot reach the other's records by
any route, id or tag.

The demo hotel is property 1 (a year of garments, loans, write-offs, stocktakes, print jobs);
a second hotel, 乙店, has nothing but its administrator, who works only there. Signed in at 乙店,
the walk asks every route of the kiosk (every GET and every POST, with the demo hotel's ids, tags
and months in the URL and in the form) and checks what an attacker would look for: no name or
phone of the demo hotel in any answer, never a server error, and not one of the demo hotel's
rows changed, nor anything of 乙店's that points at one of them. The demo hotel's own
administrator, on the same routes, does see those names: the walk would see a leak.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select, text

from kiosk import scope
from kiosk.extensions import db
from kiosk.models import (Employee, Garment, PerProperty, Printer, Property, PropertyMember, PrintJob, Tablet,
                          User)
from tests.conftest import FAST_HASH

SECOND_CODE = "B"
PIN = "2580"


def _per_property_models():
    return [mapper.class_ for mapper in db.Model.registry.mappers if issubclass(mapper.class_, PerProperty)]


def _snapshot(property_id: int) -> dict[str, list[tuple]]:
    """Every row of the property, as stored (what a walk must leave as it was)."""
    rows = {}
    with scope.every_property(db.session):
        for model in _per_property_models():
            table = model.__table__
            ordered = [table.c[name] for name in sorted(table.c.keys())]
            rows[table.name] = [tuple(row) for row in db.session.execute(
                select(*ordered).where(table.c.property_id == property_id).order_by(*table.primary_key.columns))]
    return rows


def _pointing_across(here: int) -> list[str]:
    """Rows of ``here`` with a key to a row of another property."""
    found = []
    with scope.every_property(db.session):
        for model in _per_property_models():
            table = model.__table__
            for fk in table.foreign_keys:
                if fk.parent.name == "property_id" or "property_id" not in fk.column.table.c:
                    continue
                target = fk.column.table.alias()  # the table itself, for a key to its own rows
                count = db.session.scalar(
                    select(func.count()).select_from(table.join(target, fk.parent == target.c[fk.column.name]))
                    .where(table.c.property_id == here, target.c.property_id != here))
                if count:
                    found.append(f"{table.name}.{fk.parent.name} -> {target.name}: {count}")
    return found


def _fill_the_demo_hotel(app, demo_admin_id: int) -> None:
    """What the demo leaves out, made at the demo hotel as its administrator would: a write-off,
    a print job, the month's stocktake, a handover."""
    from kiosk.handover import services as handover
    from kiosk.i18n import hotel_month
    from kiosk.printing import services as printing
    from kiosk.stocktake.services import open_stocktake

    client = app.test_client()
    client.post("/login/property", data={"property_id": 1})
    assert client.post("/login", data={"user_id": demo_admin_id, "pin": "9999"}).status_code == 302
    with app.app_context(), scope.within(db.session, 1):
        garment = db.session.scalar(select(Garment).where(Garment.status == "in_stock", Garment.owner_id.is_not(None))
                                    .order_by(Garment.id))
        admin = db.session.get(User, demo_admin_id)
        printer = Printer(name="甲店前台打印机", url="tcp://127.0.0.1:9", kind="receipt", language="escpos",
                          is_default=True)
        db.session.add(printer)
        db.session.flush()
        db.session.add(Tablet(name="甲店前台平板", token_hash="f" * 64, receipt_printer_id=printer.id))
        printing.enqueue(db.session, printing.tag_document(garment, "zh_CN"), "tag", admin, garment)
        open_stocktake(db.session, hotel_month(), user=admin)
        handover.write(db.session, writer=admin, note="乙店看不到的交接", tailor_days=3)
        db.session.commit()
        tag, staff_no = garment.tag, garment.owner.staff_no
    opened = client.post("/writeoffs/new", data={"code": tag, "reason": "lost", "responsible": "employee",
                                                 "staff_no": staff_no, "request_key": "walk-open-0001"})
    assert opened.status_code in (200, 302), opened.get_data(as_text=True)


@pytest.fixture
def group(app, demo_data):
    """The demo hotel (property 1) and 乙店 with its administrator; what the walk needs of the demo."""
    from kiosk.auth.services import create_user

    with app.app_context():
        second = Property(code=SECOND_CODE, name="乙店")
        db.session.add(second)
        db.session.flush()
        with scope.within(db.session, second.id):
            admin = create_user(db.session, "乙店管理员", "admin", PIN, hash_method=FAST_HASH)
        demo_admin = db.session.scalar(select(User).where(User.name == "管理员"))
        db.session.commit()
        demo_admin_id = demo_admin.id
    _fill_the_demo_hotel(app, demo_admin_id)
    with app.app_context():
        demo_admin = db.session.get(User, demo_admin_id)
        with scope.within(db.session, 1):
            names = sorted({name for name in db.session.scalars(select(Employee.name)) if len(name) >= 2}
                           | {name for name in db.session.scalars(text("SELECT borrower_name FROM loans"))
                              if len(name) >= 2})
            phones = sorted({phone for phone in db.session.scalars(text("SELECT borrower_phone FROM loans")) if phone}
                            | {phone for phone in db.session.scalars(select(Employee.phone)) if phone})
            ids = {table: [row[0] for row in db.session.execute(text(f"SELECT id FROM {table} ORDER BY id LIMIT 3"))]
                   for table in ("employees", "loans", "loan_items", "write_offs", "compensations", "stocktakes",
                                 "print_jobs", "printers", "tablets", "purchases", "handovers", "checkin_batches",
                                 "clearances", "clearance_lines", "stock_items", "alert_channels", "alerts",
                                 "tag_reprints", "checklist_items", "garment_types", "transfers", "transfer_lines")}
            tags = list(db.session.scalars(select(Garment.tag).order_by(Garment.id).limit(3)))
            staff = list(db.session.scalars(select(Employee.staff_no).order_by(Employee.id).limit(1)))
            months = sorted(set(db.session.scalars(text("SELECT month FROM stocktakes"))))
        ids["users"] = [demo_admin.id]
        assert len(names) > 20 and phones and tags and all(ids[t] for t in ("employees", "loans", "print_jobs", "stocktakes", "write_offs", "handovers")), {
            t: v for t, v in ids.items() if not v}
        yield {"second": second.id, "admin": admin.id, "demo_admin": demo_admin.id, "names": names,
               "phones": phones, "ids": ids, "tags": tags, "staff": staff[0], "months": months}


#: a URL's argument -> the demo hotel's table its ids come from
ARGUMENT_TABLES = {
    "alert_id": "alerts", "batch_id": "checkin_batches", "channel_id": "alert_channels",
    "clearance_id": "clearances", "compensation_id": "compensations", "employee_id": "employees",
    "handover_id": "handovers", "item_id": ("stock_items", "loan_items", "checklist_items"),
    "job_id": "print_jobs", "line_id": "clearance_lines", "loan_id": "loans", "printer_id": "printers",
    "purchase_id": "purchases", "reprint_id": "tag_reprints", "stocktake_id": "stocktakes",
    "tablet_id": "tablets", "type_id": "garment_types", "user_id": "users", "write_off_id": "write_offs",
    "transfer_id": "transfers", "transfer_line_id": "transfer_lines",
}


def _urls(app, group, methods: set[str]):
    """(method, url) of every route, with the demo hotel's ids, tags and months."""
    ids, tags = group["ids"], group["tags"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not (rule.methods & methods):
            continue
        choices: dict[str, list] = {}
        for name in rule.arguments:
            if name in ARGUMENT_TABLES:
                tables = ARGUMENT_TABLES[name]
                tables = tables if isinstance(tables, tuple) else (tables,)
                # A table the demo left empty: an id nobody has, so the route is still asked.
                choices[name] = [i for table in tables for i in ids[table]][:4] or [1]
            elif name in ("tag", "code"):
                choices[name] = tags[:2] + (["opening", "closing", "ironing"] if name == "code" else [])
            elif name == "month":
                choices[name] = group["months"][-2:] or ["2026-11"]
            elif name == "fmt":
                choices[name] = ["csv", "xlsx"]
            else:  # kind, station, key, name: the route's own words
                choices[name] = {"kind": ["employees"], "station": ["checkin"], "key": ["x" * 16],
                                 "name": ["checkin"]}[name]
        combos = [{}]
        for name, values in choices.items():
            combos = [dict(combo, **{name: value}) for combo in combos for value in values]
        for values in combos:
            with app.test_request_context():
                url = app.url_for(rule.endpoint, **values)
            for method in sorted(rule.methods & methods):
                yield method, rule.endpoint, url


def _form(group) -> dict:
    """What a form could name of the demo hotel: its garments, people, loans, operators."""
    ids = group["ids"]
    return {"code": group["tags"][0], "tag": group["tags"][0], "employee_id": ids["employees"][0],
            "staff_no": group["staff"], "loan_id": ids["loans"][0], "user_id": group["demo_admin"],
            "approver_id": group["demo_admin"], "supervisor_id": group["demo_admin"],
            "counter_id": group["demo_admin"], "item_id": ids["stock_items"][0], "printer_id": ids["printers"][0],
            "receipt_printer_id": ids["printers"][0], "tag_printer_id": ids["printers"][0],
            "type_id": ids["garment_types"][0], "quantity": "1", "pin": "9999", "department": "客房部",
            "q": group["staff"], "badge": "DEMO-BADGE", "confirm": "1", "yes": "1"}


def _sign_in_at_second(client, group) -> None:
    client.post("/login/property", data={"property_id": group["second"]})
    response = client.post("/login", data={"user_id": group["admin"], "pin": PIN})
    assert response.status_code == 302, response.get_data(as_text=True)


def _leaks(body: str, group) -> list[str]:
    return [marker for marker in group["names"] + group["phones"] if marker in body]


def test_an_operator_of_one_hotel_reaches_nothing_of_the_other_by_any_route(app, group):
    client = app.test_client()
    _sign_in_at_second(client, group)
    home = client.get("/").get_data(as_text=True)
    assert "乙店管理员" in home
    with app.app_context():
        before = _snapshot(1)
    search = "?" + "&".join(f"{k}={v}" for k, v in {"code": group["tags"][0], "q": group["staff"],
                                                  "month": group["months"][-1] if group["months"] else "2026-11",
                                                  "staff_no": group["staff"]}.items())
    asked, leaks, errors = 0, [], []
    for method, endpoint, url in _urls(app, group, {"GET"}):
        if endpoint in ("auth.logout", "main.service_worker"):
            continue
        for full in (url, url + search):
            answer = client.get(full, headers={"X-Kiosk-Background": "1"})
            asked += 1
            body = answer.get_data(as_text=True) if answer.mimetype.startswith(("text/", "application/json")) else ""
            if answer.status_code >= 500:
                errors.append((full, answer.status_code))
            found = _leaks(body, group)
            if found:
                leaks.append((full, found[:3]))
    form = _form(group)
    for method, endpoint, url in _urls(app, group, {"POST"}):
        if endpoint in ("auth.logout", "auth.login_pin", "auth.login_badge", "auth.choose_property",
                        "operators.change_pin", "auth.language"):
            continue  # the walk's own sign-in stays as it is
        for headers in ({}, {"HX-Request": "true", "HX-Target": "scan-result"}):
            answer = client.post(url, data=form, headers={**headers, "X-Kiosk-Background": "1"})
            asked += 1
            if answer.status_code >= 500:
                errors.append((url, answer.status_code))
            found = _leaks(answer.get_data(as_text=True), group)
            if found:
                leaks.append((url, found[:3]))
    assert asked > 300
    assert errors == []
    assert leaks == []
    with app.app_context():
        after = _snapshot(1)
        changed = [table for table in before if before[table] != after[table]]
        assert changed == []
        assert _pointing_across(group["second"]) == []
    # Still signed in at 乙店 after the walk (it never signed itself out): the walk was asked as its admin.
    assert "乙店管理员" in client.get("/").get_data(as_text=True)


def test_the_other_hotels_own_administrator_sees_what_the_walk_looked_for(app, group):
    """The presence behind the absence: the demo hotel's admin, on the same pages, sees its names."""
    client = app.test_client()
    client.post("/login/property", data={"property_id": 1})
    response = client.post("/login", data={"user_id": group["demo_admin"], "pin": "9999"})
    assert response.status_code == 302, response.get_data(as_text=True)
    seen = set()
    for employee_id in group["ids"]["employees"]:
        page = client.get(f"/registry/employees/{employee_id}/edit")
        assert page.status_code == 200
        seen.update(_leaks(page.get_data(as_text=True), group))
    assert seen
    loans = client.get("/loans/").get_data(as_text=True)
    assert _leaks(loans, group)


def test_a_group_browser_signs_in_only_at_the_hotel_it_chose_and_lists_only_its_operators(app, group):
    client = app.test_client()
    choose = client.get("/login")
    assert choose.status_code == 200 and "乙店" in choose.get_data(as_text=True)
    assert "乙店管理员" not in choose.get_data(as_text=True)  # no hotel chosen yet: nobody listed
    client.post("/login/property", data={"property_id": group["second"]})
    tiles = client.get("/login").get_data(as_text=True)
    assert "乙店管理员" in tiles and ">管理员<" not in tiles
    # The demo hotel's administrator, with the right PIN, is not an operator here.
    refused = client.post("/login", data={"user_id": group["demo_admin"], "pin": "9999"})
    assert refused.status_code == 200 and "/login" in client.get("/").headers.get("Location", "/login")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PropertyMember)
                                 .where(PropertyMember.user_id == group["demo_admin"],
                                        PropertyMember.property_id == group["second"])) == 0
