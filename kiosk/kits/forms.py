"""The kits screen's forms: give a position an item (or change how many), take one out.

Every form carries the position and the department it edits (hidden, from the
page) and a request key (``new_request_key()`` in the template, read by the
route), so a double tap or a retry lands once.
"""
from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import InputRequired, ValidationError
from wtforms.widgets import HiddenInput

from ..forms import ChoiceField, SelectChoice, TextField, WholeNumberField, optional_id
from ..i18n import type_name
from .models import MAX_QUANTITY
from .services import KitItem

_QUANTITY = _l("The quantity must be a whole number from 1 to %(max)s.", max=MAX_QUANTITY)
_CHOOSE = _l("Choose a garment type or a stock item.")


def item_label(item: KitItem) -> str:
    """``SHIRT · 衬衫`` (the name in the reader's language)."""
    return f"{item.code} · {type_name(item)}"


def item_choices(items: Sequence[KitItem], *, placeholder: bool = False) -> list:
    """The items of a select, garment types and stock items in two groups (first: "choose one")."""
    garments, stock = str(_l("Garment types")), str(_l("Shoes, socks and supplies"))
    first = [SelectChoice("", str(_l("Choose a garment type or a stock item")))] if placeholder else []
    return first + [SelectChoice(item.key, item_label(item), optgroup=garments if item.is_garment else stock)
                    for item in items]


class _ScopeForm(FlaskForm):
    position = TextField(_l("Position"), widget=HiddenInput())  # the page's, read as typed text all the same
    department_id = HiddenField(filters=[optional_id])
    item = ChoiceField(_l("Garment type or stock item"), message=_CHOOSE)

    def __init__(self, *args, items: Sequence[KitItem] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.items = {item.key: item for item in items}
        self.item.choices = item_choices(items)

    def validate_item(self, field) -> None:
        if field.data not in self.items:  # the "choose one" line, or a stale page
            raise ValidationError(str(_CHOOSE))

    @property
    def chosen(self) -> KitItem:
        return self.items[self.item.data]


class LineForm(_ScopeForm):
    """Add an item to the kit, or change how many of it (the same command: the row ends with this quantity)."""

    quantity = WholeNumberField(_l("How many per person"), default=1, minimum=1, maximum=MAX_QUANTITY,
                                validators=[InputRequired(_QUANTITY)])


class RemoveForm(_ScopeForm):
    """Take an item out of the kit."""
