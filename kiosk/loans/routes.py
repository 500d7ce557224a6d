"""Loans station (借衣登记): who borrows, garments scanned out, returns scanned back, the overdue board."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _

from ..domain.errors import DomainError, N_
from ..domain.roles import COUNTER
from ..domain.typed import record_id
from ..extensions import db
from ..i18n import current_language, hotel_today, hotel_zone, now
from ..printing import worker
from ..printing.routes import sent_notice
from ..printing.services import enqueue, print_once
from ..request_keys import new_key
from ..stations.web import duplicate_seconds, render_result, scan_meta, scan_log
from ..web import current_user, hotel_setting, htmx_redirect, is_htmx, render_page_or_fragment, roles, typed_form
from ..writeoffs.services import Rules
from . import bp, services
from .forms import LoanForm
from .models import CONTACT_HOW, CONTACT_OUTCOMES, Loan, LoanItem  # noqa: F401 (registers the tables)

def _settings() -> dict:
    return {"escalate_attempts": int(current_app.config["KIOSK_LOAN_ESCALATE_ATTEMPTS"]),
            "escalate_days": int(current_app.config["KIOSK_LOAN_ESCALATE_DAYS"])}


def _open_loan_or_none(loan_id: int | None) -> Loan | None:
    loan = db.session.get(Loan, loan_id) if loan_id else None
    return loan if loan is not None and loan.closed_at is None else None


def _board_context() -> dict:
    board = services.overdue(db.session, **_settings())
    return {"board": board, "escalated": [o for o in board if o.escalated],
            "contact_how": CONTACT_HOW, "contact_outcomes": CONTACT_OUTCOMES,
            "how_labels": services.HOW_LABELS, "outcome_labels": services.OUTCOME_LABELS,
            "reason_labels": services.REASON_LABELS,
            "settings": _settings()}


def _default_due() -> str:
    return format_datetime(services.default_due(now(), hotel_zone()), "yyyy-MM-dd'T'HH:mm")


def _loan_form(**kwargs) -> LoanForm:
    return LoanForm(now=now(), timezone=hotel_zone(), default_due=_default_due(), **kwargs)


def _page(loan: Loan | None = None, *, result_html: str | None = None, form: LoanForm | None = None,
          form_error: str = "", status: int = 200):
    station = services.STATION if loan is not None else services.RETURN_STATION
    return render_template(
        "loans/station.html", station=station, loan=loan, result_html=result_html,
        log=scan_log(db.session, station, current_user()), form=form or _loan_form(formdata=None),
        form_error=form_error, request_key=new_key(),
        open_loans=services.open_loans(db.session), **_board_context(),
    ), status


@bp.get("/")
@roles(*COUNTER)
def station():
    """The loans page: open a loan (or lend into one with ``?loan_id=``), scan returns, the overdue board."""
    return _page(_open_loan_or_none(request.args.get("loan_id", type=record_id)))


@bp.post("/open")
@roles(*COUNTER)
def open_loan():
    """Open a loan for a borrower; then the garments are scanned out into it.

    A refused form comes back (status 200, so htmx swaps it) with each field's
    reason; the signature pad starts empty again (a stale image is never kept).
    """
    form = _loan_form()
    if not form.validate_on_submit():
        first = next(iter(form.errors.values()))[0]
        return _page(form=form, form_error=str(first))
    try:
        loan = services.open_loan(db.session, form.to_data(), user=current_user(),
                                  request_key=request.form.get("request_key"), now=now())
    except DomainError as refused:
        db.session.rollback()
        return _page(form=form, form_error=refused.translated(_))
    db.session.commit()
    return htmx_redirect(url_for("loans.station", loan_id=loan.id))


def _answer(result, headline: str, loan: Loan | None):
    html = render_result(result, station=services.STATION if loan else services.RETURN_STATION,
                         headline=headline)

    def panels() -> str:
        # The loan's items and the overdue board follow the answer (out of band).
        loan_html = render_template("loans/_loan.html", loan=loan, oob=True) if loan is not None else ""
        return loan_html + render_template("loans/_board.html", oob=True, **_board_context())

    return render_page_or_fragment(lambda answer: _page(loan, result_html=answer), html=html, oob=panels)


@bp.post("/<int:loan_id>/scan")
@roles(*COUNTER)
def lend(loan_id: int):
    """One garment scanned out to the borrower (→ on loan)."""
    loan = db.get_or_404(Loan, loan_id)
    result = services.lend(db.session, loan, request.form.get("code", ""), user=current_user(),
                           duplicate_seconds=duplicate_seconds(), meta=scan_meta())
    db.session.commit()
    return _answer(result, _("Lent"), loan)


@bp.post("/return")
@roles(*COUNTER)
def take_back():
    """A lent garment handed back (→ dirty); the loan closes when everything is back."""
    result, _item = services.take_back(db.session, request.form.get("code", ""), user=current_user(),
                                       duplicate_seconds=duplicate_seconds(), meta=scan_meta())
    db.session.commit()
    return _answer(result, _("Returned"), None)


@bp.post("/<int:loan_id>/slip")
@roles(*COUNTER)
def print_slip(loan_id: int):
    """打印借用单: the loan slip with the borrower's signature, through the print queue."""
    loan = db.get_or_404(Loan, loan_id)
    back = url_for("loans.station", loan_id=loan.id)
    try:
        document = services.slip(loan, gettext=_, language=current_language(), clerk=current_user().name,
                                 when=format_datetime(now(), "yyyy-MM-dd HH:mm"),
                                 due=format_datetime(loan.due_at, "yyyy-MM-dd HH:mm"))
    except DomainError as refused:
        flash(refused.translated(_), "error")
        return htmx_redirect(back)
    try:
        print_once(db.session, request.form.get("request_key"), user=current_user(), command="print.loan_slip",
                   queue=lambda: [enqueue(db.session, document, services.SLIP_KIND, current_user(),
                                          printer=worker.job_printer())])
    except DomainError as refused:  # a malformed request key: nothing queued
        flash(refused.translated(_), "error")
        return htmx_redirect(back)
    db.session.commit()
    worker.notify(current_app._get_current_object())
    flash(sent_notice(1), "success")
    return htmx_redirect(back)


