"""Print screens and buttons: the status bar, the print queue, tags, reprints, receipts.

Every button that prints only queues a job and answers at once (the worker
sends it). With htmx the answer is the status bar (``#print-status``), which
then follows the job; without, a redirect back with a notice.
"""
from __future__ import annotations

import time
from typing import Callable

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime
from markupsafe import Markup
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import SQLAlchemyError

from printers import labels
from printers.errors import PrinterError
from printers.render import to_png

from ..domain.errors import DomainError
from ..domain.roles import COUNTER, MANAGERS, works_counter
from ..domain.typed import record_id
from ..extensions import db
from ..i18n import current_language, hotel_day_bounds, when
from ..models import CheckinBatch, Employee, Printer, PrintJob, TagReprint, utcnow
from ..registry.services import registered_with
from ..scanning import find_garment
from ..web import current_user, htmx_answer, is_htmx, refuse, roles, safe_path
from ..tablets import current_tablet
from ..tablets import services as tablet_services
from . import bp, services, worker
from . import printers as printer_records

_TARGET = "#print-status"


def template_helpers() -> dict:
    """For the print macros, which other blueprints' pages import too."""
    return {
        "print_kind_label": lambda kind: services.KIND_LABELS.get(kind, kind),
        "job_status_label": lambda status: services.STATUS_LABELS.get(status, status),
        "job_reason": reason_text,
        "job_title": services.title_of,
    }


def reason_text(job: PrintJob) -> str:
    """The job's last error in the reader's language."""
    reason = services.reason_of(job)
    return reason.translated(_) if reason is not None else ""


def may_print() -> bool:
    """Whether the signed-in user's role prints (the counter's roles)."""
    return works_counter(current_user())


def status_context() -> dict:
    """What the status bar in base.html shows (COUNTER roles only: they print)."""
    if not may_print():
        return {"shown": False, "allowed": False}
    try:
        status = services.queue_status(db.session)
    except SQLAlchemyError:
        # Every page shows the bar, error pages too: a database that is away
        # must not turn "something went wrong" into a bare 500.
        db.session.rollback()
        return {"shown": False, "allowed": False}
    reason = ""
    if status.latest_failed is not None:
        reason = reason_text(status.latest_failed)
    unknown = _(services.STATUS_UNKNOWN) if status.just_unknown else ""
    waiting = ""
    if status.pending:  # waiting for a server that is not running, or printing now?
        stuck = services.stuck_printer(db.session)
        if stuck is not None and stuck[2] >= status.pending:  # nothing else is printing meanwhile
            waiting = services.waiting_reason(stuck[0], stuck[1], when).translated(_)
    return {"shown": status.shown, "allowed": True, "status": status, "reason": reason, "unknown": unknown,
            "waiting": waiting}


def receipts_on(station: str) -> bool:
    """Are receipts switched on at ``station`` on this tablet? Its own switch (a named tablet's,
    :mod:`kiosk.tablets`), else the room's. For the stations' templates and the slip buttons.

    Read once per request (a page and the panel in it both ask) and kept on ``g`` until the
    request ends (:func:`forget_receipts`), so a supervisor's switch applies from the next one.
    """
    known = g.setdefault("receipts_on", {})
    if station not in known:
        own = tablet_services.receipts_override(current_tablet(), station)
        known[station] = services.receipts_on(db.session, station) if own is None else own
    return known[station]


def forget_receipts(_error: BaseException | None = None) -> None:
    """At a request's end: an app context can outlive it (a test's, the command line's)."""
    g.pop("receipts_on", None)


def _settings() -> services.PrintSettings:
    return worker.settings_of(current_app)


def _printer(*, tags: bool = False):
    return worker.job_printer(tags=tags)


def _back(default: str) -> str:
    """Where a plain form goes back to: ``next`` when it is a path of ours."""
    return safe_path(request.form.get("next"), default)


