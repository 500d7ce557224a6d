"""Tailor (裁缝间) (placeholder until the station lands)."""
from flask import abort

from ..main.stations import ALL_ROLES, COUNTER
from ..web import roles
from . import bp


@bp.get("/")
@roles(*COUNTER)
def station():
    """The tailor station."""
    abort(404)
