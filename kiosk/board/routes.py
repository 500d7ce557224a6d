"""Today board (今日): counts by status, what is late, and the end-of-day check."""
from __future__ import annotations

from flask import current_app

from ..domain.roles import COUNTER
from ..extensions import db
from ..i18n import hotel_zone, now
from ..web import render_page_or_fragment, roles
from . import bp, services


@bp.get("/")
@roles(*COUNTER)
def today():
    """What the room has on today.

    The page polls this same URL every 60 s (htmx, marked as background so
    an idle kiosk still locks itself) and gets only the board back.
    """
    board = services.today_board(
        db.session, now_utc=now(), timezone=hotel_zone(),
        tailor_days=int(current_app.config["KIOSK_TAILOR_DAYS"]),
    )
    return render_page_or_fragment("board/today.html", "board/_board.html", board=board)
