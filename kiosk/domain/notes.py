"""The notes the kiosk writes itself on events, movements and write-offs, read back in words.

A record keeps the note of its moment as written (``loan #12``, ``stocktake #3
2026-11``, a write-off's reason code, ``demo``): a person reads it through
:func:`describe`, in their language. A note a person typed is shown as they
typed it. The msgids are marked here; the request layer translates them
(the ``note`` filter of :mod:`kiosk.i18n`).
"""
from __future__ import annotations

import re
from collections.abc import Callable

from .errors import N_

#: write-off reasons (kept as codes in a write-off event's note) -> their label msgids
WRITE_OFF_REASONS: dict[str, str] = {
    "worn_out": N_("Worn out"),
    "damaged": N_("Damaged beyond repair"),
    "lost": N_("Lost"),
    "stain": N_("Stain"),
    "tag_lost": N_("Tag lost"),
    "other": N_("Other"),
}

#: a corrected fact (``size: M -> L``) -> its label msgid
CORRECTED_FACTS: dict[str, str] = {"size": N_("Size"), "cost": N_("Cost"), "purchased_on": N_("Purchase date")}

#: whole notes the kiosk writes, as they are
_FIXED: dict[str, str] = {
    **WRITE_OFF_REASONS,
    "demo": N_("Demo data"),
    "nothing to return": N_("Nothing to return"),
    "cancelled: active again": N_("Cancelled: employed again"),
}

#: notes with a number in them: pattern -> msgid with the pattern's named groups
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"loan #(?P<no>\d+)"), N_("loan slip %(no)s")),
    (re.compile(r"distribution undone (?P<month>\d{4}-\d{2})"), N_("%(month)s distribution: tick undone")),
    (re.compile(r"clearance #(?P<no>\d+)"), N_("clearance slip %(no)s")),
    (re.compile(r"stocktake #(?P<no>\d+) (?P<month>\d{4}-\d{2})"), N_("stocktake of %(month)s")),
    (re.compile(r"stocktake #(?P<no>\d+)"), N_("stocktake no. %(no)s")),
    (re.compile(r"not returned by borrower \(loan #(?P<no>\d+)\)"),
     N_("Not returned by the borrower (loan slip %(no)s)")),
    (re.compile(r"not returned on leaving \(clearance #(?P<no>\d+)\)"),
     N_("Not returned on leaving (clearance slip %(no)s)")),
]

#: slip numbers as printed on the slips (kiosk.loans / kiosk.clearance ``slip_no``)
_SLIP_PREFIX = {"loan slip": "L", "clearance slip": "C"}

#: a correction's note: ``size: M -> L; cost: 10 -> 12``, after the clerk's own words in brackets
_CORRECTED = re.compile(r"(?:(?P<before>.*) \()?(?P<what>(?:size|cost|purchased_on): .*?)\)?")
_CORRECTION = re.compile(r"(?P<name>size|cost|purchased_on): (?P<old>.*?) -> (?P<new>.*?)(?=; |$)")


def _slip_number(msgid: str, number: str) -> str:
    for words, prefix in _SLIP_PREFIX.items():
        if words in msgid:
            return f"{prefix}{int(number):06d}"
    return number


def describe(note: str | None, gettext: Callable[..., str]) -> str:
    """``note`` as a person reads it: the kiosk's own notes in words, a typed note as typed."""
    if not note:
        return ""
    text = note.strip()
    if text in _FIXED:
        return gettext(_FIXED[text])
    for pattern, msgid in _PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            params = found.groupdict()
            if "no" in params:
                params["no"] = _slip_number(msgid, params["no"])
            return gettext(msgid, **params)
    corrected = _CORRECTED.fullmatch(text)
    if corrected:
        said = " · ".join(gettext(N_("%(fact)s: %(old)s → %(new)s"), fact=gettext(CORRECTED_FACTS[c["name"]]),
                                  old=c["old"], new=c["new"]) for c in _CORRECTION.finditer(corrected["what"]))
        before = corrected["before"]
        return gettext(N_("%(note)s (%(corrected)s)"), note=before, corrected=said) if before else said
    return note
