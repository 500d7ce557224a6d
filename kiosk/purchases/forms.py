"""The purchase form (新购入库): every value checked here, one field at a time.

What needs the database (the owner's staff no., their size when none is
typed) is checked by :func:`kiosk.purchases.services.check_purchase`, which
names the field to mark.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..forms import ChoiceField, MoneyField, TextField, WholeNumberField, code, type_choices
from ..models import GarmentType
from .models import MAX_QUANTITY
from .services import NOTE_MAX, SIZE_MAX, SUPPLIER_MAX, PurchaseInput

_TOO_LONG = _l("Too long: at most %(max)s characters.")


class PurchaseForm(FlaskForm):
    type_id = ChoiceField(_l("Garment type"), coerce=int, message=_l("Choose a garment type."))
    size = TextField(_l("Size"),
                     validators=[Optional(), Length(max=SIZE_MAX, message=_TOO_LONG)])
    quantity = WholeNumberField(_l("Quantity"), default=1, minimum=1, maximum=MAX_QUANTITY,
                                validators=[InputRequired(_l("Enter the quantity as a whole number."))])
    unit_price = MoneyField(_l("Unit cost (CNY)"), validators=[InputRequired(_l("Required."))])
    supplier = TextField(_l("Supplier"), validators=[
        DataRequired(_l("Enter the supplier.")), Length(max=SUPPLIER_MAX, message=_TOO_LONG)])
    purchased_on = DateField(_l("Purchased on"), validators=[InputRequired(_l("Enter the purchase date."))])
    staff_no = TextField(_l("Owner's staff no. (empty: spare pool)"), filters=[code],
                         validators=[Optional(), Length(max=32)])
    note = TextField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX, message=_TOO_LONG)])

    def __init__(self, *args, types: Sequence[GarmentType] = (), today: dt.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.type_id.choices = type_choices(types)
        self.today = today  # the hotel's date: a purchase cannot be dated after it
        if self.purchased_on.data is None and not self.is_submitted():
            self.purchased_on.data = today

    def validate_purchased_on(self, field) -> None:
        if field.data is not None and field.data > self.today:
            raise ValidationError(_l("The purchase date cannot be in the future."))

    def to_input(self) -> PurchaseInput:
        return PurchaseInput(type_id=self.type_id.data, size=self.size.data or "", quantity=self.quantity.data,
                             unit_price=self.unit_price.data, supplier=self.supplier.data,
                             purchased_on=self.purchased_on.data, staff_no=self.staff_no.data or "",
                             note=self.note.data or "")
