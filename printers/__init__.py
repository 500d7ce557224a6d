"""The printer adapter: documents, rendering, encoding, transport.

The kiosk uses it only through these names:

- :mod:`printers.documents` — pure functions that build a :class:`Document`
  (lines with size and weight, QR, barcode, rule, feed, cut) for a garment
  tag, a check-in slip, an issue/exchange slip, ...; ``Document.to_dict()`` /
  ``Document.from_dict()`` persist it in a print job.
- :func:`printers.render.render` — a Document onto a 1-bit canvas at the
  paper's dot width (58 mm → 384, 80 mm → 576); the same image is the PNG
  preview and what is printed. Raises :class:`printers.errors.MissingGlyphs`
  naming characters the font lacks.
- :func:`printers.encoding.encode_document` — the ESC/POS bytes of a document
  (python-escpos, with a printer profile from :mod:`printers.profile`): the
  raster image, or the native commands of :mod:`printers.native` for a
  Chinese-capable printer.
- :func:`printers.transport.send_bytes` — those bytes to the printer named by
  a URL (``dummy:``, ``file://``, ``tcp://``, ``usb://``, ``serial://``,
  ``cups://``). Raises :class:`printers.errors.PrinterError` with a
  translatable reason.

The layers go one way (encoding → native → render and profile → documents
→ errors; transport beside them, knowing bytes only), and nothing here
imports the kiosk or Flask: the kiosk passes settings in and translates the
reasons. ``pyproject.toml`` holds these as import-linter contracts.
"""
