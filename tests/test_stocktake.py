"""Monthly stocktake (月盘点): scanning on two tablets, blind mode, the two-PIN close, the snapshot."""
from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Event, User, utcnow
from kiosk.stocktake import services
from kiosk.stock.models import StockItem
from kiosk.stocktake.models import Stocktake, StocktakeScan, StocktakeSnapshot
from tests.conftest import Factory, login
from tests.scans import HX, garment, scan_result, text_of

MONTH = "2026-03"


@pytest.fixture
def room(app):
    """A supervisor, two clerks, and six shirts: four in the room, one issued, one on loan-like spare."""
    with app.app_context():
        make = Factory()
        boss = make.user("主管", role="supervisor", pin="1470")
        clerk = make.user("小王", role="clerk", pin="3691")
        clerk2 = make.user("小李", role="clerk", pin="4826")
        shirt = make.garment_type("SHIRT", unit_cost=Decimal("98.50"))
        owner = make.employee("张三")
        for n, status in enumerate(["in_stock", "in_stock", "dirty", "at_tailor", "issued", "spare_issued",
                                    "written_off", "missing"], start=1):
            make.garment(f"SH-{n:03d}", garment_type=shirt, owner=owner if status == "issued" else None,
                         size="M", status=status)
        db.session.commit()
        ids = {"boss": boss.id, "clerk": clerk.id, "clerk2": clerk2.id}
    return ids


def _open(app, blind=False) -> int:
    with app.app_context():
        boss = db.session.scalar(select(User).where(User.name == "主管"))
        st = services.open_stocktake(db.session, MONTH, user=boss, blind=blind)
        db.session.commit()
        return st.id


def _client(app, user_id, pin):
    client = app.test_client()
    assert login(client, user_id, pin).status_code == 302
    return client


def _scan(client, st_id, code, **extra):
    return client.post(f"/stocktake/{st_id}/scan", data={"code": code, **extra}, headers=HX)


def _close(client, st_id, supervisor, s_pin, counter, c_pin):
    return client.post(f"/stocktake/{st_id}/close", data={
        "supervisor_id": supervisor, "supervisor_pin": s_pin, "counter_id": counter, "counter_pin": c_pin})


def test_supervisor_opens_a_month_and_opening_again_lands_once(app, room):
    boss = _client(app, room["boss"], "1470")
    first = boss.post("/stocktake/", data={"month": MONTH})
    again = boss.post("/stocktake/", data={"month": MONTH})
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Stocktake)) == 1


def test_bad_month_is_refused_and_nothing_is_opened(app, room):
    boss = _client(app, room["boss"], "1470")
    response = boss.post("/stocktake/", data={"month": "March"}, headers=HX)
    assert response.status_code == 200 and "YYYY-MM" in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Stocktake)) == 0


def test_a_clerk_may_count_but_not_open_or_close(app, room):
    st_id = _open(app)
    clerk = _client(app, room["clerk"], "3691")
    assert clerk.get("/stocktake/").status_code == 200
    assert clerk.get(f"/stocktake/{st_id}").status_code == 200
    assert clerk.post("/stocktake/", data={"month": "2026-04"}).status_code == 403
    assert clerk.get(f"/stocktake/{st_id}/close").status_code == 403
    assert _close(clerk, st_id, room["boss"], "1470", room["clerk"], "3691").status_code == 403


def test_the_same_tag_on_two_tablets_counts_once(app, room):
    st_id = _open(app)
    one = _client(app, room["clerk"], "3691")
    two = _client(app, room["clerk2"], "4826")
    first = _scan(one, st_id, "sh-001", location="rack")
    second = _scan(two, st_id, "SH-001")
    assert scan_result(text_of(first)) == "ok"
    assert scan_result(text_of(second)) == "duplicate"
    assert "counts once" in text_of(second)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StocktakeScan)) == 1
        assert db.session.scalar(select(StocktakeScan.location)) == "rack"


