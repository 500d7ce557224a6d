"""Inspection (质检) and slotting (配入). (placeholder until the station lands)."""
from flask import abort

from ..main.stations import ALL_ROLES, COUNTER
from ..web import roles
from . import bp


@bp.get("/")
@roles(*COUNTER)
def station():
    """The inspection table."""
    abort(404)


@bp.get("/slot")
@roles(*COUNTER)
def slotting():
    """Slotting: scan each passed garment into its numbered slot."""
    abort(404)
