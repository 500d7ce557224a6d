"""The checklist screens (开班 / 收班检查): a check ticked, the sign-out's closing check, the items kept.

One component per list (``checklists/_check.html``): the ironing station shows
its opening check above the scan field, 今日 and the handover link to the
counter's, the sign-out from the ironing station shows its closing check
first. Every POST seeds the default items first when the table has none.
"""
from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..domain.errors import DomainError
from ..domain.roles import EVERYONE, MANAGERS
from ..extensions import db
from ..i18n import translate_error
from ..models import OperatorSession
from ..request_keys import new_key
from ..web import (
    current_sign_in,
    current_user,
    htmx_redirect,
    is_htmx,
    refuse,
    render_page_or_fragment,
    roles,
    safe_path,
    sign_out,
)
from . import bp, forms, services
from .models import ChecklistItem


@bp.app_template_global()
def checklist_title(code: str) -> str:
    """A list's title msgid (screens translate it)."""
    spec = services.CHECKLISTS.get(code)
    return spec.title if spec else code


@bp.app_template_filter()
def from_iso(value: str | None) -> dt.datetime | None:
    """A time a snapshot keeps as ISO text, for ``when`` (a handover's checks)."""
    try:
        return dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.app_template_global()
def missing_note(note: str) -> str:
    """Why a check is missing, as a msgid."""
    return services.MISSING_NOTES.get(note, services.MISSING_NOTES["ended"])


def _next(default: str | None = None) -> str:
    return safe_path(request.values.get("next"), default or url_for("main.home"))


def _spec_or_refusal(code: str):
    """The list, or the refusal a user sees (no such list: 404; not their role's: 403)."""
    if code not in services.CHECKLISTS:
        return None, refuse(_("There is no such checklist."), status=404, title=_("Not found"))
    if not services.may_do(current_user(), code):
        return None, refuse(_("Your role does not do this check."), status=403, title=_("Not allowed"))
    return services.CHECKLISTS[code], None


def check_context(code: str, *, form: forms.CheckForm | None = None, error: str | None = None,
                  then: str = "", next_url: str = "") -> dict:
    """What ``checklists/_check.html`` needs (the ironing station embeds it too)."""
    spec = services.CHECKLISTS[code]
    return {"sheet": services.sheet(db.session, code, current_sign_in()),
            "form": form or forms.CheckForm(formdata=None, request_key=new_key()),
            "error": error, "then": then, "next": next_url, "items_read": services.items_read,
            # the ironing station takes no scan before its opening check
            "gate": spec.station == services.IRONING_STATION and spec.phase == services.OPEN}


@bp.get("/<code>/")
@roles(*EVERYONE)
def check(code: str):
    """One list to tick (the counter's checks from 今日 and the handover)."""
    _spec, refused = _spec_or_refusal(code)
    if refused:
        return refused
    return render_page_or_fragment("checklists/check.html", "checklists/_check.html",
                                   **check_context(code, next_url=_next()))


@bp.post("/<code>/")
@roles(*EVERYONE)
def tick(code: str):
    """The list ticked: recorded with the operator and time; refused (nothing written) with the reason.

    ``then=sign_out``: the closing check at the sign-out, which signs out once it is recorded.
    """
    _spec, refused = _spec_or_refusal(code)
    if refused:
        return refused
    services.seed_defaults(db.session)
    form = forms.CheckForm()
    then, next_url = request.form.get("then", ""), _next()
    error = None
    if not form.validate():
        error = next((e for errors in form.errors.values() for e in errors), _("Please try again."))
    else:
        try:
            services.record_done(db.session, code, user=current_user(), sign_in=current_sign_in(),
                                 ticked=form.item.data or (), note=form.note.data or "",
                                 request_key=form.request_key.data)
        except DomainError as refusal:  # the command's writes are undone already (kiosk.request_keys)
            error = translate_error(refusal)
    if error is not None:
        db.session.commit()  # the seeded items, if any
        form.request_key.data = new_key()
        return render_page_or_fragment("checklists/check.html", "checklists/_check.html",
                                       **check_context(code, form=form, error=error, then=then,
                                                       next_url=next_url))
    db.session.commit()
    if then == "sign_out":
        sign_out()
        flash(_("Closing check recorded. You are signed out."), "success")
        return htmx_redirect(url_for("auth.login"))
    if is_htmx():
        return render_template("checklists/_check.html", **check_context(code, then=then, next_url=next_url))
    flash(_("%(check)s recorded.", check=_(services.CHECKLISTS[code].title)), "success")
    return redirect(next_url if request.values.get("next") else url_for(".check", code=code))


