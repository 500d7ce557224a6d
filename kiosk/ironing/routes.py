"""Ironing (熨烫) (placeholder until the station lands)."""
from flask import abort

from ..main.stations import ALL_ROLES, COUNTER
from ..web import roles
from . import bp


@bp.get("/")
@roles(*ALL_ROLES)
def station():
    """The ironing station."""
    abort(404)
