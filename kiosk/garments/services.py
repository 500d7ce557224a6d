"""One garment's story: its header facts and its timeline, read from the ledger.

Nothing here writes: a lookup or a garment page never changes a garment.
Only the garment's own events are read (index ``ix_events_garment_created``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..domain.defects import DEFECTS
from ..domain.errors import DomainError, N_
from ..domain.garment_states import ACTION_LABELS
from ..ledger import CORRECT, FLAG, REGISTER, SLOT, UNDO
from .. import scope
from ..models import Event, Garment, Property, TagReprint
from ..scanning import find_garment, warnings_for

#: every event action -> its label msgid (the state machine's actions and the ledger's own)
EVENT_LABELS: dict[str, str] = {
    **{action.value: label for action, label in ACTION_LABELS.items()},
    REGISTER: N_("Registered"),
    FLAG: N_("Defect reported"),
    SLOT: N_("Put in its slot"),
    UNDO: N_("Undone"),
    CORRECT: N_("Corrected"),
}

#: station code written on events -> label msgid (an unknown code is shown as it is)
STATION_LABELS: dict[str, str] = {
    "registry": N_("Registry"),
    "import": N_("Import from Excel"),
    "checkin": N_("Check-in"),
    "ironing": N_("Ironing station"),
    "inspection": N_("Inspection table"),
    "slotting": N_("Slotting"),
    "tailor": N_("Tailor"),
    "issue": N_("Issue and exchange"),
    "kit": N_("New-hire kit"),
    "stocktake": N_("Stocktake"),
    "laundry": N_("Laundry"),
    "office": N_("Office"),
    "loans": N_("Loans"),
    "loans_return": N_("Loan returns"),
    "writeoffs": N_("Write-offs and compensation"),
    "clearance": N_("Leavers' clearances"),
    "counter": N_("Counter"),
    "transfer": N_("Transfers between hotels"),
}

LOOKUP_EVENTS = 5
#: the garment page: the latest events, then a link to the whole history (a page of constant cost)
PAGE_EVENTS = 25  # a month of a daily uniform: what the counter asks about


def event_label(action: str) -> str:
    """The msgid naming ``action`` (its code when unknown, so nothing is hidden)."""
    return EVENT_LABELS.get(action, action)


def station_label(station: str) -> str:
    return STATION_LABELS.get(station, station)


def defect_labels(codes: str) -> list[str]:
    """Label msgids of comma-separated defect codes (an unknown code stays a code)."""
    return [DEFECTS.get(code, code) for code in (codes or "").split(",") if code]


@dataclass
class Timeline:
    """A garment with its events (newest first) and what the page must say about it."""

    garment: Garment
    events: list[Event]
    #: ids of events an undo compensated: shown struck through
    undone_ids: set[int] = field(default_factory=set)
    #: the undone event each undo reversed, to name what was undone
    reversed_actions: dict[int, str] = field(default_factory=dict)
    reprint: TagReprint | None = None
    warnings: list[DomainError] = field(default_factory=list)
    #: True when only the latest events were read (lookup) and there are older ones
    truncated: bool = False
    #: the property reading the page, and each hotel an event was at (property id -> its name),
    #: filled only when the garment has been at more than one (a transfer, 调拨)
    here: int | None = None
    hotels: dict[int, str] = field(default_factory=dict)


def find(session: Session, raw_code: str) -> tuple[str, Garment | None]:
    """The normalised code and its garment, or None: the same rule as every scan."""
    return find_garment(session, raw_code)


def timeline(session: Session, garment: Garment, *, limit: int | None = None) -> Timeline:
    """``garment``'s events, newest first (``limit`` of them when given), and its header facts.

    One query for the events (with user, employee and department of the
    moment joined in), one for an open tag reprint.
    """
    query = (
        select(Event).where(Event.garment_id == garment.id)
        .options(joinedload(Event.user), joinedload(Event.employee), joinedload(Event.department))
        .order_by(Event.created_at.desc(), Event.id.desc())
    )
    if limit is not None:
        query = query.limit(limit + 1)
    # The garment was reached in this property; its history is read wherever it was (a garment
    # transferred in keeps the sender's events, and the sender still sees what happened after).
    with scope.every_property(session):
        events = list(session.scalars(query))
    truncated = limit is not None and len(events) > limit
    if truncated:
        events = events[:limit]
    by_id = {event.id: event for event in events}
    undone_ids = {e.reverses_event_id for e in events if e.reverses_event_id is not None}
    reversed_actions = {}
    for event in events:
        if event.reverses_event_id is not None:
            reversed_event = by_id.get(event.reverses_event_id)
            # An undo keeps the undone action in its note, should the undone
            # event lie beyond the events read.
            reversed_actions[event.id] = reversed_event.action if reversed_event else event.note
    here = scope.current(session)
    hotels: dict[int, str] = {}
    if {event.property_id for event in events} - {here}:
        from ..properties.services import label

        ids = {event.property_id for event in events} | {here}
        hotels = {record.id: label(record) for record in session.scalars(select(Property).where(Property.id.in_(ids)))}
    return Timeline(garment=garment, events=events, undone_ids=undone_ids,
                    reversed_actions=reversed_actions, reprint=pending_reprint(session, garment),
                    warnings=warnings_for(garment), truncated=truncated, here=here, hotels=hotels)


def pending_reprint(session: Session, garment: Garment) -> TagReprint | None:
    """The garment's oldest tag reprint not yet done (index on ``garment_id``)."""
    return session.scalar(
        select(TagReprint).where(TagReprint.garment_id == garment.id, TagReprint.done_at.is_(None))
        .order_by(TagReprint.requested_at).limit(1)
    )

