"""The write-off form (报损): reason, who is responsible, and who that is.

Every value is checked here; whether the staff no. names an employee is the
service's to say (it needs the database).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..forms import ChoiceField, MoneyField, SelectChoice, TextField
from ..forms import code as scanned
from .services import COMPENSATION_LABELS, REASON_LABELS, RESPONSIBLE_LABELS


class WriteOffForm(FlaskForm):
    # The scanned garment's tag travels with the form (the page is about one garment).
    code = HiddenField(filters=[scanned])
    reason = ChoiceField(_l("Reason"), choices=list(REASON_LABELS), message=_l("Choose a reason."))
    responsible = ChoiceField(_l("Responsible"), choices=list(RESPONSIBLE_LABELS),
                              message=_l("Choose who is responsible."))
    staff_no = TextField(_l("Staff no. (employee)"), filters=[scanned], validators=[Length(max=32)])
    borrower_name = TextField(_l("Borrower's name"), validators=[Length(max=64)])
    note = TextField(_l("Note"), validators=[Optional(), Length(max=500)])
    unwashed = BooleanField()

    def validate_staff_no(self, field) -> None:
        if self.responsible.data == "employee" and not field.data:
            raise ValidationError(_l("Enter the staff no. of the responsible employee."))

    def validate_borrower_name(self, field) -> None:
        if self.responsible.data == "borrower" and not field.data:
            raise ValidationError(_l("Enter the borrower's name."))


class CorrectionForm(FlaskForm):
    """A correction of a settled (or pending) compensation: the new status and amount, and why."""

    status = ChoiceField(_l("Status"), message=_l("Choose the corrected status."),
                         choices=[SelectChoice(code, _l(label)) for code, label in COMPENSATION_LABELS.items()])
    amount = MoneyField(_l("Amount"), validators=[InputRequired(_l("Required."))])
    reason = TextField(_l("Why"), validators=[
        DataRequired(_l("Say why it is corrected.")), Length(max=500)])
