"""Native ESC/POS for Chinese-capable printers: GB18030 text, the printer's own QR.

For a printer configured as supporting it (``KIOSK_PRINTER_NATIVE``), a
:class:`~printers.documents.Document` is sent as commands instead of one
raster image (:func:`encode`; :func:`printers.encoding.encode_document` chooses it):

- :class:`Text`: ``ESC !`` 0 (Font A, 12x24), ``GS !`` size (width and height
  times ``Text.size``), ``ESC E`` bold, ``ESC a`` alignment, then ``FS &``
  (Chinese character mode), the GB18030 bytes of each wrapped line with
  ``LF``, and ``FS .`` (leave Chinese mode). The adapter wraps, not the
  printer: a line holds :data:`COLUMNS` columns (48 on 80 mm, 32 on 58 mm,
  divided by the size), an ASCII character takes one column and every other
  (double-byte) character two.
- :class:`QR`: the printer's QR command ``GS ( k`` (python-escpos
  ``qr(..., native=True)``, model 2, level M), centred with ``ESC a``; the dot
  size is chosen so the code is about ``QR.size_px`` dots wide.
- :class:`Barcode`: ``GS k`` CODE128 (function type B, code set B), module
  width 2-3 dots so it fits the paper; a code that does not fit, or is not
  printable ASCII, is printed as centred text only (as the raster renderer does).
- :class:`Rule`: a line of ``-`` as wide as the paper (48 / 32 characters).
- :class:`Feed`: line feeds. :class:`Cut`: the cut, once, at the end, when the
  profile has a cutter. :class:`Image`: still a raster image (``GS v 0``).

Only characters the printer's built-in font surely has are printed this way:
printable ASCII, and GB18030 double-byte codes in the GB2312 area that the
GB2312 codec knows (decided per character on the GB18030 bytes, so U+00B7
"·" — GB2312's A1A4 — counts, while 堃 喆 玥 赟 𠮷, outside GB2312, do not).
:func:`encode` raises :class:`~printers.errors.MissingGlyphs` naming the
others and prints nothing; :func:`printers.encoding.encode_document` then
falls back to the raster image for that document. The profile's questions
(width, cutter) are answered by :mod:`printers.profile`; this module neither
imports the raster encoder nor the transport.
"""
from __future__ import annotations

import re
from functools import lru_cache

from printers import profile as profiles
from printers.documents import QR, Barcode, Cut, Document, Feed, Image, Rule, Text
from printers.qr import qr_matrix
from printers.errors import MissingGlyphs
from printers.render import PAPER_DOTS, draw_image, paper_dots

ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"
LF = b"\n"
INIT = ESC + b"@"
FONT_A = ESC + b"!\x00"        # ESC ! 0: Font A (12x24), no emphasis, normal size
CHINESE_ON = FS + b"&"         # FS &: enter Chinese character mode
CHINESE_OFF = FS + b"."        # FS .: leave Chinese character mode
ALIGN = {"left": ESC + b"a\x00", "center": ESC + b"a\x01", "right": ESC + b"a\x02"}
BOLD = {False: ESC + b"E\x00", True: ESC + b"E\x01"}

