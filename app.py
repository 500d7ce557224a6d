"""WSGI entry point: ``flask --app app ...`` and ``waitress-serve app:app``.

A setting the kiosk cannot run with (a time zone that does not exist, a
printer address, a number out of range, a missing file) stops the start, and
every command, with one line naming the variable (kiosk.config.SettingError)
instead of serving errors.
"""
import sys

from kiosk import create_app
from kiosk.config import SettingError

try:
    app = create_app()
except SettingError as bad:
    sys.exit(f"kiosk: {bad}")
