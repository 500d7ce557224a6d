"""The clearance screens (离职退还): what a leaver holds, returns scanned against it, the slip they sign.

Counter work (clerks, supervisors); waiving a line is a supervisor's. Names and
amounts: signed-in staff only, never kept in the tablet's cache or history.
"""
from __future__ import annotations

import base64
from typing import Callable

from flask import abort, current_app, flash, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _

from ..domain.errors import DomainError
from ..domain.roles import COUNTER, MANAGERS
from ..extensions import db
from ..i18n import current_language, hotel_today, hotel_zone, money, now
from ..models import Employee
from ..printing import worker
from ..printing.routes import queue_once
from ..printing.services import enqueue
from ..request_keys import new_key
from ..stations.web import duplicate_seconds, render_result, scan_meta
from ..web import current_user, hotel_setting, htmx_redirect, is_htmx, refuse, render_page_or_fragment, roles
from ..writeoffs.services import Rules
from . import bp, services
from .forms import CloseForm, ReturnStockForm
from .models import Clearance, ClearanceLine


def _rules() -> Rules:
    return Rules.from_config(current_app.config, zone=hotel_zone(), table=hotel_setting("KIOSK_DEPRECIATION"))


def _clearance(clearance_id: int) -> Clearance:
    clearance = services.get(db.session, clearance_id)
    if clearance is None:
        abort(404)
    return clearance


def _labels() -> dict:
    return {"kind_labels": services.KIND_LABELS, "outcome_labels": services.OUTCOME_LABELS,
            "ending": services.ending}


def _lines_context(clearance: Clearance, error: str = "") -> dict:
    today, rules = hotel_today(), _rules()
    charges = {line.id: services.charge_if_lost(line, rules=rules, today=today)
               for line in clearance.lines if line.outcome == "open"}
    return dict(clearance=clearance, employee=clearance.employee, charges=charges, lines_error=error,
                lines_left=sum(1 for line in clearance.lines if line.outcome == "open"),
                charged=services.charged, still_out=services.still_out, **_labels())


def _detail(clearance: Clearance, *, result_html: str | None = None):
    return render_template("clearance/detail.html", station=services.STATION, result_html=result_html,
                           **_lines_context(clearance))


@bp.get("/")
@roles(*COUNTER)
def index():
    """Every clearance still open (the oldest first), and the latest closed ones."""
    return render_template("clearance/index.html", still_open=services.open_clearances(
        db.session, now_utc=now(), timezone=hotel_zone()), closed=services.recently_closed(db.session),
        **_labels())


@bp.get("/employee/<int:employee_id>")
@roles(*COUNTER)
def of_employee(employee_id: int):
    """The person's latest clearance (the employee page links here)."""
    employee = db.get_or_404(Employee, employee_id)
    clearance = services.latest_of(db.session, employee)
    if clearance is None:
        return refuse(_("%(name)s has no clearance: one opens when they are marked as left.", name=employee.name),
                      status=404, title=_("Not found"))
    return htmx_redirect(url_for(".detail", clearance_id=clearance.id))


@bp.get("/<int:clearance_id>")
@roles(*COUNTER)
def detail(clearance_id: int):
    """The list: each line and how it stands, the scan field for returns, the buttons for the rest.

    A garment that came back at another station (or was written off there)
    is settled here from the ledger first, so the list never asks for it.
    """
    clearance = _clearance(clearance_id)
    if services.reconcile(db.session, clearance):
        db.session.commit()
    return render_page_or_fragment("clearance/detail.html", "clearance/_lines.html", station=services.STATION,
                                   result_html=None, **_lines_context(clearance))


@bp.post("/<int:clearance_id>/scan")
@roles(*COUNTER)
def scan(clearance_id: int):
    """A garment of the list handed back: checked in, its line returned; any other is refused."""
    clearance = _clearance(clearance_id)
    result = services.take_back(db.session, clearance, request.form.get("code", ""), user=current_user(),
                                duplicate_seconds=duplicate_seconds(), meta=scan_meta())
    db.session.commit()
    clearance = _clearance(clearance_id)
    html = render_result(result, station=services.STATION, headline=_("Handed back"), log_row=False)
    return render_page_or_fragment(
        lambda answer: _detail(clearance, result_html=answer), html=html,
        oob=lambda: render_template("clearance/_lines.html", oob=True, **_lines_context(clearance)))


def _line(line_id: int) -> ClearanceLine:
    return db.get_or_404(ClearanceLine, line_id)


