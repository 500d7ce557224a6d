"""A write-off with compensation, approved by a supervisor on the clerk's tablet,
and the compensation slip printed to a real TCP printer.

The clerk scans the lost shirt, chooses the reason and the employee, asks for
approval; the supervisor taps their name and types their own PIN on the same
screen; the garment is written off and the slip (赔偿单) arrives at the
printer: the bytes decode to the same image as the job's preview.
"""
from __future__ import annotations

import datetime as dt
import io
import time
from decimal import Decimal

import pytest
from PIL import Image, ImageChops
from playwright.sync_api import expect

from tests.conftest import Factory
from tests.printers.fakeprinter import decode

from .helpers import ARTIFACTS, printer_env, sign_in, unique


def _seed(server, *, prefix: str, staff_no: str, uniform_no: str, tag: str) -> None:
    """An employee's shirt, bought ~6.5 months ago for ¥120, issued to them."""
    with server.session():
        make = Factory()
        emp = make.employee("张堃", make.department(f"客房部{prefix}"), staff_no=staff_no,
                            uniform_no=uniform_no, size="M")
        shirt = make.garment_type(prefix, unit_cost=Decimal("120.00"), entitlement=2)
        make.garment(tag, shirt, owner=emp, size="M", cost=Decimal("120.00"), status="issued",
                     purchased_on=dt.date.today() - dt.timedelta(days=200))


@pytest.fixture(scope="module")
def server_env(printer) -> dict[str, str]:
    return printer_env(printer.url)


def test_a_write_off_approved_by_a_supervisor_prints_the_compensation_slip(page, server, printer):
    prefix = unique("WO")
    tag = f"{prefix}-0001"
    staff_no = unique("E")
    _seed(server, prefix=prefix, staff_no=staff_no, uniform_no=unique("9"), tag=tag)
    clerk = server.add_user(unique("收发员"), "clerk")
    boss = server.add_user(unique("领班"), "supervisor", pin="5927")
    sign_in(page, clerk)

    page.goto("/writeoffs/")
    scan = page.get_by_test_id("writeoff-scan")
    scan.fill(tag)
    scan.press("Enter")
    form = page.locator("#writeoff-form")
    expect(form).to_be_visible()
    expect(page.get_by_test_id("value")).to_contain_text("96.00")  # ¥120 × 80 % (6–12 months)
    expect(page.get_by_test_id("staff-no")).to_have_value(staff_no)
    page.get_by_test_id("reason-lost").check()
    page.get_by_test_id("writeoff-open").click()

    card = page.locator("#writeoff")
    expect(card).to_have_attribute("data-writeoff-status", "pending")
    expect(page.get_by_test_id("writeoff-amount")).to_contain_text("96.00")
    assert not printer.received

    # The supervisor approves on the same tablet with their own PIN.
    page.locator("form.approve-form").locator("label.user-tile").filter(has_text=boss).click()
    page.get_by_test_id("approve-pin").fill("5927")
    page.get_by_test_id("approve").click()
    expect(card).to_have_attribute("data-writeoff-status", "approved")
    expect(card).to_have_attribute("data-compensation-status", "pending")
    expect(page.get_by_test_id("approved-by")).to_contain_text(boss)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "writeoff-approved.png"))

    # The job is whole once the printer has the status request sent after it.
    deadline = time.monotonic() + 20
    while not (printer.received and printer.received[0].endswith(b"\x10\x04\x01\x10\x04\x04")
               and len(printer.received[0]) > 100) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(printer.received) == 1
    image, commands = decode(printer.received[0])
    assert image is not None and image.width > 0 and image.height > 100
    assert image.convert("L").getextrema()[0] < 128  # something dark was printed, not a blank strip
    assert any(c.name == "cut" for c in commands)

    # The queue page shows the job as it was when loaded: look again until the
    # worker has recorded it (it does so right after the printer's last answer).
    deadline = time.monotonic() + 15
    while True:
        page.goto("/print/")
        row = page.locator("tr[data-job]").first
        if row.get_attribute("data-job-status") == "done" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    expect(row).to_have_attribute("data-job-status", "done")
    job_id = row.get_attribute("data-job")
    preview = page.request.get(f"/print/jobs/{job_id}/preview.png")
    assert preview.ok
    drawn = Image.open(io.BytesIO(preview.body())).convert("1")
    printed = image.convert("1")
    assert drawn.size == printed.size
    assert ImageChops.difference(drawn.convert("L"), printed.convert("L")).getbbox() is None

    page.goto(f"/garment/{tag}")
    expect(page.locator(f"[data-tag='{tag}'][data-garment-status]").first).to_have_attribute(
        "data-garment-status", "written_off")
