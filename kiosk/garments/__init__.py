"""One garment's page: its whole timeline; the lookup mode of every station."""
from flask import Blueprint

bp = Blueprint("garments", __name__, url_prefix="/garment")

from . import routes  # noqa: E402,F401
