"""New purchases (新购制服): received, registered, tags printed."""
from flask import Blueprint

bp = Blueprint("purchases", __name__, url_prefix="/purchases")

from . import routes  # noqa: E402,F401
