"""Inspection (质检) and slotting (配入)."""
from flask import Blueprint

bp = Blueprint("inspection", __name__, url_prefix="/inspection")

from . import routes  # noqa: E402,F401
