"""Check-in (收衣): dirty garments handed in become ``dirty``."""
from flask import Blueprint

bp = Blueprint("checkin", __name__, url_prefix="/checkin")

from . import routes  # noqa: E402,F401
