"""Registry screens: employees, garment types, garments.

Looking people and garments up is counter work (clerks too); adding and
changing them is a supervisor's (MANAGERS). The role is checked on the
server for every URL, whatever the page shows.
"""
from __future__ import annotations

from functools import partial

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from ..domain.errors import DomainError
from ..domain.roles import COUNTER, MANAGERS
from ..extensions import db
from ..forms import mark
from ..i18n import hotel_today, translate_error
from ..models import Employee, GarmentType
from ..properties import services as properties
from ..operators.services import Actor
from ..request_keys import new_key
from ..web import current_user, htmx_redirect, page_arg, render_page_or_fragment, roles
from . import bp, forms, services

_REGISTER_ATTEMPTS = 3


@bp.context_processor
def _registry_helpers() -> dict:
    return {
        "kind_label": lambda kind: forms.KIND_LABELS.get(kind, kind),
        "sizes": _sizes,
    }


def _sizes(employee: Employee) -> str:
    """``L · 鞋 39 · 袜 M``: the sizes on record (clothing, shoes, socks), or a dash."""
    parts = [employee.size] if employee.size else []
    if employee.shoe_size:
        parts.append(_("shoes %(size)s", size=employee.shoe_size))
    if employee.sock_size:
        parts.append(_("socks %(size)s", size=employee.sock_size))
    return " · ".join(parts) or "—"


# --- employees ------------------------------------------------------------

@bp.get("/employees")
@roles(*COUNTER)
def employees():
    """Employee list and search by name, staff no. or uniform no.

    The search box asks again as the clerk types (htmx) and gets only the
    results; without htmx the same URL answers with the whole page.
    """
    q = request.args.get("q", "")[:64]
    found = services.search_employees(db.session, q, page_arg())
    return render_page_or_fragment("registry/employees.html", "registry/partials/_employee_results.html",
                                   q=q, found=found)


def _employee_form_page(form: forms.EmployeeForm, employee: Employee | None):
    return render_page_or_fragment("registry/employee_form.html", "registry/partials/_employee_form.html",
                                   form=form, employee=employee)


def _save(form, save, check, existing):
    """Save through ``save``, or mark the form with why not (and write nothing).

    ``check`` runs again when the commit hits a unique constraint: someone
    saved the same key from another tablet just now, and the user should
    read which value clashes.
    """
    data = form.to_data()
    try:
        saved = save(db.session, data, existing)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            check(db.session, data, existing)
            raise
    except services.FieldErrors as refused:
        db.session.rollback()
        mark(form, refused.errors)
        return None
    return saved


def _actor() -> Actor:
    return Actor(user=current_user())


def _save_employee(form: forms.EmployeeForm, employee: Employee | None) -> Employee | None:
    actor = _actor()
    return _save(form, partial(services.save_employee, actor=actor), partial(services.check_employee, actor=actor),
                 employee)


@bp.route("/employees/new", methods=["GET", "POST"])
@roles(*MANAGERS)
def employee_new():
    """Add a person."""
    form = forms.EmployeeForm(departments=services.list_departments(db.session))
    if form.validate_on_submit():
        employee = _save_employee(form, None)
        if employee is not None:
            flash(_("%(name)s (%(staff_no)s) added.", name=employee.name, staff_no=employee.staff_no),
                  "success")
            return htmx_redirect(url_for(".employees", q=employee.staff_no))
    return _employee_form_page(form, None)


@bp.route("/employees/<int:employee_id>/edit", methods=["GET", "POST"])
@roles(*MANAGERS)
def employee_edit(employee_id: int):
    """Change a person's details; they leave or come back from here too."""
    employee = db.get_or_404(Employee, employee_id)
    form = forms.EmployeeForm(obj=employee, departments=services.list_departments(db.session))
    if form.validate_on_submit():
        if _save_employee(form, employee) is not None:
            flash(_("%(name)s (%(staff_no)s) saved.", name=employee.name, staff_no=employee.staff_no),
                  "success")
            return htmx_redirect(url_for(".employees", q=employee.staff_no))
    return _employee_form_page(form, employee)


