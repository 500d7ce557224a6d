"""Printers as records: which printer a job is for, and how to talk to it. No Flask in here.

A uniform room has a receipt printer at the counter and, where tags go into the wash, a label
printer (:class:`~kiosk.models.Printer`). The default printer takes every job no other is
chosen for; it is created from ``KIOSK_PRINTER`` the first time one is needed, so a single
kiosk needs nothing new, and it follows that setting on every server that sets it (a server
started without ``KIOSK_PRINTER`` prints through the default's stored address instead of
printing nowhere). A printer that names a ``host`` is driven by that server only (USB, serial,
a local file only it can reach): other servers leave its jobs queued.
"""
from __future__ import annotations

import dataclasses
import socket
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from printers import errors as print_errors
from printers import labels, transport
from printers.errors import PrinterError

from ..domain.errors import DomainError, N_
from ..domain.typed import short_name
from ..models import Printer, utcnow
from ..request_keys import write_lock

RECEIPT, LABEL = "receipt", "label"
KINDS = (RECEIPT, LABEL)
ESCPOS = "escpos"
#: what each kind of printer may speak
LANGUAGES = {RECEIPT: (ESCPOS,), LABEL: labels.LANGUAGES}
STATUS_QUERIES = ("auto", "on", "off")
PAPERS = (58, 80)
NAME_MAX = 60

#: the default printer's name when it is created (in the kiosk's language, then the hotel's to change)
DEFAULT_NAME = N_("Default printer")

BAD_NAME = N_("A printer needs a name of at most %(max)s characters, without control characters.")
NAME_TAKEN = N_("There is already a printer called %(name)s.")
BAD_KIND = N_("A printer is a receipt printer or a label printer (receipt or label), not %(kind)s.")
BAD_LANGUAGE = N_("A %(kind)s printer speaks %(languages)s, not %(language)s.")
BAD_PAPER = N_("A receipt printer's paper is 58 or 80 mm wide, not %(paper)s.")
BAD_STATUS = N_("Whether the printer is asked for its status is auto, on or off, not %(value)s.")
NO_PRINTER = N_("There is no printer called %(name)s.")
KEEP_DEFAULT = N_("%(name)s is the default printer: make another printer the default first.")


def this_host() -> str:
    """The name of the server this process runs on, as a printer's ``host`` names it."""
    return socket.gethostname()


@dataclass(frozen=True)
class PrinterFields:
    """What makes a printer, checked (:func:`checked`)."""

    name: str
    url: str
    kind: str = RECEIPT
    language: str = ESCPOS
    paper_mm: int | None = None
    label_size: str | None = None
    native: bool = False
    status_query: str = "auto"
    host: str | None = None


def checked(fields: PrinterFields) -> PrinterFields:
    """``fields`` made whole (a label printer's language and size, a receipt printer's paper),
    or DomainError saying what is wrong; nothing is written."""
    name = short_name(fields.name, maximum=NAME_MAX)
    if name is None:
        raise DomainError(BAD_NAME, max=NAME_MAX)
    if fields.kind not in KINDS:
        raise DomainError(BAD_KIND, kind=fields.kind)
    language = fields.language or ESCPOS
    if language == ESCPOS and fields.kind == LABEL:  # a label printer not told: the common one
        language = labels.LANGUAGES[0]
    if language not in LANGUAGES[fields.kind]:
        raise DomainError(BAD_LANGUAGE, kind=fields.kind, language=language,
                          languages="/".join(LANGUAGES[fields.kind]))
    if fields.status_query not in STATUS_QUERIES:
        raise DomainError(BAD_STATUS, value=fields.status_query)
    if any(unicodedata.category(c).startswith("C") for c in fields.url or ""):
        raise DomainError(print_errors.UNKNOWN_URL, url=(fields.url or "").encode("unicode_escape").decode())
    try:
        transport.parse_url(fields.url)
        size = str(labels.label_size(fields.label_size or "40x30")) if fields.kind == LABEL else None
    except PrinterError as error:
        raise DomainError(error.message, **error.params) from None
    paper = None
    if fields.kind == RECEIPT:
        paper = fields.paper_mm or 80
        if paper not in PAPERS:
            raise DomainError(BAD_PAPER, paper=paper)
    host = (fields.host or "").strip() or None
    return dataclasses.replace(fields, name=name, url=fields.url.strip(), language=language, paper_mm=paper,
                               label_size=size, host=host, native=bool(fields.native) and fields.kind == RECEIPT)


