"""Transfers between the group's properties (调拨). No Flask in here.

The sender opens a transfer to another hotel of the group, scans its garments out (each one
``in_transit`` at once, still the sender's) and adds stock lines (taken off the sender's shelf at
once), then sends it: the slip prints. The receiver finds it among the transfers addressed to it
(:func:`incoming`, the one read across properties) and scans each garment in: the garment
becomes the receiver's, in its spare pool. Confirming the receipt takes the stock lines in. Until
anything is received the sender may cancel: the garments and the stock come back to its stock.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from printers import documents as d

from .. import ledger, scope
from ..database import why_not_saved
from ..domain.errors import DomainError, Label as _label, N_
from ..domain.garment_states import Action, Status
from ..models import Event, Garment, Property, User, utcnow
from ..request_keys import CHANGED, by_id, once, savepoint
from ..scanning import DUPLICATE, ERROR, OK, ScanMeta, ScanResult, find_garment, scan_once, unknown, write_scan
from ..stock import services as stock
from ..stock.models import StockItem
from .models import Transfer, TransferLine

STATION = "transfer"
OPEN, SENT, RECEIVED, CANCELLED = "open", "sent", "received", "cancelled"
QUANTITY_MAX = 10_000

STATUS_LABELS = {
    OPEN: N_("Being packed"),
    SENT: N_("Sent, on its way"),
    RECEIVED: N_("Received"),
    CANCELLED: N_("Cancelled"),
}

NOT_ELSEWHERE = N_("Choose another hotel of the group: a transfer goes to another property.")
NOT_OPEN = N_("Transfer %(slip)s is no longer being packed (%(status)s): nothing can be added or removed.")
EMPTY = N_("Transfer %(slip)s has nothing on it yet: scan garments or add stock before sending it.")
ALREADY_ON = N_("%(tag)s is already on this transfer.")
NOT_SENT = N_("Transfer %(slip)s has not been sent (%(status)s): nothing can be received from it.")
NOT_ON_IT = N_("%(code)s is not on transfer %(slip)s: set it aside and tell the sending hotel.")
RECEIVED_ALREADY = N_("%(tag)s was already received.")
STILL_OUT = N_("%(count)s garments of transfer %(slip)s have not been scanned in yet.")
TOO_LATE = N_("Transfer %(slip)s cannot be cancelled: %(status)s.")
PARTLY_RECEIVED = N_("Transfer %(slip)s cannot be cancelled: the receiving hotel has scanned garments in.")
NO_ITEM = N_("There is no stock item %(code)s in size %(size)s here.")
RACED = N_("%(tag)s was just received, or called back by the sending hotel, on another tablet.")
LEAVES_OWNER = N_("%(tag)s is %(name)s's own: once the other hotel scans it in, it is a spare there and no "
                  "longer theirs.")
NOT_SLOTTED = N_("%(tag)s has passed inspection but is not in its slot yet: put it in its slot, then scan it "
                 "onto the transfer.")


def status_label(status: str) -> str:
    return STATUS_LABELS[status]


# --- the sender ------------------------------------------------------------------------------

def destinations(session: Session) -> list[Property]:
    """The group's other hotels, in use: where this property can send to."""
    here = scope.required(session)
    return list(session.scalars(select(Property).where(Property.active.is_(True), Property.id != here)
                                .order_by(Property.name, Property.id)))


def outgoing(session: Session, *, limit: int = 50) -> list[Transfer]:
    """This property's transfers, the latest first."""
    return list(session.scalars(select(Transfer).options(selectinload(Transfer.lines))
                                .order_by(Transfer.opened_at.desc(), Transfer.id.desc()).limit(limit)))


def get(session: Session, transfer_id: int) -> Transfer | None:
    """One of this property's own transfers (another's is not found)."""
    return session.get(Transfer, transfer_id)


