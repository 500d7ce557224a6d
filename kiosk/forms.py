"""WTForms pieces that every blueprint's ``forms.py`` shares.

Every typed field of every form is a :class:`TypedField`: the value is read
by the domain's one reader for its kind, so a form, an import and the command
line accept the same values and refuse the rest with the same message, and
the message names the field (``数量：请输入 1 至 100,000 之间的整数。``) wherever
the page shows it:

- :class:`TextField`: typed text as meant (:func:`kiosk.domain.typed.text`:
  NFKC, trimmed, no control or invisible character);
- :class:`WholeNumberField`: a count or quantity within its bounds
  (:func:`kiosk.domain.typed.whole_number`);
- :class:`MoneyField`: an amount in yuan (:func:`kiosk.domain.money.parse_amount`).

:class:`SignatureFields` are the signature pad's on a form (the loan form, a
leaver's clearance slip). :class:`ChoiceField` says what is wrong in the
room's words (not WTForms' "Not a valid choice"); ``code`` is the filter for
scanned or typed numbers.
"""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import StopValidation, ValidationError

from .domain import typed
from .domain.codes import normalise_code
from .domain.errors import DomainError
from .domain.money import MAX_AMOUNT, ZERO, parse_amount, plain
from .i18n import type_name
from .models import GarmentType
from .signatures import parse_signature

try:  # WTForms >= 3.3 deprecates (value, label) tuples
    from wtforms.fields import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    def SelectChoice(value, label):  # type: ignore[no-redef]  # noqa: N802 - stands in for the class
        return (value, label)


def code(value: str | None) -> str | None:
    """A staff, uniform or tag number as the scanner types it (NFKC, upper case)."""
    return normalise_code(value) if value is not None else None


def optional_id(value: Any) -> int | None:
    """A select's record id, or None for its empty first option (a choice must be made)."""
    try:
        return typed.record_id(value)
    except ValueError:
        return None


def mark(form: Any, errors: Iterable[Any]) -> None:
    """Show each refusal of a service (a FieldError: ``field``, translatable message) under its field.

    A refusal about no field of the form goes to the form's own errors.
    """
    for error in errors:
        field = form._fields.get(error.field)
        message = error.translated(gettext)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]


def type_choices(types: Iterable[GarmentType]) -> list:
    """The garment types of a select: ``code · name`` (the name in the reader's language)."""
    return [SelectChoice(t.id, f"{t.code} · {type_name(t)}") for t in types]


class ChoiceField(SelectField):
    """A select whose value must be one of its choices, else ``message`` (a tampered or stale page)."""

    def __init__(self, label: Any = None, validators: Any = None, *, message: str, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None

    def pre_validate(self, form: Any) -> None:
        if self.data is None or not any(self.data == choice[0] for choice in self.iter_choices()):
            raise ValidationError(str(self.message))


def named(field: Any, refused: DomainError) -> str:
    """``refused`` with the field's label in front: the message names the field wherever it is shown."""
    return gettext(typed.FIELD_ERROR, field=str(field.label.text), reason=refused.translated(gettext))


class TypedField(StringField):
    """A typed value read by the domain's reader for its kind (see the module docstring).

    ``data`` is what :meth:`read` made of the text, or ``empty`` when nothing
    was typed (not an error here: add ``InputRequired`` where a value must be
    given, ``Optional`` where it may be left out). A value the reader refuses
    is the field's one error, naming the field; its other validators do not
    run. A refused form shows back what was typed, without the characters
    that were refused.
    """

    empty: Any = None
    inputmode: str | None = None
    multiline = False

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        if self.inputmode:
            kwargs["render_kw"] = {"inputmode": self.inputmode, **(kwargs.get("render_kw") or {})}
        super().__init__(label, validators, **kwargs)

    def read(self, text: str) -> Any:
        return text

    def show(self, data: Any) -> str:
        return "" if data is None else str(data)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = self.empty
        if not valuelist:
            return
        try:
            text = typed.text(valuelist[0], multiline=self.multiline)
            self.data = self.read(text) if text else self.empty
        except DomainError as refused:
            raise ValueError(named(self, refused)) from None

    def process_data(self, value: Any) -> None:
        self.data = self.empty if value is None or value == "" else value

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation()  # the reader's refusal says it all

    def _value(self) -> str:
        if self.raw_data:
            return "".join(char for char in str(self.raw_data[0]) if typed.is_clean(char, multiline=self.multiline))
        return self.show(self.data)


class TextField(TypedField):
    """Typed text as meant (NFKC, trimmed, no control or invisible character); ``""`` when empty."""

    empty = ""


class WholeNumberField(TypedField):
    """A count typed on the number pad, from ``minimum`` to ``maximum``; ``None`` when empty."""

    inputmode = "numeric"

    def __init__(self, label: Any = None, validators: Any = None, *, minimum: int = 0,
                 maximum: int = typed.MAX_INTEGER, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def read(self, text: str) -> int:
        return typed.whole_number(text, minimum=self.minimum, maximum=self.maximum)


class MoneyField(TypedField):
    """An amount in yuan: ``data`` is a ``Decimal`` to the fen, or ``None`` when left empty.

    Use ``InputRequired`` where an amount must be given (not ``DataRequired``:
    0.00 is an amount). A bad amount's message names the bounds (``minimum``,
    ``maximum``).
    """

    inputmode = "decimal"  # the tablet's number pad with a decimal point

    def __init__(self, label: Any = None, validators: Any = None, *, minimum: Decimal = ZERO,
                 maximum: Decimal = MAX_AMOUNT, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def read(self, text: str) -> Decimal:
        return parse_amount(text, minimum=self.minimum, maximum=self.maximum)

    def process_data(self, value: Any) -> None:
        self.data = None if value is None or value == "" else Decimal(value)

    def show(self, data: Any) -> str:
        return plain(data) if data is not None else ""


class BadgeField(TextField):
    """A badge code typed or scanned into a form: read like a scan, never written back to the page.

    The database keeps only the badge's keyed hash (:mod:`kiosk.badges`), so
    there is no code to show; and a code just scanned is not echoed into the
    HTML of a refused form either (scan it again). The template marks the
    input ``data-scan-into``: the scanner's Enter stays in the field instead
    of submitting the half-filled form (``static/js/kiosk.js``).
    """

    def __init__(self, label=None, validators=None, **kwargs) -> None:
        render_kw = {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
                     "enterkeyhint": "done", "data-scan-into": "", **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, filters=[code], render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        return ""


class SignatureFields:
    """The signature pad's fields on a form (the loan form, a leaver's clearance slip): the PNG
    the pad drew (read by :func:`kiosk.signatures.parse_signature` into ``signature_png``),
    or "signed on paper"; one of them is required (``unsigned`` says so)."""

    signature = HiddenField()
    signed_on_paper = BooleanField(_l("Signed on paper"))
    signature_png: bytes | None = None
    unsigned = _l("The borrower must sign on the pad, or tick “signed on paper”.")

    def validate_signature(self, field) -> None:
        try:
            self.signature_png = parse_signature((field.data or "").strip())
        except DomainError as refused:
            raise ValidationError(refused.translated(gettext)) from None
        if self.signature_png is None and not self.signed_on_paper.data:
            raise ValidationError(self.unsigned)
