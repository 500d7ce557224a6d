"""A hotel group's own view: each hotel's day and month side by side, and moving between hotels.

Two hotels with the same numbers (工号, 制服编号, department, type code), each with its own
garments and a write-off; a group supervisor reads both, moves between them, and downloads the
side-by-side table; a hotel's supervisor may do none of it.
"""
from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from kiosk import scope
from kiosk.extensions import db
from kiosk.i18n import hotel_month
from kiosk.models import Employee, Garment, Property, utcnow
from kiosk.properties import services as properties
from kiosk.reports.services import read_loss_report
from tests.conftest import FAST_HASH, Factory, login


@pytest.fixture
def two_hotels(app):
    """甲店 (property 1) with 3 garments, 乙店 with 5; the same staff number and type code in both."""
    from kiosk.auth.services import create_user

    with app.app_context():
        first = db.session.get(Property, 1)
        properties.change_property(db.session, first, code="JIA", name="甲店")
        second = properties.add_property(db.session, "YI", "乙店")
        made = {}
        garment_type = Factory().garment_type("SH", unit_cost=100)  # the group's catalogue: one type
        for record, count in ((first, 3), (second, 5)):
            with scope.within(db.session, record.id):
                make = Factory()
                person = make.employee(f"{record.name}员工", staff_no="0001", uniform_no="U01",
                                       department=make.department("客房部"))
                for n in range(count):
                    make.garment(f"{record.code}-{n:03d}", garment_type=garment_type, owner=person, status="issued")
                made[record.id] = create_user(db.session, f"{record.name}领班", "supervisor", "2580",
                                              hash_method=FAST_HASH).id
        boss = create_user(db.session, "集团主管", "group_supervisor", "2580", hash_method=FAST_HASH)
        db.session.commit()
        yield {"first": first.id, "second": second.id, "boss": boss.id, "supervisors": made}


def _sign_in(client, user_id, property_id):
    client.post("/login/property", data={"property_id": property_id})
    response = login(client, user_id)
    assert response.status_code == 302, response.get_data(as_text=True)


def test_the_same_numbers_live_side_by_side_in_two_hotels(app, two_hotels):
    with app.app_context(), scope.every_property(db.session):
        rows = db.session.execute(select(Employee.property_id, Employee.staff_no, Employee.uniform_no)
                                  .order_by(Employee.property_id)).all()
        assert rows == [(two_hotels["first"], "0001", "U01"), (two_hotels["second"], "0001", "U01")]
        assert {g.property_id for g in db.session.scalars(select(Garment))} == {two_hotels["first"],
                                                                                  two_hotels["second"]}


def test_a_group_supervisor_sees_every_hotel_today_and_moves_to_another(app, client, two_hotels):
    _sign_in(client, two_hotels["boss"], two_hotels["first"])
    home = client.get("/").get_data(as_text=True)
    assert 'data-station="group.index"' in home and "甲店" in home
    page = client.get("/group/").get_data(as_text=True)
    counts = dict(re.findall(r'<tr data-property="(\w+)"[^>]*>.*?<td>(\d+)</td>', page, re.S))
    assert counts == {"JIA": "3", "YI": "5"}
    # Working at 甲店: its registry; then at 乙店, that one's.
    assert "甲店员工" in client.get("/registry/employees").get_data(as_text=True)
    moved = client.post("/group/move", data={"property_id": two_hotels["second"]})
    assert moved.status_code == 302
    listing = client.get("/registry/employees").get_data(as_text=True)
    assert "乙店员工" in listing and "甲店员工" not in listing
    assert 'data-testid="property-name">乙店<' in client.get("/").get_data(as_text=True)


