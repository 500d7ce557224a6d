"""The hotel's calendar (kiosk.domain.calendar) and the app's clock (KIOSK_CLOCK).

The rules on their own first; then the app standing at 01:30 in Shanghai on
1 March 2026 (still 28 February in UTC): every page and form that defaults a
month or a day is on the hotel's new month, and every page that takes a month
refuses a bad one with the one message, never with a 500.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from kiosk.domain import calendar
from kiosk.domain.calendar import BadMonth
from kiosk.extensions import db
from kiosk.loans import services as loans
from kiosk.loans.models import Loan
from kiosk.purchases.models import Purchase
from kiosk.stock.models import StockItem
from kiosk.writeoffs.models import WriteOff

UTC = dt.timezone.utc
SHANGHAI = "Asia/Shanghai"
#: 01:30 on 1 March in Shanghai: 17:30 on 28 February in UTC
FIRST_NIGHT = dt.datetime(2026, 2, 28, 17, 30, tzinfo=UTC)
MESSAGE = "Give the month as YYYY-MM, from 2000-01 to 2099-12, e.g. 2026-03."
BAD_MONTHS = ["0001-01", "9999-12", "2026-13", "abc", "2026-00", "1999-12", "2100-01", "2026-3", "26-03",
              "2026-03-01", "٢٠٢٦-٠٣"]
HX = {"HX-Request": "true"}


def text_of(response) -> str:
    return response.get_data(as_text=True)


# --- the rules -----------------------------------------------------------------

def test_the_hotels_date_and_month_are_its_wall_clocks_not_utcs():
    assert calendar.local_date(FIRST_NIGHT, SHANGHAI) == dt.date(2026, 3, 1)
    assert calendar.local_month(FIRST_NIGHT, SHANGHAI) == "2026-03"
    assert calendar.local_month(FIRST_NIGHT, "UTC") == "2026-02"
    assert calendar.local_month(FIRST_NIGHT, "America/New_York") == "2026-02"
    assert calendar.local_time(FIRST_NIGHT, SHANGHAI).hour == 1


def test_today_is_the_hotel_zones_day_in_utc_bounds():
    # 23:30 UTC on 1 March is already 2 March in Shanghai.
    start, end = calendar.local_day_bounds(dt.datetime(2024, 3, 1, 23, 30, tzinfo=UTC), SHANGHAI)
    assert start == dt.datetime(2024, 3, 1, 16, 0, tzinfo=UTC)
    assert end == dt.datetime(2024, 3, 2, 16, 0, tzinfo=UTC)
    assert calendar.day_bounds(dt.date(2024, 3, 2), SHANGHAI) == (start, end)


def test_a_daylight_saving_day_has_23_hours():
    start, end = calendar.local_day_bounds(dt.datetime(2024, 3, 31, 12, 0, tzinfo=UTC), "Europe/Berlin")
    assert start == dt.datetime(2024, 3, 30, 23, 0, tzinfo=UTC)
    assert end - start == dt.timedelta(hours=23)


def test_a_months_bounds_are_the_hotels_midnights_and_months_meet():
    start, end = calendar.month_bounds("2026-03", SHANGHAI)
    assert (start, end) == (dt.datetime(2026, 2, 28, 16, tzinfo=UTC), dt.datetime(2026, 3, 31, 16, tzinfo=UTC))
    assert FIRST_NIGHT in range_of(start, end)
    assert calendar.month_bounds("2026-02", SHANGHAI)[1] == start
    assert calendar.month_bounds("2026-12", SHANGHAI)[1] == calendar.month_bounds("2027-01", SHANGHAI)[0]
    # Berlin's October loses the hour it gained in March: 31 days and one hour
    start, end = calendar.month_bounds("2026-10", "Europe/Berlin")
    assert end - start == dt.timedelta(days=31, hours=1)


def range_of(start, end):
    class Interval:
        def __contains__(self, moment):
            return start <= moment < end
    return Interval()


def test_the_first_and_last_months_have_bounds_in_every_zone():
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12", SHANGHAI):
        first, _ = calendar.month_bounds(calendar.FIRST_MONTH, zone)
        _, last = calendar.month_bounds(calendar.LAST_MONTH, zone)
        assert first.tzinfo is UTC and last.tzinfo is UTC
        assert calendar.local_date(first, zone) == dt.date(2000, 1, 1)
        assert calendar.local_date(last, zone) == dt.date(2100, 1, 1)


def test_months_are_counted_across_years():
    assert calendar.add_months(dt.date(2026, 3, 1), -12) == dt.date(2025, 3, 1)
    assert calendar.add_months(dt.date(2026, 1, 15), -1) == dt.date(2025, 12, 1)
    assert calendar.add_months(dt.date(2026, 12, 1), 1) == dt.date(2027, 1, 1)
    assert calendar.month_of(dt.date(2026, 3, 9)) == "2026-03"


def test_a_due_time_is_the_hotels_wall_clock():
    assert calendar.at_local(dt.date(2026, 3, 2), dt.time(18), SHANGHAI) == dt.datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert loans.default_due(FIRST_NIGHT, SHANGHAI) == dt.datetime(2026, 3, 2, 10, tzinfo=UTC)


@pytest.mark.parametrize("raw, month", [("2026-03", "2026-03"), (" 2026-03 ", "2026-03"),
                                        ("２０２６-０３", "2026-03"), ("2000-01", "2000-01"),
                                        ("2099-12", "2099-12")])
def test_a_month_is_written_yyyy_mm(raw, month):
    assert calendar.parse_month(raw) == month


@pytest.mark.parametrize("raw", [*BAD_MONTHS, "", None, "2026/03", "2026-03 01"])
def test_a_bad_or_out_of_range_month_gets_the_one_message(raw):
    with pytest.raises(BadMonth) as refused:
        calendar.month_bounds(raw, SHANGHAI)
    assert str(refused.value) == MESSAGE


# --- the app at 01:30 on the 1st ---------------------------------------------------

@pytest.fixture
def first_night(app):
    """The app's clock stands at 01:30 on 1 March 2026 in Shanghai."""
    app.config.update(KIOSK_CLOCK=lambda: FIRST_NIGHT, BABEL_DEFAULT_TIMEZONE=SHANGHAI)
    return FIRST_NIGHT