def test_an_unknown_code_is_listed_and_the_count_goes_on(app, room):
    st_id = _open(app)
    clerk = _client(app, room["clerk"], "3691")
    unknown = _scan(clerk, st_id, "PERSONAL-42")
    assert scan_result(text_of(unknown)) == "error"
    assert "listed as an unknown code" in text_of(unknown)
    assert 'data-code="PERSONAL-42"' in text_of(unknown)  # the progress panel comes along
    assert scan_result(text_of(_scan(clerk, st_id, "SH-002"))) == "ok"
    assert scan_result(text_of(_scan(clerk, st_id, "personal-42"))) == "duplicate"
    page = text_of(clerk.get(f"/stocktake/{st_id}"))
    assert 'data-code="PERSONAL-42"' in page


def test_a_bad_location_is_refused_and_nothing_is_counted(app, room):
    st_id = _open(app)
    clerk = _client(app, room["clerk"], "3691")
    answer = _scan(clerk, st_id, "SH-001", location="roof")
    assert scan_result(text_of(answer)) == "error"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StocktakeScan)) == 0


def test_progress_shows_expected_seen_and_accounted_for(app, room):
    st_id = _open(app)
    clerk = _client(app, room["clerk"], "3691")
    for tag in ("SH-001", "SH-003", "SH-005"):  # SH-005 is issued: seen but accounted for by its record
        _scan(clerk, st_id, tag)
    page = text_of(clerk.get(f"/stocktake/{st_id}"))
    assert 'data-expected="4" data-seen="2" data-accounted="2"' in page
    fragment = text_of(clerk.get(f"/stocktake/{st_id}", headers=HX))
    assert fragment.lstrip().startswith("<section id=\"stocktake-progress\"")
    assert "You counted: 3" in fragment


def test_blind_mode_hides_expected_from_a_clerk_but_not_the_supervisor(app, room):
    st_id = _open(app, blind=True)
    clerk = _client(app, room["clerk"], "3691")
    _scan(clerk, st_id, "SH-001")
    clerk_page = text_of(clerk.get(f"/stocktake/{st_id}"))
    assert "data-expected" not in clerk_page and 'data-testid="blind-note"' in clerk_page
    assert "You counted: 1" in clerk_page
    answer = text_of(_scan(clerk, st_id, "SH-002"))
    assert "data-expected" not in answer and "You counted: 2" in answer
    boss = _client(app, room["boss"], "1470")
    assert 'data-expected="4" data-seen="2"' in text_of(boss.get(f"/stocktake/{st_id}"))


def test_the_blind_count_rule_lives_in_the_service_the_count_page_reads(app, room):
    st_id = _open(app, blind=True)
    clerk = _client(app, room["clerk"], "3691")
    _scan(clerk, st_id, "SH-001")
    with app.app_context():
        stocktake = db.session.get(Stocktake, st_id)
        socks = StockItem(code="SOCK", name_zh="袜子", kind="socks", size="M", quantity_on_hand=40)
        db.session.add_all([socks, StockItem(code="OLD", name_zh="旧鞋", kind="shoes", active=False)])
        db.session.commit()
        counter = services.count_view(db.session, stocktake, db.session.get(User, room["clerk"]))
        supervisor = services.count_view(db.session, stocktake, db.session.get(User, room["boss"]))
        assert not services.sees_expected(stocktake, db.session.get(User, room["clerk"]))
        assert (counter.show_expected, counter.rows, counter.total_seen, counter.my_count) == (False, [], None, 1)
        assert supervisor.show_expected and supervisor.total_seen == 1 and supervisor.my_count == 0
        assert [(r.expected, r.seen) for r in supervisor.rows] == [(4, 1)]
        assert counter.stock_items == supervisor.stock_items == [socks]  # active items only
        stocktake.blind = False  # an open count: the clerk sees what is expected too
        assert services.count_view(db.session, stocktake, db.session.get(User, room["clerk"])).show_expected


def test_the_preview_lists_unseen_garments_and_the_count_can_go_on(app, room):
    st_id = _open(app)
    boss = _client(app, room["boss"], "1470")
    _scan(boss, st_id, "SH-001")
    preview = text_of(boss.get(f"/stocktake/{st_id}/close"))
    assert all(f'data-tag="SH-00{n}"' in preview for n in (2, 3, 4))
    assert 'data-tag="SH-005"' not in preview and 'data-tag="SH-007"' not in preview
    _scan(boss, st_id, "SH-002")  # back to counting after the preview
    assert 'data-tag="SH-002"' not in text_of(boss.get(f"/stocktake/{st_id}/close"))
    with app.app_context():
        assert db.session.get(Stocktake, st_id).is_open


