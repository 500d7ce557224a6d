"""The group's screens: each hotel's day (the today board's counts) and month (the loss report's
figures) side by side, as a page, CSV and XLSX; and moving this sign-in to another hotel."""
from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import pgettext

from .. import scope
from ..domain import cells
from ..domain.errors import DomainError
from ..domain.roles import GROUP
from ..domain.typed import record_id
from ..extensions import db
from ..i18n import hotel_month, now, translate_error
from ..properties import services as properties
from ..web import current_sign_in, current_user, roles
from . import bp, services

FORMATS = ("csv", "xlsx")


def _month() -> str:
    return request.values.get("month") or hotel_month()


def _default_zone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


@bp.get("/")
@roles(*GROUP)
def index():
    """Every hotel of the group today: garments by status, what is late; a button to work there."""
    days = services.group_day(db.session, now=now(), default_zone=_default_zone(),
                              tailor_days=lambda: int(properties.setting(db.session, current_app.config,
                                                                         "KIOSK_TAILOR_DAYS")))
    return render_template("group/index.html", days=days, current_property=scope.current(db.session))


@bp.post("/move")
@roles(*GROUP)
def move():
    """Carry on at another hotel of the group (this sign-in only)."""
    try:
        record = services.move_to(db.session, current_user(), current_sign_in(),
                                  request.form.get("property_id", type=record_id) or 0)
    except DomainError as refused:
        db.session.rollback()
        flash(translate_error(refused), "error")
        return redirect(url_for(".index"))
    db.session.commit()
    flash(_("You are now working at %(name)s.", name=properties.label(record)), "success")
    return redirect(url_for("main.home"))


def _report():
    try:
        return services.group_month(db.session, _month(), default_zone=_default_zone(), now=now()), ""
    except DomainError as refused:
        return None, translate_error(refused)


@bp.get("/report")
@roles(*GROUP)
def report():
    """The month's loss report of every hotel side by side, with the group's total."""
    group, error = _report()
    return render_template("group/report.html", group=group, month=group.month if group else _month(),
                           error=error), 400 if error else 200


def _table(group: services.GroupMonth) -> tuple[list[str], list[list]]:
    headers = [_("Hotel"), _("Opening stock"), pgettext("loss report", "Purchased"), _("Purchased value"),
               _("Written off"), _("Written-off value"), _("Missing at stocktake"), _("Transferred in"),
               _("Transferred out"), _("Closing stock"),
               _("Unexplained loss"), _("Unexplained value"), _("Loss rate"), _("Compensation charged"),
               _("Compensation collected"), _("Cost per wear")]

    def line(name, figures) -> list:
        rate = figures.loss_rate
        return [name, figures.opening.count, figures.purchased.count, figures.purchased.value,
                figures.written_off.count, figures.written_off.value, figures.missing.count,
                figures.transferred_in.count, figures.transferred_out.count, figures.closing.count,
                figures.unexplained.count, figures.unexplained.value, "" if rate is None else cells.Percent(rate),
                figures.compensation_charged, figures.compensation_collected,
                "" if figures.cost_per_wear is None else figures.cost_per_wear]

    rows = [line(properties.label(row.property), _Figures(row)) for row in group.rows]
    rows.append(line(_("Group total"), group))
    return headers, rows


class _Figures:
    """A property's row read as the group's total is (the same names)."""

    def __init__(self, row: services.PropertyMonth) -> None:
        report = row.report
        self.opening, self.purchased, self.written_off = report.opening, report.purchased, report.written_off
        self.missing, self.closing, self.unexplained = report.missing, report.closing, report.unexplained
        self.transferred_in, self.transferred_out = report.transferred_in, report.transferred_out
        self.loss_rate = report.loss_rate
        self.compensation_charged = report.compensation.charged
        self.compensation_collected = report.compensation.collected
        self.cost_per_wear = row.cost_per_wear


@bp.get("/report.<fmt>")
@roles(*GROUP)
def download(fmt: str):
    """The side-by-side table as CSV (UTF-8 with BOM) or XLSX."""
    if fmt not in FORMATS:
        return Response(_("Unknown format."), 404)
    group, error = _report()
    if group is None:
        return Response(error, 400, mimetype="text/plain")
    headers, rows = _table(group)
    title = _("Hotels side by side") + " " + group.month
    if fmt == "csv":
        body = cells.csv_text([[title], headers, *rows]).encode("utf-8")
        mimetype = "text/csv"
    else:
        body = cells.xlsx_bytes([cells.Sheet(title, headers, rows)])
        mimetype = cells.XLSX_MIMETYPE
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=group-loss-{group.month}.{fmt}"
    return response

