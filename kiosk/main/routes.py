"""Home screen and health check."""
from __future__ import annotations

from flask import jsonify, render_template
from sqlalchemy import text

from ..extensions import db
from ..printing.services import printer_state
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
    """200 when the database answers; 503 otherwise (for the hotel's monitoring).

    The body carries the print queue's state (``print``): what waits, what failed,
    and the printer as its latest job found it (``ok``, ``status_unknown``,
    ``failed``); a printer that is off or unknown is reported there, never as a 503.
    """
    try:
        db.session.execute(text("SELECT 1"))
        printing = printer_state(db.session)
    except Exception as error:  # any driver error means "not healthy"
        db.session.rollback()
        return jsonify(status="error", database=type(error).__name__), 503
    return jsonify(status="ok", database="ok", print=printing)