@pytest.mark.parametrize("who, expected", [
    ("one_pin", "Wrong PIN"),
    ("same_user", "two different people"),
    ("clerk_as_supervisor", "is not a supervisor"),
    ("wrong_pin", "Wrong PIN"),
])
def test_close_is_refused_without_two_people_and_two_right_pins(app, room, who, expected):
    st_id = _open(app)
    boss = _client(app, room["boss"], "1470")
    args = {
        "one_pin": (room["boss"], "1470", room["clerk"], ""),
        "same_user": (room["boss"], "1470", room["boss"], "1470"),
        "clerk_as_supervisor": (room["clerk2"], "4826", room["clerk"], "3691"),
        "wrong_pin": (room["boss"], "9999", room["clerk"], "3691"),
    }[who]
    response = _close(boss, st_id, *args)
    assert response.status_code == 200 and expected in text_of(response)
    with app.app_context():
        st = db.session.get(Stocktake, st_id)
        assert st.is_open and st.closed_at is None
        assert db.session.scalar(select(func.count()).select_from(StocktakeSnapshot)) == 0
        assert garment("SH-002").status == "in_stock"
        if who == "wrong_pin":
            assert db.session.get(User, room["boss"]).failed_attempts == 1  # counted toward the lock
        if who == "one_pin":
            assert db.session.get(User, room["clerk"]).failed_attempts == 1


@pytest.mark.parametrize("wrong, whose, field", [
    ("supervisor", "Supervisor's PIN (主管): Wrong PIN.", "supervisor_pin"),
    ("counter", "Clerk's PIN (小王): Wrong PIN.", "counter_pin"),
])
def test_a_wrong_pin_at_the_close_says_whose_it_was(app, room, wrong, whose, field):
    st_id = _open(app)
    boss = _client(app, room["boss"], "1470")
    pins = {"supervisor": "1470", "counter": "3691", wrong: "0000"}
    response = _close(boss, st_id, room["boss"], pins["supervisor"], room["clerk"], pins["counter"])
    html = html_lib.unescape(text_of(response))
    notice = re.search(r'data-testid="close-error" data-pin="(\w+)">([^<]+)<', html)
    assert notice and notice.group(1) == field and notice.group(2).startswith(whose)
    assert re.search(rf'name="{field}" aria-invalid="true"', html)
    other = "counter_pin" if field == "supervisor_pin" else "supervisor_pin"
    assert not re.search(rf'name="{other}" aria-invalid', html)
    with app.app_context():
        assert db.session.get(Stocktake, st_id).is_open


def test_close_after_too_many_wrong_pins_is_locked(app, room):
    st_id = _open(app)
    boss = _client(app, room["boss"], "1470")
    for _ in range(5):
        _close(boss, st_id, room["boss"], "1470", room["clerk"], "0000")
    locked = _close(boss, st_id, room["boss"], "1470", room["clerk"], "3691")
    assert "locked" in text_of(locked)
    with app.app_context():
        assert db.session.get(Stocktake, st_id).is_open


def _count_and_close(app, room, *, seen=("SH-001", "SH-003")):
    st_id = _open(app)
    clerk = _client(app, room["clerk"], "3691")
    for tag in seen:
        _scan(clerk, st_id, tag)
    _scan(clerk, st_id, "ALIEN-1")
    boss = _client(app, room["boss"], "1470")
    response = _close(boss, st_id, room["boss"], "1470", room["clerk"], "3691")
    assert response.status_code == 302, text_of(response)
    return st_id, boss


