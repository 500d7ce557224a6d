"""Registry screens: employees, garment types, garments."""
from flask import Blueprint

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("registry", __name__, url_prefix="/registry"))  # employees: phones, names

from . import routes  # noqa: E402,F401
