"""A supervisor scans a badge into the employee form: the scanner's Enter does not submit it."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from .helpers import sign_in, unique, write_csv


def test_a_badge_scanned_into_the_employee_form_waits_for_save(page: Page, server, tmp_path):
    staff_no = unique("B")
    supervisor = unique("领班")
    path = write_csv(tmp_path / "people.csv", ["staff_no", "name", "department"], [[staff_no, unique("欧阳"), "客房部"]])
    server.cli_parallel(server.user_add_args(supervisor, "supervisor", "2580"),
                        ["kiosk", "import", "employees", str(path)])
    sign_in(page, supervisor, "2580")
    page.goto(f"/registry/employees?q={staff_no}")
    page.locator(f"[data-staff-no='{staff_no}'] a[href$='/edit']").click()
    expect(page.get_by_test_id("badge-status")).to_have_attribute("data-badge", "none")
    edit_url = page.url

    # The wedge scanner types the code and Enter in a few milliseconds.
    badge = page.get_by_test_id("employee-badge")
    badge.press_sequentially(f"card-{staff_no}")
    badge.press("Enter")
    expect(badge).to_have_class("scanned")
    assert page.url == edit_url, "Enter in the badge field did not submit the form"
    expect(page.locator(".notice-success")).to_have_count(0)

    page.get_by_test_id("employee-save").click()
    expect(page.locator(".notice-success")).to_be_visible()
    page.goto(edit_url)
    expect(page.get_by_test_id("badge-status")).to_have_attribute("data-badge", "set")
    expect(page.get_by_test_id("badge-status")).to_have_text("已登记工牌")
    expect(page.get_by_test_id("employee-badge")).to_have_value("")
