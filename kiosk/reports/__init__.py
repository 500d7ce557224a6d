"""The supervisors' monthly loss report (月度报损报表)."""
from flask import Blueprint

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("reports", __name__, url_prefix="/reports"))  # amounts per department

from . import routes  # noqa: E402,F401
