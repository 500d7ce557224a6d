"""Request plumbing shared by every blueprint.

- htmx helpers (after django-htmx): is this an htmx request, ``Vary``, redirects;
- access control: every view declares who may reach it (deny by default), the
  signed-in user is loaded once per request, and an idle kiosk locks itself;
- error pages that speak the user's language instead of a bare 400/403/500.
"""
from __future__ import annotations

import functools
import time
from typing import Callable

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from .extensions import db
from .i18n import now
from .models import User

PUBLIC = "public"
ANY_USER = "any"


# --- htmx helpers ---------------------------------------------------------

def is_htmx() -> bool:
    """True for an htmx request, but not for a history restore (needs the full page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def htmx_redirect(location: str) -> Response:
    """Redirect that works for both htmx (HX-Redirect) and plain requests."""
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location)


def render_page_or_fragment(page: str, fragment: str, **context) -> str:
    """One URL serves the full page or, for htmx, just the fragment it includes."""
    return render_template(fragment if is_htmx() else page, **context)


# --- access control -------------------------------------------------------

def public(view: Callable) -> Callable:
    """Reachable without signing in (login page, health check)."""
    view._access = PUBLIC  # type: ignore[attr-defined]
    return view


def roles(*allowed: str) -> Callable[[Callable], Callable]:
    """Reachable by signed-in users with one of ``allowed`` roles ("any" = everyone)."""

    def decorate(view: Callable) -> Callable:
        view._access = frozenset(allowed)  # type: ignore[attr-defined]
        return view

    return decorate


def access_of(view: Callable | None):
    return getattr(view, "_access", None)


def current_user() -> User | None:
    return g.get("user")


def _idle_limit_seconds() -> int:
    return int(current_app.config["KIOSK_IDLE_MINUTES"]) * 60


def _lock_to_login(message: str) -> Response:
    session.clear()
    flash(message, "warning")
    return htmx_redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


def enforce_access():
    """Before every request: deny by default, check the session and the role."""
    # A request shares ``g`` with an app context pushed around it (tests, CLI):
    # never let the previous request's user or CSRF token leak into this one.
    g.user = None
    g.pop("csrf_token", None)
    if request.endpoint is None:
        return None  # 404 follows
    if request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    access = access_of(view)
    if access is None:
        current_app.logger.error("view %s declares no access rule", request.endpoint)
        return _forbidden()
    user_id = session.get("user_id")
    if user_id is not None:
        seen = session.get("seen", 0)
        if time.time() - seen > _idle_limit_seconds():
            return _lock_to_login(_("The kiosk locked itself after a period without use. Please sign in again."))
        user = db.session.get(User, user_id)
        if user is None or not user.active:
            return _lock_to_login(_("Please sign in."))
        g.user = user
        # A background poll (htmx "every") must not keep an unattended kiosk open.
        if request.headers.get("X-Kiosk-Background") != "1":
            session["seen"] = int(time.time())
    if access == PUBLIC:
        return None
    if user_id is None:
        if request.endpoint == "main.home":
            return htmx_redirect(url_for("auth.login"))
        return _lock_to_login(_("Please sign in."))
    if ANY_USER not in access and g.user.role not in access:
        return _forbidden()
    return None


def _forbidden():
    message = _("Your role may not open this screen. Ask a supervisor.")
    return render_template("errors/message.html", title=_("Not allowed"), message=message), 403


def sign_in(user: User) -> None:
    lang = session.get("lang")
    session.clear()  # a fresh session: nothing of the previous operator carries over
    if lang:
        session["lang"] = lang
    session["user_id"] = user.id
    session["seen"] = int(time.time())
    session.permanent = False


def sign_out() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _csrf_error(error: CSRFError):
    message = _("This page had expired, so nothing was saved. Please try again.")
    if is_htmx():
        return render_template("errors/_toast.html", message=message), 400
    return render_template("errors/message.html", title=_("Please try again"), message=message), 400


def _not_found(_error):
    return render_template("errors/message.html", title=_("Not found"),
                           message=_("This page does not exist.")), 404


def _server_error(_error):
    db.session.rollback()
    return render_template("errors/message.html", title=_("Something went wrong"),
                           message=_("Nothing was saved. Please try again; if it happens again, tell a supervisor.")), 500


def _vary_on_htmx(response: Response) -> Response:
    response.vary.add("HX-Request")
    return response


def init_app(app: Flask) -> None:
    app.before_request(enforce_access)
    app.after_request(_vary_on_htmx)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(500, _server_error)
    from .auth.services import ROLE_LABELS
    from .domain.garment_states import STATUS_LABELS, Status

    app.jinja_env.globals.update(
        current_user=current_user,
        now_utc=now,
        role_label=lambda role: ROLE_LABELS.get(role, role),
        status_label=lambda status: STATUS_LABELS[Status(status)],
    )