@pytest.fixture
def supervisor(first_night, login_as):
    return login_as("supervisor")


def _input_value(body: str, name: str) -> str:
    found = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', body)
    assert found, name
    return re.search(r'value="([^"]*)"', found.group(0)).group(1)


def test_every_month_field_and_month_page_defaults_to_the_hotels_new_month(client, supervisor):
    report = text_of(client.get("/reports/"))
    assert '<span class="report-month">2026-03</span>' in report and _input_value(report, "month") == "2026-03"
    assert client.get("/reports/loss.csv").headers["Content-Disposition"].endswith("loss-2026-03.csv")
    assert json.loads(client.get("/reports/loss.json").get_data())["month"] == "2026-03"
    assert _input_value(text_of(client.get("/stocktake/")), "month") == "2026-03"
    assert _input_value(text_of(client.get("/stock/distribution")), "month") == "2026-03"
    assert _input_value(text_of(client.get("/writeoffs/statement")), "month") == "2026-03"
    statement_csv = client.get("/writeoffs/statement.csv")
    assert statement_csv.headers["Content-Disposition"].endswith("consumption-2026-03.csv")
    assert statement_csv.get_data().decode("utf-8-sig").splitlines()[1].startswith("2026-03,")
    assert client.get("/writeoffs/payroll.csv").headers["Content-Disposition"].endswith("payroll-20260301.csv")


def test_a_month_typed_in_full_width_digits_comes_back_plain(client, supervisor):
    typed = {"month": "２０２６-０２"}
    assert _input_value(text_of(client.get("/reports/", query_string=typed)), "month") == "2026-02"
    assert client.get("/reports/loss.csv", query_string=typed).headers["Content-Disposition"].endswith(
        "loss-2026-02.csv")
    assert _input_value(text_of(client.get("/writeoffs/statement", query_string=typed)), "month") == "2026-02"
    assert client.get("/writeoffs/statement.csv", query_string=typed).headers["Content-Disposition"].endswith(
        "consumption-2026-02.csv")


