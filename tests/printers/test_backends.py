"""printers.encoding and printers.transport: the python-escpos byte stream, to a real socket.

The ``tcp://`` tests run a real TCP server on 127.0.0.1 (see
:mod:`tests.printers.fakeprinter`) that answers the real-time status requests
like an Epson printer, then decode what arrived back into the printed image.
"""
from __future__ import annotations

import importlib.util
import time

import pytest
import zxingcpp
from PIL import Image as PILImage

from printers import documents as d
from printers import encoding as enc
from printers import errors
from printers import render as r
from printers import transport as t
from printers.errors import PrinterError
from tests.printers.fakeprinter import decode, free_port

STATUS = b"\x10\x04\x01\x10\x04\x04"


def tag_image(paper_mm: int = 80):
    return r.render(d.garment_tag("T-000123", "1024", "西装外套", "M", "张堃"), paper_mm=paper_mm)


def send(image, url: str, **kw) -> None:
    """What the print worker does: encode the image, then hand the bytes to the backend."""
    t.send_bytes(enc.encode(image), url, **kw)


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_a_tag_over_tcp_prints_the_preview_pixel_for_pixel_and_cuts(printers, paper_mm):
    fake = printers()
    image = tag_image(paper_mm)
    send(image, fake.url, timeout=2)
    job = enc.encode(image)
    data = fake.wait_for(len(job) + 12)
    # status before (nothing queued in a printer without paper), job, status after
    assert data == STATUS + job + STATUS
    printed, cmds = decode(data[len(STATUS):-len(STATUS)])
    assert printed.size == image.size
    assert printed.tobytes() == image.tobytes()
    assert [b.text for b in zxingcpp.read_barcodes(printed.convert("L"))] == ["T-000123"]
    names = [c.name for c in cmds if c.name != "raster"]
    assert names[0] == "init" and names[-1] == "cut"
    assert "unknown" not in names


def test_a_long_receipt_arrives_in_raster_fragments_that_add_up_to_the_preview(printers):
    fake = printers()
    lines = [d.GarmentLine(f"T-{i:06d}", "衬衫", "L", str(1000 + i)) for i in range(40)]
    image = r.render(d.issue_slip("制服室 发衣单", employee="王喆", garments=lines, clerk="李玥",
                                  when="2024-05-01 09:00"), paper_mm=58)
    assert image.height > 960  # python-escpos splits at 960 rows
    send(image, fake.url, timeout=2)
    data = fake.wait_for(len(enc.encode(image)) + 12)
    printed, cmds = decode(data[6:-6])
    assert sum(c.name == "raster" for c in cmds) >= 2
    assert printed.tobytes() == image.tobytes()


def test_a_refused_port_is_a_printer_error_asking_whether_it_is_on():
    """Connection refused stays "is it switched on?", never "status unknown"."""
    port = free_port()
    with pytest.raises(PrinterError) as info:
        send(tag_image(), f"tcp://127.0.0.1:{port}", timeout=1)
    assert info.value.message == errors.REFUSED
    assert info.value.params == {"where": f"127.0.0.1:{port}"}


def test_a_listener_that_only_reads_gets_the_whole_tag_with_its_cut_and_the_status_is_unknown(printers):
    """A print server (or a printer without real-time status, or ``nc -l``) takes the
    connection and never answers DLE EOT: the job is sent all the same."""
    fake = printers("mute")
    image = tag_image()
    job = enc.encode(image)
    sent = t.send_bytes(job, fake.url, timeout=3)
    assert sent.status_unknown
    data = fake.wait_for(len(STATUS) + len(job))
    assert data == STATUS + job  # asked once, then the whole job; nothing asked after it
    printed, cmds = decode(data)
    assert printed.tobytes() == image.tobytes()
    assert [b.text for b in zxingcpp.read_barcodes(printed.convert("L"))] == ["T-000123"]
    names = [c.name for c in cmds if c.name != "raster"]
    assert names[:3] == ["status", "status", "init"] and names[-1] == "cut" and "unknown" not in names


def test_a_printer_that_answers_is_not_status_unknown(printers):
    fake = printers()
    assert t.send_bytes(enc.encode(tag_image()), fake.url, timeout=2) == t.Sent(status_unknown=False)


def test_a_printer_that_answered_before_the_job_but_not_after_times_out(printers):
    fake = printers("once")
    start = time.monotonic()
    with pytest.raises(PrinterError) as info:
        send(tag_image(), fake.url, timeout=0.6)
    assert info.value.message == errors.TIMEOUT
    assert info.value.params == {"seconds": "0.6"}
    assert time.monotonic() - start >= 0.6  # it did wait the timeout out (a floor, not a budget)


def test_a_printer_that_accepts_and_never_reads_times_out_once_its_buffers_are_full(printers):
    fake = printers("silent")
    with pytest.raises(PrinterError) as info:
        t.send_bytes(b"\x00" * 64_000_000, fake.url, timeout=0.6)
    assert info.value.message == errors.TIMEOUT


def test_a_printer_that_disappears_mid_job_is_a_lost_connection(printers):
    fake = printers("drop", drop_after=100)
    with pytest.raises(PrinterError) as info:
        send(tag_image(), fake.url, timeout=2)
    assert info.value.message == errors.LOST
    assert 100 <= len(fake.data) - 6 < len(enc.encode(tag_image()))


