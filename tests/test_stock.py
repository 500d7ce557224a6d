"""Stock items, the purchase list and the monthly distribution (kiosk.stock)."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.stock import services
from kiosk.stock.models import DistributionLine, DistributionRun, StockItem, StockMovement


def _item(code="SOCK", size="", on_hand=10, reorder=0, allowance=0, kind="socks", name_zh="袜子", name_en="Socks"):
    item = StockItem(code=code, name_zh=name_zh, name_en=name_en, kind=kind, size=size,
                     quantity_on_hand=on_hand, reorder_level=reorder, monthly_allowance=allowance)
    db.session.add(item)
    db.session.flush()
    return item


def _on_hand(app, item_id):
    with app.app_context():
        return db.session.get(StockItem, item_id).quantity_on_hand


def _movements(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StockMovement))


@pytest.fixture
def socks(app, make):
    item = _item(on_hand=10, reorder=5, allowance=2)
    db.session.commit()
    return item.id


@pytest.fixture
def shoes(app, make):
    ids = {size: _item("SHOE", size, on_hand=3, kind="shoes", name_zh="工作鞋", name_en="Work shoes").id
           for size in ("38", "39")}
    db.session.commit()
    return ids


# --- receive / issue / adjust -----------------------------------------------

def test_receiving_a_delivery_raises_stock_and_writes_a_movement(app, client, login_as, socks):
    login_as("clerk")
    response = client.post("/stock/receive", data={"item_id": socks, "quantity": "24", "note": "供应商A",
                                                   "request_key": "k1"})
    assert response.status_code == 200
    assert "now 34 on hand" in response.get_data(as_text=True)
    assert _on_hand(app, socks) == 34 and _movements(app) == 1


def test_receiving_the_same_form_twice_writes_once(app, client, login_as, socks):
    login_as("clerk")
    for _ in range(2):
        response = client.post("/stock/receive", data={"item_id": socks, "quantity": "5", "request_key": "same"},
                               headers={"HX-Request": "true"})
    assert 'data-stock-result="duplicate"' in response.get_data(as_text=True)
    assert _on_hand(app, socks) == 15 and _movements(app) == 1


def test_issuing_to_an_employee_takes_their_size_and_copies_their_department(app, client, login_as, make, shoes):
    person = make.employee("李娜", staff_no="S100", size="39")
    db.session.commit()
    login_as("clerk")
    response = client.post("/stock/issue", data={"who": "S100", "code": "SHOE", "quantity": "1", "request_key": "i1"},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert 'data-stock-result="ok"' in html and "李娜" in html
    assert _on_hand(app, shoes["39"]) == 2 and _on_hand(app, shoes["38"]) == 3
    with app.app_context():
        movement = db.session.scalar(select(StockMovement))
        assert (movement.reason, movement.delta, movement.employee_id) == ("issued", -1, person.id)
        assert movement.department_id == person.department_id


def test_issuing_more_socks_than_on_hand_is_refused_with_the_numbers_and_nothing_changes(
        app, client, login_as, make, socks):
    make.employee("王芳", staff_no="S200")
    db.session.commit()
    login_as("clerk")
    response = client.post("/stock/issue", data={"who": "S200", "code": "SOCK", "quantity": "11", "request_key": "i2"},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-stock-result="error"' in html
    assert "10 on hand, 11 needed" in html
    assert _on_hand(app, socks) == 10 and _movements(app) == 0


def test_issuing_to_nobody_known_is_refused(app, client, login_as, socks):
    login_as("clerk")
    response = client.post("/stock/issue", data={"who": "NOPE", "code": "SOCK", "quantity": "1"})
    assert "Nobody matches" in response.get_data(as_text=True)
    assert _movements(app) == 0


def test_a_supervisor_adjusts_with_a_reason(app, client, login_as, socks):
    login_as("supervisor")
    assert 'data-testid="adjust-form"' in client.get("/stock/").get_data(as_text=True)
    response = client.post("/stock/adjust", data={"item_id": socks, "delta": "-3", "reason": "盘点少3双",
                                                  "request_key": "a1"})
    assert "now 7 on hand" in response.get_data(as_text=True)
    with app.app_context():
        movement = db.session.scalar(select(StockMovement))
        assert (movement.reason, movement.delta, movement.note, movement.balance) == ("adjusted", -3, "盘点少3双", 7)


def test_an_adjustment_without_a_reason_is_refused_and_nothing_changes(app, client, login_as, socks):
    login_as("supervisor")
    response = client.post("/stock/adjust", data={"item_id": socks, "delta": "-3", "reason": "  "})
    assert "Give the reason" in response.get_data(as_text=True)
    assert _on_hand(app, socks) == 10 and _movements(app) == 0


def test_an_adjustment_below_zero_is_refused(app, client, login_as, socks):
    login_as("supervisor")
    response = client.post("/stock/adjust", data={"item_id": socks, "delta": "-11", "reason": "x"})
    assert "10 on hand, 11 needed" in response.get_data(as_text=True)
    assert _on_hand(app, socks) == 10 and _movements(app) == 0


@pytest.mark.parametrize("quantity", ["0", "-2", "abc", ""])
def test_a_bad_quantity_is_refused(app, client, login_as, socks, quantity):
    login_as("clerk")
    response = client.post("/stock/receive", data={"item_id": socks, "quantity": quantity})
    assert 'data-stock-result="error"' in response.get_data(as_text=True)
    assert _on_hand(app, socks) == 10 and _movements(app) == 0


def _marked(html: str) -> dict[str, str]:
    """The fields a re-rendered form marks, with the message under each."""
    return dict(re.findall(r'class="field has-error" data-field="(\w+)">.*?<span class="error" role="alert">([^<]+)',
                           html, re.S))


@pytest.mark.parametrize("url, form, field, message", [
    ("/stock/receive", {"quantity": "0"}, "quantity", "Quantity: Enter a whole number from 1 to 100,000."),
    ("/stock/receive", {"quantity": "two"}, "quantity", "Quantity: Enter a whole number from 1 to 100,000."),
    ("/stock/receive", {"quantity": "100001"}, "quantity", "Quantity: Enter a whole number from 1 to 100,000."),
    ("/stock/receive", {"item_id": "999"}, "item_id", "Choose an item."),  # a stale or tampered page
    ("/stock/adjust", {"delta": "0"}, "delta", "An adjustment must change the quantity."),
    ("/stock/adjust", {"reason": " "}, "reason", "Give the reason for the adjustment."),
    ("/stock/issue", {"code": "NOPE"}, "code", "Choose an item."),
    ("/stock/issue", {"quantity": "1.5"}, "quantity", "Quantity: Enter a whole number from 1 to 100,000."),
])
def test_each_form_marks_the_bad_field_with_its_message_and_changes_nothing(
        app, client, login_as, make, socks, url, form, field, message):
    make.employee("王芳", staff_no="S300")
    db.session.commit()
    login_as("supervisor")
    data = {"item_id": socks, "quantity": "2", "delta": "-1", "reason": "盘点", "who": "S300", "code": "SOCK",
            **form}
    response = client.post(url, data=data, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-stock-result="error"' in html  # swapped in by htmx
    assert _marked(html) == {field: message}
    assert _on_hand(app, socks) == 10 and _movements(app) == 0


def _form_html(html: str, testid: str) -> str:
    return re.search(rf'<form [^>]*data-testid="{testid}".*?</form>', html, re.S).group(0)


@pytest.mark.parametrize("url, data, sent, others", [
    ("/stock/receive", {"quantity": "0"}, "receive-form", ("issue-form", "adjust-form")),
    ("/stock/issue", {"who": "S300", "code": "SOCK", "quantity": "0"}, "issue-form", ("receive-form", "adjust-form")),
    ("/stock/adjust", {"delta": "0", "reason": "盘点"}, "adjust-form", ("receive-form", "issue-form")),
    ("/stock/receive", {"quantity": "3"}, "receive-form", ("issue-form", "adjust-form")),  # the answer, too
])
def test_a_forms_answer_stays_in_that_form(app, client, login_as, make, socks, url, data, sent, others):
    make.employee("王芳", staff_no="S300")
    db.session.commit()
    login_as("supervisor")
    html = client.post(url, data={"item_id": socks, **data}, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert html.count('data-testid="stock-message"') == 1
    assert 'data-testid="stock-message"' in _form_html(html, sent)
    for other in others:  # the other forms: no message, no marked field, nothing of what was typed
        form = _form_html(html, other)
        assert 'data-testid="stock-message"' not in form and "has-error" not in form
        assert not re.search(r'name="quantity"[^>]*value="[^"1]', form)


def test_an_issue_without_a_quantity_is_one(app, client, login_as, make, socks):
    make.employee("王芳", staff_no="S301")
    db.session.commit()
    login_as("clerk")
    response = client.post("/stock/issue", data={"who": "S301", "code": "SOCK", "request_key": "one-1"})
    assert 'data-stock-result="ok"' in response.get_data(as_text=True)
    assert _on_hand(app, socks) == 9


def test_full_width_numbers_from_an_ime_are_numbers(app, client, login_as, socks):
    login_as("supervisor")
    client.post("/stock/receive", data={"item_id": socks, "quantity": "５", "request_key": "fw1"})
    client.post("/stock/adjust", data={"item_id": socks, "delta": "－２", "reason": "盘点", "request_key": "fw2"})
    assert _on_hand(app, socks) == 13 and _movements(app) == 2


def test_a_clerk_cannot_adjust_and_does_not_see_the_form(app, client, login_as, socks):
    login_as("clerk")
    assert client.post("/stock/adjust", data={"item_id": socks, "delta": "5", "reason": "x"}).status_code == 403
    page = client.get("/stock/")
    body = page.get_data(as_text=True)
    # The clerk has the stock page with the socks on it, only not the form.
    assert page.status_code == 200 and 'data-testid="stock-table"' in body and 'data-item="SOCK"' in body
    assert 'data-testid="adjust-form"' not in body
    assert _on_hand(app, socks) == 10 and _movements(app) == 0


def test_the_stock_list_highlights_low_stock_as_page_and_fragment(app, client, login_as, make):
    _item("HAIR", on_hand=3, reorder=5, kind="hair_accessory", name_zh="头花", name_en="Hair accessory")
    _item("HANGER", on_hand=50, reorder=5, kind="consumable", name_zh="衣架", name_en="Hangers")
    db.session.commit()
    login_as("clerk")
    page = client.get("/stock/").get_data(as_text=True)
    assert "<html" in page and 'class="stock-low" data-item="HAIR"' in page
    assert 'class="" data-item="HANGER"' in page
    fragment = client.get("/stock/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'id="stock-panel"' in fragment


def test_an_ironer_cannot_open_stock(client, login_as):
    login_as("ironer")
    assert client.get("/stock/").status_code == 403


# --- purchase list (采购计划) ------------------------------------------------

@pytest.fixture
def low_and_fine(app, make):
    _item("HAIR", on_hand=3, reorder=5, kind="hair_accessory", name_zh="头花", name_en="Hair accessory")
    _item("DET", on_hand=6, reorder=6, kind="consumable", name_zh="洗衣液", name_en="Detergent")
    _item("HANGER", on_hand=50, reorder=5, kind="consumable", name_zh="衣架", name_en="Hangers")
    _item("MISC", on_hand=0, reorder=0, kind="consumable", name_zh="杂项", name_en="Misc")
    db.session.commit()


def test_the_purchase_list_orders_up_to_twice_the_reorder_level(app, client, login_as, low_and_fine):
    login_as("clerk")
    html = client.get("/stock/purchase").get_data(as_text=True)
    to_order = dict(re.findall(r'data-item="(\w+)" data-size="" data-to-order="(\d+)"', html))
    assert to_order == {"HAIR": "7", "DET": "6"}  # 2*5-3, 2*6-6; items above or without a level are not listed


def test_the_purchase_list_exports_as_csv_with_a_bom_and_chinese(app, client, login_as, low_and_fine):
    login_as("clerk")
    response = client.get("/stock/purchase.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf")
    rows = body.decode("utf-8-sig").splitlines()
    assert rows[0] == "Code,Chinese name,English name,Size,On hand,Reorder level,To order"
    assert "HAIR,头花,Hair accessory,,3,5,7" in rows and len(rows) == 3


def test_the_purchase_list_prints_a_slip_once_per_request(app, client, login_as, low_and_fine):
    from kiosk.models import PrintJob
    from kiosk.printing.services import document_of

    login_as("clerk")
    for _ in range(2):
        response = client.post("/stock/purchase/print", data={"request_key": "p1"}, headers={"HX-Request": "true"})
        assert "sent to the printer" in response.get_data(as_text=True)
    with app.app_context():
        jobs = db.session.scalars(select(PrintJob)).all()
        assert len(jobs) == 1 and jobs[0].kind == "purchase"
        texts = [getattr(el, "text", "") for el in document_of(jobs[0]).elements]
        assert any("Hair accessory" in t and "3 → +7" in t for t in texts)  # the reader's language (en in tests)


# --- monthly distribution (每月鞋袜分发) --------------------------------------

@pytest.fixture
def staff(app, make, socks):
    people = {
        "a": make.employee("甲", staff_no="A1"),
        "b": make.employee("乙", staff_no="B1"),
        "c": make.employee("丙", staff_no="C1"),
        "left": make.employee("离职", staff_no="L1", active=False),
    }
    db.session.commit()
    return {key: person.id for key, person in people.items()}


def _open(client, month="2026-05"):
    return client.post("/stock/distribution/open", data={"month": month})


def test_opening_a_run_lists_active_employees_only_with_what_they_are_due(app, client, login_as, staff, socks):
    login_as("supervisor")
    assert _open(client).status_code == 302
    assert _open(client).status_code == 302  # opening again is the same run
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DistributionRun)) == 1
        lines = db.session.scalars(select(DistributionLine)).all()
        assert sorted(line.employee_id for line in lines) == sorted([staff["a"], staff["b"], staff["c"]])
        assert {(line.item_id, line.quantity) for line in lines} == {(socks, 2)}
    html = client.get("/stock/distribution/2026-05").get_data(as_text=True)
    assert "Not collected: 3 of 3" in html and "离职" not in html


def test_a_bad_month_is_refused_and_no_run_is_opened(app, client, login_as, staff):
    login_as("supervisor")
    assert "YYYY-MM" in _open(client, "2026-13").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DistributionRun)) == 0


def test_collecting_reduces_stock_and_twice_is_a_duplicate(app, client, login_as, staff, socks):
    login_as("supervisor")
    _open(client)
    login_as("clerk")
    first = client.post("/stock/distribution/2026-05/collect", data={"code": "A1"}, headers={"HX-Request": "true"})
    html = first.get_data(as_text=True)
    assert 'data-scan-result="ok"' in html and 'hx-swap-oob="true"' in html
    assert "Not collected: 2 of 3" in html
    second = client.post("/stock/distribution/2026-05/collect", data={"employee_id": staff["a"]},
                         headers={"HX-Request": "true"})
    assert 'data-scan-result="duplicate"' in second.get_data(as_text=True)  # tapped: already collected
    third = client.post("/stock/distribution/2026-05/collect", data={"confirm_id": staff["a"]},
                        headers={"HX-Request": "true"})
    assert 'data-scan-result="duplicate"' in third.get_data(as_text=True)
    assert _on_hand(app, socks) == 8 and _movements(app) == 1


def _collect(client, data):
    return client.post("/stock/distribution/2026-05/collect", data=data, headers={"HX-Request": "true"}) \
        .get_data(as_text=True)


def test_a_tapped_name_asks_once_to_confirm_and_the_second_tap_collects(app, client, login_as, staff, socks):
    login_as("supervisor")
    _open(client)
    login_as("clerk")
    asked = _collect(client, {"employee_id": staff["a"]})
    assert 'data-scan-result="prompt"' in asked and 'data-run-answer="confirm"' in asked
    assert "Tap again to confirm" in asked
    # The same tile now carries the confirmation (the second tap), and so does the answer's button.
    tile = re.search(r'<li data-staff-no="A1" data-confirm="1">\s*<button[^>]*>', asked).group(0)
    assert f'name="confirm_id" value="{staff["a"]}"' in tile
    assert 'data-testid="confirm-collect"' in asked
    assert _on_hand(app, socks) == 10 and _movements(app) == 0  # a tap alone moves nothing
    done = _collect(client, {"confirm_id": staff["a"]})
    assert 'data-scan-result="ok"' in done and "Not collected: 2 of 3" in done
    assert _on_hand(app, socks) == 8 and _movements(app) == 1
    # A badge scan (or staff no.) ticks at once, without asking; a name typed is asked like a tapped one.
    assert 'data-scan-result="ok"' in _collect(client, {"code": "B1"})
    assert _on_hand(app, socks) == 6
    typed = _collect(client, {"code": "丙"})
    assert 'data-run-answer="confirm"' in typed and 'data-staff-no="C1" data-confirm="1"' in typed
    assert _on_hand(app, socks) == 6
    for nothing in ("", "   ", "A\x00"):
        assert 'data-scan-result="error"' in _collect(client, {"code": nothing})
    assert _on_hand(app, socks) == 6


def test_a_tick_of_this_shift_is_undone_by_a_movement_back(app, client, login_as, staff, socks):
    login_as("supervisor")
    _open(client)
    login_as("clerk")
    ticked = _collect(client, {"code": "A1"})
    form = re.search(r'<li data-staff-no="A1">.*?name="movements" value="([\d,]+)"', ticked, re.S)
    assert form, "the tick of this shift offers its undo"
    undone = client.post("/stock/distribution/2026-05/undo", data={"employee_id": staff["a"],
                                                                    "movements": form.group(1)},
                         headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-run-answer="undone"' in undone and "Not collected: 3 of 3" in undone
    assert _on_hand(app, socks) == 10
    with app.app_context():  # a movement back, never a delete
        moves = db.session.scalars(select(StockMovement).order_by(StockMovement.id)).all()
        assert [(m.reason, m.delta, m.note) for m in moves] == [
            ("distributed", -2, "2026-05"), ("returned", 2, "distribution undone 2026-05")]
    # The run's page lists the undone tick; undoing the same tick again moves nothing.
    page = client.get("/stock/distribution/2026-05").get_data(as_text=True)
    assert re.search(r'data-testid="undone-ticks".*data-staff-no="A1"', page, re.S)
    again = client.post("/stock/distribution/2026-05/undo", data={"employee_id": staff["a"],
                                                                   "movements": form.group(1)},
                        headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-run-answer="undo_duplicate"' in again and _movements(app) == 2
    # Ticked again, the person collects again (a new tick, with its own undo).
    assert 'data-scan-result="ok"' in _collect(client, {"code": "A1"}) and _on_hand(app, socks) == 8


def test_the_tap_and_the_undo_answer_a_page_without_javascript_too(app, client, login_as, staff, socks):
    login_as("supervisor")
    _open(client)
    login_as("clerk")
    asked = client.post("/stock/distribution/2026-05/collect", data={"employee_id": staff["a"]}).get_data(as_text=True)
    assert "<html" in asked and 'data-run-answer="confirm"' in asked and 'data-confirm="1"' in asked
    done = client.post("/stock/distribution/2026-05/collect", data={"confirm_id": staff["a"]}).get_data(as_text=True)
    assert "<html" in done and 'data-scan-result="ok"' in done
    movements = re.search(r'name="movements" value="([\d,]+)"', done).group(1)
    undone = client.post("/stock/distribution/2026-05/undo",
                         data={"employee_id": staff["a"], "movements": movements}).get_data(as_text=True)
    assert "<html" in undone and 'data-run-answer="undone"' in undone and _on_hand(app, socks) == 10


def test_only_a_tick_of_this_shift_by_its_clerk_or_a_supervisor_can_be_undone(app, client, login_as, staff, socks):
    login_as("supervisor")
    _open(client)
    login_as("clerk")
    ticked = _collect(client, {"code": "A1"})
    movements = re.search(r'name="movements" value="([\d,]+)"', ticked).group(1)
    login_as("clerk")  # another clerk: no undo offered, and refused if sent
    assert 'data-testid="undo-collect"' not in client.get("/stock/distribution/2026-05").get_data(as_text=True)
    refused = client.post("/stock/distribution/2026-05/undo", data={"employee_id": staff["a"], "movements": movements},
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-scan-result="error"' in refused and _on_hand(app, socks) == 8
    login_as("supervisor")
    with app.app_context():  # ticked a shift ago (KIOSK_SESSION_HOURS): not even a supervisor undoes it now
        line = db.session.scalar(select(DistributionLine).where(DistributionLine.employee_id == staff["a"]))
        ticked_at, line.collected_at = line.collected_at, line.collected_at - dt.timedelta(hours=13)
        db.session.commit()
    refused = client.post("/stock/distribution/2026-05/undo", data={"employee_id": staff["a"], "movements": movements},
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-scan-result="error"' in refused and _on_hand(app, socks) == 8
    with app.app_context():
        db.session.get(DistributionLine, line.id).collected_at = ticked_at
        db.session.commit()
    done = client.post("/stock/distribution/2026-05/undo", data={"employee_id": staff["a"], "movements": movements},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-run-answer="undone"' in done and _on_hand(app, socks) == 10


def test_someone_not_collecting_shows_in_the_not_collected_list(app, client, login_as, staff):
    login_as("supervisor")
    _open(client)
    login_as("clerk")
    client.post("/stock/distribution/2026-05/collect", data={"code": "A1"})
    client.post("/stock/distribution/2026-05/collect", data={"code": "B1"})
    html = client.get("/stock/distribution/2026-05").get_data(as_text=True)
    waiting = html.split('data-testid="not-collected"')[1].split("</ul>")[0]
    assert "Not collected: 1 of 3" in html
    assert 'data-staff-no="C1"' in waiting and 'data-staff-no="A1"' not in waiting


def test_collecting_without_enough_stock_writes_nothing_for_that_person(app, client, login_as, staff, socks):
    login_as("supervisor")
    _open(client)
    with app.app_context():
        db.session.get(StockItem, socks).quantity_on_hand = 1
        db.session.commit()
    login_as("clerk")
    html = client.post("/stock/distribution/2026-05/collect", data={"code": "A1"},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-scan-result="error"' in html and "1 on hand, 2 needed" in html
    assert _on_hand(app, socks) == 1 and _movements(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DistributionLine)
                                 .where(DistributionLine.collected_at.is_not(None))) == 0


def test_a_clerk_cannot_open_close_or_reopen_a_run(app, client, login_as, staff):
    login_as("clerk")
    assert _open(client).status_code == 403
    login_as("supervisor")
    _open(client)
    login_as("clerk")
    assert client.post("/stock/distribution/2026-05/close").status_code == 403
    login_as("supervisor")
    client.post("/stock/distribution/2026-05/close")
    login_as("clerk")
    assert client.post("/stock/distribution/2026-05/reopen").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(DistributionRun.status)) == "closed"


def test_a_closed_run_refuses_collection_until_a_supervisor_reopens_it(app, client, login_as, staff, socks):
    supervisor = login_as("supervisor")
    _open(client)
    assert client.post("/stock/distribution/2026-05/close").status_code == 302
    client.post("/stock/distribution/2026-05/close")  # closing twice changes nothing
    login_as("clerk")
    html = client.post("/stock/distribution/2026-05/collect", data={"code": "A1"}).get_data(as_text=True)
    assert "is closed" in html and _movements(app) == 0
    login_as("supervisor")
    client.post("/stock/distribution/2026-05/reopen")
    with app.app_context():
        run = db.session.scalar(select(DistributionRun))
        assert run.status == "open" and run.reopen_count == 1 and run.reopened_by_id != supervisor
        assert run.closed_at is not None
    login_as("clerk")
    html = client.post("/stock/distribution/2026-05/collect", data={"code": "A1"}).get_data(as_text=True)
    assert 'data-scan-result="ok"' in html and _on_hand(app, socks) == 8


def test_the_demo_stock_has_shoes_by_size_and_a_purchase_list(app, make):
    assert services.load_stock_demo(db.session) > 10
    db.session.commit()
    assert services.load_stock_demo(db.session) == 0
    sizes = db.session.scalars(select(StockItem.size).where(StockItem.code == "SHOE")).all()
    assert sorted(sizes) == [str(s) for s in range(36, 45)]
    assert services.purchase_list(db.session)
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == len(services.list_items(db.session))