def test_the_report_on_the_command_line_defaults_to_the_hotels_month(runner, first_night):
    result = runner.invoke(args=["kiosk", "report", "loss", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["month"] == "2026-03"


def test_a_purchase_is_dated_the_hotels_today_and_listed_in_its_month(client, supervisor, make):
    shirt = make.garment_type("SH")
    db.session.commit()
    assert _input_value(text_of(client.get("/purchases/new")), "purchased_on") == "2026-03-01"
    form = {"type_id": str(shirt.id), "size": "M", "quantity": "1", "unit_price": "98.50", "supplier": "华美",
            "staff_no": "", "note": ""}
    tomorrow = client.post("/purchases/new", data={**form, "purchased_on": "2026-03-02",
                                                   "request_key": uuid.uuid4().hex}, headers=HX)
    assert "The purchase date cannot be in the future." in text_of(tomorrow)
    today = client.post("/purchases/new", data={**form, "purchased_on": "2026-03-01",
                                                "request_key": uuid.uuid4().hex})
    assert today.status_code == 302
    assert db.session.scalar(select(Purchase.purchased_on)) == dt.date(2026, 3, 1)
    index = text_of(client.get("/purchases/"))
    assert re.search(r'<tr data-month="2026-03" class="purchases-selected"', index)


def test_a_loan_is_due_tomorrow_evening_on_the_hotels_calendar(client, first_night, login_as):
    login_as("clerk")
    assert _input_value(text_of(client.get("/loans/")), "due") == "2026-03-02T18:00"


def test_the_board_says_when_it_was_updated_on_the_hotels_clock(client, first_night, login_as):
    login_as("clerk")
    assert "Updated 01:30" in text_of(client.get("/today/"))


def test_months_in_use_are_counted_on_the_hotels_date_by_both_doors_of_a_write_off(client, supervisor, make):
    """Bought 1 September 2025: on 1 March (hotel) it is 6 months in use (80 %), though UTC still
    says 28 February (5 months, 100 %). The write-off screen and a loan never returned agree."""
    bought = dt.date(2025, 9, 1)
    owner = make.employee("张堃", staff_no="E777")
    screen = make.garment(tag="SH-000001", owner=owner, cost=Decimal("120.00"), purchased_on=bought)
    lent = make.garment(tag="SH-000002", cost=Decimal("120.00"), purchased_on=bought)
    loan = Loan(borrower_name="李四", borrower_phone="13800138000", borrower_org="外包", reason="event",
                due_at=FIRST_NIGHT - dt.timedelta(days=2), signed_on_paper=True)
    db.session.add(loan)
    db.session.flush()
    assert loans.lend(db.session, loan, lent.tag, user=None, duplicate_seconds=0).ok
    db.session.commit()
    item_id = loan.items[0].id

    assert "96.00" in text_of(client.get("/writeoffs/new?code=SH-000001"))
    client.post("/writeoffs/new", data={"code": screen.tag, "reason": "lost", "responsible": "employee",
                                        "staff_no": "E777", "request_key": "key-screen-0001"})
    client.post(f"/loans/items/{item_id}/write-off", data={"request_key": "key-loaned-0001"})
    offs = db.session.scalars(select(WriteOff).order_by(WriteOff.id)).all()
    assert [(w.months_in_use, w.percent, w.amount) for w in offs] == [(6, 80, Decimal("96.00"))] * 2


def test_a_garment_without_a_purchase_date_ages_from_the_hotels_date_of_registration(app, client, login_as,
                                                                                     make):
    """Registered at 01:30 on 15 September 2025 in Shanghai (14 September in UTC): on 14 March
    it is 5 months in use (100 %), not the 6 that the UTC date would make (80 %)."""
    app.config.update(KIOSK_CLOCK=lambda: dt.datetime(2026, 3, 14, 4, tzinfo=UTC), BABEL_DEFAULT_TIMEZONE=SHANGHAI)
    registered = calendar.at_local(dt.date(2025, 9, 15), dt.time(1, 30), SHANGHAI)
    make.garment(tag="SH-000009", cost=Decimal("120.00"), at=registered)
    db.session.commit()
    login_as("clerk")
    form = text_of(client.get("/writeoffs/new?code=SH-000009"))
    assert re.search(r"\b5\b", form) and "120.00" in form and "96.00" not in form
    client.post("/writeoffs/new", data={"code": "SH-000009", "reason": "lost", "responsible": "hotel",
                                        "request_key": "key-registered-01"})
    assert db.session.scalar(select(WriteOff.months_in_use)) == 5


def test_the_report_dates_an_overdue_loan_on_the_hotels_calendar(make):
    from kiosk.reports import exports
    from kiosk.reports import services as reports

    lent = make.garment(tag="LN-0001")
    due = calendar.at_local(dt.date(2026, 3, 20), dt.time(0, 30), SHANGHAI)  # 19 March 16:30 UTC
    loan = Loan(borrower_name="王五", borrower_phone="13800138000", borrower_org="外包", reason="event",
                due_at=due, created_at=due - dt.timedelta(days=1), signed_on_paper=True)
    db.session.add(loan)
    db.session.flush()
    assert loans.lend(db.session, loan, lent.tag, user=None, duplicate_seconds=0, now=due - dt.timedelta(hours=1)).ok
    report = reports.loss_report(db.session, "2026-03", zone=SHANGHAI, now=dt.datetime(2026, 4, 2, tzinfo=UTC))
    [table] = [t for t in exports.tables(report, lambda m: m) if t.key == "overdue_loans"]
    assert [row[3] for row in table.rows] == [dt.datetime(2026, 3, 20, 0, 30)]  # the hotel's time, not UTC's


# --- a bad month, on every page that takes one --------------------------------------

@pytest.mark.parametrize("month", ["0001-01", "9999-12", "2026-13", "abc"])
def test_a_bad_month_gets_the_one_message_on_every_page_that_takes_a_month(client, supervisor, runner, make,
                                                                           month):
    db.session.add(StockItem(code="SOCK", name_zh="袜子", kind="socks", size="", monthly_allowance=2))
    db.session.commit()
    answers = {
        "report": client.get("/reports/", query_string={"month": month}),
        "report csv": client.get("/reports/loss.csv", query_string={"month": month}),
        "report json": client.get("/reports/loss.json", query_string={"month": month}),
        "report slip": client.post("/reports/print", data={"month": month}, follow_redirects=True),
        "statement": client.get("/writeoffs/statement", query_string={"month": month}),
        "statement csv": client.get("/writeoffs/statement.csv", query_string={"month": month}),
        "purchases": client.get("/purchases/", query_string={"month": month}),
        "stocktake": client.post("/stocktake/", data={"month": month}, headers=HX),
        "correction": client.post("/stocktake/", data={"month": month, "correction": "1"}, headers=HX),
        "distribution": client.post("/stock/distribution/open", data={"month": month}, headers=HX),
    }
    for page, response in answers.items():
        assert response.status_code in (200, 400), page
        assert MESSAGE in text_of(response), page
    result = runner.invoke(args=["kiosk", "report", "loss", "--month", month, "--format", "json"])
    assert result.exit_code == 1 and MESSAGE in result.output
    from kiosk.stock.models import DistributionRun
    from kiosk.stocktake.models import Stocktake

    assert db.session.scalars(select(Stocktake)).all() == [] == db.session.scalars(select(DistributionRun)).all()


@pytest.mark.parametrize("late, said", [
    (dt.timedelta(minutes=10), ("hours", 1)), (dt.timedelta(hours=5, minutes=59), ("hours", 5)),
    (dt.timedelta(hours=23, minutes=59), ("hours", 23)), (dt.timedelta(days=1), ("days", 1)),
    (dt.timedelta(days=2, hours=23), ("days", 2)),
])
def test_lateness_is_in_hours_under_a_day_and_in_days_after(late, said):
    assert calendar.lateness(late) == said
