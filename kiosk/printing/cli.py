"""``flask --app app kiosk tag print CODE [--printer NAME]``: print a garment's tag and wait for it;
``kiosk printer add|list|remove``: the room's printers.

Prints ``printed`` and exits 0 once the tag has printed (sent to a printer
that did not answer the status query: ``printed`` and that note on stderr);
otherwise exits 1 with the reason, in the kiosk's language (KIOSK_LANGUAGE). The job goes
through the same queue as a tap on the garment page, after the jobs already
waiting; a server's worker may be the one that sends it.
"""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale, gettext
from sqlalchemy import select

from printers import labels

from ..domain.errors import N_, DomainError
from ..extensions import db
from ..i18n import current_language
from ..models import PrintJob
from ..scanning import find_garment, not_ours
from . import printers as printer_records
from . import services
from .worker import job_printer, process_queue

tag_cli = AppGroup("tag", help="Garment tags.")

REMOVED = N_("Printer %(name)s is no longer in use.")
STILL_WAITING = N_("The tag is still waiting to be printed (job %(job)s). See the print queue.")


@tag_cli.command("print")
@click.argument("code")
@click.option("--printer", "printer_name", default=None, help="The printer's name (default: the default printer).")
def tag_print(code: str, printer_name: str | None) -> None:
    """Print the tag of garment CODE (its QR, number, type, size, owner) and wait for it."""
    app = current_app._get_current_object()
    with force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        canonical, garment = find_garment(db.session, code)
        if garment is None:
            raise click.ClickException(not_ours(canonical, code).translated(gettext))
        try:
            printer = (printer_records.by_name(db.session, printer_name) if printer_name
                       else job_printer(app))
        except DomainError as refused:
            raise click.ClickException(refused.translated(gettext)) from None
        job = services.enqueue_tags(db.session, [garment], user=None, language=current_language(),
                                    printer=printer)[0]
        db.session.commit()
        _wait_for(app, job.id)


def _wait_for(app, job_id: int) -> None:
    """Send the queue until job ``job_id`` is out: ``printed`` (and the note of a printer that
    did not say how it is), or exit 1 with the reason; in the kiosk's language."""
    # Every job ahead of ours may take its own timeout; then give up waiting
    # (the job stays queued and a server's worker will still send it).
    deadline = time.monotonic() + 30 + 3 * float(app.config["KIOSK_PRINT_TIMEOUT"])
    while True:
        process_queue(app)
        job = db.session.scalar(select(PrintJob).where(PrintJob.id == job_id)
                                .execution_options(populate_existing=True))
        status, reason, unknown = job.status, services.reason_of(job), services.status_unknown(job)
        db.session.rollback()
        if status == services.DONE:
            click.echo("printed")
            if unknown and reason is not None:
                click.echo(reason.translated(gettext), err=True)
            return
        if status == services.FAILED:
            message = reason.translated(gettext) if reason is not None else status
            raise click.ClickException(message)
        if time.monotonic() > deadline:
            raise click.ClickException(gettext(STILL_WAITING, job=job_id))
        time.sleep(0.2)  # another process is printing it: wait for its outcome


# --- the printers ---------------------------------------------------------------

printer_cli = AppGroup("printer", help="The room's printers: receipt printers and label printers.")


def _refused(error: DomainError) -> click.ClickException:
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return click.ClickException(error.translated(gettext))


@printer_cli.command("add")
@click.argument("name")
@click.option("--url", required=True, help="tcp://HOST:9100, usb://VID:PID, serial:///dev/ttyUSB0, file://..., cups://QUEUE")
@click.option("--kind", type=click.Choice(printer_records.KINDS), default=printer_records.RECEIPT, show_default=True)
@click.option("--language", type=click.Choice(("escpos", *labels.LANGUAGES)), default=None,
              help="escpos for receipts (the default); tspl (the default for labels) or zpl.")
@click.option("--size", "label_size", default=None, help="A label printer's label, width x height in mm (40x30).")
@click.option("--paper", "paper_mm", type=click.Choice(["58", "80"]), default=None,
              help="A receipt printer's paper width in mm (80).")
@click.option("--native/--raster", default=False, help="ESC/POS: the printer's own Chinese text and QR code.")
@click.option("--status", "status_query", type=click.Choice(printer_records.STATUS_QUERIES), default="auto",
              show_default=True, help="Ask the printer for its status before and after a job.")
@click.option("--host", default=None, help="Only the server on this host drives it (USB, serial, a local file).")
@click.option("--default", "make_default", is_flag=True, help="Make it the default printer.")
def printer_add(name, url, kind, language, label_size, paper_mm, native, status_query, host, make_default) -> None:
    """Add printer NAME (前台小票机, 熨烫间标签机)."""
    fields = printer_records.PrinterFields(
        name=name, url=url, kind=kind, language=language or printer_records.ESCPOS, label_size=label_size,
        paper_mm=int(paper_mm) if paper_mm else None, native=native, status_query=status_query, host=host)
    try:
        job_printer()  # the default one first, from KIOSK_PRINTER
        printer = printer_records.add(db.session, fields, default=make_default)
    except DomainError as refused:
        db.session.rollback()
        raise _refused(refused) from None
    db.session.commit()
    click.echo(_line(printer))


@printer_cli.command("list")
def printer_list() -> None:
    """The printers in use, the default first: name, kind, language, paper or label, address."""
    job_printer()
    db.session.commit()
    for printer in printer_records.active(db.session):
        click.echo(_line(printer))


@printer_cli.command("remove")
@click.argument("name")
def printer_remove(name: str) -> None:
    """Take printer NAME out of use (its past jobs keep its name)."""
    try:
        printer_records.retire(db.session, name)
    except DomainError as refused:
        db.session.rollback()
        raise _refused(refused) from None
    db.session.commit()
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        click.echo(gettext(REMOVED, name=name))


def _line(printer) -> str:
    media = f"{printer.paper_mm} mm" if printer.kind == printer_records.RECEIPT else f"{printer.label_size} mm"
    flags = [flag for flag, on in (("default", printer.is_default), ("native", printer.native)) if on]
    host = f" host={printer.host}" if printer.host else ""
    return (f"{printer.name}\t{printer.kind}\t{printer.language}\t{media}\t{services.where(printer.url)}"
            f"\tstatus={printer.status_query}{host}{' ' + ','.join(flags) if flags else ''}")


@printer_cli.command("test")
@click.argument("name")
def printer_test(name: str) -> None:
    """Print printer NAME's test page (its name and address, a ruler of the paper's width, a QR
    code and the character test line) and wait for it."""
    app = current_app._get_current_object()
    with force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            job_printer(app)
            printer = printer_records.by_name(db.session, name)
        except DomainError as refused:
            raise click.ClickException(refused.translated(gettext)) from None
        job = services.enqueue(db.session, services.test_page(printer, gettext), services.TEST_PAGE, None,
                               printer=printer)
        db.session.commit()
        _wait_for(app, job.id)
