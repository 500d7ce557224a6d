"""Stock items (鞋、袜、头花, consumables), the purchase list and the monthly distribution.

Who may do what (checked here, on the server):
- the counter (clerks, supervisors, admins) sees stock, receives deliveries,
  issues to an employee, reads/prints/exports the purchase list (it holds no
  personal data) and ticks off the monthly distribution;
- supervisors and admins adjust quantities and open, close and reopen a run.

Each page renders one fragment (``stock/_*.html``) that its forms' htmx
answers replace; without JavaScript the same forms post and get the page.
"""
from __future__ import annotations

import datetime as dt

from flask import Response, abort, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError

from .. import people
from ..domain.errors import DomainError
from ..domain.roles import COUNTER, MANAGERS, is_manager
from ..domain.typed import is_clean
from ..extensions import db
from ..forms import mark
from ..i18n import current_language, hotel_month, now, type_name, when
from ..models import utcnow
from ..printing.services import enqueue, print_once
from ..printing.worker import job_printer
from ..web import current_user, htmx_redirect, render_page_or_fragment, roles
from . import bp, catalogue, services
from .forms import AdjustForm, IssueForm, ReceiveForm, StockItemForm
from .models import DistributionRun, StockItem  # noqa: F401  (registers the stock tables with db.metadata)


@bp.context_processor
def _stock_helpers() -> dict:
    language = current_language()
    return {
        "item_name": lambda item: services.item_name(item, language),
        "kind_label": lambda kind: _(services.KIND_LABELS.get(kind, kind)),
        "reason_label": lambda reason: _(services.REASON_LABELS.get(reason, reason)),
    }


# --- the stock list, receive / issue / adjust ---------------------------------

def _forms(submitted: FlaskForm | None = None) -> dict[str, FlaskForm]:
    """The page's three forms: the one just sent keeps what was typed and its errors, the others start empty."""
    items = services.list_items(db.session)
    language = current_language()
    forms = {
        "receive": ReceiveForm(formdata=None, items=items, item_name=lambda i: services.item_name(i, language)),
        "issue": IssueForm(formdata=None, codes=_codes(items)),
        "adjust": AdjustForm(formdata=None, items=items, item_name=lambda i: services.item_name(i, language)),
    }
    for name, form in forms.items():
        if submitted is not None and type(form) is type(submitted):
            forms[name] = submitted
    return forms


_FORM_NAMES = {ReceiveForm: "receive", IssueForm: "issue", AdjustForm: "adjust"}


def _items_page(message: str = "", outcome: str = "", submitted: FlaskForm | None = None,
                answered: FlaskForm | None = None):
    # A refusal re-renders the panel with status 200, so htmx swaps it in.
    # Supervisors also see the items no longer in use, to put one back in use.
    # The answer shows in the form that was sent (``answered``), where the clerk is looking:
    # a bad quantity in 到货入库 never shows under 员工领用.
    shown = services.list_items(db.session, active_only=not is_manager(current_user()))
    return render_page_or_fragment(
        "stock/items.html", "stock/_stock.html", items=shown,
        movements=services.recent_movements(db.session), message=message, outcome=outcome,
        answered=_FORM_NAMES.get(type(answered or submitted), ""), forms=_forms(submitted))


def _codes(items) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for item in items:
        seen.setdefault(item.code, type_name(item))
    return list(seen.items())


def _command(form: FlaskForm, action, done_message):
    """Check the form, run a stock command: commit and say what happened, or roll back and say why not."""
    if not form.validate_on_submit():
        first = next(iter(form.errors.values()))[0]
        return _items_page(str(first), "error", submitted=form)
    try:
        moved = action()
    except DomainError as error:
        db.session.rollback()
        return _items_page(error.translated(_), "error", submitted=form)
    db.session.commit()
    if moved.duplicate:
        return _items_page(_("Already recorded; nothing new was written."), "duplicate", answered=form)
    return _items_page(done_message(moved.movement), "ok", answered=form)


