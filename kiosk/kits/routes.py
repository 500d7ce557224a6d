"""The kits screen (岗位配置 / 配发标准): what each position gets, garments and stock items.

The counter reads it (a clerk may look up what a position gets); supervisors
and administrators change it (MANAGERS, checked here on the server, whatever
the page shows). A position's rows are edited for every department at once,
or for one department where the position exists in several.

Each change answers htmx with the editor (``kits/_editor.html``) and what was
done; without JavaScript the same forms post and are redirected to the page.
"""
from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _

from ..domain.errors import N_, DomainError
from ..domain.names import STOCK_KIND_LABELS
from ..domain.roles import COUNTER, MANAGERS
from ..extensions import db
from ..forms import optional_id
from ..models import Department
from ..web import current_user, htmx_redirect, is_htmx, refuse, render_page_or_fragment, roles
from . import bp, services
from .forms import LineForm, RemoveForm, item_choices, item_label
from .models import MAX_QUANTITY


#: Whose size a kit's item is handed out in (services.SIZE_OF_KIND: the employee's column).
_SIZE_NOTES = {"size": N_("The employee's size"), "shoe_size": N_("The employee's shoe size"),
               "sock_size": N_("The employee's sock size")}


def _kind_label(kind: str) -> str:
    return _("Uniform") if kind == services.GARMENT else _(STOCK_KIND_LABELS.get(kind, kind))


def _size_note(item: services.KitItem) -> str:
    """In which size the item is handed out: the employee's own (clothing, shoe, sock) or one size."""
    column = "size" if item.is_garment else services.SIZE_OF_KIND.get(item.kind)
    if column:
        return _(_SIZE_NOTES[column])
    return "、".join(item.sizes) if item.sizes else _("One size")


@bp.context_processor
def _kit_helpers() -> dict:
    return {"item_label": item_label, "max_quantity": MAX_QUANTITY, "kind_label": _kind_label,
            "size_note": _size_note}


@bp.get("/")
@roles(*COUNTER)
def index():
    """Every position: how many people hold it, and whether it has a kit or falls back."""
    return render_page_or_fragment("kits/index.html", overview=services.positions(db.session))


def _department(raw) -> Department | None:
    department_id = optional_id(raw)
    if department_id is None:
        return None
    department = db.session.get(Department, department_id)
    if department is None:
        abort(404)
    return department


def _editor(position: str, department: Department | None, *, form: LineForm | None = None,
            message: str = "", outcome: str = ""):
    """The position's page, or (htmx) its editor with what was just done."""
    view = services.scope_view(db.session, position, department)
    # The add form offers what the kit does not list yet (a listed item's quantity is changed on its row).
    listed = {item.key for _line, item in view.lines}
    addable = [item for item in services.kit_items(db.session) if item.key not in listed]
    form = form or LineForm(formdata=None, items=addable)
    form.item.choices = item_choices(addable, placeholder=True)
    return render_page_or_fragment("kits/position.html", "kits/_editor.html", view=view, form=form,
                                   message=message, outcome=outcome,
                                   departments=services.departments(db.session))


@bp.get("/position")
@roles(*COUNTER)
def position():
    """One position's kit, for every department (no ``department``) or one department's own."""
    try:
        name = services.check_position(request.args.get("name"))
    except DomainError as refused:
        flash(refused.translated(_), "error")
        return htmx_redirect(url_for(".index"))
    return _editor(name, _department(request.args.get("department")))


_DONE = {
    "added": lambda c: _("Added to the kit: %(item)s × %(quantity)s.", item=item_label(c.item), quantity=c.quantity),
    "changed": lambda c: _("%(item)s: %(before)s → %(quantity)s per person.", item=item_label(c.item),
                           before=c.before, quantity=c.quantity),
    "unchanged": lambda c: _("%(item)s is already %(quantity)s per person; nothing changed.",
                             item=item_label(c.item), quantity=c.quantity),
    "removed": lambda c: _("%(item)s is no longer in this kit.", item=item_label(c.item)),
    "absent": lambda c: _("%(item)s was not in this kit (taken out on another tablet?); nothing changed.",
                          item=item_label(c.item)),
    "repeated": lambda c: _("Already done; nothing new was written."),
}
_LEVEL = {"added": "success", "changed": "success", "removed": "success", "unchanged": "warning",
          "absent": "warning", "repeated": "warning"}


def _answer(form, command):
    """Check the form, run ``command``: commit and say what was done, or roll back and say why not."""
    if form.position.process_errors:  # a control character in the page's position: changed by hand
        return refuse(form.position.process_errors[0], status=400)
    try:
        position = services.check_position(form.position.data)
    except DomainError as refused:  # only a page changed by hand sends no position
        return refuse(refused.translated(_), status=400)
    department = _department(form.department_id.data)
    message, outcome = "", "error"
    if not form.validate_on_submit():
        message = str(next(iter(form.errors.values()))[0])
    else:
        try:
            done = command(position, department)
        except DomainError as refused:
            db.session.rollback()
            message = refused.translated(_)
        else:
            db.session.commit()
            change = done.result if not done.repeated else services.KitChange("repeated", form.chosen)
            message, outcome = _DONE[change.outcome](change), change.outcome
            if not is_htmx():
                flash(message, _LEVEL[change.outcome])
                return htmx_redirect(url_for(".position", name=position,
                                             department=department.id if department else None))
    # A refused add keeps what was typed in the add form; a refused row is said above the table only.
    keep = form if isinstance(form, LineForm) and outcome == "error" and request.form.get("from") != "row" else None
    return _editor(position, department, form=keep, message=message, outcome=outcome)


@bp.post("/set")
@roles(*MANAGERS)
def set_line():
    """Give the position N of an item per person: adds the row, or changes how many (who and when kept)."""
    form = LineForm(items=services.kit_items(db.session))
    return _answer(form, lambda position, department: services.set_line(
        db.session, position=position, department=department, item=form.chosen, quantity=form.quantity.data,
        user=current_user(), request_key=request.form.get("request_key")))


@bp.post("/remove")
@roles(*MANAGERS)
def remove_line():
    """Take an item out of the position's kit."""
    form = RemoveForm(items=services.kit_items(db.session, active_only=False))
    return _answer(form, lambda position, department: services.remove_line(
        db.session, position=position, department=department, item=form.chosen,
        user=current_user(), request_key=request.form.get("request_key")))
