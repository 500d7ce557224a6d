"""Operators (操作员): who signs in, their role, PIN and badge; the PIN policy applied.

Names, sign-ins and a one-time PIN on these pages: nothing is kept in the
tablet's cache (no-store), and the one-time PIN appears in no URL.
"""
from flask import Blueprint

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("operators", __name__, url_prefix="/operators"))

from . import routes  # noqa: E402,F401
