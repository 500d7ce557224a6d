"""The garment page (one tag's whole timeline) and the lookup mode of every station."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from kiosk.domain.garment_states import Action
from kiosk.extensions import db
from kiosk.ledger import flag_defects, move, undo
from kiosk.models import Event, TagReprint

from .scans import HX, text_of

UTC = dt.timezone.utc
T0 = dt.datetime(2024, 3, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def is_fragment(body: str, root_id: str) -> bool:
    return "<html" not in body and re.match(rf'\s*<[a-z]+ id="{root_id}"', body) is not None


def english(client):
    client.post("/language", data={"lang": "en", "next": "/login"})


def actions_in_order(body: str) -> list[str]:
    return re.findall(r'data-action="([a-z_]+)"', body)


def event_count() -> int:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Event.__table__))


@pytest.fixture
def story(make):
    """Shirt G-000777 of 张三 (客房部): issued, checked in, ironed with a defect, sent to the
    tailor, back, passed; then re-issued and the issue undone. Committed."""
    housekeeping = make.department("客房部")
    zhang = make.employee("张三", housekeeping, staff_no="E10001", uniform_no="1023")
    ironer = make.user("李熨烫", role="ironer")
    clerk = make.user("王收发", role="clerk")
    shirt = make.garment_type("SH", name_zh="衬衫", name_en="Shirt", expected_washes=50)
    garment = make.garment("G-000777", shirt, owner=zhang, size="L", purchased_on=dt.date(2023, 5, 4),
                           cost=Decimal("128.50"), at=T0)
    at = T0
    for action, user, station in [(Action.ISSUE, clerk, "issue"), (Action.CHECK_IN, clerk, "checkin"),
                                  (Action.IRON, ironer, "ironing")]:
        at += dt.timedelta(hours=1)
        move(db.session, garment, action, user=user, station=station, at=at)
    at += dt.timedelta(minutes=5)
    flag_defects(db.session, garment, "missing_button,damage", user=ironer, station="ironing",
                 note="左袖口", at=at)
    for action in (Action.TO_TAILOR, Action.FROM_TAILOR, Action.PASS):
        at += dt.timedelta(hours=1)
        move(db.session, garment, action, user=clerk, station="inspection", at=at)
    at += dt.timedelta(hours=1)
    issued = move(db.session, garment, Action.ISSUE, user=clerk, station="issue", at=at)
    db.session.flush()
    undo(db.session, issued, user=clerk, station="issue")
    db.session.commit()
    return {"tag": garment.tag, "issued_id": issued.id, "garment_id": garment.id}


# --- the garment page --------------------------------------------------------

def test_garment_page_shows_every_event_newest_first(client, login_as, story):
    login_as("clerk")
    english(client)
    body = text_of(client.get("/garment/G-000777"))
    assert "<html" in body
    assert actions_in_order(body) == ["undo", "issue", "pass", "from_tailor", "to_tailor", "flag",
                                      "iron", "check_in", "issue", "register"]
    for label in ("Registered", "Issue", "Check in", "Iron", "Defect reported", "Send to the tailor",
                  "Take back from the tailor", "Pass"):
        assert label in body


def test_garment_page_row_says_when_who_where_and_from_which_status_to_which(client, login_as, story):
    login_as("clerk")
    english(client)
    body = text_of(client.get("/garment/G-000777"))
    flag_row = re.search(r'<tr data-event="\d+" data-action="flag".*?</tr>', body, re.S).group(0)
    assert "李熨烫" in flag_row                      # who
    assert "Ironing station" in flag_row            # where
    assert "Missing button" in flag_row and "Damage" in flag_row  # defect labels, not codes
    assert "左袖口" in flag_row                      # note
    check_in = re.search(r'<tr data-event="\d+" data-action="check_in".*?</tr>', body, re.S).group(0)
    assert re.search(r'data-status="issued".*→.*data-status="dirty"', check_in, re.S)
    assert "张三" in check_in and "客房部" in check_in  # the employee and department of the moment
    # Times are shown in the hotel's zone: check-in at 03:00 UTC is 11:00 in Shanghai.
    assert "2024-03-01 11:00" in check_in


def test_garment_page_keeps_the_department_of_the_moment(client, login_as, story, make):
    moved_on = make.department("餐饮部")
    from kiosk.models import Employee

    zhang = db.session.scalar(select(Employee).where(Employee.staff_no == "E10001"))
    zhang.department = moved_on
    db.session.commit()
    login_as("clerk")
    body = text_of(client.get("/garment/G-000777"))
    check_in = re.search(r'<tr data-event="\d+" data-action="check_in".*?</tr>', body, re.S).group(0)
    assert "客房部" in check_in and "餐饮部" not in check_in


def test_garment_page_shows_an_undo_and_strikes_the_undone_event_through(client, login_as, story):
    login_as("clerk")
    english(client)
    body = text_of(client.get("/garment/G-000777"))
    undone_row = re.search(rf'<tr data-event="{story["issued_id"]}"[^>]*>', body).group(0)
    assert 'class="undone' in undone_row
    undo_row = re.search(r'<tr data-event="\d+" data-action="undo".*?</tr>', body, re.S).group(0)
    assert "Undone: Issue" in undo_row
    # Only the undone issue is struck, not the first one.
    assert body.count('class="undone') == 1


def test_garment_page_header_has_the_garments_facts(client, login_as, story, make):
    # Another garment waits for a new tag: its reprint is not this garment's.
    db.session.add(TagReprint(garment=make.garment("G-000778"), reason="faded_number"))
    db.session.commit()
    login_as("clerk")
    english(client)
    assert 'data-testid="reprint"' in text_of(client.get("/garment/G-000778"))
    body = text_of(client.get("/garment/G-000777"))
    header = re.search(r'<header class="card garment-head">.*?</header>', body, re.S).group(0)
    assert "G-000777" in header and "Shirt" in header and "1023" in header
    assert re.search(r'data-testid="owner">\s*张三', header)
    assert 'data-garment-status="in_stock"' in body
    assert re.search(r'data-testid="washes">1 / 50<', header)
    assert re.search(r'data-testid="repairs">1<', header)
    assert "128.50" in header
    assert "2023" in header  # purchase date
    assert 'data-testid="warning"' not in header
    assert 'data-testid="reprint"' not in header


def test_garment_page_warns_when_due_for_retirement_and_shows_a_pending_reprint(client, login_as, make):
    garment = make.garment("G-000900", make.garment_type(expected_washes=3), washes=3)
    db.session.add(TagReprint(garment=garment, reason="faded_number"))
    make.garment("G-000901", washes=1)
    db.session.commit()
    login_as("clerk")
    english(client)
    body = text_of(client.get("/garment/G-000900"))
    assert "Due for retirement" in body
    assert 'data-testid="reprint"' in body and "Faded number" in body
    # Another garment: neither G-000900's reprint nor its warning.
    other = text_of(client.get("/garment/G-000901"))
    assert 'data-tag="G-000901"' in other and 'data-testid="washes">1 / 100<' in other
    assert 'data-testid="reprint"' not in other and "Due for retirement" not in other


def test_a_holder_is_shown_while_the_garment_is_out(client, login_as, make):
    zhang = make.employee("张三")
    garment = make.garment("G-000500", owner=zhang)
    move(db.session, garment, Action.ISSUE, user=None, station="issue")
    db.session.commit()
    login_as("clerk")
    body = text_of(client.get("/garment/G-000500"))
    assert re.search(r'data-testid="holder">\s*张三', body)


@pytest.mark.parametrize("typed", ["g-000777", "Ｇ－０００７７７", "g-000777%20"])
def test_garment_page_address_is_corrected_to_the_canonical_tag(client, login_as, story, typed):
    login_as("clerk")
    response = client.get(f"/garment/{typed}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/garment/G-000777")


def test_unknown_tag_is_a_404_saying_it_is_not_ours(client, login_as, story):
    login_as("clerk")
    english(client)
    response = client.get("/garment/NOT-OURS-1")
    assert response.status_code == 404
    assert "NOT-OURS-1 is not one of our uniforms" in text_of(response)


def test_unknown_tag_404_speaks_chinese_by_default(product_language, client, login_as, story):
    login_as("clerk")
    response = client.get("/garment/NOT-OURS-1")
    assert response.status_code == 404
    assert 'lang="zh-CN"' in text_of(response)
    assert "NOT-OURS-1" in text_of(response)


def test_garment_page_with_htmx_answers_with_only_the_timeline(client, login_as, story):
    login_as("clerk")
    response = client.get("/garment/G-000777", headers=HX)
    body = text_of(response)
    assert response.status_code == 200
    assert is_fragment(body, "garment-page")
    assert len(actions_in_order(body)) == 10
    assert "HX-Request" in response.headers["Vary"]


def test_garment_page_is_kept_out_of_the_browser_history(client, login_as, story):
    login_as("clerk")
    response = client.get("/garment/G-000777")
    assert 'hx-history="false"' in text_of(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_every_role_may_open_a_garment_page(client, login_as, story):
    login_as("ironer")
    assert client.get("/garment/G-000777").status_code == 200


def test_garment_page_needs_a_signed_in_user(client, story):
    response = client.get("/garment/G-000777")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_garment_page_reads_only_that_garments_events(app, client, login_as, story, make):
    other = make.garment("G-000778")
    for _ in range(20):
        move(db.session, other, Action.TO_TAILOR, user=None, station="inspection")
        move(db.session, other, Action.FROM_TAILOR, user=None, station="tailor")
        move(db.session, other, Action.PASS, user=None, station="inspection")
    db.session.commit()
    login_as("clerk")
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", record)
    try:
        body = text_of(client.get("/garment/G-000777"))
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", record)
    assert len(actions_in_order(body)) == 10
    event_reads = [s for s in statements if "FROM events" in s]
    assert len(event_reads) == 1 and "events.garment_id =" in event_reads[0]
    assert len(statements) <= 8


# --- lookup -------------------------------------------------------------------

def test_lookup_with_htmx_answers_in_the_scan_result_area(client, login_as, story):
    login_as("ironer")
    english(client)
    before = event_count()
    response = client.get("/garment/lookup?code=g-000777", headers=HX)
    body = text_of(response)
    assert response.status_code == 200
    assert is_fragment(body, "scan-result")
    assert re.match(r'\s*<section id="scan-result" class="scan-result result-ok', body)
    assert 'data-scan-result="ok"' in body and 'data-garment-status="in_stock"' in body
    assert len(actions_in_order(body)) == 5  # the last five events
    assert actions_in_order(body)[:2] == ["undo", "issue"]
    assert 'href="/garment/G-000777"' in body and "Full timeline" in body
    assert event_count() == before  # looking up changes nothing


def test_lookup_of_an_unknown_code_is_an_error_saying_it_is_not_ours(client, login_as, story):
    login_as("clerk")
    english(client)
    before = event_count()
    body = text_of(client.get("/garment/lookup?code=my-own-shirt", headers=HX))
    assert is_fragment(body, "scan-result")
    assert 'data-scan-result="error"' in body
    assert "data-garment-status" not in body
    assert "MY-OWN-SHIRT is not one of our uniforms. Personal clothes never enter the stock." in body
    assert event_count() == before


def test_lookup_without_htmx_goes_to_the_garment_page(client, login_as, story):
    login_as("clerk")
    response = client.get("/garment/lookup?code=%EF%BC%A7-000777")  # full-width Ｇ
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/garment/G-000777")


def test_lookup_page_without_a_code_has_a_scan_field(client, login_as):
    login_as("clerk")
    body = text_of(client.get("/garment/lookup"))
    assert "<html" in body
    assert 'data-scan-field' in body and 'data-mode="lookup"' in body
    assert 'data-scan-result="idle"' in body


def test_lookup_page_with_an_unknown_code_shows_the_refusal(client, login_as):
    login_as("clerk")
    english(client)
    response = client.get("/garment/lookup?code=XYZ-1")
    body = text_of(response)
    assert response.status_code == 200 and "<html" in body
    assert 'data-scan-result="error"' in body and "XYZ-1 is not one of our uniforms" in body


def test_lookup_shows_the_due_for_retirement_warning(client, login_as, make):
    make.garment("G-000901", make.garment_type(expected_washes=2), washes=2)
    db.session.commit()
    login_as("clerk")
    english(client)
    body = text_of(client.get("/garment/lookup?code=G-000901", headers=HX))
    assert "Due for retirement" in body


def test_station_scan_form_points_lookup_mode_here(client, login_as):
    login_as("clerk")
    body = text_of(client.get("/checkin/"))
    assert 'data-lookup-url="/garment/lookup"' in body


def test_a_long_life_shows_its_latest_events_and_a_link_to_the_whole_history(client, login_as, make):
    """A garment washed for years: the page reads the latest PAGE_EVENTS events (constant cost), then links to all."""
    from sqlalchemy import insert

    from kiosk.garments.services import PAGE_EVENTS

    garment = make.garment(status="in_stock")
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    db.session.execute(insert(Event), [
        {"property_id": garment.property_id, "garment_id": garment.id, "action": "wash", "from_status": "dirty",
         "to_status": "ironing",
         "station": "laundry", "note": f"wash-{n:03d}", "created_at": start + dt.timedelta(days=n)}
        for n in range(PAGE_EVENTS + 10)])
    db.session.commit()
    login_as("clerk")
    page = text_of(client.get(f"/garment/{garment.tag}"))
    notes = re.findall(r"wash-(\d{3})", page)
    # The newest first: its registration (today), then the latest washes, 50 events in all.
    assert len(notes) == PAGE_EVENTS - 1 and notes[0] == f"{PAGE_EVENTS + 9:03d}"
    assert "wash-000" not in page and 'data-testid="timeline-more"' in page
    whole = text_of(client.get(f"/garment/{garment.tag}?all=1"))
    assert len(re.findall(r"wash-(\d{3})", whole)) == PAGE_EVENTS + 10 + 0 and "wash-000" in whole
    assert 'data-testid="timeline-more"' not in whole
