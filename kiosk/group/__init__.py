"""A hotel group's own screens (集团): its hotels side by side, and moving between them."""
from flask import Blueprint

bp = Blueprint("group", __name__, url_prefix="/group")

from . import routes  # noqa: E402,F401
