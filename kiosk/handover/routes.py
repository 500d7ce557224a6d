"""Shift handover (placeholder until the workflow lands)."""
from flask import abort

from ..main.stations import COUNTER
from ..web import roles
from . import bp


@bp.get("/")
@roles(*COUNTER)
def index():
    """Shift handover."""
    abort(404)
