"""The upload form: what the file holds, and the file."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

try:
    from wtforms.fields import SelectChoice
except ImportError:  # WTForms < 3.3 takes (value, label) tuples
    def SelectChoice(value, label):  # type: ignore[no-redef]  # noqa: N802
        return (value, label)

from .services import KIND_LABELS, KINDS


class ImportForm(FlaskForm):
    kind = SelectField(_l("What the file holds"),
                       choices=[SelectChoice(kind, _l(KIND_LABELS[kind])) for kind in KINDS])
    file = FileField(_l("CSV file saved from Excel"),
                     validators=[FileRequired(_l("Choose the CSV file to import."))])