def _signed(number: int) -> str:
    return "%+d" % number


def _movement_text(movement) -> str:
    return _("%(item)s: %(delta)s, now %(balance)s on hand.",
             item=services.item_name(movement.item, current_language()),
             delta=_signed(movement.delta), balance=movement.balance)


def _request_key() -> str | None:
    return request.form.get("request_key") or None


def _item_form(form_class):
    language = current_language()
    return form_class(items=services.list_items(db.session), item_name=lambda i: services.item_name(i, language))


@bp.get("/")
@roles(*COUNTER)
def items():
    """Stock on hand, low stock highlighted; receive, issue and (supervisors) adjust."""
    return _items_page()


@bp.post("/receive")
@roles(*COUNTER)
def receive():
    """A delivery comes in (purchase): item and size, quantity, note."""
    form = _item_form(ReceiveForm)
    return _command(form, lambda: services.receive(
        db.session, item=form.item, quantity=form.quantity.data, note=form.note.data or "",
        user=current_user(), request_key=_request_key()), _movement_text)


@bp.post("/issue")
@roles(*COUNTER)
def issue():
    """Hand an item to an employee; the size comes from their record unless one is chosen."""
    form = IssueForm(codes=_codes(services.list_items(db.session)))

    def action():
        employee = people.resolve(db.session, form.who.data or "", giving=True)
        return services.issue(db.session, employee=employee, code=form.code.data, size=form.size.data or "",
                              quantity=form.quantity.data or 1, note=form.note.data or "", user=current_user(),
                              request_key=_request_key(), language=current_language())

    def done(movement):
        return _("Issued to %(name)s (%(staff_no)s): %(item)s %(delta)s, now %(balance)s on hand.",
                 name=movement.employee.name, staff_no=movement.employee.staff_no,
                 item=services.item_name(movement.item, current_language()),
                 delta=_signed(movement.delta), balance=movement.balance)

    return _command(form, action, done)


@bp.post("/adjust")
@roles(*MANAGERS)
def adjust():
    """Correct a quantity after counting; the reason is required (supervisors only)."""
    form = _item_form(AdjustForm)
    return _command(form, lambda: services.adjust(
        db.session, item=form.item, delta=form.delta.data, reason=form.reason.data, user=current_user(),
        request_key=_request_key(), language=current_language()), _movement_text)


# --- the items themselves ---------------------------------------------------------

def _item_form_page(form: StockItemForm, item: StockItem | None):
    return render_page_or_fragment("stock/item_form.html", "stock/_item_form.html", form=form, item=item)


def _save_item(form: StockItemForm, item: StockItem | None):
    """Save the item, then back to the list; or the form again with why not (nothing written)."""
    data = form.to_data()
    try:
        try:
            saved = catalogue.save_item(db.session, data, item)
            db.session.commit()
        except IntegrityError:  # the same code and size saved on another tablet just now
            db.session.rollback()
            catalogue.check_item(db.session, data, item)  # says which (SizeTaken), or it was something else
            raise
    except catalogue.SizeTaken as refused:
        db.session.rollback()
        mark(form, [refused])
        return _item_form_page(form, item)
    flash(_("%(item)s saved.", item=services.item_name(saved, current_language())), "success")
    return htmx_redirect(url_for(".items"))


@bp.route("/items/new", methods=["GET", "POST"])
@roles(*MANAGERS)
def item_new():
    """Add an item, or another size of one (``?code=``: its facts filled in); it starts with none on hand."""
    form = StockItemForm()
    if form.validate_on_submit():
        return _save_item(form, None)
    if request.method == "GET" and request.args.get("code"):
        like = catalogue.item_defaults(db.session, request.args["code"])
        if like is not None:
            form = StockItemForm(formdata=None, obj=like)
            form.size.data = ""
    return _item_form_page(form, None)


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@roles(*MANAGERS)
def item_edit(item_id: int):
    """Change an item's facts (every size of it) and this size's levels; quantities move only by movements."""
    item = db.get_or_404(StockItem, item_id)
    form = StockItemForm(obj=item)
    if form.validate_on_submit():
        return _save_item(form, item)
    return _item_form_page(form, item)


