"""Shift checklists (开班 / 收班检查): the room's written duties, ticked at the start and end of a shift.

Four lists, each of one station and phase (:data:`CHECKLISTS`): the ironing
station's opening and closing checks, and the counter's. The items are the
room's own words (seeded from the duties, :data:`DEFAULT_ITEMS`), kept by a
supervisor. An item with a ``rule`` is checked by the kiosk as well as ticked:
``all_slotted`` cannot be ticked while a passed garment waits for its slot.

A check belongs to a sign-in (``operator_sessions``): the ironing station asks
for its opening check once per sign-in before it takes a scan; a sign-in that
ends without its closing check (sign-out, the idle lock, a handover) records
the check as missing, once. No Flask in here: routes pass the session, the
user, their sign-in and the time.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload

from ..domain.errors import DomainError, N_
from ..domain.roles import CLERK, COUNTER, EVERYONE
from ..inspection.services import awaiting_slot_count
from ..models import Event, OperatorSession, User, utcnow
from ..request_keys import by_id, once, write_lock
from .models import ChecklistItem, ChecklistRun

IRONING_OPEN, IRONING_CLOSE = "ironing_open", "ironing_close"
COUNTER_OPEN, COUNTER_CLOSE = "counter_open", "counter_close"
#: the ironing station's code in the ledger (``Event.station``) and on a run
IRONING_STATION = "ironing"
COUNTER_STATION = "counter"
OPEN, CLOSE = "open", "close"

#: a passed garment waits for its slot (``Garment.awaiting_slot``): none may, to tick it
ALL_SLOTTED = "all_slotted"
RULES = (ALL_SLOTTED,)

DONE, MISSING = "done", "missing"


@dataclass(frozen=True)
class Checklist:
    """One list: where and when it is done, who may do it, who must before they go."""

    code: str
    station: str
    phase: str
    title: str
    #: who may tick it (the route's role check says the same)
    roles: tuple[str, ...]
    #: closing checks: the roles whose sign-in owes it (None: whoever started at the station)
    owed_by: tuple[str, ...] | None = None
    #: offered at the sign-out (the ironing station's sign-out shows it first)
    at_sign_out: bool = False


CHECKLISTS: dict[str, Checklist] = {
    IRONING_OPEN: Checklist(IRONING_OPEN, IRONING_STATION, OPEN, N_("Ironing: opening check"), EVERYONE),
    IRONING_CLOSE: Checklist(IRONING_CLOSE, IRONING_STATION, CLOSE, N_("Ironing: closing check"), EVERYONE,
                             at_sign_out=True),
    COUNTER_OPEN: Checklist(COUNTER_OPEN, COUNTER_STATION, OPEN, N_("Counter: opening check"), COUNTER),
    COUNTER_CLOSE: Checklist(COUNTER_CLOSE, COUNTER_STATION, CLOSE, N_("Counter: closing check"), COUNTER,
                             owed_by=(CLERK,)),
}

#: (checklist, text in the duties' words, English, rule): what a new kiosk starts with.
#: The same rows as migration 0012 seeds (tests/test_checklists.py holds them equal).
DEFAULT_ITEMS: tuple[tuple[str, str, str, str], ...] = (
    (IRONING_OPEN, "做好机器设备使用前的各种准备工作", "Prepare the machines and equipment before use", ""),
    (IRONING_OPEN, "检查不安全隐患", "Check for safety hazards", ""),
    (IRONING_CLOSE, "关闭电源、蒸汽阀门", "Switch off the power and the steam valves", ""),
    (IRONING_CLOSE, "擦拭机器，维护保养机器设备", "Wipe the machines; maintain the equipment", ""),
    (IRONING_CLOSE, "检查工作场所是否有遗留衣服、纽扣、拉锁等",
     "Check the work area for garments, buttons or zips left behind", ""),
    (COUNTER_OPEN, "对工作区域进行卫生打扫，擦拭所用物品", "Clean the work area; wipe what you use", ""),
    (COUNTER_OPEN, "检查制服间的制服情况：上架和折叠的制服有无毛发、破碎",
     "Check the uniforms on the racks and folded: hair, tears", ""),
    (COUNTER_CLOSE, "洗涤和熨烫合格的衣物全部按号配入", "Every passed garment is in its numbered slot", ALL_SLOTTED),
    (COUNTER_CLOSE, "检查制服间的门窗是否完好", "Check the doors and windows of the uniform room", ""),
    (COUNTER_CLOSE, "关闭照明", "Switch off the lights", ""),
)

#: why a check is missing (``ChecklistRun.note``) -> what the screens say
MISSING_NOTES: dict[str, str] = {
    "sign_out": N_("signed out without it"),
    "idle_lock": N_("the kiosk locked itself before it was done"),
    "expired": N_("the sign-in ran out (a whole shift) before it was done"),
    "handover": N_("handover written without it"),
    "ended": N_("the sign-in was ended (PIN, role or badge changed)"),
}
#: how a sign-in ended (``OperatorSession.ended_reason``) -> why its closing check is missing
_END_NOTES = {"sign_out": "sign_out", "idle": "idle_lock", "expired": "expired", "handover": "handover"}

TEXT_MAX = 200

UNKNOWN_LIST = N_("There is no such checklist.")
NOT_YOURS = N_("Your role does not do this check.")
NO_ITEMS = N_("This checklist has no items. A supervisor adds them under Shift checklists.")
NOT_ALL_TICKED = N_("Tick every item first: %(num)d not ticked yet.")
UNSLOTTED = N_("Passed garments not yet in their numbered slot: %(num)d. Slot them first.")
OPEN_FIRST = N_("Do the opening check above first: tick every item, then tap Check done. "
                "This scan was not recorded: scan the garment again afterwards.")
UNKNOWN_ITEM = N_("This checklist item does not exist.")
RULE_STAYS = N_("The kiosk checks this item itself; it cannot be switched off.")
NOTE_TOO_LONG = N_("The note is too long: at most %(max)d characters.")
NOTE_MAX = 500


def checklist(code: str) -> Checklist:
    """The list named ``code``, or DomainError."""
    try:
        return CHECKLISTS[code]
    except KeyError:
        raise DomainError(UNKNOWN_LIST) from None


def may_do(user: User | None, code: str) -> bool:
    return user is not None and code in CHECKLISTS and user.role in CHECKLISTS[code].roles


# --- the items ------------------------------------------------------------------

def seed_defaults(session: Session) -> int:
    """Put the default items in when the table has none (a database built without the migration).

    Called by the checklist screens' writes, ``kiosk init``, the first-run
    screen and the demo; how many were added.
    """
    if session.scalar(select(func.count()).select_from(ChecklistItem)):
        return 0
    positions: dict[str, int] = {}
    for code, text, text_en, rule in DEFAULT_ITEMS:
        positions[code] = positions.get(code, 0) + 1
        session.add(ChecklistItem(checklist=code, text=text, text_en=text_en, rule=rule,
                                  position=positions[code], active=True))
    session.flush()
    return len(DEFAULT_ITEMS)


def items(session: Session, code: str, *, active_only: bool = True) -> list[ChecklistItem]:
    """The list's items in their order."""
    query = select(ChecklistItem).where(ChecklistItem.checklist == code)
    if active_only:
        query = query.where(ChecklistItem.active.is_(True))
    return list(session.scalars(query.order_by(ChecklistItem.position, ChecklistItem.id)))


