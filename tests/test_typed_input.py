"""Bad input at every form, as a clerk in Chinese meets it: a NUL, a control character, 1E+30, 30 digits.

Each POST endpoint with a text or number field is walked field by field (the
demo hotel gives every record a URL needs): the answer is a 200 or a 4xx that
names the field in Chinese, nothing in the database changes, and nothing is
ever a 500. A sweep then posts every field name the kiosk knows, all bad at
once, to every POST endpoint there is (new ones included): never a 500. On
SQLite and PostgreSQL (which refuses a NUL in text outright).
"""
from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from typing import Callable

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from kiosk.domain import typed
from kiosk.extensions import db
from kiosk.models import Employee, Garment, GarmentType, User
from kiosk.request_keys import new_key

NUL, CONTROL, EXPONENT, DIGITS = "王\x00芳", "王\x1b芳", "1E+30", "9" * 30
TEXT_VALUES = (NUL, CONTROL)
NUMBER_VALUES = (NUL, CONTROL, EXPONENT, DIGITS)
MONEY_MAX = "999,999.99"


@dataclass(frozen=True)
class Text:
    label: str  # the field's label msgid: the message must name it


@dataclass(frozen=True)
class Number:
    label: str
    minimum: int
    maximum: int


@dataclass(frozen=True)
class Money:
    label: str


@dataclass(frozen=True)
class Says:
    """A field without a label of its own (a scan, a "who is this"): the refusal that names it."""

    message: str


SCANNED = Says("The code scanned or typed holds a control character or an invisible one: scan it again.")
WHO = Says("The badge, staff no. or name holds a control character or an invisible one (pasted from "
           "another program?). Scan or type it again.")


@dataclass
class Endpoint:
    path: str | Callable[[], str]
    fields: dict[str, object]
    data: dict[str, str] | Callable[[], dict[str, str]] = field(default_factory=dict)

    def url(self) -> str:
        return self.path() if callable(self.path) else self.path

    def base(self) -> dict[str, str]:
        return self.data() if callable(self.data) else dict(self.data)


def _first(model, *where) -> int:
    found = db.session.scalar(select(model.id).where(*where).order_by(model.id).limit(1))
    assert found is not None, f"the demo has no {model.__name__} for this form"
    return found


def _models():
    from kiosk.loans.models import Loan
    from kiosk.stock.models import StockItem
    from kiosk.stocktake.models import Stocktake
    from kiosk.writeoffs.models import Compensation

    return Loan, StockItem, Stocktake, Compensation


