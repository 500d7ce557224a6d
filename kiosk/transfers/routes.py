"""Transfers between the group's hotels (调拨): the sender packs and sends (supervisors), the
receiver scans in (the counter). Routes are thin: a form or a scan, a service, a template."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..domain.errors import DomainError
from ..domain.roles import COUNTER, MANAGERS, is_manager
from ..extensions import db
from ..i18n import current_language, translate_error, type_name
from ..printing import services as printing
from ..printing.worker import job_printer, notify
from ..properties import services as properties
from ..stations.web import render_result, scan_meta
from ..web import current_user, htmx_redirect, refuse, render_page_or_fragment, roles
from . import bp, services
from .forms import NewTransferForm, StockLineForm

STATION = services.STATION


def _request_key() -> str | None:
    return request.form.get("request_key") or None


def _new_form(formdata=None) -> NewTransferForm:
    return NewTransferForm(formdata=formdata, destinations=services.destinations(db.session), label=properties.label)


def _index(form: NewTransferForm | None = None, error: str = "", status: int = 200):
    user = current_user()
    manager = is_manager(user)
    return render_template(
        "transfers/index.html", station=STATION, manager=manager,
        outgoing=services.outgoing(db.session) if manager else [],
        incoming=services.incoming(db.session), form=form or _new_form(), error=error,
        hotel=_hotel_names()), status


def _hotel_names() -> dict[int, str]:
    return {p.id: properties.label(p) for p in properties.properties(db.session, active_only=False)}


@bp.get("/")
@roles(*COUNTER)
def index():
    """The transfers of this hotel: those addressed to it (to scan in), and, for a supervisor,
    those it sent and a new one."""
    return _index()


@bp.post("/new")
@roles(*MANAGERS)
def new():
    """Open a transfer to another hotel of the group (a repeat of the request opens one)."""
    form = _new_form(request.form)
    if not form.validate_on_submit():
        return _index(form, _("Nothing was saved."))
    try:
        transfer = services.open_transfer(db.session, to_property_id=form.to_property_id.data, user=current_user(),
                                          note=form.note.data or "", request_key=_request_key())
    except DomainError as refused:
        db.session.rollback()
        return _index(form, translate_error(refused))
    db.session.commit()
    return htmx_redirect(url_for(".packing", transfer_id=transfer.id))


def _own(transfer_id: int):
    transfer = services.get(db.session, transfer_id)
    if transfer is None:
        abort(404)
    return transfer


def _packing(transfer, *, result_html: str | None = None, stock_form: StockLineForm | None = None,
             error: str = "", status: int = 200):
    return render_template(
        "transfers/packing.html", station=STATION, transfer=transfer, result_html=result_html,
        stock_form=stock_form or StockLineForm(formdata=None), error=error, hotel=_hotel_names(),
        log=[]), status


@bp.get("/<int:transfer_id>")
@roles(*MANAGERS)
def packing(transfer_id: int):
    """A transfer of this hotel: scan its garments out, add stock, send or cancel it."""
    return _packing(_own(transfer_id))


@bp.post("/<int:transfer_id>/scan")
@roles(*MANAGERS)
def scan_out(transfer_id: int):
    """One garment scanned onto the transfer: 调拨途中, still this hotel's until it is received."""
    transfer = _own(transfer_id)
    result = services.scan_out(db.session, transfer, request.form.get("code", ""), user=current_user(),
                               meta=scan_meta())
    db.session.commit()
    html = render_result(result, station=STATION, headline=_("On the transfer"), log_row=False)
    return render_page_or_fragment(lambda answer: _packing(transfer, result_html=answer), html=html,
                                   oob=lambda: render_template("transfers/_lines.html", transfer=transfer, oob=True))


@bp.post("/<int:transfer_id>/stock")
@roles(*MANAGERS)
def add_stock(transfer_id: int):
    """N of a stock item onto the transfer, off this hotel's shelf now (never more than on hand)."""
    transfer = _own(transfer_id)
    form = StockLineForm(request.form)
    if not form.validate_on_submit():
        return _packing(transfer, stock_form=form, error=_("Nothing was saved."))
    try:
        services.add_stock(db.session, transfer, code=(form.code.data or "").upper(), size=form.size.data or "",
                           quantity=form.quantity.data, user=current_user(), request_key=_request_key(),
                           language=current_language())
    except DomainError as refused:
        db.session.rollback()
        return _packing(transfer, stock_form=form, error=translate_error(refused))
    db.session.commit()
    return htmx_redirect(url_for(".packing", transfer_id=transfer.id))


@bp.post("/<int:transfer_id>/lines/<int:transfer_line_id>/remove")
@roles(*MANAGERS)
def remove_line(transfer_id: int, transfer_line_id: int):
    """Take a garment off a transfer still being packed: back in this hotel's stock."""
    transfer = _own(transfer_id)
    try:
        services.remove_garment(db.session, transfer, transfer_line_id, user=current_user())
    except DomainError as refused:
        db.session.rollback()
        return refuse(translate_error(refused), status=409)
    db.session.commit()
    return htmx_redirect(url_for(".packing", transfer_id=transfer.id))


