"""Named tablets: which printers a tablet's slips and tags go to, its stations' receipts.
(Their screen is the print screens': :mod:`kiosk.printing.tablets`.)

:func:`current_tablet` is this request's tablet (from its cookie, read once per request);
the cookie is sent again with every full page a named tablet opens, so it lasts as long as
the tablet is in use (a browser keeps a cookie 400 days at most).
"""
from __future__ import annotations

import datetime as dt

from flask import Flask, Response, g, request

from ..web import is_htmx
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
    if token is None and request.method == "GET" and not is_htmx() and response.status_code == 200:
        token = cookie_token()  # a full page: the cookie lasts another 400 days
        token = token if services._well_formed(token) else None
    if token is None:
        return response
    interface = current_app.session_interface
    response.set_cookie(services.COOKIE, token, max_age=int(dt.timedelta(days=services.COOKIE_DAYS).total_seconds())
                        if token else 0, path=interface.get_cookie_path(current_app),
                        secure=interface.get_cookie_secure(current_app), httponly=True, samesite="Lax")
    return response


def _forget_request(_error: BaseException | None = None) -> None:
    """At a request's end: an app context can outlive it (a test's, the command line's)."""
    g.pop("tablet", None)
    g.pop("tablet_cookie", None)


def init_app(app: Flask) -> None:
    app.after_request(_send_cookie)
    app.teardown_request(_forget_request)
    app.jinja_env.globals.update(current_tablet=current_tablet)

