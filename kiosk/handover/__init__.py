"""Shift handover (交接班)."""
from flask import Blueprint

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("handover", __name__, url_prefix="/handover"))  # names and notes

from . import routes  # noqa: E402,F401
