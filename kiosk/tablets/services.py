"""Tablets as records: a name, the printers beside it, its stations' receipts. No Flask in here.

A supervisor names a tablet once (:func:`name_tablet`); the tablet keeps a random token in a
long-lived cookie and the database keeps the token's SHA-256 only. The token grants nothing:
it only says where this tablet's slips and tags print (:func:`printer_for`) and whether its
stations print receipts (:func:`receipts_override`). A tablet whose cookie was lost is named
again; taking over a name that another entry holds retires that entry, and the new one
takes over its printers and switches (it is the same tablet at the same place).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from .. import scope
from ..domain.errors import DomainError, N_
from ..domain.typed import short_name
from ..models import Printer, Tablet, User, utcnow
from ..request_keys import write_lock

#: the cookie that names the tablet; browsers keep a cookie 400 days at most, so it is sent
#: again whenever the tablet is seen a day after the last time (:data:`SEEN_STEP`)
COOKIE = "kiosk_tablet"
COOKIE_DAYS = 400
SEEN_STEP = dt.timedelta(days=1)
NAME_MAX = 60
#: the stations whose receipts a tablet may switch for itself (kiosk.printing.services.RECEIPT_STATIONS)
RECEIPT_COLUMNS = {"checkin": "checkin_receipts", "issue": "issue_receipts"}

BAD_NAME = N_("A tablet needs a name of at most %(max)s characters, without control characters.")
NAME_RACE = N_("Another tablet was given the name %(name)s at the same moment. Try again.")
NAME_HELD = N_("There is already a tablet called %(name)s (last used %(when)s).")
NAME_TAKEN = N_("There is already a tablet called %(name)s. Give this one another name, or retire that one first.")
NO_TABLET = N_("This tablet is not in use any more.")
NO_PRINTER = N_("That printer is not in use any more. Choose another one.")
LABEL_FOR_RECEIPTS = N_("%(name)s is a label printer: it prints tags only. Choose a receipt printer for the slips.")


def new_token() -> str:
    """A tablet's token: 32 random bytes, URL-safe (what the cookie holds)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _well_formed(token: str | None) -> bool:
    return bool(token) and len(token) <= 64 and token.isascii() and all(c.isalnum() or c in "-_" for c in token)


def by_token(session: Session, token: str | None) -> Tablet | None:
    """The tablet in use that holds ``token`` (a cookie's text: anything), or None."""
    if not _well_formed(token):
        return None
    with scope.every_property(session):  # the tablet says which property it is at
        return session.scalar(select(Tablet).where(Tablet.token_hash == token_hash(token),
                                                   Tablet.retired_at.is_(None)))


def checked_name(name: str | None) -> str:
    value = short_name(name, maximum=NAME_MAX)
    if value is None:
        raise DomainError(BAD_NAME, max=NAME_MAX)
    return value


def active(session: Session) -> list[Tablet]:
    """The tablets in use, by name, with their printers."""
    return list(session.scalars(select(Tablet).where(Tablet.retired_at.is_(None))
                                .options(joinedload(Tablet.receipt_printer), joinedload(Tablet.tag_printer))
                                .order_by(Tablet.name)))


def _holder(session: Session, name: str, but: Tablet | None = None) -> Tablet | None:
    query = select(Tablet).where(Tablet.name == name, Tablet.retired_at.is_(None))
    if but is not None:
        query = query.where(Tablet.id != but.id)
    return session.scalar(query.with_for_update())


class NameHeld(DomainError):
    """The name is another tablet's: taking it over retires that one (asked first)."""

    def __init__(self, holder: Tablet) -> None:
        super().__init__(NAME_HELD, name=holder.name, when="")
        self.holder = holder


def name_tablet(session: Session, name: str, *, user: User | None, token: str | None = None,
                take_over: bool = False) -> tuple[Tablet, str]:
    """This tablet (the one holding ``token``, if any) named ``name``; returns it and the token
    its cookie keeps. A tablet not yet named gets a new entry and a new token; a named one is
    renamed. A name another entry holds is taken over only with ``take_over`` (else
    :class:`NameHeld`, nothing changed): that entry is retired and this tablet takes over its
    printers and switches (it is the same tablet at the same place, its cookie lost).
    The caller commits."""
    name = checked_name(name)
    write_lock(session)
    tablet = by_token(session, token)
    old = _holder(session, name, but=tablet)
    if old is not None and not take_over:
        raise NameHeld(old)
    if tablet is not None:
        if old is not None:
            _take_over(session, tablet, old)
        tablet.name, tablet.named_by_id = name, user.id if user is not None else tablet.named_by_id
        _flush_name(session, name)
        return tablet, token  # type: ignore[return-value]
    token = new_token()
    tablet = Tablet(name=name, token_hash=token_hash(token), named_by_id=user.id if user is not None else None)
    if old is not None:
        _take_over(session, tablet, old)
    session.add(tablet)
    _flush_name(session, name)
    return tablet, token


