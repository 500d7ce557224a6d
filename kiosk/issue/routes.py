"""Issue and exchange (发衣 / 换衣), spares and the new-hire kit. (placeholder until the station lands)."""
from flask import abort

from ..main.stations import ALL_ROLES, COUNTER
from ..web import roles
from . import bp


@bp.get("/")
@roles(*COUNTER)
def station():
    """Issue and exchange."""
    abort(404)


@bp.get("/kit")
@roles(*COUNTER)
def kit():
    """The new-hire kit."""
    abort(404)
