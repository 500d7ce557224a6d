"""A whole month in the uniform room, in the browser, the way the staff do it.

Before the month (seeded, backdated to the previous month): one employee with
four shirts issued to them and two shirts on the rack — the opening stock, 6
shirts at ¥120.

In the month (the current one, what the report shows by default):

1. the supervisor receives a purchase of 4 shirts at ¥80 and taps 打印全部标签:
   the printer receives 4 tag jobs;
2. a clerk checks in 3 of the employee's issued shirts (→ dirty);
3. the clerk writes off the 4th issued shirt (lost, the employee responsible),
   the supervisor approves with their PIN on the clerk's tablet; the
   compensation slip comes out of the printer;
4. the supervisor opens the stocktake; two clerks count at once on two
   tablets (two browser contexts), each half of the 9 garments that should be
   in the room, one of the rack's shirts deliberately not scanned (and one tag
   scanned on both tablets, counted once); the supervisor and a clerk close
   it with their PINs: the unscanned shirt is marked missing;
5. the report page, its JSON and its CSV show the numbers this test works
   out by hand from what it did.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import Factory
from tests.printers.fakeprinter import FakePrinter, decode

from .helpers import ARTIFACTS, new_page, printer_env, sign_in, unique

ZONE = ZoneInfo("Asia/Shanghai")  # the kiosk's default KIOSK_TIMEZONE


def _seed(server, *, prefix: str, staff_no: str, uniform_no: str, issued: list[str], rack: list[str]) -> None:
    """The stock the month opens with, two days before it began (hotel time): 6 shirts at ¥120."""
    first = dt.datetime.now(ZONE).replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    before = (first - dt.timedelta(days=2)).astimezone(dt.timezone.utc)
    bought = dt.date.today() - dt.timedelta(days=200)
    with server.session():
        make = Factory()
        emp = make.employee("张堃", make.department(f"客房部{prefix}"), staff_no=staff_no,
                            uniform_no=uniform_no, size="M")
        shirt = make.garment_type(prefix, unit_cost=Decimal("120.00"), entitlement=2)
        for tag, owner, status in [(t, emp, "issued") for t in issued] + [(t, None, None) for t in rack]:
            make.garment(tag, shirt, owner=owner, status=status, size="M", cost=Decimal("120.00"),
                         purchased_on=bought, at=before)


@pytest.fixture(scope="module")
def server_env(printer) -> dict[str, str]:
    return printer_env(printer.url)


# --- what the staff do --------------------------------------------------------

def _printed(printer: FakePrinter) -> list:
    """The images the printer printed so far (one per job)."""
    images = []
    for data in list(printer.received):
        if not data:
            continue
        try:
            image, commands = decode(data)
        except AssertionError:  # a job still arriving
            continue
        if image is not None and any(c.name == "cut" for c in commands):
            images.append(image)
    return images


def _wait_printed(printer: FakePrinter, count: int, timeout: float = 20) -> list:
    deadline = time.monotonic() + timeout
    images = _printed(printer)
    while len(images) < count and time.monotonic() < deadline:
        time.sleep(0.2)
        images = _printed(printer)
    return images


def _send(page: Page, code: str) -> None:
    """The wedge scanner: the code and Enter into the scan field (the answer is awaited apart)."""
    field = page.get_by_test_id("scan")
    page.locator("#scan-result").evaluate("el => { el.dataset.seen = '1'; }")
    field.click()
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def _answer(page: Page, result: str, tag: str | None = None):
    fresh = page.locator("#scan-result:not([data-seen])")
    expect(fresh).to_have_attribute("data-scan-result", result)
    if tag is not None:
        expect(fresh).to_have_attribute("data-tag", tag)
    expect(page.get_by_test_id("scan")).to_have_value("")
    return fresh


def _scan(page: Page, code: str, result: str = "ok", tag: str | None = None):
    _send(page, code)
    return _answer(page, result, tag if tag is not None else (code if result != "error" else None))


_MONEY = re.compile(r"-?[\d,]+\.\d{2}")


def _figure(page: Page, key: str) -> tuple[int, Decimal]:
    """A row of the report's summary: (count, value) as the page shows it."""
    text = page.locator(f"#report-summary tr[data-figure='{key}'] td").inner_text()
    count = int(re.match(r"\s*(-?\d+)", text).group(1))
    value = Decimal(_MONEY.search(text).group(0).replace(",", ""))
    return count, value


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"month-{name}.png"), full_page=True)