def open_transfer(session: Session, *, to_property_id: int, user: User | None, note: str = "",
                  request_key: str | None = None, now: dt.datetime | None = None) -> Transfer:
    """A new transfer to ``to_property_id`` (another active hotel of the group), being packed."""
    def run() -> Transfer:
        if to_property_id not in {p.id for p in destinations(session)}:
            raise DomainError(NOT_ELSEWHERE)
        at = now or utcnow()
        import uuid

        transfer = Transfer(slip_no=f"new-{uuid.uuid4().hex[:24]}", to_property_id=to_property_id,
                            status=OPEN, note=note, opened_by=user, opened_at=at)
        session.add(transfer)
        session.flush()
        # The slip's number: the sender's, DB + the day + the record's id (unique, readable).
        transfer.slip_no = f"DB{at:%Y%m%d}-{transfer.id:05d}"
        session.flush()
        return transfer

    return once(session, request_key, operator=user, command="transfers.open", run=run,
                **by_id(session, Transfer)).result


def scan_out(session: Session, transfer: Transfer, raw_code: str, *, user: User | None,
             meta: ScanMeta | None = None, now: dt.datetime | None = None) -> ScanResult:
    """Scan a garment onto the transfer: ``transfer_out`` at the sender, and its line. Answered as
    every station answers (ok / duplicate / error); a repeat of the same scan id lands once."""
    if meta is not None and meta.key:
        return scan_once(session, meta.key, operator=user, command="scan.transfer_out", as_first=True,
                         scan=lambda: scan_out(session, transfer, raw_code, user=user, now=now))
    code, garment = find_garment(session, raw_code)
    if garment is None:
        return unknown(code, raw_code)
    if transfer.status != OPEN:
        return ScanResult(ERROR, code, garment, error=DomainError(
            NOT_OPEN, slip=transfer.slip_no, status=_label(STATUS_LABELS[transfer.status])))
    if any(line.garment_id == garment.id for line in transfer.lines):
        return ScanResult(DUPLICATE, code, garment, error=DomainError(ALREADY_ON, tag=garment.tag))

    def write() -> Event:
        if garment.status == Status.IN_STOCK.value and garment.awaiting_slot:
            raise DomainError(NOT_SLOTTED, tag=garment.tag)
        event = ledger.move(session, garment, Action.TRANSFER_OUT, user=user, station=STATION,
                            note=transfer.slip_no, at=now)
        session.add(TransferLine(transfer=transfer, garment_id=garment.id, quantity=1, out_event_id=event.id,
                                 unit_cost=garment.cost))
        return event

    result = write_scan(session, code, garment, write)
    if result.ok and garment.owner is not None:
        result.warnings.append(DomainError(LEAVES_OWNER, tag=garment.tag, name=garment.owner.name))
    return result


def remove_garment(session: Session, transfer: Transfer, line_id: int, *, user: User | None) -> Event | None:
    """Take a garment off a transfer still being packed: back in the sender's stock (transfer_cancel)."""
    _must_be_open(transfer)
    line = session.scalar(select(TransferLine).where(TransferLine.id == line_id, TransferLine.transfer_id == transfer.id,
                                                     TransferLine.garment_id.is_not(None)))
    if line is None:  # taken off already (a second tap), or never on it: nothing to do
        return None
    event = ledger.move(session, line.garment, Action.TRANSFER_CANCEL, user=user, station=STATION,
                        note=transfer.slip_no)
    if line in transfer.lines:
        transfer.lines.remove(line)
    session.delete(line)
    session.flush()
    return event


def _must_be_open(transfer: Transfer) -> None:
    if transfer.status != OPEN:
        raise DomainError(NOT_OPEN, slip=transfer.slip_no, status=_label(STATUS_LABELS[transfer.status]))


