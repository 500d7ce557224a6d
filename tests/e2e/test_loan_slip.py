"""The loan slip as the counter prints it: a signature drawn with a finger, printed black on white.

The server of this module prints to a plain TCP listener on 127.0.0.1 that
only reads (a print server, ``nc -l``): it never answers the DLE EOT status
query, so the slip is sent with the printer's status unknown (状态未知), which
the status bar says without calling it a failure. The bytes that arrived are
decoded back to the printed image and the signature's part of it is looked at:
black strokes where the finger went, white paper around them.
"""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter
from playwright.sync_api import expect

from kiosk.models import PrintJob
from printers import documents as d
from printers import render as r
from tests.conftest import Factory
from tests.printers.fakeprinter import FakePrinter, decode

from .helpers import printer_env, sign_in, unique

SHOTS = Path("/work/shots")
#: the finger's path on the pad, in the canvas's own pixels (600 × 200)
STROKES = [
    [(60, 150), (120, 50), (180, 150), (240, 50), (300, 150)],
    [(340, 60), (420, 140), (500, 60), (560, 140)],
]


@pytest.fixture(scope="module")
def listener():
    """Reads everything, answers nothing."""
    mute = FakePrinter(mode="mute")
    yield mute
    mute.close()


@pytest.fixture(scope="module")
def server_env(listener) -> dict[str, str]:
    return printer_env(listener.url)


def draw(page, strokes) -> None:
    """Draw on the signature pad with the mouse, in canvas pixels (the pad in view first:
    the mouse reaches only what is on the screen)."""
    pad = page.get_by_test_id("signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    width, height = pad.evaluate("c => [c.width, c.height]")

    def at(point):
        return box["x"] + point[0] * box["width"] / width, box["y"] + point[1] * box["height"] / height

    for stroke in strokes:
        page.mouse.move(*at(stroke[0]))
        page.mouse.down()
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            for step in range(1, 11):  # a finger moves in small steps
                page.mouse.move(*at((x0 + (x1 - x0) * step / 10, y0 + (y1 - y0) * step / 10)))
        page.mouse.up()


def signature_rows(document: d.Document, paper_dots: int) -> tuple[int, int]:
    """Where the signature image lies on the printed slip: the rows the elements above it
    take, then its own height (the renderer's own measures)."""
    index = next(i for i, el in enumerate(document.elements) if isinstance(el, d.Image))
    top = r.render(d.Document("above", document.elements[:index])).height if index else 0
    return top, top + r.draw_image(document.elements[index], paper_dots).height


def test_a_signature_drawn_on_the_pad_prints_black_strokes_on_white(page, server, listener):
    prefix = unique("LS")
    tag = f"{prefix}-0001"
    with server.session():
        make = Factory()
        make.garment(tag, make.garment_type(prefix, unit_cost=98, entitlement=2), size="M")
    clerk = server.add_user(unique("收发员"), "clerk")
    sign_in(page, clerk)

    page.goto("/loans/")
    page.get_by_test_id("loan-name").fill(unique("陈借"))
    page.get_by_test_id("loan-phone").fill("139 0000 5678")
    page.get_by_test_id("loan-org").fill("宴会外包公司")
    page.get_by_test_id("loan-reason").select_option("event")
    draw(page, STROKES)
    expect(page.locator("[data-signature-value]")).to_have_value(re.compile(r"^data:image/png;base64,"))
    page.get_by_test_id("loan-open").click()
    expect(page.get_by_test_id("loan-borrower")).to_be_visible()
    field = page.get_by_test_id("scan")
    field.fill(tag)
    field.press("Enter")
    expect(page.locator("#scan-result")).to_have_attribute("data-garment-status", "loaned")

    page.get_by_test_id("loan-slip").click()
    notice = page.locator(".notice").filter(has_text="已发送到打印机")
    expect(notice.first).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("%(")
    # The listener never answers the status query: sent, status unknown, not a failure.
    status = page.get_by_test_id("print-status")
    expect(status).to_have_attribute("data-print-state", "unknown", timeout=15000)
    expect(page.get_by_test_id("print-unknown")).to_contain_text("打印机状态未知")
    expect(page.get_by_test_id("print-failure")).to_have_count(0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "loan-slip-status-unknown.png"))

    # What the printer got: the whole slip with its cut, decoded back to dots.
    [received] = listener.received
    printed, commands = decode(received)
    assert commands[-1].name == "cut" and printed is not None
    printed.save(SHOTS / "loan-slip.png")

    with server.session() as session:
        job = session.query(PrintJob).filter_by(kind="loan").one()
        assert job.status == "done" and job.last_error  # done, with its "status unknown" note
        document = d.Document.from_dict(json.loads(job.document))
    top, bottom = signature_rows(document, printed.width)
    region = printed.crop((0, top, printed.width, bottom)).convert("L")
    area = region.width * region.height
    black = region.histogram()[0]

    # Where the finger went, at the printed scale (the pad's width onto the paper's dots).
    scale = printed.width / 600
    strokes = Image.new("L", region.size, 0)
    pen = ImageDraw.Draw(strokes)
    for stroke in STROKES:
        pen.line([(x * scale, y * scale) for x, y in stroke], fill=255, width=3)
        for x, y in stroke:  # the pad draws round joins and caps
            pen.ellipse((x * scale - 1.5, y * scale - 1.5, x * scale + 1.5, y * scale + 1.5), fill=255)
    near = strokes.filter(ImageFilter.MaxFilter(15))  # within 7 dots of where the finger went

    on_strokes = ImageChops.multiply(ImageChops.invert(region), strokes).histogram()[255]
    ink_far_away = ImageChops.multiply(ImageChops.invert(region), ImageChops.invert(near)).histogram()[255]
    stroke_dots = strokes.histogram()[255]
    assert black > 0.5 * stroke_dots  # the strokes printed
    assert black < 0.1 * area  # not a black band (it was all black before the fix)
    assert on_strokes > 0.8 * stroke_dots  # black where the finger went
    assert ink_far_away == 0  # white paper everywhere else

    # The preview is the same image (black on white too).
    preview = page.request.get(f"/print/jobs/{job.id}/preview.png")
    assert preview.ok
    drawn = Image.open(io.BytesIO(preview.body())).convert("L")
    assert drawn.size == printed.size
    assert ImageChops.difference(drawn, printed.convert("L")).getbbox() is None
