"""``flask --app app kiosk privacy erase``: visitors' contact details kept no longer than needed."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext

from .. import scope
from ..extensions import db
from ..properties import services as properties
from . import services

privacy_cli = AppGroup("privacy", help="Personal information of borrowers.")


@privacy_cli.command("erase")
def erase() -> None:
    """Erase visitors' phones and signatures KIOSK_BORROWER_RETENTION_DAYS after their loan closed,
    on the loan and on the print jobs of its slip (queue, preview, reprint).

    Run it daily (cron or a systemd timer); `make run` also runs it at every start.
    """
    def retention() -> int:  # the hotel's own, else KIOSK_BORROWER_RETENTION_DAYS
        return int(properties.setting(db.session, current_app.config, "KIOSK_BORROWER_RETENTION_DAYS"))

    if scope.is_chosen(db.session):  # --property: that hotel's
        days = retention()
        erased = services.erase_visitor_contacts(db.session, retention_days=days)
    else:  # every hotel of the group, one at a time, each after its own days
        loans = jobs = 0
        kept = set()
        for _property in properties.each_property(db.session):
            kept.add(days := retention())
            one = services.erase_visitor_contacts(db.session, retention_days=days)
            loans, jobs = loans + one.loans, jobs + one.print_jobs
        erased = services.Erased(loans=loans, print_jobs=jobs)
        days = "/".join(str(d) for d in sorted(kept)) or str(retention())
    db.session.commit()
    click.echo(gettext("Erased the contact details of %(loans)s visitor loans closed over %(days)s days ago, "
                       "and the phone and signature on %(jobs)s print jobs of their slips.",
                       loans=erased.loans, days=days, jobs=erased.print_jobs))
