"""Write-offs (报损) and compensation (赔偿)."""
from flask import Blueprint

bp = Blueprint("writeoffs", __name__, url_prefix="/writeoffs")

from . import routes  # noqa: E402,F401
