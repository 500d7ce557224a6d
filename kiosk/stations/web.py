"""Rendering shared by the scan stations."""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from flask import render_template, request
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, joinedload

from ..domain.errors import N_
from ..extensions import db
from ..ledger import UNDO
from ..web import current_user, hotel_setting
from ..models import Event, Garment, User, utcnow
from ..scanning import ScanMeta, ScanResult

LOG_LENGTH = 30


def duplicate_seconds() -> int:
    return int(hotel_setting("KIOSK_DUPLICATE_SECONDS"))


class NotYourScan(Exception):
    """A queued scan sent under another operator's sign-in (an old tab of the tablet): never
    recorded as theirs; the tablet keeps it for the operator who made it."""


def scan_meta() -> ScanMeta:
    """What the tablet's scan queue sent with this scan (kiosk/static/js/scan.js): its id for the
    scan (``scan_id``), how long it waited on the tablet (``scan_age``, milliseconds) and who made
    it (``scan_operator``). An age that is not a whole number is left out (the scan counts as
    arriving now). A scan made by another operator than the one signed in raises
    :class:`NotYourScan` (answered 409, kept on the tablet)."""
    form = request.form
    made_by = (form.get("scan_operator") or "").strip()
    user = current_user()
    if made_by and (user is None or made_by != str(user.id)):
        raise NotYourScan()
    age = None
    raw = (form.get("scan_age") or "").strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= 12:
        age = dt.timedelta(milliseconds=int(raw))
    return ScanMeta(key=form.get("scan_id") or None, age=age)


def not_your_scan(_error: NotYourScan):
    """A queued scan of another operator: 409, nothing recorded; the tablet keeps it (``X-Kiosk-Queue: held``)."""
    from flask import make_response

    from ..extensions import db
    from ..web import refuse

    db.session.rollback()
    response = make_response(refuse(gettext(NOT_YOURS), status=409))
    response.headers["X-Kiosk-Queue"] = "held"
    return response


NOT_YOURS = N_("This scan was made by another operator on this tablet: it waits for them to sign in and send it.")


class LogEntry(NamedTuple):
    """One row of a station's scan list: the scan, and whether it was undone since (struck through)."""

    event: Event
    undone: bool = False


def scan_log(session: Session, station: str, user: User, since_hours: int = 12) -> list[LogEntry]:
    """This user's latest scans at this station (the list that grows while they work).

    An undo is not a row of its own: the scan it undid stays in the list, struck through.
    """
    since = utcnow() - dt.timedelta(hours=since_hours)
    undo = aliased(Event)
    undone = select(undo.id).where(undo.reverses_event_id == Event.id, undo.action == UNDO).exists()
    rows = session.execute(
        select(Event, undone).where(Event.station == station, Event.user_id == user.id, Event.created_at >= since,
                                    Event.action != UNDO)
        .options(joinedload(Event.garment).joinedload(Garment.garment_type))
        .order_by(Event.created_at.desc(), Event.id.desc()).limit(LOG_LENGTH)
    )
    return [LogEntry(event, bool(was_undone)) for event, was_undone in rows]


def message_of(result: ScanResult) -> str:
    return result.error.translated(gettext) if result.error else ""


def render_result(result: ScanResult, *, station: str, headline: str = "", template: str = "stations/_result.html",
                  log_row: bool = True, asks_for: str | None = None, ask: str = "", **context) -> str:
    """The answer to one scan: colour, sound and large text, plus the new log row (out of band).

    The answer to an undo strikes the undone scan's row through (out of band) instead.
    A refusal whose message is ``asks_for`` only wants one more thing from the
    person (the defect a garment goes to the tailor for): it is a question, ``ask``,
    without the red and the error tone (``data-scan-result="prompt"``).
    """
    prompt = asks_for is not None and result.error is not None and result.error.message == asks_for
    undone = None
    if result.ok and result.event is not None and result.event.action == UNDO and result.event.reverses_event_id:
        undone = db.session.get(Event, result.event.reverses_event_id)
    return render_template(
        template,
        result=result,
        station=station,
        headline=headline,
        message=ask if prompt else message_of(result),
        outcome="prompt" if prompt else result.result,
        warnings=[w.translated(gettext) for w in result.warnings],
        log_row=log_row and result.ok and result.event is not None and undone is None,
        undone_event=undone,
        **context,
    )
