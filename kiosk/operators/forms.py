"""Operator forms: each value checked here; the rules that need the database or the
actor (who may give which role, a badge already taken) are the services'."""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from ..domain import pins
from ..domain.roles import LABELS
from ..forms import BadgeField, ChoiceField, SelectChoice, TextField
from ..forms import code as _code

_REQUIRED = _l("Required.")


def _digits(value: str | None) -> str | None:
    """A PIN as typed: full-width digits from an IME count, spaces around do not."""
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


def _policy(_form, field) -> None:
    reason = pins.refusal(field.data)
    if reason is not None:
        raise ValidationError(_l(reason))


def _pin_field(label, *validators):
    return PasswordField(label, filters=[_digits], validators=[*validators],
                         render_kw={"inputmode": "numeric", "pattern": "[0-9]*", "maxlength": "8",
                                    "autocomplete": "off"})


def _role_field():
    return ChoiceField(_l("Role"), message=_l("Choose a role your role may give."))


def _offer(field, roles: Iterable[str]) -> None:
    field.choices = [SelectChoice(role, _l(LABELS[role])) for role in roles]


class OperatorForm(FlaskForm):
    """Add an operator: the PIN chosen here is replaced at their first sign-in."""

    name = TextField(_l("Name"), validators=[DataRequired(_REQUIRED), Length(max=64)])
    role = _role_field()
    pin = _pin_field(_l("First PIN"), DataRequired(_REQUIRED), _policy)
    pin_again = _pin_field(_l("First PIN again"), DataRequired(_REQUIRED),
                           EqualTo("pin", message=_l("The two PINs differ.")))
    # Scanned into the add form: the scanner's Enter stays in the field (BadgeField).
    badge = BadgeField(_l("Badge"), validators=[Optional(), Length(max=64)])

    def __init__(self, *args, roles: Iterable[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _offer(self.role, roles)


class RoleForm(FlaskForm):
    role = _role_field()

    def __init__(self, *args, roles: Iterable[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _offer(self.role, roles)


class BadgeForm(FlaskForm):
    """Scan the badge into the field (the scanner types the code and Enter)."""

    badge = TextField(_l("Badge"), validators=[DataRequired(_l("Scan the badge (or type its code).")),
                                                                   Length(max=64)],
                      render_kw={"autocomplete": "off", "enterkeyhint": "done"})


class EmployeeLinkForm(FlaskForm):
    staff_no = TextField(_l("Staff no."), filters=[_code], validators=[Optional(), Length(max=32)],
                         render_kw={"autocomplete": "off"})


class ChangePinForm(FlaskForm):
    """The operator's own new PIN: the current one first, the new one twice."""

    current = _pin_field(_l("Current PIN"), DataRequired(_REQUIRED))
    new = _pin_field(_l("New PIN"), DataRequired(_REQUIRED), _policy)
    new_again = _pin_field(_l("New PIN again"), DataRequired(_REQUIRED),
                           EqualTo("new", message=_l("The two PINs differ.")))
