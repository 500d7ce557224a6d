"""Shift handover (交接班): write a note with a snapshot of open items; the next
clerk acknowledges it with their own PIN. No Flask in here.

The snapshot reuses the queries of the screens that own each item (the today
board, the tailor, the print queue, loans, write-offs), so the handover counts
exactly what those screens count. It is stored as JSON with codes and plain
values only (no translated text): each reader sees it in their own language.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from ..auth.services import Policy, check_pin
from ..board import services as board
from ..checklists import services as checklists
from ..domain.calendar import DEFAULT_ZONE, local_day_bounds
from ..domain.errors import DomainError, N_
from ..domain.money import plain
from ..domain.roles import COUNTER, works_counter
from ..models import Garment, PrintJob, User, utcnow
from ..properties import services as properties
from ..request_keys import by_id, once
from ..loans import services as loans
from ..tailor.services import at_tailor
from ..writeoffs import services as writeoffs
from .models import Handover

#: how many entries each short list of the snapshot keeps (the count is always exact)
SHORT_LIST = 10
#: the longest note a clerk can write
NOTE_MAX = 2000
#: version of the snapshot's layout, kept in it so an old record stays readable
SNAPSHOT_VERSION = 1

#: snapshot sections, in the order the page shows them -> heading msgid
SECTIONS: dict[str, str] = {
    "overdue_loans": N_("Overdue loans"),
    "at_tailor": N_("At the tailor"),
    "failed_prints": N_("Failed prints"),
    "unslotted": N_("Passed, not yet slotted"),
    "pending_compensation": N_("Compensation pending"),
    "stuck": N_("In ironing or inspection for over 24 hours"),
}

NOTE_TOO_LONG = N_("The note is too long: at most %(max)d characters.")
NOT_FOUND = N_("This handover does not exist.")
CHOOSE_NAME = N_("Tap your name first.")
SAME_USER = N_("%(name)s wrote this handover: the next clerk must acknowledge it with their own PIN.")
ALREADY_DONE = N_("This handover was already acknowledged by %(name)s.")
NOT_COUNTER = N_("Only a clerk or a supervisor can take over the counter.")


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _garment_item(garment: Garment, **extra: Any) -> dict[str, Any]:
    owner = garment.owner
    return {"tag": garment.tag,
            "number": garment.number or (owner.uniform_no if owner else None),
            "owner": owner.name if owner else None,
            "status": garment.status, **extra}


# --- the snapshot, one section per kind of open item -------------------------

def _at_tailor_section(session: Session, now: dt.datetime, tailor_days: int) -> dict[str, Any]:
    rows = at_tailor(session, now)
    overdue_count, _overdue = board.overdue_at_tailor(session, now, tailor_days)
    return {"count": len(rows), "overdue": overdue_count, "overdue_days": tailor_days,
            "items": [_garment_item(row.garment, days=row.days_out) for row in rows[:SHORT_LIST]]}


def _unslotted_section(session: Session) -> dict[str, Any]:
    count, garments = board.unslotted(session)
    return {"count": count, "items": [_garment_item(g) for g in garments[:SHORT_LIST]]}


def _stuck_section(session: Session, now: dt.datetime) -> dict[str, Any]:
    count, aged = board.stuck_in_process(session, now)
    return {"count": count, "items": [_garment_item(a.garment, hours=a.hours) for a in aged[:SHORT_LIST]]}


def failed_prints(session: Session) -> tuple[int, list[PrintJob]]:
    """Print jobs that failed and were not retried yet (count, newest first).

    The status bar only shows the last hours; a handover lists every one
    still failed, however old.
    """
    is_failed = PrintJob.status == "failed"
    count = session.scalar(select(func.count()).select_from(PrintJob).where(is_failed)) or 0
    jobs = session.scalars(select(PrintJob).where(is_failed)
                           .order_by(PrintJob.id.desc()).limit(SHORT_LIST)).all()
    return count, list(jobs)


def _failed_prints_section(session: Session) -> dict[str, Any]:
    count, jobs = failed_prints(session)
    return {"count": count, "items": [{"id": job.id, "kind": job.kind, "created_at": _iso(job.created_at)}
                                      for job in jobs]}


def _overdue_loans_section(session: Session, now: dt.datetime) -> dict[str, Any]:
    late = loans.overdue(session, now=now)  # most overdue first, as the loans board shows them
    return {"count": len(late), "items": [
        {"id": o.loan.id, "borrower": o.loan.borrower_name, "due_at": _iso(o.loan.due_at), "days": o.days_late,
         "hours_late": int(o.late.total_seconds() // 3600)}
        for o in late[:SHORT_LIST]]}


def _pending_compensation_section(session: Session) -> dict[str, Any]:
    # Pending as the write-offs screen sees it: the latest correction decides.
    pending = sorted(writeoffs.open_compensations(session), key=lambda c: (c.created_at, c.id))
    return {"count": len(pending), "items": [
        {"id": c.id, "party": c.party, "amount": plain(c.current_amount)} for c in pending[:SHORT_LIST]]}


def collect_summary(session: Session, *, now: dt.datetime, tailor_days: int,
                    zone: str = DEFAULT_ZONE) -> dict[str, Any]:
    """The open items as they stand at ``now``: counts and short lists, JSON-ready.

    Beside them, the day's shift checks (in the hotel's ``zone``): done by whom
    and when, and the ones missing.
    """
    sections = {
        "overdue_loans": _overdue_loans_section(session, now),
        "at_tailor": _at_tailor_section(session, now, tailor_days),
        "failed_prints": _failed_prints_section(session),
        "unslotted": _unslotted_section(session),
        "pending_compensation": _pending_compensation_section(session),
        "stuck": _stuck_section(session, now),
    }
    return {"version": SNAPSHOT_VERSION, "taken_at": _iso(now), "sections": sections,
            "open_total": sum(s["count"] for s in sections.values()),
            "checks": checklists.checks_snapshot(session, *local_day_bounds(now, zone))}


# --- commands ----------------------------------------------------------------

def write(session: Session, *, writer: User, note: str, tailor_days: int,
          request_key: str | None = None, now: dt.datetime | None = None,
          sign_in: int | None = None, zone: str = DEFAULT_ZONE) -> Handover:
    """The outgoing clerk's handover: their note and the snapshot taken now.

    The same ``request_key`` sent again (a double tap) returns the first one.
    A clerk who hands over without the counter's closing check (in this
    ``sign_in``) has it recorded as missing, and the snapshot shows it.
    """
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(NOTE_TOO_LONG, max=NOTE_MAX)

    def written() -> Handover:
        at = now or utcnow()
        checklists.handover_written(session, sign_in, writer, at)
        summary = collect_summary(session, now=at, tailor_days=tailor_days, zone=zone)
        handover = Handover(written_by=writer, note=note, created_at=at,
                            summary=json.dumps(summary, ensure_ascii=False))
        session.add(handover)
        session.flush()
        return handover

    return once(session, request_key, operator=writer, command="handover.write", run=written,
                **by_id(session, Handover)).result


def acknowledge(session: Session, handover_id: int | None, *, user: User | None, pin: str, policy: Policy,
                now: dt.datetime | None = None, client: str = "") -> Handover:
    """The next clerk takes over: their own PIN, not the writer's.

    A wrong PIN counts towards their lock (the caller commits either way);
    acknowledging again by the same person changes nothing.
    """
    handover = session.get(Handover, handover_id) if handover_id else None
    if handover is None:
        raise DomainError(NOT_FOUND)
    if user is None:
        raise DomainError(CHOOSE_NAME)
    if handover.acknowledged_by_id is not None:
        if handover.acknowledged_by_id == user.id:
            return handover  # a repeated tap: it already landed
        raise DomainError(ALREADY_DONE, name=handover.acknowledged_by.name)
    if user.id == handover.written_by_id:
        raise DomainError(SAME_USER, name=user.name)
    if not works_counter(user):
        raise DomainError(NOT_COUNTER)
    now = now or utcnow()
    check_pin(session, user, pin, policy, now=now, client=client)
    # Conditional: of two tablets acknowledging at once, only one fills it in.
    result = session.execute(
        update(Handover).where(Handover.id == handover.id, Handover.acknowledged_at.is_(None))
        .values(acknowledged_by_id=user.id, acknowledged_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(handover)
    if result.rowcount == 0 and handover.acknowledged_by_id != user.id:
        raise DomainError(ALREADY_DONE, name=handover.acknowledged_by.name)
    return handover


# --- what the page shows --------------------------------------------------------

def latest_open(session: Session) -> Handover | None:
    """The latest handover nobody has acknowledged yet."""
    return session.scalar(
        select(Handover).where(Handover.acknowledged_at.is_(None))
        .options(joinedload(Handover.written_by))
        .order_by(Handover.created_at.desc(), Handover.id.desc()).limit(1)
    )


def history(session: Session, limit: int = 30) -> list[Handover]:
    """The latest handovers, newest first."""
    return list(session.scalars(
        select(Handover).options(joinedload(Handover.written_by), joinedload(Handover.acknowledged_by))
        .order_by(Handover.created_at.desc(), Handover.id.desc()).limit(limit)
    ))


def successors(session: Session, handover: Handover | None) -> list[User]:
    """Who can acknowledge: active counter staff other than the writer."""
    query = properties.operators_here(session).where(User.active.is_(True), User.role.in_(COUNTER)).order_by(User.name)
    if handover is not None:
        query = query.where(User.id != handover.written_by_id)
    return list(session.scalars(query))
