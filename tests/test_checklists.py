"""Shift checklists (开班 / 收班检查): the ironing station's opening and closing checks, the
counter's, a check missed at sign-out, the idle lock or a handover, 今日 and the handover,
and the supervisor's items."""
from __future__ import annotations

import json
import re
import time

import pytest
from flask_babel import refresh
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from kiosk.auth.sessions import end_sessions
from kiosk.checklists import services
from kiosk.checklists.models import ChecklistItem, ChecklistRun
from kiosk.extensions import db
from kiosk.handover.models import Handover
from kiosk.models import Event, OperatorSession, utcnow

from .conftest import Factory, login
from .scans import HX, garment_status, scan_result, text_of


# --- helpers -----------------------------------------------------------------

@pytest.fixture
def seeded(ctx):
    """The default items, as migration 0012 puts them in (tests build the schema with create_all)."""
    assert services.seed_defaults(db.session) == len(services.DEFAULT_ITEMS)
    db.session.commit()


def ids(code: str) -> list[int]:
    return [item.id for item in services.items(db.session, code)]


def runs(code: str | None = None, status: str | None = None) -> list[ChecklistRun]:
    db.session.expire_all()
    query = select(ChecklistRun).order_by(ChecklistRun.id)
    if code:
        query = query.where(ChecklistRun.checklist == code)
    if status:
        query = query.where(ChecklistRun.status == status)
    return list(db.session.scalars(query))


def open_sign_in(user_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(OperatorSession.id).where(OperatorSession.user_id == user_id,
                                                              OperatorSession.ended_at.is_(None)))


def tick(client, code: str, item_ids, *, key: str | None = None, htmx: bool = True, **extra):
    data = {"item": [str(i) for i in item_ids], **extra}
    if key:
        data["request_key"] = key
    return client.post(f"/checklists/{code}/", data=data, headers=HX if htmx else {})


def events() -> int:
    return db.session.scalar(select(func.count()).select_from(Event))


def signed_in(client, name: str, role: str) -> int:
    """A new operator, signed in on ``client``: their id."""
    user = Factory().user(name, role=role)
    db.session.commit()
    assert login(client, user.id).status_code == 302
    return user.id


@pytest.fixture
def ironer(client, seeded):
    return signed_in(client, "熨烫工甲", "ironer")


@pytest.fixture
def clerk(client, seeded):
    return signed_in(client, "收发员乙", "clerk")


def _opened(client) -> None:
    assert scan_result_or_none(tick(client, services.IRONING_OPEN, ids(services.IRONING_OPEN))) is None
    assert runs(services.IRONING_OPEN, "done")


def scan_result_or_none(response):
    found = re.search(r'data-scan-result="([a-z]+)"', text_of(response))
    return found.group(1) if found else None


# --- the defaults ----------------------------------------------------------------

def _rows():
    return [tuple(row) for row in db.session.execute(text(
        "SELECT checklist, text, text_en, rule, position, active FROM checklist_items ORDER BY checklist, position"))]


def test_the_code_seeds_the_same_items_as_the_migration(ctx):
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()
    migrated = _rows()
    assert len(migrated) == len(services.DEFAULT_ITEMS) == 10
    assert services.seed_defaults(db.session) == 0  # items there: nothing added
    db.session.execute(text("DELETE FROM checklist_items"))
    assert services.seed_defaults(db.session) == len(services.DEFAULT_ITEMS)
    db.session.commit()
    assert _rows() == migrated
    assert ("counter_close", "洗涤和熨烫合格的衣物全部按号配入", "Every passed garment is in its numbered slot",
            "all_slotted", 1, True) in [(*row[:5], bool(row[5])) for row in migrated]


