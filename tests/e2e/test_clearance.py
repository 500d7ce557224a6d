"""A leaver's clearance the way the room lives it, in Chinese: the supervisor marks the person
as left, the clerk scans back what they bring, writes off the jacket they do not, counts the
shoes back, and the leaver signs the slip on the tablet with a finger (the mouse here).

Screenshots of the list and of the slip at 1280×800 and 800×1280 go to /work/shots/.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.clearance.models import Clearance
from kiosk.models import Employee
from kiosk.stock import services as stock
from kiosk.stock.models import StockItem
from kiosk.writeoffs.models import Compensation, WriteOff
from tests.conftest import Factory

from .helpers import LANDSCAPE, PORTRAIT, sign_in, unique

SHOTS = Path("/work/shots")


def _seed(server, *, prefix: str, staff_no: str) -> dict:
    """A room attendant with her own shirt, a spare jacket (bought 200 days ago for ¥300) and a
    pair of work shoes that go back when she leaves."""
    with server.session() as session:
        make = Factory()
        person = make.employee("陈晓梅", make.department(f"客房部{prefix}"), staff_no=staff_no,
                               uniform_no=unique("7"), size="M")
        shirt = make.garment_type(f"{prefix}S", name_zh="衬衫", unit_cost=Decimal("120.00"), entitlement=2)
        jacket = make.garment_type(f"{prefix}J", name_zh="西装外套", unit_cost=Decimal("300.00"), entitlement=1)
        make.garment(f"{prefix}-S1", shirt, owner=person, size="M", status="issued")
        make.garment(f"{prefix}-J1", jacket, size="M", status="spare_issued", holder=person,
                     cost=Decimal("300.00"), purchased_on=dt.date.today() - dt.timedelta(days=200))
        session.add(StockItem(code=f"{prefix}SHOE", name_zh="工作鞋", name_en="Work shoes", kind="shoes", size="38",
                              quantity_on_hand=5, return_on_leaving=True, unit_cost=Decimal("85.00")))
        session.flush()
        stock.issue(session, employee=person, code=f"{prefix}SHOE", size="38", user=None)
        return {"id": person.id}


def _draw_signature(page) -> None:
    pad = page.get_by_test_id("signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 120)
    page.mouse.down()
    for step in range(1, 16):
        page.mouse.move(box["x"] + 30 + step * 24, box["y"] + 120 - (step % 4) * 22)
    page.mouse.up()


def _shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    url = page.url
    for size, viewport in (("1280x800", LANDSCAPE), ("800x1280", PORTRAIT)):
        page.set_viewport_size(viewport)
        page.goto(url)
        page.screenshot(path=str(SHOTS / f"clearance-{name}-{size}.png"), full_page=True)
    page.set_viewport_size(LANDSCAPE)
    page.goto(url)


def test_a_leavers_clearance_ends_in_a_write_off_charged_to_them_and_a_signed_slip(page, server):
    prefix = unique("LV")
    staff_no = unique("E")
    person = _seed(server, prefix=prefix, staff_no=staff_no)
    clerk, boss = server.add_users((unique("收发员"), "clerk", "2580"), (unique("主管"), "supervisor", "2580"))

    # The supervisor marks her as left: her clearance opens with what she holds.
    sign_in(page, boss)
    page.goto(f"/registry/employees/{person['id']}/edit")
    page.get_by_test_id("employee-deactivate").click()
    page.get_by_test_id("employee-clearance").click()
    expect(page.get_by_test_id("clearance-employee")).to_contain_text("陈晓梅")
    expect(page.get_by_test_id("clearance-state")).to_have_text("退还中")
    lines = page.locator("#clearance-lines")
    expect(lines).to_have_attribute("data-lines-left", "3")
    expect(page.get_by_test_id("clearance-line")).to_have_count(3)
    page.get_by_test_id("logout").click()

    # The clerk: the board lists her; the list opens from there.
    sign_in(page, clerk)
    page.goto("/today/")
    row = page.locator("#clearances tr[data-clearance]").filter(has_text=staff_no)
    expect(row).to_contain_text("陈晓梅")
    row.get_by_role("link").click()
    _shoot(page, "list-open")

    # She hands back her shirt: scanned, checked in.
    field = page.get_by_test_id("scan")
    field.fill(f"{prefix}-S1")
    field.press("Enter")
    result = page.locator("#scan-result")
    expect(result).to_have_attribute("data-scan-result", "ok")
    expect(result).to_have_attribute("data-garment-status", "dirty")
    expect(lines.locator(f"[data-tag='{prefix}-S1']")).to_have_attribute("data-outcome", "returned")
    # A garment not on her list is refused.
    field.fill("NOT-HERS-1")
    field.press("Enter")
    expect(result).to_have_attribute("data-scan-result", "error")

    # The shoes come back by count.
    shoes = lines.locator("[data-kind='stock']")
    shoes.get_by_test_id("return-stock").click()
    expect(lines.locator("[data-kind='stock']")).to_have_attribute("data-outcome", "returned")

    # The jacket is not returned: written off, charged to her (¥300, 200 days in use: 6–12 months, 80 %).
    jacket = lines.locator(f"[data-tag='{prefix}-J1']")
    expect(jacket.get_by_test_id("write-off")).to_contain_text("240.00")
    jacket.get_by_test_id("write-off").click()  # the first tap asks
    expect(jacket.get_by_test_id("write-off-confirm")).to_contain_text("陈晓梅")
    jacket.get_by_test_id("write-off-confirm").click()
    jacket = lines.locator(f"[data-tag='{prefix}-J1']")
    expect(jacket).to_have_attribute("data-outcome", "written_off")
    expect(jacket.get_by_test_id("line-outcome")).to_contain_text("240.00")
    expect(lines).to_have_attribute("data-lines-left", "0")
    _shoot(page, "list")

    # The slip: she reads it and signs on the tablet.
    page.get_by_test_id("to-slip").click()
    slip = page.locator("#clearance-slip")
    expect(slip.locator("[data-part='returned'] li")).to_have_count(2)
    expect(slip.locator("[data-part='written_off']")).to_contain_text("240.00")
    expect(page.get_by_test_id("slip-total")).to_contain_text("240.00")
    _shoot(page, "slip-screen-unsigned")
    _draw_signature(page)
    assert page.locator("[data-signature-value]").input_value().startswith("data:image/png;base64,")
    page.get_by_test_id("close-clearance").click()
    expect(page.get_by_test_id("slip-closed")).to_be_visible()
    expect(page.get_by_test_id("clearance-state")).to_have_text("已结清：本人已签字")
    expect(page.get_by_test_id("signature-image")).to_be_visible()
    page.get_by_test_id("print-slip").click()
    expect(page.get_by_test_id("print-status")).to_be_visible()
    _shoot(page, "slip-screen")

    # Off the board; the write-off charges her and waits for a supervisor's approval.
    page.goto("/today/")
    expect(page.locator("#clearances")).to_have_attribute("data-count", "0")
    with server.session() as session:
        clearance = session.scalars(select(Clearance).join(Employee).where(Employee.staff_no == staff_no)).one()
        assert clearance.closed_at is not None and clearance.signature_png.startswith(b"\x89PNG")
        write_off = session.scalars(select(WriteOff).where(WriteOff.employee_id == person["id"])).one()
        assert (write_off.reason, write_off.responsible, write_off.amount) == ("lost", "employee", Decimal("240.00"))
        write_off_id = write_off.id

    # The supervisor approves it: she owes the amount.
    page.get_by_test_id("logout").click()
    sign_in(page, boss)
    page.goto(f"/writeoffs/{write_off_id}")
    page.locator("form.approve-form").locator("label.user-tile").filter(has_text=boss).click()
    page.get_by_test_id("approve-pin").fill("2580")
    page.get_by_test_id("approve").click()
    expect(page.locator("#writeoff")).to_have_attribute("data-compensation-status", "pending")
    with server.session() as session:
        compensation = session.scalars(select(Compensation).where(Compensation.write_off_id == write_off_id)).one()
        assert compensation.employee_id == person["id"] and compensation.amount == Decimal("240.00")