# --- the month ----------------------------------------------------------------

def test_a_whole_month_purchases_scans_write_off_stocktake_and_the_report(page, browser, server, printer):
    prefix = unique("MO")
    staff_no = unique("E")
    issued = [f"{prefix}-I{i}" for i in range(1, 5)]  # on the employee, 4 shirts
    rack = [f"{prefix}-R{i}" for i in range(1, 3)]    # on the rack, 2 shirts
    _seed(server, prefix=prefix, staff_no=staff_no, uniform_no=unique("9"), issued=issued, rack=rack)
    boss, clerk_a, clerk_b = unique("领班"), unique("收发员"), unique("盘点员")
    server.add_users((boss, "supervisor", "5927"), (clerk_a, "clerk", "2580"), (clerk_b, "clerk", "3692"))
    month = dt.datetime.now(ZONE).strftime("%Y-%m")

    # What the test expects, worked out by hand as it goes.
    price, cost = Decimal("80.00"), Decimal("120.00")
    opening = (len(issued) + len(rack), (len(issued) + len(rack)) * cost)  # 6 · 720.00
    bought = 4

    tablet_a = new_page(browser, server.url)
    tablet_b = new_page(browser, server.url)
    try:
        # 1. The supervisor receives 4 shirts and prints all their tags.
        sign_in(page, boss, "5927")
        page.goto("/purchases/new")
        page.get_by_test_id("purchase-type_id").select_option(label=f"{prefix} · 衬衫")
        page.get_by_test_id("purchase-size").fill("M")
        page.get_by_test_id("purchase-quantity").fill(str(bought))
        page.get_by_test_id("purchase-unit_price").fill("80.00")
        page.get_by_test_id("purchase-supplier").fill("上海制衣厂")
        page.get_by_test_id("purchase-receive").click()
        tags_list = page.locator("#purchase-tags li[data-tag]")
        expect(tags_list).to_have_count(bought)
        expect(page.get_by_test_id("purchase-quantity")).to_have_text(str(bought))
        expect(page.get_by_test_id("purchase-value")).to_contain_text("320.00")
        new_tags = [tags_list.nth(i).get_attribute("data-tag") for i in range(bought)]
        assert len(set(new_tags)) == bought and all(t.startswith(prefix) for t in new_tags)
        assert not printer.received
        page.get_by_test_id("print-all-tags").click()
        expect(page.get_by_test_id("print-status")).to_have_attribute("data-print-state", "done", timeout=20000)
        images = _wait_printed(printer, bought)
        assert len(images) == bought, f"{len(images)} tags printed, {bought} expected"
        assert len([d for d in printer.received if d]) == bought  # nothing else was printed
        for image in images:
            assert image.height > 50 and image.convert("L").getextrema()[0] < 128  # a tag, not a blank strip
        _shot(page, "purchase")

        # 2. A clerk checks in three of the employee's shirts.
        sign_in(tablet_a, clerk_a)
        tablet_a.goto("/checkin/")
        checked_in = issued[:3]
        for tag in checked_in:
            expect(_scan(tablet_a, tag)).to_have_attribute("data-garment-status", "dirty")
        expect(tablet_a.locator("#scan-log-rows tr")).to_have_count(len(checked_in))

        # 3. The 4th is lost: written off, the employee responsible, the supervisor approves with a PIN.
        lost = issued[3]
        tablet_a.goto("/writeoffs/")
        field = tablet_a.get_by_test_id("writeoff-scan")
        field.fill(lost)
        field.press("Enter")
        expect(tablet_a.locator("#writeoff-form")).to_be_visible()
        expect(tablet_a.get_by_test_id("value")).to_contain_text("96.00")  # ¥120 × 80 % (6–12 months)
        tablet_a.get_by_test_id("reason-lost").check()
        tablet_a.get_by_test_id("responsible-employee").check()
        tablet_a.get_by_test_id("staff-no").fill(staff_no)
        tablet_a.get_by_test_id("writeoff-open").click()
        card = tablet_a.locator("#writeoff")
        expect(card).to_have_attribute("data-writeoff-status", "pending")
        tablet_a.locator("form.approve-form").locator("label.user-tile").filter(has_text=boss).click()
        tablet_a.get_by_test_id("approve-pin").fill("5927")
        tablet_a.get_by_test_id("approve").click()
        expect(card).to_have_attribute("data-writeoff-status", "approved")
        expect(tablet_a.get_by_test_id("approved-by")).to_contain_text(boss)
        images = _wait_printed(printer, bought + 1)
        assert len(images) == bought + 1, "the compensation slip did not come out of the printer"
        compensation = Decimal("96.00")

        # 4. The stocktake: the supervisor opens it, two clerks count at once.
        page.goto("/stocktake/")
        page.get_by_test_id("month").fill(month)
        page.get_by_test_id("open").click()
        expect(page).to_have_url(re.compile(r"/stocktake/\d+$"))
        stocktake_id = int(page.url.rsplit("/", 1)[1])

        in_room = rack + new_tags + checked_in  # 2 on the rack + 4 new + 3 dirty = 9
        not_scanned = rack[1]
        to_count = [t for t in in_room if t != not_scanned]
        half_a, half_b = to_count[0::2], to_count[1::2]
        sign_in(tablet_b, clerk_b, "3692")
        for tablet, location in ((tablet_a, "rack"), (tablet_b, "laundry")):
            tablet.goto("/stocktake/")
            tablet.get_by_test_id(f"join-{stocktake_id}").click()
            expect(tablet.get_by_test_id("scan")).to_be_visible()
            tablet.get_by_test_id("location").select_option(location)
        # Both tablets scan side by side: each sends before either answer is read.
        for i in range(max(len(half_a), len(half_b))):
            pair = [(t, half[i]) for t, half in ((tablet_a, half_a), (tablet_b, half_b)) if i < len(half)]
            for tablet, tag in pair:
                _send(tablet, tag)
            for tablet, tag in pair:
                _answer(tablet, "ok", tag)
        # One shirt scanned on the other tablet as well: it counts once.
        _scan(tablet_b, half_a[0], "duplicate")
        expect(tablet_a.get_by_test_id("my-count")).to_contain_text(str(len(half_a)))
        expect(tablet_b.get_by_test_id("my-count")).to_contain_text(str(len(half_b)))
        expect(tablet_b.get_by_test_id("total-seen")).to_contain_text(str(len(to_count)))
        _shot(tablet_b, "stocktake-count")

        # The close: the preview names the one shirt nobody scanned; two names, two PINs.
        page.goto(f"/stocktake/{stocktake_id}/close")
        unseen = page.locator("[data-testid=unseen] tr[data-tag]")
        expect(unseen).to_have_count(1)
        expect(unseen.first).to_have_attribute("data-tag", not_scanned)
        page.get_by_test_id("supervisor").select_option(label=boss)
        page.get_by_test_id("supervisor-pin").fill("5927")
        page.get_by_test_id("counter").select_option(label=clerk_a)
        page.get_by_test_id("counter-pin").fill("2580")
        page.get_by_test_id("close").click()
        expect(page.locator("#stocktake-closed")).to_have_attribute("data-stocktake-status", "closed")
        missing_list = page.locator("[data-testid=missing] li[data-tag]")
        expect(missing_list).to_have_count(1)
        expect(missing_list.first).to_have_attribute("data-tag", not_scanned)
        _shot(page, "stocktake-closed")
    finally:
        tablet_a.context.close()
        tablet_b.context.close()

    # 5. The report: by hand, from what was done above.
    want = {
        "opening": opening,
        "purchased": (bought, bought * price),                     # 4 · 320.00
        "written_off": (1, cost),                                  # the lost shirt
        "normal_wear": (0, Decimal("0.00")),
        "charged_to_person": (1, cost),
        "other_write_offs": (0, Decimal("0.00")),
        "missing": (1, cost),                                      # the shirt nobody scanned
    }
    closing = (opening[0] + bought - 1 - 1, opening[1] + bought * price - cost - cost)  # 8 · 800.00
    want["closing"] = closing
    # unexplained = opening + purchased − written off − closing: the missing shirt.
    want["unexplained"] = (opening[0] + bought - 1 - closing[0], opening[1] + bought * price - cost - closing[1])
    assert want["unexplained"] == want["missing"]
    loss_rate = (Decimal(1 + 1) / opening[0]).quantize(Decimal("0.0001"))  # 0.3333

    page.goto("/reports/")  # the current month by default
    expect(page.locator(".report-month")).to_have_text(month)
    for key, (count, value) in want.items():
        assert _figure(page, key) == (count, value), key
    expect(page.locator("#report-summary tr[data-figure='loss_rate'] td")).to_have_text(
        f"{loss_rate * 100:.2f}%")
    expect(page.locator("#report-summary tr[data-figure='compensation'] td")).to_contain_text("96.00")
    type_row = page.locator(f"#report-types tr[data-type='{prefix}'] td")
    expect(type_row.nth(1)).to_contain_text(f"{opening[0]} ")
    expect(type_row.nth(2)).to_contain_text(f"{bought} ")
    expect(type_row.nth(7)).to_contain_text(f"{closing[0]} ")  # after transferred in and out
    expect(page.locator("#report-reasons tr[data-reason='lost'] td").nth(1)).to_have_text("1")
    _shot(page, "report")

    response = page.request.get(f"/reports/loss.json?month={month}")
    assert response.ok
    report = response.json()
    assert report["month"] == month and report["closed"] is False
    json_fig = {
        "opening": report["opening"], "purchased": report["purchased"], "written_off": report["written_off"],
        "normal_wear": report["written_off"]["normal_wear"],
        "charged_to_person": report["written_off"]["charged_to_person"],
        "other_write_offs": report["written_off"]["other"], "missing": report["missing"],
        "closing": report["closing"], "unexplained": report["unexplained"],
    }
    for key, (count, value) in want.items():
        assert (json_fig[key]["count"], Decimal(json_fig[key]["value"])) == (count, value), key
    assert report["missing"]["marked"]["count"] == 1 and report["missing"]["found"]["count"] == 0
    assert Decimal(report["loss_rate"]) == loss_rate
    assert report["compensation"]["count"] == 1
    assert Decimal(report["compensation"]["charged"]) == compensation
    assert Decimal(report["compensation"]["pending"]) == compensation
    (by_type,) = [t for t in report["by_type"] if t["code"] == prefix]
    assert (by_type["opening"]["count"], by_type["purchased"]["count"], by_type["written_off"]["count"],
            by_type["missing"]["count"], by_type["closing"]["count"]) == (opening[0], bought, 1, 1, closing[0])
    departments = {d["name"]: d for d in report["by_department"]}
    assert set(departments) == {f"客房部{prefix}", None}
    dept = departments[f"客房部{prefix}"]  # the lost shirt's employee
    assert (dept["written_off"]["count"], dept["charged_to_person"]["count"], dept["missing"]["count"]) == (1, 1, 0)
    assert Decimal(dept["compensation_charged"]) == compensation
    # The shirt nobody scanned was on the rack (no owner, no holder): no department.
    assert (departments[None]["missing"]["count"], departments[None]["written_off"]["count"]) == (1, 0)
    assert [(r["reason"], r["count"]) for r in report["reasons"]] == [("lost", 1)]

    response = page.request.get(f"/reports/loss.csv?month={month}")
    assert response.ok
    assert response.headers["content-type"].startswith("text/csv")
    text = response.body().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert month in rows[1][0]
    summary = rows[2:18]
    # (a single hotel: nothing transferred in or out)
    order = ["opening", "purchased", "written_off", "normal_wear", "charged_to_person", "other_write_offs",
             "missing", "transferred_in", "transferred_out", "closing", "unexplained"]
    for key, row in zip(order, summary):
        assert (int(row[1]), Decimal(row[2])) == want.get(key, (0, Decimal("0.00"))), (key, row)
    assert summary[11][1] == f"{loss_rate * 100:.2f}%"  # as the page reads it
    assert (int(summary[12][1]), Decimal(summary[12][2])) == (1, compensation)
    csv_type = next(row for row in rows if row and row[0] == "衬衫")
    assert [int(csv_type[i]) for i in (1, 3, 4, 6, 9)] == [opening[0], bought, 1, 1, closing[0]]
    assert [int(csv_type[i]) for i in (7, 8)] == [0, 0]  # transferred in and out
    assert Decimal(csv_type[10]) == closing[1]
