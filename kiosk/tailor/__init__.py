"""Tailor (裁缝间): garments sent out for mending and received back."""
from flask import Blueprint

bp = Blueprint("tailor", __name__, url_prefix="/tailor")

from . import routes  # noqa: E402,F401
