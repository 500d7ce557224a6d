"""One garment's page: its whole timeline; the lookup mode of every station."""
from flask import Blueprint

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("garments", __name__, url_prefix="/garment"))  # owners' and holders' names

from . import routes  # noqa: E402,F401