# --- the purchase list (采购计划) -----------------------------------------------

@bp.get("/purchase")
@roles(*COUNTER)
def purchase():
    """Items at or below their reorder level, with the quantity to order."""
    return render_template("stock/purchase.html", lines=services.purchase_list(db.session),
                           printable=request.args.get("print") == "1", message="")


@bp.get("/purchase.csv")
@roles(*COUNTER)
def purchase_csv():
    """The purchase list for Excel (UTF-8 with BOM). No personal data, so the counter may export it."""
    body = services.purchase_csv(services.purchase_list(db.session), _)
    return Response(body.encode("utf-8"), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=purchase-list.csv"})


@bp.post("/purchase/print")
@roles(*COUNTER)
def purchase_print():
    """Send the purchase list to the receipt printer (via the print queue)."""
    lines = services.purchase_list(db.session)
    document = services.purchase_document(
        lines, title=_("Purchase list"), when=when(now()), empty=_("Nothing to order."),
        header=_("Item: on hand → to order"), language=current_language())
    try:
        print_once(db.session, request.form.get("request_key"), user=current_user(), command="print.purchase_list",
                   queue=lambda: [enqueue(db.session, document, "purchase", current_user(), printer=job_printer())])
        message = _("The purchase list was sent to the printer.")
    except DomainError as refused:  # a malformed request key: nothing queued
        message = refused.translated(_)
    db.session.commit()
    return render_page_or_fragment("stock/purchase.html", "stock/_print_answer.html", lines=lines, printable=False,
                                   message=message)


# --- the monthly distribution (每月鞋袜分发) -------------------------------------

@bp.get("/distribution")
@roles(*COUNTER)
def distribution():
    """Every month's run; supervisors open the next one here."""
    return render_template("stock/distribution.html", runs=services.runs(db.session),
                           month=hotel_month(), error="")


@bp.post("/distribution/open")
@roles(*MANAGERS)
def open_run():
    """Open the run for a month (opening it again shows the same run)."""
    try:
        run, _created = services.open_run(db.session, request.form.get("month", ""), user=current_user())
    except DomainError as error:
        db.session.rollback()
        return render_template("stock/distribution.html", runs=services.runs(db.session),
                               month=request.form.get("month", ""), error=error.translated(_))
    db.session.commit()
    return htmx_redirect(url_for("stock.run", month=run.month))


def _run_or_404(month: str):
    run = services.run_by_month(db.session, month)
    if run is None:
        abort(404)
    return run


def _shift_start():
    """Since when a tick counts as this shift's (KIOSK_SESSION_HOURS, the longest a sign-in lasts)."""
    return utcnow() - dt.timedelta(hours=float(current_app.config["KIOSK_SESSION_HOURS"]))


def _run_context(run, *, pending: int | None = None, **extra) -> dict:
    """``pending``: the employee whose name was tapped once; their tile asks for the second tap."""
    return dict(run=run, view=services.run_view(db.session, run), pending=pending, shift_start=_shift_start(),
                **extra)


def _run_answer(run, result: dict, pending: int | None = None):
    return render_page_or_fragment("stock/run.html", "stock/_collect_answer.html",
                                   **_run_context(run, result=result, pending=pending))


def _run_command(run, command, *, done: str, duplicate: str):
    """Run a collection or its undo (``command()`` -> Collected): commit and say which, or roll back and say why not."""
    result = {"outcome": "error", "message": "", "person": None}
    try:
        moved = command()
    except DomainError as error:
        db.session.rollback()
        result["message"] = error.translated(_)
    else:
        db.session.commit()
        result.update(outcome=duplicate if moved.duplicate else done, person=moved.person)
    return _run_answer(run, result)


@bp.get("/distribution/<month>")
@roles(*COUNTER)
def run(month: str):
    """The run: scan a badge or staff no. as each person collects (a tapped name asks a second tap)."""
    return render_template("stock/run.html", **_run_context(_run_or_404(month), result=None))


@bp.post("/distribution/<month>/collect")
@roles(*COUNTER)
def collect(month: str):
    """One person collects what they are due: stock falls; twice is a duplicate.

    A badge scan (or a staff no. typed) ticks at once. A tap on a name only asks
    to confirm (再点一次确认): the same tile, or the answer's button, ticks with
    the second tap, so a finger that lands on the wrong name moves nothing.
    """
    run = _run_or_404(month)
    code = request.form.get("code", "")
    if request.form.get("employee_id"):  # a name tapped once: ask, move nothing
        return _ask_to_confirm(run, lambda: people.resolve_id(db.session, request.form["employee_id"], giving=True))
    scanned = people.find_by_code(db.session, code) if not request.form.get("confirm_id") and is_clean(code) else None
    if scanned is None and code.strip() and not request.form.get("confirm_id"):  # a name typed: asked the same
        return _ask_to_confirm(run, lambda: people.resolve(db.session, code, giving=True))

    def command():
        if request.form.get("confirm_id"):  # the second tap on that name
            employee = people.resolve_id(db.session, request.form["confirm_id"], giving=True)
        elif scanned is not None:  # a badge, 工号 or uniform no.: ticks at once
            employee = people.refuse_leaver(scanned)
        else:  # nothing scanned: says so
            employee = people.resolve(db.session, code, giving=True)
        return services.collect(db.session, run, employee, user=current_user(), language=current_language())

    return _run_command(run, command, done="ok", duplicate="duplicate")


def _ask_to_confirm(run, find):
    """A tapped (or typed) name: the answer and that person's tile ask for the second tap (nothing is written)."""
    result = {"outcome": "error", "message": "", "person": None}
    pending = None
    try:
        employee = find()
        if not run.is_open:
            raise DomainError(services.RUN_CLOSED, month=run.month)
        person = services.person_due(db.session, run, employee)
    except DomainError as error:
        result["message"] = error.translated(_)
    else:
        result.update(outcome="duplicate" if person.collected else "confirm", person=person)
        pending = None if person.collected else employee.id
    db.session.rollback()
    return _run_answer(run, result, pending)


@bp.post("/distribution/<month>/undo")
@roles(*COUNTER)
def undo_collect(month: str):
    """Undo a tick of this shift: the stock comes back by a movement (never a delete), the person waits again."""
    run = _run_or_404(month)

    def command():
        employee = people.resolve_id(db.session, request.form.get("employee_id"), giving=False)
        movement_ids = [int(part) for part in request.form.get("movements", "").split(",")
                        if part.strip().isdigit() and len(part.strip()) < 12]
        return services.undo_collect(db.session, run, employee, movement_ids, user=current_user(),
                                     since=_shift_start(), language=current_language())

    return _run_command(run, command, done="undone", duplicate="undo_duplicate")


def _run_status_change(month: str, change):
    run = _run_or_404(month)
    change(db.session, run, user=current_user())
    db.session.commit()
    return htmx_redirect(url_for("stock.run", month=run.month))


@bp.post("/distribution/<month>/close")
@roles(*MANAGERS)
def close_run(month: str):
    """Close the run; it stays as it is until a supervisor reopens it."""
    return _run_status_change(month, services.close_run)


@bp.post("/distribution/<month>/reopen")
@roles(*MANAGERS)
def reopen_run(month: str):
    """Reopen a closed run (recorded on the run: who, when)."""
    return _run_status_change(month, services.reopen_run)
