"""Named tablets: which printers a tablet's slips and tags go to, its stations' receipts.
(Their screen is the print screens': :mod:`kiosk.printing.tablets`.)

:func:`current_tablet` is this request's tablet (from its cookie, read once per request).
The cookie is sent again with the first page a named tablet opens each day (and its use noted),
so it lasts as long as the tablet is in use (a browser keeps a cookie 400 days at most); never
with a static file or any answer that is not a page, and never for a token no tablet holds.
"""
from __future__ import annotations

import datetime as dt

from flask import Flask, Response, g, request

from ..web import TABLET_PROPERTY, is_htmx
from . import services

_UNREAD = object()


def cookie_token() -> str | None:
    return request.cookies.get(services.COOKIE)


def current_tablet():
    """This request's tablet (:class:`~kiosk.models.Tablet` in use), or None: not named, its
    cookie lost, or the entry retired. One query per request, only when the tablet has a cookie."""
    tablet = g.get("tablet", _UNREAD)
    if tablet is _UNREAD:
        from ..extensions import db

        token = cookie_token()
        tablet = services.by_token(db.session, token) if token else None
        g.tablet = tablet
    return tablet


def remember(token: str) -> None:
    """Send ``token`` as this tablet's cookie with the answer (after naming it)."""
    g.tablet_cookie = token
    g.pop("tablet", None)


def forget() -> None:
    """The tablet was retired from itself: its cookie goes."""
    g.tablet_cookie = ""


def _send_cookie(response: Response) -> Response:
    from flask import current_app

    token = g.get("tablet_cookie")
    if token is None and _renews(response):
        token = cookie_token()  # the first page of the day: the cookie lasts another 400 days
    if token is None:
        return response
    response.headers["Cache-Control"] = response.headers.get("Cache-Control") or "private, no-cache"
    if "private" not in response.headers["Cache-Control"] and "no-store" not in response.headers["Cache-Control"]:
        response.headers["Cache-Control"] += ", private"
    interface = current_app.session_interface
    response.set_cookie(services.COOKIE, token, max_age=int(dt.timedelta(days=services.COOKIE_DAYS).total_seconds())
                        if token else 0, path=interface.get_cookie_path(current_app),
                        secure=interface.get_cookie_secure(current_app), httponly=True, samesite="Lax")
    return response


def _renews(response: Response) -> bool:
    """Whether this answer renews the tablet's cookie: a whole page (not htmx, not a file) seen by
    a named tablet for the first time today; its use is noted (committed here)."""
    if (request.method != "GET" or is_htmx() or response.status_code != 200 or not cookie_token()
            or response.mimetype != "text/html"):
        return False
    from ..extensions import db

    try:
        tablet = current_tablet()
        if tablet is None or not services.seen(tablet):
            return False
        db.session.commit()
    except Exception:  # a busy database: the cookie is renewed another day
        db.session.rollback()
        return False
    return True


def _forget_request(_error: BaseException | None = None) -> None:
    """At a request's end: an app context can outlive it (a test's, the command line's)."""
    g.pop("tablet", None)
    g.pop("tablet_cookie", None)


def init_app(app: Flask) -> None:
    app.after_request(_send_cookie)
    app.teardown_request(_forget_request)
    app.jinja_env.globals.update(current_tablet=current_tablet)
    # A named tablet signs in at its own property (kiosk.web.sign_in_property).
    app.extensions.setdefault(TABLET_PROPERTY, []).append(
        lambda: tablet.property_id if (tablet := current_tablet()) is not None else None)

