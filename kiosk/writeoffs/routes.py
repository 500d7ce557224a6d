"""Write-offs (报损) and compensation (赔偿): open, approve by a supervisor's PIN, settle, export."""
from __future__ import annotations

from flask import Response, abort, current_app, render_template, request, url_for
from flask_babel import format_datetime, gettext as _
from sqlalchemy.orm.exc import StaleDataError

from ..auth import guard
from ..auth.services import Policy
from ..domain import cells
from ..domain.errors import DomainError
from ..domain.roles import COUNTER, MANAGERS
from ..domain.typed import record_id
from ..extensions import db
from ..i18n import current_language, hotel_month, hotel_today, hotel_zone, money
from ..models import User
from ..properties import services as properties
from ..printing import services as printing
from ..printing import worker
from ..request_keys import new_key
from ..web import client_address, current_user, hotel_setting, htmx_redirect, render_page_or_fragment, roles
from . import bp, services
from .forms import CorrectionForm, WriteOffForm
from .models import Compensation, WriteOff


def _rules() -> services.Rules:
    return services.Rules.from_config(current_app.config, zone=hotel_zone(), table=hotel_setting("KIOSK_DEPRECIATION"))


def _labels() -> dict:
    return {"reasons": services.REASON_LABELS, "responsible_labels": services.RESPONSIBLE_LABELS,
            "comp_labels": services.COMPENSATION_LABELS}


@bp.get("/")
@roles(*COUNTER)
def index():
    """Scan a garment to write it off; what waits for approval; compensation not settled."""
    return render_template("writeoffs/index.html", pending=services.pending_write_offs(db.session),
                           open_comps=services.open_compensations(db.session), **_labels())


def _form(garment, error: str = "", form: WriteOffForm | None = None):
    """The form for ``garment``; refused, it comes back (status 200) with what was typed and why."""
    priced = services.quote(garment, hotel_today(), _rules())
    if form is None:
        who = services.responsible_for(db.session, garment)
        form = WriteOffForm(formdata=None, code=garment.tag, responsible=who.responsible, staff_no=who.staff_no,
                            borrower_name=who.borrower_name)
    context = dict(garment=garment, quote=priced, fee=_rules().unwashed_fee, error=error, form=form,
                   # A refused form wrote nothing: sent again, it is a new request.
                   request_key=new_key(), **_labels())
    return render_page_or_fragment("writeoffs/new.html", "writeoffs/_form.html", **context)


@bp.get("/new")
@roles(*COUNTER)
def new():
    """The write-off form for the scanned garment, with its value today."""
    try:
        garment = services.garment_for(db.session, request.args.get("code", ""))
    except DomainError as refused:
        return render_page_or_fragment(
            "writeoffs/index.html", "writeoffs/_scan_error.html", scan_error=refused.translated(_),
            pending=services.pending_write_offs(db.session), open_comps=services.open_compensations(db.session),
            **_labels())
    return _form(garment)


def _garment_or_400(code: str | None):
    try:
        return services.garment_for(db.session, code or "")
    except DomainError:
        abort(400)  # the page's own hidden tag: only a tampered form gets here


@bp.post("/new")
@roles(*COUNTER)
def create():
    """Open a pending write-off (nothing moves until a supervisor approves).

    The same form sent again (its request key) goes to the write-off it opened,
    even after the approval: the key is looked at before the garment.
    """
    form = WriteOffForm()
    if not form.validate_on_submit():
        return _form(_garment_or_400(form.code.data), form=form)
    try:
        write_off = services.open_write_off_for(
            db.session, form.code.data or "", reason=form.reason.data, responsible=form.responsible.data,
            user=current_user(), rules=_rules(), staff_no=form.staff_no.data or "",
            borrower_name=form.borrower_name.data or "", unwashed=form.unwashed.data, note=form.note.data or "",
            request_key=request.form.get("request_key"), today=hotel_today())
        db.session.commit()
    except DomainError as refused:
        db.session.rollback()
        return _form(_garment_or_400(form.code.data), refused.translated(_), form)
    return htmx_redirect(url_for("writeoffs.detail", write_off_id=write_off.id))


def _detail(write_off: WriteOff, error: str = "", correction: CorrectionForm | None = None):
    """The write-off's card; a refused correction comes back open, with its fields marked."""
    comp = write_off.compensation
    if correction is None and comp is not None:
        correction = CorrectionForm(formdata=None, status=comp.current_status, amount=comp.current_amount)
    return render_page_or_fragment("writeoffs/detail.html", "writeoffs/_detail.html", wo=write_off, error=error,
                                   approvers=services.approvers(db.session), correction=correction, **_labels())


@bp.get("/<int:write_off_id>")
@roles(*COUNTER)
def detail(write_off_id: int):
    """One write-off: the amount, the supervisor's approval, the compensation."""
    return _detail(db.get_or_404(WriteOff, write_off_id))


