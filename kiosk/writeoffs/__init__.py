"""Write-offs (报损) and compensation (赔偿)."""
from flask import Blueprint

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("writeoffs", __name__, url_prefix="/writeoffs"))  # who pays; payroll

from . import routes  # noqa: E402,F401
