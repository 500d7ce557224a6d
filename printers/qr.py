"""A QR symbol's modules: the one rule the raster image and the native QR command's size follow."""
from __future__ import annotations

import qrcode

from printers.documents import QR

#: printers.documents.QR_LEVELS -> the qrcode package's constant
QR_CORRECTION = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
                 "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}


def qr_matrix(el: QR, border: int = 4) -> list[list[bool]]:
    """The symbol of ``el`` at its error correction level, with ``border`` modules of quiet zone
    (True: a dark module)."""
    qr = qrcode.QRCode(error_correction=QR_CORRECTION[el.level], border=border)
    qr.add_data(el.data)
    qr.make(fit=True)
    return qr.get_matrix()
