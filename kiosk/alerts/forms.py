"""The alerts screen's forms: a channel (robot, URL, secret, events) and the room's thresholds."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, widgets
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..domain.errors import DomainError
from ..forms import ChoiceField, SelectChoice, TextField, WholeNumberField
from . import services


class EventsField(SelectMultipleField):
    """The events as check boxes; an unknown one (a stale or tampered page) is refused in the room's words."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        if not self.data:
            raise ValidationError(gettext("Choose at least one event."))
        if any(value not in services.EVENTS for value in self.data):
            raise ValidationError(gettext("Choose events from the list."))


class ChannelForm(FlaskForm):
    """A channel: a new one needs its URL; an edit keeps the saved URL and secret when left empty."""

    name = TextField(_l("Name (which group it is)"), validators=[
        DataRequired(_l("Give the channel a name, such as the group's.")),
        Length(max=services.NAME_MAX, message=_l("At most %(max)d characters.", max=services.NAME_MAX))])
    kind = ChoiceField(_l("Robot"), message=_l("Choose the kind of robot."),
                       choices=[SelectChoice(code, label) for code, label in services.KIND_LABELS.items()])
    url = TextField(_l("Webhook URL"), render_kw={"autocomplete": "off", "spellcheck": "false",
                                                  "inputmode": "url"})
    secret = TextField(_l("Signing secret (加签 / 签名校验), if the robot has one"),
                       render_kw={"autocomplete": "off", "spellcheck": "false", "type": "password"})
    no_secret = BooleanField(_l("Remove the saved signing secret"))
    events = EventsField(_l("Send these"), choices=[SelectChoice(code, label)
                                                    for code, label in services.EVENTS.items()])
    active = BooleanField(_l("Switched on"), default=True)
    request_key = HiddenField()

    def __init__(self, *args: Any, new: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.new = new
        # the choices' labels in the reader's language
        self.kind.choices = [SelectChoice(code, gettext(label)) for code, label in services.KIND_LABELS.items()]
        self.events.choices = [SelectChoice(code, gettext(label)) for code, label in services.EVENTS.items()]

    def validate_url(self, field) -> None:
        if not field.data and not self.new:
            return  # keep the saved one
        try:
            field.data = services.check_url(field.data)
        except DomainError as refused:
            raise ValidationError(refused.translated(gettext)) from None

    def validate_secret(self, field) -> None:
        if not field.data:
            return
        if self.kind.data not in services.SIGNED_KINDS:
            raise ValidationError(gettext("A WeCom group robot has no signing secret: leave this empty."))
        if len(field.data) > services.SECRET_MAX or any(ch.isspace() for ch in field.data):
            raise ValidationError(gettext("Paste the secret as the robot shows it (no spaces, at most %(max)d"
                                          " characters).", max=services.SECRET_MAX))

    def data_for_service(self) -> services.ChannelData:
        secret = "" if self.no_secret.data else (self.secret.data or None)
        return services.ChannelData(name=self.name.data, kind=self.kind.data, events=tuple(self.events.data or ()),
                                    active=bool(self.active.data), url=self.url.data or None, secret=secret)


_HOURS = _l("Choose the hour, or no morning summary.")


class SettingsForm(FlaskForm):
    """The thresholds: minutes of failing prints, hours of an open stocktake, the summary's hour."""

    print_failing_minutes = WholeNumberField(_l("Prints failing for longer than (minutes)"), minimum=1,
                                             maximum=24 * 60,
                                             validators=[InputRequired(_l("Write a number of minutes."))])
    stocktake_open_hours = WholeNumberField(_l("A stocktake open for longer than (hours)"), minimum=1,
                                            maximum=31 * 24,
                                            validators=[InputRequired(_l("Write a number of hours."))])
    summary_hour = ChoiceField(_l("Morning summary at (hotel time)"), message=_HOURS,
                               choices=[SelectChoice("", "-")] + [SelectChoice(str(h), f"{h:02d}:00")
                                                                  for h in range(24)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.summary_hour.choices = [SelectChoice("", gettext("No morning summary"))] + [
            SelectChoice(str(h), f"{h:02d}:00") for h in range(24)]

    @property
    def hour(self) -> int | None:
        return int(self.summary_hour.data) if self.summary_hour.data else None