@bp.post("/employees/<int:employee_id>/deactivate")
@roles(*MANAGERS)
def employee_deactivate(employee_id: int):
    """The person left: kept for the history, greyed in the list."""
    employee = db.get_or_404(Employee, employee_id)
    # A person leaves on a local date; their clearance opens in the same transaction.
    services.deactivate_employee(db.session, employee, hotel_today(), user=current_user())
    db.session.commit()
    flash(_("%(name)s is marked as left.", name=employee.name), "success")
    held = services.garments_held(db.session, employee)
    if held:
        flash(ngettext("%(num)d garment is still registered to them: collect it or write it off.",
                       "%(num)d garments are still registered to them: collect them or write them off.",
                       held), "warning")
    return htmx_redirect(url_for(".employee_edit", employee_id=employee.id))


@bp.post("/employees/<int:employee_id>/badge/revoke")
@roles(*MANAGERS)
def employee_badge_revoke(employee_id: int):
    """The badge is lost or handed back: it names nobody from now on (a new one is scanned on the form)."""
    employee = db.get_or_404(Employee, employee_id)
    try:
        revoked = services.revoke_badge(db.session, employee, actor=_actor())
    except DomainError as refused:
        db.session.rollback()
        flash(translate_error(refused), "error")
    else:
        if revoked:
            db.session.commit()
            flash(_("The badge of %(name)s is revoked: it no longer names anyone.", name=employee.name),
                  "success")
        else:
            flash(_("%(name)s has no badge.", name=employee.name), "warning")
    return htmx_redirect(url_for(".employee_edit", employee_id=employee.id))


@bp.post("/employees/<int:employee_id>/reactivate")
@roles(*MANAGERS)
def employee_reactivate(employee_id: int):
    """The person is back (rehired, or marked as left by mistake)."""
    employee = db.get_or_404(Employee, employee_id)
    services.reactivate_employee(db.session, employee, user=current_user())
    db.session.commit()
    flash(_("%(name)s is active again.", name=employee.name), "success")
    return htmx_redirect(url_for(".employee_edit", employee_id=employee.id))


# --- garment types --------------------------------------------------------

@bp.get("/types")
@roles(*MANAGERS)
def types():
    """Garment types: price, entitlement, expected washes."""
    return render_template("registry/types.html", types=services.list_types(db.session),
                           prices=properties.type_prices(db.session))


def _save_type(form: forms.GarmentTypeForm, garment_type: GarmentType | None) -> GarmentType | None:
    return _save(form, services.save_type, services.check_type, garment_type)


def _type_form_page(form: forms.GarmentTypeForm, garment_type: GarmentType | None):
    return render_page_or_fragment("registry/type_form.html", "registry/partials/_type_form.html",
                                   form=form, garment_type=garment_type)


@bp.route("/types/new", methods=["GET", "POST"])
@roles(*MANAGERS)
def type_new():
    """Add a garment type."""
    form = forms.GarmentTypeForm()
    if form.validate_on_submit():
        garment_type = _save_type(form, None)
        if garment_type is not None:
            flash(_("Type %(code)s added.", code=garment_type.code), "success")
            return htmx_redirect(url_for(".types"))
    return _type_form_page(form, None)


@bp.route("/types/<int:type_id>/edit", methods=["GET", "POST"])
@roles(*MANAGERS)
def type_edit(type_id: int):
    """Change a garment type. Garments already registered keep their own cost."""
    garment_type = db.get_or_404(GarmentType, type_id)
    form = forms.GarmentTypeForm(obj=garment_type)
    if request.method == "GET":
        form.unit_cost.data = properties.type_price(db.session, garment_type)  # this hotel's
    if form.validate_on_submit():
        if _save_type(form, garment_type) is not None:
            flash(_("Type %(code)s saved.", code=garment_type.code), "success")
            return htmx_redirect(url_for(".types"))
    return _type_form_page(form, garment_type)