def _status_bar(notice: str | None = None):
    """A print button's answer with htmx: the status bar, wherever the button is."""
    bar = status_context()
    html = render_template("printing/partials/_status.html", bar={**bar, "notice": notice} if notice else bar)
    return htmx_answer(html, retarget=_TARGET)


def sent_notice(count: int) -> str:
    """The notice after ``count`` prints were queued (every print button's, other blueprints' too)."""
    return ngettext("Sent to the printer.", "%(num)d prints sent to the printer.", count)


def _queued(count: int, back: str):
    """Commit the ``count`` queued jobs, wake the worker and answer without waiting for it."""
    db.session.commit()
    worker.notify(current_app._get_current_object())
    if is_htmx():
        return _status_bar()
    if count:
        flash(sent_notice(count), "success")
    else:  # a second tap on 重试: the first one queued it
        flash(_("Nothing to send again: it is queued or printed already."), "info")
    return redirect(back)


def queue_once(command: str, make_jobs: Callable[[], list[PrintJob]], back: str):
    """Queue with ``make_jobs()`` and answer (every print button, other blueprints' too).

    Once per the form's request key: a double tap finds the jobs the first tap queued.
    """
    try:
        jobs = services.print_once(db.session, request.form.get("request_key"), user=current_user(),
                                   command=command, queue=make_jobs)
    except DomainError as refused:  # a malformed key: nothing queued
        return _refuse(refused.translated(_), back)
    return _queued(len(jobs), back)


def _refuse(message: str, back: str):
    """Nothing queued, and why: in the status bar's place (htmx) or as a notice."""
    if is_htmx():
        return _status_bar(message)
    flash(message, "warning")
    return redirect(back)


# --- the status bar -----------------------------------------------------------

@bp.get("/status")
@roles(*COUNTER)
def status():
    """The status bar: failed prints (with the reason and 重试), prints waiting, or nothing.

    Polled every 10 s with ``X-Kiosk-Background: 1`` (an idle kiosk still
    locks itself), every 2 s while something is printing.
    """
    return render_template("printing/partials/_status.html", bar=status_context())


@bp.post("/retry")
@roles(*COUNTER)
def retry_failed():
    """One tap: every print that failed in the last hours is queued again, in its order."""
    count = services.retry(db.session, since=utcnow() - services.STATUS_WINDOW, role=current_user().role)
    return _queued(count, _back(url_for(".queue")))


# --- the print queue page -------------------------------------------------------

def _job(job_id: int) -> PrintJob | None:
    """The job (404 when there is none), or None when this operator may not see its kind."""
    job = db.get_or_404(PrintJob, job_id)
    return job if services.may_see(job.kind, current_user().role) else None


def _not_yours():
    return refuse(_("Only a supervisor can open or print this again."), status=403)


@bp.get("/")
@roles(*COUNTER)
def queue():
    """The latest prints: what, when, by whom, status and reason, a preview; retry or print again."""
    jobs = services.recent_jobs(db.session, role=current_user().role)
    return render_template("printing/queue.html", jobs=jobs, waiting=waiting_reasons(jobs), where=services.where)


def waiting_reasons(jobs: list[PrintJob]) -> dict[int, str]:
    """Why each job still queued waits, in the reader's language, where it waits for a server
    that is not running (the only one that drives its printer)."""
    queued = [job for job in jobs if job.status == services.QUEUED and job.printer_record is not None
              and job.printer_record.retired_at is None]  # a retired printer's jobs print on the default
    absent = services.absent_hosts(db.session, {job.printer_record.host for job in queued if job.printer_record.host})
    reasons = {job.id: services.waiting_reason(job.printer_record, absent, when) for job in queued}
    return {job_id: reason.translated(_) for job_id, reason in reasons.items() if reason is not None}


