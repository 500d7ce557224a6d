"""Transfers between the group's hotels (调拨): scan out, send with a slip, scan in at the other end."""
from flask import Blueprint

bp = Blueprint("transfers", __name__, url_prefix="/transfers")

from . import models, routes  # noqa: E402,F401
