"""Stock items (鞋、袜、头花 and consumables) and the monthly distribution (每月鞋袜分发)."""
from flask import Blueprint

bp = Blueprint("stock", __name__, url_prefix="/stock")

from . import routes  # noqa: E402,F401