def test_the_month_side_by_side_is_each_hotels_own_report_and_their_sum(app, client, two_hotels):
    _sign_in(client, two_hotels["boss"], two_hotels["first"])
    month = hotel_month()
    page = client.get(f"/group/report?month={month}").get_data(as_text=True)
    with app.app_context():
        own = {}
        for property_id in (two_hotels["first"], two_hotels["second"]):
            with scope.within(db.session, property_id):
                own[property_id] = read_loss_report(db.session, month, zone="Asia/Shanghai", now=utcnow())
    for code, property_id in (("JIA", two_hotels["first"]), ("YI", two_hotels["second"])):
        row = re.search(rf'<tr data-property="{code}">(.*?)</tr>', page, re.S).group(1)
        closing = re.search(r'data-figure="closing">(\d+)', row).group(1)
        assert int(closing) == own[property_id].closing.count
    total = re.search(r'<tr data-property="total">(.*?)</tr>', page, re.S).group(1)
    assert int(re.search(r'data-figure="closing">(\d+)', total).group(1)) == 8
    assert int(re.search(r'data-figure="purchased">(\d+)', total).group(1)) == sum(
        r.purchased.count for r in own.values()) == 8

    sheet = client.get(f"/group/report.csv?month={month}")
    assert sheet.status_code == 200 and sheet.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(sheet.get_data(as_text=True).lstrip("\ufeff"))))
    by_name = {row[0]: row for row in rows[2:]}
    assert set(by_name) == {"甲店", "乙店", "Group total"}
    closing_at = rows[1].index("Closing stock")
    assert [by_name[n][closing_at] for n in ("甲店", "乙店", "Group total")] == ["3", "5", "8"]

    book = load_workbook(io.BytesIO(client.get(f"/group/report.xlsx?month={month}").data))
    values = [[cell.value for cell in row] for row in book.active.iter_rows()]
    assert [row[0] for row in values[1:]] == ["甲店", "乙店", "Group total"]
    assert [row[closing_at] for row in values[1:]] == [3, 5, 8]


def test_a_hotels_supervisor_sees_no_group_screen_and_cannot_move(app, client, two_hotels):
    _sign_in(client, two_hotels["supervisors"][two_hotels["first"]], two_hotels["first"])
    assert client.get("/group/").status_code == 403
    assert client.get("/group/report").status_code == 403
    assert client.post("/group/move", data={"property_id": two_hotels["second"]}).status_code == 403
    listing = client.get("/registry/employees").get_data(as_text=True)
    assert "甲店员工" in listing and "乙店员工" not in listing


def test_a_hotels_supervisor_is_not_listed_at_the_other_hotel_but_the_group_supervisor_is(app, client, two_hotels):
    client.post("/login/property", data={"property_id": two_hotels["second"]})
    tiles = client.get("/login").get_data(as_text=True)
    assert "乙店领班" in tiles and "集团主管" in tiles and "甲店领班" not in tiles


def test_a_hotels_new_tags_begin_with_its_code_and_never_repeat_one_of_the_group(app, two_hotels):
    from kiosk.registry.services import next_auto_tags

    with app.app_context():
        with scope.within(db.session, two_hotels["second"]):
            assert next_auto_tags(db.session, "SH", 2) == ["YI-SH-000001", "YI-SH-000002"]
        # A garment with 乙店's tag that now belongs to 甲店 (moved there) still counts as used.
        with scope.within(db.session, two_hotels["first"]):
            Factory().garment("YI-SH-000007")
            db.session.flush()
        with scope.within(db.session, two_hotels["second"]):
            assert next_auto_tags(db.session, "SH", 1) == ["YI-SH-000008"]
        db.session.rollback()


def test_an_import_or_a_registration_never_takes_a_tag_of_another_hotel(app, two_hotels, runner):
    """A tag is one garment's in the group: 乙店 importing 甲店's tag is told so by row and column,
    and nothing is written; registering it by hand is refused the same way."""
    import pathlib
    import tempfile

    from kiosk.registry.services import FieldErrors, register_batch

    with tempfile.TemporaryDirectory() as folder:
        sheet = pathlib.Path(folder) / "garments.csv"
        sheet.write_text("tag,type,size,staff_no,purchased_on,cost\nJIA-000,SH,M,,2026-01-01,100\n"
                         "YI-NEW-1,SH,M,,2026-01-01,100\n", encoding="utf-8")
        result = runner.invoke(args=["kiosk", "--property", "YI", "import", "garments", str(sheet)])
    assert result.exit_code != 0
    assert "row 2, tag: Tag JIA-000 is a garment of another hotel of the group" in result.output
    with app.app_context(), scope.every_property(db.session):
        assert db.session.scalar(select(Garment.property_id).where(Garment.tag == "JIA-000")) == two_hotels["first"]
        assert db.session.scalar(select(Garment.id).where(Garment.tag == "YI-NEW-1")) is None
    with app.app_context(), scope.within(db.session, two_hotels["second"]):
        garment_type = db.session.scalar(select(Garment).limit(1)).garment_type
        with pytest.raises(FieldErrors) as refused:
            register_batch(db.session, garment_type=garment_type, tag="JIA-000", count=1)
        assert [(e.field, e.params) for e in refused.value.errors] == [("tag", {"tag": "JIA-000"})]


