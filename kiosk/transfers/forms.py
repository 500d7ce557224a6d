"""The transfer's forms: where it goes (and a note), and a stock line (code, size, how many)."""
from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ..forms import ChoiceField, SelectChoice, TextField, WholeNumberField, optional_id
from ..models import Property
from .services import QUANTITY_MAX

_WHERE = _l("Choose the hotel the transfer goes to.")


class NewTransferForm(FlaskForm):
    to_property_id = ChoiceField(_l("To hotel"), coerce=optional_id, message=_WHERE)
    note = TextField(_l("Note"), validators=[Optional(), Length(max=500)])

    def __init__(self, *args, destinations: Sequence[Property] = (), label=str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.destinations = {p.id: p for p in destinations}
        self.to_property_id.choices = [SelectChoice("", ""),
                                       *(SelectChoice(p.id, label(p)) for p in destinations)]

    def validate_to_property_id(self, field) -> None:
        if field.data not in self.destinations:
            raise ValidationError(_WHERE)


class StockLineForm(FlaskForm):
    code = TextField(_l("Stock item code"), validators=[InputRequired(_l("Enter the stock item's code.")),
                                                        Length(max=32)])
    size = TextField(_l("Size"), validators=[Optional(), Length(max=16)])
    quantity = WholeNumberField(_l("Quantity"), minimum=1, maximum=QUANTITY_MAX,
                                validators=[InputRequired(_l("Enter how many (1 or more)."))])
