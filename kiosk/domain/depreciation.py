"""What a lost or ruined garment is still worth: its price at purchase times a
depreciation tier by whole months in use. No Flask in here.

The table is a list of ``(months, percent)``: a garment in use for fewer than
``months`` months is charged at ``percent`` of its price; the first tier that
fits wins; past the last tier it is worth nothing (0 %). A garment in use for
exactly 6 months is therefore in the second tier (80 % by default): the lower
bound of a tier belongs to that tier.

Months in use are whole calendar months: bought 15 March, 14 September is 5
months, 15 September is 6. Money is exact: ``Decimal``, rounded to the fen
(ROUND_HALF_UP).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from .money import quantize

Table = tuple[tuple[int, Decimal], ...]

#: under 6 months 100 %, 6–12: 80 %, 1–2 years: 60 %, 2–3: 40 %, 3–4: 20 %, 4 years and more: 0 %
DEFAULT_TABLE: Table = ((6, Decimal(100)), (12, Decimal(80)), (24, Decimal(60)),
                        (36, Decimal(40)), (48, Decimal(20)))
DEFAULT_SPEC = "6:100,12:80,24:60,36:40,48:20"


def parse_table(spec: str) -> Table:
    """``"6:100,12:80"`` → ((6, 100), (12, 80)). Months strictly rising, percent 0–100."""
    tiers: list[tuple[int, Decimal]] = []
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        try:
            months_text, percent_text = part.split(":")
            months, percent = int(months_text.strip()), Decimal(percent_text.strip())
        except (ValueError, InvalidOperation):
            raise ValueError(f"depreciation tier {part.strip()!r}: write months:percent, e.g. 6:100") from None
        if months <= 0 or not Decimal(0) <= percent <= Decimal(100):
            raise ValueError(f"depreciation tier {part.strip()!r}: months > 0, percent 0 to 100")
        if tiers and months <= tiers[-1][0]:
            raise ValueError(f"depreciation tier {part.strip()!r}: months must rise from tier to tier")
        tiers.append((months, percent))
    if not tiers:
        raise ValueError("the depreciation table is empty")
    return tuple(tiers)


def months_in_use(purchased_on: dt.date, on_date: dt.date) -> int:
    """Whole calendar months from ``purchased_on`` to ``on_date`` (0 when not later)."""
    months = (on_date.year - purchased_on.year) * 12 + on_date.month - purchased_on.month
    if on_date.day < purchased_on.day:
        months -= 1
    return max(0, months)


def percent(months: int, table: Table = DEFAULT_TABLE) -> Decimal:
    """The share of the price still charged after ``months`` in use."""
    for bound, share in table:
        if months < bound:
            return share
    return Decimal(0)


def amount(price: Decimal, purchased_on: dt.date, on_date: dt.date, table: Table = DEFAULT_TABLE) -> Decimal:
    """The garment's value on ``on_date``: price × tier percent, to the fen."""
    return quantize(Decimal(price) * percent(months_in_use(purchased_on, on_date), table) / Decimal(100))
