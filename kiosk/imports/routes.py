"""Import screen (placeholder until the import work lands)."""
from flask import render_template

from ..main.stations import MANAGERS
from ..web import roles
from . import bp


@bp.get("/")
@roles(*MANAGERS)
def upload():
    """Upload a CSV exported from Excel."""
    return render_template("errors/message.html", title="", message="")
