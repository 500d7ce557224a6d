"""The printer adapter: documents, rendering, ESC/POS bytes, backends.

The kiosk uses it only through these names:

- :mod:`printers.documents` — pure functions that build a :class:`Document`
  (lines with size and weight, QR, barcode, rule, feed, cut) for a garment
  tag, a check-in slip, an issue/exchange slip, ...; ``Document.to_dict()`` /
  ``Document.from_dict()`` persist it in a print job.
- :func:`printers.render.render` — a Document onto a 1-bit canvas at the
  paper's dot width (58 mm → 384, 80 mm → 576); the same image is the PNG
  preview and what is printed. Raises :class:`printers.errors.MissingGlyphs`
  naming characters the font lacks.
- :func:`printers.backends.send` — ESC/POS bytes for an image (python-escpos,
  with a printer profile) to the printer named by a URL (``dummy:``,
  ``file://``, ``tcp://``, ``usb://``, ``serial://``, ``cups://``). Raises
  :class:`printers.errors.PrinterError` with a translatable reason.

No Flask in here: the kiosk passes settings in.
"""
