"""Ironing (熨烫): the ironer scans each ironed garment; it moves on to inspection."""
from flask import Blueprint

bp = Blueprint("ironing", __name__, url_prefix="/ironing")

from . import routes  # noqa: E402,F401
