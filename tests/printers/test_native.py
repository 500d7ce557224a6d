"""Native mode: GB18030 text in Chinese mode and the printer's own QR command.

Jobs go through ``tcp://`` to the real TCP :class:`FakePrinter` on 127.0.0.1;
what arrives is parsed back here (:func:`parse_native`) into commands and
printed lines, decoded from GB18030 and compared with the document.
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass

import pytest
import zxingcpp
from PIL import Image as PILImage

from printers import documents as d
from printers import encoding as enc
from printers import errors
from printers import native as n
from printers import render as r
from printers import transport as t
from printers.errors import MissingGlyphs, PrinterError
from tests.printers.fakeprinter import FakePrinter, decode
from tests.printers.fakeprinter import parse as parse_raster

STATUS = b"\x10\x04\x01\x10\x04\x04"
RARE = "堃喆玥赟𠮷"  # outside GB2312: a printer's built-in font may lack them


# ---------------------------------------------------------------- a native decoder

@dataclass
class Cmd:
    name: str
    args: bytes = b""
    image: PILImage.Image | None = None


@dataclass
class Line:
    """One printed text line and the state it was printed in."""

    text: str
    size: int
    bold: bool
    align: int
    chinese: bool

    @property
    def columns(self) -> int:
        return sum(1 if ord(c) < 0x80 else 2 for c in self.text)


_FIXED = {  # prefix -> (name, number of argument bytes)
    b"\x1b@": ("init", 0), b"\x1b!": ("esc!", 1), b"\x1d!": ("size", 1), b"\x1bE": ("bold", 1),
    b"\x1ba": ("align", 1), b"\x1c&": ("chinese_on", 0), b"\x1c.": ("chinese_off", 0),
    b"\x1bd": ("feed", 1), b"\x1dh": ("bc_height", 1), b"\x1dw": ("bc_width", 1),
    b"\x1df": ("bc_font", 1), b"\x1dH": ("bc_hri", 1), b"\x10\x04": ("status", 1),
}


def parse_native(data: bytes) -> list[Cmd]:
    """Every command of a native job; text runs (bytes >= 0x20) as ``text``."""
    cmds: list[Cmd] = []
    i = 0
    while i < len(data):
        two = data[i:i + 2]
        if two in _FIXED:
            name, k = _FIXED[two]
            cmds.append(Cmd(name, data[i + 2:i + 2 + k]))
            i += 2 + k
        elif data[i] == 0x0A:
            cmds.append(Cmd("lf"))
            i += 1
        elif two == b"\x1d(" and data[i + 2:i + 3] == b"k":
            size = data[i + 3] | data[i + 4] << 8
            cmds.append(Cmd("qr", data[i + 5:i + 5 + size]))
            i += 5 + size
        elif two == b"\x1dk":
            m, count = data[i + 2], data[i + 3]
            assert m >= 65, "function type B (GS k m n d1...dn)"
            cmds.append(Cmd("barcode", bytes([m]) + data[i + 4:i + 4 + count]))
            i += 4 + count
        elif two == b"\x1dV":
            size = 4 if data[i + 2] in (65, 66) else 3
            cmds.append(Cmd("cut", data[i + 2:i + size]))
            i += size
        elif data[i:i + 3] == b"\x1dv0":
            xbytes, rows = data[i + 4] | data[i + 5] << 8, data[i + 6] | data[i + 7] << 8
            end = i + 8 + xbytes * rows
            [raster], _ = parse_raster(data[i:end])
            cmds.append(Cmd("raster", raster.args, raster.image))
            i = end
        elif data[i] >= 0x20:
            j = i
            while j < len(data) and data[j] >= 0x20:
                j += 1
            cmds.append(Cmd("text", data[i:j]))
            i = j
        else:
            raise AssertionError(f"unknown byte {data[i]:#04x} at {i}: {data[i:i + 8]!r}")
    return cmds


def printed_lines(cmds: list[Cmd]) -> list[Line]:
    """The text lines as the printer would print them, with their state."""
    size, bold, align, chinese, pending = 1, False, 0, False, b""
    lines: list[Line] = []
    for cmd in cmds:
        if cmd.name == "init":
            size, bold, align, chinese = 1, False, 0, False
        elif cmd.name == "esc!":
            bold = bool(cmd.args[0] & 0x08)
        elif cmd.name == "size":
            width, height = (cmd.args[0] >> 4) + 1, (cmd.args[0] & 0x0F) + 1
            assert width == height
            size = width
        elif cmd.name == "bold":
            bold = bool(cmd.args[0] & 1)
        elif cmd.name == "align":
            align = cmd.args[0]
        elif cmd.name in ("chinese_on", "chinese_off"):
            chinese = cmd.name == "chinese_on"
        elif cmd.name == "text":
            pending += cmd.args
        elif cmd.name == "lf" and pending:
            assert chinese, "text is sent in Chinese mode"
            lines.append(Line(pending.decode("gb18030"), size, bold, align, chinese))
            pending = b""
    assert not pending, "text without a line feed"
    return lines


def qr_payloads(cmds: list[Cmd]) -> list[str]:
    """Data stored with GS ( k cn=49 fn=80 m=48 (QR: store the data)."""
    return [c.args[3:].decode("utf-8") for c in cmds if c.name == "qr" and c.args[:3] == b"1P0"]


# ---------------------------------------------------------------- fixtures

def send_document(document: d.Document, url: str, *, timeout: float = 2, **kw) -> None:
    """What the print worker does: encode the document, then hand the bytes to the backend."""
    t.send_bytes(enc.encode_document(document, **kw), url, timeout=timeout)


def send_native(fake: FakePrinter, document: d.Document, paper_mm: int = 80) -> bytes:
    """Send ``document`` in native mode over tcp://; the job bytes that arrived."""
    send_document(document, fake.url, paper_mm=paper_mm, native=True, timeout=2)
    # the printer answered the status request after the job: it has everything
    data = fake.data
    assert data.startswith(STATUS) and data.endswith(STATUS)
    return data[len(STATUS):-len(STATUS)]


def slip() -> d.Document:
    garments = [d.GarmentLine("U-0001", "西装外套", "M", "1024"), d.GarmentLine("U-0002", "衬衫", "L", "1024")]
    return d.checkin_slip("制服室 收衣单", employee="王五 (S1001)", garments=garments, clerk="李四",
                          when="2024-05-01 09:00", slip_no="R-0001")


def tag(owner: str = "张三") -> d.Document:
    return d.garment_tag("T-000123", "1024", "西装外套", "M", owner)


# ---------------------------------------------------------------- over TCP

@pytest.mark.parametrize("paper_mm", [58, 80])
def test_a_chinese_slip_arrives_as_gb18030_text_in_chinese_mode_and_is_cut(printers, paper_mm):
    fake = printers()
    document = slip()
    job = send_native(fake, document, paper_mm)
    assert job == n.encode(document, paper_mm=paper_mm)
    assert b"\x1c&" in job and "制服室 收衣单".encode("gb18030") in job
    cmds = parse_native(job)
    names = [c.name for c in cmds]
    assert names[0] == "init" and names[-1] == "cut"
    assert "raster" not in names  # no image at all: text, rules and a barcode
    assert names.count("chinese_on") == names.count("chinese_off") > 0
    texts = [line.text for line in printed_lines(cmds)]
    assert texts[0] == "制服室 收衣单"
    assert "Employee：王五 (S1001)" in texts
    assert "1. 1024 西装外套 M  U-0001" in texts and "2. 1024 衬衫 L  U-0002" in texts
    assert "Clerk：李四" in texts
    assert "-" * n.COLUMNS[paper_mm] in texts
    barcode = [c.args for c in cmds if c.name == "barcode"]
    assert barcode == [bytes([73]) + b"{BR-0001"]  # GS k 73: CODE128, function type B


def test_a_tag_sends_its_qr_with_the_printers_own_command_and_the_tag_code_as_payload(printers):
    fake = printers()
    job = send_native(fake, tag())
    cmds = parse_native(job)
    assert qr_payloads(cmds) == ["T-000123"]
    qr = [c.args for c in cmds if c.name == "qr"]
    assert qr[0] == b"1A2\x00"          # model 2
    assert qr[2] == b"1E3"              # error correction H, as the raster QR (a tag goes through the wash)
    assert qr[-1] == b"1Q0"             # print the symbol
    assert 1 <= qr[1][2] <= 16          # dot size
    assert "raster" not in [c.name for c in cmds]
    number = printed_lines(cmds)[0]
    assert (number.text, number.size, number.bold, number.align) == ("1024", 4, True, 1)
    assert [c.name for c in cmds][-1] == "cut"


def test_sizes_bold_and_alignment_are_sent_as_commands():
    document = d.Document("x", [d.Text("左", size=1), d.Text("中粗", size=2, bold=True, align="center"),
                                d.Text("右", size=3, align="right"), d.Text("大", size=4)])
    job = n.encode(document)
    for command in (b"\x1d!\x00", b"\x1d!\x11", b"\x1d!\x22", b"\x1d!\x33",  # GS ! width|height
                    b"\x1bE\x01", b"\x1bE\x00", b"\x1ba\x00", b"\x1ba\x01", b"\x1ba\x02", b"\x1b!\x00"):
        assert command in job
    lines = [(x.text, x.size, x.bold, x.align) for x in printed_lines(parse_native(job))]
    assert lines == [("左", 1, False, 0), ("中粗", 2, True, 1), ("右", 3, False, 2), ("大", 4, False, 0)]


@pytest.mark.parametrize(("paper_mm", "cols"), [(58, 32), (80, 48)])
def test_lines_fit_the_papers_columns_a_chinese_character_counting_two(paper_mm, cols):
    assert n.columns(paper_mm) == cols
    text = "制服室" * 20 + " Uniform room issue slip for employee number S1001 " + "张三李四" * 9
    document = d.Document("x", [d.Text(text, size=s) for s in (1, 2, 3, 4)] + [d.Rule()])
    lines = printed_lines(parse_native(n.encode(document, paper_mm=paper_mm)))
    for line in lines:
        assert line.columns <= cols // line.size, line
    assert "".join(x.text for x in lines[:-1] if x.size == 1).replace(" ", "") == text.replace(" ", "")
    full = [x for x in lines if x.size == 1 and x.text.startswith("制")]
    assert full[0].text == ("制服室" * 20)[:cols // 2]  # a full line: two columns each
    assert "employee" in [w for x in lines for w in x.text.split()]  # Latin words stay whole
    assert lines[-1].text == "-" * cols


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_a_name_outside_gb2312_is_never_sent_as_text_the_document_goes_as_raster(printers, paper_mm):
    for char in RARE:
        with pytest.raises(UnicodeEncodeError):
            char.encode("gb2312")
    with pytest.raises(MissingGlyphs) as info:
        n.encode(tag("张" + RARE), paper_mm=paper_mm)
    assert info.value.chars == list(RARE)
    assert info.value.message == errors.GLYPHS
    # encode_document falls back to the raster image, exactly the preview
    fake = printers()
    document = tag("张堃")
    job = send_native(fake, document, paper_mm)
    image = r.render(document, paper_mm=paper_mm)
    printed, cmds = decode(job)
    assert b"\x1c&" not in job and "张".encode("gb18030") not in job
    assert printed.tobytes() == image.tobytes()
    assert [x.text for x in zxingcpp.read_barcodes(printed.convert("L"))] == ["T-000123"]
    assert [c.name for c in cmds][-1] == "cut"


def test_a_character_no_font_has_still_stops_the_print_with_nothing_sent(printers):
    fake = printers()
    with pytest.raises(MissingGlyphs) as info:
        send_document(tag("王\U00013000"), fake.url, native=True, timeout=2)
    assert info.value.chars == ["\U00013000"]
    time.sleep(0.05)
    assert fake.data == b""


def test_gb2312_symbols_print_natively_and_control_bytes_never_reach_the_printer():
    job = n.encode(d.Document("x", [d.Text("制服室 · 收衣单\t１０２４ №①")]))
    assert "制服室 · 收衣单 １０２４ №①".encode("gb18030") in job
    assert b"\t" not in job
    with pytest.raises(MissingGlyphs) as info:
        n.encode(d.Document("x", [d.Text("a\x1bi¥")]))
    assert info.value.chars == ["\x1b", "¥"]


def test_a_feed_is_line_feeds_and_an_image_is_still_raster():
    pic = PILImage.new("1", (100, 40), 0)
    buf = io.BytesIO()
    pic.save(buf, format="PNG")
    document = d.Document("x", [d.Text("签名"), d.Feed(3), d.Image(buf.getvalue()), d.Cut()])
    cmds = parse_native(n.encode(document, paper_mm=58))
    names = [c.name for c in cmds]
    start = names.index("chinese_off")
    assert names[start:].count("lf") == 3
    [raster] = [c for c in cmds if c.name == "raster"]
    assert raster.image.width == 384 and raster.image.height == 40
    assert names[-1] == "cut"


def test_a_barcode_too_long_for_the_paper_or_not_ascii_is_printed_as_text():
    long_code = "R-" + "9" * 40
    document = d.Document("x", [d.Barcode(long_code), d.Barcode("单号-1")])
    for paper_mm in (58, 80):
        cmds = parse_native(n.encode(document, paper_mm=paper_mm))
        assert "barcode" not in [c.name for c in cmds]
        texts = [x.text for x in printed_lines(cmds)]
        assert "单号-1" in texts and "".join(texts).startswith(long_code)
    short = parse_native(n.encode(d.Document("x", [d.Barcode("A{1}")]), paper_mm=58))
    assert [c.args for c in short if c.name == "barcode"] == [bytes([73]) + b"{BA{{1}"]


def test_no_cut_without_a_cutter_and_80_mm_is_too_wide_for_a_58_mm_profile():
    cmds = parse_native(n.encode(tag(), paper_mm=58, profile="NT-5890K"))
    assert "cut" not in [c.name for c in cmds]
    assert "cut" not in [c.name for c in parse_native(n.encode(tag(), cut=False))]
    with pytest.raises(PrinterError) as info:
        n.encode(tag(), paper_mm=80, profile="NT-5890K")
    assert info.value.message == errors.TOO_WIDE


def test_without_native_a_document_prints_as_the_preview_image(printers):
    fake = printers()
    document = tag("张堃")
    send_document(document, fake.url, paper_mm=58, timeout=2)
    image = r.render(document, paper_mm=58)
    job = enc.encode(image)
    data = fake.wait_for(len(job) + 12)
    assert data == STATUS + job + STATUS
    assert enc.encode_document(document, paper_mm=58) == job
