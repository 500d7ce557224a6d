"""Shift handover (交接班)."""
from flask import Blueprint

bp = Blueprint("handover", __name__, url_prefix="/handover")

from . import routes  # noqa: E402,F401
