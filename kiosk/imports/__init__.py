"""Excel (CSV) import of garment types, employees and garments."""
from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/import")

from . import routes  # noqa: E402,F401
