"""Registry forms: every value is checked here, one field at a time.

Checks that need the database (a staff no. already taken, an unknown
owner) are made by the services, which name the field to mark.
"""
from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from ..domain.codes import CODE_PATTERN, NUMBER_PATTERN, is_valid_phone, is_valid_tag, normalise_phone
from ..domain.errors import N_
from ..domain.garment_states import STATUS_LABELS, Status
from ..forms import BadgeField, MoneyField, SelectChoice, TextField, WholeNumberField, type_choices
from ..forms import code as _code
from ..models import ENTITLEMENT_MAX, WASHES_MAX, Department, GarmentType
from ..request_keys import new_key
from .services import MAX_BATCH, EmployeeData, GarmentFilter, TypeData

#: Employee kinds; in Chinese 正式 / 小时工 / 新员工.
KIND_LABELS: dict[str, str] = {
    "regular": N_("Regular"),
    "hourly": N_("Hourly"),
    "new_hire": N_("New hire"),
}

# Staff and uniform numbers are typed or scanned (after NFKC, so full-width input from an IME is fine);
# a type's code follows the same rule as the import's (kiosk.domain.codes).
_NUMBER_RE = NUMBER_PATTERN
_TYPE_CODE_RE = CODE_PATTERN


def _request_key(value: str | None) -> str:
    """Keep the key the page was served with (the service checks it); a page without one gets a fresh key."""
    return value if value and value.strip(" ") else new_key()


_REQUIRED = _l("Required.")
# Text is checked after its filters (DataRequired), so a name of spaces is no
# name; numbers with InputRequired, so 0 is a value.