@dataclass
class Line:
    """One item as the check shows it now: a rule item says whether it can be ticked."""

    item: ChecklistItem
    #: the rule's count (garments still unslotted), None for a plain tick
    count: int | None = None

    @property
    def blocked(self) -> bool:
        return bool(self.count)


@dataclass
class Sheet:
    """A list ready to tick: its items, and what the kiosk's rules say of them now."""

    spec: Checklist
    lines: list[Line]
    #: this sign-in's run of the list (done or missing), if any
    run: ChecklistRun | None = None

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def blocked(self) -> list[Line]:
        return [line for line in self.lines if line.blocked]

    @property
    def done(self) -> bool:
        return self.run is not None and self.run.status == DONE


def _rule_count(session: Session, rule: str) -> int | None:
    if rule == ALL_SLOTTED:
        return awaiting_slot_count(session)
    return None


def sheet(session: Session, code: str, sign_in: int | None = None) -> Sheet:
    """The list ``code`` as it stands now, with this sign-in's run of it."""
    spec = checklist(code)
    counts: dict[str, int | None] = {}
    lines = []
    for item in items(session, code):
        if item.rule and item.rule not in counts:
            counts[item.rule] = _rule_count(session, item.rule)
        lines.append(Line(item, counts.get(item.rule) if item.rule else None))
    return Sheet(spec, lines, run_in(session, sign_in, code))


