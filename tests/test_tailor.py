"""Tailor (裁缝间) station: send out, receive back, days out (issue 3, station 4)."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Event, Garment, utcnow
from kiosk.tailor import services

from .scans import HX, events, garment, garment_status, scan_result, text_of


def at_tailor_tags(body: str) -> list[str]:
    return re.findall(r'data-at-tailor="([^"]+)"', body)


def scan(client, code, mode="send", defects=(), key=None, headers=HX):
    data = {"code": code, "mode": mode, "defects": list(defects)}
    if key:
        data["request_key"] = key
    return client.post("/tailor/scan", data=data, headers=headers)


@pytest.fixture
def room(make):
    owner = make.employee("张三", uniform_no="1023")
    gtype = make.garment_type("JK", name_zh="西装", name_en="Jacket")
    make.garment("T-INSP", garment_type=gtype, owner=owner, status="inspection")
    make.garment("T-STOCK", garment_type=gtype, owner=owner, defects="damage")
    make.garment("T-ISSUED", garment_type=gtype, owner=owner, status="issued")
    make.garment("T-AWAY", garment_type=gtype, owner=owner, status="at_tailor",
                 defects="missing_button")
    db.session.commit()
    return gtype


def test_tailor_page_has_both_modes_the_scan_field_and_the_list(client, login_as, room):
    login_as("clerk")
    body = text_of(client.get("/tailor/"))
    assert "<html" in body
    assert 'data-testid="scan"' in body and 'action="/tailor/scan"' in body
    assert re.search(r'form="scan-form" name="mode" value="send" data-testid="mode-send"\s+checked', body)
    assert 'data-testid="mode-receive"' in body
    assert at_tailor_tags(body) == ["T-AWAY"]


def test_tailor_page_opens_in_receive_mode_on_request(client, login_as, room):
    login_as("clerk")
    body = text_of(client.get("/tailor/?mode=receive"))
    assert re.search(r'value="receive" data-testid="mode-receive"\s+checked', body)


def test_send_out_from_inspection_with_a_chosen_defect(client, login_as, room):
    login_as("clerk")
    body = text_of(scan(client, "t-insp", defects=["damage"]))
    assert scan_result(body) == "ok"
    assert garment_status(body) == "at_tailor"
    g = garment("T-INSP")
    assert g.status == "at_tailor" and g.defects == "damage"
    # The list of garments at the tailor is refreshed out of band.
    oob = re.search(r'id="tailor-list" hx-swap-oob="true">(.*?)</section>', body, re.S).group(1)
    assert sorted(at_tailor_tags(oob)) == ["T-AWAY", "T-INSP"]


def test_send_out_from_stock_defaults_to_the_flagged_defects(client, login_as, room):
    login_as("clerk")
    body = text_of(scan(client, "T-STOCK"))
    assert scan_result(body) == "ok"
    g = garment("T-STOCK")
    assert g.status == "at_tailor"
    event = db.session.scalar(select(Event).where(Event.garment_id == g.id).order_by(Event.id.desc()).limit(1))
    assert event.action == "to_tailor" and event.defects == "damage"


def test_send_out_without_any_defect_asks_for_it_with_the_defect_chips(client, login_as, room):
    login_as("clerk")
    client.post("/language", data={"lang": "en"})
    before = events()
    body = text_of(scan(client, "T-INSP"))
    # A question, not a refusal: no red, no error tone (scan.js sounds only ok, duplicate and error).
    assert scan_result(body) == "prompt" and "result-error" not in body and "Not done" not in body
    assert garment_status(body) == "inspection"
    assert "What must the tailor mend? Choose it below, then send." in body
    assert 'data-testid="defect-damage"' in body and 'data-testid="send-with-defect"' in body
    key = re.search(r'name="request_key" value="([0-9a-f]+)"', body).group(1)
    assert events() == before
    assert garment("T-INSP").status == "inspection"
    # Choosing the defect in the answer and tapping send lands it, once.
    assert scan_result(text_of(scan(client, "T-INSP", defects=["stain"], key=key))) == "ok"
    assert scan_result(text_of(scan(client, "T-INSP", defects=["stain"], key=key))) == "duplicate"
    assert events() == before + 1


def test_send_out_of_a_garment_with_its_owner_is_refused_with_where_it_is(client, login_as, room):
    login_as("clerk")
    client.post("/language", data={"lang": "en"})
    before = events()
    body = text_of(scan(client, "T-ISSUED", defects=["damage"]))
    assert scan_result(body) == "error"
    assert garment_status(body) == "issued"
    assert "it is with its owner" in body
    assert 'data-testid="send-with-defect"' not in body
    assert events() == before


def test_send_out_of_a_garment_with_its_owner_and_no_defect_says_where_it_is_not_which_defect(client, login_as, room):
    login_as("clerk")
    client.post("/language", data={"lang": "en"})
    body = text_of(scan(client, "T-ISSUED"))
    assert "it is with its owner" in body
    assert 'data-testid="send-with-defect"' not in body


def test_receive_back_puts_it_on_the_inspection_table_and_counts_the_repair(client, login_as, room):
    login_as("clerk")
    client.post("/language", data={"lang": "en"})
    body = text_of(scan(client, "T-AWAY", mode="receive"))
    assert scan_result(body) == "ok"
    assert garment_status(body) == "inspection"
    assert "Mended 1 times" in body
    assert 'data-testid="next-step"' in body
    g = garment("T-AWAY")
    assert g.status == "inspection" and g.repair_count == 1
    oob = re.search(r'id="tailor-list" hx-swap-oob="true">(.*?)</section>', body, re.S).group(1)
    assert at_tailor_tags(oob) == []


def test_receive_back_of_a_garment_not_at_the_tailor_is_refused(client, login_as, room):
    login_as("clerk")
    before = events()
    body = text_of(scan(client, "T-INSP", mode="receive"))
    assert scan_result(body) == "error"
    assert garment_status(body) == "inspection"
    assert events() == before


def test_unknown_code_is_not_ours(client, login_as, room):
    login_as("clerk")
    client.post("/language", data={"lang": "en"})
    body = text_of(scan(client, "NOPE", defects=["damage"]))
    assert scan_result(body) == "error"
    assert "not one of our uniforms" in body


def test_the_same_tag_again_within_the_window_is_a_duplicate(client, login_as, room):
    login_as("clerk")
    scan(client, "T-INSP", defects=["damage"])
    before = events()
    body = text_of(scan(client, "T-INSP", defects=["damage"]))
    assert scan_result(body) == "duplicate"
    assert events() == before


def test_scan_without_htmx_answers_with_the_full_page(client, login_as, room):
    login_as("clerk")
    body = text_of(scan(client, "T-AWAY", mode="receive", headers={}))
    assert "<html" in body
    assert scan_result(body) == "ok"
    assert 'hx-swap-oob="true"' not in body
    assert at_tailor_tags(body) == []


def test_undo_brings_a_received_garment_back_to_the_tailor(client, login_as, room):
    login_as("clerk")
    scan(client, "T-AWAY", mode="receive")
    before = events()
    body = text_of(client.post("/tailor/undo", headers=HX))
    assert scan_result(body) == "ok"
    assert garment_status(body) == "at_tailor"
    g = garment("T-AWAY")
    assert g.status == "at_tailor" and g.repair_count == 0
    assert events() == before + 1


def test_undo_without_htmx_answers_with_the_full_page(client, login_as, room):
    login_as("clerk")
    body = text_of(client.post("/tailor/undo"))
    assert "<html" in body
    assert scan_result(body) == "error"


def test_ironer_may_not_open_the_tailor_station(client, login_as):
    login_as("ironer")
    assert client.get("/tailor/").status_code == 403


@pytest.mark.parametrize("path", ["/tailor/scan", "/tailor/undo"])
def test_ironer_may_not_post_to_the_tailor(client, login_as, room, path):
    login_as("ironer")
    before = events()
    response = client.post(path, data={"code": "T-AWAY", "mode": "receive"}, headers=HX)
    assert response.status_code == 403
    assert events() == before


# --- days out -----------------------------------------------------------------

def _out_since(tag: str, days: float) -> None:
    garment(tag).status_since = utcnow() - dt.timedelta(days=days)


def test_at_tailor_lists_days_out_longest_first(ctx, make, room):
    now = utcnow()
    old = make.garment("T-OLD", garment_type=room, status="at_tailor")
    new = make.garment("T-NEW", garment_type=room, status="at_tailor")
    away = db.session.scalar(select(Garment).where(Garment.tag == "T-AWAY"))
    old.status_since = now - dt.timedelta(days=5, hours=2)
    new.status_since = now - dt.timedelta(hours=3)
    away.status_since = now - dt.timedelta(days=2)
    db.session.flush()
    rows = services.at_tailor(db.session, now)
    assert [(g.tag, days) for g, days, _overdue in rows] == [("T-OLD", 5), ("T-AWAY", 2), ("T-NEW", 0)]
    assert rows[0].garment.tag == "T-OLD" and rows[0].days_out == 5


def test_the_list_highlights_garments_out_longer_than_the_limit(client, login_as, room, app):
    app.config["KIOSK_TAILOR_DAYS"] = 3
    login_as("clerk")
    _out_since("T-AWAY", 4.5)
    db.session.commit()
    body = text_of(client.get("/tailor/"))
    row = re.search(r'<tr data-at-tailor="T-AWAY"[^>]*>', body).group(0)
    assert 'data-days-out="4"' in row and "tailor-overdue" in row
    app.config["KIOSK_TAILOR_DAYS"] = 5
    row = re.search(r'<tr data-at-tailor="T-AWAY"[^>]*>', text_of(client.get("/tailor/"))).group(0)
    assert "tailor-overdue" not in row


@pytest.mark.parametrize("days_out", [3.5, 3.01, 2.99, 4.5])
def test_today_and_the_tailor_list_agree_on_what_is_over_the_limit(client, login_as, room, app, days_out):
    app.config["KIOSK_TAILOR_DAYS"] = 3
    login_as("supervisor")
    _out_since("T-AWAY", days_out)
    db.session.commit()
    row = re.search(r'<tr data-at-tailor="T-AWAY"[^>]*>', text_of(client.get("/tailor/"))).group(0)
    on_the_list = "tailor-overdue" in row
    board = text_of(client.get("/today/"))
    on_today = "T-AWAY" in board.split('id="tailor"')[1].split("</section>")[0]
    assert on_the_list == on_today == (days_out > 3)


def test_the_list_shows_what_to_mend(client, login_as, room):
    login_as("clerk")
    client.post("/language", data={"lang": "en"})
    body = text_of(client.get("/tailor/"))
    assert "Missing button" in body
