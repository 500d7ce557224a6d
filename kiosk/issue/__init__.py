"""Issue and exchange (发衣 / 换衣), spares and the new-hire kit."""
from flask import Blueprint

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("issue", __name__, url_prefix="/issue"))  # a person's holdings

from . import routes  # noqa: E402,F401
