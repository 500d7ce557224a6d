"""Kits by position (岗位配置 / 配发标准): what each position gets, garments and stock items."""
from flask import Blueprint

bp = Blueprint("kits", __name__, url_prefix="/kits")

from . import routes  # noqa: E402,F401
