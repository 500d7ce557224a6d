"""Today board (今日)."""
from flask import Blueprint

bp = Blueprint("board", __name__, url_prefix="/today")

from . import routes  # noqa: E402,F401