@bp.get("/jobs/<int:job_id>/preview.png")
@roles(*COUNTER)
def preview(job_id: int):
    """The job drawn exactly as it prints (the same renderer, settings and image)."""
    job = _job(job_id)
    if job is None:
        return _not_yours()
    try:
        image = services.render_job(job, _settings())
    except PrinterError as error:
        return Response(services.refusal(error).translated(_), status=422, mimetype="text/plain")
    return Response(to_png(image), mimetype="image/png")


@bp.post("/jobs/<int:job_id>/retry")
@roles(*COUNTER)
def retry(job_id: int):
    """Queue one failed print again (a second tap changes nothing)."""
    job = _job(job_id)
    if job is None:
        return _not_yours()
    count = services.retry(db.session, [job.id])
    return _queued(count, _back(url_for(".queue")))


@bp.post("/jobs/<int:job_id>/reprint")
@roles(*COUNTER)
def reprint(job_id: int):
    """Print any past job again: a new job with the same document."""
    job = _job(job_id)
    if job is None:
        return _not_yours()
    return queue_once("print.reprint", lambda: [services.reprint(db.session, job, user=current_user(),
                                                                 printer=_printer(tags=services.is_tag(job)))],
                      _back(url_for(".queue")))


# --- tags ---------------------------------------------------------------------

@bp.post("/garment/<tag>/tag")
@roles(*COUNTER)
def garment_tag(tag: str):
    """打印标签: the garment's tag (QR, number, type, size, owner)."""
    _code, garment = find_garment(db.session, tag)
    if garment is None:
        abort(404)
    return queue_once(
        "print.tag",
        lambda: services.enqueue_tags(db.session, [garment], user=current_user(), language=current_language(),
                                      printer=_printer(tags=True)),
        _back(url_for("garments.page", tag=garment.tag)))


@bp.post("/registered/<key>/tags")
@roles(*COUNTER)
def registered_tags(key: str):
    """打印全部标签: one tag per garment of a registration, in their order."""
    garments = registered_with(db.session, key, operator=current_user())
    if not garments:
        abort(404)
    return queue_once(
        "print.registered",
        lambda: services.enqueue_tags(db.session, garments, user=current_user(), language=current_language(),
                                      printer=_printer(tags=True)),
        _back(url_for("registry.garments_registered", key=key)))


# --- tag reprints (faded numbers found at inspection) -----------------------------

@bp.get("/reprints")
@roles(*COUNTER)
def reprints():
    """Tags waiting to be printed again, oldest first: 打印 per row, or 全部打印."""
    pending = services.pending_reprints(db.session)
    jobs = services.open_jobs_for_reprints(db.session, [r.id for r in pending])
    return render_template("printing/reprints.html", reprints=pending, jobs=jobs)


def _print_reprints(reprints: list[TagReprint]):
    def make_jobs():
        return services.enqueue_tags(db.session, [r.garment for r in reprints], user=current_user(),
                                     language=current_language(), printer=_printer(tags=True))

    return queue_once("print.reprints", make_jobs, _back(url_for(".reprints")))


@bp.post("/reprints/<int:reprint_id>")
@roles(*COUNTER)
def reprint_tag(reprint_id: int):
    """Print one requested tag; the request is done when the tag has printed."""
    wanted = db.get_or_404(TagReprint, reprint_id)
    if wanted.done_at is not None:
        return _refuse(_("This tag was printed already."), url_for(".reprints"))
    return _print_reprints([wanted])


@bp.post("/reprints/all")
@roles(*COUNTER)
def reprint_all():
    """全部打印: every requested tag, oldest request first."""
    return _print_reprints(services.pending_reprints(db.session))


# --- receipts at the stations ------------------------------------------------------

