"""Inspection (质检) and slotting (配入): the rules, with no Flask in them.

- :func:`inspect` looks at a garment on the table without moving it;
- :func:`act` routes it: pass (→ in stock, slot number shown), rewash,
  re-iron or tailor, through :func:`kiosk.scanning.scan_move`;
- :func:`slot_garment` confirms a passed garment is in its numbered slot.

The routes pass the session, the user and the settings, and commit.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from ..domain.defects import DEFECTS
from ..domain.errors import DomainError, N_
from ..domain.garment_states import Action, Status, TransitionRefused, next_status
from ..ledger import slot
from ..models import Garment, TagReprint, User, utcnow
from ..scanning import (
    DUPLICATE,
    ERROR,
    OK,
    ScanResult,
    find_garment,
    scan_move,
    scan_once,
    unknown,
    warnings_for,
    write_scan,
)

STATION = "inspection"
SLOT_STATION = "slotting"

#: Check before issue (出衣前检查): all three ticked before a pass is accepted.
CHECKS: dict[str, str] = {
    "buttons": N_("Buttons"),   # 纽扣
    "hooks": N_("Hooks"),       # 挂钩
    "zippers": N_("Zippers"),   # 拉链
}

#: The four buttons on the inspection table: form value -> state machine action.
ACTIONS: dict[str, Action] = {
    "pass": Action.PASS,
    "rewash": Action.REWASH,
    "reiron": Action.REIRON,
    "tailor": Action.TO_TAILOR,
}

FADED_NUMBER = "faded_number"

CHECKS_MISSING = N_("Pass refused: check the buttons, hooks and zippers and tick all three first.")
DEFECT_REQUIRED = N_("Send to the tailor refused: choose what the tailor must mend first.")
UNKNOWN_ACTION = N_("Unknown inspection action.")
ALREADY_SLOTTED = N_("%(tag)s is already in its slot.")


def defect_codes(values: Iterable[str]) -> list[str]:
    """Known defect codes from a form, in the chips' order, each once."""
    chosen = set(values)
    return [code for code in DEFECTS if code in chosen]


def flagged_defects(garment: Garment) -> list[str]:
    return [code for code in garment.defects.split(",") if code]


def inspect(session: Session, raw_code: str) -> ScanResult:
    """A garment put on the inspection table: shown, not moved.

    Only a garment waiting for inspection can be routed here; for any other
    the state machine's refusal says where it is.
    """
    code, garment = find_garment(session, raw_code)
    if garment is None:
        return unknown(code, raw_code)
    warnings = warnings_for(garment)
    try:
        next_status(garment.status, Action.PASS)
    except TransitionRefused as refused:
        return ScanResult(ERROR, code, garment, error=refused, warnings=warnings)
    return ScanResult(OK, code, garment, warnings=warnings)


