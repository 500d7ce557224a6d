"""Sign-ins held on the server (``operator_sessions``): the one place a session ends.

The cookie carries a random token; the table its SHA-256. Sign-out, the idle
lock and a change of the operator's PIN, role or status end the row, so a
copied cookie stops working at once. No Flask request state in here.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..checklists.services import sign_in_ended
from ..models import OperatorSession, utcnow


def end_sessions(session: Session, user_id: int, reason: str, *, now: dt.datetime | None = None) -> int:
    """End every open sign-in of the operator (their PIN, role or status changed); how many.

    A sign-in that owed a closing check records it as missing (kiosk.checklists).
    """
    now = now or utcnow()
    ending = list(session.scalars(select(OperatorSession).where(
        OperatorSession.user_id == user_id, OperatorSession.ended_at.is_(None))))
    result = session.execute(
        update(OperatorSession)
        .where(OperatorSession.user_id == user_id, OperatorSession.ended_at.is_(None))
        .values(ended_at=now, ended_reason=reason[:16]))
    for row in ending:
        sign_in_ended(session, row, reason, now)
    return result.rowcount or 0
