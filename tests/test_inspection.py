"""Inspection (质检) and slotting (配入) stations (issue 3, stations 3 and slotting)."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from kiosk.domain.garment_states import Action
from kiosk.extensions import db
from kiosk.inspection import services
from kiosk.ledger import flag_defects, move
from kiosk.models import Event, TagReprint

from .scans import HX, events, garment, garment_status, scan_result, text_of

ALL_CHECKS = ["buttons", "hooks", "zippers"]


def reprints() -> int:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(TagReprint.__table__))


def request_key(body: str) -> str:
    return re.search(r'name="request_key" value="([0-9a-f]+)"', body).group(1)


@pytest.fixture
def table(make):
    """An owned shirt and a spare waiting for inspection, and one in stock."""
    owner = make.employee("张三", uniform_no="1023")
    shirt = make.garment_type("SH", name_zh="衬衫", name_en="Shirt", expected_washes=50)
    make.garment("INS-1", garment_type=shirt, owner=owner, size="M", status="inspection")
    make.garment("INS-SPARE", garment_type=shirt, size="L", status="inspection")
    make.garment("INS-STOCK", garment_type=shirt, owner=owner, status="in_stock")
    db.session.commit()
    return shirt


def act(client, code="INS-1", action="pass", checks=ALL_CHECKS, defects=(), key=None, headers=HX):
    data = {"code": code, "action": action, "checks": list(checks), "defects": list(defects)}
    if key:
        data["request_key"] = key
    return client.post("/inspection/act", data=data, headers=headers)


# --- the page ---------------------------------------------------------------

def test_inspection_page_has_the_scan_field_and_undo(client, login_as):
    login_as("clerk")
    body = text_of(client.get("/inspection/"))
    assert "<html" in body
    assert 'data-testid="scan"' in body
    assert 'action="/inspection/scan"' in body
    assert 'data-testid="undo"' in body


@pytest.mark.parametrize("path", ["/inspection/", "/inspection/slot"])
def test_ironer_may_not_open_inspection_or_slotting(client, login_as, path):
    login_as("ironer")
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/inspection/scan", "/inspection/act", "/inspection/undo",
                                  "/inspection/slot/scan", "/inspection/slot/undo"])
def test_ironer_may_not_post_to_inspection(client, login_as, table, path):
    login_as("ironer")
    before = events()
    assert client.post(path, data={"code": "INS-1", "action": "pass", "checks": ALL_CHECKS}).status_code == 403
    assert events() == before


# --- scan: show, do not move ------------------------------------------------

def test_scan_shows_the_garment_its_owner_counts_and_four_buttons_without_moving_it(client, login_as, table):
    login_as("clerk")
    before = events()
    response = client.post("/inspection/scan", data={"code": "ins-1"}, headers=HX)
    body = text_of(response)
    assert response.status_code == 200
    assert "<html" not in body and body.lstrip().startswith('<section id="scan-result"')
    assert scan_result(body) == "ok"
    assert garment_status(body) == "inspection"
    assert "张三" in body and "INS-1" in body
    assert 'data-testid="wash-count"' in body and 'data-testid="repair-count"' in body
    for action in ("pass", "rewash", "reiron", "tailor"):
        assert f'data-testid="act-{action}"' in body
    for check in ALL_CHECKS:
        assert f'data-testid="check-{check}"' in body
    assert 'data-testid="defect-faded_number"' in body
    assert 'action="/inspection/act"' in body and 'hx-post="/inspection/act"' in body
    assert request_key(body)
    assert events() == before
    assert garment("INS-1").status == "inspection"


def test_scan_without_htmx_answers_with_the_full_page(client, login_as, table):
    login_as("clerk")
    body = text_of(client.post("/inspection/scan", data={"code": "INS-1"}))
    assert "<html" in body
    assert scan_result(body) == "ok"
    assert 'data-testid="act-pass"' in body


def test_scan_shows_flagged_defects_with_their_labels(client, login_as, table):
    login_as("clerk")
    flag_defects(db.session, garment("INS-1"), "missing_button,stain", user=None, station="ironing")
    db.session.commit()
    body = text_of(client.post("/inspection/scan", data={"code": "INS-1"}, headers=HX))
    flagged = re.search(r'data-testid="flagged-defects">(.*?)</span>\s*</p>', body, re.S).group(1)
    assert 'data-defect="missing_button"' in flagged and 'data-defect="stain"' in flagged
    assert "缺扣" in flagged or "Missing button" in flagged
    # A flagged defect is not offered again as a chip to add.
    assert 'data-testid="defect-missing_button"' not in body


def test_scan_warns_due_for_retirement_when_the_expected_washes_are_reached(client, login_as, table, make):
    login_as("clerk")
    # 49 whole rounds and this one's wash: the shirt's 50 expected washes are reached.
    make.garment("INS-OLD", garment_type=table, status="inspection", washes=49)
    db.session.commit()
    assert garment("INS-OLD").wash_count == 50
    body = text_of(client.post("/inspection/scan", data={"code": "INS-OLD"}, headers=HX))
    assert 'data-testid="warning"' in body
    assert 'data-testid="warning"' not in text_of(client.post("/inspection/scan", data={"code": "INS-1"},
                                                              headers=HX))


def test_scan_of_a_garment_not_in_inspection_is_an_error_saying_where_it_is(client, login_as, table, app):
    login_as("clerk")
    client.post("/language", data={"lang": "en"})
    before = events()
    body = text_of(client.post("/inspection/scan", data={"code": "INS-STOCK"}, headers=HX))
    assert scan_result(body) == "error"
    assert garment_status(body) == "in_stock"
    assert "it is clean and in its slot" in body
    assert 'data-testid="act-pass"' not in body
    assert events() == before


def test_scan_of_an_unknown_code_is_refused_as_not_ours(client, login_as, table):
    login_as("clerk")
    client.post("/language", data={"lang": "en"})
    body = text_of(client.post("/inspection/scan", data={"code": "NOPE-1"}, headers=HX))
    assert scan_result(body) == "error"
    assert garment_status(body) is None
    assert "not one of our uniforms" in body


# --- act: pass ----------------------------------------------------------------

def test_pass_with_all_checks_puts_it_in_stock_and_fills_the_screen_with_the_slot_number(client, login_as, table):
    login_as("clerk")
    client.post("/language", data={"lang": "en"})
    body = text_of(act(client, key="k-pass-1"))
    assert scan_result(body) == "ok"
    assert garment_status(body) == "in_stock"
    slot = re.search(r'class="slot-number" data-testid="slot-number">([^<]*)<', body).group(1)
    assert slot == "Slot 1023"
    g = garment("INS-1")
    assert g.status == "in_stock" and g.awaiting_slot is True
    assert db.session.scalar(select(Event.action).where(Event.garment_id == g.id)
                             .order_by(Event.id.desc()).limit(1)) == "pass"


def test_pass_of_a_spare_sends_it_to_the_spare_pool_with_type_and_size(client, login_as, table):
    login_as("clerk")
    client.post("/language", data={"lang": "en"})
    body = text_of(act(client, code="INS-SPARE"))
    assert scan_result(body) == "ok"
    assert re.search(r'data-testid="slot-number">\s*Spare pool', body)
    assert "Shirt" in body and "Size L" in body


def test_pass_is_refused_until_buttons_hooks_and_zippers_are_all_ticked(client, login_as, table):
    login_as("clerk")
    client.post("/language", data={"lang": "en"})
    before = events()
    body = text_of(act(client, checks=["buttons", "hooks"]))
    assert scan_result(body) == "error"
    assert garment_status(body) == "inspection"
    assert "buttons, hooks and zippers" in body
    # The card stays, with what was ticked, so the inspector ticks the last one.
    assert re.search(r'data-testid="check-buttons"\s+checked', body)
    assert not re.search(r'data-testid="check-zippers"\s+checked', body)
    assert events() == before
    assert garment("INS-1").status == "inspection"


def test_a_double_tap_on_pass_lands_once(client, login_as, table):
    login_as("clerk")
    key = request_key(text_of(client.post("/inspection/scan", data={"code": "INS-1"}, headers=HX)))
    before = events()
    first = text_of(act(client, key=key))
    second = text_of(act(client, key=key))
    assert scan_result(first) == "ok"
    assert scan_result(second) == "duplicate"
    assert 'data-testid="slot-number"' in second
    assert events() == before + 1


def test_a_repeated_request_key_lands_once_even_after_the_duplicate_window(client, login_as, table, app):
    app.config["KIOSK_DUPLICATE_SECONDS"] = 0
    login_as("clerk")
    before = events()
    assert scan_result(text_of(act(client, action="rewash", key="same-key"))) == "ok"
    assert events() == before + 1
    # Ironed again and back on the table, so only the key can stop the second request.
    move(db.session, garment("INS-1"), Action.IRON, user=None, station="ironing")
    db.session.commit()
    back = events()
    assert scan_result(text_of(act(client, action="rewash", key="same-key"))) == "duplicate"
    assert events() == back


def test_pass_clears_the_flagged_defects_and_keeps_them_on_the_event(client, login_as, table):
    login_as("clerk")
    flag_defects(db.session, garment("INS-1"), "stain", user=None, station="ironing")
    db.session.commit()
    act(client, defects=["missing_button"])
    g = garment("INS-1")
    assert g.defects == ""
    event = db.session.scalar(select(Event).where(Event.garment_id == g.id).order_by(Event.id.desc()).limit(1))
    assert event.action == "pass" and event.defects == "missing_button"


# --- act: rewash, re-iron, tailor --------------------------------------------

@pytest.mark.parametrize("action, status", [("rewash", "dirty"), ("reiron", "ironing")])
def test_rewash_and_reiron_send_the_garment_back(client, login_as, table, action, status):
    login_as("clerk")
    body = text_of(act(client, action=action, checks=[]))
    assert scan_result(body) == "ok"
    assert garment_status(body) == status
    assert 'data-testid="slot-number"' not in body
    assert garment("INS-1").status == status


def test_tailor_without_a_defect_asks_for_it_and_nothing_changes(client, login_as, table):
    login_as("clerk")
    client.post("/language", data={"lang": "en"})
    before = events()
    body = text_of(act(client, action="tailor", checks=[]))
    assert scan_result(body) == "prompt" and "result-error" not in body  # a question: no red, no error tone
    assert "What must the tailor mend? Choose it below, then send." in body
    assert 'data-testid="act-tailor"' in body  # the card stays: choose one and tap again
    assert events() == before
    assert garment("INS-1").status == "inspection"


def test_tailor_with_a_defect_chosen_now_sends_it_out_with_the_defect(client, login_as, table):
    login_as("clerk")
    body = text_of(act(client, action="tailor", checks=[], defects=["damage"]))
    assert scan_result(body) == "ok"
    assert garment_status(body) == "at_tailor"
    g = garment("INS-1")
    assert g.status == "at_tailor" and g.defects == "damage"


def test_tailor_with_an_already_flagged_defect_needs_no_new_one_and_records_it(client, login_as, table):
    login_as("clerk")
    flag_defects(db.session, garment("INS-1"), "missing_ornament", user=None, station="ironing")
    db.session.commit()
    body = text_of(act(client, action="tailor", checks=[]))
    assert scan_result(body) == "ok"
    g = garment("INS-1")
    assert g.status == "at_tailor"
    event = db.session.scalar(select(Event).where(Event.garment_id == g.id).order_by(Event.id.desc()).limit(1))
    assert event.action == "to_tailor" and event.defects == "missing_ornament"


def test_a_stale_card_for_a_garment_that_moved_on_is_refused_with_where_it_is(client, login_as, table):
    login_as("clerk")
    client.post("/language", data={"lang": "en"})
    before = events()
    body = text_of(act(client, code="INS-STOCK", action="tailor", defects=["damage"]))
    assert scan_result(body) == "error"
    assert garment_status(body) == "in_stock"
    assert "it is clean and in its slot" in body
    assert events() == before


def test_an_unknown_action_is_refused(client, login_as, table):
    login_as("clerk")
    before = events()
    assert scan_result(text_of(act(client, action="burn"))) == "error"
    assert events() == before


def test_unknown_code_at_act_is_refused_as_not_ours(client, login_as, table):
    login_as("clerk")
    before = events()
    body = text_of(act(client, code="NOPE-2"))
    assert scan_result(body) == "error"
    assert events() == before


def test_act_without_htmx_answers_with_the_full_page(client, login_as, table):
    login_as("clerk")
    body = text_of(act(client, headers={}))
    assert "<html" in body
    assert scan_result(body) == "ok"
    assert 'data-testid="slot-number"' in body


# --- faded number: tag reprint ------------------------------------------------

def test_faded_number_chosen_at_inspection_requests_exactly_one_tag_reprint(client, login_as, table, app):
    app.config["KIOSK_DUPLICATE_SECONDS"] = 0  # the garment comes back to the table at once here
    user_id = login_as("clerk")
    body = text_of(act(client, action="reiron", checks=[], defects=["faded_number"]))
    assert scan_result(body) == "ok"
    assert 'data-testid="tag-reprint"' in body
    assert reprints() == 1
    reprint = db.session.scalar(select(TagReprint))
    assert reprint.garment.tag == "INS-1" and reprint.reason == "faded_number"
    assert reprint.requested_by_id == user_id and reprint.done_at is None
    # Ironed again and back on the table, still faded: the pending request is not doubled.
    move(db.session, garment("INS-1"), Action.IRON, user=None, station="ironing")
    db.session.commit()
    body = text_of(act(client, defects=["faded_number"]))
    assert scan_result(body) == "ok"
    assert 'data-testid="tag-reprint"' in body
    assert reprints() == 1


def test_faded_number_flagged_by_the_ironer_requests_a_reprint_on_pass(client, login_as, table):
    login_as("clerk")
    flag_defects(db.session, garment("INS-1"), "faded_number", user=None, station="ironing")
    db.session.commit()
    body = text_of(act(client))
    assert 'data-testid="tag-reprint"' in body
    assert reprints() == 1


def test_a_done_reprint_does_not_stop_a_new_request(client, login_as, table):
    login_as("clerk")
    g = garment("INS-1")
    db.session.add(TagReprint(garment=g, done_at=dt.datetime.now(dt.timezone.utc)))
    db.session.commit()
    act(client, defects=["faded_number"])
    assert reprints() == 2


def test_a_refused_act_with_a_faded_number_requests_no_reprint(client, login_as, table):
    login_as("clerk")
    body = text_of(act(client, checks=[], defects=["faded_number"]))
    assert scan_result(body) == "error" and garment("INS-1").status == "inspection"  # refused: not all checked
    assert reprints() == 0


def test_no_reprint_without_a_faded_number(client, login_as, table):
    login_as("clerk")
    body = text_of(act(client, defects=["stain"]))
    assert scan_result(body) == "ok"  # passed, its defect recorded
    assert 'data-testid="tag-reprint"' not in body
    assert reprints() == 0


# --- undo -------------------------------------------------------------------

def test_undo_puts_a_passed_garment_back_on_the_table_with_a_compensating_event(client, login_as, table):
    login_as("clerk")
    act(client)
    before = events()
    body = text_of(client.post("/inspection/undo", headers=HX))
    assert scan_result(body) == "ok"
    assert garment_status(body) == "inspection"
    assert 'data-testid="act-pass"' in body  # the card is back
    g = garment("INS-1")
    assert g.status == "inspection" and g.awaiting_slot is False
    assert events() == before + 1


def test_undo_with_nothing_to_undo_is_an_error(client, login_as, table):
    login_as("clerk")
    body = text_of(client.post("/inspection/undo"))
    assert "<html" in body
    assert scan_result(body) == "error"


# --- counts -----------------------------------------------------------------

def test_the_card_shows_wash_and_repair_counts(client, login_as, table, make):
    login_as("clerk")
    client.post("/language", data={"lang": "en"})
    g = make.garment("INS-7", garment_type=table, status="inspection", washes=6)  # 7 washes
    for _ in range(2):  # mended twice
        move(db.session, g, Action.TO_TAILOR, user=None, station="inspection", defects="damage")
        move(db.session, g, Action.FROM_TAILOR, user=None, station="tailor")
    db.session.commit()
    body = text_of(client.post("/inspection/scan", data={"code": "INS-7"}, headers=HX))
    assert "Washed 7 times" in body and "Mended 2 times" in body


# --- slotting -----------------------------------------------------------------

@pytest.fixture
def passed(client, login_as, table, make):
    """Three garments passed (awaiting their slot), numbered 1023, 99 and a spare."""
    login_as("clerk")
    other = make.employee("李四", uniform_no="99")
    make.garment("INS-99", garment_type=table, owner=other, status="inspection")
    db.session.commit()
    for code in ("INS-1", "INS-99", "INS-SPARE"):
        assert scan_result(text_of(act(client, code=code))) == "ok"
    return client


def awaiting_tags(body: str) -> list[str]:
    return re.findall(r'data-awaiting="([^"]+)"', body)


def test_slotting_page_lists_garments_awaiting_their_slot_in_number_order(passed):
    body = text_of(passed.get("/inspection/slot"))
    assert "<html" in body
    assert 'action="/inspection/slot/scan"' in body
    assert awaiting_tags(body) == ["INS-99", "INS-1", "INS-SPARE"]


def test_slot_scan_confirms_the_slot_and_shows_the_number_big(passed):
    passed.post("/language", data={"lang": "en"})
    before = events()
    response = passed.post("/inspection/slot/scan", data={"code": "ins-1"}, headers=HX)
    body = text_of(response)
    assert scan_result(body) == "ok"
    assert garment_status(body) == "in_stock"
    assert re.search(r'data-testid="slot-number">Slot 1023<', body)
    assert garment("INS-1").awaiting_slot is False
    assert events() == before + 1
    # The waiting list is refreshed out of band, without the slotted garment.
    oob = re.search(r'<section class="card awaiting-slot" id="awaiting-slot" hx-swap-oob="true">(.*?)</section>',
                    body, re.S).group(1)
    assert awaiting_tags(oob) == ["INS-99", "INS-SPARE"]


def test_slot_scan_without_htmx_answers_with_the_full_page(passed):
    body = text_of(passed.post("/inspection/slot/scan", data={"code": "INS-1"}))
    assert "<html" in body
    assert scan_result(body) == "ok"
    assert 'hx-swap-oob="true"' not in body
    assert awaiting_tags(body) == ["INS-99", "INS-SPARE"]


def test_slot_scan_of_an_already_slotted_garment_is_a_duplicate_and_writes_nothing(passed):
    passed.post("/language", data={"lang": "en"})
    passed.post("/inspection/slot/scan", data={"code": "INS-1"}, headers=HX)
    before = events()
    body = text_of(passed.post("/inspection/slot/scan", data={"code": "INS-1"}, headers=HX))
    assert scan_result(body) == "duplicate"
    assert "already in its slot" in body
    assert 'data-testid="slot-number"' in body
    assert events() == before


def test_slot_scan_of_a_garment_never_passed_but_in_stock_is_already_in_its_slot(passed):
    body = text_of(passed.post("/inspection/slot/scan", data={"code": "INS-STOCK"}, headers=HX))
    assert scan_result(body) == "duplicate"


def test_slot_scan_of_a_garment_not_in_stock_is_an_error_and_writes_nothing(passed, make):
    passed.post("/language", data={"lang": "en"})
    make.garment("INS-DIRTY", status="dirty")
    db.session.commit()
    before = events()
    body = text_of(passed.post("/inspection/slot/scan", data={"code": "INS-DIRTY"}, headers=HX))
    assert scan_result(body) == "error"
    assert garment_status(body) == "dirty"
    assert events() == before


def test_slot_scan_of_an_unknown_code_is_not_ours(passed):
    body = text_of(passed.post("/inspection/slot/scan", data={"code": "ZZZ"}, headers=HX))
    assert scan_result(body) == "error"


def test_slot_undo_puts_the_garment_back_on_the_waiting_list(passed):
    passed.post("/inspection/slot/scan", data={"code": "INS-1"}, headers=HX)
    body = text_of(passed.post("/inspection/slot/undo", headers=HX))
    assert scan_result(body) == "ok"
    assert garment("INS-1").awaiting_slot is True
    assert "INS-1" in awaiting_tags(body)


def test_awaiting_slot_sorts_numbers_as_the_rack_does(ctx, make):
    gtype = make.garment_type()
    for number in ("1023", "99", "A-2", "A-10"):
        make.passed(f"N-{number}", garment_type=gtype, owner=make.employee(uniform_no=number))
    make.passed("N-SPARE", garment_type=gtype)
    assert [g.number for g in services.awaiting_slot(db.session)] == ["99", "1023", "A-2", "A-10", None]
