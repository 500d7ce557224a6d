"""Sign-in screens."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..checklists import services as checklists
from ..config import LANGUAGES
from ..domain import pins
from ..domain.errors import DomainError
from ..domain.typed import record_id
from ..extensions import db
from ..i18n import translate_error
from .. import scope
from ..models import Property, User
from ..properties import services as properties
from ..web import (
    CHOSEN_PROPERTY,
    auth_log,
    client_address,
    current_sign_in,
    current_user,
    public,
    roles,
    safe_path,
    sign_in,
    sign_out,
)
from . import bp, guard
from .services import UNKNOWN_BADGE, Policy, check_pin, user_by_badge


def _safe_next() -> str:
    # Only a path on this kiosk: never a URL another site could plant (kiosk.web.safe_path).
    return safe_path(request.values.get("next"), url_for("main.home"))


def _here() -> int | None:
    """The property this sign-in screen is for; None: a group's screen with none chosen yet."""
    try:
        return scope.current(db.session)
    except scope.NoProperty:
        return None


def _login_page(error: str | None = None, selected: int | None = None, status: int = 200):
    here = _here()
    if here is None:
        return render_template("auth/choose_property.html", properties=properties.properties(db.session),
                               next=request.values.get("next", "")), status
    users = db.session.scalars(properties.operators_here(db.session).where(User.active.is_(True))
                               .order_by(User.role, User.name)).all()
    group = properties.several(db.session)
    return render_template("auth/login.html", users=users, error=error, selected=selected,
                           next=request.values.get("next", ""), property=db.session.get(Property, here) if group
                           else None), status


@bp.get("/login")
@public
def login():
    """The PIN pad: tap your name, type your PIN; or scan your badge."""
    if current_user():
        return redirect(url_for("main.home"))
    return _login_page()


@bp.post("/login")
@public
def login_pin():
    """Check a PIN; wrong PINs count towards the lock, and slow down this address (kiosk.auth.guard).

    What cannot be a PIN (empty, letters: a badge scanned while the PIN pad
    was showing) is never counted as a wrong PIN: a badge signs in by the
    badge, anything else asks for the PIN again.
    """
    user_id = request.form.get("user_id", type=record_id)
    pin = request.form.get("pin", "")
    if pin.strip() and not pins.could_be(pin):
        return _badge_sign_in(pin, selected=user_id)
    busy = guard.hold_back()
    if busy:
        return _login_page(guard.busy_message(busy, sign_in=True), selected=user_id, status=429)
    here = _here()
    if here is None:
        return _login_page()
    user = properties.operator(db.session, user_id)
    if user is None:
        return _login_page(_("Tap your name first."))
    if not pin:
        return _login_page(_("Type your PIN on the pad, then tap Sign in."), selected=user.id)
    try:
        check_pin(db.session, user, pin, Policy.from_config(current_app.config),
                  client=client_address(), signing_in=True)
    except DomainError as error:
        guard.failed(error)
        db.session.commit()  # the failed attempt is counted even though sign-in is refused
        return _login_page(translate_error(error), selected=user.id)
    db.session.commit()
    sign_in(user)
    return redirect(_safe_next())


@bp.post("/login/badge")
@public
def login_badge():
    """A badge scan (code + Enter from the wedge scanner) signs in at once (after the address's wait)."""
    return _badge_sign_in(request.form.get("badge", ""))


def _badge_sign_in(code: str, selected: int | None = None):
    """Sign in by the badge ``code``: the badge field's, or one scanned into the PIN field."""
    busy = guard.hold_back()
    if busy:
        return _login_page(guard.busy_message(busy, sign_in=True), selected=selected, status=429)
    here = _here()
    if here is None:
        return _login_page()
    try:
        user = user_by_badge(db.session, code, zone=current_app.config["BABEL_DEFAULT_TIMEZONE"])
        properties.check_member(db.session, user, here)
    except DomainError as error:
        # Never the code itself: who it would have named, if anyone.
        auth_log.warning("badge sign-in refused: %s (client %s)",
                         "unknown badge" if error.message == UNKNOWN_BADGE else str(error), client_address() or "-")
        guard.failed(error)
        db.session.commit()
        return _login_page(translate_error(error), selected=selected)
    db.session.commit()
    sign_in(user, method="badge")
    return redirect(_safe_next())


@bp.post("/login/property")
@public
def choose_property():
    """A group's sign-in screen with no named tablet: which hotel this browser signs in at (kept
    with the browser's session; a named tablet always signs in at its own)."""
    chosen = request.form.get("property_id", type=record_id)
    if chosen is not None and chosen in {p.id for p in properties.properties(db.session)}:
        session[CHOSEN_PROPERTY] = chosen
    elif request.form.get("change") == "1":
        session.pop(CHOSEN_PROPERTY, None)
    return redirect(url_for("auth.login", next=request.form.get("next") or None))


@bp.post("/alive")
@roles("any")
def alive():
    """The person is typing or tapping on this page (kiosk.js, at most once a minute):
    the idle limit counts from now, as it does after any request."""
    return "", 204


@bp.post("/logout")
@roles("any")
def logout():
    """Sign out (also what the idle lock does from the browser).

    Signing out of the ironing station shows its closing check first
    (``closing=skip``: sign out without it, recorded as missing).
    """
    idle = request.form.get("idle") == "1"
    if not idle and request.form.get("closing") != "skip" and checklists.offered_at_sign_out(
            db.session, current_sign_in(), current_user()):
        return redirect(url_for("checklists.sign_out_check"))
    sign_out("idle" if idle else "sign_out")
    if idle:
        # The page the lock fell on: signing in again brings the clerk back to it.
        flash(_("The kiosk locked itself after a period without use. Please sign in again."), "warning")
        return redirect(url_for("auth.login", next=safe_path(request.form.get("next"), None)))
    return redirect(url_for("auth.login"))


@bp.post("/language")
@public
def language():
    """Switch the interface language for this kiosk session."""
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        session["lang"] = lang
    return redirect(_safe_next())