def _queue_slip(transfer):
    """The transfer slip, on the printer beside this tablet (once per request key)."""
    user = current_user()
    slip = services.slip_document(
        transfer, sender=_hotel_names().get(transfer.property_id, ""),
        receiver=_hotel_names().get(transfer.to_property_id, ""), gettext=_, type_name=type_name,
        clerk=user.name if user else "", when=_local_now())
    return printing.print_once(db.session, _request_key(), user=user, command=f"transfers.slip.{transfer.id}",
                               queue=lambda: [printing.enqueue(db.session, slip, "transfer", user,
                                                               printer=job_printer())])


def _local_now():
    from ..domain import calendar
    from ..i18n import hotel_zone, now

    return calendar.local_time(now(), hotel_zone()).replace(tzinfo=None)


@bp.post("/<int:transfer_id>/send")
@roles(*MANAGERS)
def send(transfer_id: int):
    """Send the packed transfer: the receiving hotel sees it, and the slip prints."""
    transfer = _own(transfer_id)
    if transfer.status == services.SENT:  # a repeat of the tap: sent already, nothing more to do
        return htmx_redirect(url_for(".packing", transfer_id=transfer.id))
    try:
        services.send(db.session, transfer, user=current_user())
        _queue_slip(transfer)
    except DomainError as refused:
        db.session.rollback()
        return _packing(transfer, error=translate_error(refused))
    db.session.commit()
    notify_printer()
    return htmx_redirect(url_for(".packing", transfer_id=transfer.id))


def notify_printer() -> None:
    from flask import current_app

    notify(current_app._get_current_object())


@bp.post("/<int:transfer_id>/slip")
@roles(*MANAGERS)
def print_slip(transfer_id: int):
    """Print the slip again (a sent or received transfer)."""
    transfer = _own(transfer_id)
    if transfer.status == services.OPEN:
        return refuse(_("The slip prints when the transfer is sent."), status=409)
    try:
        _queue_slip(transfer)
    except DomainError as refused:
        db.session.rollback()
        return refuse(translate_error(refused), status=409)
    db.session.commit()
    notify_printer()
    return htmx_redirect(url_for(".packing", transfer_id=transfer.id))


@bp.post("/<int:transfer_id>/cancel")
@roles(*MANAGERS)
def cancel(transfer_id: int):
    """Call the transfer back before anything is received: garments and stock back here."""
    transfer = _own(transfer_id)
    if transfer.status == services.CANCELLED:  # a repeat of the tap
        return htmx_redirect(url_for(".packing", transfer_id=transfer.id))
    try:
        services.cancel(db.session, transfer, user=current_user())
    except DomainError as refused:
        db.session.rollback()
        return _packing(transfer, error=translate_error(refused))
    db.session.commit()
    return htmx_redirect(url_for(".packing", transfer_id=transfer.id))


# --- the receiver ---------------------------------------------------------------------------

def _addressed_here(transfer_id: int):
    transfer = services.incoming_one(db.session, transfer_id)
    if transfer is None:
        abort(404)
    return transfer


def _receiving(transfer, *, result_html: str | None = None, error: str = "", status: int = 200):
    return render_template(
        "transfers/receiving.html", station=STATION, transfer=transfer, result_html=result_html, error=error,
        hotel=_hotel_names(), outstanding=services.outstanding(transfer),
        log=[]), status


@bp.get("/incoming/<int:transfer_id>")
@roles(*COUNTER)
def receiving(transfer_id: int):
    """A transfer addressed to this hotel: scan each garment in, then confirm the receipt."""
    return _receiving(_addressed_here(transfer_id))


@bp.post("/incoming/<int:transfer_id>/scan")
@roles(*COUNTER)
def scan_in(transfer_id: int):
    """One garment of the transfer scanned in: this hotel's now, in its spare pool."""
    transfer = _addressed_here(transfer_id)
    result = services.scan_in(db.session, transfer, request.form.get("code", ""), user=current_user(),
                              meta=scan_meta())
    db.session.commit()
    transfer = _addressed_here(transfer_id)
    html = render_result(result, station=STATION, headline=_("Received: now in this hotel's spare pool"),
                         log_row=False)
    return render_page_or_fragment(
        lambda answer: _receiving(transfer, result_html=answer), html=html,
        oob=lambda: render_template("transfers/_incoming_lines.html", transfer=transfer, oob=True,
                                    outstanding=services.outstanding(transfer)))


@bp.post("/incoming/<int:transfer_id>/confirm")
@roles(*COUNTER)
def confirm(transfer_id: int):
    """Every garment scanned in: the stock lines go on this hotel's shelf and the transfer is received."""
    transfer = _addressed_here(transfer_id)
    try:
        services.confirm_receipt(db.session, transfer, user=current_user(), request_key=_request_key())
    except DomainError as refused:
        db.session.rollback()
        return _receiving(_addressed_here(transfer_id), error=translate_error(refused))
    db.session.commit()
    return htmx_redirect(url_for(".receiving", transfer_id=transfer_id))


@bp.context_processor
def _helpers() -> dict:
    return {"transfer_status": lambda status: _(services.status_label(status)),
            "hotel_of": lambda property_id: _hotel_names().get(property_id, "")}
