"""The print queue: jobs, their order, their outcome. No Flask in here.

Every print (a tag, a receipt) is a :class:`~kiosk.models.PrintJob` in the
database before anything is sent: the request that asks for it only writes
the job and returns; a worker (:mod:`kiosk.printing.worker`) sends jobs in
order, oldest queued first. Two processes never print one job twice: a job
is *claimed* with one conditional UPDATE (``queued`` → ``printing``) and only
the process whose UPDATE changed the row sends it.

A job that cannot be printed is ``failed`` with its reason kept as msgid +
parameters, so every reader sees it in their own language; a retry queues
it again, a reprint queues a copy. A job sent to a printer that never
answered its status query is ``done`` with :data:`STATUS_UNKNOWN` kept as its
note (in ``last_error``): it was sent, whether it came out is not known.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import urlsplit

from PIL.Image import Image
from sqlalchemy import bindparam, func, select, true, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, joinedload

from printers import documents, encoding, labels, render, transport
from printers.documents import Document
from printers.errors import PrinterError

from ..domain.errors import DomainError, Label, N_
from ..domain.garment_states import Action
from ..domain.roles import COUNTER, MANAGERS
from ..domain.names import local_name
from .. import scope
from ..database import plain_read
from ..ledger import not_undone
from ..models import (
    Employee,
    Event,
    Garment,
    Printer,
    PrintHost,
    PrintJob,
    StationSetting,
    TagReprint,
    User,
    utcnow,
)
from ..request_keys import once, write_lock
from . import printers as printer_records

QUEUED, PRINTING, DONE, FAILED = "queued", "printing", "done", "failed"

TAG, CHECKIN, ISSUE, LOSS_REPORT = "tag", "checkin", "issue", "loss_report"
TEST_PAGE = "test_page"
TEST_PAGE_TITLE = N_("Printer test page")

#: job kind -> label msgid (the queue page)
KIND_LABELS: dict[str, str] = {
    TAG: N_("Garment tag"),
    CHECKIN: N_("Check-in slip"),
    ISSUE: N_("Issue slip"),
    "loan": N_("Loan slip"),
    "compensation": N_("Compensation slip"),
    "clearance": N_("Leaver's clearance slip"),
    "stocktake": N_("Stocktake summary"),
    "daily": N_("Daily summary"),
    TEST_PAGE: TEST_PAGE_TITLE,
    LOSS_REPORT: N_("Monthly loss report"),
    "transfer": N_("Transfer slip"),
}

#: job kind -> the roles that may see its document (its row in the queue, the preview, a retry,
#: a reprint): the roles of the screen that prints it. A kind not listed is the counter's
#: (COUNTER, every role that prints); the monthly loss report comes from the managers' screen.
KIND_ROLES: dict[str, tuple[str, ...]] = {
    LOSS_REPORT: MANAGERS,
}


def may_see(kind: str, role: str | None) -> bool:
    """Whether an operator with ``role`` may see (preview, retry, reprint) a job of ``kind``."""
    return role in KIND_ROLES.get(kind, COUNTER)


def hidden_kinds(role: str | None) -> list[str]:
    """The job kinds ``role`` may not see (left out of its queue)."""
    return [kind for kind in KIND_ROLES if not may_see(kind, role)]

STATUS_LABELS: dict[str, str] = {
    QUEUED: N_("Waiting to print"),
    PRINTING: N_("Printing"),
    DONE: N_("Printed"),
    FAILED: N_("Not printed"),
}

UNEXPECTED = N_("Printing failed: %(detail)s")
INTERRUPTED = N_("The kiosk stopped while this was printing. Check the printer, then print it again if it did not come out.")
NOTHING_TO_PRINT = N_("Nothing was scanned for this slip yet.")
#: the note of a job sent to a printer that did not answer the status query (not a failure)
STATUS_UNKNOWN = N_("Sent. Printer status unknown: check that it came out.")

#: failed jobs older than this no longer show in the status bar (the queue page keeps them)
STATUS_WINDOW = dt.timedelta(hours=12)
#: a job sent with the printer's status unknown shows in the status bar this long
UNKNOWN_WINDOW = dt.timedelta(minutes=1)
#: a job "printing" for longer than this was left behind by a stopped process
STALE_AFTER = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class PrintSettings:
    """Where and how to print: the kiosk passes its configuration in."""

    printer: str
    paper_mm: int = 80
    font_path: str | None = None
    timeout: float = 5.0
    #: KIOSK_PRINTER_NATIVE: GB18030 text and the printer's own QR command
    #: instead of one raster image (the preview stays the raster render).
    native: bool = False
    #: the printer's language (escpos; a label printer's tspl or zpl) and label size ("40x30")
    language: str = "escpos"
    label_size: str | None = None
    #: whether the printer is asked for its status around a job (ESC/POS printers are)
    ask_status: bool = True
    #: this server's name (a printer driven by one host is left to it) and what to call the
    #: default printer when it is made from the setting; ``follow``: this server sets KIOSK_PRINTER
    host: str = ""
    default_name: str = "Default printer"
    follow: bool = False


def settings_for(printer: Printer, base: PrintSettings) -> PrintSettings:
    """How to print on ``printer``: its address, paper or label, language and status question,
    with this server's font and timeout (``base``)."""
    return dataclasses.replace(base, printer=printer.url, paper_mm=printer.paper_mm or base.paper_mm,
                               native=printer.native, language=printer.language, label_size=printer.label_size,
                               ask_status=printer_records.asks_status(printer))