def _take_over(session: Session, tablet: Tablet, old: Tablet) -> None:
    """``old`` is retired; ``tablet`` gets its printers and receipts switches."""
    old.retired_at = utcnow()
    tablet.receipt_printer_id, tablet.tag_printer_id = old.receipt_printer_id, old.tag_printer_id
    tablet.checkin_receipts, tablet.issue_receipts = old.checkin_receipts, old.issue_receipts
    session.flush()


def rename(session: Session, tablet: Tablet, name: str, *, user: User | None) -> Tablet:
    """``tablet`` called ``name`` from now on; a name another tablet holds is refused (taking a
    name over is done on the tablet itself, :func:`name_tablet`)."""
    name = checked_name(name)
    write_lock(session)
    if tablet.name == name:
        return tablet
    if _holder(session, name, but=tablet) is not None:
        raise DomainError(NAME_TAKEN, name=name)
    tablet.name = name
    tablet.named_by_id = user.id if user is not None else tablet.named_by_id
    _flush_name(session, name)
    return tablet


def _flush_name(session: Session, name: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # PostgreSQL: another tablet took the free name a moment ago
        raise DomainError(NAME_RACE, name=name) from None


def retire(session: Session, tablet: Tablet) -> Tablet:
    """``tablet`` is no longer in use: its cookie names nothing, it prints on the default printer
    until a supervisor names it again. The caller commits."""
    write_lock(session)
    tablet.retired_at = tablet.retired_at or utcnow()
    session.flush()
    return tablet


def set_printers(session: Session, tablet: Tablet, *, receipt_printer_id: int | None,
                 tag_printer_id: int | None) -> Tablet:
    """Where ``tablet``'s slips and tags print (None: the default printer). A printer no longer
    in use is refused, and so is a label printer for the slips. The caller commits."""
    write_lock(session)
    receipt = _printer(session, receipt_printer_id)
    tag = _printer(session, tag_printer_id)
    if receipt is not None and receipt.kind != "receipt":
        raise DomainError(LABEL_FOR_RECEIPTS, name=receipt.name)
    tablet.receipt_printer_id = receipt.id if receipt is not None else None
    tablet.tag_printer_id = tag.id if tag is not None else None
    session.flush()
    return tablet


def _printer(session: Session, printer_id: int | None) -> Printer | None:
    if printer_id is None:
        return None
    printer = session.get(Printer, printer_id)
    if printer is None or printer.retired_at is not None:
        raise DomainError(NO_PRINTER)
    return printer


#: the receipts switch of a tablet as its form sends it
RECEIPT_CHOICES = {"room": None, "on": True, "off": False}
BAD_RECEIPTS = N_("Receipts on a tablet are as the room, on or off.")


def receipts_choice(raw: str | None) -> bool | None:
    """``room``, ``on`` or ``off`` as the switch it is; DomainError for anything else."""
    if raw not in RECEIPT_CHOICES:
        raise DomainError(BAD_RECEIPTS)
    return RECEIPT_CHOICES[raw]


def set_receipts(session: Session, tablet: Tablet, station: str, on: bool | None) -> Tablet:
    """``station``'s receipts on this tablet: on, off, or None (as the room's switch says)."""
    column = RECEIPT_COLUMNS[station]
    write_lock(session)
    setattr(tablet, column, on)
    session.flush()
    return tablet


def receipts_override(tablet: Tablet | None, station: str) -> bool | None:
    """This tablet's own receipts switch for ``station``; None: the room's switch decides."""
    if tablet is None or station not in RECEIPT_COLUMNS:
        return None
    return getattr(tablet, RECEIPT_COLUMNS[station])


def printer_for(tablet: Tablet | None, *, tags: bool) -> Printer | None:
    """The printer beside ``tablet`` for tags (``tags``) or slips: its tag printer (or, without
    one, its receipt printer) for tags, its receipt printer for slips; None when it has none in
    use (then the default printer prints)."""
    if tablet is None:
        return None
    chosen = [tablet.tag_printer, tablet.receipt_printer] if tags else [tablet.receipt_printer]
    return next((printer for printer in chosen if printer is not None and printer.retired_at is None), None)


def seen(tablet: Tablet, now: dt.datetime | None = None) -> bool:
    """Note that ``tablet`` was used; True when it was not seen for a day (then its cookie is
    sent again, so it lasts another :data:`COOKIE_DAYS`). The caller commits."""
    now = now or utcnow()
    if tablet.last_seen_at is not None and now - tablet.last_seen_at < SEEN_STEP:
        return False
    tablet.last_seen_at = now
    return True
