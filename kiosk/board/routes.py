"""Today board (今日): counts by status, what is late, and the end-of-day check."""
from __future__ import annotations

from flask import url_for

from ..checklists import services as checklists
from ..domain.roles import COUNTER
from ..extensions import db
from ..i18n import hotel_zone, now
from ..web import current_sign_in, hotel_setting, render_page_or_fragment, roles
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
        tailor_days=int(hotel_setting("KIOSK_TAILOR_DAYS")),
    )
    # Today's shift checks (开班 / 收班检查), and this sign-in's own at the counter.
    day = checklists.day_checks(db.session, board.start_utc, board.end_utc)
    mine = day.of_sign_in(current_sign_in(), (checklists.COUNTER_OPEN, checklists.COUNTER_CLOSE))
    return render_page_or_fragment("board/today.html", "board/_board.html", board=board,
                                   checks=checklists.snapshot_of(day), my_checks=mine, back=url_for(".today"))
