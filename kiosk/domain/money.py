"""Money: yuan (CNY) as an exact ``Decimal`` to the fen. No Flask in here.

One parser for every amount a person types or a file carries (the settings,
the garment type and garment forms, the imports, purchases, compensation
corrections) and one plain form for files. On screen and on slips an amount
is shown by the ``money`` template filter (:func:`kiosk.i18n.money`, Babel's
currency format in the reader's language); in CSV, JSON and spreadsheets by
:func:`plain` (``1200.50``: no symbol, no grouping, two decimals — what Excel
reads as a number in every locale).

What :func:`parse_amount` accepts is what clerks type and Excel writes:

- ``12``, ``12.5``, ``12.50``, ``.5``; zeros past the fen (``12.500``, a cell
  formatted with three decimals) are the same amount and accepted;
- a leading ``¥`` / ``￥`` / ``RMB`` / ``CNY`` or a trailing ``元`` / ``RMB`` /
  ``CNY`` (Excel's currency format, a clerk's habit), spaces around them;
- Excel's thousands separators (``1,200.50``), only where they group by three;
- full-width digits, point and comma from a Chinese IME (``１２０．５``), read
  as typed text first (:func:`kiosk.domain.typed.text`).

Everything else gets the one message :data:`BAD_AMOUNT`, naming the bounds:
a negative amount (unless the caller allows it), a fraction of a fen
(``1.005`` is refused, never rounded), NaN, infinity, exponents (``1e3``), an
amount above :data:`MAX_AMOUNT`, control characters, letters, an empty text.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from . import typed
from .errors import DomainError, N_

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
#: The largest amount anyone types: the dearest uniform costs a few thousand yuan,
#: so a million is a slip of the finger (an extra zero, a barcode scanned into the
#: price field). Far below Numeric(12, 2)'s ten integer digits, so a purchase's
#: quantity x price and a month's totals are stored and added without overflow.
MAX_AMOUNT = Decimal("999999.99")
#: Longer than any amount written out with its currency and separators.
_MAX_LENGTH = 40

BAD_AMOUNT = N_("Enter an amount in yuan from %(min)s to %(max)s with at most two decimal places, e.g. 80.00.")

_AMOUNT_RE = re.compile(
    r"(?P<sign>-)?\s*(?:¥|RMB|CNY)?\s*(?P<sign2>-)?"
    r"(?P<number>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"\s*(?:元|RMB|CNY)?",
    re.IGNORECASE,
)


class BadAmount(DomainError):
    """Not an amount within the bounds; the message names them."""

    def __init__(self, minimum: Decimal = ZERO, maximum: Decimal = MAX_AMOUNT) -> None:
        super().__init__(BAD_AMOUNT, min=grouped(minimum), max=grouped(maximum))


def quantize(value: Decimal | int) -> Decimal:
    """To the fen, half up (a computed amount: a depreciated price, a sum)."""
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def plain(value: Decimal | int) -> str:
    """The amount for a file: ``1200.50`` (two decimals, no symbol, no grouping)."""
    return f"{quantize(value):.2f}"


def grouped(value: Decimal | int) -> str:
    """``999,999.99``: a bound as a message shows it (the same in both languages)."""
    return f"{quantize(value):,.2f}"


def parse_amount(raw: str | Decimal | int | None, *, minimum: Decimal = ZERO,
                 maximum: Decimal = MAX_AMOUNT) -> Decimal:
    """The amount in ``raw`` to the fen, or :class:`BadAmount`.

    A number given as a number (an xlsx cell, a WTForms ``Decimal``) is held to
    the same rules as its text. ``minimum`` below zero lets a caller take a
    negative amount; no caller does today.
    """
    if isinstance(raw, bool):
        raise BadAmount(minimum, maximum)
    if isinstance(raw, (Decimal, int)):
        raw = str(raw)
    if not isinstance(raw, str) or len(raw) > _MAX_LENGTH:
        raise BadAmount(minimum, maximum)
    try:
        text = typed.text(raw)
    except typed.BadText:
        raise BadAmount(minimum, maximum) from None  # a tab, a zero-width space: not typed on purpose
    match = _AMOUNT_RE.fullmatch(text)
    if match is None or (match["sign"] and match["sign2"]):
        raise BadAmount(minimum, maximum)
    value = Decimal(match["number"].replace(",", ""))
    if match["sign"] or match["sign2"]:
        value = -value
    # The bounds first: quantizing 38 digits would overflow Decimal's precision.
    if not minimum <= value <= maximum or value != value.quantize(FEN):
        raise BadAmount(minimum, maximum)
    return value.quantize(FEN)
