"""Home screen (the stations a role may use) and the health check."""
from flask import Blueprint

bp = Blueprint("main", __name__)

from . import routes, shell  # noqa: E402,F401
