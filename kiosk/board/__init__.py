"""Today board (今日)."""
from flask import Blueprint

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("board", __name__, url_prefix="/today"))  # owners' and ironers' names

from . import routes  # noqa: E402,F401
