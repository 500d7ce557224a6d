"""The loan form (借衣登记): who borrows, what for, until when, and their signature.

Every value is checked here. An employee is named by badge, 工号 or name and
looked up by :func:`kiosk.loans.services.open_loan` (kiosk.people says who
that is, and refuses a leaver); anyone else gives a name, a phone number and
an organisation.
"""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import Length, ValidationError

from ..domain.codes import is_valid_phone, normalise_phone
from ..domain.errors import DomainError
from ..forms import ChoiceField, SelectChoice, SignatureFields, TextField
from .models import REASONS
from .services import REASON_LABELS, LoanData, parse_due


class LoanForm(SignatureFields, FlaskForm):
    employee_code = TextField(_l("Employee: badge, staff no. or name"), validators=[Length(max=64)])
    name = TextField(_l("Name"), validators=[Length(max=64)])
    phone = TextField(_l("Phone"), validators=[Length(max=32)])
    organisation = TextField(_l("Department or organisation"), validators=[Length(max=64)])
    reason = ChoiceField(_l("Purpose"), message=_l("Choose the purpose of the loan."),
                         choices=[SelectChoice("", "")] + [SelectChoice(r, _l(REASON_LABELS[r])) for r in REASONS])
    note = TextField(_l("Note"), validators=[Length(max=500)])
    approver = TextField(_l("Approved by (manager)"), validators=[Length(max=64)])
    deposit = TextField(_l("Deposit (own garment taken in)"), validators=[Length(max=128)])
    due = TextField(_l("Due back"))

    def __init__(self, *args, now: dt.datetime, timezone: str, default_due: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.now, self.timezone = now, timezone
        self.due_at: dt.datetime | None = None
        if not self.due.data:  # empty means the default (next day, 18:00): show it
            self.due.data = default_due

    @property
    def for_visitor(self) -> bool:
        """No employee named: the borrower's own contact details are required."""
        return not self.employee_code.data

    def validate_name(self, field) -> None:
        if self.for_visitor and not field.data:
            raise ValidationError(_l("Enter the borrower's name."))

    def validate_phone(self, field) -> None:
        if self.for_visitor and not is_valid_phone(normalise_phone(field.data or "")):
            raise ValidationError(_l("Enter a valid phone number (mobile 13800138000 or landline 010-12345678)."))

    def validate_organisation(self, field) -> None:
        if self.for_visitor and not field.data:
            raise ValidationError(_l("Enter the borrower's department or organisation."))

    def validate_reason(self, field) -> None:
        if field.data not in REASONS:
            raise ValidationError(_l("Choose the purpose of the loan."))

    def validate_due(self, field) -> None:
        try:
            self.due_at = parse_due(field.data or "", now=self.now, timezone=self.timezone)
        except DomainError as refused:
            raise ValidationError(refused.translated(gettext)) from None

    def to_data(self) -> LoanData:
        visitor = self.for_visitor
        return LoanData(
            reason=self.reason.data, due_at=self.due_at, employee_code=self.employee_code.data or "",
            name=self.name.data if visitor else "", phone=normalise_phone(self.phone.data or "") if visitor else "",
            organisation=self.organisation.data if visitor else "", note=self.note.data or "",
            approver=self.approver.data or "", deposit=self.deposit.data or "",
            signature_png=self.signature_png, signed_on_paper=bool(self.signed_on_paper.data))
