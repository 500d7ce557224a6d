"""A loan the way the counter lives it: lent with a finger signature, overdue, chased, escalated, returned."""
from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.loans.models import Loan
from kiosk.models import utcnow
from tests.conftest import Factory

from .helpers import sign_in, unique


def scan(page, code):
    field = page.get_by_test_id("scan")
    field.fill(code)
    field.press("Enter")


def test_a_loan_goes_out_overdue_chased_escalated_and_comes_back(page, server):
    prefix = unique("LN")
    tag = f"{prefix}-0001"
    borrower = unique("李借")
    with server.session():
        make = Factory()
        make.garment(tag, make.garment_type(prefix, unit_cost=98, entitlement=2), size="M")
    clerk, boss = server.add_users((unique("收发员"), "clerk", "2580"), (unique("主管"), "supervisor", "2580"))

    sign_in(page, clerk)
    page.goto("/loans/")
    page.get_by_test_id("loan-name").fill(borrower)
    page.get_by_test_id("loan-phone").fill("139 0000 1234")
    page.get_by_test_id("loan-org").fill("宴会外包公司")
    page.get_by_test_id("loan-reason").select_option("event")
    pad = page.get_by_test_id("signature-pad")
    pad.scroll_into_view_if_needed()  # the clerk scrolls to the pad: below the fold on a landscape tablet
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + 40 + (step % 3) * 30)
    page.mouse.up()
    assert page.locator("[data-signature-value]").input_value().startswith("data:image/png;base64,")
    page.get_by_test_id("loan-open").click()

    expect(page.get_by_test_id("loan-borrower")).to_contain_text(borrower)
    scan(page, tag)
    result = page.locator("#scan-result")
    expect(result).to_have_attribute("data-scan-result", "ok")
    expect(result).to_have_attribute("data-garment-status", "loaned")
    expect(page.get_by_test_id("loan-count")).to_have_attribute("data-count", "1")
    page.get_by_test_id("loan-done").click()
    expect(page.get_by_test_id("no-overdue")).to_be_visible()

    # The clock moves on: the loan was due five hours ago.
    with server.session() as session:
        loan = session.scalars(select(Loan).where(Loan.borrower_name == borrower)).one()
        loan.due_at = utcnow() - dt.timedelta(hours=5)
    page.goto("/loans/")
    row = page.get_by_test_id("overdue-loan").filter(has_text=borrower)
    expect(row).to_be_visible()
    expect(row.get_by_test_id("loan-phone-link")).to_have_attribute("href", "tel:13900001234")

    for attempt in range(1, 4):
        row = page.get_by_test_id("overdue-loan").filter(has_text=borrower)
        row.get_by_test_id("contact-outcome").select_option("no_answer")
        row.get_by_test_id("contact-log").click()
        expect(page.get_by_test_id("overdue-loan").filter(has_text=borrower).get_by_test_id("attempts")
               ).to_contain_text(f"{attempt}")
    expect(page.get_by_test_id("overdue-loan").filter(has_text=borrower).locator(".loan-attempts li")).to_have_count(3)
    expect(page.get_by_test_id("escalated")).to_have_count(0)  # a clerk has no supervisors' list

    page.get_by_test_id("logout").click()
    sign_in(page, boss)
    page.goto("/loans/")
    expect(page.get_by_test_id("escalated-loan").filter(has_text=borrower)).to_be_visible()

    scan(page, tag)
    expect(result).to_have_attribute("data-scan-result", "ok")
    expect(result).to_have_attribute("data-garment-status", "dirty")
    expect(page.get_by_test_id("overdue-loan").filter(has_text=borrower)).to_have_count(0)
    expect(page.get_by_test_id("escalated-loan").filter(has_text=borrower)).to_have_count(0)
