"""The stock screen's forms: receive a delivery, issue to an employee, adjust after counting; an item itself.

Every value is checked here; what needs the database (who the employee is,
their size, enough on hand) is the services' to refuse.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..domain.names import STOCK_KIND_LABELS
from ..forms import ChoiceField, MoneyField, SelectChoice, WholeNumberField, strip
from ..forms import code as _code
from .catalogue import ItemData
from .models import STOCK_KINDS, StockItem
from .services import NOTE_MAX, QUANTITY_MAX

_WHOLE = _l("Enter the quantity as a whole number.")
_TOO_LARGE = _l("The quantity is too large.")
_CHOOSE = _l("Choose an item.")


def _quantity(label, *, required: bool = True, **kwargs) -> WholeNumberField:
    # Not required: left empty, it is one (an issue is usually one pair).
    return WholeNumberField(label, message=_WHOLE, validators=[
        InputRequired(_WHOLE) if required else Optional(),
        NumberRange(min=1, message=_l("The quantity must be at least 1.")),
        NumberRange(max=QUANTITY_MAX, message=_TOO_LARGE)], **kwargs)


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
    note = StringField(_l("Note (supplier, delivery note no.)"), filters=[strip],
                       validators=[Optional(), Length(max=NOTE_MAX)])


class AdjustForm(_ItemsForm):
    delta = WholeNumberField(_l("Change (e.g. -2 or 5)"), message=_WHOLE, validators=[InputRequired(_WHOLE)])
    reason = StringField(_l("Reason"), filters=[strip], validators=[
        DataRequired(_l("Give the reason for the adjustment.")), Length(max=NOTE_MAX)])

    def validate_delta(self, field) -> None:
        if field.data == 0:
            raise ValidationError(_l("An adjustment must change the quantity."))
        if abs(field.data) > QUANTITY_MAX:
            raise ValidationError(_TOO_LARGE)


class IssueForm(FlaskForm):
    # Who is identified by the people service (badge, 工号, uniform no. or name).
    who = StringField(_l("Employee (badge, staff no. or name)"), filters=[strip], validators=[Length(max=64)])
    code = ChoiceField(_l("Item"), message=_CHOOSE)
    size = StringField(_l("Size (empty: from the employee's record)"), filters=[strip],
                       validators=[Optional(), Length(max=16)])
    quantity = _quantity(_l("Quantity"), required=False, default=1)
    note = StringField(_l("Note"), filters=[strip], validators=[Optional(), Length(max=NOTE_MAX)])

    def __init__(self, *args, codes: Sequence[tuple[str, str]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.code.choices = [SelectChoice(code, name) for code, name in codes]


_REQUIRED = _l("Required.")
_ALLOWANCE_MAX = 99


class StockItemForm(FlaskForm):
    """An item in one size: its facts (the same on every size of the code) and the size's own levels."""

    code = StringField(_l("Code"), filters=[_code], validators=[
        DataRequired(_REQUIRED), Length(max=32),
        Regexp(r"^[A-Z0-9][A-Z0-9-]*$", message=_l("Letters A-Z, digits and - only."))])
    name_zh = StringField(_l("Chinese name"), filters=[strip], validators=[DataRequired(_REQUIRED), Length(max=64)])
    name_en = StringField(_l("English name"), filters=[strip], validators=[Optional(), Length(max=64)])
    kind = ChoiceField(_l("Kind"), message=_l("Choose the kind."),
                       choices=[SelectChoice(kind, _l(STOCK_KIND_LABELS[kind])) for kind in STOCK_KINDS])
    size = StringField(_l("Size (empty: one size)"), filters=[_code], validators=[Optional(), Length(max=16)])
    unit_cost = MoneyField(_l("Unit cost (CNY)"), validators=[Optional()])
    reorder_level = WholeNumberField(_l("Reorder level"), message=_WHOLE, default=0, validators=[
        InputRequired(_WHOLE), NumberRange(min=0, max=QUANTITY_MAX, message=_TOO_LARGE)])
    monthly_allowance = WholeNumberField(_l("Monthly per person"), message=_WHOLE, default=0, validators=[
        InputRequired(_WHOLE),
        NumberRange(min=0, max=_ALLOWANCE_MAX, message=_l("From 0 to %(max)s.", max=_ALLOWANCE_MAX))])
    return_on_leaving = BooleanField(_l("Handed back when the person leaves"))
    active = BooleanField(_l("In use"), default=True)

    def to_data(self) -> ItemData:
        return ItemData(code=self.code.data, name_zh=self.name_zh.data, name_en=self.name_en.data or "",
                        kind=self.kind.data, size=self.size.data or "",
                        unit_cost=self.unit_cost.data if self.unit_cost.data is not None else Decimal("0"),
                        reorder_level=self.reorder_level.data, monthly_allowance=self.monthly_allowance.data,
                        return_on_leaving=bool(self.return_on_leaving.data), active=bool(self.active.data))