def test_a_real_hotel_set_up_on_a_bare_database_gets_the_duties(ctx):
    from kiosk.hotel.services import set_up_hotel

    set_up_hotel(db.session, hotel_name="东方酒店", admin_name="王经理", pin="4817",
                 hash_method="pbkdf2:sha256:1000")
    db.session.commit()
    assert [i.text for i in services.items(db.session, services.IRONING_OPEN)] == ["做好机器设备使用前的各种准备工作",
                                                                                  "检查不安全隐患"]


# --- the ironing station: the opening check before the first scan ---------------------

def test_the_ironing_station_shows_the_opening_check_above_the_scan_field(client, ironer):
    body = text_of(client.get("/ironing/"))
    assert body.index('id="check-ironing_open"') < body.index('id="scan-field"')
    assert body.count('data-testid="tick"') == 2
    assert 'data-done="false"' in body


def test_a_scan_before_the_opening_check_is_refused_and_changes_nothing(client, ironer, make):
    garment = make.garment(status="ironing")
    db.session.commit()
    before = events()
    body = text_of(client.post("/ironing/scan", data={"code": garment.tag}, headers=HX))
    assert scan_result(body) == "error"
    assert "Do the opening check above first" in body and "scan the garment again" in body
    db.session.refresh(garment)
    assert garment.status == "ironing" and events() == before

    _opened(client)
    body = text_of(client.post("/ironing/scan", data={"code": garment.tag}, headers=HX))
    assert scan_result(body) == "ok" and garment_status(body) == "inspection"


def test_the_opening_check_is_recorded_with_the_operator_the_sign_in_and_the_time(client, ironer):
    started = utcnow()
    response = tick(client, services.IRONING_OPEN, ids(services.IRONING_OPEN), note="2号机蒸汽有点漏")
    body = text_of(response)
    assert 'data-done="true"' in body and "熨烫工甲" in body and "<html" not in body
    [run] = runs(services.IRONING_OPEN)
    assert (run.status, run.user_id, run.session_id, run.station) == ("done", ironer, open_sign_in(ironer), "ironing")
    assert started <= run.at <= utcnow()
    assert run.note == "2号机蒸汽有点漏"
    assert [(row["text"], row["ticked"]) for row in json.loads(run.items)] == [
        ("做好机器设备使用前的各种准备工作", True), ("检查不安全隐患", True)]
    # The station now takes scans and shows the check as done.
    assert 'data-done="true"' in text_of(client.get("/ironing/"))


def test_every_item_must_be_ticked(client, ironer):
    first = ids(services.IRONING_OPEN)[0]
    body = text_of(tick(client, services.IRONING_OPEN, [first]))
    assert "Tick every item first: 1 not ticked yet." in body
    assert 'data-done="false"' in body and re.search(rf'value="{first}"[^>]*checked', body)  # the tick stays shown
    assert runs() == []


def test_the_same_tick_sent_twice_is_recorded_once(client, ironer):
    key = "a" * 32
    for _ in range(2):
        assert tick(client, services.IRONING_OPEN, ids(services.IRONING_OPEN), key=key).status_code == 200
    assert len(runs(services.IRONING_OPEN)) == 1


def test_the_opening_check_is_asked_again_at_the_next_sign_in(client, ironer, make):
    garment = make.garment(status="ironing")
    db.session.commit()
    _opened(client)
    client.post("/logout", data={"closing": "skip"})
    login(client, ironer)
    assert scan_result(text_of(client.post("/ironing/scan", data={"code": garment.tag}, headers=HX))) == "error"


def test_without_items_the_station_asks_for_nothing(client, login_as, make):
    login_as("ironer")  # no items in this database: nothing to tick
    garment = make.garment(status="ironing")
    db.session.commit()
    assert 'id="check-ironing_open"' not in text_of(client.get("/ironing/"))
    assert scan_result(text_of(client.post("/ironing/scan", data={"code": garment.tag}, headers=HX))) == "ok"


# --- the ironing station: the closing check before signing out ---------------------------

