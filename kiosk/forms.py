"""WTForms pieces that every blueprint's ``forms.py`` shares.

:class:`MoneyField` is the one way a form takes an amount of money: it parses
with :func:`kiosk.domain.money.parse_amount`, so a form, an import and the
settings accept the same amounts and refuse the rest with the same message.
:class:`SignatureFields` are the signature pad's on a form (the loan form, a leaver's
clearance slip). :class:`WholeNumberField` and :class:`ChoiceField` say what is wrong in the
room's words (not WTForms' "Not a valid integer value"); ``strip`` and
``code`` are the filters for typed text and for scanned or typed numbers.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import ValidationError

from .domain.codes import normalise_code
from .domain.errors import DomainError
from .domain.money import MAX_AMOUNT, ZERO, BadAmount, parse_amount, plain
from .i18n import type_name
from .models import GarmentType
from .signatures import parse_signature

try:  # WTForms >= 3.3 deprecates (value, label) tuples
    from wtforms.fields import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    def SelectChoice(value, label):  # type: ignore[no-redef]  # noqa: N802 - stands in for the class
        return (value, label)


def strip(value: Any) -> Any:
    """Typed text without the spaces around it (a name of spaces is no name)."""
    return value.strip() if isinstance(value, str) else value


def code(value: str | None) -> str | None:
    """A staff, uniform or tag number as the scanner types it (NFKC, upper case)."""
    return normalise_code(value) if value is not None else None


def optional_id(value: Any) -> int | None:
    """A select's record id, or None for its empty first option (a choice must be made)."""
    try:
        return int(value)
    except (TypeError, ValueError):
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


class WholeNumberField(IntegerField):
    """A count typed on the number pad; anything else is refused with ``message``."""

    def __init__(self, label: Any = None, validators: Any = None, *, message: str, **kwargs: Any) -> None:
        kwargs["render_kw"] = {"inputmode": "numeric", **(kwargs.get("render_kw") or {})}
        super().__init__(label, validators, **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            # NFKC: full-width digits and signs (＋５, －２) from an IME are numbers too.
            self.data = int(unicodedata.normalize("NFKC", str(valuelist[0])).strip())
        except ValueError:
            raise ValueError(str(self.message)) from None


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


class MoneyField(StringField):
    """An amount in yuan: ``data`` is a ``Decimal`` to the fen, or ``None`` when left empty.

    Empty is not an error here: add ``InputRequired`` where an amount must be
    given (not ``DataRequired``: 0.00 is an amount), ``Optional`` where it may
    be left out. A bad amount is a field error with the message that names the
    bounds (``minimum``, ``maximum``); the page shows back what was typed.
    """

    def __init__(self, label: Any = None, validators: Any = None, *, minimum: Decimal = ZERO,
                 maximum: Decimal = MAX_AMOUNT, **kwargs: Any) -> None:
        # The tablet's number pad with a decimal point.
        kwargs["render_kw"] = {"inputmode": "decimal", **(kwargs.get("render_kw") or {})}
        super().__init__(label, validators, **kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            self.data = parse_amount(valuelist[0], minimum=self.minimum, maximum=self.maximum)
        except BadAmount as bad:
            raise ValueError(bad.translated(gettext)) from None

    def process_data(self, value: Any) -> None:
        self.data = None if value is None or value == "" else Decimal(value)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return plain(self.data) if self.data is not None else ""


class BadgeField(StringField):
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

    signature = HiddenField(filters=[strip])
    signed_on_paper = BooleanField(_l("Signed on paper"))
    signature_png: bytes | None = None
    unsigned = _l("The borrower must sign on the pad, or tick “signed on paper”.")

    def validate_signature(self, field) -> None:
        try:
            self.signature_png = parse_signature(field.data or "")
        except DomainError as refused:
            raise ValidationError(refused.translated(gettext)) from None
        if self.signature_png is None and not self.signed_on_paper.data:
            raise ValidationError(self.unsigned)
