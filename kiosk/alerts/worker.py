"""The worker that scans for alerts and sends them: one background thread per app process.

The print worker's pattern (:mod:`kiosk.printing.worker`): started by the
first request (or by the "send test" button's notify), never at import;
it sleeps on an event that a queued test wakes at once, and otherwise looks
every ``KIOSK_ALERT_POLL_SECONDS`` (10) for alerts due; every
``KIOSK_ALERT_SCAN_SECONDS`` (60) it scans for new event instances first.
Several processes are safe: an instance is inserted once (its unique key)
and an alert is claimed with a conditional UPDATE before it is sent.

``KIOSK_ALERT_WORKER`` (default: as ``KIOSK_PRINT_WORKER``) turns the thread
off; tests and cron call :func:`run_once` (``kiosk alerts run-once``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from flask import Flask
from flask_babel import force_locale, gettext

from ..extensions import db
from ..properties import services as properties
from ..i18n import late, money, now
from ..printing import worker as workers
from ..printing.worker import PrintWorker
from . import services

EXTENSION = "kiosk_alert_worker"


@dataclass(frozen=True)
class RoundResult:
    queued: int
    sent: int
    retrying: int
    failed: int


def _words(app: Flask) -> services.Words:
    language = app.config["BABEL_DEFAULT_LOCALE"]
    return services.Words(gettext=gettext, late=late, money=money,
                          language="zh_CN" if language.startswith("zh") else "en")


def _scan_settings(app: Flask) -> services.ScanSettings:
    """The settings of the property the session works for (its zone, its tailor's days)."""
    config = app.config
    return services.ScanSettings(zone=properties.zone_of_session(db.session, config["BABEL_DEFAULT_TIMEZONE"]),
                                 escalate_attempts=int(config["KIOSK_LOAN_ESCALATE_ATTEMPTS"]),
                                 escalate_days=int(config["KIOSK_LOAN_ESCALATE_DAYS"]),
                                 tailor_days=int(properties.setting(db.session, config, "KIOSK_TAILOR_DAYS")))


def scan(app: Flask) -> int:
    """Queue an alert for every new event instance (texts in the kiosk's language, KIOSK_LANGUAGE)."""
    with app.app_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            return sum(services.scan(db.session, _words(app), now=now(), settings=_scan_settings(app))
                       for _property in properties.each_property(db.session))  # each hotel's channels, settings
        finally:
            db.session.remove()


def send(app: Flask) -> list[services.Outcome]:
    """Send every alert due now."""
    with app.app_context():
        try:
            timeout = float(app.config.get("KIOSK_ALERT_TIMEOUT", 5.0))
            return [outcome for _property in properties.each_property(db.session)
                    for outcome in services.process(db.session, now=now(), timeout=timeout)]
        finally:
            db.session.remove()


def run_once(app: Flask) -> RoundResult:
    """Scan, then send what is due: the worker's round, ``kiosk alerts run-once`` and the tests'."""
    queued = scan(app)
    outcomes = send(app)
    return RoundResult(queued=queued, sent=sum(1 for o in outcomes if o.status == services.SENT),
                       retrying=sum(1 for o in outcomes if o.status == services.QUEUED),
                       failed=sum(1 for o in outcomes if o.status == services.FAILED))


class AlertWorker(PrintWorker):
    """The print worker's thread, wake-up and stop, with the alerts' round."""

    thread_name = "kiosk-alert-worker"
    extension = EXTENSION

    @staticmethod
    def enabled(app: Flask) -> bool:
        return bool(app.config.get("KIOSK_ALERT_WORKER", app.config.get("KIOSK_PRINT_WORKER", True)))

    def _run(self) -> None:
        poll = float(self.app.config.get("KIOSK_ALERT_POLL_SECONDS", 10.0))
        every = float(self.app.config.get("KIOSK_ALERT_SCAN_SECONDS", 60.0))
        last_scan = None
        while not self.stopping.is_set():
            try:
                if last_scan is None or time.monotonic() - last_scan >= every:
                    last_scan = time.monotonic()
                    scan(self.app)
                send(self.app)
            except Exception:  # the database away for a moment: try again at the next poll
                self.app.logger.exception("the alert worker could not scan or send")
            self.wake.wait(poll)
            self.wake.clear()


def notify(app: Flask) -> None:
    """An alert was queued (and committed): send it now."""
    workers.notify(app, AlertWorker)


def ensure_started(app: Flask) -> None:
    workers.ensure_started(app, AlertWorker)


def stop(app: Flask) -> None:
    workers.stop(app, AlertWorker)
