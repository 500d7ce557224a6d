"""Inspection (质检) and slotting (配入) stations.

Inspection: a scan shows the garment on the table (it does not move it);
one of four big buttons routes it. Slotting: each passed garment is scanned
into its numbered slot; the page lists those still waiting.
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from ..domain.defects import DEFECTS
from ..domain.garment_states import Status
from ..domain.roles import COUNTER
from ..extensions import db
from ..scanning import ScanResult, undo_last
from ..stations.web import duplicate_seconds, render_result, scan_log
from ..web import current_user, is_htmx, render_page_or_fragment, roles
from . import bp, services
from .services import SLOT_STATION, STATION

HEADLINES = {
    "pass": lambda: _("Passed"),
    "rewash": lambda: _("Back to the wash"),
    "reiron": lambda: _("Back to ironing"),
    "tailor": lambda: _("Sent to the tailor"),
}


def _page(result_html: str | None = None):
    return render_template("inspection/station.html", station=STATION, result_html=result_html,
                           log=scan_log(db.session, STATION, current_user()))


def _answer(result: ScanResult, *, headline: str = "", log_row: bool = True, chosen=(), ticked=(),
            reprint: bool | None = None) -> str:
    """The answer: the garment's card (with the buttons) while it is on the table."""
    garment = result.garment
    on_table = garment is not None and garment.status == Status.INSPECTION.value
    html = render_result(
        result, station=STATION, headline=headline, template="inspection/_result.html", log_row=log_row,
        card=on_table, checks=services.CHECKS, defects=DEFECTS,
        flagged=services.flagged_defects(garment) if garment is not None else [],
        chosen=set(chosen), ticked=set(ticked), reprint=reprint, slot_number=services.slot_number,
        # A garment waiting for a decision is not "all fine": a neutral card.
        result_class="result-card" if on_table and result.ok else "",
        asks_for=services.DEFECT_REQUIRED, ask=_("What must the tailor mend? Choose it below, then send."),
    )
    return render_page_or_fragment(_page, html=html)


@bp.get("/")
@roles(*COUNTER)
def station():
    """The inspection table: scan a garment, then pass it or send it back."""
    return _page()


@bp.post("/scan")
@roles(*COUNTER)
def scan():
    """Show the scanned garment and the four routes; nothing is moved or written."""
    result = services.inspect(db.session, request.form.get("code", ""))
    return _answer(result, headline=_("Inspect"), log_row=False)


@bp.post("/act")
@roles(*COUNTER)
def act():
    """Pass, rewash, re-iron or send to the tailor (one of the four big buttons)."""
    action = request.form.get("action", "")
    chosen = request.form.getlist("defects")
    ticked = request.form.getlist("checks")
    result, reprint = services.act(
        db.session, request.form.get("code", ""), action, user=current_user(), defects=chosen,
        checks=ticked, request_key=request.form.get("request_key"),
        duplicate_seconds=duplicate_seconds())
    db.session.commit()
    headline = HEADLINES[action]() if action in HEADLINES else ""
    return _answer(result, headline=headline, chosen=chosen, ticked=ticked, reprint=reprint)


@bp.post("/undo")
@roles(*COUNTER)
def undo():
    """Undo this inspector's last routing with a compensating event."""
    result = undo_last(db.session, station=STATION, user=current_user())
    db.session.commit()
    return _answer(result, headline=_("Undone"), log_row=False)


# --- slotting ---------------------------------------------------------------

def _slot_page(result_html: str | None = None):
    return render_template("inspection/slotting.html", station=SLOT_STATION, result_html=result_html,
                           awaiting=services.awaiting_slot(db.session), slot_number=services.slot_number,
                           log=scan_log(db.session, SLOT_STATION, current_user()))


def _slot_answer(result: ScanResult, *, headline: str, log_row: bool = True) -> str:
    html = render_result(
        result, station=SLOT_STATION, headline=headline, template="inspection/_slot_answer.html",
        log_row=log_row, slot_number=services.slot_number,
        # The list of garments still to slot is refreshed in the same answer (out of band).
        awaiting=services.awaiting_slot(db.session) if is_htmx() else None,
    )
    return render_page_or_fragment(_slot_page, html=html)


@bp.get("/slot")
@roles(*COUNTER)
def slotting():
    """Slotting: scan each passed garment into its numbered slot."""
    return _slot_page()


@bp.post("/slot/scan")
@roles(*COUNTER)
def slot_scan():
    """A passed garment is in its slot (配入)."""
    result = services.slot_garment(db.session, request.form.get("code", ""), user=current_user())
    db.session.commit()
    return _slot_answer(result, headline=_("In its slot"))


@bp.post("/slot/undo")
@roles(*COUNTER)
def slot_undo():
    """Undo this clerk's last slotting scan: the garment waits for its slot again."""
    result = undo_last(db.session, station=SLOT_STATION, user=current_user())
    db.session.commit()
    return _slot_answer(result, headline=_("Undone"), log_row=False)
