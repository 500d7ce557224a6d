"""The first-run screen (/setup): a real hotel in a database with no operator, by the setup code."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..domain.errors import DomainError
from ..extensions import db
from ..i18n import translate_error
from ..web import public
from . import bp, forget, hotel_state
from .forms import SetupForm
from .services import WrongSetupCode, claim_setup_code, set_up_hotel


def _page(form: SetupForm, status: int = 200):
    return render_template("hotel/setup.html", form=form), status


@bp.get("/setup")
@public
def setup():
    """Who holds the code the server printed sets up the hotel: its name and first admin."""
    if hotel_state().set_up:
        return redirect(url_for("auth.login"))
    return _page(SetupForm())


@bp.post("/setup")
@public
def setup_post():
    if hotel_state().set_up:
        return redirect(url_for("auth.login"))
    form = SetupForm()
    if not form.validate():
        return _page(form, 400)
    # A fresh transaction: the code's lock may have waited for someone else's setup.
    db.session.rollback()
    try:
        with claim_setup_code(current_app.instance_path, form.code.data):
            admin = set_up_hotel(db.session, hotel_name=form.hotel_name.data, admin_name=form.admin_name.data,
                                 pin=form.pin.data or "", hash_method=current_app.config["KIOSK_PIN_HASH_METHOD"])
            db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, WrongSetupCode):
            current_app.logger.warning("first-run screen: setup code refused (%s) from %s", error,
                                       request.remote_addr)
        form.form_errors.append(translate_error(error))
        forget()
        if hotel_state().set_up:  # someone else set it up meanwhile
            return redirect(url_for("auth.login"))
        return _page(form, 400)
    forget()
    current_app.logger.warning("hotel set up on the first-run screen; first admin %s", admin.name)
    flash(_("The hotel is set up. Sign in as %(name)s with the PIN you chose.", name=admin.name), "success")
    return redirect(url_for("auth.login"))
