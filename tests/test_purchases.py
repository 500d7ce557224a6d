"""New purchases (新购制服): receive, register with new tags, print them all."""
import datetime as dt
import json
import re
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kiosk.domain.money import BadAmount
from kiosk.extensions import db
from kiosk.ledger import REGISTER
from kiosk.models import Event, Garment, PrintJob
from kiosk.purchases import services
from kiosk.purchases.models import Purchase, PurchaseGarment
from kiosk.registry.services import FieldErrors

TODAY = dt.date.today()
BAD_AMOUNT = str(BadAmount())  # the one message for a bad amount, in English


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _counts():
    return tuple(_count(m) for m in (Purchase, PurchaseGarment, Garment, Event, PrintJob))


def _form(garment_type_id, /, **changes):
    form = {"type_id": str(garment_type_id), "size": "M", "quantity": "3", "unit_price": "98.50",
            "supplier": "华美制衣", "purchased_on": (TODAY - dt.timedelta(days=2)).isoformat(),
            "staff_no": "", "note": "", "request_key": uuid.uuid4().hex}
    form.update(changes)
    return form


@pytest.fixture
def shirt(app):
    with app.app_context():
        from tests.conftest import Factory

        garment_type = Factory().garment_type(code="SH", unit_cost=Decimal("120.00"))
        db.session.commit()
        return garment_type.id


def test_a_purchase_registers_its_garments_with_new_tags_cost_date_and_events(app, client, login_as, shirt):
    login_as("supervisor")
    form = _form(shirt, quantity="3")
    response = client.post("/purchases/new", data=form)
    assert response.status_code == 302
    with app.app_context():
        purchase = db.session.scalar(select(Purchase))
        assert response.headers["Location"].endswith(f"/purchases/{purchase.id}")
        assert (purchase.quantity, purchase.unit_price, purchase.supplier) == (3, Decimal("98.50"), "华美制衣")
        assert purchase.value == Decimal("295.50")
        garments = services.garments_of(db.session, purchase)
        assert [g.tag for g in garments] == ["SH-000001", "SH-000002", "SH-000003"]
        assert all(re.fullmatch(r"SH-\d{6}", g.tag) for g in garments)
        for garment in garments:
            assert garment.cost == Decimal("98.50") and isinstance(garment.cost, Decimal)
            assert garment.purchased_on == TODAY - dt.timedelta(days=2)
            assert (garment.size, garment.owner_id, garment.status) == ("M", None, "in_stock")
        events = db.session.scalars(select(Event).order_by(Event.id)).all()
        assert [(e.action, e.garment_id) for e in events] == [(REGISTER, g.id) for g in garments]
        links = db.session.scalars(select(PurchaseGarment).order_by(PurchaseGarment.position)).all()
        assert [(link.purchase_id, link.garment_id) for link in links] == [(purchase.id, g.id) for g in garments]
    page = client.get(f"/purchases/{purchase.id}").get_data(as_text=True)
    assert all(f'data-tag="SH-00000{n}"' in page for n in (1, 2, 3))
    assert 'data-testid="print-all-tags"' in page


def test_a_second_purchase_continues_the_tag_numbers_and_can_go_to_an_employee(app, client, login_as, shirt):
    login_as("supervisor")
    with app.app_context():
        from tests.conftest import Factory

        Factory().employee(staff_no="E77", size="L")
        db.session.commit()
    client.post("/purchases/new", data=_form(shirt, quantity="2"))
    client.post("/purchases/new", data=_form(shirt, quantity="1", size="", staff_no="e77"))
    with app.app_context():
        second = db.session.scalars(select(Purchase).order_by(Purchase.id)).all()[1]
        [garment] = services.garments_of(db.session, second)
        assert garment.tag == "SH-000003" and garment.owner.staff_no == "E77" and garment.size == "L"
        assert second.size == "L"


def _input(garment_type_id: int, **changes) -> services.PurchaseInput:
    values = dict(type_id=garment_type_id, size="M", quantity=3, unit_price=Decimal("98.50"), supplier="华美制衣",
                  purchased_on=TODAY - dt.timedelta(days=2))
    values.update(changes)
    return services.PurchaseInput(**values)


def test_a_large_purchase_is_registered_beyond_one_registry_batch(ctx, make):
    garment_type = make.garment_type(code="AP")
    data = services.check_purchase(db.session, _input(garment_type.id, quantity=250))
    received = services.receive_purchase(db.session, data, request_key=uuid.uuid4().hex, user=make.user())
    db.session.commit()
    tags = [g.tag for g in received.garments]
    assert len(tags) == len(set(tags)) == 250 and tags[-1] == "AP-000250"
    assert _count(PurchaseGarment) == 250


