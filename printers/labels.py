"""Label printers: a garment tag laid out for a label and encoded as TSPL or ZPL.

A tag that stays on a garment goes through the wash: it is printed on a label
printer (heat-resistant polyester or nylon care labels with a resin ribbon, see
the README), not on receipt paper. The label is drawn here as one 1-bit image
(the same fonts and glyph check as :mod:`printers.render`), laid out for the
label's size at 203 dpi: the QR code (level H) on the left, the number large
beside it, then type and size, owner and the code; and sent as one bitmap
command, which every printer of the language draws alike:

- TSPL (TSC, Xprinter, Gprinter and most Chinese label printers):
  ``SIZE``, ``GAP``, ``CLS``, ``BITMAP x,y,width_bytes,height,0,<bits>``
  (a set bit is paper, as in a mode "1" image), ``PRINT 1,1``;
- ZPL (Zebra): ``^XA ^PW ^LL ^FO0,0 ^GFA,bytes,bytes,row_bytes,<hex> ^FS ^XZ``
  (a set bit is a printed dot).

:func:`decode_tspl` and :func:`decode_zpl` read such a job back into its image
(the tests read the QR in it with zxing-cpp).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from PIL import Image as PILImage
from PIL import ImageChops

from printers import errors
from printers.documents import QR, Document, Text
from printers.errors import MissingGlyphs, PrinterError
from printers.qr import qr_matrix
from printers.render import _FT_LOCK, BASE_PX, _blank, _draw_text, find_font, missing_glyphs

#: dots per mm at 203 dpi, what label printers of the room print at
DOTS_PER_MM = 8
#: the languages a label printer may speak
LANGUAGES = ("tspl", "zpl")
#: the label's margin on every side, and the gap between the QR code and the text, in dots
EDGE = 2 * DOTS_PER_MM
GUTTER = DOTS_PER_MM
#: common label sizes, width x height in mm (any other from 20 to 120 mm each way is taken too)
COMMON_SIZES = ("40x30", "50x25", "50x30", "60x40")


@dataclass(frozen=True)
class LabelSize:
    """A label's width and height in mm (across and along the feed)."""

    width_mm: int
    height_mm: int

    @property
    def dots(self) -> tuple[int, int]:
        return self.width_mm * DOTS_PER_MM, self.height_mm * DOTS_PER_MM

    def __str__(self) -> str:
        return f"{self.width_mm}x{self.height_mm}"


def label_size(text: str) -> LabelSize:
    """``"40x30"`` (also ``40×30``, ``40 x 30 mm``) -> LabelSize; PrinterError for anything else."""
    found = re.fullmatch(r"\s*(\d{2,3})\s*[x×*]\s*(\d{2,3})\s*(mm)?\s*", text or "", re.I)
    if found is None or not all(20 <= int(n) <= 120 for n in found.groups()[:2]):
        raise PrinterError(errors.BAD_LABEL_SIZE, size=text)
    return LabelSize(int(found.group(1)), int(found.group(2)))


