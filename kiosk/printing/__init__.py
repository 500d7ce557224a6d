"""Printing: the print queue, its status bar, and the print buttons' endpoints.

The printer adapter (:mod:`printers`) draws and sends; this package decides
what to print, keeps every print as a job, and sends jobs from a worker
thread so no request ever waits for the printer.
"""
from flask import Blueprint, Flask

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("printing", __name__, url_prefix="/print"))  # names on slips and tags


def init_app(app: Flask) -> None:
    """The status bar's helpers for base.html, and the worker started by the first request."""
    from . import worker
    from .routes import forget_receipts, may_print, receipts_on, status_context, template_helpers
    from .tablets import unnamed_notice

    app.jinja_env.globals.update(print_status=status_context, tablet_unnamed=unnamed_notice,
                                 can_print=may_print, receipts_on=receipts_on, **template_helpers())
    app.teardown_request(forget_receipts)

    @app.before_request
    def _start_print_worker() -> None:
        # Jobs left queued by a restart go out without waiting for a new print.
        worker.ensure_started(app)


def process_queue(app: Flask) -> list[int]:
    """Send every queued job now (see :func:`kiosk.printing.worker.process_queue`)."""
    from .worker import process_queue as run

    return run(app)


from . import routes, tablets  # noqa: E402,F401
