"""Check-in (收衣): dirty garments handed in become ``dirty``."""
from flask import Blueprint

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("checkin", __name__, url_prefix="/checkin"))  # who handed in what

from . import routes  # noqa: E402,F401
