"""The upload form: what the file holds, and the file."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from ..forms import SelectChoice
from .services import KIND_LABELS, KINDS


class ImportForm(FlaskForm):
    kind = SelectField(_l("What the file holds"),
                       choices=[SelectChoice(kind, _l(KIND_LABELS[kind])) for kind in KINDS])
    file = FileField(_l("CSV or Excel file (.csv, .xlsx)"),
                     validators=[FileRequired(_l("Choose the CSV file to import."))])
