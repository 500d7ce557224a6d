"""The today board (今日): counts, what is late, carts, rejects, and the end-of-day check."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import event as sa_event

from kiosk.board import services
from kiosk.domain.calendar import local_day_bounds
from kiosk.domain.garment_states import Action, Status
from kiosk.extensions import db
from kiosk.ledger import move, slot, undo
from kiosk.models import CheckinBatch, TagReprint, utcnow

from .scans import HX, text_of

UTC = dt.timezone.utc


def ago(**delta) -> dt.datetime:
    return utcnow() - dt.timedelta(**delta)


def section(body: str, section_id: str) -> str:
    match = re.search(rf'<section class="card[^"]*" id="{section_id}".*?</section>', body, re.S)
    assert match, section_id
    return match.group(0)


def count_of(body: str, section_id: str) -> int:
    return int(re.search(rf'id="{section_id}" data-count="(\d+)"', body).group(1))


def pending(body: str) -> dict[str, int]:
    return {key: int(n) for key, n in re.findall(r'data-check="(\w+)" data-pending="(\d+)"', body)}


def through(garment, *actions, start: dt.datetime, step=dt.timedelta(minutes=10), user=None):
    """Move ``garment`` through ``actions``, the first at ``start``; returns the last event."""
    at, event = start, None
    for action in actions:
        event = move(db.session, garment, action, user=user, station="test", at=at)
        at += step
    return event


# --- counts by status --------------------------------------------------------

def test_board_counts_every_status_and_links_each_tile_to_the_garment_list(client, login_as, make):
    gtype = make.garment_type()
    for status, n in [("in_stock", 3), ("dirty", 2), ("at_tailor", 1), ("written_off", 1)]:
        for _ in range(n):
            make.garment(garment_type=gtype, status=status)
    db.session.commit()
    login_as("clerk")
    body = text_of(client.get("/today/"))
    tiles = dict(re.findall(r'data-status="(\w+)" data-count="(\d+)"', section(body, "status-counts")))
    assert tiles == {s.value: {"in_stock": "3", "dirty": "2", "at_tailor": "1", "written_off": "1"}.get(s.value, "0")
                     for s in Status}
    assert 'href="/registry/garments?status=dirty"' in body
    assert 'href="/registry/garments?status=spare_issued"' in body


def test_status_counts_has_all_ten_statuses_when_the_stock_is_empty(ctx):
    assert services.status_counts(db.session) == {s.value: 0 for s in Status}


# --- passed but not slotted ---------------------------------------------------

def test_passed_garments_wait_for_their_slot_until_slotted(client, login_as, make):
    owner = make.employee("张三", uniform_no="1023")
    waiting = make.garment("G-000001", owner=owner, status=Status.INSPECTION.value)
    slotted = make.garment("G-000002", number="2001", status=Status.INSPECTION.value)
    for garment in (waiting, slotted):
        move(db.session, garment, Action.PASS, user=None, station="inspection")
    slot(db.session, slotted, user=None, station="slotting")
    db.session.commit()
    login_as("clerk")
    body = text_of(client.get("/today/"))
    unslotted = section(body, "unslotted")
    assert count_of(body, "unslotted") == 1
    assert "1023" in unslotted and "G-000001" in unslotted
    assert "G-000002" not in unslotted
    assert pending(body)["unslotted"] == 1


# --- late: ironing / inspection over 24 h, tailor over KIOSK_TAILOR_DAYS ------

def test_garments_in_ironing_or_inspection_over_24_hours_are_listed(client, login_as, make):
    old_ironing = make.garment("G-000011", at=ago(days=3))
    through(old_ironing, Action.ISSUE, Action.CHECK_IN, Action.WASH, start=ago(hours=30))
    old_inspection = make.garment("G-000012", at=ago(days=3))
    through(old_inspection, Action.ISSUE, Action.CHECK_IN, Action.IRON, start=ago(hours=50))
    fresh = make.garment("G-000013", at=ago(days=3))
    through(fresh, Action.ISSUE, Action.CHECK_IN, Action.IRON, start=ago(hours=3))
    old_but_moved_on = make.garment("G-000014", at=ago(days=3))
    through(old_but_moved_on, Action.ISSUE, Action.CHECK_IN, Action.IRON, start=ago(hours=60))
    move(db.session, old_but_moved_on, Action.PASS, user=None, station="inspection")
    slot(db.session, old_but_moved_on, user=None, station="slotting")
    db.session.commit()
    login_as("clerk")
    body = text_of(client.get("/today/"))
    stuck = section(body, "stuck")
    assert re.findall(r'<tr data-tag="([\w-]+)"', stuck) == ["G-000012", "G-000011"]  # oldest first
    assert 'data-hours="49"' in stuck  # iron at 50h ago + 20 min
    assert pending(body)["stuck"] == 2


def test_garments_at_the_tailor_over_the_configured_days_show_their_days_out(app, client, login_as, make):
    long_out = make.garment("G-000021", at=ago(days=30))
    through(long_out, Action.TO_TAILOR, start=ago(days=5, hours=1))
    short_out = make.garment("G-000022", at=ago(days=30))
    through(short_out, Action.TO_TAILOR, start=ago(days=2))
    db.session.commit()
    login_as("clerk")
    body = text_of(client.get("/today/"))
    tailor = section(body, "tailor")
    assert re.findall(r'<tr data-tag="([\w-]+)"', tailor) == ["G-000021"]
    assert 'data-days="5"' in tailor
    app.config["KIOSK_TAILOR_DAYS"] = 1
    tailor = section(text_of(client.get("/today/")), "tailor")
    assert re.findall(r'<tr data-tag="([\w-]+)"', tailor) == ["G-000021", "G-000022"]


# --- carts, reprints, rejects ----------------------------------------------

def test_todays_carts_with_a_gap_and_open_carts_are_shown(client, login_as, make):
    kitchen, rooms, lobby = make.department("厨房"), make.department("客房部"), make.department("前厅部")
    now = utcnow()
    db.session.add_all([
        CheckinBatch(department=kitchen, declared=30, scanned=28, opened_at=now, closed_at=now),
        CheckinBatch(department=lobby, declared=10, scanned=10, opened_at=now, closed_at=now),  # no gap
        CheckinBatch(department=lobby, declared=9, scanned=5, opened_at=now - dt.timedelta(days=3),
                     closed_at=now - dt.timedelta(days=3)),  # another day
    ])
    open_cart = CheckinBatch(department=rooms, declared=12, opened_at=now)
    db.session.add(open_cart)
    db.session.flush()
    dirty = make.garment("G-000031")
    move(db.session, dirty, Action.ISSUE, user=None, station="issue")
    move(db.session, dirty, Action.CHECK_IN, user=None, station="checkin", batch_id=open_cart.id)
    db.session.commit()
    login_as("clerk")
    body = text_of(client.get("/today/"))
    carts = section(body, "open_carts")
    rows = re.findall(r'data-gap="(-?\d+)" data-open="(\w+)"', carts)
    assert sorted(rows) == [("11", "true"), ("2", "false")]
    assert "厨房" in carts and "客房部" in carts and "前厅部" not in carts
    assert pending(body)["open_carts"] == 1


def test_an_undone_check_in_no_longer_counts_in_its_open_cart(ctx, make):
    cart = CheckinBatch(department=make.department(), declared=3)
    db.session.add(cart)
    db.session.flush()
    events = []
    for _ in range(2):
        garment = make.garment(status=Status.ISSUED.value)
        events.append(move(db.session, garment, Action.CHECK_IN, user=None, station="checkin", batch_id=cart.id))
    db.session.flush()
    undo(db.session, events[1], user=None, station="checkin")
    db.session.commit()
    start, end = local_day_bounds(utcnow(), "Asia/Shanghai")
    [line] = services.carts(db.session, start, end)
    assert (line.is_open, line.scanned, line.gap) == (True, 1, 2)


def test_pending_tag_reprints_are_counted(client, login_as, make):
    one, two = make.garment(), make.garment()
    db.session.add_all([TagReprint(garment=one), TagReprint(garment=two),
                        TagReprint(garment=two, done_at=utcnow())])
    db.session.commit()
    login_as("clerk")
    assert count_of(text_of(client.get("/today/")), "reprints") == 2


def test_todays_rejects_are_charged_to_the_ironer_who_ironed_last(client, login_as, make):
    li, zhao = make.user("李熨烫", role="ironer"), make.user("赵熨烫", role="ironer")

    def ironed_and_rejected(ironer, reject, at):
        garment = make.garment(at=at - dt.timedelta(hours=2))
        through(garment, Action.ISSUE, Action.CHECK_IN, start=at - dt.timedelta(hours=1))
        move(db.session, garment, Action.IRON, user=ironer, station="ironing", at=at)
        return move(db.session, garment, reject, user=None, station="inspection",
                    at=at + dt.timedelta(minutes=5))

    now = utcnow()
    ironed_and_rejected(li, Action.REWASH, now - dt.timedelta(minutes=30))
    ironed_and_rejected(li, Action.REIRON, now - dt.timedelta(minutes=20))
    ironed_and_rejected(zhao, Action.REIRON, now - dt.timedelta(minutes=15))
    ironed_and_rejected(zhao, Action.REWASH, now - dt.timedelta(days=2))     # not today
    take_back = ironed_and_rejected(zhao, Action.REIRON, now - dt.timedelta(minutes=10))
    # Ironed by both: 赵 first (re-ironed: 赵's reject), then 李 (rewashed: 李's, not 赵's).
    both = ironed_and_rejected(zhao, Action.REIRON, now - dt.timedelta(minutes=50)).garment
    move(db.session, both, Action.IRON, user=li, station="ironing", at=now - dt.timedelta(minutes=40))
    move(db.session, both, Action.REWASH, user=None, station="inspection", at=now - dt.timedelta(minutes=35))
    db.session.flush()
    undo(db.session, take_back, user=None, station="inspection")           # undone: not a reject
    db.session.commit()
    start, end = local_day_bounds(now, "Asia/Shanghai")
    found = services.rejects_per_ironer(db.session, min(start, now - dt.timedelta(hours=1)), end)
    assert [(r.name, r.rejected) for r in found] == [("李熨烫", 3), ("赵熨烫", 2)]


# --- the end-of-day check ----------------------------------------------------

def test_end_of_day_check_is_all_done_when_nothing_is_pending(client, login_as, make):
    make.garment()                    # in stock, nothing to do
    make.garment(status="issued")
    db.session.commit()
    login_as("clerk")
    body = text_of(client.get("/today/"))
    check = section(body, "eod-check")
    assert 'data-testid="all-done"' in check
    assert set(pending(body).values()) == {0}
    assert set(pending(body)) == {"unslotted", "stuck", "open_carts", "tailor"}


def test_end_of_day_check_lists_what_is_left_to_do(client, login_as, make):
    passed = make.garment(status=Status.INSPECTION.value)
    move(db.session, passed, Action.PASS, user=None, station="inspection")
    tailor = make.garment(at=ago(days=20))
    through(tailor, Action.TO_TAILOR, start=ago(days=10))
    db.session.add(CheckinBatch(department=make.department(), declared=5))
    db.session.commit()
    login_as("clerk")
    body = text_of(client.get("/today/"))
    assert 'data-testid="all-done"' not in body
    assert pending(body) == {"unslotted": 1, "stuck": 0, "open_carts": 1, "tailor": 1}
    assert 'data-all-done="false"' in body


# --- page, fragment, polling, roles -------------------------------------------

def test_board_page_polls_itself_every_minute_as_a_background_request(client, login_as):
    login_as("clerk")
    body = text_of(client.get("/today/"))
    assert "<html" in body
    root = re.search(r'<section id="today-board"[^>]*>', body).group(0)
    assert 'hx-trigger="every 60s"' in root and 'hx-get="/today/"' in root
    assert '"X-Kiosk-Background": "1"' in root
    assert 'hx-history="false"' in root


def test_board_with_htmx_answers_with_only_the_board(client, login_as):
    login_as("clerk")
    response = client.get("/today/", headers={**HX, "X-Kiosk-Background": "1"})
    body = text_of(response)
    assert response.status_code == 200
    assert "<html" not in body and re.match(r'\s*(?:\{#.*?#\}\s*)?<section id="today-board"', body, re.S)
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("role, status", [("ironer", 403), ("clerk", 200), ("supervisor", 200), ("admin", 200)])
def test_board_is_for_the_counter(client, login_as, role, status):
    login_as(role)
    assert client.get("/today/").status_code == status


def test_board_query_count_does_not_grow_with_the_stock(client, login_as, make):
    gtype = make.garment_type()
    for i in range(30):
        garment = make.garment(garment_type=gtype, at=ago(days=10))
        through(garment, Action.TO_TAILOR, start=ago(days=9))
        passed = make.garment(garment_type=gtype, status=Status.INSPECTION.value)
        move(db.session, passed, Action.PASS, user=None, station="inspection")
    db.session.commit()
    login_as("clerk")
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", record)
    try:
        body = text_of(client.get("/today/"))
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", record)
    assert count_of(body, "tailor") == 30 and count_of(body, "unslotted") == 30
    assert len(statements) <= 15  # a fixed number: today's shift checks (开班/收班检查) are one of them