class EmployeeForm(FlaskForm):
    staff_no = TextField(_l("Staff no."), filters=[_code], validators=[
        DataRequired(_REQUIRED), Length(max=32),
        Regexp(_NUMBER_RE, message=_l("Letters, digits and - only, no spaces."))])
    name = TextField(_l("Name"), validators=[DataRequired(_REQUIRED), Length(max=64)])
    department_id = SelectField(_l("Department"), coerce=int)
    new_department = TextField(_l("Or a new department"),
                               validators=[Optional(), Length(max=64)])
    position = TextField(_l("Position"), validators=[Optional(), Length(max=64)])
    phone = TextField(_l("Phone"), validators=[Optional(), Length(max=32)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, _l(v)) for k, v in KIND_LABELS.items()],
                       default="regular")
    uniform_no = TextField(_l("Uniform no."), filters=[_code], validators=[
        Optional(), Length(max=32),
        Regexp(_NUMBER_RE, message=_l("Letters, digits and - only, no spaces."))])
    size = TextField(_l("Size"), validators=[Optional(), Length(max=16)])
    shoe_size = TextField(_l("Shoe size"), validators=[Optional(), Length(max=16)])
    sock_size = TextField(_l("Sock size"), validators=[Optional(), Length(max=16)])
    badge = BadgeField(_l("Badge"), validators=[Optional(), Length(max=64)])

    def __init__(self, *args, departments: Sequence[Department] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.department_id.choices = [SelectChoice(0, _l("Choose a department"))] + [
            SelectChoice(d.id, d.name) for d in departments]

    def validate_phone(self, field) -> None:
        if field.data and not is_valid_phone(field.data):
            raise ValidationError(_l("Not a phone number: a mobile (13800138000) "
                                     "or a landline with its area code (010-12345678)."))

    def validate_department_id(self, field) -> None:
        if not field.data and not self.new_department.data:
            raise ValidationError(_l("Choose a department."))

    def to_data(self) -> EmployeeData:
        return EmployeeData(
            staff_no=self.staff_no.data,
            name=self.name.data,
            department_id=self.department_id.data or None,
            new_department=self.new_department.data or "",
            position=self.position.data or "",
            phone=normalise_phone(self.phone.data) if self.phone.data else "",
            kind=self.kind.data,
            uniform_no=self.uniform_no.data or None,
            size=self.size.data or "",
            shoe_size=self.shoe_size.data or "",
            sock_size=self.sock_size.data or "",
            badge=self.badge.data or None,
        )


class GarmentTypeForm(FlaskForm):
    code = TextField(_l("Code"), filters=[_code], validators=[
        DataRequired(_REQUIRED), Length(max=16),
        Regexp(_TYPE_CODE_RE, message=_l("Letters A-Z, digits and - only."))])
    name_zh = TextField(_l("Chinese name"),
                        validators=[DataRequired(_REQUIRED), Length(max=64)])
    name_en = TextField(_l("English name"), validators=[Optional(), Length(max=64)])
    unit_cost = MoneyField(_l("Unit cost (CNY)"), validators=[InputRequired(_REQUIRED)])
    entitlement = WholeNumberField(_l("Entitlement per person"), default=2, minimum=0, maximum=ENTITLEMENT_MAX,
                                   validators=[InputRequired(_REQUIRED)])
    expected_washes = WholeNumberField(_l("Expected washes"), default=100, minimum=1, maximum=WASHES_MAX,
                                       validators=[InputRequired(_REQUIRED)])
    active = BooleanField(_l("In use"), default=True)

    def to_data(self) -> TypeData:
        return TypeData(
            code=self.code.data,
            name_zh=self.name_zh.data,
            name_en=self.name_en.data or "",
            unit_cost=self.unit_cost.data,
            entitlement=self.entitlement.data,
            expected_washes=self.expected_washes.data,
            active=self.active.data,
        )


class _NewGarmentsForm(FlaskForm):
    """What a single registration and a batch share."""

    # Served with the page; a repeated submit carries the same key and lands once.
    request_key = HiddenField(filters=[_request_key])
    type_id = SelectField(_l("Garment type"), coerce=int)
    staff_no = TextField(_l("Owner's staff no. (empty: spare pool)"), filters=[_code],
                         validators=[Optional(), Length(max=32)])
    size = TextField(_l("Size (empty: the owner's size)"),
                     validators=[Optional(), Length(max=16)])
    purchased_on = DateField(_l("Purchased on"), validators=[Optional()])
    cost = MoneyField(_l("Cost (empty: the type's unit cost)"), validators=[Optional()])

    def __init__(self, *args, types: Sequence[GarmentType] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.type_id.choices = type_choices(types)


class RegisterGarmentForm(_NewGarmentsForm):
    tag = TextField(_l("Tag (empty: automatic)"), filters=[_code], validators=[Optional()])

    def validate_tag(self, field) -> None:
        if field.data and not is_valid_tag(field.data):
            raise ValidationError(_l("A tag is A-Z, 0-9 and -, at most 24 characters."))


class RegisterBatchForm(_NewGarmentsForm):
    count = WholeNumberField(_l("How many"), default=1, minimum=1, maximum=MAX_BATCH,
                             validators=[InputRequired(_REQUIRED)])


class GarmentFilterForm(FlaskForm):
    """The garment list's filters, read from the query string."""

    class Meta:
        csrf = False  # a GET search changes nothing

    q = TextField(_l("Tag or number"), validators=[Optional(), Length(max=64)])
    status = SelectField(_l("Status"), choices=[SelectChoice("", _l("Any status"))] + [
        SelectChoice(s.value, _l(STATUS_LABELS[s])) for s in Status], default="")
    type_id = SelectField(_l("Garment type"), coerce=int, default=0)
    owner = TextField(_l("Owner"), validators=[Optional(), Length(max=64)])
    spares = BooleanField(_l("Spare pool only"))

    def __init__(self, *args, types: Sequence[GarmentType] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.type_id.choices = [SelectChoice(0, _l("Any type")), *type_choices(types)]

    def to_filter(self) -> GarmentFilter:
        """The filter from the valid fields; a tampered value is ignored, not an error."""
        self.validate()

        def ok(field, default):
            return default if field.errors else (field.data or default)

        return GarmentFilter(text=ok(self.q, ""), status=ok(self.status, ""),
                             type_id=ok(self.type_id, None), owner=ok(self.owner, ""),
                             spares_only=bool(ok(self.spares, False)))
