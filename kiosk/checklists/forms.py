"""The checklists' forms: a check ticked, and an item's words as a supervisor writes them."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField
from wtforms.validators import DataRequired, Length, Optional

from ..domain.typed import record_id
from ..forms import TextField
from .services import NOTE_MAX, TEXT_MAX


class TickedField(Field):
    """The ticked boxes (``item`` sent once per ticked item): their ids; anything else is no tick."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        ticked = set()
        for value in valuelist:
            try:
                ticked.add(record_id(value))
            except ValueError:
                continue
        self.data = ticked

    def process_data(self, value: Any) -> None:
        self.data = set(value or ())


class CheckForm(FlaskForm):
    """One list ticked: the boxes, a note (what was found), the request key."""

    item = TickedField()
    note = TextField(_l("Note (what you found, if anything)"),
                     validators=[Optional(), Length(max=NOTE_MAX, message=_l("At most %(max)d characters.", max=NOTE_MAX))])
    request_key = HiddenField()


class ItemForm(FlaskForm):
    """An item's words: the room's own (shown as written) and, if wanted, English."""

    text = TextField(_l("Item, in the room's words"), validators=[
        DataRequired(_l("Write the item.")),
        Length(max=TEXT_MAX, message=_l("At most %(max)d characters.", max=TEXT_MAX))])
    text_en = TextField(_l("In English (optional)"), validators=[
        Optional(), Length(max=TEXT_MAX, message=_l("At most %(max)d characters.", max=TEXT_MAX))])
    request_key = HiddenField()
