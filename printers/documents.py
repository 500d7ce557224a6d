"""Documents as data: what a tag or a receipt says, not how it is printed.

A :class:`Document` is a list of elements (:class:`Text`, :class:`QR`,
:class:`Barcode`, :class:`Rule`, :class:`Feed`, :class:`Cut`, :class:`Image`)
that :func:`printers.render.render` draws. ``to_dict()`` / ``from_dict()``
give a JSON-safe form for the print queue.

The builder functions are pure and take plain values: every string is already
in the reader's language. Fixed labels ("Employee", "Clerk", ...) come from a
``labels`` mapping; :data:`LABELS` holds their English msgids (marked ``N_``
for extraction) and :func:`labels` translates them all with a gettext, e.g. in
the kiosk::

    from flask_babel import gettext
    from printers import documents as d
    doc = d.issue_slip(gettext("Uniform room · issue slip"), employee="张堃 (S1001)",
                       garments=[d.GarmentLine("U-0001", "西装外套", "M", "1024")],
                       clerk="李玥", when=now, labels=d.labels(gettext))

Without ``labels`` the English msgids are used. Titles (e.g. 制服室 收衣单) are
always passed in by the caller. Every receipt ends with :class:`Cut`.
"""
from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Union

from printers.errors import N_

Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Text:
    """One paragraph; wraps to the paper width (CJK may break anywhere).

    ``size`` is the height multiplier 1-4 (1 ≈ 24 dots); ``text`` may hold
    ``\\n`` for explicit line breaks.
    """

    text: str
    size: int = 1
    bold: bool = False
    align: Align = "left"

    def __post_init__(self) -> None:
        if self.size not in (1, 2, 3, 4):
            raise ValueError(f"Text size must be 1-4, not {self.size!r}")
        if self.align not in ("left", "center", "right"):
            raise ValueError(f"Text align must be left/center/right, not {self.align!r}")


#: QR error correction levels, from the least to the most of a symbol that may be lost and still read.
QR_LEVELS = ("L", "M", "Q", "H")


@dataclass(frozen=True)
class QR:
    """A QR code of ``data``, about ``size_px`` dots wide, centred, with error correction ``level``.

    ``H`` (the default, what a garment tag needs): about 30 % of the symbol may be worn, washed
    out or torn off and it still reads, where ``M`` fails at about a fifth. A tag code is short,
    so the symbol stays the smallest version at ``H`` too (21 modules) and prints the same size.
    """

    data: str
    size_px: int = 240
    level: str = "H"

    def __post_init__(self) -> None:
        if self.level not in QR_LEVELS:
            raise ValueError(f"QR level must be one of {'/'.join(QR_LEVELS)}, not {self.level!r}")


@dataclass(frozen=True)
class Barcode:
    """A 1-D barcode (only ``CODE128``), centred, with the text under it.

    Drawn from python-barcode's module pattern (installed with python-escpos);
    without it, or when the code is too long for the paper, only the text is
    printed."""

    data: str
    kind: str = "CODE128"
    height_px: int = 80


@dataclass(frozen=True)
class Rule:
    """A horizontal line across the paper."""


@dataclass(frozen=True)
class Feed:
    """``lines`` empty lines (one line ≈ 24 dots)."""

    lines: int = 1


@dataclass(frozen=True)
class Cut:
    """Cut the paper here (the backend sends the cut command once, at the end)."""


@dataclass(frozen=True)
class Image:
    """A picture (PNG bytes), e.g. a signature; scaled down to the paper width."""

    png_bytes: bytes


Element = Union[Text, QR, Barcode, Rule, Feed, Cut, Image]

_TYPES: dict[str, type] = {
    "text": Text, "qr": QR, "barcode": Barcode, "rule": Rule,
    "feed": Feed, "cut": Cut, "image": Image,
}
_NAMES = {cls: name for name, cls in _TYPES.items()}


