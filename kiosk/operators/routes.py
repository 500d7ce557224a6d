"""Operators screens: the list, adding one, an operator's page (its actions and history),
and the operator's own change of PIN.

Admins and supervisors open the screen (``OPERATOR_MANAGERS``); what each may
change is the services' rule (:func:`kiosk.domain.roles.may_manage`), checked
again for every POST whatever the page offered. Plain forms, post/redirect/get:
each action lands back on the operator's page with what happened. The one
exception is a PIN reset, whose answer page shows the one-time PIN once (the
blueprint's answers are never stored) and redirects nowhere, so it is in no URL.
"""
from __future__ import annotations

from typing import Callable

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..auth import guard
from ..auth.services import Policy
from ..domain.errors import DomainError
from ..domain.roles import OPERATOR_MANAGERS, grantable
from ..extensions import db
from ..i18n import translate_error
from ..models import User
from ..properties import services as properties
from ..web import client_address, current_user, roles, sign_out
from . import bp, forms, services
from .services import Actor


def _actor() -> Actor:
    return Actor(user=current_user())


def _operator_or_404(user_id: int) -> User:
    """An operator of this hotel (another hotel's is not found here)."""
    user = properties.operator(db.session, user_id)
    if user is None:
        abort(404)
    return user


def _operator_page(user: User, *, one_time_pin: str | None = None, status: int = 200):
    actor = current_user()
    return render_template(
        "operators/operator.html", user=user, history=services.history(db.session, user),
        may_manage=services.may_manage_user(actor, user), locked=services.is_locked(user),
        has_badge=services.has_badge(user), role_form=forms.RoleForm(roles=grantable(actor), role=user.role),
        badge_form=forms.BadgeForm(formdata=None),
        link_form=forms.EmployeeLinkForm(formdata=None, staff_no=user.employee.staff_no if user.employee else ""),
        one_time_pin=one_time_pin, detail=services.detail,
        action_label=lambda action: services.ACTION_LABELS.get(action, action),
        badge_label=lambda what: services.BADGE_LABELS.get(what, what)), status


def _back(user: User):
    return redirect(url_for(".operator", user_id=user.id))


