"""A signature drawn on the pad (a loan, a leaver's clearance): read and checked once, here.

The pad is a ``<canvas>`` of :data:`PAD_WIDTH` × :data:`PAD_HEIGHT`
(templates read :data:`PAD` through the ``signature_pad`` global) that the
form posts as a ``data:image/png;base64,...`` URL. :func:`parse_signature`
takes only what that pad can draw: a real PNG (decoded once to prove it, by
:func:`printers.render.picture`, the same reading the slip's renderer does),
at most :data:`MAX_BYTES`, no larger than the pad. Anything else is refused
with a message for the signer, before it is stored or reaches a printer.
No Flask here: a form calls it and shows the refusal under its field.
"""
from __future__ import annotations

import base64
import binascii

from printers import errors as printer_errors
from printers.errors import PrinterError
from printers.render import picture

from .domain.errors import DomainError, N_

#: the pad's canvas in pixels (what toDataURL gives)
PAD_WIDTH, PAD_HEIGHT = 600, 200
PAD = {"width": PAD_WIDTH, "height": PAD_HEIGHT}
#: a pad's PNG is a few kilobytes; this is far above any real one
MAX_BYTES = 300_000
DATA_URL_PREFIX = "data:image/png;base64,"

UNREADABLE = N_("The signature could not be read. Sign again.")
TOO_MANY_BYTES = N_("The signature is too large (%(kb)s KB, at most %(max_kb)s KB). Clear it and sign again.")
TOO_LARGE = N_("The signature picture is %(width)s × %(height)s pixels, larger than the pad "
               "(%(pad_width)s × %(pad_height)s). Clear it and sign again.")


class SignatureRefused(DomainError):
    """The posted signature is not what the pad draws; nothing was stored."""


def parse_signature(data_url: str | None) -> bytes | None:
    """The PNG of the pad's data URL, or None when nothing was signed.

    Raises :class:`SignatureRefused`: not a PNG data URL, not a whole PNG,
    more than :data:`MAX_BYTES`, or wider or higher than the pad.
    """
    data_url = (data_url or "").strip()
    if not data_url:
        return None
    if not data_url.startswith(DATA_URL_PREFIX):
        raise SignatureRefused(UNREADABLE)
    encoded = data_url[len(DATA_URL_PREFIX):]
    if len(encoded) > (MAX_BYTES + 2) // 3 * 4:  # refused before decoding the base64 too
        raise SignatureRefused(TOO_MANY_BYTES, kb=len(encoded) * 3 // 4 // 1000, max_kb=MAX_BYTES // 1000)
    try:
        png = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureRefused(UNREADABLE) from None
    if len(png) > MAX_BYTES:
        raise SignatureRefused(TOO_MANY_BYTES, kb=len(png) // 1000, max_kb=MAX_BYTES // 1000)
    try:
        picture(png, max_size=(PAD_WIDTH, PAD_HEIGHT))
    except PrinterError as refused:
        if refused.message == printer_errors.PICTURE_TOO_LARGE:
            raise SignatureRefused(TOO_LARGE, width=refused.params["width"], height=refused.params["height"],
                                   pad_width=PAD_WIDTH, pad_height=PAD_HEIGHT) from None
        raise SignatureRefused(UNREADABLE) from None
    return png
