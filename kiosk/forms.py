"""WTForms pieces that every blueprint's ``forms.py`` shares.

:class:`MoneyField` is the one way a form takes an amount of money: it parses
with :func:`kiosk.domain.money.parse_amount`, so a form, an import and the
settings accept the same amounts and refuse the rest with the same message.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext
from wtforms import StringField

from .domain.money import MAX_AMOUNT, ZERO, BadAmount, parse_amount, plain


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
