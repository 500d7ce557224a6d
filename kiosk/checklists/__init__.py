"""Shift checklists (开班 / 收班检查) from the room's written duties."""
from flask import Blueprint

bp = Blueprint("checklists", __name__, url_prefix="/checklists")

from . import routes  # noqa: E402,F401