def default_printer(session: Session, base: PrintSettings, *, commit: bool = True) -> Printer:
    """The default printer (made from ``base``, this server's KIOSK_PRINTER, when there is none)."""
    return printer_records.default_printer(session, url=base.printer, paper_mm=base.paper_mm, native=base.native,
                                           name=base.default_name, follow=base.follow, commit=commit)


# --- queueing -------------------------------------------------------------

def print_once(session: Session, request_key: str | None, *, user: User | None, command: str,
               queue: Callable[[], list[PrintJob]]) -> list[PrintJob]:
    """Queue the jobs ``queue()`` makes, at most once per request key (double tap, retry).

    A repeat queues nothing and returns the jobs the first request queued; a
    malformed key raises DomainError and queues nothing. The caller commits.
    """
    return once(session, request_key, operator=user, command=command, run=queue,
                remember=lambda jobs: [job.id for job in jobs],
                recall=lambda ids: [session.get(PrintJob, job_id) for job_id in ids]).result


@dataclass(frozen=True)
class Destination:
    """Where a new job prints: the printer, and the tablet that asked (None: no named tablet)."""

    printer: Printer
    tablet_id: int | None = None


def enqueue(session: Session, document: Document, kind: str, user: User | None,
            garment: Garment | None = None, *, printer: Destination | Printer | str = "",
            reprint: TagReprint | None = None) -> PrintJob:
    """Queue ``document`` for ``printer`` (where the request prints, a record, or an address
    alone: the default printer's job): a persisted job, nothing sent (the worker sends it).

    A button that prints goes through :func:`print_once` with its request
    key. The caller commits.
    """
    job = PrintJob(kind=kind, document=json.dumps(document.to_dict(), ensure_ascii=False),
                   garment=garment, reprint=reprint, requested_by=user, status=QUEUED, attempts=0,
                   **_for_printer(printer))
    session.add(job)
    session.flush()
    return job


def _for_printer(printer: Destination | Printer | str) -> dict[str, Any]:
    """A new job's printer (the record and its address) and tablet; an address alone: the default's job."""
    if isinstance(printer, Destination):
        return {**_for_printer(printer.printer), "tablet_id": printer.tablet_id}
    if isinstance(printer, Printer):
        return {"printer": printer.url, "printer_id": printer.id}
    return {"printer": printer, "printer_id": None}


#: every character a name may bring: common and rarer hanzi (堃喆玥赟), 𠮷 and one of each CJK
#: extension plane C to G, full-width and Latin; a font that lacks one is named before printing
CHARACTER_TEST = "中文 堃喆玥赟 𠮷 \U0002A700\U0002B740\U0002B820\U0002CEB0\U00030000 ＡＢＣ ABC 123 ¥"
def test_page(printer: Printer, gettext: Callable[[str], str]) -> Document:
    """``printer``'s test page: its name and address, rules as wide as the paper (a receipt
    printer; on a label printer, a label like a tag), a QR code and :data:`CHARACTER_TEST`."""
    title = gettext(TEST_PAGE_TITLE)
    address = where(printer.url)
    if printer.kind == printer_records.LABEL:  # a label printer prints tags: the page is one
        return Document(TAG, [documents.QR("TEST-PAGE"), documents.Text(printer.name, size=3, bold=True),
                              documents.Text(address), documents.Text(CHARACTER_TEST[:9])], title=title)
    return Document(TEST_PAGE, [documents.Text(title, size=2, bold=True, align="center"),
                                documents.Text(printer.name, size=2, align="center"), documents.Text(address),
                                documents.Rule(), documents.QR("TEST-PAGE"), documents.Text(CHARACTER_TEST), documents.Rule(),
                                documents.Feed(3), documents.Cut()], title=title)


def document_of(job: PrintJob) -> Document:
    return Document.from_dict(json.loads(job.document))


def is_tag(job: PrintJob) -> bool:
    """Whether ``job`` prints a tag (a garment's, or a label printer's test page): it goes to a tag printer."""
    return job.kind == TAG or json.loads(job.document).get("kind") == TAG


def title_of(job: PrintJob) -> str:
    return json.loads(job.document).get("title", "")


# --- what a garment tag says ------------------------------------------------

