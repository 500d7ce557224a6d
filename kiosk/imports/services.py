"""Import garment types, employees, garments and kits from a CSV file or an Excel workbook.

No Flask in here: the screen and the CLI hand in the file's bytes, a session
and the actor, and get an :class:`ImportResult` back.

How a file is read
------------------
- Encoding: UTF-8 (with or without the BOM Excel writes) is tried strictly
  first, then GB18030 (a superset of GBK, what "CSV" means in a Chinese
  Excel).
- An ``.xlsx`` workbook is read from its first sheet, by the same rules (the
  header is row 1, rows numbered as Excel shows them); a number cell reads as
  it is shown (``13800138000``, ``38``, ``120.5``), a date cell as
  ``2026-03-01``. An old ``.xls`` workbook (or one protected by a password)
  is refused with a hint to save it as ``.xlsx`` or CSV.
- The first row is the header. Headers are English keys or Chinese names in
  any order; full-width letters, spaces, a ``*`` marking a required column
  and a trailing hint in brackets (``单价(元)``) are ignored. Unknown columns
  are ignored and listed in the summary.
- Every cell is NFKC-normalised and trimmed, so full-width digits and letters
  typed with a Chinese IME read as their ASCII forms.
- Row numbers are the ones Excel shows: the header is row 1. Rows with every
  cell empty (Excel's trailing ``,,,,``) are skipped.

The rules
---------
- Every row is checked before anything is written; if one row is bad,
  nothing is written and *every* problem is reported as (row, column,
  reason). The reason is a msgid plus parameters, translated at the edge.
- Records are matched by their key: ``staff_no`` (employees), ``code``
  (garment types), ``tag`` (garments). A matched record is updated only where
  the file's value differs, so importing the same file twice changes nothing
  the second time.
- An empty cell in an optional column means "no change" for an existing
  record and "the default" for a new one: an HR list without phone numbers
  must not erase the phones the room already keeps. To clear a value, use
  the registry screens.
- A department named in an employee file is created when missing; the
  result lists the departments created.
- A badge (工牌) is read like a scan (NFKC, trimmed, upper-cased) and kept
  only as its keyed hash (:mod:`kiosk.badges`); the code itself is never
  written, shown or repeated in a problem. A badge names one person: one
  that is already another employee's or an operator's, or that two rows of
  the file give to two people, is refused (row and column, and whose it
  is). An empty cell keeps the badge on record, as every optional column
  does; replacing or revoking one is done on the employee's page. There is
  no swap in a file: to move a badge to somebody else, revoke it first.
  The badge of an employee who is also an operator signs that operator in,
  so only whoever may manage them gives it (a supervisor not an
  administrator's; the command line any): refused by row and column, and
  recorded in the operator's history when given.
- A uniform number (制服编号) names a slot on the rack, so it belongs to one
  employee at a time. The check is on the state after the import, so two
  employees may swap numbers in one file.
- Garments: see :func:`_check_garments` for what an existing tag may change.
- Kits (配发标准): the file's positions get exactly the file's rows. Each
  position and department named in the file (an empty 部门: the position in
  every department) has its rows made those of the file: items added,
  quantities changed, items the file does not list for it taken out. A
  position, or a department of a position, that the file does not name is
  left as it is. The summary lists what was added, changed and taken out.

The whole import is one transaction: :func:`import_csv` only flushes; the
caller commits when the result is ``ok`` (and rolls back otherwise).
"""
from __future__ import annotations

import csv
import datetime as dt
import heapq
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator, NamedTuple, Sequence

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import badges, scope
from ..domain import cells, typed
from ..domain.codes import is_valid_code, is_valid_number, is_valid_phone, is_valid_tag, normalise_code, normalise_phone
from ..domain.errors import N_, DomainError, Label
from ..domain.money import BadAmount, parse_amount
from ..kits import services as kits
from ..kits.models import MAX_QUANTITY
from ..ledger import correct_garment, register_garment
from ..models import EMPLOYEE_KINDS, ENTITLEMENT_MAX, WASHES_MAX, Department, Employee, Garment, GarmentType, User
from ..operators import services as operator_services
from ..operators.services import Actor

KINDS = ("types", "employees", "garments", "kits")
STATION = "import"

KIND_LABELS: dict[str, str] = {
    "types": N_("Garment types"),
    "employees": N_("Employees"),
    "garments": N_("Garments"),
    "kits": N_("Kits by position"),
}

# --- columns --------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column an import file may have.

    ``zh`` is the Chinese header written in the downloadable template;
    ``aliases`` are other headers Excel sheets in the wild use for it.
    """

    key: str
    zh: str
    required: bool = False
    max_length: int | None = None
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How a missing column is named: both headers the user may know."""
        return f"{self.zh}/{self.key}"


COLUMNS: dict[str, tuple[Column, ...]] = {
    "types": (
        Column("code", "代码", True, 16, ("品类代码", "编码", "type_code")),
        Column("name_zh", "中文名", True, 64, ("中文名称", "名称", "品名", "name")),
        Column("name_en", "英文名", False, 64, ("英文名称", "english_name")),
        Column("unit_cost", "单价", True, None, ("价格", "cost", "price")),
        Column("entitlement", "配发数量", False, None, ("配发数",)),
        Column("expected_washes", "预计洗涤次数", False, None, ("洗涤次数", "washes")),
    ),
    "employees": (
        Column("staff_no", "工号", True, 32, ("员工编号", "员工工号")),
        Column("name", "姓名", True, 64, ()),
        Column("department", "部门", True, 64, ("部门名称", "dept")),
        Column("position", "岗位", False, 64, ("职位", "职务")),
        Column("phone", "电话", False, 32, ("手机", "手机号", "手机号码", "联系电话", "mobile")),
        Column("kind", "类别", False, None, ("员工类别", "用工类别")),
        Column("uniform_no", "制服编号", False, 32, ("制服号",)),
        Column("size", "尺码", False, 16, ()),
        Column("shoe_size", "鞋码", False, 16, ("鞋号",)),
        Column("sock_size", "袜码", False, 16, ("袜号",)),
        Column("badge", "工牌", False, 64, ("工牌号", "工卡", "工卡号", "badge_no", "badge_code")),
    ),
    "garments": (
        Column("tag", "标签", True, None, ("标签码", "标签号", "条码", "二维码")),
        Column("type", "品类", True, None, ("品类代码", "type_code")),
        Column("size", "尺码", False, 16, ()),
        Column("staff_no", "工号", False, None, ("员工编号",)),
        Column("purchased_on", "购入日期", False, None, ("采购日期", "购买日期", "purchase_date")),
        Column("cost", "单价", False, None, ("价格", "成本", "unit_cost")),
    ),
    "kits": (
        Column("position", "岗位", True, kits.POSITION_MAX, ("职位", "职务")),
        Column("department", "部门", False, 64, ("部门名称", "dept")),
        Column("item", "品类或物品", True, None, ("品类", "物品", "品类代码", "物品代码", "品名", "代码", "type",
                                               "type_code", "code", "stock_item")),
        Column("quantity", "数量", True, None, ("配发数量", "每人数量", "qty", "count")),
    ),
}