def test_signing_out_of_the_ironing_station_offers_the_closing_check_and_records_it(client, ironer):
    _opened(client)
    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"].endswith("/checklists/sign-out")
    assert open_sign_in(ironer) is not None  # not signed out yet
    page = text_of(client.get("/checklists/sign-out"))
    assert 'id="check-ironing_close"' in page and page.count('data-testid="tick"') == 3
    assert "关闭电源、蒸汽阀门" in page or "Switch off the power and the steam valves" in page

    response = tick(client, services.IRONING_CLOSE, ids(services.IRONING_CLOSE), htmx=False, then="sign_out")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    [run] = runs(services.IRONING_CLOSE)
    assert (run.status, run.user_id) == ("done", ironer)
    assert open_sign_in(ironer) is None  # signed out
    assert runs(status="missing") == []


def test_the_ironing_closing_check_is_refused_unless_every_item_is_ticked(client, ironer):
    _opened(client)
    body = text_of(tick(client, services.IRONING_CLOSE, ids(services.IRONING_CLOSE)[:2], then="sign_out"))
    assert "Tick every item first: 1 not ticked yet." in body
    assert open_sign_in(ironer) is not None and runs(services.IRONING_CLOSE) == []


def test_signing_out_without_the_closing_check_records_it_missing_once(client, ironer):
    _opened(client)
    session_id = open_sign_in(ironer)
    client.post("/logout", data={"closing": "skip"})
    [run] = runs(services.IRONING_CLOSE)
    assert (run.status, run.note, run.user_id, run.session_id) == ("missing", "sign_out", ironer, session_id)
    assert [row["ticked"] for row in json.loads(run.items)] == [False, False, False]
    # The sign-in ending again (another tablet, a PIN change) records nothing more.
    row = db.session.get(OperatorSession, session_id)
    assert services.sign_in_ended(db.session, row, "idle") == []
    db.session.commit()
    assert len(runs(services.IRONING_CLOSE)) == 1


def test_the_browser_idle_lock_records_the_closing_check_missing(client, ironer):
    _opened(client)
    client.post("/logout", data={"idle": "1"})  # what kiosk.js posts when the screen locks itself
    [run] = runs(services.IRONING_CLOSE)
    assert (run.status, run.note) == ("missing", "idle_lock")


def test_the_servers_idle_lock_records_the_closing_check_missing(app, client, ironer):
    _opened(client)
    with client.session_transaction() as cookie:
        cookie["seen"] = int(time.time()) - app.config["KIOSK_IDLE_MINUTES"] * 60 - 1
    assert "/login" in client.get("/ironing/").headers["Location"]
    [run] = runs(services.IRONING_CLOSE)
    assert (run.status, run.note) == ("missing", "idle_lock")


def test_scans_without_the_opening_check_also_owe_the_closing_check(app, client, login_as, make):
    user_id = login_as("ironer")  # no items yet: the station took scans without an opening check
    garment = make.garment(status="ironing")
    db.session.commit()
    client.post("/ironing/scan", data={"code": garment.tag}, headers=HX)
    services.seed_defaults(db.session)  # the supervisor's items arrive meanwhile
    db.session.commit()
    assert end_sessions(db.session, user_id, "pin") == 1
    db.session.commit()
    [run] = runs(services.IRONING_CLOSE)
    assert (run.status, run.note) == ("missing", "ended")


def test_an_ironer_who_never_worked_the_station_owes_no_closing_check(client, ironer):
    assert client.post("/logout").headers["Location"].endswith("/login")
    assert runs() == []


# --- the counter: the closing check and the passed garments --------------------------------

