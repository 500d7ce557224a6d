"""Write-offs (placeholder until the workflow lands)."""
from flask import abort

from ..main.stations import COUNTER
from ..web import roles
from . import bp


@bp.get("/")
@roles(*COUNTER)
def index():
    """Write-offs and compensation."""
    abort(404)
