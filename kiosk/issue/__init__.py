"""Issue and exchange (发衣 / 换衣), spares and the new-hire kit."""
from flask import Blueprint

bp = Blueprint("issue", __name__, url_prefix="/issue")

from . import routes  # noqa: E402,F401
