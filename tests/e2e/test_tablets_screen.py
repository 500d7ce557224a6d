"""The tablets screen as a supervisor uses it, in zh_CN, by touch: the home screen asks for this
tablet to be named (the room has a label printer beside the counter's receipt printer), the
supervisor names it and picks its tag printer, and a tag printed from this tablet comes out of
that label printer (a real TCP printer on 127.0.0.1, the TSPL read back, its QR code read with
zxing-cpp) while a tablet without a name still prints on the counter's printer."""
from __future__ import annotations

import time

import pytest
import zxingcpp
from playwright.sync_api import expect

from printers import labels
from tests.conftest import Factory
from tests.printers.fakeprinter import FakePrinter, decode

from .helpers import ARTIFACTS, LANDSCAPE, PORTRAIT, new_page, printer_env, sign_in, unique


@pytest.fixture(scope="module")
def label_printer():
    printer = FakePrinter(mode="mute")  # a label printer answers no ESC/POS status query
    yield printer
    printer.close()


@pytest.fixture(scope="module")
def counter_printer():
    printer = FakePrinter()
    yield printer
    printer.close()


@pytest.fixture(scope="module")
def server_env(counter_printer) -> dict[str, str]:
    return printer_env(counter_printer.url)


def _wait_for(printer: FakePrinter, marker: bytes, seconds: float = 15) -> bytes:
    deadline = time.monotonic() + seconds
    while marker not in printer.data and time.monotonic() < deadline:
        time.sleep(0.05)
    return printer.data


def test_a_supervisor_names_this_tablet_and_its_tags_print_on_the_label_printer_beside_it(
        page, browser, server, label_printer, counter_printer):
    server.cli("kiosk", "printer", "add", "熨烫间标签机", "--url", label_printer.url, "--kind", "label",
               "--language", "tspl", "--size", "40x30")
    prefix = unique("TB")
    with server.session() as session:
        make = Factory()
        garment = make.garment(f"{prefix}-1", garment_type=make.garment_type(prefix))
        tag = garment.tag
        session.commit()
    supervisor = server.add_user(unique("赵领班"), "supervisor")
    sign_in(page, supervisor)
    notice = page.get_by_test_id("tablet-unnamed")
    expect(notice).to_contain_text("本平板尚未命名")
    page.get_by_test_id("name-tablet-link").click()
    expect(page.locator("h1")).to_have_text("平板")
    expect(page.get_by_test_id("name-this-tablet")).to_contain_text("本平板尚未命名")

    page.locator("#tablet-name").click()
    page.locator("#tablet-name").fill("")
    page.get_by_test_id("save-this-tablet").click()  # empty: the browser's own check keeps it here
    expect(page.locator(".notice-success")).to_have_count(0)
    page.locator("#tablet-name").fill("熨烫间平板")
    page.get_by_test_id("save-this-tablet").click()
    expect(page.locator(".notice-success")).to_contain_text("本平板已命名为 熨烫间平板")
    card = page.locator(".tablet[data-tablet='熨烫间平板']")
    expect(card.get_by_test_id("this-tablet")).to_have_text("本平板")
    card.get_by_test_id("tag-printer").select_option(label="熨烫间标签机")
    card.get_by_test_id("receipts-checkin").select_option("off")
    card.get_by_test_id("save-tablet").click()
    expect(page.locator(".notice-success")).to_contain_text("平板 熨烫间平板 已保存")
    expect(card.get_by_test_id("tag-printer")).to_have_value(
        card.get_by_test_id("tag-printer").locator("option", has_text="熨烫间标签机").get_attribute("value"))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "tablets-1280x800.png"), full_page=True)
    page.set_viewport_size(PORTRAIT)
    page.screenshot(path=str(ARTIFACTS / "tablets-800x1280.png"), full_page=True)
    page.set_viewport_size(LANDSCAPE)
    page.goto("/")
    expect(page.get_by_test_id("tablet-unnamed")).to_have_count(0)

    # A tag from this tablet: on the label printer beside it, nothing on the counter's.
    page.goto(f"/garment/{tag}")
    page.get_by_test_id("print-tag").click()
    label = labels.decode_tspl(_wait_for(label_printer, b"PRINT"))
    assert [b.text for b in zxingcpp.read_barcodes(label.convert("L"))] == [tag]
    assert counter_printer.printed == b""

    # Another tablet, never named: its tag comes out of the counter's (default) printer.
    other = new_page(browser, server.url)
    try:
        sign_in(other, supervisor)
        expect(other.get_by_test_id("tablet-unnamed")).to_be_visible()
        other.goto(f"/garment/{tag}")
        other.get_by_test_id("print-tag").click()
        deadline = time.monotonic() + 15
        while not counter_printer.printed and time.monotonic() < deadline:
            time.sleep(0.05)
        printed, _commands = decode(counter_printer.printed[6:])
        assert [b.text for b in zxingcpp.read_barcodes(printed.convert("L"))] == [tag]
        assert label_printer.data.count(b"PRINT") == 1
    finally:
        other.context.close()