#: Font A is 12 dots wide: characters per line (58 mm → 32, 80 mm → 48).
CHAR_DOTS = 12
COLUMNS: dict[int, int] = {mm: dots // CHAR_DOTS for mm, dots in PAPER_DOTS.items()}
RULE_CHAR = "-"
#: CODE128 module widths tried, widest first (GS w allows 2-6; 3 matches the raster).
BARCODE_MODULES = (3, 2)
BARCODE_HEIGHT = 80

# the same tokens as printers.render.wrap: Latin words stay whole, CJK breaks anywhere.
_TOKENS = re.compile(r"[ ]+|[\u0021-\u007e\u00a0-\u02ff]+|.", re.S)


def size_command(size: int) -> bytes:
    """``GS !`` for ``size`` times the width and height (1-4)."""
    return GS + b"!" + bytes([(size - 1) << 4 | (size - 1)])


def columns(paper_mm: int) -> int:
    """Characters of Font A per line: 48 at 80 mm, 32 at 58 mm."""
    return paper_dots(paper_mm) // CHAR_DOTS


@lru_cache(maxsize=8192)
def native_bytes(char: str) -> bytes | None:
    """The GB18030 bytes of ``char`` if the printer's built-in font surely has
    it (printable ASCII, or a code of the GB2312 area), else None."""
    if len(char) != 1:
        return None
    code = ord(char)
    if code < 0x80:
        return char.encode("ascii") if 0x20 <= code < 0x7F else None
    try:
        data = char.encode("gb18030")
    except UnicodeEncodeError:  # a lone surrogate
        return None
    if len(data) != 2 or not (0xA1 <= data[0] <= 0xF7 and 0xA1 <= data[1] <= 0xFE):
        return None  # a GBK/GB18030 extension, not in the GB2312 font
    try:
        data.decode("gb2312")  # an assigned GB2312 position (not a user-defined one)
    except UnicodeDecodeError:
        return None
    return data


def width(text: str) -> int:
    """Columns ``text`` takes in Chinese mode: 1 per ASCII, 2 per other character."""
    return sum(1 if ord(c) < 0x80 else 2 for c in text)


def _clean(text: str) -> str:
    """Tabs and other whitespace as spaces (a control byte must never reach the printer)."""
    return "".join(c if c in ("\n", "\u3000") or not c.isspace() else " " for c in text)


def wrap(text: str, cols: int) -> list[str]:
    """Break ``text`` into lines of at most ``cols`` columns (see :func:`width`).
    Latin words stay whole unless longer than a line; CJK breaks anywhere."""
    lines: list[str] = []
    for para in _clean(text).split("\n"):
        line, used = "", 0
        for token in _TOKENS.findall(para):
            need = width(token)
            if used + need <= cols:
                line, used = line + token, used + need
                continue
            if token.isspace():
                lines.append(line)
                line, used = "", 0
                continue
            if line.strip():
                lines.append(line.rstrip())
            line, used = "", 0
            for char in token:  # a word or character on a fresh line
                need = width(char)
                if line and used + need > cols:
                    lines.append(line)
                    line, used = "", 0
                line, used = line + char, used + need
        lines.append(line.rstrip())
    return lines


def _barcode_fits(el: Barcode) -> bool:
    return el.kind.upper() == "CODE128" and el.data != "" and all(0x20 <= ord(c) < 0x7F for c in el.data)


def unprintable(document: Document) -> list[str]:
    """Characters of the document the printer's font may lack (see
    :func:`native_bytes`), each once, in order of appearance."""
    missing: dict[str, None] = {}
    for el in document.elements:
        if isinstance(el, Text):
            text = _clean(el.text)
        elif isinstance(el, Barcode) and not _barcode_fits(el):
            text = el.data  # printed as text
        else:
            continue
        for char in text:
            if char != "\n" and char != " " and native_bytes(char) is None:
                missing[char] = None
    return list(missing)


def _text(out: list[bytes], text: str, *, size: int = 1, bold: bool = False, align: str = "left",
          cols: int) -> None:
    out += [FONT_A, size_command(size), BOLD[bold], ALIGN[align], CHINESE_ON]
    for line in wrap(text, max(2, cols // size)):
        out.append(b"".join(native_bytes(c) for c in line) + LF)  # type: ignore[misc]
    out += [CHINESE_OFF, size_command(1), BOLD[False], ALIGN["left"]]


def _qr_dot_size(el: QR, dots: int) -> int:
    modules = len(qr_matrix(el))  # with the quiet zone, as the raster renderer draws it
    return max(1, min(16, min(el.size_px, dots) // modules))


def _barcode(printer, el: Barcode, dots: int) -> bool:
    """Send ``GS k`` CODE128 (function B) for ``el``; False when it must be printed as text."""
    if not _barcode_fits(el):
        return False
    data = el.data.replace("{", "{{")  # "{" starts a code-set switch in GS k CODE128
    modules = 11 * (len(data) + 3) + 2 + 20  # start, data, check, stop (13), quiet zones
    module = next((m for m in BARCODE_MODULES if m * modules <= dots), None)
    if module is None:
        return False
    # python-escpos barcode() would choose the same hardware renderer for this
    # profile but also print() a line to stdout on every job; _hw_barcode is
    # what it calls.
    printer._hw_barcode("{B" + data, "CODE128", height=min(255, el.height_px or BARCODE_HEIGHT),
                        width=module, pos="BELOW", font="A", align_ct=True, function_type="B")
    printer._raw(LF + ALIGN["left"])
    return True


def encode(document: Document, *, paper_mm: int = 80, profile: str = profiles.DEFAULT_PROFILE,
           cut: bool = True) -> bytes:
    """The native ESC/POS byte stream for ``document`` (see the module doc).

    Raises :class:`MissingGlyphs` (nothing encoded) when a character is
    outside what the printer's font surely has,
    :class:`~printers.errors.PrinterError` when the paper is wider than the
    profile prints.
    """
    dots = paper_dots(paper_mm)
    cols = dots // CHAR_DOTS
    missing = unprintable(document)
    if missing:
        raise MissingGlyphs(missing)
    printer = profiles.dummy(profile)
    profiles.check_width(printer, dots, profile)
    printer._raw(INIT)
    wants_cut = False
    for el in document.elements:
        out: list[bytes] = []
        if isinstance(el, Text):
            _text(out, el.text, size=el.size, bold=el.bold, align=el.align, cols=cols)
        elif isinstance(el, QR):
            if el.data:
                from escpos import constants

                printer._raw(ALIGN["center"])
                printer.qr(el.data, ec=getattr(constants, f"QR_ECLEVEL_{el.level}"), size=_qr_dot_size(el, dots),
                           native=True)
                printer._raw(LF + ALIGN["left"])
        elif isinstance(el, Barcode):
            if not _barcode(printer, el, dots):
                _text(out, el.data, align="center", cols=cols)
        elif isinstance(el, Rule):
            _text(out, RULE_CHAR * cols, cols=cols)
        elif isinstance(el, Feed):
            out.append(LF * max(0, el.lines))
        elif isinstance(el, Image):
            printer.image(draw_image(el, dots), impl="bitImageRaster", center=False)
        elif isinstance(el, Cut):
            wants_cut = True
        else:  # pragma: no cover - a new element type without an encoder
            raise TypeError(f"cannot encode {type(el).__name__}")
        if out:
            printer._raw(b"".join(out))
    if cut and wants_cut and profiles.has_cutter(printer):
        printer.cut()
    return printer.output
