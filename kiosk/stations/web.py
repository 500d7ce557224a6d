"""Rendering shared by the scan stations."""
from __future__ import annotations

import datetime as dt

from flask import current_app, render_template
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..models import Event, Garment, User, utcnow
from ..scanning import ScanResult

LOG_LENGTH = 30


def duplicate_seconds() -> int:
    return int(current_app.config["KIOSK_DUPLICATE_SECONDS"])


def scan_log(session: Session, station: str, user: User, since_hours: int = 12) -> list[Event]:
    """This user's latest scans at this station (the list that grows while they work)."""
    since = utcnow() - dt.timedelta(hours=since_hours)
    return list(session.scalars(
        select(Event).where(Event.station == station, Event.user_id == user.id, Event.created_at >= since)
        .options(joinedload(Event.garment).joinedload(Garment.garment_type))
        .order_by(Event.created_at.desc(), Event.id.desc()).limit(LOG_LENGTH)
    ))


def message_of(result: ScanResult) -> str:
    return result.error.translated(gettext) if result.error else ""


def render_result(result: ScanResult, *, station: str, headline: str = "", template: str = "stations/_result.html",
                  log_row: bool = True, **context) -> str:
    """The answer to one scan: colour, sound and large text, plus the new log row (out of band)."""
    return render_template(
        template,
        result=result,
        station=station,
        headline=headline,
        message=message_of(result),
        warnings=[w.translated(gettext) for w in result.warnings],
        log_row=log_row and result.ok and result.event is not None,
        **context,
    )
