"""The cells of every file the kiosk writes for a spreadsheet (CSV and XLSX). No Flask in here.

Whoever opens an export in Excel, WPS or LibreOffice must not run what an
employee's name, a note or a garment type says: a text cell that starts
with ``=``, ``+``, ``-`` or ``@`` (or a tab, CR or LF, which some of them
skip before looking) is read as a formula, and ``=HYPERLINK(...)`` or
``=cmd|...`` in a name typed at the counter would then act on the finance
clerk's computer (OWASP, "CSV Injection").

So every export goes through here, and only here:

- a text that looks like a formula — after NFKC, so the full-width ``＝＋－＠``
  an input method types count too, and after leading spaces (ASCII and the
  ideographic one) — gets an apostrophe in front in a CSV (OWASP's advice;
  the spreadsheet shows the text, a script reading the file sees the ``'``);
  in an XLSX it is written as a string cell (``t="inlineStr"``, never a
  formula) with the "quote prefix" style, so the value stays exactly the
  text and editing the cell does not turn it into a formula either;
- numbers stay numbers: ``Decimal``/``int`` values (a negative amount
  included) are written as the plain number (``-12.50`` in a CSV, a numeric
  cell in an XLSX). Callers pass amounts as ``Decimal``, never pre-formatted;
- every text cell of an XLSX is a text cell (format ``@``), so a staff number
  ``00777`` opens as ``00777``; a CSV cannot promise that (Excel reads its
  raw ``00777`` as the number 777), which is why payroll has an XLSX too;
- dates and times are the hotel's (a caller converts from UTC first: an aware
  datetime is refused, so a UTC time can never reach a file): a real date or
  date-time cell in an XLSX (with its number format), ``2026-03-20`` or
  ``2026-03-20 10:00`` in a CSV;
- a rate (:class:`Percent`) reads as the screen shows it, ``1.23%``: a number
  with the ``0.00%`` format in an XLSX, that text in a CSV.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Sequence

from .money import plain

#: what makes a spreadsheet read a text cell as a formula (or skip to the next character)
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n")
#: skipped before looking: a leading space does not stop every spreadsheet
_LEADING_SPACE = " \u3000"
#: characters XML 1.0 cannot hold (openpyxl refuses them): dropped from XLSX text
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

BOM = "\ufeff"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could take ``text`` for a formula."""
    start = text.lstrip(_LEADING_SPACE) or text
    return bool(start) and unicodedata.normalize("NFKC", start[0])[:1] in FORMULA_TRIGGERS


def neutral_text(text: str) -> str:
    """``text`` as a CSV cell: an apostrophe in front when it looks like a formula."""
    return "'" + text if looks_like_formula(text) else text


@dataclass(frozen=True)
class Percent:
    """A rate (``Decimal("0.0123")``) for a file, written as a person reads it (1.23%)."""

    rate: Decimal

    def text(self) -> str:
        return percent_text(self.rate)


def percent_text(rate: Decimal | None) -> str:
    """A rate as every screen, slip and file shows it: two decimals of a percent (``1.23%``), — without one."""
    if rate is None:
        return "—"
    return f"{Decimal(rate) * 100:.2f}%"


DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def _local(value: dt.date) -> dt.date:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        raise ValueError("a time in a file is the hotel's: convert it from UTC first (kiosk.domain.calendar.local_time)")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, Decimal, float)) and not isinstance(value, bool)


def _number_text(value: int | Decimal | float) -> str:
    # Amounts (to the fen) in the plain form; rates and averages keep their own decimals.
    if isinstance(value, Decimal) and value.as_tuple().exponent == -2:
        return plain(value)
    return str(value)


def _text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return _local(value).isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Percent):
        return value.text()
    if isinstance(value, bool) or not isinstance(value, str):
        raise TypeError(f"an export cell is text, a Decimal, an int or None, not {type(value).__name__}")
    return value


def csv_value(value: Any) -> str:
    """One CSV field: a number as its plain text, a text neutralised, None empty."""
    if value is None:
        return ""
    if _is_number(value):
        return _number_text(value)
    return neutral_text(_text(value))


def csv_text(rows: Iterable[Sequence[Any]], *, bom: bool = True) -> str:
    """The CSV of ``rows`` (CRLF lines; a BOM first so Excel reads the Chinese as UTF-8)."""
    out = io.StringIO()
    if bom:
        out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_value(value) for value in row])
    return out.getvalue()


@dataclass
class Sheet:
    """One sheet of an XLSX: its title (31 characters at most), a bold header row, the rows."""

    title: str
    headers: Sequence[Any]
    rows: Iterable[Sequence[Any]]


def _write(cell, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, dt.date):  # a real date (or date and time) in the hotel's zone
        cell.value = _local(value)
        cell.number_format = DATETIME_FORMAT if isinstance(value, dt.datetime) else DATE_FORMAT
        return
    if isinstance(value, Percent):
        cell.value = float(value.rate)
        cell.number_format = "0.00%"
        return
    if _is_number(value):
        cell.value = float(value) if isinstance(value, Decimal) else value
        if isinstance(value, Decimal):
            cell.number_format = "0.00" if value.as_tuple().exponent == -2 else "0.0###"
        return
    text = _ILLEGAL_XML.sub("", _text(value))
    cell.value = text
    cell.data_type = "s"  # openpyxl makes a formula of any str starting with "="; this never is one
    cell.number_format = "@"
    if looks_like_formula(text):
        cell.quotePrefix = True  # editing the cell in Excel keeps it text


def xlsx_bytes(sheets: Iterable[Sheet]) -> bytes:
    """An XLSX workbook of ``sheets`` (at least one)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for spec in sheets:
        sheet = book.create_sheet(spec.title[:31])
        for row_number, values in enumerate([spec.headers, *spec.rows], 1):
            for column, value in enumerate(values, 1):
                cell = sheet.cell(row=row_number, column=column)
                _write(cell, value)
                if row_number == 1:
                    cell.font = bold
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column) + 4
            sheet.column_dimensions[column[0].column_letter].width = min(width, 40)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