def tag_document(garment: Garment, language: str) -> Document:
    """The tag of ``garment``: QR of its code, its number (or the owner's uniform no.),
    type in the reader's language, size, owner."""
    owner = garment.owner
    number = garment.number or (owner.uniform_no if owner is not None else "") or ""
    return documents.garment_tag(garment.tag, number, local_name(garment.garment_type, language),
                                 garment.size or "", owner.name if owner is not None else "")


def pending_reprint(session: Session, garment: Garment) -> TagReprint | None:
    return session.scalar(
        select(TagReprint).where(TagReprint.garment_id == garment.id, TagReprint.done_at.is_(None))
        .order_by(TagReprint.requested_at, TagReprint.id).limit(1)
    )


def enqueue_tags(session: Session, garments: Sequence[Garment], *, user: User | None, language: str,
                 printer: Destination | Printer | str) -> list[PrintJob]:
    """One tag job per garment, in the given order.

    A garment with a reprint request waiting (a faded number) gets it linked:
    the request is done when this tag has printed.
    """
    return [enqueue(session, tag_document(garment, language), TAG, user, garment,
                    printer=printer, reprint=pending_reprint(session, garment)) for garment in garments]


def pending_reprints(session: Session) -> list[TagReprint]:
    """Tag reprints not yet done, oldest first, with the garment to label."""
    return list(session.scalars(
        select(TagReprint).where(TagReprint.done_at.is_(None))
        .options(joinedload(TagReprint.garment).joinedload(Garment.garment_type),
                 joinedload(TagReprint.garment).joinedload(Garment.owner))
        .order_by(TagReprint.requested_at, TagReprint.id)
    ))


def open_jobs_for_reprints(session: Session, reprint_ids: Iterable[int]) -> dict[int, PrintJob]:
    """The newest job of each reprint request (to show "waiting" / "failed" in its row)."""
    ids = list(reprint_ids)
    if not ids:
        return {}
    jobs: dict[int, PrintJob] = {}
    for job in session.scalars(select(PrintJob).where(PrintJob.reprint_id.in_(ids)).order_by(PrintJob.id)):
        jobs[job.reprint_id] = job
    return jobs


# --- the worker's side ------------------------------------------------------

def next_queued(session: Session, printer_ids: Sequence[int], default_id: int | None = None,
                retired_ids: Sequence[int] = ()) -> tuple[int, int] | None:
    """The oldest queued job for one of ``printer_ids`` and the printer it is for; None when
    there is none. A job that names no printer, or one no longer in use (``retired_ids``), is
    the default printer's (``default_id``)."""
    for_them = PrintJob.printer_id.in_(list(printer_ids))
    if default_id is not None and default_id in printer_ids:
        for_them = for_them | PrintJob.printer_id.is_(None) | PrintJob.printer_id.in_(list(retired_ids))
    row = session.execute(select(PrintJob.id, PrintJob.printer_id).where(PrintJob.status == QUEUED, for_them)
                          .order_by(PrintJob.id).limit(1)).first()
    if row is None:
        return None
    return row[0], row[1] if row[1] in printer_ids else default_id


