"""A wedge scanner types a whole code and Enter in milliseconds, often while the
previous answer is still being swapped in: not one character may be lost."""
import re

from playwright.sync_api import expect

from tests.conftest import Factory

from .helpers import sign_in, unique


def _issued_garments(server, prefix, count):
    tags = [f"{prefix}-{i:03d}" for i in range(count)]
    with server.session():
        make = Factory()
        emp = make.employee("张堃", make.department(f"客房部{prefix}"), staff_no=prefix, uniform_no=prefix)
        shirt = make.garment_type(prefix, unit_cost=98, entitlement=40)
        for tag in tags:
            make.garment(tag, shirt, owner=emp, status="issued")
    return tags


def test_codes_typed_at_full_speed_back_to_back_all_land_in_order(server, page):
    clerk = server.add_user(unique("收发"), "clerk")
    tags = _issued_garments(server, "SPD", 12)
    sign_in(page, clerk)
    page.goto("/checkin/")
    field = page.get_by_test_id("scan")
    expect(field).to_be_focused()
    for tag in tags:
        # No waiting between scans: the next code arrives while the answer is in flight.
        page.keyboard.type(tag.lower(), delay=0)
        page.keyboard.press("Enter")
    rows = page.locator("#scan-log-rows tr")
    expect(rows).to_have_count(len(tags), timeout=15000)
    logged = [r.strip() for r in page.locator("#scan-log-rows tr td.tag-code").all_inner_texts()]
    assert logged == list(reversed(tags))  # newest first, none lost, none garbled
    expect(page.locator("#scan-result")).to_have_attribute("data-scan-result", "ok")
    expect(page.locator("#scan-result")).to_have_attribute("data-garment-status", "dirty")
    expect(field).to_have_value("")
    expect(field).to_be_focused()


def test_a_full_width_code_from_a_chinese_input_method_still_matches(server, page):
    clerk = server.add_user(unique("收发"), "clerk")
    [tag] = _issued_garments(server, "FW", 1)
    sign_in(page, clerk)
    page.goto("/checkin/")
    full_width = tag.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789-FW"})
    page.get_by_test_id("scan").fill(full_width)
    page.keyboard.press("Enter")
    expect(page.locator("#scan-result")).to_have_attribute("data-scan-result", "ok")
    expect(page.locator("#scan-result")).to_contain_text(tag)


def test_duplicate_and_unknown_scans_are_told_apart_on_screen(server, page):
    clerk = server.add_user(unique("收发"), "clerk")
    [tag] = _issued_garments(server, "DUP", 1)
    sign_in(page, clerk)
    page.goto("/checkin/")
    result = page.locator("#scan-result")
    page.keyboard.type(tag)
    page.keyboard.press("Enter")
    expect(result).to_have_attribute("data-scan-result", "ok")
    page.keyboard.type(tag)
    page.keyboard.press("Enter")
    expect(result).to_have_attribute("data-scan-result", "duplicate")
    page.keyboard.type("MY-OWN-SHIRT")
    page.keyboard.press("Enter")
    expect(result).to_have_attribute("data-scan-result", "error")
    expect(result).to_contain_text(re.compile("MY-OWN-SHIRT"))
    expect(page.locator("#scan-log-rows tr")).to_have_count(1)


def test_lookup_mode_at_a_station_shows_the_timeline_and_moves_nothing(server, page):
    clerk = server.add_user(unique("收发"), "clerk")
    [tag] = _issued_garments(server, "LK", 1)
    sign_in(page, clerk)
    page.goto("/checkin/")
    page.locator("[data-lookup-toggle]").click()
    expect(page.locator("[data-lookup-toggle]")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("scan")).to_be_focused()
    page.keyboard.type(tag)
    page.keyboard.press("Enter")
    result = page.locator("#scan-result")
    expect(result).to_have_attribute("data-lookup", "1")
    expect(result).to_have_attribute("data-garment-status", "issued")  # looked at, not checked in
    expect(page.locator("#scan-log-rows tr")).to_have_count(0)
    page.get_by_test_id("full-timeline").click()
    expect(page.get_by_test_id("garment-tag")).to_have_text(tag)
    # Back at the station, lookup mode is off again: the next scan checks in.
    page.goto("/checkin/")
    page.keyboard.type(tag)
    page.keyboard.press("Enter")
    expect(page.locator("#scan-result")).to_have_attribute("data-garment-status", "dirty")