def render_label(document: Document, size: LabelSize, *, font_path: str | None = None) -> PILImage.Image:
    """The tag ``document`` (a QR code and lines of text) drawn for a label of ``size``.

    The QR code fills the label's height on the left; the lines go beside it, each at its
    own size where they fit, all made smaller together until they do (the number stays the
    largest). Raises MissingGlyphs before drawing, as a receipt does.
    """
    face = find_font(font_path)
    missing = missing_glyphs(document, face)
    if missing:
        raise MissingGlyphs(missing)
    width, height = size.dots
    qr = next((el for el in document.elements if isinstance(el, QR)), None)
    lines = [el for el in document.elements if isinstance(el, Text) and el.text.strip()]
    canvas = _blank(width, height)
    x = EDGE
    with _FT_LOCK:
        if qr is not None and qr.data:
            # at most a third of the label's width: the rest is the number's, read across the room
            symbol = _qr_image(qr, min(height - 2 * EDGE, width // 3), size)
            code = next((el for el in lines if el.text == qr.data), None)
            under = _trim(_draw_text(Text(code.text), face, width)) if code is not None else None
            if under is not None and (_ink_width(under) > symbol.width + GUTTER
                                      or symbol.height + under.height > height - 2 * EDGE):
                under = None  # the code stays with the other lines
            top = (height - symbol.height - (under.height if under is not None else 0)) // 2
            canvas.paste(symbol, (x, top))
            if under is not None:
                canvas.paste(under, (x, top + symbol.height))
                lines = [el for el in lines if el is not code]
            x += symbol.width + GUTTER
        column = width - x - EDGE
        if column < 8 * DOTS_PER_MM:  # a label too narrow for text beside its QR code
            raise PrinterError(errors.BAD_LABEL_SIZE, size=str(size))
        parts = _fit(lines, face, column, height - 2 * EDGE)
    y = max(EDGE, (height - sum(p.height for p in parts)) // 2)
    for part in parts:
        canvas.paste(part, (x, y))
        y += part.height
    return canvas


def _ink_width(part: PILImage.Image) -> int:
    box = ImageChops.invert(part.convert("L")).getbbox()
    return box[2] if box else 0


#: a QR module is at most this many dots (0.6 mm; 0.5 mm on a 40 mm label: a scanner reads
#: either from a hand's length); a larger symbol would only take the room the number needs
QR_MODULE_DOTS = 5
#: and at least this many (0.375 mm: smaller, a scanner misreads it)
QR_MIN_MODULE_DOTS = 3


def _qr_image(qr: QR, side: int, size: LabelSize) -> PILImage.Image:
    """The symbol with its quiet zone, whole dots a module, within ``side`` dots; PrinterError
    when a module would be smaller than :data:`QR_MIN_MODULE_DOTS` (the label is too small)."""
    matrix = qr_matrix(qr, border=2)  # the label's own margin adds to the quiet zone
    box = min(QR_MODULE_DOTS, side // len(matrix))
    if box < QR_MIN_MODULE_DOTS:
        raise PrinterError(errors.BAD_LABEL_SIZE, size=str(size))
    image = _blank(len(matrix) * box, len(matrix) * box)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                image.paste(0, (c * box, r * box, (c + 1) * box, (r + 1) * box))
    return image


def _fit(lines: list[Text], face, column: int, room: int) -> list[PILImage.Image]:
    """The lines drawn left-aligned in ``column`` dots within ``room`` dots of height: the
    largest line of the tag (its number) as large as fits on one line, the others at the
    smallest size (at the smallest, as they are)."""
    biggest = max((el.size for el in lines), default=1)
    for size in range(biggest, 0, -1):
        sized = [Text(el.text, size=size if el.size == biggest else 1, bold=el.bold, align="left")
                 for el in lines]
        parts = [_trim(_draw_text(el, face, column + 16)) for el in sized]
        number_fits = all(p.height <= BASE_PX * size * 2 for p, el in zip(parts, sized) if el.size == size)
        if (sum(p.height for p in parts) <= room and number_fits) or size == 1:
            return parts
    return parts


def _trim(part: PILImage.Image) -> PILImage.Image:
    """A drawn line without the receipt's left margin (the label has its own)."""
    return part.crop((8, 0, part.width, part.height))


# ---------------------------------------------------------------- encoding

def tspl(image: PILImage.Image, size: LabelSize, *, gap_mm: int = 2) -> bytes:
    """One label in TSPL: its size and gap, the image as one ``BITMAP``, printed once."""
    image = image.convert("1")
    row_bytes = (image.width + 7) // 8
    head = (f"SIZE {size.width_mm} mm,{size.height_mm} mm\r\nGAP {gap_mm} mm,0 mm\r\nDIRECTION 1\r\n"
            f"CLS\r\nBITMAP 0,0,{row_bytes},{image.height},0,").encode("ascii")
    return head + image.tobytes() + b"\r\nPRINT 1,1\r\n"


def zpl(image: PILImage.Image, size: LabelSize) -> bytes:
    """One label in ZPL: print width and length, the image as one ``^GF`` (hex), printed once."""
    image = image.convert("1")
    row_bytes = (image.width + 7) // 8
    dots = ImageChops.invert(image.convert("L")).convert("1").tobytes()  # a set bit prints
    total = len(dots)
    return (f"^XA^PW{image.width}^LL{image.height}^FO0,0^GFA,{total},{total},{row_bytes},"
            f"{dots.hex().upper()}^FS^XZ").encode("ascii")


def encode_label(document: Document, size: LabelSize, language: str, *, font_path: str | None = None) -> bytes:
    """The tag ``document`` as the bytes a ``language`` label printer takes."""
    if language not in LANGUAGES:
        raise PrinterError(errors.BAD_LABEL_LANGUAGE, language=language)
    image = render_label(document, size, font_path=font_path)
    return tspl(image, size) if language == "tspl" else zpl(image, size)


# ---------------------------------------------------------------- reading a job back

_TSPL_BITMAP = re.compile(rb"BITMAP (\d+),(\d+),(\d+),(\d+),(\d+),")
_ZPL_GF = re.compile(rb"\^PW(\d+)\^LL(\d+)\^FO(\d+),(\d+)\^GFA,(\d+),(\d+),(\d+),([0-9A-F]+)\^FS")


def decode_tspl(data: bytes) -> PILImage.Image:
    """The label a TSPL job prints (its first BITMAP, on a label of its SIZE)."""
    size = re.search(rb"SIZE (\d+) mm,(\d+) mm", data)
    found = _TSPL_BITMAP.search(data)
    if size is None or found is None:
        raise ValueError("no SIZE and BITMAP in this TSPL job")
    x, y, row_bytes, rows, _mode = (int(n) for n in found.groups())
    bits = data[found.end():found.end() + row_bytes * rows]
    label = _blank(int(size.group(1)) * DOTS_PER_MM, int(size.group(2)) * DOTS_PER_MM)
    label.paste(PILImage.frombytes("1", (row_bytes * 8, rows), bits), (x, y))
    return label


def decode_zpl(data: bytes) -> PILImage.Image:
    """The label a ZPL job prints (its ``^GF`` graphic field, ASCII hex)."""
    found = _ZPL_GF.search(data)
    if found is None:
        raise ValueError("no ^GFA graphic field in this ZPL job")
    width, length, x, y, total, _, row_bytes = (int(n) for n in found.groups()[:7])
    dots = bytes.fromhex(found.group(8).decode("ascii"))
    if len(dots) != total:
        raise ValueError(f"^GF says {total} bytes, {len(dots)} came")
    printed = PILImage.frombytes("1", (row_bytes * 8, total // row_bytes), dots)
    label = _blank(width, length)
    label.paste(ImageChops.invert(printed.convert("L")).convert("1"), (x, y))
    return label