# --- garments -------------------------------------------------------------

@bp.get("/garments")
@roles(*COUNTER)
def garments():
    """Every numbered garment, filtered by tag/number, status, type and owner."""
    form = forms.GarmentFilterForm(formdata=request.args, types=services.list_types(db.session))
    found = services.search_garments(db.session, form.to_filter(), page_arg())
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_page_or_fragment("registry/garments.html", "registry/partials/_garment_results.html",
                                   form=form, found=found, args=args)


def _register(form: forms.RegisterGarmentForm | forms.RegisterBatchForm, *, count: int, tag: str):
    """Register, then redirect to what was registered; None when the form has to be shown again."""
    garment_type = db.session.get(GarmentType, form.type_id.data)  # a valid choice: it exists
    for _attempt in range(_REGISTER_ATTEMPTS):
        try:
            owner = services.resolve_owner(db.session, form.staff_no.data or "")
            result = services.register_garments(
                db.session, request_key=form.request_key.data, garment_type=garment_type,
                count=count, tag=tag, owner=owner, size=form.size.data or "",
                purchased_on=form.purchased_on.data, cost=form.cost.data, user=current_user())
            db.session.commit()
        except services.FieldErrors as refused:
            db.session.rollback()
            mark(form, refused.errors)
            return None
        except DomainError as refused:  # a malformed request key: nothing registered
            db.session.rollback()
            form.request_key.data = new_key()
            form.form_errors.append(refused.translated(_))
            return None
        except IntegrityError:
            # Another tablet took the same tag at the same moment: look again
            # (the next free numbers; a twin of this request is replayed by its key).
            db.session.rollback()
            garment_type = db.session.get(GarmentType, form.type_id.data)
            continue
        if result.repeated:
            flash(_("This was already registered; nothing new was added."), "warning")
        elif len(result.garments) == 1:
            flash(_("Garment %(tag)s registered.", tag=result.garments[0].tag), "success")
        else:
            flash(ngettext("%(num)d garment registered.", "%(num)d garments registered.",
                           len(result.garments)), "success")
        return htmx_redirect(url_for(".garments_registered", key=result.key))
    form.form_errors.append(_("Another tablet was registering garments at the same moment. "
                              "Nothing was saved; please try again."))
    return None


@bp.route("/garments/new", methods=["GET", "POST"])
@roles(*MANAGERS)
def garment_new():
    """Register one garment, with its tag or an automatic one."""
    types = services.list_types(db.session, active_only=True)
    form = forms.RegisterGarmentForm(types=types)
    if form.validate_on_submit():
        done = _register(form, count=1, tag=form.tag.data or "")
        if done is not None:
            return done
    return render_page_or_fragment("registry/garment_form.html", "registry/partials/_garment_form.html",
                                   form=form, batch=False, types=types)


@bp.route("/garments/batch", methods=["GET", "POST"])
@roles(*MANAGERS)
def garment_batch():
    """Register N garments at once for one person or for the spare pool."""
    types = services.list_types(db.session, active_only=True)
    form = forms.RegisterBatchForm(types=types)
    if form.validate_on_submit():
        done = _register(form, count=form.count.data, tag="")
        if done is not None:
            return done
    return render_page_or_fragment("registry/garment_form.html", "registry/partials/_garment_form.html",
                                   form=form, batch=True, types=types)


@bp.get("/garments/registered/<key>")
@roles(*COUNTER)
def garments_registered(key: str):
    """The garments one registration produced: their new tags, to label them."""
    registered = services.registered_with(db.session, key, operator=current_user())
    if not registered:
        abort(404)
    return render_template("registry/garments_registered.html", garments=registered, key=key)