def _change(user_id: int, change: Callable, done: Callable[[User, object], str | None]):
    """Run ``change(session, actor, user)``, commit, and land on the operator's page with
    what happened (``done``) or why nothing did."""
    user = _operator_or_404(user_id)
    try:
        result = change(db.session, _actor(), user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(translate_error(error), "error")
        return _back(user)
    message = done(user, result)
    if message:
        flash(message, "success")
    return _back(user)


def _form_refused(form) -> str:
    return next((error for errors in form.errors.values() for error in errors), _("Please try again."))


@bp.get("/")
@roles(*OPERATOR_MANAGERS)
def index():
    """Everyone who signs in: role, badge, last sign-in, locked, active."""
    return render_template("operators/index.html", operators=services.operators(db.session),
                           has_badge=services.has_badge, is_locked=services.is_locked,
                           may_manage=lambda user: services.may_manage_user(current_user(), user))


@bp.route("/new", methods=["GET", "POST"])
@roles(*OPERATOR_MANAGERS)
def new():
    """Add an operator with a first PIN they replace at their first sign-in."""
    form = forms.OperatorForm(roles=grantable(current_user()))
    if form.validate_on_submit():
        try:
            user = services.add_operator(db.session, _actor(), form.name.data, form.role.data, form.pin.data,
                                         hash_method=current_app.config["KIOSK_PIN_HASH_METHOD"],
                                         badge_code=form.badge.data or None)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(translate_error(error))
        else:
            flash(_("%(name)s added. They choose their own PIN at the first sign-in.", name=user.name), "success")
            return _back(user)
    return render_template("operators/new.html", form=form)


@bp.get("/<int:user_id>")
@roles(*OPERATOR_MANAGERS)
def operator(user_id: int):
    """One operator: what may be changed, and every change so far."""
    return _operator_page(_operator_or_404(user_id))


@bp.post("/<int:user_id>/role")
@roles(*OPERATOR_MANAGERS)
def role(user_id: int):
    form = forms.RoleForm(roles=grantable(current_user()))
    if not form.validate():
        flash(_form_refused(form), "error")
        return _back(_operator_or_404(user_id))
    return _change(user_id, lambda session, actor, user: services.change_role(session, actor, user, form.role.data),
                   lambda user, changed: _("%(name)s is now %(role)s.", name=user.name,
                                           role=_(services.LABELS[user.role])) if changed else None)


@bp.post("/<int:user_id>/reset-pin")
@roles(*OPERATOR_MANAGERS)
def reset_pin(user_id: int):
    """A one-time PIN, shown on this answer only: tell it to the operator, who replaces it."""
    user = _operator_or_404(user_id)
    try:
        pin = services.reset_pin(db.session, _actor(), user, hash_method=current_app.config["KIOSK_PIN_HASH_METHOD"])
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(translate_error(error), "error")
        return _back(user)
    return _operator_page(user, one_time_pin=pin)


@bp.post("/<int:user_id>/badge")
@roles(*OPERATOR_MANAGERS)
def badge(user_id: int):
    """The badge scanned into the field (code + Enter) becomes the operator's."""
    form = forms.BadgeForm()
    if not form.validate():
        flash(_form_refused(form), "error")
        return _back(_operator_or_404(user_id))
    messages = {"assigned": _("Badge assigned to %(name)s."), "replaced": _("Badge of %(name)s replaced.")}
    return _change(user_id, lambda session, actor, user: services.set_badge(session, actor, user, form.badge.data),
                   lambda user, happened: messages[happened] % {"name": user.name})


@bp.post("/<int:user_id>/badge/revoke")
@roles(*OPERATOR_MANAGERS)
def revoke_badge(user_id: int):
    return _change(user_id, services.revoke_badge,
                   lambda user, had: _("Badge of %(name)s revoked.", name=user.name) if had else None)


@bp.post("/<int:user_id>/employee")
@roles(*OPERATOR_MANAGERS)
def employee(user_id: int):
    """Link the operator to their employee record (by 工号): they then share its badge."""
    form = forms.EmployeeLinkForm()
    if not form.validate():
        flash(_form_refused(form), "error")
        return _back(_operator_or_404(user_id))
    return _change(user_id, lambda session, actor, user: services.link_employee(session, actor, user,
                                                                                form.staff_no.data),
                   lambda user, _result: _("Saved."))


@bp.post("/<int:user_id>/deactivate")
@roles(*OPERATOR_MANAGERS)
def deactivate(user_id: int):
    return _change(user_id, services.deactivate,
                   lambda user, done: _("%(name)s can no longer sign in.", name=user.name) if done else None)


@bp.post("/<int:user_id>/reactivate")
@roles(*OPERATOR_MANAGERS)
def reactivate(user_id: int):
    return _change(user_id, services.reactivate,
                   lambda user, done: _("%(name)s may sign in again.", name=user.name) if done else None)


@bp.post("/<int:user_id>/unlock")
@roles(*OPERATOR_MANAGERS)
def unlock(user_id: int):
    return _change(user_id, services.unlock, lambda user, _was: _("%(name)s is unlocked.", name=user.name))


@bp.route("/my-pin", methods=["GET", "POST"])
@roles("any")
def change_pin():
    """Choose your own PIN: the current one, then the new one twice.

    Where every page leads while the PIN was set by someone else
    (``must_change_pin``, see :func:`kiosk.web.enforce_access`). A new PIN
    ends the operator's sign-ins: they sign in again with it.
    """
    user = current_user()
    form = forms.ChangePinForm()
    if form.validate_on_submit():
        busy = guard.hold_back()  # a wrong current PIN slows this address down, as at sign-in
        if busy:
            form.form_errors.append(guard.busy_message(busy))
            return render_template("operators/change_pin.html", form=form, required=user.must_change_pin), 429
        try:
            services.change_own_pin(db.session, user, form.current.data, form.new.data,
                                    policy=Policy.from_config(current_app.config), client=client_address())
        except DomainError as error:
            guard.failed(error)
            db.session.commit()  # a wrong current PIN is counted, as at sign-in
            form.form_errors.append(translate_error(error))
        else:
            db.session.commit()
            sign_out()
            flash(_("Your new PIN is set. Sign in with it."), "success")
            return redirect(url_for("auth.login"))
    return render_template("operators/change_pin.html", form=form, required=user.must_change_pin)