# Values may be the code or its Chinese name; a few spellings Excel users write.
KIND_VALUES: dict[str, str] = {
    "regular": "regular", "正式": "regular", "正式工": "regular", "正式员工": "regular",
    "hourly": "hourly", "小时工": "hourly", "钟点工": "hourly",
    "new_hire": "new_hire", "new hire": "new_hire", "new-hire": "new_hire",
    "新员工": "new_hire", "新入职": "new_hire",
}
assert set(KIND_VALUES.values()) == set(EMPLOYEE_KINDS)

_CHUNK = 500  # keys per IN (...) query, well under every backend's limit
#: The largest file an import reads: a hotel's whole staff list is well under 1 MB.
MAX_FILE_BYTES = 10 * 1024 * 1024
#: The most rows (besides the header) an import reads.
MAX_ROWS = 100_000
#: Cells read per row: far more columns than any import has.
MAX_COLUMNS = 100
#: Problems listed; the rest are counted ("还有 100 处问题").
MAX_PROBLEMS = 200
# A long number Excel showed in scientific notation (1.23457E+11) and saved as such.
_EXCEL_SCIENTIFIC_RE = re.compile(r"^\d(\.\d+)?E\+\d+$")


def _header_key(raw: str) -> str:
    """``" Staff No.* "`` -> ``staff_no``; ``单价(元)`` -> ``单价``."""
    text = unicodedata.normalize("NFKC", raw).strip().strip("*").strip()
    text = re.sub(r"\s*[(\[][^)\]]*[)\]]$", "", text)
    text = re.sub(r"[\s\-.]+", "_", text.lower()).strip("_")
    return text


def _header_index(kind: str) -> dict[str, Column]:
    index: dict[str, Column] = {}
    for column in COLUMNS[kind]:
        for name in (column.key, column.zh, *column.aliases):
            index[_header_key(name)] = column
    return index


def template_csv(kind: str) -> bytes:
    """An empty sheet with the Chinese headers, UTF-8 with BOM so Excel opens it right."""
    return cells.csv_text([[column.zh for column in COLUMNS[kind]]]).encode("utf-8")


# --- result ---------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One reason the file was refused: Excel's row number, the column, why."""

    row: int
    column: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def translated(self, gettext: Callable[..., str]) -> str:
        if not self.params:
            return gettext(self.message)
        params = {k: gettext(v) if isinstance(v, Label) else v for k, v in self.params.items()}
        return gettext(self.message, **params)


@dataclass(frozen=True)
class KitRowChange:
    """What a kit import did to one row: ``added``, ``changed`` or ``removed`` (taken out)."""

    position: str
    department: str  # "": the position in every department
    outcome: str
    item: str  # code · Chinese name
    before: int
    quantity: int


@dataclass
class ImportResult:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Kits: rows taken out because the file no longer lists them for their position.
    removed: int = 0
    kit_changes: list[KitRowChange] = field(default_factory=list)
    created_departments: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    #: The first :data:`MAX_PROBLEMS` problems, in row and column order (after :func:`check`).
    problems: list[Problem] = field(default_factory=list)
    #: How many problems there are in all (the rest are counted, not kept).
    problem_count: int = 0
    _kept: list = field(default_factory=list, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.problem_count

    @property
    def more_problems(self) -> int:
        """The problems found beyond the ones listed."""
        return max(0, self.problem_count - len(self.problems))

    def add_problem(self, problem: Problem, rank: int = 0) -> None:
        """Count ``problem``; keep it while it is among the first :data:`MAX_PROBLEMS` by row
        (a file of bad rows is answered in a page, not in 33 MB of HTML)."""
        self.problem_count += 1
        entry = (-problem.row, -rank, -self.problem_count, problem)  # the heap's top: the last kept
        if len(self._kept) < MAX_PROBLEMS:
            heapq.heappush(self._kept, entry)
        elif entry > self._kept[0]:
            heapq.heapreplace(self._kept, entry)

    def finish(self, rank: Callable[[str], int]) -> None:
        """The kept problems become :attr:`problems`, in row and column order."""
        kept = [entry[3] for entry in self._kept]
        self.problems = sorted(self.problems + kept, key=lambda p: (p.row, rank(p.column)))
        self._kept = []

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged


class UnreadableFile(DomainError):
    """The file is not a CSV we can read at all (nothing was written)."""


class ImportConflict(DomainError):
    """The database refused the import (someone changed the same records)."""


# --- reading the file -----------------------------------------------------


def decode(data: bytes) -> str:
    """Text of a CSV saved by Excel: UTF-8 (BOM or not), else GBK/GB18030 (an .xlsx goes to :func:`read_workbook`)."""
    if data.startswith(_XLS_MAGIC):
        raise UnreadableFile(N_("This is an old Excel workbook (.xls), or one protected by a password. In Excel "
                                "remove the password and choose File > Save As > Excel Workbook (.xlsx) or CSV, "
                                "and import that file."))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            pass
    raise UnreadableFile(N_("The file is not text in UTF-8 or GBK. Save it from Excel as CSV and try again."))


def clean(cell: str) -> str:
    """A cell as the user meant it (:func:`kiosk.domain.typed.meant`), Excel's ``="0012"`` unwrapped.

    A control or invisible character inside is kept here and refused with the
    cell's row and column when the cell is read (:meth:`_Row.get`).
    """
    text = typed.meant(cell)
    if len(text) >= 3 and text.startswith('="') and text.endswith('"'):
        text = typed.meant(text[2:-1])
    return text


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number as Excel shows it, cells)


