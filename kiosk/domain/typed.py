"""What people type (or a file carries), read as they meant it. No Flask in here.

The one reading of typed values for every form, import and command:

- :func:`text`: NFKC (full-width letters and digits from a Chinese IME read as
  ASCII), the spaces and invisible marks around it dropped; a control
  character (NUL, a bell, an escape, a tab) or an invisible one inside (a
  zero-width space, a direction override), which nobody types on purpose and
  PostgreSQL refuses (NUL), is refused with :data:`BAD_TEXT`. ``multiline``
  text (a textarea) keeps its line breaks, as ``\\n``.
- :func:`whole_number`: a count or a quantity: digits with an optional sign,
  Excel's thousands separators and its ``5.0``; never an exponent (``1E+30``)
  or a fraction, and within the caller's bounds (:data:`BAD_NUMBER`, naming
  them), so no number too large for the database reaches it.
- :func:`record_id`: a record's id sent back by a page (a select, a tapped
  name): a positive whole number the database can hold, else None.

Money has its own reader, :func:`kiosk.domain.money.parse_amount`, which
reads its text here first. The readers' messages name no field: a form puts
the field's label in front (:data:`FIELD_ERROR`, :class:`FieldRefused`,
:mod:`kiosk.forms`), an import its row and column.
"""
from __future__ import annotations

import re
import unicodedata

from .errors import DomainError, N_

#: A refusal about one field: its label, then the reason (a form's field, a station's note).
FIELD_ERROR = N_("%(field)s: %(reason)s")
BAD_TEXT = N_("This holds a control character or an invisible one (pasted from another program?). "
              "Type it again.")
BAD_NUMBER = N_("Enter a whole number from %(min)s to %(max)s.")

#: Integer columns are 32-bit on PostgreSQL: the largest id or count any row holds.
MAX_INTEGER = 2**31 - 1
#: Longer than any number written out with its sign and separators: a scanned
#: barcode or a pasted paragraph in a number field is refused before it is read.
_NUMBER_MAX_LENGTH = 24

# Invisible marks that copying from a web page or Excel leaves around a value.
_EDGE_MARKS = "\u200b\u200c\u200d\u2060\ufeff"
# Joiners belong inside some scripts' words and emoji: kept inside the text.
_ALLOWED_INSIDE = {"\u200c", "\u200d"}
_WHOLE_RE = re.compile(r"(?P<sign>[+-])?(?P<digits>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.0*)?")


class BadText(DomainError):
    """Typed text with a control or invisible character in it."""

    def __init__(self) -> None:
        super().__init__(BAD_TEXT)


class BadNumber(DomainError):
    """Not a whole number within the bounds; the message names them."""

    def __init__(self, minimum: int, maximum: int) -> None:
        super().__init__(BAD_NUMBER, min=f"{minimum:,}", max=f"{maximum:,}")


class FieldRefused(DomainError):
    """``refused`` about the field labelled ``label`` (a msgid): the message names the field."""

    def __init__(self, label: str, refused: DomainError) -> None:
        super().__init__(FIELD_ERROR, field=label, reason=refused.message % refused.params
                         if refused.params else refused.message)
        self.label = label
        self.refused = refused

    def translated(self, gettext) -> str:
        return gettext(FIELD_ERROR, field=gettext(self.label), reason=self.refused.translated(gettext))


def _unwanted(char: str, multiline: bool) -> bool:
    category = unicodedata.category(char)
    if category == "Cc":
        return not (multiline and char == "\n")
    return category in ("Cf", "Cs", "Co") and char not in _ALLOWED_INSIDE


def meant(raw: str | None, *, multiline: bool = False) -> str:
    """NFKC, the spaces and invisible marks around it dropped (line ends as ``\\n`` when
    ``multiline``): :func:`text` without its check, for a reader that checks later (an import's cell)."""
    if raw is None:
        return ""
    value = unicodedata.normalize("NFKC", str(raw))
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.strip().strip(_EDGE_MARKS).strip()


def text(raw: str | None, *, multiline: bool = False) -> str:
    """``raw`` as the person meant it (see the module docstring), or :class:`BadText`."""
    value = meant(raw, multiline=multiline)
    if any(_unwanted(char, multiline) for char in value):
        raise BadText()
    return value


def short_name(raw: str | None, *, maximum: int) -> str | None:
    """A record's short name as typed (a printer's, a tablet's): :func:`text`, not empty and
    at most ``maximum`` characters; None when it cannot be one (the caller says why)."""
    try:
        value = text(raw)
    except BadText:
        return None
    return value if 0 < len(value) <= maximum else None


def collapsed(raw: str | None) -> str:
    """:func:`meant`, with runs of spaces inside made one: a name or position as compared."""
    return " ".join(meant(raw).split())


def is_clean(raw: str | None, *, multiline: bool = False) -> bool:
    """Whether :func:`text` takes ``raw`` (for a reader that answers "nobody" rather than refusing)."""
    try:
        text(raw, multiline=multiline)
    except BadText:
        return False
    return True


def whole_number(raw: str | int | None, *, minimum: int = 0, maximum: int = MAX_INTEGER) -> int:
    """The whole number in ``raw`` within ``minimum``..``maximum``, or :class:`BadNumber`.

    A number given as a number (a workbook's cell) is held to the same rules.
    Empty text is not a number: the caller decides what empty means.
    """
    if isinstance(raw, bool):
        raise BadNumber(minimum, maximum)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int):
        number = raw
    else:
        try:
            value = text(raw)
        except BadText:
            raise BadNumber(minimum, maximum) from None
        match = _WHOLE_RE.fullmatch(value) if len(value) <= _NUMBER_MAX_LENGTH else None
        if match is None:
            raise BadNumber(minimum, maximum)
        number = int(match["digits"].replace(",", ""))
        if match["sign"] == "-":
            number = -number
    if not minimum <= number <= maximum:
        raise BadNumber(minimum, maximum)
    return number


def record_id(raw: str | int | None) -> int:
    """A record's id sent back by a page; ValueError for anything else (Flask's ``type=`` reads it so)."""
    try:
        return whole_number(raw, minimum=1, maximum=MAX_INTEGER)
    except BadNumber:
        raise ValueError(f"not a record id: {raw!r}") from None
