"""Today board (今日). (placeholder until the station lands)."""
from flask import abort

from ..main.stations import ALL_ROLES, COUNTER
from ..web import roles
from . import bp


@bp.get("/")
@roles(*COUNTER)
def today():
    """What the room has on today."""
    abort(404)
