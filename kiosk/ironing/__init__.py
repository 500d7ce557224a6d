"""Ironing (熨烫): the ironer scans each ironed garment; it moves on to inspection."""
from flask import Blueprint

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("ironing", __name__, url_prefix="/ironing"))  # each ironer's figures

from . import routes  # noqa: E402,F401
