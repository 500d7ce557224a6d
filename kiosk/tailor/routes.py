"""Tailor (裁缝间) station: send out for mending (送出), receive back (取回).

The mode travels with every scan (a radio inside the scan form), so the
clerk switches with one tap and the scanner keeps typing into the same field.
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from ..domain.defects import DEFECTS
from ..domain.roles import COUNTER
from ..extensions import db
from ..inspection.services import DEFECT_REQUIRED
from ..models import utcnow
from ..scanning import ScanResult, undo_last
from ..stations.web import duplicate_seconds, render_result, scan_meta, scan_log
from ..web import current_user, hotel_setting, is_htmx, render_page_or_fragment, roles
from . import bp, services
from .services import SEND, STATION


def _mode(value: str | None) -> str:
    return value if value in services.MODES else SEND


def _board_context() -> dict:
    limit_days = int(hotel_setting("KIOSK_TAILOR_DAYS"))
    return {"rows": services.at_tailor(db.session, utcnow(), limit_days),
            "limit_days": limit_days, "defects_labels": DEFECTS}


def _page(mode: str, result_html: str | None = None):
    return render_template("tailor/station.html", station=STATION, mode=mode, result_html=result_html,
                           log=scan_log(db.session, STATION, current_user()), **_board_context())


def _answer(result: ScanResult, mode: str, *, headline: str, log_row: bool = True, chosen=()) -> str:
    # Refused only for want of a defect: offer the defect chips right in the answer.
    choose = (result.error is not None and result.error.message == DEFECT_REQUIRED
              and result.garment is not None)
    html = render_result(
        result, station=STATION, headline=headline, template="tailor/_answer.html", log_row=log_row,
        mode=mode, choose_defect=choose, defects=DEFECTS, chosen=set(chosen),
        asks_for=DEFECT_REQUIRED, ask=_("What must the tailor mend? Choose it below, then send."),
        # The list of garments at the tailor is refreshed in the same answer (out of band).
        board=_board_context() if is_htmx() else None,
    )
    return render_page_or_fragment(lambda answer: _page(mode, answer), html=html)


@bp.get("/")
@roles(*COUNTER)
def station():
    """The tailor station: send out or receive back, and who has been out how long."""
    return _page(_mode(request.args.get("mode")))


@bp.post("/scan")
@roles(*COUNTER)
def scan():
    """One garment sent out (→ at the tailor) or received back (→ inspection)."""
    mode = _mode(request.form.get("mode"))
    chosen = request.form.getlist("defects")
    result = services.scan(db.session, request.form.get("code", ""), mode, user=current_user(),
                           defects=chosen, request_key=request.form.get("request_key"),
                           duplicate_seconds=duplicate_seconds(), meta=scan_meta())
    db.session.commit()
    headline = _("Sent to the tailor") if mode == SEND else _("Back from the tailor")
    return _answer(result, mode, headline=headline, chosen=chosen)


@bp.post("/undo")
@roles(*COUNTER)
def undo():
    """Undo this clerk's last tailor scan with a compensating event."""
    mode = _mode(request.form.get("mode"))
    result = undo_last(db.session, station=STATION, user=current_user())
    db.session.commit()
    return _answer(result, mode, headline=_("Undone"), log_row=False)
