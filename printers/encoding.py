"""Encoding: the ESC/POS bytes that print a document.

:func:`encode` builds the byte stream of a rendered image with python-escpos
(a ``Dummy`` printer with a real printer profile, :mod:`printers.profile`:
``ESC @``, the image as ``GS v 0`` raster fragments, then the cut when the
profile has a cutter).

For a Chinese-capable printer configured for it, the native encoder
(:func:`printers.native.encode`) sends the document itself as commands:
GB18030 text in Chinese mode, the printer's QR command.
:func:`encode_document` chooses: raster, or native with a raster fallback
for characters outside GB2312.

The bytes are then carried by :func:`printers.transport.send_bytes`; the
encoders never talk to a printer.
"""
from __future__ import annotations

import logging

from PIL import Image as PILImage

from printers import profile as profiles
from printers.native import encode as encode_native
from printers.documents import Document
from printers.errors import MissingGlyphs
from printers.render import render

log = logging.getLogger(__name__)


def encode(image: PILImage.Image, *, profile: str = profiles.DEFAULT_PROFILE, cut: bool = True) -> bytes:
    """The python-escpos byte stream printing ``image`` (mode "1" from
    :func:`printers.render.render`): ``ESC @``, ``GS v 0`` raster, and a cut
    (``GS V``) if ``cut`` and the profile has a cutter.

    Raises :class:`~printers.errors.PrinterError` if the image is wider than
    the profile allows.
    """
    printer = profiles.dummy(profile)
    profiles.check_width(printer, image.width, profile)
    printer.hw("INIT")
    printer.image(image, impl="bitImageRaster", center=False)
    if cut and profiles.has_cutter(printer):
        printer.cut()
    return printer.output


def encode_document(document: Document, *, paper_mm: int = 80, native: bool = False,
                    font_path: str | None = None, profile: str = profiles.DEFAULT_PROFILE,
                    cut: bool = True) -> bytes:
    """The bytes that print ``document``: the raster image of
    :func:`printers.render.render` (what the preview shows), or with
    ``native`` the native commands of :func:`printers.native.encode`.

    In native mode a document with a character the printer's font may lack
    (outside GB2312, e.g. 堃 喆 玥 赟 𠮷) falls back to the raster image for
    the whole document — printed with the kiosk's CJK font, exactly as the
    preview shows — and a log line names the characters. Only when that
    font lacks a character too is :class:`~printers.errors.MissingGlyphs`
    raised (nothing is printed).
    """
    if native:
        try:
            return encode_native(document, paper_mm=paper_mm, profile=profile, cut=cut)
        except MissingGlyphs as exc:
            log.info("the printer's font may lack %s: printing %s %r as a raster image",
                     " ".join(exc.chars), document.kind, document.title)
    image = render(document, paper_mm=paper_mm, font_path=font_path)
    return encode(image, profile=profile, cut=cut)
