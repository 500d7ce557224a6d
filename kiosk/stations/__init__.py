"""What every scan station shares: the scan panel, the answer, the session's log.

Each station is its own blueprint (check-in, ironing, inspection, ...); this
package only renders. The rules live in :mod:`kiosk.scanning` and the ledger.
"""
from flask import Flask


def init_app(app: Flask) -> None:
    """A queued scan sent under another operator's sign-in is answered 409 (kiosk.stations.web)."""
    from .web import NotYourScan, not_your_scan

    app.register_error_handler(NotYourScan, not_your_scan)