def _endpoints() -> list[Endpoint]:
    from kiosk.checklists.models import ChecklistItem
    from kiosk.kits.models import KitLine

    Loan, StockItem, Stocktake, Compensation = _models()
    employee = {
        "staff_no": Text("Staff no."), "name": Text("Name"), "new_department": Text("Or a new department"),
        "position": Text("Position"), "phone": Text("Phone"), "uniform_no": Text("Uniform no."),
        "size": Text("Size"), "badge": Text("Badge"),
    }
    garment_type = {
        "code": Text("Code"), "name_zh": Text("Chinese name"), "name_en": Text("English name"),
        "unit_cost": Money("Unit cost (CNY)"), "entitlement": Number("Entitlement per person", 0, 99),
        "expected_washes": Number("Expected washes", 1, 100_000),
    }
    new_garments = {"staff_no": Text("Owner's staff no. (empty: spare pool)"),
                    "size": Text("Size (empty: the owner's size)"),
                    "cost": Money("Cost (empty: the type's unit cost)")}
    stock_item = lambda: {"item_id": str(_first(StockItem))}  # noqa: E731
    stock_item_fields = {
        "code": Text("Code"), "name_zh": Text("Chinese name"), "name_en": Text("English name"),
        "size": Text("Size (empty: one size)"), "unit_cost": Money("Unit cost (CNY)"),
        "reorder_level": Number("Reorder level", 0, 100_000), "monthly_allowance": Number("Monthly per person", 0, 99),
    }
    return [
        Endpoint("/checkin/batch", {"declared": Number("Declared count", 1, 10_000)}),
        Endpoint("/checkin/who", {"who": WHO}),
        Endpoint("/checkin/scan", {"code": SCANNED}),
        Endpoint("/handover/", {"note": Text("Note for the next clerk")}),
        Endpoint("/inspection/scan", {"code": SCANNED}),
        Endpoint("/inspection/act", {"code": SCANNED}, {"action": "rewash"}),
        Endpoint("/inspection/slot/scan", {"code": SCANNED}),
        Endpoint("/ironing/scan", {"code": SCANNED}),
        Endpoint("/ironing/flag", {"tag": SCANNED, "note": Text("Note (optional), then tap a defect")},
                 {"defect": "damage"}),
        Endpoint("/issue/employee", {"who": WHO}),
        Endpoint("/issue/kit/employee", {"who": WHO}),
        Endpoint("/issue/scan", {"code": SCANNED, "reason": Text("Note for a spare (optional)")},
                 lambda: {"employee_id": str(_first(Employee, Employee.active.is_(True)))}),
        Endpoint("/loans/open", {
            "employee_code": Text("Employee: badge, staff no. or name"), "name": Text("Name"),
            "phone": Text("Phone"), "organisation": Text("Department or organisation"), "note": Text("Note"),
            "approver": Text("Approved by (manager)"), "deposit": Text("Deposit (own garment taken in)"),
            "due": Text("Due back")}, {"reason": "event"}),
        Endpoint(lambda: f"/loans/{_first(Loan, Loan.closed_at.is_(None))}/scan", {"code": SCANNED}),
        Endpoint(lambda: f"/loans/{_first(Loan)}/contact", {"note": Text("Note")},
                 {"how": "phone", "outcome": "no_answer"}),
        Endpoint("/loans/return", {"code": SCANNED}),
        Endpoint("/operators/new", {"name": Text("Name"), "badge": Text("Badge")}),
        Endpoint(lambda: f"/operators/{_first(User, User.role == 'clerk')}/badge", {"badge": Text("Badge")}),
        Endpoint(lambda: f"/operators/{_first(User, User.role == 'clerk')}/employee",
                 {"staff_no": Text("Staff no.")}),
        Endpoint("/purchases/new", {
            "size": Text("Size"), "quantity": Number("Quantity", 1, 500), "unit_price": Money("Unit cost (CNY)"),
            "supplier": Text("Supplier"), "staff_no": Text("Owner's staff no. (empty: spare pool)"),
            "note": Text("Note")}),
        Endpoint("/registry/employees/new", employee),
        Endpoint(lambda: f"/registry/employees/{_first(Employee)}/edit", employee),
        Endpoint("/registry/types/new", garment_type),
        Endpoint(lambda: f"/registry/types/{_first(GarmentType)}/edit", garment_type),
        Endpoint("/registry/garments/new", {**new_garments, "tag": Text("Tag (empty: automatic)")},
                 lambda: {"type_id": str(_first(GarmentType))}),
        Endpoint("/registry/garments/batch", {**new_garments, "count": Number("How many", 1, 200)},
                 lambda: {"type_id": str(_first(GarmentType))}),
        Endpoint("/stock/receive", {"quantity": Number("Quantity", 1, 100_000),
                                    "note": Text("Note (supplier, delivery note no.)")}, stock_item),
        Endpoint("/stock/issue", {"who": Text("Employee (badge, staff no. or name)"),
                                  "size": Text("Size (empty: from the employee's record)"),
                                  "quantity": Number("Quantity", 1, 100_000), "note": Text("Note")},
                 {"code": "SOCK"}),
        Endpoint("/stock/adjust", {"delta": Number("Change (e.g. -2 or 5)", -100_000, 100_000),
                                   "reason": Text("Reason")}, stock_item),
        Endpoint(lambda: f"/stocktake/{_first(Stocktake, Stocktake.closed_at.is_(None))}/scan",
                 {"code": SCANNED}),
        Endpoint(lambda: f"/stocktake/{_first(Stocktake, Stocktake.closed_at.is_(None))}/items",
                 {"counted": Number("Counted", 0, 1_000_000)}, stock_item),
        Endpoint("/tailor/scan", {"code": SCANNED}),
        Endpoint("/writeoffs/new", {"staff_no": Text("Staff no. (employee)"),
                                    "borrower_name": Text("Borrower's name"), "note": Text("Note")},
                 lambda: {"reason": "damaged", "responsible": "unknown", "code": db.session.scalar(
                     select(Garment.tag).where(Garment.status == "in_stock").order_by(Garment.id).limit(1))}),
        Endpoint(lambda: f"/writeoffs/compensations/{_first(Compensation)}/correct",
                 {"amount": Money("Amount"), "reason": Text("Why")}, {"status": "waived"}),
        Endpoint("/checklists/items/counter_open", {"text": Text("Item, in the room's words"),
                                                    "text_en": Text("In English (optional)")}),
        Endpoint(lambda: f"/checklists/items/{_first(ChecklistItem, ChecklistItem.checklist == 'counter_close')}/edit",
                 {"text": Text("Item, in the room's words"), "text_en": Text("In English (optional)")}),
        Endpoint("/checklists/counter_open/", {"note": Text("Note (what you found, if anything)")}),
        Endpoint("/stock/items/new", stock_item_fields),
        Endpoint(lambda: f"/stock/items/{_first(StockItem)}/edit", stock_item_fields),
        Endpoint("/kits/set", {"position": Text("Position"), "quantity": Number("How many per person", 1, 20)},
                 lambda: {"position": db.session.scalar(select(KitLine.position).limit(1)),
                          "item": "sSOCK"}),
    ]