@bp.post("/receipts/<station>")
@roles(*COUNTER)
def receipts_switch(station: str):
    """Switch a station's receipts on or off: for every tablet, or for this one where it has
    its own switch (the tablets screen). Kept in the database."""
    if station not in services.RECEIPT_STATIONS:
        abort(404)
    on = request.form.get("on") == "1"
    tablet = current_tablet()
    if tablet_services.receipts_override(tablet, station) is not None:  # this tablet has its own switch
        tablet_services.set_receipts(db.session, tablet, station, on)
        db.session.commit()
        flash(_("Receipts are on at this station on this tablet.") if on
              else _("Receipts are off at this station on this tablet."), "info")
    else:
        services.set_receipts(db.session, station, on, user=current_user())
        db.session.commit()
        flash(_("Receipts are on at this station.") if on else _("Receipts are off at this station."), "info")
    return redirect(_back(url_for("checkin.station" if station == "checkin" else "issue.station")))


def _now_text() -> str:
    return format_datetime(utcnow(), "yyyy-MM-dd HH:mm")


@bp.post("/receipt/checkin")
@roles(*COUNTER)
def checkin_slip():
    """打印收衣单: what this employee (or this cart) handed in to this clerk today."""
    back = _back(url_for("checkin.station"))
    if not receipts_on("checkin"):
        return _refuse(_("Receipts are off at this station."), back)
    employee = db.session.get(Employee, request.form.get("employee_id", type=record_id) or 0)
    batch = db.session.get(CheckinBatch, request.form.get("batch_id", type=record_id) or 0)
    if employee is None and batch is None:
        abort(400)
    since, _until = hotel_day_bounds()
    try:
        document = services.checkin_slip(
            db.session, user=current_user(), since_utc=since, language=current_language(), gettext=_,
            when=_now_text(), employee=employee, batch_id=batch.id if employee is None and batch else None,
            department=_("Cart of %(department)s", department=batch.department.name) if batch else "")
    except DomainError as refused:
        return _refuse(refused.translated(_), back)
    return queue_once("print.checkin_slip", lambda: [services.enqueue(
        db.session, document, services.CHECKIN, current_user(), printer=_printer())], back)


@bp.post("/receipt/issue")
@roles(*COUNTER)
def issue_slip():
    """打印发衣单: what this clerk handed this employee today, and what was taken back."""
    back = _back(url_for("issue.station"))
    if not receipts_on("issue"):
        return _refuse(_("Receipts are off at this station."), back)
    employee = db.session.get(Employee, request.form.get("employee_id", type=record_id) or 0)
    if employee is None:
        abort(400)
    station = "kit" if request.form.get("station") == "kit" else "issue"
    since, _until = hotel_day_bounds()
    try:
        document = services.issue_slip(db.session, employee=employee, user=current_user(), since_utc=since,
                                       station=station, language=current_language(), gettext=_,
                                       when=_now_text())
    except DomainError as refused:
        return _refuse(refused.translated(_), back)
    return queue_once("print.issue_slip", lambda: [services.enqueue(
        db.session, document, services.ISSUE, current_user(), printer=_printer())], back)


# --- the printers (supervisors and administrators) -------------------------------------

def _printers_page(*, error: str = "", values=None, status: int = 200):
    worker.job_printer()  # the default one, from KIOSK_PRINTER
    db.session.commit()
    return render_template("printing/printers.html", printers=printer_records.active(db.session), error=error,
                           values=values or {}, kinds=printer_records.KINDS, label_sizes=labels.COMMON_SIZES,
                           label_languages=labels.LANGUAGES, papers=printer_records.PAPERS,
                           status_queries=printer_records.STATUS_QUERIES, where=services.where,
                           this_server=Markup('<code class="code">%s</code>') % _settings().host), status


def _paper(text: str | None) -> int | None:
    """The paper width picked (58 or 80); anything but a number is refused with what was sent."""
    try:
        return int(text) if text else None
    except ValueError:
        raise DomainError(printer_records.BAD_PAPER, paper=text) from None


@bp.get("/printers")
@roles(*MANAGERS)
def printer_list():
    """The room's printers: the default first, each with its test page; a form to add one."""
    return _printers_page()


