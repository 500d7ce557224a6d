"""Check-in station."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from ..domain.garment_states import Action
from ..extensions import db
from ..main.stations import COUNTER
from ..scanning import scan_move, undo_last
from ..stations.web import duplicate_seconds, render_result, scan_log
from ..web import current_user, is_htmx, roles
from . import bp

STATION = "checkin"


def _page(result_html: str | None = None):
    return render_template("checkin/station.html", station=STATION, result_html=result_html,
                           log=scan_log(db.session, STATION, current_user()))


@bp.get("/")
@roles(*COUNTER)
def station():
    """The check-in page: one scan field, the answer, the shift's list."""
    return _page()


@bp.post("/scan")
@roles(*COUNTER)
def scan():
    """One dirty garment handed in: → ``dirty``."""
    result = scan_move(db.session, request.form.get("code", ""), Action.CHECK_IN, station=STATION,
                       user=current_user(), duplicate_seconds=duplicate_seconds())
    db.session.commit()
    html = render_result(result, station=STATION, headline=_("Checked in"))
    return html if is_htmx() else _page(html)


@bp.post("/undo")
@roles(*COUNTER)
def undo():
    """Undo this clerk's last check-in with a compensating event."""
    result = undo_last(db.session, station=STATION, user=current_user())
    db.session.commit()
    html = render_result(result, station=STATION, log_row=False, headline=_("Undone"))
    return html if is_htmx() else _page(html)