def _expected(spec, value: str) -> str:
    """What the answer must say (in the reader's language, zh_CN here) about ``value`` in the field:
    a control character is refused as such whatever the field; a number too large by its bounds."""
    if isinstance(spec, Says):
        return gettext(spec.message)
    if value in TEXT_VALUES:
        return typed.FieldRefused(spec.label, typed.BadText()).translated(gettext)
    if isinstance(spec, Money):
        from kiosk.domain.money import BadAmount

        return typed.FieldRefused(spec.label, BadAmount()).translated(gettext)
    if isinstance(spec, Number):
        return typed.FieldRefused(spec.label, typed.BadNumber(spec.minimum, spec.maximum)).translated(gettext)
    return typed.FieldRefused(spec.label, typed.BadText()).translated(gettext)


def _values(spec) -> tuple[str, ...]:
    return NUMBER_VALUES if isinstance(spec, (Number, Money)) else TEXT_VALUES


# Rows that a refused request may still touch: the sign-in's own bookkeeping.
_NOT_DATA = {"operator_sessions", "sign_in_throttle", "alembic_version"}


def _fingerprint(app) -> str:
    """Every table's row count and, for the tables forms edit in place, every row."""
    with app.app_context():
        tables = [t for t in db.metadata.sorted_tables if t.name not in _NOT_DATA]
        counts = db.session.execute(select(*(select(func.count()).select_from(t).scalar_subquery()
                                             for t in tables)))
        digest = hashlib.sha256(repr(tuple(counts.one())).encode())
        for name in ("employees", "garment_types", "users", "stock_items", "compensations", "write_offs",
                     "checklist_items", "departments", "hotel", "garments", "loans", "stocktakes"):
            table = db.metadata.tables[name]
            for row in db.session.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
        return digest.hexdigest()


@pytest.fixture
def hotel(app, demo_data):
    """The demo hotel in Chinese, counting its stock, its administrator signed in."""
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    client = app.test_client()
    with app.test_request_context():
        from kiosk.checklists import services as checklists
        from kiosk.checklists.models import ChecklistItem
        from kiosk.i18n import hotel_month
        from kiosk.stocktake.services import open_stocktake

        admin = db.session.scalar(select(User).where(User.role == "admin", User.active.is_(True)))
        open_stocktake(db.session, hotel_month(), user=admin)  # the count being taken this month
        # The stations without their opening checks (each asks its own before the first scan).
        checklists.seed_defaults(db.session)
        for item in db.session.scalars(select(ChecklistItem).where(
                ChecklistItem.checklist.in_((checklists.IRONING_OPEN, checklists.COUNTER_OPEN)))):
            item.active = False
        db.session.commit()
        admin_id = admin.id
        supervisor_id = db.session.scalar(select(User.id).where(User.role == "supervisor"))
        lost = db.session.scalar(select(Garment).where(Garment.status == "issued", Garment.owner_id.is_not(None))
                                 .order_by(Garment.id).limit(1))
        lost_tag, owner = lost.tag, lost.owner.staff_no
    assert client.post("/login", data={"user_id": admin_id, "pin": "9999"}).status_code == 302
    # A compensation to correct: a lost shirt charged to its owner, approved.
    assert client.post("/writeoffs/new", data={"code": lost_tag, "reason": "lost", "responsible": "employee",
                                              "staff_no": owner, "request_key": new_key()}).status_code == 302
    with app.app_context():
        from kiosk.writeoffs.models import WriteOff

        write_off_id = db.session.scalar(select(WriteOff.id).where(WriteOff.status == "pending"))
    client.post(f"/writeoffs/{write_off_id}/approve", data={"approver_id": supervisor_id, "pin": "3333"})
    return client


