"""Tailor (裁缝间): garments sent out for mending and received back."""
from flask import Blueprint

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("tailor", __name__, url_prefix="/tailor"))  # owners' names

from . import routes  # noqa: E402,F401
