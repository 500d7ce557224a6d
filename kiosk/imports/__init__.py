"""Excel (CSV) import of garment types, employees and garments."""
from flask import Blueprint

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("imports", __name__, url_prefix="/import"))  # the rows of staff files

from . import routes  # noqa: E402,F401
