"""Shift checklists (开班 / 收班检查) from the room's written duties."""
from flask import Blueprint

from ..web import when_sign_in_ends

bp = Blueprint("checklists", __name__, url_prefix="/checklists")

from . import routes, services  # noqa: E402

# A sign-out, idle lock or a shift's end without the closing check records it as missing.
bp.record_once(lambda state: when_sign_in_ends(state.app, services.sign_in_ended))
