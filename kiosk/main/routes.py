"""Home screen and health check."""
from __future__ import annotations

from flask import current_app, jsonify, render_template

from .. import health
from ..extensions import db
from ..web import current_user, public, roles
from . import bp
from .stations import stations_for


@bp.get("/")
@roles("any")
def home():
    """Tiles for the stations the signed-in user's role allows."""
    return render_template("main/home.html", stations=stations_for(current_user().role))


@bp.get("/healthz")
@public
def healthz():
    """200 when the kiosk can do its job, 503 with the reason when not (kiosk.health):
    the database reachable, writable, at this code's migration, with disk to spare.

    The print queue's state is in the body (``print``); a printer that is off or
    out of paper is reported there, never as a 503.
    """
    status, body = health.check(current_app._get_current_object(), db.session)
    return jsonify(body), status
