"""Monthly stocktake (月盘点) by scanning."""
from flask import Blueprint

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("stocktake", __name__, url_prefix="/stocktake"))  # who counted what

from . import routes  # noqa: E402,F401
