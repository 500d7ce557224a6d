"""Stock items (placeholder until the workflow lands)."""
from flask import abort

from ..main.stations import COUNTER
from ..web import roles
from . import bp


@bp.get("/")
@roles(*COUNTER)
def items():
    """Stock items on hand."""
    abort(404)
