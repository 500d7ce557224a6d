"""Stock items (鞋、袜、头花 and consumables) and the monthly distribution (每月鞋袜分发)."""
from flask import Blueprint

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("stock", __name__, url_prefix="/stock"))  # who collected what

from . import routes  # noqa: E402,F401
