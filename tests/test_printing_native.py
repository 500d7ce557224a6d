"""KIOSK_PRINTER_NATIVE: the kiosk's print queue sends jobs in native form.

Real database, real TCP printer on 127.0.0.1 (tests/printers/fakeprinter.py).
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from kiosk.config import from_environment
from kiosk.extensions import db
from kiosk.models import PrintJob
from kiosk.printing import process_queue, services
from printers.render import render
from tests.printers.fakeprinter import FakePrinter, decode
from tests.printers.test_native import STATUS, parse_native, printed_lines, qr_payloads

HX = {"HX-Request": "true"}


@pytest.fixture
def fake(app):
    printer = FakePrinter()
    app.config.update(KIOSK_PRINTER=printer.url, KIOSK_PRINT_TIMEOUT=2.0, KIOSK_PRINTER_NATIVE=True)
    yield printer
    printer.close()


@pytest.fixture
def clerk(client, login_as):
    return login_as("clerk")


@pytest.fixture
def shirt(make):
    return make.garment_type("SH", name_zh="衬衫", name_en="Shirt")


def jobs() -> list[PrintJob]:
    db.session.expire_all()
    return list(db.session.scalars(select(PrintJob).order_by(PrintJob.id)))


def test_native_is_off_unless_configured(tmp_path, monkeypatch):
    monkeypatch.delenv("KIOSK_PRINTER_NATIVE", raising=False)
    assert from_environment(str(tmp_path))["KIOSK_PRINTER_NATIVE"] is False
    monkeypatch.setenv("KIOSK_PRINTER_NATIVE", "1")
    assert from_environment(str(tmp_path))["KIOSK_PRINTER_NATIVE"] is True


def test_a_tag_printed_with_native_on_reaches_the_printer_as_text_and_its_own_qr(
        app, make, client, clerk, fake, shirt):
    owner = make.employee("张三", uniform_no="1042")
    garment = make.garment("SH-0001", garment_type=shirt, owner=owner, size="L")
    db.session.commit()
    assert client.post("/print/garment/SH-0001/tag", headers=HX).status_code == 200
    process_queue(app)
    [job] = jobs()
    assert job.status == "done", job.last_error
    [received] = fake.received
    assert received.startswith(STATUS) and received.endswith(STATUS)
    data = received[len(STATUS):-len(STATUS)]
    assert b"\x1c&" in data and "张三".encode("gb18030") in data
    cmds = parse_native(data)
    assert qr_payloads(cmds) == [garment.tag]
    assert "raster" not in [c.name for c in cmds]
    assert [c.name for c in cmds][-1] == "cut"
    texts = [line.text for line in printed_lines(cmds)]
    assert texts[:2] == ["1042", "Shirt L"] and "张三" in texts


def test_with_native_on_a_name_outside_gb2312_prints_as_the_preview_image(app, make, client, clerk, fake, shirt):
    owner = make.employee("张堃", uniform_no="1043")
    make.garment("SH-0002", garment_type=shirt, owner=owner, size="L")
    db.session.commit()
    client.post("/print/garment/SH-0002/tag", headers=HX)
    process_queue(app)
    [job] = jobs()
    assert job.status == "done", job.last_error
    printed, _ = decode(fake.received[0][len(STATUS):-len(STATUS)])
    preview = services.render_job(job, services.PrintSettings(printer="dummy:", paper_mm=app.config["KIOSK_PAPER_MM"]))
    assert printed.tobytes() == preview.tobytes() == render(services.document_of(job)).tobytes()
