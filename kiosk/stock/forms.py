"""The stock screen's forms: receive a delivery, issue to an employee, adjust after counting; an item itself.

Every value is checked here; what needs the database (who the employee is,
their size, enough on hand) is the services' to refuse.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from ..domain.codes import CODE_PATTERN
from ..domain.names import STOCK_KIND_LABELS
from ..forms import ChoiceField, MoneyField, SelectChoice, TextField, WholeNumberField
from ..forms import code as _code
from .catalogue import ItemData
from .models import STOCK_KINDS, StockItem
from .services import NOTE_MAX, QUANTITY_MAX

_WHOLE = _l("Enter the quantity as a whole number.")
_CHOOSE = _l("Choose an item.")


def _quantity(label, *, required: bool = True, **kwargs) -> WholeNumberField:
    # Not required: left empty, it is one (an issue is usually one pair).
    return WholeNumberField(label, minimum=1, maximum=QUANTITY_MAX,
                            validators=[InputRequired(_WHOLE) if required else Optional()], **kwargs)


class _ItemsForm(FlaskForm):
    """A form that picks one active stock item (and size)."""

    item_id = ChoiceField(_l("Item and size"), coerce=int, message=_CHOOSE)

    def __init__(self, *args, items: Sequence[StockItem] = (), item_name=str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.items = {item.id: item for item in items}
        self.item_id.choices = [SelectChoice(item.id, item_name(item)) for item in items]

    @property
    def item(self) -> StockItem:
        return self.items[self.item_id.data]


class ReceiveForm(_ItemsForm):
    quantity = _quantity(_l("Quantity"))
    note = TextField(_l("Note (supplier, delivery note no.)"),
                     validators=[Optional(), Length(max=NOTE_MAX)])


class AdjustForm(_ItemsForm):
    delta = WholeNumberField(_l("Change (e.g. -2 or 5)"), minimum=-QUANTITY_MAX, maximum=QUANTITY_MAX,
                             validators=[InputRequired(_WHOLE)])
    reason = TextField(_l("Reason"), validators=[
        DataRequired(_l("Give the reason for the adjustment.")), Length(max=NOTE_MAX)])

    def validate_delta(self, field) -> None:
        if field.data == 0:
            raise ValidationError(_l("An adjustment must change the quantity."))


class IssueForm(FlaskForm):
    # Who is identified by the people service (badge, 工号, uniform no. or name).
    who = TextField(_l("Employee (badge, staff no. or name)"), validators=[Length(max=64)])
    code = ChoiceField(_l("Item"), message=_CHOOSE)
    size = TextField(_l("Size (empty: from the employee's record)"),
                     validators=[Optional(), Length(max=16)])
    quantity = _quantity(_l("Quantity"), required=False, default=1)
    note = TextField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)])

    def __init__(self, *args, codes: Sequence[tuple[str, str]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.code.choices = [SelectChoice(code, name) for code, name in codes]


_REQUIRED = _l("Required.")
_ALLOWANCE_MAX = 99


class StockItemForm(FlaskForm):
    """An item in one size: its facts (the same on every size of the code) and the size's own levels."""

    code = TextField(_l("Code"), filters=[_code], validators=[
        DataRequired(_REQUIRED), Length(max=32),
        Regexp(CODE_PATTERN, message=_l("Letters A-Z, digits and - only."))])
    name_zh = TextField(_l("Chinese name"), validators=[DataRequired(_REQUIRED), Length(max=64)])
    name_en = TextField(_l("English name"), validators=[Optional(), Length(max=64)])
    kind = ChoiceField(_l("Kind"), message=_l("Choose the kind."),
                       choices=[SelectChoice(kind, _l(STOCK_KIND_LABELS[kind])) for kind in STOCK_KINDS])
    size = TextField(_l("Size (empty: one size)"), filters=[_code], validators=[Optional(), Length(max=16)])
    unit_cost = MoneyField(_l("Unit cost (CNY)"), validators=[Optional()])
    reorder_level = WholeNumberField(_l("Reorder level"), default=0, minimum=0, maximum=QUANTITY_MAX,
                                     validators=[InputRequired(_WHOLE)])
    monthly_allowance = WholeNumberField(_l("Monthly per person"), default=0, minimum=0, maximum=_ALLOWANCE_MAX,
                                         validators=[InputRequired(_WHOLE)])
    return_on_leaving = BooleanField(_l("Handed back when the person leaves"))
    active = BooleanField(_l("In use"), default=True)

    def to_data(self) -> ItemData:
        return ItemData(code=self.code.data, name_zh=self.name_zh.data, name_en=self.name_en.data or "",
                        kind=self.kind.data, size=self.size.data or "",
                        unit_cost=self.unit_cost.data if self.unit_cost.data is not None else Decimal("0"),
                        reorder_level=self.reorder_level.data, monthly_allowance=self.monthly_allowance.data,
                        return_on_leaving=bool(self.return_on_leaving.data), active=bool(self.active.data))
