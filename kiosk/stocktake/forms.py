"""The stocktake's item count: a stock item (shoes, socks...) and the quantity counted."""
from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired, ValidationError

from ..forms import ChoiceField, SelectChoice, WholeNumberField, optional_id
from ..i18n import type_name
from ..stock.models import StockItem
from .services import BAD_QUANTITY, UNKNOWN_ITEM

MAX_COUNTED = 1_000_000


class ItemCountForm(FlaskForm):
    item_id = ChoiceField(_l("Item"), coerce=optional_id, message=_l(UNKNOWN_ITEM))
    counted = WholeNumberField(_l("Counted"), minimum=0, maximum=MAX_COUNTED, validators=[
        InputRequired(_l(BAD_QUANTITY))])

    def __init__(self, *args, items: Sequence[StockItem] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.items = {item.id: item for item in items}
        self.item_id.choices = [SelectChoice("", ""),
                                *(SelectChoice(i.id, f"{type_name(i)} {i.size}".strip()) for i in items)]

    def validate_item_id(self, field) -> None:
        if field.data not in self.items:
            raise ValidationError(_l(UNKNOWN_ITEM))

    @property
    def item(self) -> StockItem:
        return self.items[self.item_id.data]
