"""WSGI entry point: ``flask --app app ...`` and ``waitress-serve app:app``."""
from kiosk import create_app

app = create_app()
