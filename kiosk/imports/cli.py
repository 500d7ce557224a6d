"""``kiosk import types|employees|garments FILE.csv`` (to be written)."""
from flask.cli import AppGroup

import_cli = AppGroup("import", help="Import CSV files exported from Excel.")