def act(session: Session, raw_code: str, action: str, *, user: User | None,
        defects: Iterable[str] = (), checks: Iterable[str] = (), request_key: str | None = None,
        duplicate_seconds: int = 10, now: dt.datetime | None = None) -> tuple[ScanResult, bool | None]:
    """Route a garment from the inspection table; nothing changes when refused.

    Returns the scan result and, when a faded number was among its defects,
    whether a tag reprint was newly requested (True) or already pending
    (False); None when no reprint is concerned. The same ``request_key``
    again (a double tap) moves nothing more and answers ``duplicate``.
    """
    now = now or utcnow()
    chosen = defect_codes(defects)
    ticked = set(checks)
    target = ACTIONS.get(action)
    if target is None:
        code, garment = find_garment(session, raw_code)
        return ScanResult(ERROR, code, garment, error=DomainError(UNKNOWN_ACTION)), None
    seen: dict[str, list[str]] = {}

    def check(garment: Garment) -> None:
        # Every button works only on a garment that is on the table now; a
        # stale card (the garment moved on elsewhere) is refused with where it is.
        if garment.status != Status.INSPECTION.value:
            raise TransitionRefused(Status(garment.status), target)
        flagged = seen["flagged"] = flagged_defects(garment)  # a pass clears them
        if target is Action.PASS and not ticked >= set(CHECKS):
            raise DomainError(CHECKS_MISSING)
        if target is Action.TO_TAILOR and not (chosen or flagged):
            raise DomainError(DEFECT_REQUIRED)

    recorded = chosen
    if target is Action.TO_TAILOR and not chosen:
        # The tailor's record says what to mend: the flagged defects by default.
        garment = find_garment(session, raw_code)[1]
        recorded = flagged_defects(garment) if garment is not None else []
    reprint: list[bool] = []

    def routed() -> ScanResult:
        result = scan_move(session, raw_code, target, station=STATION, user=user, defects=",".join(recorded),
                           duplicate_seconds=duplicate_seconds, check=check, now=now)
        if result.ok and FADED_NUMBER in chosen + seen.get("flagged", []):
            reprint.append(request_tag_reprint(session, result.garment, user=user, now=now))
        return result

    result = scan_once(session, request_key, operator=user, command="inspection.act", scan=routed)
    return result, reprint[0] if reprint else None


def request_tag_reprint(session: Session, garment: Garment, *, user: User | None,
                        now: dt.datetime | None = None) -> bool:
    """Ask for a new tag (编号脱落及时签补): once per garment while one is pending.

    Returns True when a request was made now, False when one was already waiting.
    """
    pending = session.scalar(select(TagReprint.id).where(TagReprint.garment_id == garment.id,
                                                         TagReprint.done_at.is_(None)).limit(1))
    if pending is not None:
        return False
    session.add(TagReprint(garment=garment, reason=FADED_NUMBER, requested_by_id=user.id if user else None,
                           requested_at=now or utcnow()))
    session.flush()
    return True


# --- slotting (配入) ----------------------------------------------------------

def slot_garment(session: Session, raw_code: str, *, user: User | None,
                 now: dt.datetime | None = None) -> ScanResult:
    """Confirm a passed garment is in its numbered slot.

    A garment in stock that is already slotted answers ``duplicate`` (nothing
    new to record); one that is not in stock is refused with where it is.
    """
    code, garment = find_garment(session, raw_code)
    if garment is None:
        return unknown(code, raw_code)
    warnings = warnings_for(garment)
    if garment.status == Status.IN_STOCK.value and not garment.awaiting_slot:
        return ScanResult(DUPLICATE, code, garment, error=DomainError(ALREADY_SLOTTED, tag=garment.tag),
                          warnings=warnings)
    return write_scan(session, code, garment, lambda: slot(session, garment, user=user, station=SLOT_STATION, at=now),
                      warnings=warnings)


def _natural(value: str | None) -> tuple:
    """Slot numbers in rack order: 99 before 1023, spares (no number) last."""
    if not value:
        return (1, ())
    return (0, tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                     for part in re.findall(r"\d+|\D+", value)))


def awaiting_slot_count(session: Session) -> int:
    """How many passed garments wait for their slot (the today board, the counter's closing check)."""
    return session.scalar(select(func.count()).select_from(Garment).where(Garment.awaiting_slot.is_(True))) or 0


def awaiting_slot(session: Session, limit: int = 500) -> list[Garment]:
    """Passed garments not yet scanned into their slot, in rack order."""
    garments = session.scalars(
        select(Garment).where(Garment.awaiting_slot.is_(True))
        .options(joinedload(Garment.garment_type), joinedload(Garment.owner))
        .order_by(Garment.status_since).limit(limit)
    ).all()
    return sorted(garments, key=lambda g: (_natural(slot_number(g)), g.tag))


def slot_number(garment: Garment) -> str | None:
    """The number of the garment's slot on the rack, or None for the spare pool."""
    if garment.is_spare:
        return None
    return garment.number or (garment.owner.uniform_no if garment.owner else None)