@bp.post("/printers")
@roles(*MANAGERS)
def printer_add():
    """A new printer; a refused one comes back with the reason and what was typed."""
    form = request.form
    kind = form.get("kind", printer_records.RECEIPT)
    try:
        fields = printer_records.PrinterFields(
            name=form.get("name", ""), url=form.get("url", ""), kind=kind,
            language=form.get("language") if kind == printer_records.LABEL else printer_records.ESCPOS,
            label_size=form.get("label_size") or None, paper_mm=_paper(form.get("paper_mm")),
            native=form.get("native") == "1", status_query=form.get("status_query", "auto"),
            host=form.get("host") or None)
        worker.job_printer()
        printer = printer_records.add(db.session, fields, default=form.get("default") == "1")
    except DomainError as refused:
        db.session.rollback()
        return _printers_page(error=refused.translated(_), values=form)
    db.session.commit()
    flash(_("Printer %(name)s added. Print its test page to see that it prints.", name=printer.name), "success")
    return redirect(url_for(".printer_list"))


def _printer_or_404(printer_id: int):
    printer = db.session.get(Printer, printer_id)
    if printer is None or printer.retired_at is not None:
        return None, refuse(_("This printer is not in use any more."), status=404, title=_("Not found"))
    return printer, None


#: how long the printers' live status is kept (the page opened again, two supervisors at once)
LIVE_KEPT_SECONDS = 10.0
_LIVE = "kiosk_printer_live"


@bp.get("/printers/live")
@roles(*MANAGERS)
def printer_live():
    """Every printer's live status (asked now, as before a job, all at once: two seconds at most)
    and its last jobs, into their rows of the printers screen (loaded after the page, so a
    printer that is off does not hold it). Kept ten seconds: opening the page again asks nothing."""
    printers = printer_records.active(db.session)
    key = tuple((p.id, p.url, p.host, p.status_query) for p in printers)
    kept = current_app.extensions.get(_LIVE)
    if kept is not None and kept[0] == key and time.monotonic() - kept[1] < LIVE_KEPT_SECONDS:
        statuses = kept[2]
    else:
        statuses = services.live_statuses(db.session, printers, _settings())
        current_app.extensions[_LIVE] = (key, time.monotonic(), statuses)
    rows = [(printer, statuses[printer.id], statuses[printer.id].message.translated(_),
             services.last_jobs(db.session, printer)) for printer in printers]
    return render_template("printing/partials/_printer_live.html", rows=rows)


@bp.post("/printers/<int:printer_id>/test")
@roles(*MANAGERS)
def printer_test(printer_id: int):
    """The printer's test page (name, address, paper width, a QR code, the character test line)."""
    printer, refused = _printer_or_404(printer_id)
    if refused:
        return refused
    return queue_once("print.test_page", lambda: [services.enqueue(
        db.session, services.test_page(printer, _), services.TEST_PAGE, current_user(), printer=printer)],
        url_for(".printer_list"))


@bp.post("/printers/<int:printer_id>/default")
@roles(*MANAGERS)
def printer_default(printer_id: int):
    printer, refused = _printer_or_404(printer_id)
    if refused:
        return refused
    printer_records.make_default(db.session, printer)
    db.session.commit()
    flash(_("%(name)s is now the default printer.", name=printer.name), "success")
    return redirect(url_for(".printer_list"))


@bp.post("/printers/<int:printer_id>/remove")
@roles(*MANAGERS)
def printer_remove(printer_id: int):
    printer, refused = _printer_or_404(printer_id)
    if refused:
        return refused
    try:
        printer_records.retire(db.session, printer.name)
    except DomainError as kept:
        db.session.rollback()
        return _printers_page(error=kept.translated(_))
    db.session.commit()
    flash(_("Printer %(name)s is no longer in use.", name=printer.name), "success")
    return redirect(url_for(".printer_list"))