@bp.get("/sign-out")
@roles(*EVERYONE)
def sign_out_check():
    """Before signing out of the ironing station: its closing check, or sign out without it."""
    owed = services.offered_at_sign_out(db.session, current_sign_in(), current_user())
    checks = [check_context(code, then="sign_out") for code in owed]
    row = db.session.get(OperatorSession, current_sign_in()) if current_sign_in() else None
    return render_template("checklists/sign_out.html", checks=checks, sign_in=row,
                           back=_next(url_for("ironing.station")))


# --- a supervisor keeps the items -----------------------------------------------------

def _editor(*, forms_by_list: dict | None = None, edit_forms: dict | None = None, status: int = 200):
    lists = {code: services.items(db.session, code, active_only=False) for code in services.CHECKLISTS}
    forms_by_list = forms_by_list or {}
    edit_forms = edit_forms or {}
    return render_template(
        "checklists/items.html", lists=lists, specs=services.CHECKLISTS, rules=services.RULES,
        add_form=lambda code: forms_by_list.get(code) or forms.ItemForm(formdata=None, request_key=new_key()),
        edit_form=lambda item: edit_forms.get(item.id) or forms.ItemForm(
            formdata=None, text=item.text, text_en=item.text_en),
        new_key=new_key), status


def _first_error(form) -> str:
    return next((e for errors in form.errors.values() for e in errors), _("Please try again."))


def _saved(message: str, anchor: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".items") + f"#{anchor}")


def _refused(error: DomainError, anchor: str):
    db.session.rollback()
    flash(translate_error(error), "error")
    return redirect(url_for(".items") + f"#{anchor}")


@bp.get("/items")
@roles(*MANAGERS)
def items():
    """Every list's items: add, new words, order, switch off or on (supervisors and admins)."""
    return _editor()


@bp.post("/items/<code>")
@roles(*MANAGERS)
def add_item(code: str):
    """A new item at the end of the list."""
    if code not in services.CHECKLISTS:
        return refuse(_("There is no such checklist."), status=404, title=_("Not found"))
    services.seed_defaults(db.session)
    form = forms.ItemForm()
    if not form.validate():
        db.session.commit()
        return _editor(forms_by_list={code: form})
    try:
        services.add_item(db.session, code, text=form.text.data, text_en=form.text_en.data or "",
                          by=current_user(), request_key=form.request_key.data)
    except DomainError as error:
        return _refused(error, f"list-{code}")
    return _saved(_("Item added."), f"list-{code}")


def _item_or_404(item_id: int) -> ChecklistItem | None:
    return db.session.get(ChecklistItem, item_id)


@bp.post("/items/<int:item_id>/edit")
@roles(*MANAGERS)
def edit_item(item_id: int):
    """New words for an item (its rule, if it has one, stays)."""
    item = _item_or_404(item_id)
    if item is None:
        return refuse(_("This checklist item does not exist."), status=404, title=_("Not found"))
    form = forms.ItemForm()
    if not form.validate():
        return _editor(edit_forms={item.id: form})
    try:
        services.edit_item(db.session, item.id, text=form.text.data, text_en=form.text_en.data or "",
                           by=current_user())
    except DomainError as error:
        return _refused(error, f"item-{item_id}")
    return _saved(_("Item saved."), f"item-{item_id}")


@bp.post("/items/<int:item_id>/move")
@roles(*MANAGERS)
def move_item(item_id: int):
    """One place up or down."""
    step = -1 if request.form.get("step") == "up" else 1
    try:
        services.move_item(db.session, item_id, step, by=current_user(),
                           request_key=request.form.get("request_key"))
    except DomainError as error:
        return _refused(error, f"item-{item_id}")
    return _saved(_("Order saved."), f"item-{item_id}")


@bp.post("/items/<int:item_id>/active")
@roles(*MANAGERS)
def set_active(item_id: int):
    """Switch an item off (it leaves the list) or on again."""
    active = request.form.get("active") == "1"
    try:
        services.set_active(db.session, item_id, active, by=current_user())
    except DomainError as error:
        return _refused(error, f"item-{item_id}")
    return _saved(_("Item switched on.") if active else _("Item switched off."), f"item-{item_id}")
