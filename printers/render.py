"""Draw a :class:`~printers.documents.Document` onto a 1-bit canvas.

The canvas is exactly the paper's dot width (58 mm → 384 dots, 80 mm → 576
dots, at 203 dpi) and as tall as the document needs. The same image is the
on-screen preview (:func:`to_png`) and what :func:`printers.encoding.encode`
prints, so the preview never lies.

Fonts: ``font_path`` (the kiosk passes ``KIOSK_FONT``; the environment
variable ``KIOSK_FONT`` is honoured too), else Noto Sans CJK SC, else
WenQuanYi Micro Hei, in the usual Debian paths (see :data:`FONT_CANDIDATES`).
Before anything is drawn every character of every :class:`Text` is checked
against the font; missing ones raise :class:`~printers.errors.MissingGlyphs`,
so a name is never printed as boxes.

Pictures (:class:`Image`, a signature from the pad): :func:`picture` is the
one reading of a PNG — its size from the header before anything is decoded
(a 9000×9000 or 576×60000 image is refused, never decoded), its transparent
parts white (a pad's canvas is transparent: without that it prints as a
black band) — used by the renderer, the native encoder and the kiosk's
upload check alike.
"""
from __future__ import annotations

import io
import os
import re
import struct
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from printers import errors
from printers.documents import QR, Barcode, Cut, Document, Feed, Image, Rule, Text
from printers.qr import qr_matrix
from printers.errors import MissingGlyphs, PrinterError

#: paper width in mm → printable dots at 203 dpi.
PAPER_DOTS: dict[int, int] = {58: 384, 80: 576}
#: text height in dots for Text.size 1 (size n is n times this).
BASE_PX = 24
#: left/right margin inside the printable width.
MARGIN = 8
LINE_GAP = 0.25  # extra space between lines, as a fraction of the font size