def test_close_marks_the_unseen_missing_through_the_ledger(app, room):
    st_id, boss = _count_and_close(app, room)
    with app.app_context():
        assert garment("SH-002").status == "missing" and garment("SH-004").status == "missing"
        assert garment("SH-001").status == "in_stock" and garment("SH-003").status == "dirty"
        # issued and spare-issued are accounted for through their records, not missing
        assert garment("SH-005").status == "issued" and garment("SH-006").status == "spare_issued"
        # SH-008 went missing before this stocktake; the close marks only what it did not see.
        events = db.session.scalars(select(Event).where(Event.action == "mark_missing",
                                                        Event.station == services.STATION)).all()
        assert sorted(e.garment.tag for e in events) == ["SH-002", "SH-004"]
        assert all(e.note == f"stocktake #{st_id} {MONTH}" and e.user_id == room["boss"] for e in events)
        st = db.session.get(Stocktake, st_id)
        assert st.status == "closed" and st.closed_by_id == room["boss"] and st.counted_by_id == room["clerk"]
        (row,) = st.snapshot
        assert (row.size, row.expected, row.seen, row.accounted_for, row.missing) == ("M", 4, 2, 2, 2)
        assert [u["code"] for u in st.unknown_codes] == ["ALIEN-1"]
        assert services.closed_for_month(db.session, MONTH).id == st_id
        missing = st.missing  # the facts copied at the close
        assert sorted(m["garment_id"] for m in missing) == sorted(
            [garment("SH-002").id, garment("SH-004").id])
        assert all(Decimal(m["cost"]) == Decimal("98.50") and m["type_id"] == row.type_id for m in missing)
    page = text_of(boss.get(f"/stocktake/{st_id}"))
    assert 'data-stocktake-status="closed"' in page and 'data-missing="2"' in page


def test_closing_twice_lands_once(app, room):
    st_id, boss = _count_and_close(app, room)
    again = _close(boss, st_id, room["boss"], "1470", room["clerk"], "3691")
    assert again.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)
                                 .where(Event.action == "mark_missing", Event.station == services.STATION)) == 2
        assert db.session.scalar(select(func.count()).select_from(StocktakeSnapshot)) == 1
    other = _client(app, room["clerk2"], "4826")
    refused = _close(boss, st_id, room["boss"], "1470", room["clerk2"], "4826")
    assert "already closed" in text_of(refused)
    del other


def test_a_closed_stocktake_is_never_changed(app, room):
    st_id, boss = _count_and_close(app, room)
    answer = _scan(boss, st_id, "SH-002")
    assert scan_result(text_of(answer)) == "error" and "closed" in text_of(answer)
    with app.app_context():
        before = [(r.expected, r.seen, r.missing) for r in db.session.get(Stocktake, st_id).snapshot]
        scans = db.session.scalar(select(func.count()).select_from(StocktakeScan))
    # later moves in the room do not touch the snapshot
    with app.app_context():
        from kiosk.domain.garment_states import Action
        from kiosk.ledger import move
        move(db.session, garment("SH-002"), Action.FOUND, user=None, station="test")
        db.session.commit()
        st = db.session.get(Stocktake, st_id)
        assert [(r.expected, r.seen, r.missing) for r in st.snapshot] == before
        assert len(st.missing) == 2
        assert db.session.scalar(select(func.count()).select_from(StocktakeScan)) == scans
    assert boss.post("/stocktake/", data={"month": MONTH}, headers=HX).status_code == 200  # no second original


def test_a_correction_is_a_new_stocktake_pointing_at_the_closed_one(app, room):
    st_id, boss = _count_and_close(app, room)
    response = boss.post("/stocktake/", data={"month": MONTH, "correction": "1"})
    assert response.status_code == 302
    again = boss.post("/stocktake/", data={"month": MONTH, "correction": "1"})
    assert again.headers["Location"] == response.headers["Location"]
    with app.app_context():
        correction = db.session.scalar(select(Stocktake).where(Stocktake.corrects_id == st_id))
        assert correction.is_open and correction.month == MONTH
        corr_id = correction.id
    # a garment marked missing turns up in the correction: found, counted
    assert scan_result(text_of(_scan(boss, corr_id, "SH-002"))) == "ok"
    with app.app_context():
        assert garment("SH-002").status == "inspection"
    _close(boss, corr_id, room["boss"], "1470", room["clerk"], "3691")
    with app.app_context():
        assert services.closed_for_month(db.session, MONTH).id == corr_id
        assert db.session.get(Stocktake, st_id).status == "closed"
        assert len(db.session.get(Stocktake, st_id).missing) == 2


