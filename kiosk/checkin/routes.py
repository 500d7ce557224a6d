"""Check-in station (收衣): scan dirty garments; optionally for one employee, or into a department's cart."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import people
from ..domain.garment_states import Action
from ..domain.roles import COUNTER
from ..domain.typed import record_id
from ..extensions import db
from ..i18n import hotel_day_bounds
from ..models import CheckinBatch, Employee, utcnow
from ..registry.services import list_departments
from ..scanning import ScanResult, scan_move, undo_last
from ..stations.web import duplicate_seconds, render_result, scan_meta, scan_log
from ..web import current_user, htmx_redirect, render_page_or_fragment, roles
from . import bp, services
from .forms import CartForm

STATION = "checkin"


def _selected_employee(source) -> Employee | None:
    # Taking garments back: a leaver is served like anyone (kiosk.people's leaver policy).
    return people.find_by_id(db.session, source.get("employee_id"))


def _selected_batch(source) -> CheckinBatch | None:
    batch_id = source.get("batch_id", type=record_id)
    return db.session.get(CheckinBatch, batch_id) if batch_id else None


def _context(employee: Employee | None, batch: CheckinBatch | None) -> dict:
    """What the page and the out-of-band panels show about the employee and the cart."""
    since, until = hotel_day_bounds()
    context: dict = {"employee": employee, "batch": batch, "batch_scanned": None, "batch_gap": None,
                     "tallies": []}
    if employee is not None:
        context["tallies"] = services.holdings(db.session, employee, station=STATION,
                                               since_utc=since, until_utc=until)
    if batch is not None:
        scanned = batch.scanned if batch.closed_at is not None else services.scanned_count(db.session, batch.id)
        context["batch_scanned"] = scanned
        gap = services.gap_message(batch.declared - scanned)
        context["batch_gap"] = _(gap[0], **gap[1]) if gap else None
    return context


def _page(employee: Employee | None = None, batch: CheckinBatch | None = None, *,
          result_html: str | None = None, who: str = "", match: people.Identified | None = None,
          batch_error: str = "", form: CartForm | None = None, status: int = 200):
    since, until = hotel_day_bounds()
    # The cart being scanned has its own live panel; the list shows the others.
    batches = [b for b in services.batches_of(db.session, since, until) if batch is None or b.id != batch.id]
    counts = services.open_batch_counts(db.session, [b.id for b in batches if b.closed_at is None])
    return render_template(
        "checkin/station.html", station=STATION, result_html=result_html,
        log=scan_log(db.session, STATION, current_user()),
        who=who, match=match, who_error=match.error.translated(_) if match and match.error else "",
        batches=batches, open_counts=counts,
        batch_error=batch_error, form=form or CartForm(formdata=None, departments=list_departments(db.session)),
        gap_text=_gap_text, **_context(employee, batch),
    ), status


def _gap_text(batch: CheckinBatch) -> str:
    gap = services.gap_message(batch.gap)
    return _(gap[0], **gap[1]) if gap else ""


@bp.get("/")
@roles(*COUNTER)
def station():
    """The check-in page: who is handing in (optional), the cart (optional), the scan field, the shift's list.

    ``?employee_id=`` / ``?batch_id=`` keep the choice (who is found by POST /who).
    """
    return _page(_selected_employee(request.args), _selected_batch(request.args))


@bp.post("/who")
@roles(*COUNTER)
def who():
    """Who is handing in: a badge, 工号, uniform no. or name, posted so that it
    stays out of the address (a badge code in the tablet's history would sign
    its operator in). One person found: the page with their id; else the
    candidates or "not found" on the page."""
    who = (request.form.get("who") or "").strip()
    batch = _selected_batch(request.form)
    match = people.identify(db.session, who, giving=False) if who else None
    if match is not None and match.employee is not None:
        return redirect(url_for(".station", employee_id=match.employee.id,
                                batch_id=batch.id if batch and not batch.closed_at else None))
    return _page(None, batch, who=who, match=match)


def _answer(result: ScanResult, employee: Employee | None, batch: CheckinBatch | None, headline: str,
            log_row: bool = True):
    """The scan answer; with htmx, the employee and cart panels come along out of band."""
    def panels() -> str:
        if employee is None and batch is None:
            return ""
        return render_template("checkin/_panels.html", oob=True, **_context(employee, batch))

    return render_page_or_fragment(lambda answer: _page(employee, batch, result_html=answer),
                                   html=render_result(result, station=STATION, headline=headline, log_row=log_row),
                                   oob=panels)


@bp.post("/scan")
@roles(*COUNTER)
def scan():
    """One dirty garment handed in: → ``dirty`` (into the open cart when one is chosen)."""
    employee = _selected_employee(request.form)
    batch = _selected_batch(request.form)
    result = scan_move(db.session, request.form.get("code", ""), Action.CHECK_IN, station=STATION,
                       user=current_user(), duplicate_seconds=duplicate_seconds(), meta=scan_meta(),
                       batch_id=batch.id if batch is not None else None,
                       check=services.batch_check(batch) if batch is not None else None)
    if result.ok and result.event is not None:
        for warning in (services.held_by_someone_else(result.event, employee),
                        services.other_department(result.event, batch) if batch is not None else None):
            if warning is not None:
                result.warnings.append(warning)
    db.session.commit()
    return _answer(result, employee, batch, _("Checked in"))


@bp.post("/undo")
@roles(*COUNTER)
def undo():
    """Undo this clerk's last check-in with a compensating event."""
    employee = _selected_employee(request.form)
    batch = _selected_batch(request.form)
    result = undo_last(db.session, station=STATION, user=current_user())
    db.session.commit()
    return _answer(result, employee, batch, _("Undone"), log_row=False)


@bp.post("/batch")
@roles(*COUNTER)
def open_batch():
    """Open a department's cart with the declared count (a repeat opens nothing new)."""
    form = CartForm(departments=list_departments(db.session))
    if not form.validate_on_submit():
        # Shown again (status 200) with each field's reason, the cart form left open.
        return _page(_selected_employee(request.form), batch_error=_("Nothing was saved."), form=form)
    batch, _created = services.open_batch(db.session, department=form.department, declared=form.declared.data,
                                          user=current_user(), note=form.note.data or "")
    db.session.commit()
    return htmx_redirect(url_for("checkin.station", batch_id=batch.id))


@bp.post("/batch/<int:batch_id>/close")
@roles(*COUNTER)
def close_batch(batch_id: int):
    """Close the cart: the scanned count is kept against the declared one; closing again changes nothing."""
    batch = db.get_or_404(CheckinBatch, batch_id)
    services.close_batch(db.session, batch, at=utcnow())
    db.session.commit()
    return htmx_redirect(url_for("checkin.station", batch_id=batch.id))