@dataclass
class Document:
    """What to print. ``kind`` names the builder ("tag", "checkin", ...)."""

    kind: str
    elements: list[Element] = field(default_factory=list)
    title: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (images as base64)."""
        out = []
        for el in self.elements:
            d = asdict(el)
            if isinstance(el, Image):
                d["png_bytes"] = base64.b64encode(el.png_bytes).decode("ascii")
            d["type"] = _NAMES[type(el)]
            out.append(d)
        return {"kind": self.kind, "title": self.title, "elements": out}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Document:
        """The inverse of :meth:`to_dict`; raises ValueError on an unknown element."""
        elements: list[Element] = []
        for raw in data.get("elements", []):
            raw = dict(raw)
            name = raw.pop("type", None)
            if name not in _TYPES:
                raise ValueError(f"unknown document element {name!r}")
            if name == "image":
                raw["png_bytes"] = base64.b64decode(raw["png_bytes"])
            elements.append(_TYPES[name](**raw))
        return cls(kind=data["kind"], elements=elements, title=data.get("title", ""))


# ---------------------------------------------------------------- labels

LABELS: dict[str, str] = {
    "employee": N_("Employee"),
    "clerk": N_("Clerk"),
    "approver": N_("Approving supervisor"),
    "time": N_("Time"),
    "slip_no": N_("Slip no."),
    "garments": N_("Garments"),
    "received": N_("Received"),
    "issued": N_("Issued"),
    "returned": N_("Taken back"),
    "count": N_("Count"),
    "borrower": N_("Borrower"),
    "due": N_("Due back"),
    "reason": N_("Reason"),
    "amount": N_("Amount"),
    "note": N_("Note"),
    "signature": N_("Signature"),
    "date": N_("Date"),
    "missing": N_("Missing"),
    "owner": N_("Owner"),
    "size": N_("Size"),
    "handed_back": N_("Handed back"),
    "written_off": N_("Written off and charged"),
    "waived": N_("Waived"),
    "open": N_("Not settled yet"),
    "total": N_("Total charged"),
}


def labels(gettext: Callable[[str], str]) -> dict[str, str]:
    """All :data:`LABELS` translated with ``gettext`` (pass the result as ``labels=``)."""
    return {key: gettext(msgid) for key, msgid in LABELS.items()}


def _labels(given: Mapping[str, str] | None) -> dict[str, str]:
    merged = dict(LABELS)
    if given:
        merged.update(given)
    return merged


@dataclass(frozen=True)
class GarmentLine:
    """One garment on a slip: its tag code, type name, size and uniform number."""

    tag: str
    type_name: str
    size: str = ""
    number: str = ""

    def text(self) -> str:
        """``number type size  tag``, skipping empty parts."""
        head = " ".join(p for p in (self.number, self.type_name, self.size) if p)
        return f"{head}  {self.tag}" if head else self.tag


When = Union[str, datetime, date]


def _when(value: When) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _field(label: str, value: str) -> Text:
    return Text(f"{label}：{value}")


def _header(title: str, slip_no: str, lab: Mapping[str, str]) -> list[Element]:
    els: list[Element] = [Text(title, size=2, bold=True, align="center")]
    if slip_no:
        els.append(Text(f"{lab['slip_no']}：{slip_no}", align="center"))
    els.append(Rule())
    return els


def _garment_block(heading: str, garments: Sequence[GarmentLine], lab: Mapping[str, str]) -> list[Element]:
    els: list[Element] = [Text(f"{heading}（{lab['count']} {len(garments)}）", bold=True)]
    els += [Text(f"{i}. {g.text()}") for i, g in enumerate(garments, 1)]
    return els


def _signature(lab: Mapping[str, str]) -> list[Element]:
    return [Feed(2), Text(f"{lab['signature']}：________________"), Feed(1),
            Text(f"{lab['date']}：________________")]


def _footer(clerk: str, when: When, lab: Mapping[str, str]) -> list[Element]:
    return [Rule(), _field(lab["clerk"], clerk), _field(lab["time"], _when(when))]


def _end(els: list[Element]) -> list[Element]:
    return [*els, Feed(3), Cut()]


# ---------------------------------------------------------------- builders

def garment_tag(tag: str, number: str, type_name: str, size: str, owner_name: str = "",
                *, qr_px: int = 240) -> Document:
    """A garment tag: QR of the tag code, the uniform number in large type,
    type and size, the owner (empty for the spare pool) and the code in text."""
    els: list[Element] = [QR(tag, size_px=qr_px)]
    if number:
        els.append(Text(number, size=4, bold=True, align="center"))
    els.append(Text(" ".join(p for p in (type_name, size) if p), size=2, align="center"))
    if owner_name:
        els.append(Text(owner_name, size=2, bold=True, align="center"))
    els.append(Text(tag, align="center"))
    return Document("tag", _end(els), title=tag)


def checkin_slip(title: str, *, employee: str, garments: Sequence[GarmentLine], clerk: str,
                 when: When, slip_no: str = "", note: str = "",
                 labels: Mapping[str, str] | None = None) -> Document:
    """Check-in (收衣单): the dirty garments taken in from an employee."""
    lab = _labels(labels)
    els = _header(title, slip_no, lab) + [_field(lab["employee"], employee), Rule()]
    els += _garment_block(lab["received"], garments, lab)
    if note:
        els.append(_field(lab["note"], note))
    els += _footer(clerk, when, lab)
    if slip_no:
        els.append(Barcode(slip_no))
    return Document("checkin", _end(els), title=title)


def issue_slip(title: str, *, employee: str, garments: Sequence[GarmentLine], clerk: str,
               when: When, returned: Sequence[GarmentLine] = (), slip_no: str = "",
               note: str = "", labels: Mapping[str, str] | None = None) -> Document:
    """Issue / exchange (发衣单 / 换衣单): garments handed out, and for an
    exchange the garments taken back; ends with a signature line."""
    lab = _labels(labels)
    els = _header(title, slip_no, lab) + [_field(lab["employee"], employee), Rule()]
    els += _garment_block(lab["issued"], garments, lab)
    if returned:
        els += _garment_block(lab["returned"], returned, lab)
    if note:
        els.append(_field(lab["note"], note))
    els += _footer(clerk, when, lab) + _signature(lab)
    return Document("issue", _end(els), title=title)


def loan_slip(title: str, *, borrower: str, garments: Sequence[GarmentLine], clerk: str,
              when: When, due: When, slip_no: str = "", note: str = "",
              labels: Mapping[str, str] | None = None) -> Document:
    """Loan (借用单): what was lent, to whom, until when; signature line."""
    lab = _labels(labels)
    els = _header(title, slip_no, lab) + [_field(lab["borrower"], borrower),
                                          _field(lab["due"], _when(due)), Rule()]
    els += _garment_block(lab["garments"], garments, lab)
    if note:
        els.append(_field(lab["note"], note))
    els += _footer(clerk, when, lab) + _signature(lab)
    return Document("loan", _end(els), title=title)


def compensation_slip(title: str, *, employee: str, garment: GarmentLine, reason: str,
                      amount: str, approver: str, when: When, slip_no: str = "",
                      labels: Mapping[str, str] | None = None) -> Document:
    """Compensation (赔偿单): a lost or damaged garment and the amount
    (already formatted, e.g. ``¥120.00``), the supervisor who approved it
    (审批主管, not a clerk); signature line."""
    lab = _labels(labels)
    els = _header(title, slip_no, lab) + [
        _field(lab["employee"], employee), Rule(),
        Text(garment.text()), _field(lab["reason"], reason),
        Text(f"{lab['amount']}：{amount}", size=2, bold=True),
        Rule(), _field(lab["approver"], approver), _field(lab["time"], _when(when)),
    ]
    els += _signature(lab)
    return Document("compensation", _end(els), title=title)


def daily_summary(title: str, *, day: When, rows: Sequence[tuple[str, str]], clerk: str = "",
                  when: When = "", labels: Mapping[str, str] | None = None) -> Document:
    """Daily summary (日报): the day and ``rows`` of (label, value)."""
    lab = _labels(labels)
    els = _header(title, "", lab) + [_field(lab["date"], _when(day)), Rule()]
    els += [_field(k, v) for k, v in rows]
    if clerk or when:
        els += _footer(clerk, when, lab)
    return Document("daily", _end(els), title=title)


@dataclass(frozen=True)
class ClearanceLine:
    """One thing on a leaver's clearance slip: what it is (a garment's text, an item and its
    count) and, when it was not returned, the amount charged (already formatted)."""

    text: str
    amount: str = ""


def clearance_slip(title: str, *, employee: str, returned: Sequence[ClearanceLine],
                   written_off: Sequence[ClearanceLine], waived: Sequence[ClearanceLine] = (),
                   still_open: Sequence[ClearanceLine] = (), total: str, clerk: str, when: When,
                   slip_no: str = "", statement: str = "", signature_png: bytes | None = None,
                   labels: Mapping[str, str] | None = None) -> Document:
    """A leaver's clearance (离职退还单): what came back, what was written off and the amount
    charged for each, what was waived, the total; what the leaver declares (``statement``) and
    their signature (an image drawn on the tablet, above the line) or a line to sign on paper."""
    lab = _labels(labels)
    els = _header(title, slip_no, lab) + [_field(lab["employee"], employee), Rule()]
    for heading, lines in ((lab["handed_back"], returned), (lab["written_off"], written_off),
                           (lab["waived"], waived), (lab["open"], still_open)):
        if not lines:
            continue
        els.append(Text(f"{heading}（{lab['count']} {len(lines)}）", bold=True))
        els += [Text(f"{i}. {line.text}" + (f"  {line.amount}" if line.amount else ""))
                for i, line in enumerate(lines, 1)]
    els.append(Text(f"{lab['total']}：{total}", size=2, bold=True))
    els += _footer(clerk, when, lab)
    if statement:
        els += [Feed(1), Text(statement)]
    signature = _signature(lab)
    if signature_png:
        signature.insert(1, Image(signature_png))
    return Document("clearance", _end(els + signature), title=title)
