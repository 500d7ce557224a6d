"""Monthly stocktake (月盘点) by scanning."""
from flask import Blueprint

bp = Blueprint("stocktake", __name__, url_prefix="/stocktake")

from . import routes  # noqa: E402,F401
