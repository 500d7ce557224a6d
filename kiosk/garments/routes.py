"""One garment's page (placeholder until the station lands)."""
from flask import abort

from ..main.stations import ALL_ROLES, COUNTER
from ..web import roles
from . import bp


@bp.get("/lookup")
@roles(*ALL_ROLES)
def lookup():
    """Find a garment by tag (lookup mode)."""
    abort(404)


@bp.get("/<tag>")
@roles(*ALL_ROLES)
def page(tag: str):
    """The garment's timeline."""
    abort(404)