@bp.post("/<int:loan_id>/contact")
@roles(*COUNTER)
def contact(loan_id: int):
    """Log one attempt to reach the borrower (when, how, outcome, note).

    htmx gets the board again (with the refusal on it); a plain form goes back to the station.
    """
    loan = db.get_or_404(Loan, loan_id)
    board_error = ""
    try:
        services.log_contact(db.session, loan, how=request.form.get("how", ""),
                             outcome=request.form.get("outcome", ""), note=typed_form("note", N_("Note")),
                             user=current_user(), request_key=request.form.get("request_key"))
    except DomainError as refused:
        db.session.rollback()
        board_error = refused.translated(_)
    else:
        db.session.commit()
    if is_htmx():
        return render_template("loans/_board.html", board_error=board_error, **_board_context())
    if board_error:
        flash(board_error, "error")
    return redirect(url_for("loans.station"))


@bp.post("/items/<int:item_id>/write-off")
@roles(*COUNTER)
def write_off(item_id: int):
    """A garment never returned: open its write-off (borrower pays), for a supervisor to approve."""
    item = db.get_or_404(LoanItem, item_id)
    try:
        write_off = services.open_write_off(db.session, item, user=current_user(),
                                            rules=Rules.from_config(current_app.config, zone=hotel_zone(), table=hotel_setting("KIOSK_DEPRECIATION")),
                                            request_key=request.form.get("request_key"), today=hotel_today())
    except DomainError as refused:
        db.session.rollback()
        flash(refused.translated(_), "error")
        return htmx_redirect(url_for("loans.station"))
    db.session.commit()
    return htmx_redirect(url_for("writeoffs.detail", write_off_id=write_off.id))
