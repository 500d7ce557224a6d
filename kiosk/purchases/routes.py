"""New purchases (placeholder until the workflow lands)."""
from flask import abort

from ..main.stations import MANAGERS
from ..web import roles
from . import bp


@bp.get("/")
@roles(*MANAGERS)
def index():
    """Purchases."""
    abort(404)
