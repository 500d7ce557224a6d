"""Ironing station (熨烫): scan each ironed garment (→ inspection); one tap flags a defect."""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _

from ..checklists import services as checklists
from ..checklists.routes import check_context
from ..domain.defects import DEFECTS
from ..domain.errors import N_
from ..domain.garment_states import Action
from ..domain.roles import EVERYONE, is_manager
from ..extensions import db
from ..i18n import hotel_day_bounds
from ..scanning import ERROR, ScanResult, scan_move, undo_last
from ..stations.web import duplicate_seconds, render_result, scan_meta, scan_log
from ..web import current_sign_in, current_user, render_page_or_fragment, roles, typed_form
from . import bp, services

STATION = "ironing"
RESULT = "ironing/_result.html"


def _page(result_html: str | None = None):
    user = current_user()
    rows = services.rejects_per_ironer(db.session, *hotel_day_bounds())
    mine = services.figures_of(rows, user)
    return render_template("ironing/station.html", station=STATION, result_html=result_html,
                           log=scan_log(db.session, STATION, user), mine=mine,
                           everyone=rows if is_manager(user) else None,
                           opening=check_context(checklists.IRONING_OPEN, next_url=url_for(".station")))


def _answer(result: ScanResult, headline: str, *, chips: bool, log_row: bool = True, note_used: bool = False):
    html = render_result(result, station=STATION, headline=headline, template=RESULT, log_row=log_row,
                         show_chips=chips and result.garment is not None and result.result != "error",
                         defects=DEFECTS, flagged=services.defects_of(result.garment) if result.garment else [])
    # The note field is the station's, outside the answer: scans (a scanner's
    # burst typed into it included) leave it as it is; a flag that took it empties it.
    oob = (lambda: render_template("ironing/_note.html", oob=True)) if note_used else None
    return render_page_or_fragment(_page, html=html, oob=oob)


@bp.get("/")
@roles(*EVERYONE)
def station():
    """The ironing page: the scan field, the answer with its defect chips, today's figures, the shift's list."""
    return _page()


@bp.post("/scan")
@roles(*EVERYONE)
def scan():
    """One garment ironed: dirty or ironing → ``inspection`` (from dirty it also counts a wash).

    Not before this sign-in's opening check (the panel above the scan field): until then a
    scan is refused, recorded nowhere, and says so.
    """
    not_yet = checklists.opening_refusal(db.session, checklists.IRONING_OPEN, current_sign_in())
    if not_yet is not None:
        return _answer(ScanResult(ERROR, request.form.get("code", "").strip(), error=not_yet), "", chips=False)
    result = scan_move(db.session, request.form.get("code", ""), Action.IRON, station=STATION,
                       user=current_user(), duplicate_seconds=duplicate_seconds(), meta=scan_meta())
    db.session.commit()
    return _answer(result, _("Ironed"), chips=True)


@bp.post("/flag")
@roles(*EVERYONE)
def flag():
    """One tap on a defect chip: recorded on the garment for the inspector; the status stays."""
    defect = request.form.get("defect", "")
    result = services.flag(db.session, request.form.get("tag", ""), defect, user=current_user(),
                           station=STATION, note=typed_form("note", N_("Note (optional), then tap a defect"))[:500],
                           request_key=request.form.get("request_key"))
    db.session.commit()
    headline = _("Flagged: %(defect)s", defect=_(DEFECTS[defect])) if result.ok else ""
    return _answer(result, headline, chips=True, note_used=result.ok)


@bp.post("/undo")
@roles(*EVERYONE)
def undo():
    """Undo this ironer's last scan or flag with a compensating event."""
    result = undo_last(db.session, station=STATION, user=current_user())
    db.session.commit()
    return _answer(result, _("Undone"), chips=False, log_row=False)
