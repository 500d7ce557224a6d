"""The first-run form: the setup code, the hotel's name, the first admin and their PIN twice."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from ..forms import TextField
from .services import HOTEL_NAME_MAX

_TOO_LONG = _l("Too long: at most %(max)s characters.")


class SetupForm(FlaskForm):
    code = TextField(_l("Setup code (printed by the server at start)"),
                     validators=[DataRequired(_l("Enter the setup code the server printed."))])
    hotel_name = TextField(_l("Hotel name"), validators=[
        DataRequired(_l("Enter the hotel's name.")), Length(max=HOTEL_NAME_MAX, message=_TOO_LONG)])
    admin_name = TextField(_l("First administrator's name"), validators=[
        DataRequired(_l("Enter the administrator's name.")), Length(max=64, message=_TOO_LONG)])
    pin = PasswordField(_l("PIN (4 to 8 digits)"), validators=[DataRequired(_l("Choose a PIN."))])
    pin_again = PasswordField(_l("The PIN again"), validators=[
        DataRequired(_l("Type the PIN a second time.")),
        EqualTo("pin", message=_l("The two PINs differ. Type the same PIN twice."))])
