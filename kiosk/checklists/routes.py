"""The checklist screens (开班 / 收班检查)."""
from __future__ import annotations

from . import bp  # noqa: F401
from .models import ChecklistItem, ChecklistRun  # noqa: F401 (registers the tables)
