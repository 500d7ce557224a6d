"""The clearance screens (离职退还)."""
from __future__ import annotations

from . import bp  # noqa: F401
from .models import Clearance, ClearanceLine  # noqa: F401 (registers the tables)
