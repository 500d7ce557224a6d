"""New purchases (新购制服): receive a delivery, register its garments, print their tags.

Supervisors' work (MANAGERS). Receiving goes through
:func:`kiosk.purchases.services.receive_purchase`, which registers the
garments through the registry (tags, ledger events); printing queues one
tag job per garment through the print queue.
"""
from __future__ import annotations

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from ..domain.calendar import parse_month
from ..domain.errors import DomainError
from ..domain.roles import MANAGERS
from ..extensions import db
from ..forms import mark
from ..i18n import current_language, hotel_today, translate_error
from ..printing import services as printing
from ..printing import worker
from ..printing.routes import queue_once
from ..registry.services import FieldErrors, list_types
from ..request_keys import new_key
from ..web import current_user, htmx_redirect, render_page_or_fragment, roles
from . import bp, services
from .forms import PurchaseForm
from .models import Purchase

_RECEIVE_ATTEMPTS = 3


@bp.get("/")
@roles(*MANAGERS)
def index():
    """Purchases by month (purchase date) with their totals; one month's purchases listed
    (?month=YYYY-MM, default the latest month with purchases)."""
    months = services.by_month(db.session)
    chosen, error = request.args.get("month"), ""
    if chosen:
        try:
            chosen = parse_month(chosen)
        except DomainError as refused:
            error = translate_error(refused)
    selected = next((m for m in months if m.month == chosen), months[0] if months else None)
    return render_template("purchases/index.html", months=months, selected=selected, error=error), \
        400 if error else 200


def _form_page(form: PurchaseForm, request_key: str, types):
    # Re-rendered with status 200 when a value is refused, so htmx swaps it in place.
    return render_page_or_fragment("purchases/new.html", "purchases/_form.html", form=form,
                                   request_key=request_key, types=types)


@bp.route("/new", methods=["GET", "POST"])
@roles(*MANAGERS)
def new():
    """Receive a purchase: its garments are registered with new tags."""
    types = list_types(db.session, active_only=True)
    form = PurchaseForm(types=types, today=hotel_today())
    key = request.form.get("request_key") or new_key()
    if not form.validate_on_submit():
        return _form_page(form, key, types)
    for _attempt in range(_RECEIVE_ATTEMPTS):
        try:
            data = services.check_purchase(db.session, form.to_input())
            received = services.receive_purchase(db.session, data, request_key=key, user=current_user())
            db.session.commit()
        except FieldErrors as refused:
            db.session.rollback()
            mark(form, refused.errors)
            return _form_page(form, key, types)
        except DomainError as refused:  # a malformed request key: nothing received
            db.session.rollback()
            form.form_errors.append(translate_error(refused))
            return _form_page(form, new_key(), types)
        except IntegrityError:
            # Another tablet took the same tags at the same moment: look again
            # (the next free tags; a twin of this request is replayed by its key).
            db.session.rollback()
            continue
        if received.repeated:
            flash(_("This was already registered; nothing new was added."), "warning")
        else:
            flash(ngettext("%(num)d garment registered.", "%(num)d garments registered.",
                           len(received.garments)), "success")
        return htmx_redirect(url_for(".detail", purchase_id=received.purchase.id))
    form.form_errors.append(_("Another tablet was registering garments at the same moment. "
                              "Nothing was saved; please try again."))
    return _form_page(form, key, types)


@bp.get("/<int:purchase_id>")
@roles(*MANAGERS)
def detail(purchase_id: int):
    """One purchase: what was bought and the new tags, with one tap to print them all."""
    purchase = db.get_or_404(Purchase, purchase_id)
    garments = services.garments_of(db.session, purchase)
    return render_template("purchases/detail.html", purchase=purchase, garments=garments)


@bp.post("/<int:purchase_id>/tags")
@roles(*MANAGERS)
def print_tags(purchase_id: int):
    """打印全部标签: one tag job per garment of the purchase, in the order of their tags."""
    purchase = db.get_or_404(Purchase, purchase_id)
    garments = services.garments_of(db.session, purchase)
    if not garments:  # pragma: no cover - a purchase always registers at least one
        abort(404)
    return queue_once(
        "print.purchase_tags",
        lambda: printing.enqueue_tags(db.session, garments, user=current_user(), language=current_language(),
                                      printer=worker.job_printer(tags=True)),
        url_for(".detail", purchase_id=purchase.id))