def add_stock(session: Session, transfer: Transfer, *, code: str, size: str, quantity: int, user: User | None,
              request_key: str | None = None, language: str = "zh_CN") -> TransferLine:
    """``quantity`` of the sender's stock item ``code``/``size`` onto the transfer: taken off the
    shelf now by one conditional UPDATE (refused beyond what is on hand, nothing changed)."""
    def run() -> TransferLine:
        _must_be_open(transfer)
        item = session.scalar(select(StockItem).where(StockItem.code == code, StockItem.size == (size or "")))
        if item is None:
            raise DomainError(NO_ITEM, code=code, size=size or "—")
        with savepoint(session):
            movement = stock.transfer_move(session, item=item, delta=-quantity, user=user, note=transfer.slip_no,
                                           language=language)
            line = TransferLine(transfer=transfer, stock_code=item.code, stock_size=item.size, quantity=quantity,
                                stock_name_zh=item.name_zh, stock_name_en=item.name_en, stock_kind=item.kind,
                                unit_cost=item.unit_cost, out_movement_id=movement.id)
            session.add(line)
            session.flush()
        return line

    return once(session, request_key, operator=user, command="transfers.add_stock", run=run,
                **by_id(session, TransferLine)).result


def send(session: Session, transfer: Transfer, *, user: User | None, now: dt.datetime | None = None) -> Transfer:
    """The packed transfer leaves: ``sent`` (the receiver now sees it). The caller prints the slip."""
    _must_be_open(transfer)
    if not transfer.lines:
        raise DomainError(EMPTY, slip=transfer.slip_no)
    changed = session.execute(update(Transfer).where(Transfer.id == transfer.id, Transfer.status == OPEN)
                              .values(status=SENT, sent_by_id=user.id if user else None, sent_at=now or utcnow())
                              .execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        raise DomainError(CHANGED)
    session.refresh(transfer)
    return transfer


def cancel(session: Session, transfer: Transfer, *, user: User | None, now: dt.datetime | None = None) -> Transfer:
    """Call the transfer back before anything is received: every garment ``transfer_cancel`` (back in
    the sender's stock), every stock line back on the sender's shelf."""
    if transfer.status not in (OPEN, SENT):
        raise DomainError(TOO_LATE, slip=transfer.slip_no, status=_label(STATUS_LABELS[transfer.status]))
    if any(line.in_event_id is not None or line.in_movement_id is not None for line in transfer.lines):
        raise DomainError(PARTLY_RECEIVED, slip=transfer.slip_no)
    try:
        _call_back(session, transfer, user=user, now=now)
    except StaleDataError:  # the receiver scanned a garment in meanwhile: nothing of the cancel is kept
        raise DomainError(PARTLY_RECEIVED, slip=transfer.slip_no) from None
    session.refresh(transfer)
    return transfer


def _call_back(session: Session, transfer: Transfer, *, user: User | None, now: dt.datetime | None) -> None:
    with savepoint(session):
        changed = session.execute(update(Transfer).where(Transfer.id == transfer.id, Transfer.status == transfer.status)
                                  .values(status=CANCELLED, cancelled_by_id=user.id if user else None,
                                          cancelled_at=now or utcnow())
                                  .execution_options(synchronize_session=False))
        if changed.rowcount != 1:
            raise DomainError(CHANGED)
        for line in transfer.lines:
            if line.garment_id is not None:
                garment = line.garment
                if garment.status == Status.IN_TRANSIT.value:
                    ledger.move(session, garment, Action.TRANSFER_CANCEL, user=user, station=STATION,
                                note=transfer.slip_no, at=now)
            else:
                item = session.scalar(select(StockItem).where(StockItem.code == line.stock_code,
                                                              StockItem.size == line.stock_size))
                stock.transfer_move(session, item=item, delta=line.quantity, user=user,
                                    note=f"{transfer.slip_no} cancelled")


@dataclass(frozen=True)
class SentAway:
    """A garment this property sent to another hotel, which has received it."""

    tag: str
    slip_no: str
    to_property_id: int
    received_at: dt.datetime | None


def sent_away(session: Session, code: str) -> SentAway | None:
    """The latest of this property's transfers that took ``code`` away and was received: what the
    sender's garment page says of a garment that is now another hotel's (never the garment
    itself). Read through this property's own transfers; the garment's row only for its tag."""
    garments = Garment.__table__
    row = session.execute(
        select(garments.c.tag, Transfer.slip_no, Transfer.to_property_id, Transfer.received_at)
        .select_from(Transfer).join(TransferLine, TransferLine.transfer_id == Transfer.id)
        .join(garments, garments.c.id == TransferLine.garment_id)
        .where(garments.c.tag == code, TransferLine.in_event_id.is_not(None),
               garments.c.property_id != Transfer.property_id)
        .order_by(Transfer.id.desc()).limit(1)).first()
    return SentAway(*row) if row is not None else None


# --- the receiver ----------------------------------------------------------------------------

def incoming(session: Session, *, transfer_id: int | None = None,
             statuses: tuple[str, ...] = (SENT, RECEIVED)) -> list[Transfer]:
    """The transfers addressed to this property (sent or received), with their lines and garments:
    the one read across properties a receiver makes, limited to what is addressed to it. A transfer
    still being packed, or one to another hotel, is not among them."""
    here = scope.required(session)
    query = (select(Transfer).where(Transfer.to_property_id == here, Transfer.status.in_(statuses))
             .options(selectinload(Transfer.lines).selectinload(TransferLine.garment)
                      .selectinload(Garment.garment_type))
             .order_by(Transfer.sent_at.desc(), Transfer.id.desc()))
    if transfer_id is not None:
        query = query.where(Transfer.id == transfer_id)
    with scope.every_property(session):
        return list(session.scalars(query).unique())


def incoming_one(session: Session, transfer_id: int) -> Transfer | None:
    found = incoming(session, transfer_id=transfer_id)
    return found[0] if found else None


def scan_in(session: Session, transfer: Transfer, raw_code: str, *, user: User | None,
            meta: ScanMeta | None = None, now: dt.datetime | None = None) -> ScanResult:
    """The receiver scans a garment of ``transfer`` (one of :func:`incoming`) in: it becomes this
    property's, in its spare pool. Thirty tablets scanning it at once: it lands once."""
    if meta is not None and meta.key:
        return scan_once(session, meta.key, operator=user, command="scan.transfer_in", as_first=True,
                         scan=lambda: scan_in(session, transfer, raw_code, user=user, now=now))
    from ..domain.codes import normalise_code

    code = normalise_code(raw_code)
    if transfer.status != SENT:
        return ScanResult(ERROR, code, error=DomainError(
            NOT_SENT, slip=transfer.slip_no, status=_label(STATUS_LABELS[transfer.status])))
    line = next((line for line in transfer.lines if line.garment is not None and line.garment.tag == code), None)
    if line is None:
        own = find_garment(session, raw_code)[1]
        if own is None and not code:
            return unknown(code, raw_code)
        return ScanResult(ERROR, code, own, error=DomainError(NOT_ON_IT, code=code or raw_code.strip(),
                                                                 slip=transfer.slip_no))
    garment = line.garment
    here = scope.required(session)
    if line.in_event_id is not None or garment.property_id == here:
        return ScanResult(DUPLICATE, code, garment, error=DomainError(RECEIVED_ALREADY, tag=garment.tag))
    try:
        with savepoint(session):
            event = ledger.receive_transfer(session, garment, to_property_id=here, user=user, station=STATION,
                                            note=transfer.slip_no, at=now)
            session.execute(update(TransferLine).where(TransferLine.id == line.id, TransferLine.in_event_id.is_(None))
                            .values(in_event_id=event.id).execution_options(synchronize_session=False))
            session.flush()
    except DomainError as refused:
        return ScanResult(ERROR, code, garment, error=refused)
    except StaleDataError:
        return ScanResult(ERROR, code, garment, error=DomainError(RACED, tag=garment.tag))
    except OperationalError as error:
        return ScanResult(ERROR, code, garment, error=DomainError(why_not_saved(error)))
    set_committed_value(line, "in_event_id", event.id)  # as stored by the UPDATE above
    return ScanResult(OK, code, garment, event)


def outstanding(transfer: Transfer) -> list[TransferLine]:
    """The garment lines not yet scanned in."""
    return [line for line in transfer.lines if line.garment_id is not None and line.in_event_id is None]


def confirm_receipt(session: Session, transfer: Transfer, *, user: User | None, request_key: str | None = None,
                    now: dt.datetime | None = None) -> Transfer:
    """Every garment scanned in: the stock lines go onto this property's shelf (its item of the
    same code and size, made when missing) and the transfer is ``received``. Once per request."""
    def run() -> Transfer:
        if transfer.status != SENT:
            raise DomainError(NOT_SENT, slip=transfer.slip_no, status=_label(STATUS_LABELS[transfer.status]))
        left = outstanding(transfer)
        if left:
            raise DomainError(STILL_OUT, count=len(left), slip=transfer.slip_no)
        here = scope.required(session)
        with scope.every_property(session):  # the sender's record, addressed to this property
            changed = session.execute(
                update(Transfer).where(Transfer.id == transfer.id, Transfer.status == SENT,
                                       Transfer.to_property_id == here)
                .values(status=RECEIVED, received_by_id=user.id if user else None, received_at=now or utcnow())
                .execution_options(synchronize_session=False))
        if changed.rowcount != 1:
            raise DomainError(CHANGED)
        for line in transfer.lines:
            if line.stock_code is None:
                continue
            item = stock.item_for_transfer(session, code=line.stock_code, size=line.stock_size or "",
                                           name_zh=line.stock_name_zh or line.stock_code,
                                           name_en=line.stock_name_en or "", kind=line.stock_kind or "consumable",
                                           unit_cost=line.unit_cost)
            movement = stock.transfer_move(session, item=item, delta=line.quantity, user=user, note=transfer.slip_no)
            session.execute(update(TransferLine).where(TransferLine.id == line.id)
                            .values(in_movement_id=movement.id).execution_options(synchronize_session=False))
        session.flush()
        return transfer

    done = once(session, request_key, operator=user, command="transfers.receive", run=run,
                remember=lambda record: record.id, recall=lambda _id: transfer)
    session.refresh(transfer)
    return done.result


# --- the slip -------------------------------------------------------------------------------

def slip_document(transfer: Transfer, *, sender: str, receiver: str, gettext: Callable[[str], str],
                  type_name: Callable, clerk: str, when: dt.datetime) -> d.Document:
    """The transfer slip (调拨单): its number (and barcode), both hotels, every tag, every stock
    line, and a line for the receiver's signature."""
    _ = gettext
    lab = d.labels(_)
    title, from_label, to_label = _("Transfer slip"), _("From hotel"), _("To hotel")
    garments_label, stock_label, signed_by = _("Garments"), _("Stock items"), _("Received by")
    els: list = [d.Text(title, size=2, bold=True, align="center"),
                 d.Text(f"{lab['slip_no']}：{transfer.slip_no}", align="center"), d.Rule(),
                 d.Text(f"{from_label}：{sender}"), d.Text(f"{to_label}：{receiver}"), d.Rule()]
    garments = [line for line in transfer.lines if line.garment_id is not None]
    els.append(d.Text(f"{garments_label}（{lab['count']} {len(garments)}）", bold=True))
    for n, line in enumerate(garments, 1):
        g = line.garment
        els.append(d.Text(f"{n}. " + d.GarmentLine(g.tag, type_name(g.garment_type), g.size or "").text()))
    stock_lines = [line for line in transfer.lines if line.stock_code is not None]
    if stock_lines:
        els.append(d.Text(stock_label, bold=True))
        for line in stock_lines:
            size = f" {line.stock_size}" if line.stock_size else ""
            els.append(d.Text(f"{line.stock_name_zh or line.stock_code}{size} ({line.stock_code}) × {line.quantity}"))
    if transfer.note:
        els.append(d.Text(f"{lab['note']}：{transfer.note}"))
    els += [d.Rule(), d.Text(f"{lab['clerk']}：{clerk}"), d.Text(f"{lab['time']}：{when:%Y-%m-%d %H:%M}"),
            d.Feed(2), d.Text(f"{signed_by}：________________"), d.Feed(1),
            d.Text(f"{lab['date']}：________________"), d.Barcode(transfer.slip_no), d.Feed(3), d.Cut()]
    return d.Document("transfer", els, title=f"{title} {transfer.slip_no}")
