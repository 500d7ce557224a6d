"""The printer profile: what a model can print (python-escpos's capabilities database).

Both encoders (the raster one in :mod:`printers.encoding`, the native one in
:mod:`printers.native`) build their bytes on a python-escpos ``Dummy``
printer with a real profile, and ask the profile the same two questions: how
many dots wide it prints, and whether it has a cutter. Those answers live
here, so neither encoder imports the other (nor the transport).
"""
from __future__ import annotations

from typing import Any

from printers import errors
from printers.errors import PrinterError

#: The default python-escpos profile: an 80 mm Epson with cutter, 576 dots
#: wide (203 dpi), so both 58 mm (384) and 80 mm (576) images fit.
DEFAULT_PROFILE = "TM-T20II"


def dummy(profile: str = DEFAULT_PROFILE) -> Any:
    """A python-escpos ``Dummy`` printer with ``profile``: it collects the bytes
    a job would send (``.output``)."""
    from escpos.printer import Dummy

    return Dummy(profile=profile)


def pixels(printer: Any) -> int | None:
    """How many dots wide the printer's profile prints, None when it does not say."""
    try:
        return int(printer.profile.profile_data["media"]["width"]["pixels"])
    except (KeyError, TypeError, ValueError):
        return None


def has_cutter(printer: Any) -> bool:
    """Whether the profile has a full or a partial cut."""
    return bool(printer.profile.supports("paperFullCut") or printer.profile.supports("paperPartCut"))


def check_width(printer: Any, dots: int, profile: str) -> None:
    """Refuse a job ``dots`` wide that the profile cannot print (nothing encoded)."""
    most = pixels(printer)
    if most is not None and dots > most:
        raise PrinterError(errors.TOO_WIDE, width=dots, profile=profile, pixels=most)
