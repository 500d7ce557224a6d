"""The printers screen as a supervisor uses it, in zh_CN, by touch: a label printer added next to
the counter's receipt printer, its test page printed on it (a real TCP printer on 127.0.0.1,
the ZPL read back and its QR code read with zxing-cpp), a wrong address refused in Chinese."""
from __future__ import annotations

import time

import pytest
import zxingcpp
from playwright.sync_api import expect

from printers import labels
from tests.printers.fakeprinter import FakePrinter

from .helpers import ARTIFACTS, printer_env, sign_in, unique


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


def test_a_supervisor_adds_a_label_printer_and_prints_its_test_page(page, server, label_printer, counter_printer):
    supervisor = server.add_user(unique("赵领班"), "supervisor")
    sign_in(page, supervisor)
    page.goto("/print/")
    page.get_by_test_id("printers-link").click()
    expect(page.locator("h1")).to_have_text("打印机")
    expect(page.locator("tr[data-printer]")).to_have_count(1)  # the default one, from KIOSK_PRINTER
    expect(page.get_by_test_id("default-printer")).to_have_text("默认")
    # Asked how it is once the page is there (nothing printed): the counter's printer answers.
    expect(page.get_by_test_id("printer-live")).to_have_attribute("data-live", "ready")
    expect(page.get_by_test_id("printer-live")).to_contain_text("就绪")

    form = page.get_by_test_id("add-printer")
    form.locator("#printer-name").fill("熨烫间标签机")
    form.locator("#printer-url").fill("ftp://不对")
    form.get_by_test_id("save-printer").click()
    expect(page.get_by_test_id("printer-error")).to_contain_text("无法识别的打印机地址")
    expect(form.locator("#printer-name")).to_have_value("熨烫间标签机")  # what was typed stays

    form.locator("#printer-url").fill(label_printer.url)
    form.locator("#printer-kind").select_option("label")
    form.locator("#printer-language").select_option("zpl")
    form.locator("#printer-size").fill("50x25")
    form.get_by_test_id("save-printer").click()
    expect(page.locator(".notice-success")).to_contain_text("已添加打印机 熨烫间标签机")
    row = page.locator("tr[data-printer='熨烫间标签机']")
    expect(row).to_contain_text("标签机")
    expect(row).to_contain_text("标签 50x25 毫米")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "printers.png"))

    row.get_by_test_id("test-page").click()
    # Sent; a label printer is asked nothing, so the bar says its status is not known.
    expect(page.get_by_test_id("print-status")).to_have_attribute("data-print-state", "unknown", timeout=15000)
    expect(page.get_by_test_id("print-unknown")).to_contain_text("打印机状态未知")
    deadline = time.monotonic() + 15
    while b"^XZ" not in label_printer.data and time.monotonic() < deadline:  # the whole label has arrived
        time.sleep(0.05)
    label = labels.decode_zpl(label_printer.data)
    assert [b.text for b in zxingcpp.read_barcodes(label.convert("L"))] == ["TEST-PAGE"]
    assert label.size == (400, 200)
    assert counter_printer.printed == b""  # nothing went to the counter's printer
