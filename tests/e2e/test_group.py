"""A hotel group on one kiosk server, in zh_CN, by touch: a browser that is not a named tablet
chooses its hotel before the operators are listed; the group's supervisor sees every hotel today,
moves to the other hotel (its registry, its name in the top bar), and reads the month's loss
report of the hotels side by side with the group's total. Screenshots at 1280×800 and 800×1280."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kiosk import scope
from kiosk.models import Property
from tests.conftest import Factory

from .helpers import ARTIFACTS, LANDSCAPE, PORTRAIT, new_page, sign_in, unique


@pytest.fixture(scope="module")
def hotels(server):
    """甲店 (the first hotel) with 4 garments of its staff, 乙店 with 6; the same staff number."""
    prefix = unique("GR")
    server.cli("kiosk", "property", "set", "1", "--code", "JIA", "--name", "甲店")
    server.cli("kiosk", "property", "add", "YI", "--name", "乙店")
    with server.session() as session:
        second = session.query(Property).filter_by(code="YI").one().id
        garment_type = Factory().garment_type(prefix)
        for property_id, count, name in ((1, 4, "甲店员工"), (second, 6, "乙店员工")):
            with scope.within(session, property_id):
                make = Factory()
                person = make.employee(name, staff_no="0001", department=make.department("客房部"))
                for n in range(count):
                    make.garment(f"{prefix}-{property_id}-{n}", garment_type=garment_type, owner=person,
                                 status="issued")
        session.commit()
    boss = unique("集团主管")
    server.cli(*server.user_add_args(boss, "group_supervisor"))
    clerk = unique("乙店收发")
    server.cli("kiosk", "--property", "YI", *server.user_add_args(clerk, "clerk")[1:])
    return {"boss": boss, "clerk": clerk, "second": second}


def test_a_group_supervisor_moves_to_the_other_hotel_and_reads_the_month_side_by_side(browser, server, hotels):
    for viewport, name in ((LANDSCAPE, "1280x800"), (PORTRAIT, "800x1280")):
        page = new_page(browser, server.url, viewport)
        page.goto("/login")
        # Not a named tablet: which hotel first; 乙店's clerk is not listed before it is chosen.
        expect(page.get_by_test_id("choose-property")).to_contain_text("这台终端在哪家酒店？")
        expect(page.locator("body")).not_to_contain_text(hotels["clerk"])
        page.screenshot(path=str(ARTIFACTS / f"group-choose-hotel-{name}.png"))
        page.get_by_test_id("property-1").click()
        expect(page.get_by_test_id("login-property-name")).to_have_text("甲店")
        expect(page.locator("body")).not_to_contain_text(hotels["clerk"])  # 乙店's own
        sign_in(page, hotels["boss"])
        expect(page.get_by_test_id("property-name")).to_have_text("甲店")

        page.locator('[data-station="group.index"]').click()
        today = page.locator("#group-today")
        expect(today.locator('tr[data-property="JIA"] td').first).to_have_text("4")
        expect(today.locator('tr[data-property="YI"] td').first).to_have_text("6")
        page.screenshot(path=str(ARTIFACTS / f"group-today-{name}.png"), full_page=True)

        page.get_by_test_id("move-YI").click()
        expect(page.get_by_test_id("property-name")).to_have_text("乙店")
        page.goto("/registry/employees")
        expect(page.locator("main")).to_contain_text("乙店员工")
        expect(page.locator("main")).not_to_contain_text("甲店员工")

        page.get_by_test_id("property-name").click()
        page.get_by_test_id("group-report").click()
        table = page.locator("#group-side-by-side")
        expect(table.locator('tr[data-property="JIA"] [data-figure="closing"]')).to_contain_text(re.compile(r"^\s*4"))
        expect(table.locator('tr[data-property="YI"] [data-figure="closing"]')).to_contain_text(re.compile(r"^\s*6"))
        expect(table.locator('tr[data-property="total"] [data-figure="closing"]')).to_contain_text(
            re.compile(r"^\s*10"))
        expect(table.locator('tr[data-property="total"] th')).to_have_text("集团合计")
        expect(page.locator("h1")).to_contain_text("各酒店并排对比")
        page.screenshot(path=str(ARTIFACTS / f"group-report-{name}.png"), full_page=True)
        page.get_by_test_id("logout").click()
        page.context.close()  # the next viewport's tablet starts afresh: its own choice of hotel