def test_correction_needs_a_closed_month(app, room):
    boss = _client(app, room["boss"], "1470")
    response = boss.post("/stocktake/", data={"month": MONTH, "correction": "1"}, headers=HX)
    assert "no closed stocktake" in text_of(response)


def test_overdue_loans_and_item_counts_are_kept_at_the_close(app, room):
    from kiosk.stock.models import StockItem

    with app.app_context():
        item = StockItem(code="SOCK", name_zh="袜子", name_en="Socks", kind="socks", quantity_on_hand=40)
        db.session.add(item)
        db.session.commit()
        item_id = item.id
    st_id = _open(app)
    clerk = _client(app, room["clerk"], "3691")
    bad = clerk.post(f"/stocktake/{st_id}/items", data={"item_id": item_id, "counted": "-3"}, headers=HX)
    assert bad.status_code == 200 and "whole number" in text_of(bad)
    assert 'value="-3"' in text_of(bad)  # what was typed stays, to be corrected
    unknown = clerk.post(f"/stocktake/{st_id}/items", data={"item_id": "999", "counted": "3"}, headers=HX)
    assert "Choose a stock item from the list." in text_of(unknown)
    with app.app_context():
        assert services.item_counts(db.session, db.session.get(Stocktake, st_id)) == []
    assert clerk.post(f"/stocktake/{st_id}/items", data={"item_id": item_id, "counted": "37"}).status_code == 302
    boss = _client(app, room["boss"], "1470")
    _close(boss, st_id, room["boss"], "1470", room["clerk"], "3691")
    with app.app_context():
        (row,) = services.item_counts(db.session, db.session.get(Stocktake, st_id))
        assert (row.expected, row.counted) == (40, 37)
        assert db.session.get(StockItem, item_id).quantity_on_hand == 40  # the count adjusts nothing by itself


def test_pages_render_full_and_as_fragments(app, room):
    st_id = _open(app)
    boss = _client(app, room["boss"], "1470")
    assert "<html" in text_of(boss.get("/stocktake/"))
    assert text_of(boss.get("/stocktake/", headers=HX)).lstrip().startswith('<section id="stocktake-index"')
    assert "<html" in text_of(boss.get(f"/stocktake/{st_id}/close"))
    assert text_of(boss.get(f"/stocktake/{st_id}/close", headers=HX)).lstrip().startswith('<section id="stocktake-close"')
    plain = boss.post(f"/stocktake/{st_id}/scan", data={"code": "SH-001"})
    assert "<html" in text_of(plain) and scan_result(text_of(plain)) == "ok"


def test_services_close_refuses_a_missing_person(ctx, room):
    from kiosk.auth.services import Policy
    from kiosk.domain.errors import DomainError

    boss = db.session.get(User, room["boss"])
    st = services.open_stocktake(db.session, MONTH, user=boss, now=utcnow() - dt.timedelta(hours=1))
    with pytest.raises(DomainError):
        services.close(db.session, st.id, supervisor=boss, supervisor_pin="1470", counter=None,
                       counter_pin="", policy=Policy())


def test_a_loan_hours_overdue_at_the_close_reads_in_hours(app, room):
    """The closed stocktake's list of overdue loans: 逾期 5 小时, not 逾期 0 天."""
    from kiosk.loans import services as loans
    from kiosk.loans.models import Loan

    with app.app_context():
        lent = Factory().garment(tag="LN-0777")
        loan = Loan(borrower_name="李四", borrower_phone="13800138000", borrower_org="外包", reason="event",
                    due_at=utcnow() - dt.timedelta(hours=5, minutes=10), signed_on_paper=True)
        db.session.add(loan)
        db.session.flush()
        assert loans.lend(db.session, loan, lent.tag, user=None, duplicate_seconds=0).ok
        db.session.commit()
    st_id = _open(app)
    boss = _client(app, room["boss"], "1470")
    _close(boss, st_id, room["boss"], "1470", room["clerk"], "3691")
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    page = text_of(boss.get(f"/stocktake/{st_id}"))
    overdue = page[page.index('data-testid="overdue"'):]
    overdue = overdue[:overdue.index("</ul>")]
    assert "LN-0777，逾期 5 小时" in overdue and "逾期 0 天" not in overdue
