"""The cart form of check-in: which department's cart, and how many garments it declares."""
from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ..forms import ChoiceField, SelectChoice, TextField, WholeNumberField, optional_id
from ..models import Department

_DECLARED = _l("Enter the number of garments the department declares (1 or more).")
#: More than any cart holds: a count beyond it is a slip of the finger.
MAX_DECLARED = 10_000


class CartForm(FlaskForm):
    department_id = ChoiceField(_l("Department"), coerce=optional_id,
                                message=_l("Choose the department the cart comes from."))
    declared = WholeNumberField(_l("Declared count"), minimum=1, maximum=MAX_DECLARED,
                                validators=[InputRequired(_DECLARED)])
    note = TextField(_l("Note"), validators=[Optional(), Length(max=500)])

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