def _snapshot(lines: Iterable[Line], ticked: set[int]) -> str:
    """The items as they read at the check, each with whether it was ticked (and a rule's count)."""
    rows = []
    for line in lines:
        item = line.item
        row: dict[str, Any] = {"id": item.id, "text": item.text, "text_en": item.text_en, "rule": item.rule,
                               "ticked": item.id in ticked}
        if line.count is not None:
            row["count"] = line.count
        rows.append(row)
    return json.dumps(rows, ensure_ascii=False)


# --- a check done ------------------------------------------------------------------

def run_in(session: Session, sign_in: int | None, code: str) -> ChecklistRun | None:
    """The sign-in's run of the list: done if it was done (even after a handover marked it
    missing), else the missing one, else None."""
    if sign_in is None:
        return None
    return session.scalar(select(ChecklistRun).where(ChecklistRun.session_id == sign_in,
                                                     ChecklistRun.checklist == code)
                          .options(joinedload(ChecklistRun.user))
                          .order_by((ChecklistRun.status == DONE).desc(), ChecklistRun.id).limit(1))


def record_done(session: Session, code: str, *, user: User, sign_in: int | None, ticked: Iterable[int],
                note: str = "", request_key: str | None = None, now: dt.datetime | None = None) -> ChecklistRun:
    """The operator ticked the list: recorded with them, the time and the items as they read.

    Every active item must be ticked; a rule item only when its rule holds
    (``all_slotted``: no garment waiting for its slot), else DomainError and
    nothing is written. A sign-in that has done the list already gets that
    run back; the same request key sent twice lands once.
    """
    spec = checklist(code)
    if not may_do(user, code):
        raise DomainError(NOT_YOURS)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(NOTE_TOO_LONG, max=NOTE_MAX)
    ticked_ids = {int(i) for i in ticked}

    def done() -> ChecklistRun:
        current = sheet(session, code, sign_in)
        if current.done:
            return current.run
        if not current.lines:
            raise DomainError(NO_ITEMS)
        if current.blocked:  # the kiosk's own check first: it is what the operator must act on
            raise DomainError(UNSLOTTED, num=current.blocked[0].count)
        left = [line for line in current.lines if line.item.id not in ticked_ids]
        if left:
            raise DomainError(NOT_ALL_TICKED, num=len(left))
        run = ChecklistRun(checklist=code, status=DONE, user_id=user.id, session_id=sign_in,
                           station=spec.station, items=_snapshot(current.lines, ticked_ids), note=note,
                           at=now or utcnow())
        session.add(run)
        session.flush()
        return run

    return once(session, request_key, operator=user, command=f"checklists.{code}", run=done,
                **by_id(session, ChecklistRun)).result


#: The gate every scan of the station passes, one query built once: the list has an active item
#: and the sign-in has no done run of it (what :func:`items` and :func:`run_in` would say).
_OPENING_OWED = select(
    select(ChecklistItem.id).where(ChecklistItem.checklist == bindparam("code"),
                                   ChecklistItem.active.is_(True)).exists()
    & ~select(ChecklistRun.id).where(ChecklistRun.session_id == bindparam("sign_in"),
                                     ChecklistRun.checklist == bindparam("code"),
                                     ChecklistRun.status == DONE).exists())


def opening_refusal(session: Session, code: str, sign_in: int | None) -> DomainError | None:
    """Why the station takes no scan yet (its opening check is not done in this sign-in), or None.

    A list with no active items asks for nothing.
    """
    if sign_in is None or not session.scalar(_OPENING_OWED, {"code": code, "sign_in": sign_in}):
        return None
    return DomainError(OPEN_FIRST)


# --- a check missed ---------------------------------------------------------------

def _started_ironing(session: Session, sign_in: OperatorSession) -> bool:
    """The sign-in worked the ironing station: its opening check, or a scan there."""
    if run_in(session, sign_in.id, IRONING_OPEN) is not None:
        return True
    scans = select(Event.id).where(Event.station == IRONING_STATION, Event.user_id == sign_in.user_id,
                                   Event.created_at >= sign_in.created_at)
    if sign_in.ended_at is not None:
        scans = scans.where(Event.created_at <= sign_in.ended_at)
    return session.scalar(scans.limit(1)) is not None


def closing_owed(session: Session, sign_in: OperatorSession | None, user: User | None = None) -> list[str]:
    """The closing checks this sign-in owes and has not done (nor been marked missing)."""
    if sign_in is None:
        return []
    user = user or session.get(User, sign_in.user_id)
    owed = []
    for spec in CHECKLISTS.values():
        if spec.phase != CLOSE or user is None or user.role not in spec.roles:
            continue
        if spec.owed_by is not None:
            if user.role not in spec.owed_by:
                continue
        elif spec.station == IRONING_STATION and not _started_ironing(session, sign_in):
            continue
        if run_in(session, sign_in.id, spec.code) is None and items(session, spec.code):
            owed.append(spec.code)
    return owed


