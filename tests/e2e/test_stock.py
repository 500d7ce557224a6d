"""The monthly shoes-and-socks distribution (每月鞋袜分发) in a real browser:
a supervisor opens the month's run, the clerk scans two people's staff numbers,
the third stays on the not-collected list, and the socks on hand fall by what went out."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kiosk.stock.models import StockItem
from tests.conftest import Factory

from .helpers import sign_in, unique


@pytest.fixture(scope="module")
def room(server):
    tag = unique("")
    people = [(f"A{tag}", f"甲{tag}"), (f"B{tag}", f"乙{tag}"), (f"C{tag}", f"丙{tag}")]
    with server.session() as session:
        make = Factory()
        dept = make.department(f"客房部{tag}")
        for staff_no, name in people:
            make.employee(name, dept, staff_no=staff_no, uniform_no=None, size="M")
        make.employee(f"离职{tag}", dept, staff_no=f"X{tag}", uniform_no=None, active=False)
        session.add(StockItem(code="SOCK", name_zh="袜子", name_en="Socks", kind="socks", size="",
                              quantity_on_hand=20, reorder_level=5, monthly_allowance=2))
    clerk, supervisor = unique("收发员"), unique("领班")
    server.add_users((clerk, "clerk", "1470"), (supervisor, "supervisor", "4826"))
    return {"people": people, "clerk": clerk, "supervisor": supervisor, "tag": tag}


def _socks_on_hand(page: Page):
    return page.locator("[data-testid=stock-table] tr[data-item=SOCK] .on-hand")


def test_a_monthly_distribution_with_one_employee_not_collecting(page: Page, room):
    (a_no, _a), (b_no, _b), (c_no, c_name) = room["people"]

    # The supervisor opens this month's run from the stock screen.
    sign_in(page, room["supervisor"], "4826")
    page.locator("[data-station='stock.items']").click()
    expect(_socks_on_hand(page)).to_have_text("20")
    page.get_by_test_id("stock-distribution").click()
    page.get_by_test_id("open-run").click()
    status = page.locator("#run-status")
    expect(status).to_have_attribute("data-waiting", "3")  # three active employees; the leaver is not listed
    expect(page.get_by_test_id("not-collected")).not_to_contain_text(f"离职{room['tag']}")
    run_url = page.url
    page.get_by_test_id("logout").click()

    # The clerk scans two staff numbers into the one scan field.
    sign_in(page, room["clerk"], "1470")
    page.goto(run_url)
    scan = page.get_by_test_id("scan")
    for staff_no in (a_no, b_no):
        scan.fill(staff_no)
        scan.press("Enter")
        expect(page.locator(f"[data-testid=collected] li[data-staff-no='{staff_no}']")).to_be_visible()
    expect(page.locator("#scan-result")).to_have_attribute("data-scan-result", "ok")
    expect(page.get_by_test_id("collected-person")).to_contain_text("袜子 × 2")

    # Scanning the same person again is a duplicate, not a second handout.
    scan.fill(a_no)
    scan.press("Enter")
    expect(page.locator("#scan-result")).to_have_attribute("data-scan-result", "duplicate")

    # The third is shown as not collected, and the count says so.
    expect(status).to_have_attribute("data-waiting", "1")
    waiting = page.get_by_test_id("not-collected")
    expect(waiting.locator("li[data-staff-no]")).to_have_count(1)
    expect(waiting).to_contain_text(c_name)
    expect(waiting).to_contain_text(c_no)
    expect(page.get_by_test_id("not-collected-count")).to_contain_text("1")

    # Stock fell by two pairs for each of the two: 20 - 4 = 16.
    page.goto("/stock/")
    expect(_socks_on_hand(page)).to_have_text("16")


def test_a_tapped_name_asks_a_second_tap_and_the_tick_is_undone(page: Page, room):
    """Whatever the run holds already: the third person is tapped, confirmed, then the tick undone."""
    _a, _b, (c_no, c_name) = room["people"]
    sign_in(page, room["supervisor"], "4826")
    page.goto("/stock/")
    before = int(_socks_on_hand(page).inner_text())
    page.get_by_test_id("stock-distribution").click()
    page.get_by_test_id("open-run").click()  # this month's run (the same one when it is open already)
    expect(page.locator("#run-status")).to_be_visible()
    run_url = page.url
    page.get_by_test_id("logout").click()

    sign_in(page, room["clerk"], "1470")
    page.goto(run_url)
    tile = page.locator(f"[data-testid=not-collected] li[data-staff-no='{c_no}'] button")
    tile.click()
    result = page.locator("#scan-result")
    expect(result).to_have_attribute("data-scan-result", "prompt")  # asked, no error tone
    expect(result.locator(".result-word")).to_have_text("再点一次确认")
    expect(tile.get_by_test_id("tap-again")).to_have_text("再点一次确认")
    expect(page.locator(f"[data-testid=collected] li[data-staff-no='{c_no}']")).to_have_count(0)
    tile.click()  # the second tap on the same name ticks
    expect(result).to_have_attribute("data-scan-result", "ok")
    done = page.locator(f"[data-testid=collected] li[data-staff-no='{c_no}']")
    expect(done).to_be_visible()

    done.get_by_test_id("undo-collect").click()
    expect(result).to_have_attribute("data-run-answer", "undone")
    expect(result.locator(".result-word")).to_have_text("已撤销领取")
    expect(page.locator(f"[data-testid=not-collected] li[data-staff-no='{c_no}']")).to_be_visible()
    expect(page.locator(f"[data-testid=undone-ticks] tr[data-staff-no='{c_no}']")).to_contain_text(c_name)
    page.reload()  # kept: the undone tick is on the run's page after a reload
    expect(page.locator(f"[data-testid=undone-ticks] tr[data-staff-no='{c_no}']")).to_contain_text("袜子 +2")
    page.goto("/stock/")
    expect(_socks_on_hand(page)).to_have_text(str(before))  # the two pairs came back
