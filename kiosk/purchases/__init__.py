"""New purchases (新购制服): received, registered, tags printed."""
from flask import Blueprint

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("purchases", __name__, url_prefix="/purchases"))  # owners' staff numbers

from . import routes  # noqa: E402,F401
