"""The tablets screen (supervisors and administrators): name this tablet, rename or retire one,
choose the printers beside it and its stations' receipts (:mod:`kiosk.tablets` keeps them)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..domain.errors import DomainError
from ..domain.roles import MANAGERS
from ..domain.typed import record_id
from ..extensions import db
from ..i18n import when
from ..models import Tablet
from ..tablets import cookie_token, current_tablet, forget, remember
from ..tablets import services
from ..web import current_user, refuse, roles
from . import bp, worker
from . import printers as printer_records
from . import services as print_services


def _page(*, error: str = "", values=None, status: int = 200, held=None):
    worker.job_printer()  # the default one, from KIOSK_PRINTER
    db.session.commit()
    return render_template("printing/tablets.html", tablets=services.active(db.session), this=current_tablet(),
                           printers=printer_records.active(db.session), error=error, values=values or {},
                           held=held,
                           stations=print_services.RECEIPT_STATIONS,
                           room_receipts={station: print_services.receipts_on(db.session, station)
                                          for station in print_services.RECEIPT_STATIONS}), status


def _tablet_or_404(tablet_id: int):
    tablet = db.session.get(Tablet, tablet_id)
    if tablet is None or tablet.retired_at is not None:
        return None, refuse(_(services.NO_TABLET), status=404, title=_("Not found"))
    return tablet, None


@bp.get("/tablets")
@roles(*MANAGERS)
def tablets():
    """The room's tablets, this one first to be named; each with its printers and receipts."""
    return _page()


@bp.post("/tablets/this")
@roles(*MANAGERS)
def tablet_name_this():
    """Name this tablet (or give it another name). A name another tablet holds is taken over."""
    try:
        tablet, token = services.name_tablet(db.session, request.form.get("name", ""), user=current_user(),
                                             token=cookie_token(), take_over=request.form.get("take_over") == "1")
    except services.NameHeld as held:  # asked first: replacing it retires that tablet
        db.session.rollback()
        message = _(services.NAME_HELD, name=held.holder.name, when=when(held.holder.last_seen_at))
        return _page(error=message, values=request.form, status=409, held=held.holder)
    except DomainError as refused:
        db.session.rollback()
        return _page(error=refused.translated(_), values=request.form, status=422)
    db.session.commit()
    remember(token)
    flash(_("This tablet is %(name)s. Its slips and tags print on the printers chosen for it.", name=tablet.name),
          "success")
    return redirect(url_for(".tablets"))


def _optional_id(name: str) -> int | None:
    raw = request.form.get(name) or ""
    return record_id(raw) if raw else None


@bp.post("/tablets/<int:tablet_id>")
@roles(*MANAGERS)
def tablet_update(tablet_id: int):
    """A tablet's name, printers and receipts, from its row's form."""
    tablet, refused = _tablet_or_404(tablet_id)
    if refused:
        return refused
    form = request.form
    try:
        services.rename(db.session, tablet, form.get("name", tablet.name), user=current_user())
        if "receipt_printer_id" in form or "tag_printer_id" in form:  # a field left out changes nothing
            services.set_printers(
                db.session, tablet,
                receipt_printer_id=_optional_id("receipt_printer_id") if "receipt_printer_id" in form
                else tablet.receipt_printer_id,
                tag_printer_id=_optional_id("tag_printer_id") if "tag_printer_id" in form else tablet.tag_printer_id)
        for station in print_services.RECEIPT_STATIONS:
            if f"receipts_{station}" in form:
                services.set_receipts(db.session, tablet, station,
                                      services.receipts_choice(form.get(f"receipts_{station}")))
    except (DomainError, ValueError) as error:
        db.session.rollback()
        message = error.translated(_) if isinstance(error, DomainError) else _(services.NO_PRINTER)
        return _page(error=message, status=422)
    db.session.commit()
    flash(_("Tablet %(name)s saved.", name=tablet.name), "success")
    return redirect(url_for(".tablets"))


@bp.post("/tablets/<int:tablet_id>/retire")
@roles(*MANAGERS)
def tablet_retire(tablet_id: int):
    """The tablet is no longer in use: it prints on the default printer until named again."""
    tablet, refused = _tablet_or_404(tablet_id)
    if refused:
        return refused
    this = current_tablet()
    services.retire(db.session, tablet)
    db.session.commit()
    if this is not None and this.id == tablet.id:
        forget()
    flash(_("Tablet %(name)s is no longer in use.", name=tablet.name), "success")
    return redirect(url_for(".tablets"))


def unnamed_notice() -> bool:
    """Whether the home screen asks for this tablet to be named: it has no name, and naming it
    would change where it prints (the room has more than one printer, or other tablets have names).
    A kiosk with one tablet and one printer is never asked."""
    if current_tablet() is not None:
        return False
    in_use = printer_records.active(db.session)
    count = len(in_use) + (0 if any(printer.is_default for printer in in_use) else 1)  # the default, made on first print
    return count > 1 or bool(services.active(db.session))

