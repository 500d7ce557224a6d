"""The supervisors' monthly loss report (月度报损报表): page, downloads, printed slip.

Routes stay thin: :mod:`.services` computes the report from the ledger,
:mod:`.exports` turns it into files, the template draws it.
"""
from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import pgettext

from ..domain import calendar
from ..domain.errors import DomainError
from ..domain.roles import MANAGERS
from ..extensions import db
from ..i18n import current_language, hotel_month, hotel_zone, money, now, type_name
from ..printing import services as printing
from ..printing import worker
from ..web import current_user, roles
from ..writeoffs.services import REASON_LABELS
from . import bp, exports, services
from .charts import bar_chart


def _month() -> str:
    return request.values.get("month") or hotel_month()


def _report(month: str) -> services.LossReport:
    return services.read_loss_report(db.session, month, zone=hotel_zone(), now=now())


def _charts(report: services.LossReport) -> list:
    no_department = _("No department")
    return [
        bar_chart(_("Written-off value by department"),
                  [(d.name or no_department, d.written_off.value, money(d.written_off.value))
                   for d in report.by_department]),
        bar_chart(_("Write-offs by reason"),
                  [(_(REASON_LABELS.get(r.reason, "Other")), r.count, str(r.count)) for r in report.reasons]),
        bar_chart(_("Closing stock by garment type"),
                  [(type_name(t), t.closing.count, str(t.closing.count)) for t in report.by_type]),
    ]


@bp.get("/")
@roles(*MANAGERS)
def loss():
    """The monthly loss report: figures, charts, downloads (?month=YYYY-MM, default this month)."""
    month = _month()
    try:
        report = _report(month)
        error = ""
    except DomainError as refused:
        report, error = None, refused.translated(_)
    # the month as the report read it (full-width digits typed on a tablet come back plain)
    return render_template("reports/loss.html", report=report, month=report.month if report else month, error=error,
                           charts=_charts(report) if report else [],
                           reason_labels=REASON_LABELS), 400 if error else 200


@bp.get("/loss.<fmt>")
@roles(*MANAGERS)
def download(fmt: str):
    """The month's report as CSV (UTF-8 with BOM), XLSX (one sheet per table) or JSON."""
    if fmt not in exports.FORMATS:
        return Response(_("Unknown format."), 404)
    month = _month()
    try:
        report = _report(month)
    except DomainError as refused:
        return Response(refused.translated(_), 400, mimetype="text/plain")
    body = exports.render(report, fmt, _, current_language(), _("No department"), pgettext)
    response = Response(body, mimetype=exports.MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f"attachment; filename=loss-{report.month}.{fmt}"
    return response


@bp.post("/print")
@roles(*MANAGERS)
def print_slip():
    """The month's summary on the thermal printer (a document in the print queue)."""
    month = _month()
    try:
        report = _report(month)
    except DomainError as refused:
        flash(refused.translated(_), "error")
        return redirect(url_for("reports.loss"))
    user = current_user()
    document = services.summary_slip(report, gettext=_, pgettext=pgettext, money=money, clerk=user.name if user else "",
                                     when=calendar.local_time(now(), hotel_zone()))
    printing.enqueue(db.session, document, printing.LOSS_REPORT, user, printer=worker.job_printer())
    db.session.commit()
    worker.notify(current_app._get_current_object())
    flash(_("The summary slip is on its way to the printer."), "success")
    return redirect(url_for("reports.loss", month=report.month))
