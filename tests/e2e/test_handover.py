"""Shift handover (交接班) in the browser: clerk A writes, clerk B takes over with the PIN pad.

Checked by names and data attributes, not by words, so it does not depend on
the zh_CN catalogue.
"""
from __future__ import annotations

from playwright.sync_api import expect

from kiosk.models import PrintJob

from .helpers import sign_in, tap_pin, unique, user_tile


def test_clerk_a_hands_over_and_clerk_b_acknowledges_with_the_pin_pad(page, server):
    a, b = server.add_users((unique("交班甲"), "clerk", "1357"), (unique("接班乙"), "clerk", "2468"))
    with server.session() as session:  # a tag the printer never printed
        session.add(PrintJob(kind="tag", document="{}", status="failed"))

    sign_in(page, a, "1357")
    page.goto("/handover/")
    expect(page.get_by_test_id("handover-none")).to_be_visible()
    expect(page.get_by_test_id("preview").locator("[data-section=failed_prints]")).to_have_attribute("data-count", "1")
    page.get_by_test_id("note").fill("三号柜钥匙在抽屉里")
    page.get_by_test_id("write-ok").click()

    waiting = page.get_by_test_id("handover-open")
    expect(waiting).to_be_visible()
    expect(waiting.get_by_test_id("handover-note")).to_have_text("三号柜钥匙在抽屉里")
    expect(waiting.locator("[data-section=failed_prints]")).to_have_attribute("data-count", "1")
    # The writer is not offered as the one who takes over.
    expect(user_tile(page, a)).to_have_count(0)

    # B on the same tablet: a wrong PIN first, refused and nothing changes.
    user_tile(page, b).click()
    tap_pin(page, "1470")
    page.get_by_test_id("ack-ok").click()
    expect(page.get_by_test_id("ack-error")).to_be_visible()
    expect(page.get_by_test_id("handover-open")).to_be_visible()

    user_tile(page, b).click()
    page.locator("[data-pinpad] [data-key='clear']").click()
    tap_pin(page, "2468")
    expect(page.get_by_test_id("ack-pin")).to_have_value("2468")
    page.get_by_test_id("ack-ok").click()

    expect(page.get_by_test_id("handover-open")).to_have_count(0)
    # The tablet is B's now: B is signed in, and the page says so.
    expect(page.get_by_test_id("who")).to_contain_text(b)
    expect(page.locator(".notice-success")).to_contain_text(b)
    latest = page.get_by_test_id("history").locator("li[data-acknowledged]").first
    expect(latest).to_have_attribute("data-acknowledged", "true")
    expect(latest.get_by_test_id("acked-by")).to_contain_text(b)

    # Still there after a full reload (not only in the swapped fragment).
    page.reload()
    expect(page.get_by_test_id("handover-none")).to_be_visible()
    expect(page.get_by_test_id("history").get_by_test_id("acked-by").first).to_contain_text(b)
