"""Registry screens (placeholder until the registry work lands)."""
from flask import render_template

from ..main.stations import COUNTER, MANAGERS
from ..web import roles
from . import bp


@bp.get("/employees")
@roles(*COUNTER)
def employees():
    """Employee list and search."""
    return render_template("errors/message.html", title="", message="")


@bp.get("/garments")
@roles(*COUNTER)
def garments():
    """Garment list."""
    return render_template("errors/message.html", title="", message="")


@bp.get("/types")
@roles(*MANAGERS)
def types():
    """Garment types."""
    return render_template("errors/message.html", title="", message="")