def owes(session: Session, sign_in: int | None, user: User | None, code: str) -> bool:
    """Does this sign-in still owe the closing check ``code`` (the handover's warning)?"""
    row = session.get(OperatorSession, sign_in) if sign_in is not None else None
    return code in closing_owed(session, row, user)


def offered_at_sign_out(session: Session, sign_in: int | None, user: User | None) -> list[str]:
    """The closing checks the sign-out shows first (the ironing station's), when still owed."""
    row = session.get(OperatorSession, sign_in) if sign_in is not None else None
    return [code for code in closing_owed(session, row, user) if CHECKLISTS[code].at_sign_out]


def record_missing(session: Session, sign_in: OperatorSession, code: str, note: str,
                   now: dt.datetime | None = None) -> ChecklistRun | None:
    """The sign-in ended without its closing check: recorded once, however many ends race.

    The once-key is the sign-in itself (kiosk.request_keys), so a sign-out and
    an idle lock arriving together, or a handover then a sign-out, record it once.
    """
    user = session.get(User, sign_in.user_id)
    if user is None:
        return None

    def missing() -> ChecklistRun | None:
        if run_in(session, sign_in.id, code) is not None:
            return None
        lines = sheet(session, code).lines
        run = ChecklistRun(checklist=code, status=MISSING, user_id=user.id, session_id=sign_in.id,
                           station=CHECKLISTS[code].station, items=_snapshot(lines, set()), note=note,
                           at=now or utcnow())
        session.add(run)
        session.flush()
        return run

    return once(session, f"sign-in-{sign_in.id}", operator=user, command=f"checklists.missing.{code}",
                run=missing, remember=lambda run: run.id if run is not None else None,
                recall=lambda run_id: session.get(ChecklistRun, run_id)).result


def sign_in_ended(session: Session, sign_in: OperatorSession, reason: str, now: dt.datetime | None = None) -> list[
        ChecklistRun]:
    """A sign-in ends (sign-out, idle lock, a shift's end, its PIN or role changed): its owed
    closing checks are recorded as missing, with why."""
    note = _END_NOTES.get(reason, "ended")
    found = [record_missing(session, sign_in, code, note, now) for code in closing_owed(session, sign_in)]
    return [run for run in found if run is not None]


def handover_written(session: Session, sign_in: int | None, user: User, now: dt.datetime | None = None) -> list[
        ChecklistRun]:
    """A clerk hands over the counter: the counter's closing check, if not done, is missing."""
    row = session.get(OperatorSession, sign_in) if sign_in is not None else None
    if row is None:
        return []
    found = [record_missing(session, row, code, "handover", now)
             for code in closing_owed(session, row, user) if CHECKLISTS[code].station == COUNTER_STATION]
    return [run for run in found if run is not None]


# --- the day's checks --------------------------------------------------------------

@dataclass
class DayChecks:
    """The checks of one day: every run, newest first."""

    runs: list[ChecklistRun] = field(default_factory=list)

    def of_sign_in(self, sign_in: int | None, codes: Iterable[str]) -> dict[str, ChecklistRun | None]:
        """This sign-in's run of each list among the day's (done before missing), for its buttons."""
        found: dict[str, ChecklistRun | None] = {code: None for code in codes}
        for run in reversed(self.runs):  # oldest first: the first done one wins
            if sign_in is not None and run.session_id == sign_in and run.checklist in found:
                current = found[run.checklist]
                if current is None or (current.status != DONE and run.status == DONE):
                    found[run.checklist] = run
        return found

    @property
    def missing(self) -> list[ChecklistRun]:
        return [run for run in self.runs if run.status == MISSING]

    @property
    def done(self) -> list[ChecklistRun]:
        return [run for run in self.runs if run.status == DONE]


def day_checks(session: Session, start_utc: dt.datetime, end_utc: dt.datetime) -> DayChecks:
    """Every check done or missed in [start, end), newest first (today board, handover)."""
    return DayChecks(list(session.scalars(
        select(ChecklistRun).where(ChecklistRun.at >= start_utc, ChecklistRun.at < end_utc)
        .options(joinedload(ChecklistRun.user))
        .order_by(ChecklistRun.at.desc(), ChecklistRun.id.desc()))))


