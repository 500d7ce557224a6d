"""Inspection (质检) and slotting (配入)."""
from flask import Blueprint

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("inspection", __name__, url_prefix="/inspection"))  # owners' names and slots

from . import routes  # noqa: E402,F401
