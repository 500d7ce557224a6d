"""The alerts screen (提醒): channels, their test button, the thresholds, what was sent.

Supervisors and administrators only. Every POST only writes rows: the
worker sends (a request never waits for a robot).
"""
from __future__ import annotations

from flask import current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..domain.errors import DomainError
from ..domain.roles import MANAGERS
from ..extensions import db
from ..i18n import current_language, late, money, now, translate_error
from ..request_keys import new_key, parse_key
from ..web import current_user, htmx_redirect, refuse, roles
from . import bp, services, worker
from .forms import ChannelForm, SettingsForm
from .models import Alert, AlertChannel


def _latest_by_channel() -> dict[int, Alert]:
    """Each channel's newest alert (its row says how the last message went)."""
    newest = select(func.max(Alert.id)).group_by(Alert.channel_id)
    return {alert.channel_id: alert for alert in db.session.scalars(select(Alert).where(Alert.id.in_(newest)))}


def _edit_form(channel: AlertChannel, formdata=None) -> ChannelForm:
    return ChannelForm(formdata=formdata, new=False, prefix=f"c{channel.id}", name=channel.name,
                       kind=channel.kind, events=channel.event_codes, active=channel.active)


def _page(*, add_form: ChannelForm | None = None, edit: tuple[int, ChannelForm] | None = None,
          settings_form: SettingsForm | None = None):
    settings = services.settings_of(db.session)
    chans = services.channels(db.session)
    edit_forms = {channel.id: _edit_form(channel) for channel in chans}
    if edit is not None:
        edit_forms[edit[0]] = edit[1]
    return render_template(
        "alerts/index.html", channels=chans, edit_forms=edit_forms, editing=edit[0] if edit else None,
        add_form=add_form or ChannelForm(formdata=None, prefix="new", request_key=new_key()),
        settings_form=settings_form or SettingsForm(
            formdata=None, print_failing_minutes=settings.print_failing_minutes,
            stocktake_open_hours=settings.stocktake_open_hours,
            summary_hour="" if settings.summary_hour is None else str(settings.summary_hour)),
        latest=_latest_by_channel(), recent=services.recent(db.session),
        mask_url=services.mask_url, kind_labels=services.KIND_LABELS, event_labels=services.EVENT_LABELS,
        status_labels=services.STATUS_LABELS_ALERT, reason_of=services.reason_of,
        signed_kinds=services.SIGNED_KINDS,
    ), 200


def _channel_or_refusal(channel_id: int):
    channel = db.session.get(AlertChannel, channel_id)
    if channel is None:
        return None, refuse(_("This channel is not there any more."), status=404, title=_("Not found"))
    return channel, None


@bp.get("/")
@roles(*MANAGERS)
def index():
    """The channels (URL masked, secret never shown), the thresholds and the latest alerts."""
    return _page()


@bp.post("/channels")
@roles(*MANAGERS)
def add_channel():
    """A new channel; a refused form comes back (200) with each field's reason."""
    form = ChannelForm(prefix="new")
    if not form.validate_on_submit():
        return _page(add_form=form)
    try:
        channel = services.save_channel(db.session, form.data_for_service(), user=current_user())
    except DomainError as refusal:
        db.session.rollback()
        form.form_errors.append(translate_error(refusal))
        return _page(add_form=form)
    db.session.commit()
    flash(_("Channel %(name)s saved. Send a test to see that it reaches the group.", name=channel.name), "success")
    return htmx_redirect(url_for(".index"))


@bp.post("/channels/<int:channel_id>")
@roles(*MANAGERS)
def edit_channel(channel_id: int):
    """A channel changed: an empty URL or secret keeps the saved one."""
    channel, refused = _channel_or_refusal(channel_id)
    if refused:
        return refused
    form = ChannelForm(new=False, prefix=f"c{channel.id}")
    if not form.validate_on_submit():
        return _page(edit=(channel.id, form))
    try:
        services.save_channel(db.session, form.data_for_service(), user=current_user(), channel=channel)
    except DomainError as refusal:
        db.session.rollback()
        form.form_errors.append(translate_error(refusal))
        return _page(edit=(channel_id, form))
    db.session.commit()
    flash(_("Channel %(name)s saved.", name=channel.name), "success")
    return htmx_redirect(url_for(".index"))


@bp.post("/channels/<int:channel_id>/test")
@roles(*MANAGERS)
def test_channel(channel_id: int):
    """Queue a test message for the channel (the worker sends it within seconds) and say so."""
    channel, refused = _channel_or_refusal(channel_id)
    if refused:
        return refused
    try:
        key = parse_key(request.form.get("request_key")) or new_key()
    except DomainError:
        key = new_key()
    text = services.header(db.session, _words()) + _(
        "This is a test from the uniform room kiosk for %(channel)s. If you can read it here, alerts reach"
        " this group.", channel=channel.name)
    services.queue_test(db.session, channel, text, request_key=key, now=now())
    db.session.commit()
    worker.notify(current_app._get_current_object())
    flash(_("A test message for %(name)s is queued: it goes out within seconds. How it went shows below.",
            name=channel.name), "success")
    return htmx_redirect(url_for(".index"))


def _words() -> services.Words:
    return services.Words(gettext=_, late=late, money=money, language=current_language())


@bp.post("/channels/<int:channel_id>/active")
@roles(*MANAGERS)
def set_active(channel_id: int):
    """Switch a channel on or off (off: nothing new is queued for it, what waits stays)."""
    channel, refused = _channel_or_refusal(channel_id)
    if refused:
        return refused
    active = request.form.get("active") == "1"
    services.set_active(db.session, channel, active, user=current_user())
    db.session.commit()
    flash(_("%(name)s switched on.", name=channel.name) if active else _("%(name)s switched off.", name=channel.name),
          "success")
    return htmx_redirect(url_for(".index"))


@bp.post("/channels/<int:channel_id>/delete")
@roles(*MANAGERS)
def delete_channel(channel_id: int):
    """Remove a channel and its alerts."""
    channel, refused = _channel_or_refusal(channel_id)
    if refused:
        return refused
    name = channel.name
    services.delete_channel(db.session, channel)
    db.session.commit()
    flash(_("Channel %(name)s removed.", name=name), "success")
    return htmx_redirect(url_for(".index"))


@bp.post("/settings")
@roles(*MANAGERS)
def save_settings():
    """The thresholds: a refused form comes back (200) with the reason under its field."""
    form = SettingsForm()
    if not form.validate_on_submit():
        return _page(settings_form=form)
    services.save_settings(db.session, print_failing_minutes=form.print_failing_minutes.data,
                           stocktake_open_hours=form.stocktake_open_hours.data, summary_hour=form.hour,
                           user=current_user())
    db.session.commit()
    flash(_("Alert settings saved."), "success")
    return htmx_redirect(url_for(".index"))


@bp.post("/<int:alert_id>/retry")
@roles(*MANAGERS)
def retry(alert_id: int):
    """Send a failed alert again (a fresh round of attempts)."""
    queued = services.retry(db.session, alert_id, now=now())
    db.session.commit()
    if queued:
        worker.notify(current_app._get_current_object())
        flash(_("The alert is queued again."), "success")
    else:
        flash(_("This alert is not waiting for a retry."), "warning")
    return htmx_redirect(url_for(".index"))