def test_the_slotted_item_cannot_be_ticked_while_a_garment_waits_for_its_slot(client, clerk, make):
    garment = make.passed(tag="PASS-0001")
    db.session.commit()
    page = text_of(client.get("/checklists/counter_close/"))
    blocked = re.search(r'<label class="tick tick-blocked"[^>]*data-rule="all_slotted" data-count="1"', page)
    assert blocked and re.search(r'name="item" value="\d+" data-testid="tick"\s*disabled', page)
    assert "1 passed garments are not in their numbered slot" in page

    body = text_of(tick(client, services.COUNTER_CLOSE, ids(services.COUNTER_CLOSE)))  # ticked anyway (a forged form)
    assert "Passed garments not yet in their numbered slot: 1. Slot them first." in body
    assert runs() == []

    client.post("/inspection/slot/scan", data={"code": garment.tag}, headers=HX)
    db.session.refresh(garment)
    assert not garment.awaiting_slot
    body = text_of(tick(client, services.COUNTER_CLOSE, ids(services.COUNTER_CLOSE)))
    assert 'data-done="true"' in body
    [run] = runs(services.COUNTER_CLOSE)
    assert (run.status, run.user_id, run.station) == ("done", clerk, "counter")
    assert [row.get("count") for row in json.loads(run.items) if row["rule"]] == [0]


def test_a_clerk_signing_out_without_the_closing_check_has_it_missing(client, clerk):
    assert client.post("/logout").headers["Location"].endswith("/login")  # the counter's check is not asked first
    [run] = runs(services.COUNTER_CLOSE)
    assert (run.status, run.note, run.user_id) == ("missing", "sign_out", clerk)


def test_the_ironers_role_does_not_do_the_counters_checks(client, ironer):
    assert client.get("/checklists/counter_open/").status_code == 403
    assert tick(client, services.COUNTER_OPEN, ids(services.COUNTER_OPEN)).status_code == 403
    assert runs() == []


def test_the_check_page_and_its_fragment(client, clerk):
    page = client.get("/checklists/counter_open/?next=/today/")
    assert page.status_code == 200 and "<html" in text_of(page) and 'href="/today/"' in text_of(page)
    fragment = text_of(client.get("/checklists/counter_open/", headers=HX))
    assert "<html" not in fragment and fragment.lstrip().startswith("<section")
    assert client.get("/checklists/nothing/").status_code == 404


def test_an_english_screen_shows_the_english_words_when_there_are_some(client, clerk):
    assert "Clean the work area; wipe what you use" in text_of(client.get("/checklists/counter_open/"))
    client.post("/language", data={"lang": "zh_CN"})
    refresh()  # the test's app context is shared with the requests: Babel's cached locale goes
    assert "对工作区域进行卫生打扫，擦拭所用物品" in text_of(client.get("/checklists/counter_open/"))


# --- 今日 and the handover ----------------------------------------------------------------

def _ironer_missed_closing(app) -> str:
    """An ironer who started at the station and signed out without the closing check."""
    other = app.test_client()
    signed_in(other, "熨烫工丙", "ironer")
    tick(other, services.IRONING_OPEN, ids(services.IRONING_OPEN))
    other.post("/logout", data={"closing": "skip"})
    return "熨烫工丙"


def test_a_missing_check_shows_on_today_with_who_and_when(app, client, clerk):
    name = _ironer_missed_closing(app)
    tick(client, services.COUNTER_OPEN, ids(services.COUNTER_OPEN))
    body = text_of(client.get("/today/"))
    card = body[body.index('id="shift-checks"'):body.index('id="status-counts"')]
    assert 'data-missing="1"' in card
    missing = re.search(r'<li class="check-run check-run-missing" data-checklist="ironing_close".*?</li>', card, re.S)
    assert missing and name in missing.group(0) and "signed out without it" in missing.group(0)
    assert re.search(r'check-run-done" data-checklist="ironing_open".*?熨烫工丙', card, re.S)
    assert re.search(r'check-run-done" data-checklist="counter_open".*?收发员乙', card, re.S)
    assert re.search(r'data-checklist="counter_open" data-done="true"', card)  # this clerk's own: done
    assert 'data-testid="do-counter_close"' in card  # and the closing check to do
    fragment = text_of(client.get("/today/", headers=HX))
    assert "<html" not in fragment and 'data-checklist="ironing_close" data-status="missing"' in fragment