def active(session: Session) -> list[Printer]:
    """The printers in use, the default first, then by name."""
    return list(session.scalars(select(Printer).where(Printer.retired_at.is_(None))
                                .order_by(Printer.is_default.desc(), Printer.name)))


def retired_ids(session: Session) -> list[int]:
    """The printers no longer in use: a job still waiting for one prints on the default printer."""
    return list(session.scalars(select(Printer.id).where(Printer.retired_at.is_not(None))))


def by_name(session: Session, name: str) -> Printer:
    """The printer in use called ``name``; DomainError when there is none."""
    found = session.scalar(select(Printer).where(Printer.name == (name or "").strip(), Printer.retired_at.is_(None)))
    if found is None:
        raise DomainError(NO_PRINTER, name=name)
    return found


def add(session: Session, fields: PrinterFields, *, default: bool = False) -> Printer:
    """A new printer (the default one with ``default``); DomainError when its fields are wrong
    or its name is taken. The caller commits."""
    fields = checked(fields)
    write_lock(session)
    if session.scalar(select(Printer.id).where(Printer.name == fields.name)) is not None:
        raise DomainError(NAME_TAKEN, name=fields.name)
    printer = Printer(**dataclasses.asdict(fields), is_default=False)
    session.add(printer)
    session.flush()
    return make_default(session, printer) if default else printer


def make_default(session: Session, printer: Printer) -> Printer:
    """``printer`` takes every job no other is chosen for, from the next one on. The caller commits."""
    write_lock(session)
    for old in session.scalars(select(Printer).where(Printer.is_default, Printer.id != printer.id)):
        old.is_default = False
    session.flush()
    printer.is_default = True
    session.flush()
    return printer


def retire(session: Session, name: str) -> Printer:
    """Take a printer out of use (its past jobs keep naming it); the default stays. The caller commits."""
    write_lock(session)
    printer = by_name(session, name)
    if printer.is_default:
        raise DomainError(KEEP_DEFAULT, name=printer.name)
    printer.retired_at = utcnow()
    session.flush()
    return printer


def default_printer(session: Session, *, url: str, paper_mm: int, native: bool, name: str,
                    follow: bool, commit: bool = True) -> Printer:
    """The default printer, created from the setting (``url`` and the rest: KIOSK_PRINTER,
    KIOSK_PAPER_MM, KIOSK_PRINTER_NATIVE) when there is none; ``follow``: this server sets
    KIOSK_PRINTER, so a default made from the setting takes its address. Commits what it
    changes (``commit``; else the caller's transaction holds it)."""
    printer = _the_default(session)
    if printer is None:
        write_lock(session)  # SQLite: one writer at a time; then look again, another may have made it
        printer = _the_default(session)
    if printer is None:
        try:
            with session.begin_nested():
                printer = Printer(name=_free_name(session, name), url=url, kind=RECEIPT, language=ESCPOS,
                                  paper_mm=paper_mm, native=native, is_default=True, from_setting=True)
                session.add(printer)
        except IntegrityError:  # another server made it a moment ago (PostgreSQL)
            printer = _the_default(session)
    elif follow and printer.from_setting and (printer.url, printer.paper_mm, printer.native) != (url, paper_mm, native):
        write_lock(session)
        printer.url, printer.paper_mm, printer.native = url, paper_mm, native
    else:
        return printer
    session.commit() if commit else session.flush()
    return printer


def _the_default(session: Session) -> Printer | None:
    return session.scalar(select(Printer).where(Printer.is_default, Printer.retired_at.is_(None)))


def _free_name(session: Session, name: str) -> str:
    taken = set(session.scalars(select(Printer.name)))
    return next(candidate for candidate in (name, *(f"{name} {n}" for n in range(2, 100))) if candidate not in taken)


def drives(printer: Printer, host: str) -> bool:
    """Whether a server on ``host`` sends this printer's jobs."""
    return printer.retired_at is None and (not printer.host or printer.host == host)


def asks_status(printer: Printer) -> bool:
    """Whether the printer is asked for its status around a job: ``auto`` asks an ESC/POS printer
    (it answers ``DLE EOT``) and not a label printer (which would print the question)."""
    if printer.status_query == "auto":
        return printer.language == ESCPOS
    return printer.status_query == "on"
