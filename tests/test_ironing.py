"""Ironing station (熨烫): ironed garments go on to inspection; defect chips; rejects per ironer."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from kiosk.domain.defects import DEFECTS
from kiosk.extensions import db
from kiosk.ironing import services
from kiosk.ledger import move, undo
from kiosk.models import Event, User, utcnow

from .scans import HX, garment_status, scan_result, text_of


def request_key(body: str) -> str:
    return re.search(r'name="request_key" value="([0-9a-f]+)"', body).group(1)


def flags_of(garment) -> list[Event]:
    return db.session.scalars(select(Event).where(Event.garment_id == garment.id, Event.action == "flag")
                              .order_by(Event.id)).all()


@pytest.fixture
def ironer(login_as):
    return login_as("ironer")


def test_ironer_can_open_ironing_as_a_page(client, ironer):
    response = client.get("/ironing/")
    assert response.status_code == 200
    body = text_of(response)
    assert 'id="scan-field"' in body and 'data-scan-result="idle"' in body
    assert 'id="ironing-mine" data-ironed="0" data-rejected="0"' in body


def test_ironing_a_garment_from_ironing_sends_it_to_inspection(make, client, ironer):
    garment = make.garment(status="ironing")
    db.session.commit()
    washed = garment.wash_count  # the wash that brought it here
    body = text_of(client.post("/ironing/scan", data={"code": garment.tag}, headers=HX))
    assert "<html" not in body
    assert scan_result(body) == "ok" and garment_status(body) == "inspection"
    db.session.refresh(garment)
    assert washed == 1
    assert garment.status == "inspection" and garment.wash_count == washed  # ironing alone is no wash
    event = db.session.scalar(select(Event).where(Event.garment_id == garment.id, Event.action == "iron"))
    assert event.user_id == ironer and event.station == "ironing"


def test_ironing_a_dirty_garment_counts_a_wash(make, client, ironer):
    garment = make.garment(status="dirty")
    db.session.commit()
    client.post("/ironing/scan", data={"code": garment.tag}, headers=HX)
    db.session.refresh(garment)
    assert garment.status == "inspection" and garment.wash_count == 1


def test_scan_without_htmx_answers_with_the_full_page(make, client, ironer):
    garment = make.garment(status="dirty")
    db.session.commit()
    body = text_of(client.post("/ironing/scan", data={"code": garment.tag}))
    assert "<html" in body and scan_result(body) == "ok" and 'data-defect="damage"' in body


def test_the_answer_offers_one_chip_per_defect_for_this_garment(make, client, ironer):
    garment = make.garment(status="ironing")
    db.session.commit()
    body = text_of(client.post("/ironing/scan", data={"code": garment.tag}, headers=HX))
    assert re.findall(r'data-defect="([a-z_]+)"', body) == list(DEFECTS)
    assert f'name="tag" value="{garment.tag}"' in body
    assert request_key(body)


def test_refused_scan_is_an_error_and_changes_nothing(make, client, ironer):
    garment = make.garment()  # in stock: clean, in its slot
    db.session.commit()
    body = text_of(client.post("/ironing/scan", data={"code": garment.tag}, headers=HX))
    assert scan_result(body) == "error" and garment_status(body) == "in_stock"
    assert 'data-defect=' not in body
    db.session.refresh(garment)
    assert garment.status == "in_stock"
    assert db.session.scalar(select(func.count(Event.id)).where(Event.garment_id == garment.id)) == 1


def test_unknown_code_is_an_error(client, ironer):
    body = text_of(client.post("/ironing/scan", data={"code": "ＺＺ－９９"}, headers=HX))
    assert scan_result(body) == "error" and "ZZ-99" in body


def test_same_tag_again_within_the_window_is_a_duplicate(make, client, ironer):
    garment = make.garment(status="ironing")
    db.session.commit()
    client.post("/ironing/scan", data={"code": garment.tag}, headers=HX)
    body = text_of(client.post("/ironing/scan", data={"code": garment.tag.lower()}, headers=HX))
    assert scan_result(body) == "duplicate" and garment_status(body) == "inspection"
    assert db.session.scalar(select(func.count(Event.id)).where(Event.action == "iron")) == 1


def test_undo_puts_the_garment_back_and_takes_the_wash_back(make, client, ironer):
    garment = make.garment(status="dirty")
    db.session.commit()
    client.post("/ironing/scan", data={"code": garment.tag}, headers=HX)
    body = text_of(client.post("/ironing/undo", headers=HX))
    assert scan_result(body) == "ok" and garment_status(body) == "dirty"
    db.session.refresh(garment)
    assert garment.status == "dirty" and garment.wash_count == 0
    assert db.session.scalar(select(func.count(Event.id)).where(Event.action == "undo")) == 1


# --- defects ----------------------------------------------------------------

def test_a_defect_chip_flags_the_garment_for_the_inspector_and_keeps_its_status(make, client, ironer):
    garment = make.garment(status="ironing")
    db.session.commit()
    answer = text_of(client.post("/ironing/scan", data={"code": garment.tag}, headers=HX))
    body = text_of(client.post("/ironing/flag", headers=HX, data={
        "tag": garment.tag, "defect": "missing_button", "note": "第二颗", "request_key": request_key(answer)}))
    assert scan_result(body) == "ok" and garment_status(body) == "inspection"
    assert 'data-defects="missing_button"' in body
    assert re.search(r'data-defect="missing_button"', body) and 'aria-pressed="true"' in body
    db.session.refresh(garment)
    assert garment.defects == "missing_button" and garment.status == "inspection"
    [flag] = flags_of(garment)
    assert (flag.defects, flag.note, flag.user_id, flag.station) == ("missing_button", "第二颗", ironer, "ironing")
    assert flag.from_status == flag.to_status == "inspection"


def test_several_defects_add_up_on_the_garment(make, client, ironer):
    garment = make.garment(status="ironing")
    db.session.commit()
    key = request_key(text_of(client.post("/ironing/scan", data={"code": garment.tag}, headers=HX)))
    client.post("/ironing/flag", data={"tag": garment.tag, "defect": "damage", "request_key": key}, headers=HX)
    body = text_of(client.post("/ironing/flag", data={"tag": garment.tag, "defect": "stain", "request_key": key},
                               headers=HX))
    assert 'data-defects="damage,stain"' in body
    db.session.refresh(garment)
    assert garment.defects == "damage,stain"


def test_a_double_tap_on_a_chip_lands_once(make, client, ironer):
    garment = make.garment(status="ironing")
    db.session.commit()
    key = request_key(text_of(client.post("/ironing/scan", data={"code": garment.tag}, headers=HX)))
    form = {"tag": garment.tag, "defect": "damage", "request_key": key}
    assert scan_result(text_of(client.post("/ironing/flag", data=form, headers=HX))) == "ok"
    assert scan_result(text_of(client.post("/ironing/flag", data=form, headers=HX))) == "duplicate"
    assert len(flags_of(garment)) == 1


def test_the_same_request_key_retried_lands_once_even_after_an_undo(make, client, ironer):
    garment = make.garment(status="ironing")
    db.session.commit()
    form = {"tag": garment.tag, "defect": "stain", "request_key": "a" * 32}
    client.post("/ironing/flag", data=form, headers=HX)
    client.post("/ironing/undo", headers=HX)  # the flag is taken back
    body = text_of(client.post("/ironing/flag", data=form, headers=HX))  # a late retry of the first tap
    assert scan_result(body) == "duplicate"
    db.session.refresh(garment)
    assert garment.defects == "" and len(flags_of(garment)) == 1


def test_unknown_defect_or_tag_is_refused_and_writes_nothing(make, client, ironer):
    garment = make.garment(status="ironing")
    db.session.commit()
    assert scan_result(text_of(client.post("/ironing/flag", data={"tag": garment.tag, "defect": "ripped-by-dog"},
                                           headers=HX))) == "error"
    assert scan_result(text_of(client.post("/ironing/flag", data={"tag": "NOPE-1", "defect": "stain"},
                                           headers=HX))) == "error"
    assert db.session.scalar(select(func.count(Event.id)).where(Event.action == "flag")) == 0


def test_undo_of_a_flag_takes_the_defect_off(make, client, ironer):
    garment = make.garment(status="ironing")
    db.session.commit()
    client.post("/ironing/scan", data={"code": garment.tag}, headers=HX)
    client.post("/ironing/flag", data={"tag": garment.tag, "defect": "faded_number"}, headers=HX)
    client.post("/ironing/undo", headers=HX)
    db.session.refresh(garment)
    assert garment.defects == "" and garment.status == "inspection"


def test_flag_without_htmx_answers_with_the_full_page(make, client, ironer):
    garment = make.garment(status="inspection")
    db.session.commit()
    body = text_of(client.post("/ironing/flag", data={"tag": garment.tag, "defect": "stain"}))
    assert "<html" in body and 'data-defects="stain"' in body


# --- rejects per ironer -----------------------------------------------------

def _iron(session, garment, ironer_user, at):
    move(session, garment, "iron", user=ironer_user, station="ironing", at=at)


def test_rejects_per_ironer_counts_irons_and_the_rejects_that_were_theirs(make):
    anna, bo, inspector = make.user("anna", role="ironer"), make.user("bo", role="ironer"), make.user("ins")
    t0 = utcnow() - dt.timedelta(hours=3)
    minute = dt.timedelta(minutes=1)
    session = db.session
    g1, g2, g3, g4 = (make.garment(status="dirty", at=t0 - dt.timedelta(days=7)) for _ in range(4))
    # g1: ironed by anna, rewashed; then ironed by bo, re-ironed: one reject each
    _iron(session, g1, anna, t0)
    move(session, g1, "rewash", user=inspector, station="inspection", at=t0 + minute)
    _iron(session, g1, bo, t0 + 2 * minute)
    move(session, g1, "reiron", user=inspector, station="inspection", at=t0 + 3 * minute)
    # g2: ironed by anna, passed: no reject
    _iron(session, g2, anna, t0)
    move(session, g2, "pass", user=inspector, station="inspection", at=t0 + minute)
    # g3: ironed by anna, re-ironed, but the re-iron was undone: no reject
    _iron(session, g3, anna, t0)
    reject = move(session, g3, "reiron", user=inspector, station="inspection", at=t0 + minute)
    session.flush()
    undo(session, reject, user=inspector, station="inspection")
    # g4: ironed by bo yesterday, rejected today: bo's reject, not today's iron
    _iron(session, g4, bo, t0 - dt.timedelta(days=1))
    move(session, g4, "rewash", user=inspector, station="inspection", at=t0 + minute)
    session.commit()

    rows = services.rejects_per_ironer(session, t0 - minute, t0 + dt.timedelta(hours=1))
    assert rows == [("anna", 3, 1, anna.id), ("bo", 1, 2, bo.id)]
    assert rows[0].name == "anna" and rows[0].rejected == 1


def test_rejects_per_ironer_is_empty_for_a_quiet_period(make):
    now = utcnow()
    assert services.rejects_per_ironer(db.session, now - dt.timedelta(days=1), now) == []


def test_the_page_shows_the_ironers_own_figures_for_today(make, client, ironer):
    user = db.session.get(User, ironer)
    inspector = make.user(role="clerk")
    garment = make.garment(status="dirty")
    move(db.session, garment, "iron", user=user, station="ironing")
    move(db.session, garment, "rewash", user=inspector, station="inspection")
    db.session.commit()
    body = text_of(client.get("/ironing/"))
    assert 'id="ironing-mine" data-ironed="1" data-rejected="1"' in body
    assert 'id="ironing-rejects"' not in body  # the table of everyone is for supervisors


def test_an_ironers_own_figures_are_found_by_who_they_are_not_by_name(make):
    # Two ironers the floor calls 王芳 (the morning's and the evening's): each sees their own figures.
    morning, evening = make.user("王芳", role="ironer"), make.user("王芳2", role="ironer")
    rows = [services.IronerRejects("王芳", 7, 2, morning.id), services.IronerRejects("王芳", 1, 0, evening.id)]
    assert services.figures_of(rows, evening) == ("王芳", 1, 0, evening.id)
    assert services.figures_of(rows, morning) == ("王芳", 7, 2, morning.id)
    assert services.figures_of(rows[:1], evening) == ("王芳2", 0, 0, evening.id)  # none ironed yet today


def test_supervisor_sees_the_rejects_of_every_ironer(make, client, login_as):
    anna = make.user("anna", role="ironer")
    move(db.session, make.garment(status="ironing"), "iron", user=anna, station="ironing")
    db.session.commit()
    login_as("supervisor")
    body = text_of(client.get("/ironing/"))
    assert re.search(r'data-ironer="anna"><td>anna</td><td>1</td><td>0</td>', body)


# --- access -----------------------------------------------------------------

def test_clerk_can_iron_too(make, client, login_as):
    login_as("clerk")
    garment = make.garment(status="ironing")
    db.session.commit()
    assert client.get("/ironing/").status_code == 200
    assert scan_result(text_of(client.post("/ironing/scan", data={"code": garment.tag}, headers=HX))) == "ok"


def test_signed_out_visitor_cannot_flag(make, client):
    make.user()  # a hotel with an operator: without one every page leads to the first-run screen
    garment = make.garment(status="ironing")
    db.session.commit()
    response = client.post("/ironing/flag", data={"tag": garment.tag, "defect": "stain"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.refresh(garment)
    assert garment.defects == ""
