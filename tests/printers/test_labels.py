"""printers.labels: a garment tag on a TSPL or ZPL label printer, sent to a real socket and read back.

Each job goes to a TCP printer on 127.0.0.1 (tests/printers/fakeprinter.py), is decoded back
into the label it prints and read with zxing-cpp; a ZPL label is also drawn by an independent
ZPL renderer (npm's zpl-renderer-js, a WebAssembly build of Zebrash; `make test` installs it).
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image as PILImage
from PIL import ImageChops

from printers import documents as d
from printers import labels as lb
from printers import render as r
from printers import transport as t
from printers.errors import MissingGlyphs, PrinterError

ROOT = Path(__file__).resolve().parents[2]
ZPL_RENDERER = ROOT / ".venv" / "zpl-renderer"
DECODE = {"tspl": lb.decode_tspl, "zpl": lb.decode_zpl}


def tag(owner: str = "张堃", number: str = "1024") -> d.Document:
    return d.garment_tag("T-000123", number, "西装外套", "M", owner)


def codes(image: PILImage.Image) -> list[tuple[str, str]]:
    return [(b.text, b.ec_level) for b in zxingcpp.read_barcodes(image.convert("L"))]


def contains(image: PILImage.Image, patch: PILImage.Image) -> bool:
    """Whether ``patch`` (ink cropped tight) appears in ``image`` dot for dot."""
    image, patch = image.convert("L"), patch.convert("L")
    first = next((x for x in range(patch.width) if patch.getpixel((x, 0)) == 0), None)
    assert first is not None
    pixels = image.load()
    for y in range(image.height - patch.height + 1):
        for x in range(first, image.width - patch.width + first + 1):
            if pixels[x, y] == 0 and ImageChops.difference(
                    image.crop((x - first, y, x - first + patch.width, y + patch.height)), patch).getbbox() is None:
                return True
    return False


def number_patch(number: str, size: int) -> PILImage.Image:
    """The number as the label draws it, drawn alone and cropped to its ink."""
    line = r._draw_text(d.Text(number, size=size, bold=True), r.find_font(), 576).convert("L")
    return line.crop(ImageChops.invert(line).getbbox())


@pytest.mark.parametrize("size", ["40x30", "50x25"])
@pytest.mark.parametrize("language", ["tspl", "zpl"])
def test_a_tag_on_a_label_printer_reads_back_with_its_qr_and_its_number(printers, language, size):
    fake = printers(mode="mute")  # a label printer answers no ESC/POS status query
    label = lb.label_size(size)
    job = lb.encode_label(tag(), label, language)
    sent = t.send_bytes(job, fake.url, timeout=3, ask_status=False)
    assert sent.status_unknown
    arrived = fake.wait_for(len(job))
    assert arrived == job  # nothing but the label: no ESC/POS status query in front of it
    printed = DECODE[language](arrived)
    preview = lb.render_label(tag(), label)
    assert printed.size == label.dots == preview.size
    assert printed.tobytes() == preview.tobytes()
    assert codes(printed) == [("T-000123", "H")]
    assert contains(printed, number_patch("1024", 3))  # the number, 9 mm tall
    assert not contains(lb.render_label(tag(number="2048"), label), number_patch("1024", 3))


def test_a_tspl_job_is_one_bitmap_on_a_label_of_its_size_with_a_set_bit_for_paper():
    image = lb.render_label(tag(), lb.label_size("40x30"))
    job = lb.tspl(image, lb.label_size("40x30"))
    assert job.startswith(b"SIZE 40 mm,30 mm\r\nGAP 2 mm,0 mm\r\n")
    assert b"\r\nCLS\r\nBITMAP 0,0,40,240,0," in job and job.endswith(b"\r\nPRINT 1,1\r\n")
    head = b"BITMAP 0,0,40,240,0,"
    bits = job[job.index(head) + len(head):][:40]
    assert bits == b"\xff" * 40  # the top row is paper: every bit set


def test_a_zpl_label_draws_the_same_in_an_independent_renderer(tmp_path):
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are not installed (make test installs the ZPL renderer with npm)")
    module = ZPL_RENDERER / "node_modules" / "zpl-renderer-js"
    assert module.is_dir(), "make test installs zpl-renderer-js into .venv/zpl-renderer"
    label = lb.label_size("40x30")
    preview = lb.render_label(tag(), label)
    job = tmp_path / "tag.zpl"
    png = tmp_path / "tag.png"
    job.write_bytes(lb.zpl(preview, label))
    script = ("const {ready}=require('zpl-renderer-js');const fs=require('fs');(async()=>{const {api}=await ready;"
              "const b=await api.zplToBase64Async(fs.readFileSync(process.argv[1],'latin1'),40,30,8);"
              "fs.writeFileSync(process.argv[2],Buffer.from(b,'base64'));})().catch(e=>{console.error(e);process.exit(1)})")
    subprocess.run([node, "-e", script, str(job), str(png)], cwd=ZPL_RENDERER, check=True, timeout=120)
    drawn = PILImage.open(png).convert("L").point(lambda v: 255 if v > 127 else 0)
    assert drawn.size == label.dots
    assert codes(drawn) == [("T-000123", "H")]
    assert ImageChops.difference(drawn, preview.convert("L")).getbbox() is None


def test_a_rare_name_prints_on_a_label_and_a_character_no_font_has_stops_it():
    label = lb.label_size("50x25")
    printed = lb.decode_tspl(lb.encode_label(tag(owner="吉\U00020BB7"), label, "tspl"))
    assert codes(printed) == [("T-000123", "H")]
    with pytest.raises(MissingGlyphs):
        lb.encode_label(tag(owner="王\U00013000"), label, "tspl")


@pytest.mark.parametrize("text", ["40X30", "50×25", " 60 x 40 mm "])
def test_label_sizes_are_read_as_width_by_height_in_mm(text):
    size = lb.label_size(text)
    assert (size.width_mm, size.height_mm) in {(40, 30), (50, 25), (60, 40)}


@pytest.mark.parametrize("text", ["", "40", "40x", "5x5", "400x300", "40x30x2", "abc"])
def test_an_absurd_label_size_is_refused_with_its_text(text):
    with pytest.raises(PrinterError) as refused:
        lb.label_size(text)
    assert refused.value.params == {"size": text}


def test_a_label_too_small_for_a_readable_qr_and_an_unknown_language_are_refused():
    with pytest.raises(PrinterError) as refused:  # its QR modules would be 2 dots (0.25 mm)
        lb.render_label(tag(), lb.label_size("25x30"))
    assert refused.value.params == {"size": "25x30"}
    assert codes(lb.render_label(tag(), lb.label_size("30x20"))) == [("T-000123", "H")]
    with pytest.raises(PrinterError) as refused:
        lb.encode_label(tag(), lb.label_size("40x30"), "epl")
    assert refused.value.params == {"language": "epl"}
