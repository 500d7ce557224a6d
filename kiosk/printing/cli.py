"""``flask --app app kiosk tag print CODE``: print a garment's tag and wait for it.

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

from ..domain.errors import N_
from ..extensions import db
from ..scanning import not_ours
from ..i18n import current_language
from ..models import PrintJob
from ..scanning import find_garment
from . import services
from .worker import process_queue

tag_cli = AppGroup("tag", help="Garment tags.")

STILL_WAITING = N_("The tag is still waiting to be printed (job %(job)s). See the print queue.")


@tag_cli.command("print")
@click.argument("code")
def tag_print(code: str) -> None:
    """Print the tag of garment CODE (its QR, number, type, size, owner) and wait for it."""
    app = current_app._get_current_object()
    with force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        canonical, garment = find_garment(db.session, code)
        if garment is None:
            raise click.ClickException(not_ours(canonical, code).translated(gettext))
        job = services.enqueue_tags(db.session, [garment], user=None, language=current_language(),
                                    printer=app.config["KIOSK_PRINTER"])[0]
        db.session.commit()
        job_id = job.id
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
