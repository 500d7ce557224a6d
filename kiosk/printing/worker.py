"""The worker that sends queued print jobs: one background thread per app process.

The thread is started by the first request that needs it (an enqueue, or the
first request of the process, so jobs left queued by a restart go out), never
at import. It sleeps on a :class:`threading.Event`: an enqueue wakes it at
once, and it looks at the queue every ``KIOSK_PRINT_POLL_SECONDS`` anyway
(another process or the CLI may have queued or re-queued something).

Several processes (waitress threads share one worker; two servers on one
PostgreSQL database have one each) are safe: a job is claimed with a
conditional UPDATE before it is sent (:func:`kiosk.printing.services.claim`).

Tests set ``KIOSK_PRINT_WORKER = False`` and call :func:`process_queue`.
"""
from __future__ import annotations

import threading
import time

from flask import Flask, current_app, has_request_context

from ..extensions import db
from ..properties import services as properties
from ..tablets import current_tablet
from ..tablets import services as tablet_services
from . import printers as printer_records
from . import services

EXTENSION = "kiosk_print_worker"


def settings_of(app: Flask) -> services.PrintSettings:
    """This server's print settings: the default printer as KIOSK_PRINTER says (followed where it
    is set: anything but the ``dummy:`` it defaults to), the font, the timeout, this server's name
    (KIOSK_SERVER_NAME). Made once per value of those settings (a print button, the worker's
    every round and the status bar ask for them)."""
    config = app.config
    key = tuple(config.get(name) for name in _SETTINGS)
    kept = app.extensions.get(_KEPT_SETTINGS)
    if kept is not None and kept[0] == key:
        return kept[1]
    from flask_babel import force_locale, gettext

    with app.app_context(), force_locale(config["BABEL_DEFAULT_LOCALE"]):
        default_name = gettext(printer_records.DEFAULT_NAME)
    settings = services.PrintSettings(printer=config["KIOSK_PRINTER"], paper_mm=int(config["KIOSK_PAPER_MM"]),
                                      font_path=config.get("KIOSK_FONT") or None,
                                      timeout=float(config["KIOSK_PRINT_TIMEOUT"]),
                                      native=bool(config.get("KIOSK_PRINTER_NATIVE", False)),
                                      host=config.get("KIOSK_SERVER_NAME") or printer_records.this_host(),
                                      default_name=default_name, follow=config["KIOSK_PRINTER"] != "dummy:")
    app.extensions[_KEPT_SETTINGS] = (key, settings)
    return settings


_SETTINGS = ("KIOSK_PRINTER", "KIOSK_PAPER_MM", "KIOSK_FONT", "KIOSK_PRINT_TIMEOUT", "KIOSK_PRINTER_NATIVE",
             "KIOSK_SERVER_NAME", "BABEL_DEFAULT_LOCALE")
_KEPT_SETTINGS = "kiosk_print_settings"


def job_printer(app: Flask | None = None, *, tags: bool = False) -> services.Destination:
    """Where a job queued by this request prints: on the printer beside the tablet that asked
    (:mod:`kiosk.tablets`: its tag printer for ``tags``, its receipt printer for slips), else on
    the default printer (made from KIOSK_PRINTER when there is none, in the request's
    transaction). The one home for every print button's printer."""
    app = app or current_app._get_current_object()
    default = services.default_printer(db.session, settings_of(app), commit=False)
    tablet = current_tablet() if has_request_context() else None
    if tablet is None or tablet.property_id != default.property_id:  # a group's supervisor away from it
        return services.Destination(default)
    return services.Destination(tablet_services.printer_for(tablet, tags=tags) or default, tablet.id)


def forget_old_keys(app: Flask) -> int:
    """The request keys nobody can send again (:func:`kiosk.request_keys.prune`), hourly from the
    print worker: every scan keeps one, so the table would grow by a row per scan for ever."""
    from ..request_keys import prune

    with app.app_context():
        try:
            return prune(db.session)
        finally:
            db.session.remove()


def process_queue(app: Flask) -> list[int]:
    """Send every queued job now, in order, and return the ids handled.

    Used by the worker thread, the CLI and tests. Runs in its own app
    context, so its database session is its own.
    """
    with app.app_context():
        try:
            handled: list[int] = []
            for _property in properties.each_property(db.session):  # each hotel's own printers
                handled += services.process(db.session, settings_of(app), app.logger.exception)
            return handled
        finally:
            db.session.remove()


class PrintWorker:
    """The thread, its wake-up event and its stop flag (the alert worker is one too)."""

    thread_name = "kiosk-print-worker"
    #: where ``app.extensions`` keeps this process's one worker
    extension = EXTENSION

    @staticmethod
    def enabled(app: Flask) -> bool:
        return bool(app.config.get("KIOSK_PRINT_WORKER", True))

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self) -> None:
        with self._lock:
            if self.running or self.stopping.is_set():
                return
            self.thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self.thread.start()

    def notify(self) -> None:
        """A job was queued (and committed): send it now."""
        self.start()
        self.wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout)

    #: how often the worker also forgets old request keys (kiosk.request_keys.prune)
    PRUNE_EVERY_SECONDS = 3600.0

    def _run(self) -> None:
        poll = float(self.app.config.get("KIOSK_PRINT_POLL_SECONDS", 3.0))
        pruned = 0.0
        while not self.stopping.is_set():
            try:
                process_queue(self.app)
                if time.monotonic() - pruned > self.PRUNE_EVERY_SECONDS and self.thread_name == PrintWorker.thread_name:
                    pruned = time.monotonic()
                    forget_old_keys(self.app)
            except Exception:  # the database away for a moment: try again at the next poll
                self.app.logger.exception("the print worker could not read the queue")
            # A job queued while the queue was being sent set the event: the
            # wait returns at once and the next round sends it.
            self.wake.wait(poll)
            self.wake.clear()


def worker_of(app: Flask, kind: type[PrintWorker] = PrintWorker) -> PrintWorker | None:
    """This process's worker of ``kind`` (the print worker, or a subclass: the alert worker),
    created on first use; None when turned off."""
    if not kind.enabled(app):
        return None
    worker = app.extensions.get(kind.extension)
    if worker is None:
        # setdefault is atomic: two first requests at once share one worker.
        worker = app.extensions.setdefault(kind.extension, kind(app))
    return worker


def notify(app: Flask, kind: type[PrintWorker] = PrintWorker) -> None:
    """Wake (or start) the worker after a job was committed."""
    worker = worker_of(app, kind)
    if worker is not None:
        worker.notify()


def ensure_started(app: Flask, kind: type[PrintWorker] = PrintWorker) -> None:
    """Start the worker if it is not running (cheap: called before each request)."""
    worker = worker_of(app, kind)
    if worker is not None and not worker.running:
        worker.start()


def stop(app: Flask, kind: type[PrintWorker] = PrintWorker) -> None:
    worker = app.extensions.get(kind.extension)
    if worker is not None:
        worker.stop()
