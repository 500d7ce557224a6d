"""The kits screen (岗位配置)."""
from __future__ import annotations

from . import bp  # noqa: F401
from .models import KitLine  # noqa: F401 (registers the table)
