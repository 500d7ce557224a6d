"""``flask --app app kiosk alerts run-once``: scan for alerts and send what is due, once (cron, tests).

It says how it went in the kiosk's language (KIOSK_LANGUAGE).
"""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext

from .worker import run_once

alerts_cli = AppGroup("alerts", help="Alerts to the supervisors' group chats.")


@alerts_cli.command("run-once")
def alerts_run_once() -> None:
    """Queue an alert for every new event, send every alert due now, and say how it went."""
    result = run_once(current_app._get_current_object())
    click.echo(gettext("Alerts: %(queued)s queued, %(sent)s sent, %(retrying)s to try again, %(failed)s given up.",
                       queued=result.queued, sent=result.sent, retrying=result.retrying, failed=result.failed))
