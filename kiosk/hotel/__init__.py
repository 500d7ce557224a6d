"""The hotel: demo or real (a band on every screen of the demo), the first-run screen.

What every request needs (is anyone set up, is this the demo) is read from
the database once and kept by the app: while nobody is set up it is read
again on each request (another process may have set the hotel up), and
after that only when this process sets up or removes something. A demo
removed by ``kiosk demo --remove`` in another process is therefore still
announced by a running server until it is restarted (the README says to
restart it; the restart also prints the setup code).
"""
from __future__ import annotations

import threading

from flask import Blueprint, Flask, current_app, g, redirect, request, url_for

from .services import HotelState, read_state

bp = Blueprint("hotel", __name__)

#: Endpoints that answer while the hotel has no operator (everything else goes to /setup).
_OPEN_BEFORE_SETUP = frozenset({"static", "main.healthz", "hotel.setup", "hotel.setup_post", "auth.language",
                                "main.manifest", "main.service_worker", "main.offline"})


class _Cache:
    def __init__(self) -> None:
        self.state: HotelState | None = None
        self.lock = threading.Lock()


def hotel_state() -> HotelState:
    """Set up? The demo? At most one read per request, none once the hotel is set up."""
    if "kiosk_hotel" in g:
        return g.kiosk_hotel
    from ..extensions import db

    cache: _Cache = current_app.extensions["kiosk_hotel"]
    state = cache.state
    if state is None or not state.set_up:
        state = read_state(db.session)
        with cache.lock:
            cache.state = state
    g.kiosk_hotel = state
    return state


def forget(app: Flask | None = None) -> None:
    """This process changed the hotel (set up, demo loaded or removed): read it again."""
    target = app or current_app
    target.extensions["kiosk_hotel"].state = None
    g.pop("kiosk_hotel", None)


def _first_run():
    """Before every request: while no operator exists, every page leads to the first-run screen."""
    g.pop("kiosk_hotel", None)  # a request shares ``g`` with an app context pushed around it
    if request.endpoint in _OPEN_BEFORE_SETUP:
        return None
    if not hotel_state().set_up:
        from ..web import htmx_redirect

        return htmx_redirect(url_for("hotel.setup"))
    return None


def demo_hotel() -> bool:
    """For the band in base.html: True in the demo. An error page still renders when the database is down."""
    from sqlalchemy.exc import SQLAlchemyError

    from ..extensions import db

    try:
        return hotel_state().is_demo
    except SQLAlchemyError:
        db.session.rollback()
        return False


def _banner():
    return {"demo_hotel": demo_hotel}


def init_app(app: Flask) -> None:
    """Before kiosk.web's access rule: a database without operators has nobody to sign in."""
    app.extensions["kiosk_hotel"] = _Cache()
    app.before_request(_first_run)
    app.context_processor(_banner)


from . import routes  # noqa: E402,F401
