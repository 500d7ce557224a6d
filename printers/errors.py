"""Printer errors with a translatable reason, and the marker for msgids.

The adapter knows nothing of the kiosk (nor of Flask): a reason is kept as a
msgid, marked with :func:`N_` so that ``pybabel extract -k N_`` finds it, plus
its parameters. The kiosk turns a :class:`PrinterError` into its own refusal
(``message`` and ``params``) and translates it there. ``str(err)`` is the
English text, for logs and the CLI.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def N_(message: str) -> str:
    """Mark a msgid for extraction without translating it here (the kiosk translates)."""
    return message

# The reasons, in one place so the kiosk and the tests can compare against them.
REFUSED = N_("The printer at %(where)s refused the connection. Is it switched on?")
UNREACHABLE = N_("The printer at %(where)s cannot be reached: %(detail)s")
TIMEOUT = N_("The printer did not answer within %(seconds)s s.")
PAPER_OUT = N_("The printer is out of paper.")
OFFLINE = N_("The printer is offline (cover open or error).")
LOST = N_("The connection to the printer was lost while printing.")
MISSING_PACKAGE = N_("The printer driver for %(scheme)s needs the Python package %(package)s: pip install %(package)s")
UNKNOWN_URL = N_("Unknown printer address %(url)s.")
DEVICE_ERROR = N_("The printer at %(where)s failed: %(detail)s")
NO_FONT = N_("No Chinese font found. Install fonts-noto-cjk or fonts-wqy-microhei, or set KIOSK_FONT.")
BAD_FONT = N_("The font %(path)s cannot be read.")
TOO_WIDE = N_("The slip is %(width)s dots wide but the printer profile %(profile)s prints at most %(pixels)s. Check KIOSK_PAPER_MM.")
BAD_PAPER = N_("Unsupported paper width %(mm)s mm (58 or 80).")
GLYPHS = N_("The font cannot print: %(chars)s. Nothing was printed.")
BAD_PICTURE = N_("The picture on this slip (a signature) cannot be read. Nothing was printed.")
BAD_LABEL_SIZE = N_("Unsupported label size %(size)s: give width x height in mm, each 20 to 120 (for example 40x30).")
BAD_LABEL_LANGUAGE = N_("Unsupported label printer language %(language)s (tspl or zpl).")
PICTURE_TOO_LARGE = N_("The picture on this slip (a signature) is too large: %(width)s × %(height)s pixels. Nothing was printed.")


class PrinterError(Exception):
    """A print that did not happen (or may not have finished).

    ``message`` is the msgid of the reason, ``params`` its parameters.
    """

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


class MissingGlyphs(PrinterError):
    """The font lacks some characters of the document; nothing was printed.

    ``chars`` lists each missing character once, in order of appearance.
    """

    def __init__(self, chars: Iterable[str]) -> None:
        self.chars: list[str] = list(dict.fromkeys(chars))
        super().__init__(GLYPHS, chars=" ".join(self.chars))