def _answer(client, url, data):
    # A refusal told on the page it leads back to (flashed) is followed there.
    response = client.post(url, data=data, headers={"HX-Request": "true"}, follow_redirects=True)
    return response.status_code, html.unescape(response.get_data(as_text=True))


def _cases(app) -> list[tuple[str, dict, str, str, str]]:
    """(url, data, field, value, what the answer must say), worked out before any request is sent."""
    cases = []
    with app.test_request_context(), force_locale("zh_CN"):
        for endpoint in _endpoints():
            url, base = endpoint.url(), endpoint.base()
            for name, spec in endpoint.fields.items():
                for value in _values(spec):
                    cases.append((url, base, name, value, _expected(spec, value)))
    return cases


def test_every_form_refuses_control_characters_and_absurd_numbers_naming_the_field(app, hotel):
    problems = []
    before = _fingerprint(app)
    for url, base, name, value, expected in _cases(app):
        status, body = _answer(hotel, url, {**base, name: value, "request_key": new_key()})
        where = f"{url} {name}={value!r}"
        if not 200 <= status < 500:
            problems.append(f"{where}: {status}")
        elif expected not in body:
            problems.append(f"{where}: {status}, not said: {expected}\n    {_said(body)}")
        now = _fingerprint(app)
        if now != before:
            problems.append(f"{where}: the database changed")
            before = now
    assert not problems, "\n".join(problems)


def _said(body: str) -> str:
    """The visible words of an answer, for a failure message."""
    return " ".join(re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S))
                    .split())[:400]


def _every_field_name() -> set[str]:
    """The names every form of the kiosk posts: the WTForms fields and the stations' own."""
    from flask_wtf import FlaskForm

    names = {"code", "who", "note", "reason", "tag", "defect", "employee_id", "batch_id", "user_id", "pin",
             "badge", "how", "outcome", "month", "location", "counter_id", "counter_pin", "supervisor_id",
             "supervisor_pin", "approver_id", "status", "mode", "station", "next", "item", "then", "step"}
    todo = list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        names |= {name for name in dir(cls) if getattr(getattr(cls, name, None), "field_class", None)}
    return names - {"request_key", "csrf_token", "file"}


# Signing out, and the first-run screen (public, and only for a hotel without operators).
_NOT_SWEPT = {"auth.logout", "auth.login_pin", "auth.login_badge", "hotel.setup_post", "auth.language"}


def test_no_post_anywhere_is_a_500_whatever_every_field_holds(app, hotel):
    """Commands without a typed field (deactivate, reprint) may do their work here: only the
    answer is looked at. What each typed field refuses is the test above."""
    names = sorted(_every_field_name())
    problems = []
    for value in NUMBER_VALUES:
        for rule in app.url_map.iter_rules():
            if "POST" not in rule.methods or rule.endpoint in _NOT_SWEPT:
                continue
            url = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) == "int" else "2026-01", rule.rule)
            status, body = _answer(hotel, url, {name: value for name in names})
            if status >= 500:
                problems.append(f"{url} {value!r}: {status} {_said(body)[:200]}")
    assert not problems, "\n".join(problems)


def test_an_id_too_large_for_the_database_in_an_address_or_a_form_is_nobody(app, client, login_as, make):
    make.employee("王芳", staff_no="S1")
    db.session.commit()
    login_as("supervisor")
    assert client.post(f"/loans/{DIGITS}/contact", data={"note": "x"}).status_code == 404
    assert client.get(f"/registry/employees/{DIGITS}/edit").status_code == 404
    assert client.get(f"/registry/employees/{typed.MAX_INTEGER}/edit").status_code == 404  # the largest id: none
    response = client.post("/issue/employee", data={"employee_id": DIGITS}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Identify the employee first" in html.unescape(response.get_data(as_text=True))