@pytest.mark.parametrize("field, value, message", [
    ("quantity", "0", "Quantity: Enter a whole number from 1 to 500."),
    ("quantity", "501", "Quantity: Enter a whole number from 1 to 500."),
    ("quantity", "two", "Quantity: Enter a whole number from 1 to 500."),
    ("unit_price", "-1", BAD_AMOUNT),
    ("unit_price", "1.005", BAD_AMOUNT),
    ("unit_price", "1000000", BAD_AMOUNT),
    ("supplier", "  ", "Enter the supplier."),
    ("purchased_on", (TODAY + dt.timedelta(days=2)).isoformat(), "The purchase date cannot be in the future."),
    ("type_id", "99999", "Choose a garment type."),
    ("staff_no", "NOBODY", "No employee has staff no. NOBODY."),
])
def test_bad_input_is_refused_with_a_reason_and_nothing_written(app, client, login_as, shirt,
                                                                field, value, message):
    login_as("supervisor")
    with app.app_context():
        before = _counts()
    response = client.post("/purchases/new", data=_form(shirt, **{field: value}), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="purchase-form"' in html and "<html" not in html  # the fragment, swapped in place
    assert message in html
    with app.app_context():
        assert _counts() == before


def test_a_repeated_request_lands_once(app, client, login_as, shirt):
    login_as("supervisor")
    form = _form(shirt, quantity="4")
    first = client.post("/purchases/new", data=form)
    again = client.post("/purchases/new", data=form, headers={"HX-Request": "true"})
    assert again.status_code == 204 and again.headers["HX-Redirect"] == first.headers["Location"]
    with app.app_context():
        assert (_count(Purchase), _count(Garment), _count(Event), _count(PurchaseGarment)) == (1, 4, 4, 4)


def test_print_all_tags_queues_one_job_per_garment_in_order_once(app, client, login_as, shirt):
    login_as("supervisor")
    client.post("/purchases/new", data=_form(shirt, quantity="3"))
    with app.app_context():
        purchase = db.session.scalar(select(Purchase))
        tags = [g.tag for g in services.garments_of(db.session, purchase)]
    key = uuid.uuid4().hex
    response = client.post(f"/purchases/{purchase.id}/tags", data={"request_key": key},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.headers["HX-Retarget"] == "#print-status"
    client.post(f"/purchases/{purchase.id}/tags", data={"request_key": key})  # a double tap
    with app.app_context():
        jobs = db.session.scalars(select(PrintJob).order_by(PrintJob.id)).all()
        assert [job.kind for job in jobs] == ["tag"] * 3
        assert [db.session.get(Garment, job.garment_id).tag for job in jobs] == tags
        assert all(tag in json.dumps(json.loads(job.document)) for job, tag in zip(jobs, tags))


def test_the_list_shows_purchases_by_month_with_totals(app, client, login_as, shirt):
    login_as("supervisor")
    last_month = TODAY.replace(day=1) - dt.timedelta(days=1)
    client.post("/purchases/new", data=_form(shirt, quantity="2", unit_price="10.00",
                                             purchased_on=last_month.isoformat()))
    client.post("/purchases/new", data=_form(shirt, quantity="3", unit_price="20.50",
                                             purchased_on=last_month.replace(day=1).isoformat()))
    client.post("/purchases/new", data=_form(shirt, quantity="1", unit_price="5.00", purchased_on=TODAY.isoformat()))
    with app.app_context():
        months = services.by_month(db.session)
    assert [(m.month, m.quantity, m.value) for m in months] == [
        (TODAY.strftime("%Y-%m"), 1, Decimal("5.00")),
        (last_month.strftime("%Y-%m"), 5, Decimal("81.50"))]
    page = client.get("/purchases/", query_string={"month": last_month.strftime("%Y-%m")}).get_data(as_text=True)
    assert f'data-month="{last_month.strftime("%Y-%m")}"' in page and page.count("data-purchase=") == 2
    assert "81.50" in page


def test_check_purchase_names_every_field_the_database_refuses_at_once(ctx, make):
    retired = make.garment_type(active=False)
    with pytest.raises(FieldErrors) as refused:
        services.check_purchase(db.session, _input(retired.id, size="", staff_no="NOBODY"))
    assert {e.field for e in refused.value.errors} == {"type_id", "staff_no", "size"}


def test_the_form_names_every_bad_field_at_once(app, client, login_as, shirt):
    login_as("supervisor")
    with app.app_context():
        before = _counts()
    html = client.post("/purchases/new", data=_form(shirt, quantity="0", supplier="", unit_price="x"),
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    marked = set(re.findall(r'class="field has-error" data-field="(\w+)"', html))
    assert marked == {"quantity", "supplier", "unit_price"}
    assert 'data-field="size"' in html  # the fields that were fine are there, unmarked
    with app.app_context():
        assert _counts() == before


@pytest.mark.parametrize("method, url", [
    ("get", "/purchases/"), ("get", "/purchases/new"), ("post", "/purchases/new"),
    ("get", "/purchases/1"), ("post", "/purchases/1/tags"),
])
def test_clerks_may_not_use_purchases(client, login_as, method, url):
    login_as("clerk")
    assert getattr(client, method)(url).status_code == 403


def test_pages_render_for_a_supervisor_full_and_as_fragment(client, login_as, shirt):
    login_as("supervisor")
    assert client.get("/purchases/").status_code == 200
    page = client.get("/purchases/new").get_data(as_text=True)
    assert 'method="post"' in page and 'name="csrf_token"' in page and 'hx-post="/purchases/new"' in page
    fragment = client.get("/purchases/new", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith("{#") is False and "<html" not in fragment
