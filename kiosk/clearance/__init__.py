"""A leaver's clearance (离职退还): everything they hold, returned or charged."""
from flask import Blueprint

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("clearance", __name__, url_prefix="/clearance"))  # names, amounts

from . import routes  # noqa: E402,F401
