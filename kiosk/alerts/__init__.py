"""Alerts where supervisors are (提醒): WeCom, DingTalk and Feishu group robots, or any JSON URL.

A supervisor sets up the channels on ``/alerts/``; a background worker
(:mod:`kiosk.alerts.worker`) finds what needs them (escalated loans,
approvals, failing prints, a stocktake left open, a failed backup, the
morning summary) and sends each alert once, with retries. No request ever
talks to a robot: the "send test" button only queues a row.
"""
from flask import Blueprint, Flask

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("alerts", __name__, url_prefix="/alerts"))  # staff names in the messages


def init_app(app: Flask) -> None:
    """The worker, started by the first request (as the print worker); ``kiosk alerts`` is
    added by kiosk.cli with the other commands."""
    from . import worker

    @app.before_request
    def _start_alert_worker() -> None:
        worker.ensure_started(app)


from . import routes  # noqa: E402,F401
