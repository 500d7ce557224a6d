"""The kiosk's log: one line per request, errors with their time and traceback, print and
backup outcomes, sign-ins (kiosk.web.auth_log).

- Every request: time, client address, operator id, method, path, status and
  milliseconds (``kiosk.request``). Never a query string, a form value, a PIN,
  a phone or a name: the path alone (ids and tag codes, which are not
  personal data).
- Where: stderr by default (journald keeps it under systemd);
  ``KIOSK_LOG_FILE`` appends to a file through a WatchedFileHandler, so
  logrotate can move it away under several server processes (each reopens the
  file when it sees it was replaced; none rotates by size on its own).
- ``KIOSK_LOG_FORMAT=json``: one JSON object per line for a log collector
  (``time``, ``level``, ``logger``, ``message`` and the request's fields, a
  traceback as ``exc``).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import logging.handlers
import sys
import time

from flask import Flask, Response, g, request

request_log = logging.getLogger("kiosk.request")

#: what ``kiosk serve`` writes: every line with its time
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: the fields a request line carries (also as JSON keys)
REQUEST_FIELDS = ("client", "operator", "method", "path", "status", "ms")
_OURS = "kiosk_handler"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, with the request's fields when it has them."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in REQUEST_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def handler_for(config) -> logging.Handler:
    """The handler the settings ask for: a watched file, or stderr; text or JSON."""
    path = config.get("KIOSK_LOG_FILE")
    handler: logging.Handler = (logging.handlers.WatchedFileHandler(path, encoding="utf-8") if path
                                else logging.StreamHandler(sys.stderr))
    handler.setFormatter(JsonFormatter() if config.get("KIOSK_LOG_FORMAT") == "json"
                         else logging.Formatter(TEXT_FORMAT))
    setattr(handler, _OURS, True)
    return handler


def configure(app: Flask) -> None:
    """Logging for a serving process (``kiosk serve``): the root logger gets the kiosk's handler.

    Set once per process; a host that configured logging itself keeps its
    handlers and gets the kiosk's beside them. Waitress would otherwise call
    ``logging.basicConfig()`` (no time in its lines); Flask's own handler on
    the app's logger would write each kiosk line a second time.
    """
    from flask.logging import default_handler

    root = logging.getLogger()
    if not any(getattr(handler, _OURS, False) for handler in root.handlers):
        root.addHandler(handler_for(app.config))
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    app.logger.removeHandler(default_handler)


def _started() -> None:
    g.request_started = time.perf_counter()


def _logged(response: Response) -> Response:
    started = g.pop("request_started", None)
    ms = int((time.perf_counter() - started) * 1000) if started is not None else -1
    user = g.get("user")
    fields = {"client": (request.remote_addr or "-")[:64], "operator": user.id if user is not None else None,
              "method": request.method, "path": (request.script_root + request.path)[:300],
              "status": response.status_code, "ms": ms}
    request_log.info("%s op=%s %s %s %s %dms", fields["client"], fields["operator"] or "-", fields["method"],
                     fields["path"], fields["status"], ms, extra=fields)
    return response


def init_app(app: Flask) -> None:
    """The request line's hooks: registered first, so the time includes the access check."""
    if request_log.level == logging.NOTSET:
        request_log.setLevel(logging.INFO)
    app.before_request(_started)
    app.after_request(_logged)
