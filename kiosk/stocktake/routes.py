"""Monthly stocktake (月盘点): open a month, scan on many tablets, close with two PINs."""
from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import guard
from ..auth.services import Policy
from ..domain.errors import DomainError, N_
from ..domain.roles import COUNTER, MANAGERS
from ..domain.typed import record_id
from ..extensions import db
from ..i18n import hotel_month, translate_error
from ..models import User
from ..properties import services as properties
from ..paging import page_of
from ..scanning import ScanResult
from ..stations.web import render_result
from ..web import (client_address, current_user, htmx_redirect, is_htmx, page_arg, render_page_or_fragment,
                   roles)
from . import bp, services
from .forms import ItemCountForm
from .models import LOCATIONS, Stocktake

LOCATION_LABELS = {"rack": N_("Rack"), "laundry": N_("Laundry"), "tailor": N_("Tailor"), "other": N_("Other")}




def _index(*, error: str | None = None, form: dict | None = None, status: int = 200):
    return render_page_or_fragment(
        "stocktake/index.html", "stocktake/_index.html",
        open_counts=services.current_open(db.session), history=services.history(db.session),
        error=error, form=form or {},
        default_month=hotel_month()), status


@bp.get("/")
@roles(*COUNTER)
def index():
    """Open counts to join, and (supervisors) the forms to open a month or a correction."""
    return _index()


@bp.post("/")
@roles(*MANAGERS)
def open_count():
    """Open the month's stocktake (opening it again goes to the one already open)."""
    form = {"month": request.form.get("month", ""), "blind": bool(request.form.get("blind"))}
    opener = services.open_correction if request.form.get("correction") else services.open_stocktake
    try:
        stocktake = opener(db.session, form["month"], user=current_user(), blind=form["blind"])
    except DomainError as error:
        db.session.rollback()
        return _index(error=translate_error(error), form=form)
    db.session.commit()
    return htmx_redirect(url_for("stocktake.count", stocktake_id=stocktake.id))


def _count_context(stocktake: Stocktake, *, item_form: ItemCountForm | None = None, **extra) -> dict:
    view = services.count_view(db.session, stocktake, current_user())
    return dict(station=services.STATION, stocktake=stocktake, **view.context(),
                item_form=item_form or ItemCountForm(formdata=None, items=view.stock_items),
                locations=LOCATIONS, location_labels=LOCATION_LABELS,
                location=request.values.get("location", ""), **extra)


@bp.get("/<int:stocktake_id>")
@roles(*COUNTER)
def count(stocktake_id: int):
    """The count: one scan field, progress (not for counters in blind mode), unknown codes.

    With htmx it answers the progress panel alone (polled while counting).
    """
    stocktake = db.get_or_404(Stocktake, stocktake_id)
    if stocktake.is_open:
        return render_page_or_fragment("stocktake/count.html", "stocktake/_progress.html",
                                       **_count_context(stocktake))
    if is_htmx():  # the progress panel's poll, after another tablet closed the count: show the close
        return htmx_redirect(url_for("stocktake.count", stocktake_id=stocktake.id))
    if stocktake.is_closing:
        return render_template("stocktake/closing.html", stocktake=stocktake)
    return _closed_page(stocktake)


def _closed_page(stocktake: Stocktake):
    """A closed count as it was closed, its garments marked missing a page at a time (with htmx,
    that page of them alone)."""
    return render_page_or_fragment("stocktake/closed.html", "stocktake/_missing.html", stocktake=stocktake,
                                   items=services.item_counts(db.session, stocktake),
                                   missing=page_of(stocktake.missing, page_arg(), services.PREVIEW_PAGE))


@bp.get("/<int:stocktake_id>/missing")
@roles(*COUNTER)
def missing(stocktake_id: int):
    """A closed count's garments marked missing, a page at a time."""
    stocktake = db.get_or_404(Stocktake, stocktake_id)
    if stocktake.is_open or stocktake.is_closing:
        return redirect(url_for("stocktake.count", stocktake_id=stocktake.id))
    return _closed_page(stocktake)


@bp.post("/<int:stocktake_id>/scan")
@roles(*COUNTER)
def scan(stocktake_id: int):
    """One tag seen: counted once per stocktake, whichever tablet scanned it first."""
    stocktake = db.get_or_404(Stocktake, stocktake_id)
    try:
        result = services.scan(db.session, stocktake, request.form.get("code", ""), user=current_user(),
                               location=request.form.get("location"))
    except DomainError as error:
        db.session.rollback()
        result = ScanResult("error", request.form.get("code", ""), error=error)
    db.session.commit()
    html = render_result(result, station=services.STATION, headline=_("Counted"),
                         template="stocktake/_result.html", log_row=False)
    return render_page_or_fragment(
        lambda answer: render_template("stocktake/count.html", result_html=answer, **_count_context(stocktake)),
        html=html,
        oob=lambda: render_template("stocktake/_progress.html", oob=True, **_count_context(stocktake)))