EMPTY_FILE = N_("The file is empty.")
TOO_LARGE = N_("This file is %(size)s MB; an import reads at most %(max)s MB. Split it into smaller "
                "files and import them one by one.")
TOO_MANY_ROWS = N_("This file has more than %(max)s rows; an import reads at most %(max)s. Split it into "
                   "smaller files and import them one by one.")
NOT_CSV = N_("The file is not a CSV file. Save it from Excel as CSV and try again.")


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0")


def more_problems_text(result: ImportResult, ngettext: Callable[..., str]) -> str:
    """"还有 100 处问题未列出。": the problems found beyond the ones listed (screen and CLI)."""
    return ngettext("%(num)d more problem is not listed.", "%(num)d more problems are not listed.",
                    result.more_problems)


def too_large(size: int) -> UnreadableFile:
    """The refusal of a file of ``size`` bytes, over :data:`MAX_FILE_BYTES`: both sizes named."""
    return UnreadableFile(TOO_LARGE, size=_megabytes(size), max=_megabytes(MAX_FILE_BYTES))


def check_size(size: int) -> None:
    """Refuse a file over :data:`MAX_FILE_BYTES` before it is read (the CLI, the upload)."""
    if size > MAX_FILE_BYTES:
        raise too_large(size)


def read_table(data: bytes) -> Table:
    """Parse the file (CSV, or an ``.xlsx`` workbook's first sheet) into a header and numbered rows,
    or raise UnreadableFile.

    The rows are read one at a time and only their cleaned cells are kept; a
    file over :data:`MAX_FILE_BYTES` or with more than :data:`MAX_ROWS` rows is
    refused (as soon as the row after the last one allowed is read).
    """
    check_size(len(data))
    if data.startswith(XLSX_MAGIC):
        table = _numbered(read_workbook(data))
        if not any(table.header) and not table.rows:
            raise UnreadableFile(EMPTY_FILE)
        return table
    text = decode(data)
    if not text.strip():
        raise UnreadableFile(EMPTY_FILE)
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        return _numbered(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise UnreadableFile(NOT_CSV) from None


XLSX_MAGIC = b"PK\x03\x04"  # an .xlsx is a zip
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # an old .xls, or a workbook protected by a password
UNREADABLE_WORKBOOK = N_("This Excel workbook cannot be read. Open it in Excel, save it again "
                         "(as .xlsx or as CSV) and import that file.")


def read_workbook(data: bytes) -> Iterator[list[str]]:
    """The first sheet's rows as text, one at a time, every row from row 1 (empty ones too, so
    numbers stay Excel's): openpyxl's read-only mode reads the sheet as it goes, so a large
    workbook is never whole in memory; at most :data:`MAX_COLUMNS` cells a row."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - whatever openpyxl raises for a file it cannot read, the user gets one reason
        raise UnreadableFile(UNREADABLE_WORKBOOK) from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception:  # noqa: BLE001 - a sheet broken halfway through
                raise UnreadableFile(UNREADABLE_WORKBOOK) from None
            yield [_cell_text(value) for value in row]
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    """A workbook cell as the sheet shows it: 13800138000 (not 13800138000.0), 2026-03-01, text as typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _numbered(records: Iterator[Sequence[Any]]) -> Table:
    """The header (row 1) and the rows that are not empty, numbered as Excel shows them; at most
    :data:`MAX_ROWS` rows and the first :data:`MAX_COLUMNS` cells of each."""
    records = iter(records)
    header = [clean(cell) for cell in next(records, [])[:MAX_COLUMNS]]
    rows = []
    for number, record in enumerate(records, start=2):
        cells = [clean(cell) for cell in record[:MAX_COLUMNS]]
        if any(cells):
            if len(rows) == MAX_ROWS:
                raise UnreadableFile(TOO_MANY_ROWS, max=f"{MAX_ROWS:,}")
            rows.append((number, cells))
    return Table(header, rows)


class _Rows:
    """The file's rows with their columns resolved, collecting problems."""

    def __init__(self, kind: str, table: Table, result: ImportResult) -> None:
        self.kind = kind
        self.result = result
        self.positions: dict[str, tuple[int, str]] = {}
        self.columns = {column.key: column for column in COLUMNS[kind]}
        index = _header_index(kind)
        for position, header in enumerate(table.header):
            if not header:
                continue
            column = index.get(_header_key(header))
            if column is None:
                result.ignored_columns.append(header)
            elif column.key in self.positions:
                self.problem(1, header, N_("This column appears twice; keep one of them."))
            else:
                self.positions[column.key] = (position, header)
        for column in COLUMNS[kind]:
            if column.required and column.key not in self.positions:
                self.problem(1, column.label, N_("This column is required but missing from the file."))
        self.table = table

    def has(self, key: str) -> bool:
        return key in self.positions

    def header(self, key: str) -> str:
        return self.positions[key][1] if key in self.positions else self.columns[key].label

    def problem(self, row: int, column: str, message: str, **params: Any) -> None:
        self.result.add_problem(Problem(row, column, message, params), self.rank(column))

    def rank(self, column: str) -> int:
        """Where ``column`` comes in the kind's columns (problems are listed in that order)."""
        for n, known in enumerate(COLUMNS[self.kind]):
            if column == self.header(known.key):
                return n
        return len(COLUMNS[self.kind])

    def __iter__(self):
        for number, cells in self.table.rows:
            yield _Row(self, number, cells)


class _Row:
    __slots__ = ("rows", "number", "cells")  # one per row of the file

    def __init__(self, rows: _Rows, number: int, cells: list[str]) -> None:
        self.rows = rows
        self.number = number
        self.cells = cells

    def get(self, key: str) -> str:
        """The cell, or "" when the column is absent or the row is short."""
        if key not in self.rows.positions:
            return ""
        position = self.rows.positions[key][0]
        return self.cells[position] if position < len(self.cells) else ""

    def typed(self, key: str) -> str | None:
        """The cell as typed text (:func:`kiosk.domain.typed.text`); None, reported, when it holds a
        control or invisible character."""
        try:
            return typed.text(self.get(key))
        except typed.BadText as bad:
            self.fail(key, bad.message)
            return None

    def fail(self, key: str, message: str, **params: Any) -> None:
        self.rows.problem(self.number, self.rows.header(key), message, **params)

    def text(self, key: str, *, upper: bool = False) -> str | None:
        """A text cell: checked for presence (required) and length; None if bad."""
        column = self.rows.columns[key]
        value = self.typed(key)
        if value is None:
            return None
        if upper:
            value = normalise_code(value)
        if not value:
            if column.required and self.rows.has(key):
                self.fail(key, N_("This value is required."))
                return None
            return ""
        if column.max_length and len(value) > column.max_length:
            self.fail(key, N_("Too long: at most %(max)s characters."), max=column.max_length)
            return None
        return value

    def scanned_number(self, key: str) -> str | None:
        """A staff or uniform number: upper-cased, scanner-safe characters only."""
        value = self.text(key, upper=True)
        if value and not is_valid_number(value):
            self.fail(key, N_("Use only letters, digits and . _ / - here: %(value)s."), value=value)
            return None
        return value

    def parsed(self, key: str, parse: Callable[[str], Any]) -> Any:
        """A cell through ``parse``; None if empty or bad (a bad one is reported)."""
        value = self.typed(key)
        if value is None:
            return None
        if not value:
            if self.rows.columns[key].required and self.rows.has(key):
                self.fail(key, N_("This value is required."))
            return None
        try:
            return parse(value)
        except _Bad as bad:
            self.fail(key, bad.message, **bad.params)
            return None


class _Bad(Exception):
    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


# --- values as Excel writes them ---------------------------------------------

_DATE_RES = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_money(raw: str) -> Decimal:
    """A cost cell (``¥120.00``, ``1,200``, ``120元``, see :mod:`kiosk.domain.money`) -> Decimal."""
    try:
        return parse_amount(raw)
    except BadAmount as bad:
        raise _Bad(bad.message, **bad.params) from None


def _parse_count(raw: str, minimum: int, maximum: int) -> int:
    """A whole number in a cell (:func:`kiosk.domain.typed.whole_number`: never ``1E+30``)."""
    try:
        return typed.whole_number(raw, minimum=minimum, maximum=maximum)
    except typed.BadNumber as bad:
        raise _Bad(bad.message, **bad.params) from None


def parse_entitlement(raw: str) -> int:
    return _parse_count(raw, 0, ENTITLEMENT_MAX)


def parse_washes(raw: str) -> int:
    return _parse_count(raw, 1, WASHES_MAX)


def parse_date(raw: str) -> dt.date:
    """``2026-03-01``, ``2026/3/1``, ``2026.3.1``, ``2026年3月1日``, ``20260301``."""
    text = typed.meant(raw)
    for pattern in _DATE_RES:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(*(int(part) for part in match.groups()))
            except ValueError:
                break
    raise _Bad(N_("Not a date: %(value)s. Write it as 2026-03-01."), value=raw)


def parse_kind(raw: str) -> str:
    kind = KIND_VALUES.get(raw.lower())
    if kind is None:
        raise _Bad(N_("Unknown kind %(value)s: use regular/正式, hourly/小时工 or new_hire/新员工."), value=raw)
    return kind


def parse_phone(raw: str) -> str:
    if not is_valid_phone(raw):
        raise _Bad(N_("Not a phone number: %(value)s. Use a mobile (13800138000) or a landline "
                      "with area code (010-12345678)."), value=raw)
    return normalise_phone(raw)


# --- helpers ----------------------------------------------------------------


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _columns_by(session: Session, attribute, keys: Iterable[str], *columns) -> dict[str, tuple]:
    """``columns`` of the rows whose ``attribute`` is one of ``keys``, by that value (no records
    loaded: what a check of 100,000 rows compares against)."""
    wanted = sorted({key for key in keys if key})
    found: dict[str, tuple] = {}
    for chunk in _chunks(wanted):
        for row in session.execute(select(attribute, *columns).where(attribute.in_(chunk))):
            found[row[0]] = tuple(row[1:])
    return found


def _load_by(session: Session, model, attribute, keys: Iterable[str]) -> dict[str, Any]:
    """Existing records whose ``attribute`` is one of ``keys``, by that value."""
    wanted = sorted({key for key in keys if key})
    found: dict[str, Any] = {}
    for chunk in _chunks(wanted):
        for record in session.scalars(select(model).where(attribute.in_(chunk))):
            found[getattr(record, attribute.key)] = record
    return found


_REPEATED = N_("%(value)s appears more than once in the file (rows %(rows)s).")


def _report_duplicates(rows: list[_Row], key: str, value_of: Callable[[_Row], str],
                       message: str = _REPEATED) -> None:
    """Each row whose key repeats is reported, naming every row that has it.

    ``message`` takes ``%(value)s`` and ``%(rows)s``; one without ``%(value)s``
    (badges) names the rows only.
    """
    seen: dict[str, list[_Row]] = {}
    for row in rows:
        value = value_of(row)
        if value:
            seen.setdefault(value, []).append(row)
    for value, same in seen.items():
        if len(same) > 1:
            numbers = ", ".join(str(row.number) for row in same)
            for row in same:
                params = {"value": value, "rows": numbers} if "%(value)s" in message else {"rows": numbers}
                row.fail(key, message, **params)


def _changes(record: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The non-empty values that differ from the record (empty = no change)."""
    return {name: value for name, value in values.items()
            if value not in (None, "") and getattr(record, name) != value}


# --- garment types ---------------------------------------------------------


@dataclass
class _TypeRow:
    row: _Row
    code: str
    name_zh: str
    name_en: str
    unit_cost: Decimal | None
    entitlement: int | None
    expected_washes: int | None


def _check_types(session: Session, rows: _Rows) -> list[_TypeRow]:
    checked = []
    for row in rows:
        code = row.text("code", upper=True)
        if code and not is_valid_code(code):
            row.fail("code", N_("A code uses only letters, digits and '-': %(value)s."), value=code)
        checked.append(_TypeRow(
            row=row, code=code or "",
            name_zh=row.text("name_zh") or "",
            name_en=row.text("name_en") or "",
            unit_cost=row.parsed("unit_cost", parse_money),
            entitlement=row.parsed("entitlement", parse_entitlement),
            expected_washes=row.parsed("expected_washes", parse_washes),
        ))
    _report_duplicates([item.row for item in checked], "code", lambda row: normalise_code(row.get("code")))
    return checked


def _apply_types(session: Session, checked: list[_TypeRow], result: ImportResult) -> None:
    existing = _load_by(session, GarmentType, GarmentType.code, (item.code for item in checked))
    for item in checked:
        values = {"name_zh": item.name_zh, "name_en": item.name_en, "unit_cost": item.unit_cost,
                  "entitlement": item.entitlement, "expected_washes": item.expected_washes}
        gtype = existing.get(item.code)
        if gtype is None:
            session.add(GarmentType(code=item.code, **{k: v for k, v in values.items() if v not in (None, "")}))
            result.created += 1
            continue
        changes = _changes(gtype, values)
        for name, value in changes.items():
            setattr(gtype, name, value)
        if changes:
            result.updated += 1
        else:
            result.unchanged += 1


# --- employees ----------------------------------------------------------------


@dataclass
class _EmployeeRow:
    row: _Row
    staff_no: str
    name: str
    department: str
    position: str
    phone: str
    kind: str | None
    uniform_no: str
    size: str
    shoe_size: str = ""
    sock_size: str = ""
    badge: str | None = None  # the keyed hash to store; None: the file says nothing
    operator: User | None = None  # the operator linked to the record whose badge this row changes


def _read_badge(row: _Row) -> str | None:
    """The badge cell as its digest (read like a scan); None when empty or bad (reported)."""
    value = row.text("badge", upper=True)
    if not value:
        return None
    if _EXCEL_SCIENTIFIC_RE.match(value):
        row.fail("badge", N_("Excel wrote this badge as a rounded number (%(value)s). Format the column "
                             "as text, type the codes again and save the file again."), value=value)
        return None
    return badges.digest(value)  # a control or invisible character is refused by row.text


def _check_employees(session: Session, rows: _Rows, actor: Actor) -> list[_EmployeeRow]:
    checked = []
    for row in rows:
        checked.append(_EmployeeRow(
            row=row,
            staff_no=row.scanned_number("staff_no") or "",
            name=row.text("name") or "",
            department=row.text("department") or "",
            position=row.text("position") or "",
            phone=row.parsed("phone", parse_phone) or "",
            kind=row.parsed("kind", parse_kind),
            uniform_no=row.scanned_number("uniform_no") or "",
            size=row.text("size", upper=True) or "",
            shoe_size=row.text("shoe_size", upper=True) or "",
            sock_size=row.text("sock_size", upper=True) or "",
            badge=_read_badge(row),
        ))
    _report_duplicates([item.row for item in checked], "staff_no",
                       lambda row: normalise_code(row.get("staff_no")))
    _report_duplicates([item.row for item in checked], "uniform_no",
                       lambda row: normalise_code(row.get("uniform_no")))
    badge_rows = {id(item.row): item.badge for item in checked}
    _report_duplicates([item.row for item in checked if item.badge], "badge",
                       lambda row: badge_rows[id(row)] or "",
                       N_("The same badge is given on more than one row (rows %(rows)s); a badge names "
                          "one person."))
    _check_uniform_numbers(session, checked)
    _check_badges(session, checked)
    _check_linked_operators(session, checked, actor)
    return checked


def _check_uniform_numbers(session: Session, checked: list[_EmployeeRow]) -> None:
    """A uniform number may not end up with two people (checked on the final state)."""
    claimed = {item.uniform_no: item for item in checked if item.uniform_no}
    holders = _columns_by(session, Employee.uniform_no, claimed, Employee.staff_no, Employee.name)
    # What each employee named in the file will hold after the import.
    final_of = {item.staff_no: item.uniform_no for item in checked if item.staff_no and item.uniform_no}
    for number, item in claimed.items():
        if number not in holders:
            continue
        staff_no, name = holders[number]
        if staff_no == item.staff_no:
            continue
        if final_of.get(staff_no, number) != number:
            continue  # the holder moves to another number in this same file
        item.row.fail("uniform_no", N_("Uniform no. %(number)s already belongs to %(staff_no)s %(name)s."),
                      number=number, staff_no=staff_no, name=name)


def _check_badges(session: Session, checked: list[_EmployeeRow]) -> None:
    """A badge may name only the employee of its row: not another employee, nor an operator.

    The same as :func:`kiosk.badges.check_free`, for the whole file in a few
    queries. An operator linked to their employee record shares the
    employee's badge; their own badge (``User.badge_hash``) is theirs alone.
    """
    claimed = {item.badge: item for item in checked if item.badge}
    employees = _load_by(session, Employee, Employee.badge_hash, claimed)
    operators = _load_by(session, User, User.badge_hash, claimed)
    for badge, item in claimed.items():
        holder = employees.get(badge)
        if holder is not None and holder.staff_no != item.staff_no:
            item.row.fail("badge", N_("This badge already belongs to %(name)s (%(staff_no)s)."),
                          name=holder.name, staff_no=holder.staff_no)
        elif badge in operators:
            item.row.fail("badge", N_("This badge already belongs to the operator %(name)s."),
                          name=operators[badge].name)


def _check_linked_operators(session: Session, checked: list[_EmployeeRow], actor: Actor) -> None:
    """A badge for the record of an employee who is also an operator signs that operator in:
    only whoever may manage them gives it (:func:`kiosk.operators.services.check_employee_badge`),
    whether or not it is the badge on record (a refusal tells nothing about the badge)."""
    given = [item for item in checked if item.badge and item.staff_no]
    employees = _load_by(session, Employee, Employee.staff_no, (item.staff_no for item in given))
    ids = sorted(employee.id for employee in employees.values())
    linked: dict[int, User] = {}
    for chunk in _chunks(ids):
        for user in session.scalars(select(User).where(User.employee_id.in_(chunk))):
            linked[user.employee_id] = user
    for item in given:
        employee = employees.get(item.staff_no)
        user = linked.get(employee.id) if employee is not None else None
        if user is None:
            continue
        try:
            operator_services.check_employee_badge(actor, employee, user)
        except DomainError as refused:
            item.row.fail("badge", refused.message, **refused.params)
        else:
            item.operator = user


def _apply_employees(session: Session, checked: list[_EmployeeRow], result: ImportResult,
                     actor: Actor) -> None:
    departments = {dept.name: dept for dept in session.scalars(select(Department))}
    for item in checked:
        if item.department and item.department not in departments:
            departments[item.department] = Department(name=item.department)
            session.add(departments[item.department])
            result.created_departments.append(item.department)
    session.flush()  # the new departments' ids: employees are linked to them by id

    # Numbers that move are freed first, so that a swap inside the file does not
    # trip the unique index halfway through.
    numbers = _columns_by(session, Employee.staff_no, (item.staff_no for item in checked), Employee.uniform_no)
    moved = {item.staff_no for item in checked if item.uniform_no and item.staff_no in numbers
             and numbers[item.staff_no][0] not in (None, item.uniform_no)}
    for chunk in _chunks(sorted(moved)):
        session.execute(update(Employee).where(Employee.staff_no.in_(chunk)).values(uniform_no=None))

    # A batch at a time: its people loaded, changed and written, then forgotten (bounded memory;
    # a new employee is linked to the department by id, so the department does not hold them).
    for batch in _chunks(checked):
        existing = _load_by(session, Employee, Employee.staff_no, (item.staff_no for item in batch))
        for item in batch:
            department = departments[item.department]
            values = {"name": item.name, "position": item.position, "phone": item.phone,
                      "kind": item.kind, "uniform_no": item.uniform_no, "size": item.size,
                      "shoe_size": item.shoe_size, "sock_size": item.sock_size, "badge_hash": item.badge}
            employee = existing.get(item.staff_no)
            if employee is None:
                fields = {k: v for k, v in values.items() if v not in (None, "")}
                session.add(Employee(staff_no=item.staff_no, department_id=department.id, **fields))
                result.created += 1
                continue
            changes = _changes(employee, values)
            if "badge_hash" in changes and item.operator is not None:
                operator_services.employee_badge_changed(session, actor, item.operator,
                                                         "replaced" if employee.badge_hash else "assigned")
            if employee.department_id != department.id:
                changes["department_id"] = department.id
            for name, value in changes.items():
                setattr(employee, name, value)
            if changes or employee.staff_no in moved:
                result.updated += 1
            else:
                result.unchanged += 1
        session.flush()


# --- garments ---------------------------------------------------------------


@dataclass
class _GarmentRow:
    row: _Row
    tag: str
    garment_type: GarmentType | None
    size: str
    owner: _Owner | None
    purchased_on: dt.date | None
    cost: Decimal | None
    existing: Garment | None = None


def _check_garments(session: Session, rows: _Rows) -> list[_GarmentRow]:
    """Check garment rows against the types, employees and garments on record.

    A tag already on record is the same physical garment. Its size, cost and
    purchase date may be corrected by a new import (a typo fixed in the sheet),
    and each correction is written to the ledger. Its owner and its type are
    *not* changed by an import: a garment changing hands is a movement the
    counter records (who handed it over, when), and a shirt does not become a
    jacket; a row that disagrees on either is reported and nothing is written.
    An empty 工号 means the spare pool, so a row without 工号 for a garment
    that has an owner is such a disagreement too.
    """
    items = list(rows)
    garment_type = _garment_type_finder(session)
    owner = _owner_finder(session, items)
    checked = [_read_garment_row(row, garment_type, owner) for row in items]
    _report_duplicates([item.row for item in checked], "tag", lambda row: normalise_code(row.get("tag")))
    garments = _load_by(session, Garment, Garment.tag, (normalise_code(row.get("tag")) for row in items))
    # A tag is one garment's in the whole group: another hotel's is not this hotel's to register.
    # (Its tag only: no record of another hotel is loaded into this session.)
    unknown = sorted({item.tag for item in checked if item.tag and item.tag not in garments})
    elsewhere: set[str] = set()
    with scope.every_property(session):
        for chunk in _chunks(unknown):
            elsewhere.update(session.scalars(select(Garment.tag).where(Garment.tag.in_(chunk))))
    for item in checked:
        garment = garments.get(item.tag) if item.tag else None
        if garment is not None:
            _check_against_record(item, garment, owners_given=rows.has("staff_no"))
        elif item.tag in elsewhere:
            item.row.fail("tag", N_("Tag %(tag)s is a garment of another hotel of the group; give this garment "
                                    "a new tag."), tag=item.tag)
    return checked


def _garment_type_finder(session: Session) -> Callable[[str], GarmentType]:
    """The 品类 cell's reader: a type code, or a Chinese name that only one type has."""
    types = list(session.scalars(select(GarmentType)))
    by_code = {gtype.code: gtype for gtype in types}
    by_name: dict[str, list[GarmentType]] = {}
    for gtype in types:
        by_name.setdefault(gtype.name_zh, []).append(gtype)

    def garment_type(raw: str) -> GarmentType:
        found = by_code.get(normalise_code(raw))
        if found is None:
            named = by_name.get(raw, [])
            if len(named) > 1:
                raise _Bad(N_("Several garment types are called %(value)s; use the type code."), value=raw)
            if not named:
                raise _Bad(N_("Unknown garment type %(value)s. Import it with the garment types first."),
                           value=raw)
            found = named[0]
        if not found.active:
            raise _Bad(N_("Garment type %(value)s is no longer in use."), value=raw)
        return found

    return garment_type


class _Owner(NamedTuple):
    """Who a garment row names (the person is loaded with their rows when written, see
    :func:`_apply_garments`: a file of 100,000 garments does not hold 100,000 people)."""

    id: int
    staff_no: str
    name: str
    active: bool


def _owner_finder(session: Session, items: list[_Row]) -> Callable[[str], _Owner]:
    """The 工号 cell's reader: an employee on record (a query per 500 staff numbers)."""
    wanted = sorted({normalise_code(row.get("staff_no")) for row in items} - {""})
    employees: dict[str, _Owner] = {}
    for chunk in _chunks(wanted):
        for found in session.execute(select(Employee.id, Employee.staff_no, Employee.name, Employee.active)
                                     .where(Employee.staff_no.in_(chunk))):
            employees[found.staff_no] = _Owner(*found)

    def owner(raw: str) -> _Owner:
        employee = employees.get(normalise_code(raw))
        if employee is None:
            raise _Bad(N_("No employee has staff no. %(value)s. Import the employees first."), value=raw)
        if not employee.active:
            raise _Bad(N_("%(value)s %(name)s has left; a leaver gets no garments."),
                       value=employee.staff_no, name=employee.name)
        return employee

    return owner


def _read_garment_row(row: _Row, garment_type: Callable[[str], GarmentType],
                      owner: Callable[[str], Employee]) -> _GarmentRow:
    """One row's cells, each read or reported on the row."""
    tag = row.text("tag", upper=True)
    if tag and not is_valid_tag(tag):
        row.fail("tag", N_("Not a valid tag: %(value)s. Use A-Z, 0-9 and '-', at most 24 characters."),
                 value=tag)
        tag = None
    return _GarmentRow(
        row=row, tag=tag or "",
        garment_type=row.parsed("type", garment_type),
        size=row.text("size", upper=True) or "",
        owner=row.parsed("staff_no", owner),
        purchased_on=row.parsed("purchased_on", parse_date),
        cost=row.parsed("cost", parse_money),
    )


def _check_against_record(item: _GarmentRow, garment: Garment, *, owners_given: bool) -> None:
    """A tag on record: the row may correct its facts, never its type or owner."""
    item.existing = garment
    if item.garment_type is not None and garment.type_id != item.garment_type.id:
        item.row.fail("type", N_("Tag %(tag)s is already registered as %(type)s; an import does not change "
                                 "a garment's type. Give the new garment a new tag."),
                      tag=item.tag, type=f"{garment.garment_type.code} {garment.garment_type.name_zh}")
    # Without a 工号 column the file says nothing about owners; with one, an
    # empty cell is the spare pool. A 工号 that did not resolve is reported already.
    owner_said = owners_given and not (item.row.get("staff_no") and item.owner is None)
    wanted_owner = item.owner.id if item.owner else None
    if owner_said and garment.owner_id != wanted_owner:
        if garment.owner is None:
            item.row.fail("staff_no", N_("Tag %(tag)s is registered as a spare; an import does not hand "
                                         "garments out. Assign it at the counter."), tag=item.tag)
        else:
            item.row.fail("staff_no", N_("Tag %(tag)s is registered to %(staff_no)s %(name)s; an import does "
                                         "not move garments between people. Reassign it at the counter."),
                          tag=item.tag, staff_no=garment.owner.staff_no, name=garment.owner.name)


def _apply_garments(session: Session, checked: list[_GarmentRow], result: ImportResult, *,
                    user: User | None, station: str) -> None:
    # A batch at a time: its owners loaded, its garments written, then forgotten (bounded memory).
    for batch in _chunks(checked):
        owners = _load_by(session, Employee, Employee.id, (item.owner.id for item in batch if item.owner))
        parents: set[Any] = set()
        for item in batch:
            if item.existing is None:
                assert item.garment_type is not None
                owner = owners[item.owner.id] if item.owner else None
                register_garment(session, tag=item.tag, garment_type=item.garment_type, size=item.size,
                                 owner=owner, purchased_on=item.purchased_on, cost=item.cost,
                                 user=user, station=station)
                parents |= {item.garment_type, owner} - {None}
                result.created += 1
                continue
            changes = _changes(item.existing, {"size": item.size, "cost": item.cost,
                                               "purchased_on": item.purchased_on})
            if changes:
                correct_garment(session, item.existing, user=user, station=station, **changes)
                result.updated += 1
            else:
                result.unchanged += 1
        session.flush()
        # A garment added to a type's (an owner's) garments, never loaded, is held there until
        # they are: forgotten, so the flushed garments are not.
        for parent in parents:
            session.expire(parent, ["garments"])


# --- kits (配发标准) --------------------------------------------------------------


@dataclass
class _KitRow:
    row: _Row
    position: str
    department: Department | None
    item: kits.KitItem | None
    quantity: int | None


def _name_key(text: str) -> str:
    return typed.collapsed(text)


def _department_finder(session: Session) -> Callable[[str], Department]:
    """The 部门 cell's reader: a department on record (compared as typed, NFKC, spaces collapsed)."""
    departments = {_name_key(dept.name): dept for dept in session.scalars(select(Department))}

    def department(raw: str) -> Department:
        found = departments.get(_name_key(raw))
        if found is None:
            raise _Bad(N_("Unknown department %(value)s. Departments come with the employees: import them "
                          "first, or check the spelling."), value=raw)
        return found

    return department


def _kit_item_finder(session: Session) -> Callable[[str], kits.KitItem]:
    """The 品类或物品 cell's reader: a garment type's or a stock item's code, or its Chinese name."""
    by_code: dict[str, list[kits.KitItem]] = {}
    by_name: dict[str, list[kits.KitItem]] = {}
    for item in kits.kit_items(session, active_only=False):
        by_code.setdefault(normalise_code(item.code), []).append(item)
        by_name.setdefault(_name_key(item.name_zh), []).append(item)

    def item(raw: str) -> kits.KitItem:
        found = by_code.get(normalise_code(raw))
        if found and len(found) > 1:
            raise _Bad(N_("Both a garment type and a stock item have the code %(value)s: write the Chinese "
                          "name of the one you mean."), value=raw)
        if not found:
            found = by_name.get(_name_key(raw), [])
            if len(found) > 1:
                raise _Bad(N_("Several garment types or stock items are called %(value)s; use the code."),
                           value=raw)
        if not found:
            raise _Bad(N_("Unknown item %(value)s: write a garment type's code or a stock item's code "
                          "(or its Chinese name). Add new items first."), value=raw)
        if not found[0].active:
            raise _Bad(N_("%(value)s is no longer in use; a kit cannot give it."), value=raw)
        return found[0]

    return item


def parse_kit_quantity(raw: str) -> int:
    """How many per person: a whole number from 1 to 20 (``kiosk.kits.models.MAX_QUANTITY``)."""
    return _parse_count(raw, 1, MAX_QUANTITY)


def _check_kits(session: Session, rows: _Rows) -> list[_KitRow]:
    department = _department_finder(session)
    item = _kit_item_finder(session)
    checked = [_KitRow(row=row, position=kits.position_key(row.text("position") or ""),
                       department=row.parsed("department", department), item=row.parsed("item", item),
                       quantity=row.parsed("quantity", parse_kit_quantity))
               for row in rows]
    keys = {id(entry.row): f"{entry.position}|{entry.department.id if entry.department else ''}|{entry.item.key}"
            for entry in checked if entry.position and entry.item is not None and (
                entry.department is not None or not entry.row.get("department"))}
    _report_duplicates([entry.row for entry in checked if id(entry.row) in keys], "item",
                       lambda row: keys[id(row)],
                       N_("This position (and department) lists the same item on more than one row "
                          "(rows %(rows)s); keep one row with the quantity."))
    return checked


def _apply_kits(session: Session, checked: list[_KitRow], result: ImportResult, *, user: User | None) -> None:
    """Each position and department of the file gets exactly the file's rows (see the module's docstring)."""
    scopes: dict[tuple[str, int | None], dict[str, tuple[kits.KitItem, int]]] = {}
    names: dict[int | None, str] = {None: ""}
    for entry in checked:
        department_id = entry.department.id if entry.department is not None else None
        if entry.department is not None:
            names[department_id] = entry.department.name
        assert entry.item is not None and entry.quantity is not None
        scopes.setdefault((entry.position, department_id), {})[entry.item.key] = (entry.item, entry.quantity)
    counts = {"added": "created", "changed": "updated", "unchanged": "unchanged", "removed": "removed"}
    for (position, department_id), wanted in scopes.items():
        for change in kits.replace_scope(session, position, department_id, wanted, user):
            setattr(result, counts[change.outcome], getattr(result, counts[change.outcome]) + 1)
            if change.outcome != "unchanged":
                result.kit_changes.append(KitRowChange(
                    position, names[department_id], change.outcome, f"{change.item.code} · {change.item.name_zh}",
                    change.before, change.quantity))


def kit_change_text(change: KitRowChange, gettext: Callable[..., str]) -> str:
    """``服务员 / 餐饮部: SHOE · 工作鞋 added × 1``: one line of a kit import's summary (screen and CLI)."""
    where = f"{change.position} / {change.department}" if change.department else change.position
    if change.outcome == "added":
        what = gettext(N_("%(item)s added × %(quantity)s"), item=change.item, quantity=change.quantity)
    elif change.outcome == "changed":
        what = gettext(N_("%(item)s %(before)s → %(quantity)s"), item=change.item, before=change.before,
                       quantity=change.quantity)
    else:
        what = gettext(N_("%(item)s taken out (was × %(before)s)"), item=change.item, before=change.before)
    return f"{where}: {what}"


# --- entry point --------------------------------------------------------------

_CHECKS = {"types": _check_types, "garments": _check_garments, "kits": _check_kits}


def check(session: Session, kind: str, data: bytes, *, actor: Actor | None = None) -> tuple[ImportResult, list]:
    """Read and check every row; write nothing. Raises UnreadableFile.

    ``actor`` imports the file (None: the command line, an administrator's rights).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    table = read_table(data)
    result = ImportResult(kind)
    rows = _Rows(kind, table, result)
    if kind == "employees":
        checked = _check_employees(session, rows, actor or Actor())
    else:
        checked = _CHECKS[kind](session, rows)
    result.finish(rows.rank)
    return result, checked


def import_csv(session: Session, kind: str, data: bytes, *, user: User | None = None,
               station: str = STATION, actor: Actor | None = None) -> ImportResult:
    """Check the whole file, then (only if every row is good) write it.

    ``actor`` is who imports, for what they may change (a linked operator's
    badge) and the operators' history; by default the operator ``user``, or
    the command line (``user`` None: an administrator's rights).

    Returns the result; when ``result.ok`` is false nothing was written. The
    changes are flushed, not committed: the caller commits (one transaction).
    Raises :class:`UnreadableFile` for a file that cannot be read, and
    :class:`ImportConflict` (after rolling the session back) when the
    database refuses the writes, e.g. another tablet added the same key.
    """
    actor = actor or Actor(user=user)
    result, checked = check(session, kind, data, actor=actor)
    if not result.ok:
        return result
    try:
        if kind == "types":
            _apply_types(session, checked, result)
        elif kind == "employees":
            _apply_employees(session, checked, result, actor)
        elif kind == "kits":
            _apply_kits(session, checked, result, user=user)
        else:
            _apply_garments(session, checked, result, user=user, station=station)
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ImportConflict(N_("The records changed while the file was being imported, so nothing was "
                                "imported. Please import the file again.")) from None
    return result