def test_a_handover_without_the_closing_check_records_it_and_its_snapshot_shows_the_days_checks(app, client, clerk):
    name = _ironer_missed_closing(app)
    page = text_of(client.get("/handover/"))
    assert 'data-testid="closing-owed"' in page
    client.post("/handover/", data={"note": "交班", "request_key": "b" * 32})
    [handover] = db.session.scalars(select(Handover)).all()
    checks = handover.snapshot["checks"]
    assert (checks["done"], checks["missing"]) == (1, 2)
    missing = {(item["checklist"], item["user"], item["note"]) for item in checks["items"]
               if item["status"] == "missing"}
    assert missing == {("ironing_close", name, "sign_out"), ("counter_close", "收发员乙", "handover")}
    # The page shows them with the handover waiting for the next clerk.
    page = text_of(client.get("/handover/"))
    waiting = page[page.index('data-testid="handover-open"'):page.index('data-testid="ack-form"')]
    assert 'data-section="checks" data-missing="2"' in waiting
    assert "handover written without it" in waiting and name in waiting
    # Signing out afterwards records nothing more: it is missing once.
    client.post("/logout")
    assert len(runs(services.COUNTER_CLOSE, "missing")) == 1


def test_a_handover_after_the_closing_check_records_nothing_missing(client, clerk):
    tick(client, services.COUNTER_CLOSE, ids(services.COUNTER_CLOSE))
    assert 'data-testid="closing-owed"' not in text_of(client.get("/handover/"))
    client.post("/handover/", data={"note": "", "request_key": "c" * 32})
    [handover] = db.session.scalars(select(Handover)).all()
    assert (handover.snapshot["checks"]["done"], handover.snapshot["checks"]["missing"]) == (1, 0)
    client.post("/logout")
    assert runs(status="missing") == []


# --- the supervisor keeps the items --------------------------------------------------------

@pytest.fixture
def supervisor(client, seeded):
    return signed_in(client, "主管丁", "supervisor")


def test_a_supervisor_adds_edits_reorders_and_switches_items(client, supervisor):
    assert "检查不安全隐患" in text_of(client.get("/checklists/items"))
    client.post("/checklists/items/ironing_open", data={"text": "检查熨斗底板是否干净", "text_en": "",
                                                        "request_key": "d" * 32})
    client.post("/checklists/items/ironing_open", data={"text": "检查熨斗底板是否干净", "request_key": "d" * 32})
    texts = [i.text for i in services.items(db.session, "ironing_open")]
    assert texts == ["做好机器设备使用前的各种准备工作", "检查不安全隐患", "检查熨斗底板是否干净"]  # added once
    added = services.items(db.session, "ironing_open")[-1]
    assert added.updated_by_id == supervisor and added.rule == ""

    client.post(f"/checklists/items/{added.id}/move", data={"step": "up", "request_key": "e" * 32})
    db.session.expire_all()
    assert [i.text for i in services.items(db.session, "ironing_open")][1] == "检查熨斗底板是否干净"

    client.post(f"/checklists/items/{added.id}/edit", data={"text": "检查熨斗底板", "text_en": "Check the soleplate"})
    client.post(f"/checklists/items/{added.id}/active", data={"active": "0"})
    db.session.expire_all()
    item = db.session.get(ChecklistItem, added.id)
    assert (item.text, item.text_en, item.active) == ("检查熨斗底板", "Check the soleplate", False)
    assert len(services.items(db.session, "ironing_open")) == 2  # off: the check no longer asks for it
    client.post(f"/checklists/items/{added.id}/active", data={"active": "1"})
    db.session.expire_all()
    assert db.session.get(ChecklistItem, added.id).active