def _line_answer(line: ClearanceLine, command: Callable[[], object], error: str = ""):
    """Run ``command`` on a line (unless the form was refused with ``error``); answer with the
    list again, and why not when it was refused (nothing changed then)."""
    try:
        if not error:
            command()
            db.session.commit()
    except DomainError as refused:
        db.session.rollback()
        error = refused.translated(_)
    clearance = _clearance(line.clearance_id)
    if is_htmx():
        return render_template("clearance/_lines.html", **_lines_context(clearance, error))
    if error:
        flash(error, "error")
    return htmx_redirect(url_for(".detail", clearance_id=clearance.id))


@bp.post("/lines/<int:line_id>/return")
@roles(*COUNTER)
def return_stock(line_id: int):
    """Stock handed back, by count: on hand again; the line is returned once all are back."""
    line = _line(line_id)
    form = ReturnStockForm()
    error = "" if form.validate_on_submit() else str(next(iter(form.errors.values()))[0])
    return _line_answer(line, lambda: services.return_stock(
        db.session, line, form.quantity.data, user=current_user(), request_key=request.form.get("request_key")),
        error)


@bp.post("/lines/<int:line_id>/write-off")
@roles(*COUNTER)
def write_off(line_id: int):
    """未退还 → 报损: a garment's write-off charged to the leaver, or a stock item's charge."""
    line = _line(line_id)
    return _line_answer(line, lambda: services.write_off(
        db.session, line, user=current_user(), rules=_rules(), today=hotel_today(),
        request_key=request.form.get("request_key")))


@bp.post("/lines/<int:line_id>/waive")
@roles(*MANAGERS)
def waive(line_id: int):
    """A supervisor lets a line go: not returned, not charged."""
    line = _line(line_id)
    return _line_answer(line, lambda: services.waive(db.session, line, user=current_user(),
                                                     request_key=request.form.get("request_key")))


def _slip_page(clearance: Clearance, form: CloseForm | None = None, error: str = ""):
    found = services.summary(clearance, language=current_language(), money_text=money)
    return render_page_or_fragment(
        "clearance/slip.html", "clearance/_slip.html", clearance=clearance, employee=clearance.employee,
        summary=found, statement=services.STATEMENT, form=form or CloseForm(formdata=None), close_error=error, request_key=new_key(),
        signature_data=("data:image/png;base64," + base64.b64encode(clearance.signature_png).decode("ascii"))
        if clearance.signature_png else "",
        lines_left=sum(1 for line in clearance.lines if line.outcome == "open"), slip_no=services.slip_no(clearance),
        **_labels())


@bp.get("/<int:clearance_id>/slip")
@roles(*COUNTER)
def slip(clearance_id: int):
    """离职退还单 for the leaver to read and sign: returned, written off with the amounts, the total."""
    clearance = _clearance(clearance_id)
    if services.reconcile(db.session, clearance):
        db.session.commit()
    return _slip_page(clearance)


@bp.post("/<int:clearance_id>/close")
@roles(*COUNTER)
def close(clearance_id: int):
    """The leaver signed: the clearance closes (every line settled). Refused: why, on the slip."""
    clearance = _clearance(clearance_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return _slip_page(clearance, form)  # each field says why
    try:
        services.close(db.session, clearance, user=current_user(), signature_png=form.signature_png,
                       signed_on_paper=bool(form.signed_on_paper.data), request_key=request.form.get("request_key"),
                       now=now())
    except DomainError as refused:
        db.session.rollback()
        return _slip_page(_clearance(clearance_id), form, refused.translated(_))
    db.session.commit()
    flash(_("The clearance of %(name)s is closed.", name=clearance.employee.name), "success")
    return htmx_redirect(url_for(".slip", clearance_id=clearance_id))


@bp.post("/<int:clearance_id>/print")
@roles(*COUNTER)
def print_slip(clearance_id: int):
    """打印离职退还单 through the print queue (a double tap prints one)."""
    clearance = _clearance(clearance_id)
    back = url_for(".slip", clearance_id=clearance_id)
    try:
        document = services.slip(clearance, gettext=_, language=current_language(), clerk=current_user().name,
                                 when=format_datetime(now(), "yyyy-MM-dd HH:mm"), money_text=money)
    except DomainError as refused:  # nothing on it: the page offers no button then
        return refuse(refused.translated(_), status=400)
    return queue_once("print.clearance_slip", lambda: [enqueue(
        db.session, document, services.SLIP_KIND, current_user(), printer=worker.job_printer())],
        back)
