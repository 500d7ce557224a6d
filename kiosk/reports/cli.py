"""``flask --app app kiosk report loss --month YYYY-MM --format csv|json|xlsx [--output FILE]``.

Writes the monthly loss report to FILE (or to standard output for csv and
json); a bad month or format exits 1 with a one-line reason, in the kiosk's
language (KIOSK_LANGUAGE).
"""
from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale, gettext, pgettext

from ..domain.errors import DomainError, N_
from ..extensions import db
from ..files import write_private
from ..i18n import current_language, hotel_month, hotel_zone, now
from . import exports, services

report_cli = AppGroup("report", help="Reports.")

BAD_FORMAT = N_("Unknown format %(format)s: choose csv, json or xlsx.")
XLSX_NEEDS_FILE = N_("An XLSX report needs --output FILE.")
NO_FOLDER = N_("The folder %(folder)s does not exist: create it first, or give --output another folder.")
CANNOT_WRITE = N_("Cannot write %(path)s: %(reason)s.")


@report_cli.command("loss")
@click.option("--month", default=None, help="YYYY-MM in the hotel's time zone (default: this month).")
@click.option("--format", "fmt", default="csv", show_default=True, help="csv, json or xlsx.")
@click.option("--output", type=click.Path(), default=None,
              help="File to write (default: standard output; required for xlsx).")
def report_loss(month: str | None, fmt: str, output: str | None) -> None:
    """The monthly loss report (月度报损报表) as CSV, JSON or XLSX."""
    app = current_app._get_current_object()
    with force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        fmt = (fmt or "").lower()
        if fmt not in exports.FORMATS:
            raise click.ClickException(gettext(BAD_FORMAT, format=fmt))
        if fmt == "xlsx" and not output:
            raise click.ClickException(gettext(XLSX_NEEDS_FILE))
        folder = os.path.dirname(os.path.abspath(output)) if output else ""
        if output and not os.path.isdir(folder):  # said before the report is read, not as a traceback after
            raise click.ClickException(gettext(NO_FOLDER, folder=folder))
        try:
            report = services.read_loss_report(db.session, month or hotel_month(), zone=hotel_zone(), now=now())
        except DomainError as refused:
            raise click.ClickException(refused.translated(gettext)) from None
        body = exports.render(report, fmt, gettext, current_language(), gettext("No department"), pgettext)
        db.session.rollback()
    if output:
        try:
            write_private(output, body)  # the month's names and amounts: the owner's only
        except OSError as failed:  # no room, no permission, a folder by that name
            with force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
                raise click.ClickException(gettext(CANNOT_WRITE, path=output,
                                                   reason=failed.strerror or failed)) from None
        click.echo(output)
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