#: how many of the day's checks a handover's snapshot lists (the counts are exact)
SNAPSHOT_LIST = 30


def checks_snapshot(session: Session, start_utc: dt.datetime, end_utc: dt.datetime) -> dict[str, Any]:
    """The day's checks for a handover's snapshot: codes and plain values, JSON-ready."""
    return snapshot_of(day_checks(session, start_utc, end_utc))


def snapshot_of(day: DayChecks) -> dict[str, Any]:
    """The day's checks as 今日 and a handover show them: the missing ones first, then the done."""
    ordered = day.missing + day.done
    return {"done": len(day.done), "missing": len(day.missing), "items": [
        {"checklist": run.checklist, "status": run.status, "user": run.user.name,
         "at": run.at.isoformat(), "note": run.note if run.status == MISSING else ""}
        for run in ordered[:SNAPSHOT_LIST]]}


@dataclass(frozen=True)
class ReadItem:
    """An item of a run as it read then (``name_zh``/``name_en``: shown like any name, ``type_name``)."""

    name_zh: str
    name_en: str
    ticked: bool
    rule: str = ""
    count: int | None = None


def items_read(run: ChecklistRun) -> list[ReadItem]:
    """A run's items as they read at the check, each with whether it was ticked."""
    try:
        rows = json.loads(run.items or "[]")
    except ValueError:
        return []
    return [ReadItem(str(row.get("text", "")), str(row.get("text_en") or ""), bool(row.get("ticked")),
                     str(row.get("rule") or ""), row.get("count"))
            for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


# --- a supervisor keeps the items -----------------------------------------------------

def _item(session: Session, item_id: int | None, *, lock: bool = False) -> ChecklistItem:
    query = select(ChecklistItem).where(ChecklistItem.id == item_id)
    item = session.scalar(query.with_for_update() if lock else query) if item_id else None
    if item is None:
        raise DomainError(UNKNOWN_ITEM)
    return item


def add_item(session: Session, code: str, *, text: str, text_en: str = "", by: User,
             request_key: str | None = None) -> ChecklistItem:
    """A new item at the end of the list (a tick; the kiosk's rules come with the defaults only)."""
    checklist(code)

    def added() -> ChecklistItem:
        write_lock(session)
        last = session.scalar(select(func.max(ChecklistItem.position)).where(ChecklistItem.checklist == code))
        item = ChecklistItem(checklist=code, text=text.strip(), text_en=(text_en or "").strip(), rule="",
                             position=(last or 0) + 1, active=True, updated_by_id=by.id)
        session.add(item)
        session.flush()
        return item

    return once(session, request_key, operator=by, command="checklists.add", run=added,
                **by_id(session, ChecklistItem)).result


def edit_item(session: Session, item_id: int | None, *, text: str, text_en: str = "", by: User) -> ChecklistItem:
    """New words for an item; its rule (a check the kiosk makes) stays whatever the words say."""
    item = _item(session, item_id)
    item.text, item.text_en, item.updated_by_id = text.strip(), (text_en or "").strip(), by.id
    session.flush()
    return item


def set_active(session: Session, item_id: int | None, active: bool, *, by: User) -> ChecklistItem:
    """Switch an item off (it leaves the list, its past checks keep it) or on again."""
    item = _item(session, item_id)
    if item.rule and not active:
        raise DomainError(RULE_STAYS)
    item.active, item.updated_by_id = active, by.id
    session.flush()
    return item


def move_item(session: Session, item_id: int | None, step: int, *, by: User,
              request_key: str | None = None) -> ChecklistItem:
    """Move an item one place up (-1) or down (+1) among its list's items; the list is renumbered 1..n."""
    item = _item(session, item_id)

    def moved() -> ChecklistItem:
        write_lock(session)
        siblings = list(session.scalars(
            select(ChecklistItem).where(ChecklistItem.checklist == item.checklist)
            .order_by(ChecklistItem.position, ChecklistItem.id).with_for_update()))
        index = next(i for i, sibling in enumerate(siblings) if sibling.id == item.id)
        target = index + (1 if step > 0 else -1)
        if 0 <= target < len(siblings):
            siblings[index], siblings[target] = siblings[target], siblings[index]
            item.updated_by_id = by.id
        for position, sibling in enumerate(siblings, start=1):
            if sibling.position != position:
                sibling.position = position
        session.flush()
        return item

    return once(session, request_key, operator=by, command="checklists.move", run=moved,
                **by_id(session, ChecklistItem)).result
