"""Printing a tag with the printer off, the way a clerk meets it.

The server of this module prints to ``tcp://127.0.0.1:<port>`` where nothing
listens (the printer is off). The clerk taps 打印标签 on the garment page,
reads the failure in the status bar, the printer is switched on (a real TCP
printer on that port, answering DLE EOT status like an Epson), the clerk taps
重试 and sees it printed; the bytes that arrived decode to the tag.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import Factory
from tests.printers.fakeprinter import FakePrinter, decode, free_port

from .helpers import ARTIFACTS, printer_env, sign_in, unique


@pytest.fixture(scope="module")
def printer_port() -> int:
    """The printer's address: nobody listens there until the test switches it on."""
    return free_port()


@pytest.fixture(scope="module")
def server_env(printer_port) -> dict[str, str]:
    return printer_env(f"tcp://127.0.0.1:{printer_port}")


def test_a_tag_printed_with_the_printer_off_fails_in_the_status_bar_and_prints_on_retry(
        page, server, printer_port):
    prefix = unique("PT")
    tag = f"{prefix}-0001"
    with server.session():
        make = Factory()
        owner = make.employee("张堃", make.department(f"客房部{prefix}"), staff_no=unique("E"),
                              uniform_no=unique("9"), size="M")
        make.garment(tag, make.garment_type(prefix, unit_cost=98, entitlement=2), owner=owner, size="M")
    clerk = server.add_user(unique("收发员"), "clerk")
    sign_in(page, clerk)
    status = page.get_by_test_id("print-status")
    expect(status).to_be_hidden()

    page.goto(f"/garment/{tag}")
    page.get_by_test_id("print-tag").click()
    # The tap answers at once; the worker finds the printer off.
    expect(status).to_have_attribute("data-print-state", "failed", timeout=10000)
    expect(page.get_by_test_id("print-failure")).to_contain_text(f"127.0.0.1:{printer_port}")
    expect(page.get_by_test_id("print-retry")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "print-failed.png"))

    printer = FakePrinter(port=printer_port)  # switched on, same address
    try:
        page.get_by_test_id("print-retry").click()
        expect(status).to_have_attribute("data-print-state", "done", timeout=10000)
        expect(page.get_by_test_id("print-done")).to_be_visible()
        assert len(printer.received) == 1
        image, commands = decode(printer.received[0])
        assert image is not None and any(c.name == "cut" for c in commands)
    finally:
        printer.close()

    page.goto("/print/")
    row = page.locator("tr[data-job]").first
    expect(row).to_have_attribute("data-job-status", "done")
    expect(row.locator("img.print-thumb")).to_have_js_property("complete", True)
    page.screenshot(path=str(ARTIFACTS / "print-queue.png"))