def test_paper_end_is_reported_and_the_job_is_not_sent(printers):
    fake = printers("paper_end")
    with pytest.raises(PrinterError) as info:
        send(tag_image(), fake.url, timeout=2)
    assert info.value.message == errors.PAPER_OUT
    assert str(info.value) == "The printer is out of paper."
    time.sleep(0.05)
    assert fake.data == STATUS  # asked, and stopped there


def test_a_printer_switched_on_after_a_refusal_prints_the_retry(printers):
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    with pytest.raises(PrinterError):
        send(tag_image(), url, timeout=1)
    fake = printers(port=port)
    send(tag_image(), url, timeout=2)
    printed, _ = decode(fake.wait_for(len(enc.encode(tag_image())) + 12)[6:-6])
    assert printed.tobytes() == tag_image().tobytes()


def test_status_lookalikes_inside_the_image_do_not_confuse_the_answer(printers):
    """Some printers act on DLE EOT even inside raster data; their answers to
    those come first, and the last two bytes answer the real request."""
    row = bytearray(72)
    row[0:3] = b"\x10\x04\x01"  # three dots that spell DLE EOT 1
    image = PILImage.frombytes("1", (576, 1), bytes(row), "raw", "1;I")
    job = enc.encode(image)
    assert job.count(b"\x10\x04\x01") == 1
    fake = printers("eager")
    # An "offline" answer to the look-alike is not ours: no PrinterError, neither
    # "offline" nor a timeout from waiting for an answer it had already read.
    send(image, fake.url, timeout=2)
    assert fake.wait_for(len(job) + 12) == STATUS + job + STATUS


def test_encode_is_init_raster_and_a_cut_for_a_profile_with_a_cutter():
    job = enc.encode(tag_image(), profile="TM-T20II")
    assert job.startswith(b"\x1b@\x1dv0")
    assert job.endswith(b"\x1dV\x00")


def test_encode_sends_no_cut_to_a_printer_without_a_cutter_or_when_asked_not_to():
    image = tag_image(58)
    for job in (enc.encode(image, profile="NT-5890K"), enc.encode(image, cut=False)):
        printed, cmds = decode(job)
        assert "cut" not in [c.name for c in cmds]
        assert printed.tobytes() == image.tobytes()


def test_an_image_wider_than_the_profile_is_refused_not_clipped():
    with pytest.raises(PrinterError) as info:
        enc.encode(tag_image(80), profile="NT-5890K")
    assert info.value.params == {"width": 576, "profile": "NT-5890K", "pixels": 384}


def test_file_url_appends_each_job(tmp_path):
    out = tmp_path / "spool.bin"
    image = tag_image(58)
    send(image, f"file://{out}")
    send(image, f"file://{out}")
    assert out.read_bytes() == enc.encode(image) * 2


def test_file_url_in_a_missing_directory_is_a_printer_error(tmp_path):
    with pytest.raises(PrinterError) as info:
        send(tag_image(58), f"file://{tmp_path}/no/such/dir/out.bin")
    assert info.value.message == errors.DEVICE_ERROR


def test_dummy_accepts_a_job_and_keeps_nothing():
    assert send(tag_image(58), "dummy:") is None


@pytest.mark.parametrize("url", ["lpt://1", "", "tcp//printer", "http://printer/"])
def test_an_unknown_printer_address_is_named(url):
    with pytest.raises(PrinterError) as info:
        send(tag_image(58), url)
    assert info.value.message == errors.UNKNOWN_URL
    assert info.value.params == {"url": url}


@pytest.mark.parametrize(("url", "module", "package"), [
    ("usb://04b8:0202", "usb", "pyusb"),
    ("serial:///dev/ttyUSB0?baudrate=9600", "serial", "pyserial"),
    ("cups://TM-T20", "cups", "pycups"),
])
def test_a_device_backend_names_its_missing_package(url, module, package):
    """No USB/serial printer or CUPS server here: only the missing-package
    message is checked (the backends themselves need real devices)."""
    if importlib.util.find_spec(module) is not None:
        pytest.skip(f"{package} is installed")
    with pytest.raises(PrinterError) as info:
        send(tag_image(58), url)
    assert info.value.message == errors.MISSING_PACKAGE
    assert info.value.params == {"scheme": url.split(":")[0] + "://", "package": package}
    assert f"pip install {package}" in str(info.value)


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_a_name_with_a_rare_character_prints_on_a_tag_and_a_slip_as_its_preview(printers, paper_mm):
    """𠮷 (U+20BB7), which the main CJK fonts lack, drawn from the fallback font: what arrives at
    the printer decodes to exactly the preview the screen shows."""
    name = "\u5409\U00020BB7"  # 吉𠮷
    tag = r.render(d.garment_tag("T-000126", "1026", "衬衫", "M", name), paper_mm=paper_mm)
    slip = r.render(d.issue_slip("制服室 发衣单", employee=name, clerk="李玥", when="2024-05-01 09:00",
                                 garments=[d.GarmentLine("T-000126", "衬衫", "M", "1026")]), paper_mm=paper_mm)
    for image in (tag, slip):
        fake = printers()
        send(image, fake.url, timeout=2)
        job = enc.encode(image)
        printed, _ = decode(fake.wait_for(len(job) + 12)[len(STATUS):-len(STATUS)])
        assert printed.tobytes() == image.tobytes()
    assert [b.text for b in zxingcpp.read_barcodes(tag.convert("L"))] == ["T-000126"]
