"""The clearance's forms: how many of a stock item came back, and the leaver's signature."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired

from ..forms import SignatureFields, WholeNumberField
from ..stock.services import QUANTITY_MAX

_WHOLE = _l("Enter the quantity as a whole number.")


class ReturnStockForm(FlaskForm):
    quantity = WholeNumberField(_l("How many back"), minimum=1, maximum=QUANTITY_MAX,
                                validators=[InputRequired(_WHOLE)])


class CloseForm(SignatureFields, FlaskForm):
    """The leaver signs the slip: drawn on the pad, or on the printed slip."""

    unsigned = _l("The leaver must sign on the pad, or tick “Signed on the printed slip instead”.")
