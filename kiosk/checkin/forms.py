"""The cart form of check-in: which department's cart, and how many garments it declares."""
from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ..forms import ChoiceField, SelectChoice, WholeNumberField, optional_id, strip
from ..models import Department

_DECLARED = _l("Enter the number of garments the department declares (1 or more).")


class CartForm(FlaskForm):
    department_id = ChoiceField(_l("Department"), coerce=optional_id,
                                message=_l("Choose the department the cart comes from."))
    declared = WholeNumberField(_l("Declared count"), message=_DECLARED,
                                validators=[InputRequired(_DECLARED), NumberRange(min=1, message=_DECLARED)])
    note = StringField(_l("Note"), filters=[strip], validators=[Optional(), Length(max=500)])

    def __init__(self, *args, departments: Sequence[Department] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.departments = {d.id: d for d in departments}
        self.department_id.choices = [SelectChoice("", ""), *(SelectChoice(d.id, d.name) for d in departments)]

    def validate_department_id(self, field) -> None:
        if field.data not in self.departments:
            raise ValidationError(_l("Choose the department the cart comes from."))

    @property
    def department(self) -> Department:
        return self.departments[self.department_id.data]