def _print_slip(write_off: WriteOff) -> None:
    when = format_datetime(write_off.approved_at, "yyyy-MM-dd HH:mm")
    document = services.slip(write_off, language=current_language(), gettext=_,
                             amount_text=money(write_off.amount), when=when)
    printing.enqueue(db.session, document, "compensation", current_user(), write_off.garment,
                     printer=worker.job_printer())


@bp.post("/<int:write_off_id>/approve")
@roles(*COUNTER)
def approve(write_off_id: int):
    """A supervisor approves on this tablet with their own PIN; then the garment is written off."""
    write_off = db.get_or_404(WriteOff, write_off_id)
    busy = guard.hold_back()  # a guess across supervisors waits here as at sign-in
    if busy:
        return _detail(write_off, guard.busy_message(busy))
    approver = properties.operator(db.session, request.form.get("approver_id", type=record_id))
    was_pending = write_off.status == "pending"
    try:
        services.approve(db.session, write_off, approver=approver, pin=request.form.get("pin", ""),
                         policy=Policy.from_config(current_app.config), client=client_address())
        if was_pending and write_off.compensation is not None:
            _print_slip(write_off)
        db.session.commit()
    except DomainError as refused:
        guard.failed(refused)  # and towards this address's delay
        db.session.commit()  # a wrong PIN counts towards the approver's lock; nothing else was changed
        return _detail(write_off, refused.translated(_))
    except StaleDataError:
        # The same approval landed from another tap at the same moment (the
        # garment's version changed under this one): it stands, slip and all.
        db.session.rollback()
        write_off = db.get_or_404(WriteOff, write_off_id)
        was_pending = False
    if was_pending and write_off.compensation is not None:
        worker.notify(current_app._get_current_object())
    return _detail(write_off)


@bp.post("/compensations/<int:compensation_id>/settle")
@roles(*MANAGERS)
def settle(compensation_id: int):
    """Mark a compensation paid or waived (a supervisor)."""
    compensation = db.get_or_404(Compensation, compensation_id)
    try:
        services.settle(db.session, compensation, request.form.get("status", ""), user=current_user())
        db.session.commit()
        error = ""
    except DomainError as refused:
        db.session.rollback()
        error = refused.translated(_)
    return _detail(compensation.write_off, error)


@bp.post("/compensations/<int:compensation_id>/correct")
@roles(*MANAGERS)
def correct(compensation_id: int):
    """A correcting record: the settled compensation stays as it was."""
    compensation = db.get_or_404(Compensation, compensation_id)
    form = CorrectionForm()
    if not form.validate_on_submit():
        return _detail(compensation.write_off, correction=form)
    try:
        services.correct(db.session, compensation, status=form.status.data, amount=form.amount.data,
                         reason=form.reason.data, user=current_user(), request_key=request.form.get("request_key"))
        db.session.commit()
        error = ""
    except DomainError as refused:
        db.session.rollback()
        error = refused.translated(_)
    return _detail(db.get_or_404(Compensation, compensation_id).write_off, error)


def _download(body: str | bytes, filename: str, mimetype: str = "text/csv") -> Response:
    response = Response(body.encode("utf-8") if isinstance(body, str) else body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return response


@bp.get("/payroll.csv")
@roles(*MANAGERS)
def payroll_csv():
    """Compensation owed by employees, not paid yet: for payroll deduction (personal data)."""
    return _download(services.payroll_csv(db.session, zone=hotel_zone()), f"payroll-{hotel_today():%Y%m%d}.csv")


@bp.get("/payroll.xlsx")
@roles(*MANAGERS)
def payroll_xlsx():
    """The payroll deduction as XLSX: staff numbers stay text (``00777``), amounts are numbers."""
    return _download(services.payroll_xlsx(db.session, zone=hotel_zone()), f"payroll-{hotel_today():%Y%m%d}.xlsx",
                     cells.XLSX_MIMETYPE)


def _month() -> str:
    return request.args.get("month") or hotel_month()


@bp.get("/statement")
@roles(*MANAGERS)
def statement():
    """制服消耗: each department's write-offs and compensation in a month."""
    month = _month()
    try:
        report = services.statement(db.session, month, zone=hotel_zone(), no_department=_("No department"))
        error = ""
    except DomainError as refused:
        report, error = None, refused.translated(_)
    return render_template("writeoffs/statement.html", report=report, month=report.month if report else month,
                           error=error), 400 if error else 200


@bp.get("/statement.csv")
@roles(*MANAGERS)
def statement_csv():
    """The month's statement for finance (CSV, UTF-8 with BOM)."""
    month = _month()
    try:
        report = services.statement(db.session, month, zone=hotel_zone(), no_department="无部门")
    except DomainError as refused:
        return Response(refused.translated(_), 400, mimetype="text/plain")
    return _download(services.statement_csv(report), f"consumption-{report.month}.csv")