def test_editing_a_rule_items_words_keeps_its_rule_and_it_cannot_be_switched_off(client, supervisor):
    rule_item = db.session.scalar(select(ChecklistItem).where(ChecklistItem.rule == "all_slotted"))
    client.post(f"/checklists/items/{rule_item.id}/edit", data={"text": "合格衣物全部按号配入", "rule": ""})
    response = client.post(f"/checklists/items/{rule_item.id}/active", data={"active": "0"}, follow_redirects=True)
    assert "The kiosk checks this item itself; it cannot be switched off." in text_of(response)
    db.session.expire_all()
    item = db.session.get(ChecklistItem, rule_item.id)
    assert (item.text, item.rule, item.active) == ("合格衣物全部按号配入", "all_slotted", True)


def test_an_item_needs_words(client, supervisor):
    body = text_of(client.post("/checklists/items/counter_open", data={"text": "   ", "request_key": "f" * 32}))
    assert "Write the item." in body
    body = text_of(client.post("/checklists/items/counter_open", data={"text": "长" * 201, "request_key": "f" * 32}))
    assert "At most 200 characters." in body
    assert len(services.items(db.session, "counter_open")) == 2


@pytest.mark.parametrize("role", ["clerk", "ironer"])
def test_a_clerk_or_ironer_cannot_change_the_items(app, client, seeded, login_as, role):
    login_as(role)
    item = services.items(db.session, "counter_close")[1]
    before = _rows()
    assert client.get("/checklists/items").status_code == 403
    for path, data in ((f"/checklists/items/{item.id}/edit", {"text": "改掉"}),
                       (f"/checklists/items/{item.id}/active", {"active": "0"}),
                       (f"/checklists/items/{item.id}/move", {"step": "up"}),
                       ("/checklists/items/counter_close", {"text": "新的一项"})):
        assert client.post(path, data=data).status_code == 403
    assert _rows() == before


def test_the_edit_forms_need_the_csrf_token(app, client, supervisor):
    app.config["WTF_CSRF_ENABLED"] = True
    item = services.items(db.session, "counter_open")[0]
    assert client.post(f"/checklists/items/{item.id}/edit", data={"text": "改掉"}).status_code == 400
    assert client.post("/checklists/counter_open/", data={"item": [str(item.id)]}).status_code == 400
    db.session.expire_all()
    assert db.session.get(ChecklistItem, item.id).text != "改掉" and runs() == []


def test_a_past_check_keeps_the_words_it_was_ticked_with(client, supervisor):
    tick(client, services.COUNTER_OPEN, ids(services.COUNTER_OPEN))
    item = services.items(db.session, "counter_open")[0]
    client.post(f"/checklists/items/{item.id}/edit", data={"text": "新的说法"})
    [run] = runs(services.COUNTER_OPEN)
    assert json.loads(run.items)[0]["text"] == "对工作区域进行卫生打扫，擦拭所用物品"


def test_the_home_screen_leads_a_supervisor_to_the_items(client, supervisor):
    assert 'href="/checklists/items"' in text_of(client.get("/"))


def test_thirty_sign_outs_of_one_sign_in_at_once_record_its_closing_check_missing_once(app):
    """One sign-in ended from thirty tablets at once (its cookie copied): one missing check."""
    from .test_concurrency import _at_once

    with app.app_context():
        services.seed_defaults(db.session)
        user = Factory().user("熨烫工戊", role="ironer")
        db.session.commit()
        user_id, opening = user.id, ids(services.IRONING_OPEN)
    first = app.test_client()
    login(first, user_id)
    assert 'data-done="true"' in text_of(tick(first, services.IRONING_OPEN, opening))
    cookie = first.get_cookie("session").value
    tablets = []
    for _ in range(30):
        tablet = app.test_client()
        tablet.set_cookie("session", cookie)
        tablets.append(tablet)
    answers = _at_once(tablets, "/logout", {"closing": "skip"})
    assert {status for status, _ in answers} <= {302, 204}  # signed out, or already signed out
    with app.app_context():
        missing = runs(services.IRONING_CLOSE, "missing")
        assert len(missing) == 1 and missing[0].user_id == user_id