def claim(session: Session, job_id: int, printer: str) -> bool:
    """Take job ``job_id`` for printing; False when another worker took it first.

    One UPDATE with the status in its WHERE: of two processes, exactly one
    changes the row. Committed at once, so the other sees it.
    """
    result = session.execute(
        update(PrintJob).where(PrintJob.id == job_id, PrintJob.status == QUEUED)
        .values(status=PRINTING, attempts=PrintJob.attempts + 1, printer=printer[:255], updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def error_json(error: DomainError) -> str:
    """A reason as JSON: msgid, parameters and which parameters are msgids themselves."""
    params = {key: value if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
              for key, value in error.params.items()}
    labels = sorted(key for key, value in error.params.items() if isinstance(value, Label))
    return json.dumps({"message": error.message, "params": params, "labels": labels}, ensure_ascii=False)


def refusal(error: PrinterError) -> DomainError:
    """The printer adapter's reason as the kiosk's own refusal (the adapter knows
    nothing of the kiosk): the same msgid and parameters, translated here."""
    return DomainError(error.message, **error.params)


UNREADABLE_REASON = N_("The printer's last error was recorded in a form the kiosk cannot read. Try the job again.")


def reason_of(job: PrintJob) -> DomainError | None:
    """The job's last error, ready to translate (``.translated(gettext)``): of a job, or of
    a row with its ``last_error``."""
    if not job.last_error:
        return None
    try:
        data = json.loads(job.last_error)
        labels = set(data.get("labels", ()))
        params = {key: Label(value) if key in labels else value for key, value in data.get("params", {}).items()}
        return DomainError(data["message"], **params)
    except (ValueError, TypeError, AttributeError, KeyError):
        # Not the shape error_json writes (a hand-edited row, a restore from another version):
        # the job still shows as failed, with a reason that says so, and no page breaks on it.
        return DomainError(UNREADABLE_REASON)


def _finish(session: Session, job_id: int, **values: Any) -> None:
    session.execute(
        update(PrintJob).where(PrintJob.id == job_id, PrintJob.status == PRINTING)
        .values(updated_at=utcnow(), **values).execution_options(synchronize_session=False)
    )


def _fail(session: Session, job_id: int, error: DomainError) -> None:
    _finish(session, job_id, status=FAILED, last_error=error_json(error))
    session.commit()


#: a label printer prints tags only (a receipt needs a roll, not a label)
LABEL_TAGS_ONLY = N_("This is a label printer: it prints garment tags only, not a %(kind)s.")


def encode_for(document: Document, settings: PrintSettings) -> bytes:
    """The bytes ``settings``' printer takes for ``document``: ESC/POS (raster, or native text and
    QR), or one TSPL/ZPL label of its size. PrinterError when it cannot."""
    if settings.language == "escpos":
        return encoding.encode_document(document, paper_mm=settings.paper_mm, native=settings.native,
                                        font_path=settings.font_path)
    if document.kind != TAG:
        raise PrinterError(LABEL_TAGS_ONLY, kind=document.title or document.kind)
    return labels.encode_label(document, labels.label_size(settings.label_size or "40x30"), settings.language,
                               font_path=settings.font_path)


def render_job(job_or_document: PrintJob | Document, settings: PrintSettings) -> Image:
    """The image a job prints, and its preview: one function for both."""
    document = job_or_document if isinstance(job_or_document, Document) else document_of(job_or_document)
    return render.render(document, paper_mm=settings.paper_mm, font_path=settings.font_path)


@dataclass(frozen=True)
class Outcome:
    """How one job went; ``printer_down`` when the printer (not the job) failed;
    ``status_unknown`` when it was sent but the printer never said how it is."""

    status: str
    printer_down: bool = False
    error: DomainError | None = None
    status_unknown: bool = False


def run_job(session: Session, job_id: int, settings: PrintSettings,
            log_exception: Callable[[str], None] | None = None) -> Outcome:
    """Render and send a claimed job; the job is ``done`` or ``failed`` after it.

    A font or document problem fails this job only; a printer that cannot be
    reached says so (``printer_down``) so the jobs behind it are not tried.
    """
    document = session.scalar(select(PrintJob.document).where(PrintJob.id == job_id))
    session.rollback()  # no transaction stays open while the printer is talked to
    try:
        # raster: the preview image (render_job); native: the printer's own text and QR
        # commands, or the raster image when its font may lack a character
        data = encode_for(Document.from_dict(json.loads(document)), settings)
    except PrinterError as error:  # a missing glyph, no font: this job only
        reason = refusal(error)
        _fail(session, job_id, reason)
        return Outcome(FAILED, error=reason)
    except Exception as error:  # a broken document must not stop the queue
        if log_exception:
            log_exception(f"print job {job_id} could not be rendered")
        reason = DomainError(UNEXPECTED, detail=f"{type(error).__name__}: {error}")
        _fail(session, job_id, reason)
        return Outcome(FAILED, error=reason)
    try:
        sent = transport.send_bytes(data, settings.printer, timeout=settings.timeout, ask_status=settings.ask_status)
    except PrinterError as error:
        reason = refusal(error)
        _fail(session, job_id, reason)
        return Outcome(FAILED, printer_down=True, error=reason)
    except Exception as error:
        if log_exception:
            log_exception(f"print job {job_id} could not be sent")
        reason = DomainError(UNEXPECTED, detail=f"{type(error).__name__}: {error}")
        _fail(session, job_id, reason)
        return Outcome(FAILED, printer_down=True, error=reason)
    now = utcnow()
    note = error_json(DomainError(STATUS_UNKNOWN)) if sent.status_unknown else None
    _finish(session, job_id, status=DONE, printed_at=now, last_error=note)
    reprint_id = session.scalar(select(PrintJob.reprint_id).where(PrintJob.id == job_id))
    if reprint_id is not None:
        session.execute(update(TagReprint).where(TagReprint.id == reprint_id, TagReprint.done_at.is_(None))
                        .values(done_at=now).execution_options(synchronize_session=False))
    session.commit()
    return Outcome(DONE, status_unknown=sent.status_unknown)


def fail_queued(session: Session, error: DomainError, printer_id: int | None = None,
                default_id: int | None = None) -> int:
    """The printer is down: every job still waiting for it fails with the same reason
    (none is tried), so the clerk sees at once what did not print and one tap
    retries them all, in order. Jobs for other printers wait on."""
    mine = PrintJob.printer_id == printer_id
    if printer_id is not None and printer_id == default_id:
        mine = mine | PrintJob.printer_id.is_(None)
    result = session.execute(
        update(PrintJob).where(PrintJob.status == QUEUED, mine if printer_id is not None else true())
        .values(status=FAILED, last_error=error_json(error), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount


def release_stale(session: Session, now: dt.datetime | None = None) -> int:
    """Jobs left "printing" by a process that stopped: failed, for a person to
    decide (they may have printed, so they are not sent again by themselves)."""
    before = (now or utcnow()) - STALE_AFTER
    # Look before writing: an idle queue polled every few seconds must not take
    # the database's write lock each time (tablets are writing scans).
    stale = session.scalar(select(PrintJob.id).where(PrintJob.status == PRINTING,
                                                     PrintJob.updated_at < before).limit(1))
    if stale is None:
        return 0
    result = session.execute(
        update(PrintJob).where(PrintJob.status == PRINTING, PrintJob.updated_at < before)
        .values(status=FAILED, last_error=error_json(DomainError(INTERRUPTED)), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount


#: every job's outcome, for the log (kiosk.logs)
print_log = logging.getLogger("kiosk.print")


def where(url: str) -> str:
    """The printer's address without any password in it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}" \
        if parts.scheme not in ("dummy", "") else url


#: how often a server's print worker says it is running, and how long after its last word a
#: job waiting for a printer only that server drives says the server is not running
HOST_BEAT = dt.timedelta(seconds=30)
HOST_GONE_AFTER = dt.timedelta(seconds=90)
WAITS_FOR_STOPPED_HOST = N_("Waiting for %(host)s, the only server that prints on %(printer)s: it is not running "
                            "(last seen %(when)s). Start the kiosk there, or choose another printer.")
WAITS_FOR_NEW_HOST = N_("Waiting for %(host)s, the only server that prints on %(printer)s: it has not run yet. "
                        "Start the kiosk there, or choose another printer.")
def note_host(session: Session, host: str, now: dt.datetime | None = None) -> None:
    """Say that this server's print worker runs: its row's time, written when it is older than
    :data:`HOST_BEAT` (read first: a worker polling every few seconds takes SQLite's write lock
    only that often). A database too busy for it now is left for the next round."""
    now = now or utcnow()
    try:
        seen = session.scalar(select(PrintHost.seen_at).where(PrintHost.name == host))
        if seen is not None and now - seen < HOST_BEAT:
            session.rollback()
            return
        write_lock(session)
        row = session.get(PrintHost, host)
        with session.begin_nested():
            if row is None:
                session.add(PrintHost(name=host, seen_at=now))
            else:
                row.seen_at = now
        session.commit()
    except (IntegrityError, OperationalError):  # another process of this host said it; or busy
        session.rollback()


def absent_hosts(session: Session, hosts: Iterable[str], now: dt.datetime | None = None
                 ) -> dict[str, dt.datetime | None]:
    """Of ``hosts``, those whose print worker is not running: when each was last seen (None: never)."""
    wanted = set(hosts)
    if not wanted:
        return {}
    cutoff = (now or utcnow()) - HOST_GONE_AFTER
    seen = dict(session.execute(select(PrintHost.name, PrintHost.seen_at).where(PrintHost.name.in_(wanted))).all())
    return {host: seen.get(host) for host in wanted if seen.get(host) is None or seen[host] < cutoff}


def waiting_reason(printer: Printer | None, absent: dict[str, dt.datetime | None],
                   when: Callable[[dt.datetime], str]) -> DomainError | None:
    """Why a job for ``printer`` still waits: the one server that drives it is not running."""
    if printer is None or not printer.host or printer.host not in absent:
        return None
    seen = absent[printer.host]
    if seen is None:
        return DomainError(WAITS_FOR_NEW_HOST, host=printer.host, printer=printer.name)
    return DomainError(WAITS_FOR_STOPPED_HOST, host=printer.host, printer=printer.name, when=when(seen))


def stuck_printer(session: Session, now: dt.datetime | None = None) -> tuple[Printer, dict, int] | None:
    """A printer with jobs waiting that only a server that is not running drives (the status bar's
    "waiting for ..."), :func:`absent_hosts`, and how many jobs wait so for any such server; None
    when every waiting job can print."""
    waiting = list(session.execute(
        select(Printer, func.count(PrintJob.id)).join(PrintJob, PrintJob.printer_id == Printer.id)
        .where(Printer.host.is_not(None), Printer.retired_at.is_(None), PrintJob.status == QUEUED)
        .group_by(Printer.id).order_by(Printer.name)))
    absent = absent_hosts(session, [printer.host for printer, _count in waiting], now)
    stuck = [(printer, count) for printer, count in waiting if printer.host in absent]
    if not stuck:
        return None
    return stuck[0][0], absent, sum(count for _printer, count in stuck)


def process(session: Session, base: PrintSettings,
            log_exception: Callable[[str], None] | None = None) -> list[int]:
    """Send every queued job this server may print, oldest first, each on its own printer,
    until none is left; returns the ids handled.

    Only the printers this server drives (those that name no host, or this one): a job for a
    printer of another host stays queued for it. When a printer fails, the jobs behind it are
    failed with the same reason instead of each waiting for its own timeout; the other
    printers' jobs go on.
    """
    release_stale(session)
    note_host(session, base.host)
    default = default_printer(session, base)
    records = {p.id: p for p in printer_records.active(session) if printer_records.drives(p, base.host)}
    retired = printer_records.retired_ids(session)  # their jobs go to the default printer
    down: set[int] = set()
    handled: list[int] = []
    while True:
        found = next_queued(session, [i for i in records if i not in down], default.id, retired)
        if found is None:
            session.rollback()
            return handled
        job_id, printer_id = found
        note_host(session, base.host)  # a long queue: still running
        settings = settings_for(records[printer_id], base)
        if not claim(session, job_id, settings.printer):
            continue  # another process took it; look for the next
        outcome = run_job(session, job_id, settings, log_exception)
        handled.append(job_id)
        if outcome.error is not None:
            print_log.warning("print job %d failed on %s: %s", job_id, where(settings.printer), outcome.error)
        else:
            print_log.info("print job %d %s on %s", job_id, outcome.status, where(settings.printer))
        if outcome.printer_down and outcome.error is not None:
            fail_queued(session, outcome.error, printer_id, default.id)
            down.add(printer_id)


# --- a printer's live status (the printers screen) ------------------------------

LIVE_READY = N_("Ready")
LIVE_NO_ANSWER = N_("Connected; it does not answer status questions (check that prints come out).")
LIVE_NOT_ASKED = N_("Not asked: only a network printer that speaks ESC/POS is asked how it is.")
LIVE_ELSEWHERE = N_("Asked only by %(host)s, the server that drives it.")
LIVE_BUSY = N_("Printing now: asked again after this job.")


@dataclass(frozen=True)
class LiveStatus:
    """How a printer is now: ``ready``, ``no_answer``, ``not_asked``, ``elsewhere`` (another
    server drives it) or ``problem`` (out of paper, offline, off), with what to say."""

    state: str
    message: DomainError


def live_status(printer: Printer, base: PrintSettings) -> LiveStatus:
    """Ask ``printer`` how it is, as a job would (nothing is printed); a label printer, or one
    that is set not to be asked, is not asked. Waits at most two seconds."""
    if not printer_records.drives(printer, base.host):
        return LiveStatus("elsewhere", DomainError(LIVE_ELSEWHERE, host=printer.host))
    if not printer_records.asks_status(printer):
        return LiveStatus("not_asked", DomainError(LIVE_NOT_ASKED))
    try:
        answer = transport.ask_status(printer.url, timeout=min(base.timeout, 2.0))
    except PrinterError as error:
        return LiveStatus("problem", refusal(error))
    message = {transport.READY: LIVE_READY, transport.NO_ANSWER: LIVE_NO_ANSWER}.get(answer, LIVE_NOT_ASKED)
    return LiveStatus(answer, DomainError(message))


_ASKED = ("id", "url", "host", "retired_at", "status_query", "language")


def live_statuses(session: Session, printers: Sequence[Printer], base: PrintSettings) -> dict[int, LiveStatus]:
    """:func:`live_status` of every printer at once (each asked in parallel: the answer takes two
    seconds at most, however many are off); a printer with a job printing is not asked (a
    printer that takes one connection at a time would refuse the job's)."""
    from concurrent.futures import ThreadPoolExecutor

    from types import SimpleNamespace

    busy = set(session.scalars(select(PrintJob.printer_id).where(PrintJob.status == PRINTING)))
    statuses = {p.id: LiveStatus("busy", DomainError(LIVE_BUSY)) for p in printers if p.id in busy}
    # What asking needs, read now: the threads touch no session, and none stays open meanwhile.
    asked = [SimpleNamespace(**{name: getattr(p, name) for name in _ASKED}) for p in printers if p.id not in busy]
    session.rollback()
    if asked:
        with ThreadPoolExecutor(max_workers=min(16, len(asked))) as pool:
            for printer, status in zip(asked, pool.map(lambda p: live_status(p, base), asked)):
                statuses[printer.id] = status
    return statuses


def last_jobs(session: Session, printer: Printer, limit: int = 3) -> list[PrintJob]:
    """``printer``'s latest jobs, newest first (the default printer's include those naming none)."""
    mine = PrintJob.printer_id == printer.id
    if printer.is_default:
        mine = mine | PrintJob.printer_id.is_(None)
    return list(session.scalars(select(PrintJob).where(mine).order_by(PrintJob.id.desc()).limit(limit)))


# --- retry, reprint ---------------------------------------------------------

def retry(session: Session, job_ids: Iterable[int] | None = None, *, since: dt.datetime | None = None,
          role: str | None = None) -> int:
    """Queue failed jobs again (the given ones, or all failed since ``since``).

    Only a job still ``failed`` is queued: a second tap changes nothing.
    ``role``: only the kinds that role may see (:data:`KIND_ROLES`), so a
    clerk's "retry all" does not print the managers' report slip.
    Returns how many were queued.
    """
    query = update(PrintJob).where(PrintJob.status == FAILED)
    if role is not None and (hidden := hidden_kinds(role)):
        query = query.where(PrintJob.kind.not_in(hidden))
    if job_ids is not None:
        query = query.where(PrintJob.id.in_(list(job_ids)))
    if since is not None:
        query = query.where(PrintJob.created_at >= since)
    result = session.execute(query.values(status=QUEUED, updated_at=utcnow())
                             .execution_options(synchronize_session=False))
    return result.rowcount


def reprint(session: Session, job: PrintJob, *, user: User | None, printer: Destination | Printer | str) -> PrintJob:
    """A new job with the same document as ``job`` (any past job), for ``printer`` (the one the
    request prints on; an address alone: the default printer's)."""
    copy = PrintJob(kind=job.kind, document=job.document, garment_id=job.garment_id,
                    reprint_id=None, requested_by=user, status=QUEUED, attempts=0, **_for_printer(printer))
    session.add(copy)
    session.flush()
    return copy


# --- what the screens show --------------------------------------------------

def status_unknown(job: PrintJob) -> bool:
    """Whether ``job`` was sent to a printer that never answered its status query."""
    return job.status == DONE and job.last_error is not None


@dataclass
class QueueStatus:
    """What the status bar says: failed jobs (with the latest reason), those waiting,
    those printed just now, and those sent just now with the printer's status unknown.
    ``latest_failed``: the newest failed job's id and ``last_error`` (for :func:`reason_of`)."""

    failed: int
    pending: int
    latest_failed: Any | None
    just_printed: int
    just_unknown: int = 0

    @property
    def shown(self) -> bool:
        return bool(self.failed or self.pending or self.just_printed or self.just_unknown)


_jobs = PrintJob.__table__
_IS_FAILED = (_jobs.c.status == FAILED) & (_jobs.c.created_at >= bindparam("failed_since"))


def _count(where) -> Any:
    return select(func.count()).select_from(_jobs).where(where, scope.of_property(_jobs)).scalar_subquery()


#: The status bar's counts, on every page and every poll: built once (building it and its cache
#: key cost more than running it), each count a range of one index (models.PrintJob's), never a
#: pass over the printed history.
_QUEUE_COUNTS = select(
    _count(_IS_FAILED),
    _count(_jobs.c.status.in_((QUEUED, PRINTING))),
    _count((_jobs.c.status == DONE) & (_jobs.c.printed_at >= bindparam("done_since"))),
    _count((_jobs.c.status == DONE) & (_jobs.c.printed_at >= bindparam("unknown_since"))
           & _jobs.c.last_error.is_not(None)),
)
#: the newest failure's reason, only when something failed (its row, not the job with its document)
_LATEST_FAILED = (select(_jobs.c.id, _jobs.c.last_error).where(_IS_FAILED, scope.of_property(_jobs))
                  .order_by(_jobs.c.updated_at.desc(), _jobs.c.id.desc()).limit(1))


def queue_status(session: Session, now: dt.datetime | None = None,
                 done_window: dt.timedelta = dt.timedelta(seconds=15)) -> QueueStatus:
    """Failed jobs of the last hours, jobs waiting, and jobs printed just now.

    One query (the bar is on every page), plus one for the latest reason
    only when something failed.
    """
    now = now or utcnow()
    since = {"failed_since": now - STATUS_WINDOW}
    counts = plain_read(session, _QUEUE_COUNTS, {**since, "done_since": now - done_window,
                                                 "unknown_since": now - UNKNOWN_WINDOW}).one()
    failed, pending, just, unknown = (int(n) for n in counts)
    latest = plain_read(session, _LATEST_FAILED, since).first() if failed else None
    quiet = not (failed or pending)
    return QueueStatus(failed=failed, pending=pending, latest_failed=latest,
                       just_printed=just if quiet else 0, just_unknown=unknown if quiet else 0)


def printer_state(session: Session) -> dict[str, Any]:
    """The print queue for /healthz: how many wait and failed (the status bar's
    counts) and the printer as its latest finished job found it: ``ok``,
    ``status_unknown`` (sent, no status answer), ``failed`` (with the reason in
    English, for the monitoring), or ``unused``."""
    status = queue_status(session)
    # The latest finished job: the newest done and the newest failed, each the end of one index.
    candidates = [session.scalar(select(PrintJob).where(PrintJob.status == finished)
                                 .order_by(PrintJob.updated_at.desc(), PrintJob.id.desc()).limit(1))
                  for finished in (DONE, FAILED)]
    finished = [job for job in candidates if job is not None]
    latest = max(finished, key=lambda job: (job.updated_at, job.id)) if finished else None
    state: dict[str, Any] = {"waiting": status.pending, "failed": status.failed}
    if latest is None:
        return {**state, "printer": "unused"}
    if latest.status == FAILED:
        reason = reason_of(latest)
        return {**state, "printer": "failed", "reason": str(reason) if reason is not None else ""}
    return {**state, "printer": "status_unknown" if status_unknown(latest) else "ok"}


def recent_jobs(session: Session, limit: int = 50, *, role: str | None) -> list[PrintJob]:
    """The latest jobs ``role`` may see (:data:`KIND_ROLES`), newest first (the queue page)."""
    query = select(PrintJob).options(joinedload(PrintJob.requested_by), joinedload(PrintJob.garment),
                                     joinedload(PrintJob.printer_record), joinedload(PrintJob.tablet))
    hidden = hidden_kinds(role)
    if hidden:
        query = query.where(PrintJob.kind.not_in(hidden))
    return list(session.scalars(query.order_by(PrintJob.id.desc()).limit(limit)))


# --- receipts: station switch and slips ---------------------------------------

RECEIPT_STATIONS = ("checkin", "issue")


_settings = StationSetting.__table__
_RECEIPTS = select(_settings.c.receipts).where(_settings.c.station == bindparam("station"),
                                                scope.of_property(_settings))


def receipts_on(session: Session, station: str) -> bool:
    """Whether the station prints receipts (on until a supervisor switches them off)."""
    receipts = plain_read(session, _RECEIPTS, {"station": station}).scalar()
    return True if receipts is None else receipts


def set_receipts(session: Session, station: str, on: bool, *, user: User | None) -> StationSetting:
    """Switch a station's receipts on or off (every tablet of the room follows)."""
    if station not in RECEIPT_STATIONS:
        raise ValueError(f"unknown receipt station {station!r}")
    setting = session.scalar(select(StationSetting).where(StationSetting.station == station))
    if setting is None:
        setting = StationSetting(station=station)
        session.add(setting)
    setting.receipts = on
    setting.updated_by_id = user.id if user is not None else None
    session.flush()
    return setting


def _scanned(session: Session, *, station: str, actions: Sequence[str], user: User,
             since_utc: dt.datetime, employee: Employee | None = None,
             batch_id: int | None = None) -> list[tuple[Event, Garment]]:
    """This clerk's moves at ``station`` since the start of the shift, not undone, in order."""
    query = (
        select(Event, Garment).join(Garment, Event.garment_id == Garment.id)
        .where(Event.station == station, Event.action.in_(list(actions)), Event.user_id == user.id,
               Event.created_at >= since_utc, not_undone())
        .options(joinedload(Garment.garment_type))
        .order_by(Event.created_at, Event.id)
    )
    if employee is not None:
        query = query.where(Event.employee_id == employee.id)
    if batch_id is not None:
        query = query.where(Event.batch_id == batch_id)
    return [(event, garment) for event, garment in session.execute(query).unique()]


def garment_line(garment: Garment, language: str) -> documents.GarmentLine:
    """A garment as a slip lists it (every slip: check-in, issue, loan, compensation)."""
    return documents.GarmentLine(garment.tag, local_name(garment.garment_type, language), garment.size or "",
                                 garment.number or "")


def checkin_slip(session: Session, *, user: User, since_utc: dt.datetime, language: str,
                 gettext: Callable[..., str], when: str, employee: Employee | None = None,
                 batch_id: int | None = None, department: str = "", station: str = "checkin") -> Document:
    """收衣单: what ``employee`` (or a cart) handed in to this clerk this shift.

    Raises DomainError when nothing was scanned.
    """
    moves = _scanned(session, station=station, actions=(Action.CHECK_IN.value,), user=user,
                     since_utc=since_utc, employee=employee, batch_id=batch_id)
    if not moves:
        raise DomainError(NOTHING_TO_PRINT)
    who = f"{employee.name} ({employee.staff_no})" if employee is not None else department
    return documents.checkin_slip(gettext("Uniform room · check-in slip"), employee=who,
                                  garments=[garment_line(g, language) for _e, g in moves], clerk=user.name,
                                  when=when, labels=documents.labels(gettext))


def issue_slip(session: Session, *, employee: Employee, user: User, since_utc: dt.datetime,
               station: str, language: str, gettext: Callable[..., str], when: str) -> Document:
    """发衣单: what this clerk handed ``employee`` this shift, and what was taken back."""
    moves = _scanned(session, station=station,
                     actions=(Action.ISSUE.value, Action.ISSUE_SPARE.value, Action.CHECK_IN.value),
                     user=user, since_utc=since_utc, employee=employee)
    if not moves:
        raise DomainError(NOTHING_TO_PRINT)
    issued = [garment_line(g, language) for e, g in moves if e.action != Action.CHECK_IN.value]
    returned = [garment_line(g, language) for e, g in moves if e.action == Action.CHECK_IN.value]
    title = gettext("Uniform room · exchange slip") if returned else gettext("Uniform room · issue slip")
    return documents.issue_slip(title, employee=f"{employee.name} ({employee.staff_no})", garments=issued,
                                returned=returned, clerk=user.name, when=when, labels=documents.labels(gettext))