#: (family name, regular path, bold path or None), searched in this order.
FONT_CANDIDATES: list[tuple[str, str, str | None]] = [
    ("Noto Sans CJK SC", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
     "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    ("Noto Sans CJK SC", "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
     "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc"),
    ("Noto Sans CJK SC", "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
     "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Bold.otf"),
    ("WenQuanYi Micro Hei", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", None),
    ("WenQuanYi Zen Hei", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", None),
]

#: Fonts for a character the main font lacks, tried in this order, each glyph on its own: the
#: CJK extension planes (BabelStone Han: Extensions B to G, the rarer name characters of
#: GB18030-2022 that Noto Sans CJK and WenQuanYi lack, such as 𠮷), then the other CJK fonts of
#: :data:`FONT_CANDIDATES`. Pillow draws with one font per call and has no fallback of its own.
FALLBACK_CANDIDATES: list[tuple[str, str]] = [
    ("BabelStone Han", "/usr/share/fonts/truetype/babelstone/BabelStoneHan.ttf"),
]

#: FreeType faces are shared (cached) and are not safe to use from two
#: threads at once (previews in request threads, the print worker).
_FT_LOCK = threading.RLock()

#: a code point no font has: its mask is the font's .notdef (tofu) glyph.
_NOTDEF_PROBE = "\U0010FFFD"

#: a picture is never decoded with more pixels than this (the pad's 600×200 is 120 000)
MAX_PICTURE_PIXELS = 2_000_000
#: nor printed higher than this many dots (5 cm): a tall picture is scaled down to it
MAX_PICTURE_DOTS = 400
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class FontFace:
    """A font file and face index, with an optional real bold face, and the fonts (path, index)
    that draw what it lacks, glyph by glyph (:data:`FALLBACK_CANDIDATES`)."""

    name: str
    path: str
    index: int = 0
    bold_path: str | None = None
    bold_index: int = 0
    fallbacks: tuple[tuple[str, int], ...] = ()

    def fonts(self) -> tuple[tuple[str, int], ...]:
        """(path, index) of the main font, then of each fallback."""
        return ((self.path, self.index), *self.fallbacks)


def _face_index(path: str, family: str) -> int | None:
    """Index of ``family`` in a font collection (.ttc), None when absent."""
    for index in range(16):
        try:
            font = ImageFont.truetype(path, BASE_PX, index=index)
        except OSError:
            return None
        if font.getname()[0] == family:
            return index
    return None


def find_font(font_path: str | None = None) -> FontFace:
    """The font to print with: ``font_path``, else ``$KIOSK_FONT``, else the
    first installed of :data:`FONT_CANDIDATES`; with the installed fallbacks for
    what it lacks. Raises :class:`PrinterError`."""
    font_path = font_path or os.environ.get("KIOSK_FONT") or None
    main = _explicit_font(font_path) if font_path else _search_fonts()
    return _with_fallbacks(main)


@lru_cache(maxsize=8)
def _with_fallbacks(main: FontFace) -> FontFace:
    found: list[tuple[str, int]] = []
    for family, path in FALLBACK_CANDIDATES + [(family, path) for family, path, _ in FONT_CANDIDATES]:
        if not os.path.exists(path) or path == main.path:
            continue
        index = _face_index(path, family) if path.endswith(".ttc") else 0
        if index is not None and (path, index) not in found:
            found.append((path, index))
    return FontFace(main.name, main.path, main.index, main.bold_path, main.bold_index, tuple(found))


@lru_cache(maxsize=8)
def _explicit_font(path: str) -> FontFace:
    try:
        name = ImageFont.truetype(path, BASE_PX).getname()[0] or os.path.basename(path)
    except OSError:
        raise PrinterError(errors.BAD_FONT, path=path) from None
    if path.lower().endswith(".ttc"):  # a CJK collection: prefer its Simplified Chinese face
        index = _face_index(path, "Noto Sans CJK SC")
        if index is not None:
            return FontFace(name="Noto Sans CJK SC", path=path, index=index)
    return FontFace(name=name, path=path)


@lru_cache(maxsize=1)
def _search_fonts() -> FontFace:
    for family, path, bold in FONT_CANDIDATES:
        if not os.path.exists(path):
            continue
        index = _face_index(path, family) if path.endswith(".ttc") and "Noto" in family else 0
        if index is None:
            continue
        face = FontFace(name=family, path=path, index=index)
        if bold and os.path.exists(bold):
            bold_index = _face_index(bold, family) if bold.endswith(".ttc") else 0
            if bold_index is not None:
                face = FontFace(family, path, index, bold, bold_index)
        return face
    raise PrinterError(errors.NO_FONT)


@lru_cache(maxsize=64)
def _font(path: str, index: int, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, px, index=index)


def _mask_key(font: ImageFont.FreeTypeFont, char: str) -> tuple:
    mask = font.getmask(char, mode="1")
    return mask.size, bytes(mask)


@lru_cache(maxsize=8192)
def _has_glyph(path: str, index: int, char: str) -> bool:
    font = _font(path, index, BASE_PX)
    return _mask_key(font, char) != _mask_key(font, _NOTDEF_PROBE)


@lru_cache(maxsize=8192)
def font_of(face: FontFace, char: str) -> int | None:
    """Which of ``face.fonts()`` draws ``char`` (0: the main font; whitespace always the
    main one), or None when none of them has it."""
    if char.isspace():
        return 0
    with _FT_LOCK:
        return next((i for i, (path, index) in enumerate(face.fonts()) if _has_glyph(path, index, char)), None)


def missing_glyphs(document: Document, face: FontFace) -> list[str]:
    """Characters of the document's Text elements no font of ``face`` can draw
    (whitespace ignored), each once, in order of appearance."""
    missing: dict[str, None] = {}
    for el in document.elements:
        if isinstance(el, Text):
            for char in el.text:
                if char not in missing and font_of(face, char) is None:
                    missing[char] = None
    return list(missing)


def runs(text: str, face: FontFace) -> list[tuple[str, int]]:
    """``text`` cut where the font that draws it changes: (part, index into ``face.fonts()``)."""
    out: list[tuple[str, int]] = []
    for char in text:
        which = font_of(face, char) or 0
        if char.isspace() and out:
            which = out[-1][1]  # a space goes with what it follows
        if out and out[-1][1] == which:
            out[-1] = (out[-1][0] + char, which)
        else:
            out.append((char, which))
    return out


def paper_dots(paper_mm: int) -> int:
    """Dot width of the paper (58 → 384, 80 → 576); PrinterError otherwise."""
    try:
        return PAPER_DOTS[int(paper_mm)]
    except (KeyError, TypeError, ValueError):
        raise PrinterError(errors.BAD_PAPER, mm=paper_mm) from None


# ---------------------------------------------------------------- wrapping

# a token is a run of Latin letters/digits/punctuation (kept together), one
# other character (CJK breaks anywhere), or a run of spaces.
_TOKENS = re.compile(r"[ \t]+|[\u0021-\u007e\u00a0-\u02ff]+|.", re.S)


def wrap(text: str, font: ImageFont.FreeTypeFont | Callable[[str], float], width: int) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` dots (measured by ``font``, or by a
    function of the text). Latin words stay whole unless longer than a line; CJK may break
    between any characters."""
    length = font.getlength if hasattr(font, "getlength") else font
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for token in _TOKENS.findall(para):
            if length(line + token) <= width:
                line += token
                continue
            if token.isspace():
                lines.append(line)
                line = ""
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = ""
            for char in token:  # a word or character on a fresh line
                if line and length(line + char) > width:
                    lines.append(line)
                    line = ""
                line += char
        lines.append(line.rstrip())
    return lines


# ---------------------------------------------------------------- drawing

def _blank(width: int, height: int) -> PILImage.Image:
    return PILImage.new("1", (width, max(height, 1)), 1)


def _draw_text(el: Text, face: FontFace, width: int) -> PILImage.Image:
    """Lines of ``el`` in ``face``; a character the main font lacks in the first fallback that
    has it, on the main font's baseline (bold drawn twice where the font has no bold face)."""
    px = BASE_PX * el.size
    real_bold = el.bold and face.bold_path is not None
    main = _font(face.bold_path, face.bold_index, px) if real_bold else _font(face.path, face.index, px)
    fonts = [main] + [_font(path, index, px) for path, index in face.fallbacks]
    fake = [el.bold and not real_bold] + [el.bold] * len(face.fallbacks)

    def measure(text: str) -> float:
        return sum(fonts[which].getlength(part) for part, which in runs(text, face))

    usable = width - 2 * MARGIN - (1 if el.bold else 0)
    lines = wrap(el.text, measure, usable)
    pitch = int(px * (1 + LINE_GAP))
    ascent = main.getmetrics()[0]
    img = _blank(width, pitch * len(lines))
    draw = ImageDraw.Draw(img)
    draw.fontmode = "1"
    for i, line in enumerate(lines):
        w = measure(line)
        if el.align == "center":
            x = (width - w) / 2
        elif el.align == "right":
            x = width - MARGIN - w
        else:
            x = MARGIN
        baseline = i * pitch + int(px * LINE_GAP / 2) + ascent
        for part, which in runs(line, face):
            font = fonts[which]
            for dx in ((0, max(1, px // 24)) if fake[which] else (0,)):
                draw.text((int(x) + dx, baseline), part, font=font, fill=0, anchor="ls")
            x += font.getlength(part)
    return img


def _draw_qr(el: QR, width: int) -> PILImage.Image:
    matrix = qr_matrix(el)  # includes the quiet zone
    n = len(matrix)
    box = max(1, min(el.size_px, width) // n)
    side = n * box
    img = _blank(width, side)
    draw = ImageDraw.Draw(img)
    x0 = (width - side) // 2
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                draw.rectangle((x0 + c * box, r * box, x0 + (c + 1) * box - 1, (r + 1) * box - 1), fill=0)
    return img


def _draw_barcode(el: Barcode, face: FontFace, width: int) -> PILImage.Image:
    if el.kind.upper() != "CODE128":
        raise ValueError(f"unsupported barcode kind {el.kind!r} (only CODE128)")
    try:
        from barcode import Code128  # python-barcode, a dependency of python-escpos 3.x
    except ImportError:  # pragma: no cover - then the code is printed as text only
        return _draw_text(Text(el.data, align="center"), face, width)
    modules = Code128(el.data).build()[0]
    quiet = 10
    module = max(1, min(3, (width - 2 * MARGIN) // (len(modules) + 2 * quiet)))
    if module * (len(modules) + 2 * quiet) > width:
        return _draw_text(Text(el.data, align="center"), face, width)  # too long: text only
    bar_w = module * len(modules)
    caption = _draw_text(Text(el.data, align="center"), face, width)
    img = _blank(width, el.height_px + caption.height)
    draw = ImageDraw.Draw(img)
    x0 = (width - bar_w) // 2
    for i, bit in enumerate(modules):
        if bit == "1":
            draw.rectangle((x0 + i * module, 0, x0 + (i + 1) * module - 1, el.height_px - 1), fill=0)
    img.paste(caption, (0, el.height_px))
    return img


def picture_size(png_bytes: bytes) -> tuple[int, int]:
    """Width and height of a PNG from its header (IHDR) alone: nothing is decoded.

    Raises :class:`PrinterError` (:data:`~printers.errors.BAD_PICTURE`) for
    anything that does not start like a PNG.
    """
    if len(png_bytes) < 24 or not png_bytes.startswith(_PNG_MAGIC) or png_bytes[12:16] != b"IHDR":
        raise PrinterError(errors.BAD_PICTURE)
    width, height = struct.unpack(">II", png_bytes[16:24])
    if not width or not height:
        raise PrinterError(errors.BAD_PICTURE)
    return width, height


def picture(png_bytes: bytes, *, max_size: tuple[int, int] | None = None) -> PILImage.Image:
    """A PNG as a greyscale (mode "L") image, its transparent parts white.

    The size is checked from the header before anything is decoded: more
    than :data:`MAX_PICTURE_PIXELS`, or wider or higher than ``max_size``,
    raises :class:`PrinterError` (:data:`~printers.errors.PICTURE_TOO_LARGE`);
    bytes that are not a whole PNG raise :data:`~printers.errors.BAD_PICTURE`.
    """
    width, height = picture_size(png_bytes)
    too_wide, too_high = (width > max_size[0], height > max_size[1]) if max_size else (False, False)
    if width * height > MAX_PICTURE_PIXELS or too_wide or too_high:
        raise PrinterError(errors.PICTURE_TOO_LARGE, width=width, height=height)
    try:
        with PILImage.open(io.BytesIO(png_bytes), formats=("PNG",)) as src:
            if src.size != (width, height):
                raise PrinterError(errors.BAD_PICTURE)
            src.load()
            rgba = src.convert("RGBA")
    except PrinterError:
        raise
    except Exception:  # Pillow's many ways to say "broken" (OSError, SyntaxError, ValueError, ...)
        raise PrinterError(errors.BAD_PICTURE) from None
    # Ink over white paper: the pad draws dark strokes on a transparent canvas.
    paper = PILImage.new("RGBA", rgba.size, (255, 255, 255, 255))
    return PILImage.alpha_composite(paper, rgba).convert("L")


def draw_image(el: Image, width: int) -> PILImage.Image:
    """An :class:`Image` element as printed: black on white, centred, scaled down to
    fit the paper's width and :data:`MAX_PICTURE_DOTS` (never up), dithered to 1 bit."""
    pic = picture(el.png_bytes)
    scale = min(1.0, width / pic.width, MAX_PICTURE_DOTS / pic.height)
    if scale < 1.0:
        pic = pic.resize((max(1, round(pic.width * scale)), max(1, round(pic.height * scale))),
                         PILImage.Resampling.LANCZOS)
    img = _blank(width, pic.height)
    img.paste(pic.convert("1"), ((width - pic.width) // 2, 0))
    return img


def _rule(width: int) -> PILImage.Image:
    img = _blank(width, 12)
    ImageDraw.Draw(img).rectangle((MARGIN, 5, width - MARGIN - 1, 6), fill=0)
    return img


def render(document: Document, *, paper_mm: int = 80, font_path: str | None = None) -> PILImage.Image:
    """The document as a mode "1" image, exactly the paper's dot width wide.

    Raises :class:`MissingGlyphs` before drawing if the font lacks a
    character, :class:`PrinterError` if no font is found or the paper width
    is not 58/80. :class:`Cut` draws nothing (the backend cuts at the end).
    """
    width = paper_dots(paper_mm)
    face = find_font(font_path)
    missing = missing_glyphs(document, face)
    if missing:
        raise MissingGlyphs(missing)
    with _FT_LOCK:
        parts = _draw_parts(document, face, width)
    canvas = _blank(width, sum(p.height for p in parts))
    y = 0
    for part in parts:
        canvas.paste(part, (0, y))
        y += part.height
    return canvas


def _draw_parts(document: Document, face: FontFace, width: int) -> list[PILImage.Image]:
    parts: list[PILImage.Image] = []
    for el in document.elements:
        if isinstance(el, Text):
            parts.append(_draw_text(el, face, width))
        elif isinstance(el, QR):
            parts.append(_draw_qr(el, width))
        elif isinstance(el, Barcode):
            parts.append(_draw_barcode(el, face, width))
        elif isinstance(el, Rule):
            parts.append(_rule(width))
        elif isinstance(el, Feed):
            if el.lines > 0:
                parts.append(_blank(width, BASE_PX * el.lines))
        elif isinstance(el, Image):
            parts.append(draw_image(el, width))
        elif isinstance(el, Cut):
            continue
        else:  # pragma: no cover - a new element type without a drawer
            raise TypeError(f"cannot render {type(el).__name__}")
    return parts


def to_png(image: PILImage.Image) -> bytes:
    """PNG bytes of a rendered image, for the on-screen preview."""
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()
