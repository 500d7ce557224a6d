"""Money (kiosk.domain.money, kiosk.forms.MoneyField): one parser, one message, one plain form.

The parser is checked on its own, then through every door an amount comes in
by: the garment type and garment forms, a purchase, a compensation correction,
a CSV import (named by row and column); the settings in tests/test_config.py.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kiosk.auth.services import Policy
from kiosk.domain.money import MAX_AMOUNT, BadAmount, parse_amount, plain
from kiosk.extensions import db
from kiosk.imports.services import import_csv
from kiosk.models import Garment, GarmentType
from kiosk.purchases.models import Purchase
from kiosk.writeoffs import services as writeoffs
from kiosk.writeoffs.models import CompensationCorrection
from tests.conftest import FAST_HASH

#: the one message, in English (the test app's language)
MESSAGE = "Enter an amount in yuan from 0.00 to 999,999.99 with at most two decimal places, e.g. 80.00."
HX = {"HX-Request": "true"}

GOOD = [
    ("12", "12.00"), ("12.5", "12.50"), ("12.50", "12.50"), (".5", "0.50"), ("12.", "12.00"),
    ("12.500", "12.50"),                          # a cell formatted with three decimals
    ("0", "0.00"), ("999999.99", "999999.99"),
    ("¥120.00", "120.00"), ("￥120", "120.00"), ("¥ 120", "120.00"),
    ("120元", "120.00"), ("RMB 88.8", "88.80"), ("cny88.8", "88.80"),
    ("1,200", "1200.00"), ("1,200.50元", "1200.50"), ("123,456.78", "123456.78"),
    ("１２０．５", "120.50"), ("１，２００", "1200.00"),  # a Chinese IME in full-width mode
    ("  80  ", "80.00"), ("\u300080", "80.00"), ("80\t", "80.00"),  # white space around it
    ("\u200b12", "12.00"),  # an invisible mark copied from a web page, around it
]

BAD = [
    "", " ", "abc", "-5", "-0.01", "¥-5", "-¥5", "−5",  # negatives, also with U+2212
    "12.345", "1.005", "0.001",                        # a fraction of a fen: refused, never rounded
    "NaN", "nan", "Infinity", "inf", "-Infinity", "1e3", "1E+3",
    "1000000", "1000000.00", "9999999999.99", "1" * 39,  # absurd
    "1,20", "12,34.5", "1 200", "1.2.3", "12..5", ".", "¥", "元", "¥¥12", "12元元", "٣٠",
    "1\t2", "1\x002", "1\u200b2", "12\n3",             # control and invisible characters inside
    "12.5" + " " * 40,                                # longer than any amount
]


@pytest.mark.parametrize("raw, expected", GOOD)
def test_what_clerks_type_and_excel_writes_is_read_to_the_fen(raw, expected):
    assert parse_amount(raw) == Decimal(expected)
    assert str(parse_amount(raw)) == expected


@pytest.mark.parametrize("raw", BAD)
def test_everything_else_gets_the_one_message(raw):
    with pytest.raises(BadAmount) as refused:
        parse_amount(raw)
    assert str(refused.value) == MESSAGE


def test_numbers_given_as_numbers_follow_the_same_rules():
    assert parse_amount(Decimal("120.1")) == Decimal("120.10")
    assert parse_amount(7) == Decimal("7.00")
    for bad in (Decimal("NaN"), Decimal("Infinity"), Decimal("1.005"), -1, True, None, 1.5, 10 ** 40):
        with pytest.raises(BadAmount):
            parse_amount(bad)


def test_a_caller_may_widen_or_narrow_the_bounds_and_the_message_names_them():
    assert parse_amount("-5", minimum=Decimal("-100")) == Decimal("-5.00")
    with pytest.raises(BadAmount) as refused:
        parse_amount("101", maximum=Decimal("100"))
    assert str(refused.value) == ("Enter an amount in yuan from 0.00 to 100.00 with at most two decimal places, "
                                  "e.g. 80.00.")
    assert parse_amount("100", maximum=Decimal("100")) == Decimal("100.00")
    assert MAX_AMOUNT == parse_amount("999,999.99")


def test_the_plain_form_for_files_has_two_decimals_no_symbol_no_grouping():
    assert [plain(v) for v in (Decimal("1200.5"), Decimal("0"), 7, Decimal("-3.456"))] == \
        ["1200.50", "0.00", "7.00", "-3.46"]


def test_the_money_filter_formats_for_the_reader_and_plain_for_files(app):
    from flask_babel import force_locale

    from kiosk.i18n import money

    with app.test_request_context():
        with force_locale("en"):
            assert money(Decimal("1200.5")) == "CN¥1,200.50"
        with force_locale("zh_CN"):
            assert money(Decimal("1200.5")) == "¥1,200.50"
        assert money(None) == ""
    assert plain(Decimal("1200.5")) == "1200.50"


# --- every door an amount comes in by ---------------------------------------------

def _type_form(**changes) -> dict:
    return {"code": "SH1", "name_zh": "衬衫", "name_en": "Shirt", "unit_cost": "85.5", "entitlement": "3",
            "expected_washes": "120", "active": "y", **changes}


@pytest.mark.parametrize("raw", ["-1", "1.234", "NaN", "1000000", "abc"])
def test_the_garment_type_form_shows_the_message_under_the_field_and_keeps_what_was_typed(
        client, login_as, ctx, raw):
    login_as("admin")
    body = client.post("/registry/types/new", data=_type_form(unit_cost=raw), headers=HX).get_data(as_text=True)
    field = re.search(r'<div class="field has-error" data-field="unit_cost">.*?</div>', body, re.S).group(0)
    assert MESSAGE in field and f'value="{raw}"' in field
    assert db.session.scalar(select(func.count(GarmentType.id))) == 0


def test_the_garment_type_form_takes_what_a_clerk_types(client, login_as, ctx):
    login_as("admin")
    assert client.post("/registry/types/new", data=_type_form(unit_cost="¥1,200.5")).status_code == 302
    assert db.session.scalar(select(GarmentType.unit_cost)) == Decimal("1200.50")
    edit = client.get(f"/registry/types/{db.session.scalar(select(GarmentType.id))}/edit").get_data(as_text=True)
    assert 'value="1200.50"' in edit  # shown back in the plain form


def test_the_garment_form_refuses_a_bad_cost_and_takes_an_empty_one(client, login_as, make):
    gtype = make.garment_type("SH", unit_cost=Decimal("120.00"))
    db.session.commit()
    login_as("admin")
    data = {"type_id": gtype.id, "tag": "", "staff_no": "", "size": "M", "purchased_on": "", "cost": "12.345"}
    body = client.post("/registry/garments/new", data=data, headers=HX).get_data(as_text=True)
    assert MESSAGE in body
    assert db.session.scalar(select(func.count(Garment.id))) == 0
    assert client.post("/registry/garments/new", data={**data, "cost": ""}).status_code in (200, 302)
    assert db.session.scalar(select(Garment.cost)) == Decimal("120.00")  # empty: the type's unit cost


def test_a_purchase_refuses_a_bad_price_with_the_message(client, login_as, make):
    gtype = make.garment_type("SH")
    db.session.commit()
    login_as("supervisor")
    form = {"type_id": str(gtype.id), "size": "M", "quantity": "2", "unit_price": "98.505", "supplier": "华美",
            "purchased_on": "2026-01-05", "staff_no": "", "note": "", "request_key": uuid.uuid4().hex}
    assert MESSAGE in client.post("/purchases/new", data=form, headers=HX).get_data(as_text=True)
    assert db.session.scalar(select(func.count(Purchase.id))) == 0
    client.post("/purchases/new", data={**form, "unit_price": "￥98.50"})
    assert db.session.scalar(select(Purchase.unit_price)) == Decimal("98.50")


def test_a_compensation_correction_refuses_a_bad_amount_with_the_message(client, login_as, make, app):
    boss = make.user("王领班", role="supervisor", pin="7531")
    garment = make.garment(tag="SH-000001", owner=make.employee("张堃", staff_no="E777"), cost=Decimal("120.00"))
    rules = writeoffs.Rules()
    write_off = writeoffs.open_write_off(db.session, garment, reason="lost", responsible="employee", user=boss,
                                         rules=rules, staff_no="E777", today=dt.date.today())
    writeoffs.approve(db.session, write_off, approver=boss, pin="7531", policy=Policy(hash_method=FAST_HASH))
    db.session.commit()
    comp_id = write_off.compensation.id
    login_as("supervisor")
    for raw in ("-1", "1.234", "1e2", "1000000"):
        response = client.post(f"/writeoffs/compensations/{comp_id}/correct",
                               data={"status": "paid", "amount": raw, "reason": "x"})
        assert MESSAGE in response.get_data(as_text=True), raw
    assert db.session.scalar(select(func.count(CompensationCorrection.id))) == 0
    client.post(f"/writeoffs/compensations/{comp_id}/correct", data={"status": "paid", "amount": "50元", "reason": "x"})
    assert db.session.scalar(select(CompensationCorrection.amount)) == Decimal("50.00")


def test_an_import_names_the_row_and_the_column_of_each_bad_amount(ctx):
    data = ("代码,中文名,单价,配发数量,预计洗涤次数\r\n"
            "SHIRT,衬衫,-1,2,100\r\n"
            "PANTS,裤子,12.345,2,100\r\n"
            "VEST,马甲,1000000,1,100\r\n"
            "TIE,领带,¥20,1,100\r\n").encode("utf-8")
    result = import_csv(db.session, "types", data)
    db.session.rollback()
    assert [(p.row, p.column, p.translated(lambda m, **kw: m % kw)) for p in result.problems] == [
        (2, "单价", MESSAGE), (3, "单价", MESSAGE), (4, "单价", MESSAGE)]
    garments = "标签,品类,单价\r\nG-1,TIE,NaN\r\n".encode("utf-8")
    result = import_csv(db.session, "garments", garments)
    assert [(p.row, p.column, p.translated(lambda m, **kw: m % kw)) for p in result.problems
            if p.column == "单价"] == [(2, "单价", MESSAGE)]