@bp.post("/<int:stocktake_id>/items")
@roles(*COUNTER)
def count_item(stocktake_id: int):
    """A stock item counted by quantity (shoes, socks...)."""
    stocktake = db.get_or_404(Stocktake, stocktake_id)
    form = ItemCountForm(items=services.list_items(db.session))
    if not form.validate_on_submit():
        # Shown again (status 200, htmx swaps it) with the reason and what was typed.
        return render_page_or_fragment("stocktake/count.html", "stocktake/_progress.html", **_count_context(
            stocktake, item_form=form, item_error=str(next(iter(form.errors.values()))[0])))
    try:
        services.count_item(db.session, stocktake, form.item, form.counted.data, user=current_user())
    except DomainError as error:
        db.session.rollback()
        return render_page_or_fragment("stocktake/count.html", "stocktake/_progress.html", **_count_context(
            stocktake, item_form=form, item_error=translate_error(error)))
    db.session.commit()
    if not is_htmx():
        return redirect(url_for("stocktake.count", stocktake_id=stocktake.id))
    return render_page_or_fragment("stocktake/count.html", "stocktake/_progress.html", **_count_context(stocktake))


def _close_page(stocktake: Stocktake, *, error: str | None = None, form: dict | None = None, pin_error: str = ""):
    supervisors, counters = services.closers(db.session)
    return render_page_or_fragment(
        "stocktake/close.html", "stocktake/_close.html", stocktake=stocktake,
        unseen=services.unseen(db.session, stocktake, page=page_arg()) if stocktake.is_open else None,
        rows=services.progress(db.session, stocktake) if stocktake.is_open else [],
        unknown=services.unknown_scans(db.session, stocktake),
        supervisors=supervisors, counters=counters, error=error, form=form or {}, pin_error=pin_error)


@bp.get("/<int:stocktake_id>/close")
@roles(*MANAGERS)
def close_preview(stocktake_id: int):
    """The preview: the unseen per type and size, and a page of them (they become missing).
    Going back to the count is allowed."""
    stocktake = db.get_or_404(Stocktake, stocktake_id)
    if not stocktake.is_open:
        return redirect(url_for("stocktake.count", stocktake_id=stocktake.id))
    return _close_page(stocktake)


@bp.post("/<int:stocktake_id>/close")
@roles(*MANAGERS)
def close(stocktake_id: int):
    """Supervisor and counting clerk each confirm with their own PIN; then the count is closed."""
    stocktake = db.get_or_404(Stocktake, stocktake_id)
    form = {"supervisor_id": request.form.get("supervisor_id", type=record_id),
            "counter_id": request.form.get("counter_id", type=record_id)}
    busy = guard.hold_back()  # a guess across supervisors waits here as at sign-in
    if busy:
        return _close_page(stocktake, error=guard.busy_message(busy), form=form)
    supervisor = properties.operator(db.session, form["supervisor_id"])
    counter = properties.operator(db.session, form["counter_id"])
    try:
        services.close(db.session, stocktake.id, supervisor=supervisor,
                       supervisor_pin=request.form.get("supervisor_pin", ""), counter=counter,
                       counter_pin=request.form.get("counter_pin", ""), policy=Policy.from_config(current_app.config),
                       client=client_address())
    except DomainError as error:
        guard.failed(error)
        db.session.commit()  # a wrong PIN counts towards the lock even though the close is refused
        db.session.refresh(stocktake)
        return _close_page(stocktake, error=translate_error(error), form=form,
                           pin_error=error.field if isinstance(error, services.PinRefused) else "")
    db.session.commit()
    services.finish_closing(db.session, stocktake)  # in short steps: the other tablets go on meanwhile
    return htmx_redirect(url_for("stocktake.count", stocktake_id=stocktake.id))


@bp.post("/<int:stocktake_id>/finish")
@roles(*MANAGERS)
def finish(stocktake_id: int):
    """Finish a close that was cut short (the server stopped in the middle of one)."""
    stocktake = db.get_or_404(Stocktake, stocktake_id)
    services.finish_closing(db.session, stocktake)
    return htmx_redirect(url_for("stocktake.count", stocktake_id=stocktake.id))