def test_each_hotel_has_its_own_settings_else_the_servers(app, client, runner, two_hotels):
    """乙店 allows the tailor 7 days (the server says 3): a garment out for 5 days is late at 甲店
    only. A bad value is refused with the reason and changes nothing; an empty one goes back."""
    import datetime as dt

    from sqlalchemy import update

    from kiosk.models import utcnow

    assert runner.invoke(args=["kiosk", "property", "set", "YI", "--tailor-days", "7"]).exit_code == 0
    refused = runner.invoke(args=["kiosk", "property", "set", "YI", "--tailor-days", "0", "--depreciation", "x"])
    assert refused.exit_code != 0 and "KIOSK_TAILOR_DAYS must be a whole number from 1 to 365" in refused.output
    bad_table = runner.invoke(args=["kiosk", "property", "set", "YI", "--depreciation", "lots"])
    assert bad_table.exit_code != 0 and "depreciation table lots cannot be read" in bad_table.output
    with app.app_context():
        assert db.session.get(Property, two_hotels["second"]).tailor_days == 7
        with scope.every_property(db.session):  # (as if each had gone to the tailor five days ago)
            db.session.execute(update(Garment).where(Garment.tag.in_(["JIA-000", "YI-000"]))
                               .values(status="at_tailor", status_since=utcnow() - dt.timedelta(days=5))
                               .execution_options(synchronize_session=False))
        db.session.commit()
        with scope.within(db.session, two_hotels["first"]):
            assert properties.setting(db.session, app.config, "KIOSK_TAILOR_DAYS") == app.config["KIOSK_TAILOR_DAYS"] == 3
        with scope.within(db.session, two_hotels["second"]):
            assert properties.setting(db.session, app.config, "KIOSK_TAILOR_DAYS") == 7
    _sign_in(client, two_hotels["boss"], two_hotels["first"])
    page = client.get("/group/").get_data(as_text=True)
    late = dict(re.findall(r'<tr data-property="(\w+)"[^>]*>(?:.*?<td>){4}(\d+) / 1</td>', page, re.S))
    assert late == {"JIA": "1", "YI": "0"}
    assert runner.invoke(args=["kiosk", "property", "set", "YI", "--tailor-days", ""]).exit_code == 0
    with app.app_context():
        assert db.session.get(Property, two_hotels["second"]).tailor_days is None


def test_each_hotel_sets_its_own_price_of_the_groups_garment_types(app, client, two_hotels):
    """The types are one catalogue; 乙店's supervisor sets its shirt at 150 (the catalogue's 100):
    乙店's screens and its new garments cost 150, 甲店's stay at 100."""
    from decimal import Decimal

    from kiosk.models import GarmentType
    from kiosk.registry.services import register_batch

    with app.app_context():
        shirt = db.session.scalar(select(GarmentType).where(GarmentType.code == "SH"))
        shirt_id = shirt.id
        form = {"code": "SH", "name_zh": shirt.name_zh, "name_en": shirt.name_en, "unit_cost": "150",
                "entitlement": str(shirt.entitlement), "expected_washes": str(shirt.expected_washes), "active": "y"}
    _sign_in(client, two_hotels["supervisors"][two_hotels["second"]], two_hotels["second"])
    assert 'value="100.00"' in client.get(f"/registry/types/{shirt_id}/edit").get_data(as_text=True)
    saved = client.post(f"/registry/types/{shirt_id}/edit", data=form)
    assert saved.status_code in (200, 302), saved.get_data(as_text=True)
    assert "¥150.00" in client.get("/registry/types").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(GarmentType, shirt_id).unit_cost == Decimal("100.00")  # the catalogue's stays
        costs = {}
        for property_id in (two_hotels["first"], two_hotels["second"]):
            with scope.within(db.session, property_id):
                garment_type = db.session.get(GarmentType, shirt_id)
                costs[property_id] = register_batch(db.session, garment_type=garment_type, count=1)[0].cost
        assert costs == {two_hotels["first"]: Decimal("100.00"), two_hotels["second"]: Decimal("150.00")}
        db.session.rollback()
    client.post("/logout")
    _sign_in(client, two_hotels["supervisors"][two_hotels["first"]], two_hotels["first"])
    listing = client.get("/registry/types").get_data(as_text=True)
    assert "¥100.00" in listing and "¥150.00" not in listing
