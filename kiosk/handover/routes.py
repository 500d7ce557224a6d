"""Shift handover (交接班): the outgoing clerk writes, the next clerk acknowledges."""
from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from ..auth import guard
from ..auth.services import Policy
from ..checklists import services as checklists
from ..domain import typed
from ..domain.errors import N_, DomainError
from ..domain.roles import COUNTER
from ..extensions import db
from ..i18n import hotel_zone, now, translate_error
from ..models import User
from ..properties import services as properties
from ..printing.services import KIND_LABELS
from ..request_keys import new_key
from ..web import (
    client_address,
    current_sign_in,
    current_user,
    hotel_setting,
    htmx_redirect,
    is_htmx,
    render_page_or_fragment,
    roles,
    sign_in,
    sign_out,
    typed_form,
)
from . import bp, services


def _tailor_days() -> int:
    return int(hotel_setting("KIOSK_TAILOR_DAYS"))


def _render(*, note: str = "", write_error: str | None = None, ack_error: str | None = None,
            selected: int | None = None, notice: str | None = None, request_key: str | None = None):
    """The handover page, or (htmx) its component: the same template either way."""
    open_handover = services.latest_open(db.session)
    return render_page_or_fragment(
        "handover/index.html", "handover/_handover.html",
        open_handover=open_handover,
        successors=services.successors(db.session, open_handover),
        history=services.history(db.session),
        preview=services.collect_summary(db.session, now=now(), tailor_days=_tailor_days(), zone=hotel_zone()),
        my_checks={code: checklists.run_in(db.session, current_sign_in(), code)
                   for code in (checklists.COUNTER_OPEN, checklists.COUNTER_CLOSE)},
        closing_owed=checklists.owes(db.session, current_sign_in(), current_user(), checklists.COUNTER_CLOSE),
        sections=services.SECTIONS, print_kinds=KIND_LABELS,
        note=note, note_max=services.NOTE_MAX,
        write_error=write_error, ack_error=ack_error, selected=selected, notice=notice,
        request_key=request_key or new_key(),
    )


def _done(notice: str):
    """After a change: htmx gets the fresh component, a plain form post a redirect (PRG)."""
    if is_htmx():
        return _render(notice=notice)
    return redirect(url_for("handover.index"))


@bp.get("/")
@roles(*COUNTER)
def index():
    """The latest handover waiting for the next clerk, the form to write one, the history."""
    return _render()


@bp.post("/")
@roles(*COUNTER)
def write():
    """The outgoing clerk hands over: their note, and a snapshot of the open items."""
    note = request.form.get("note", "")
    try:
        services.write(db.session, writer=current_user(),
                       note=typed_form("note", N_("Note for the next clerk"), multiline=True),
                       tailor_days=_tailor_days(), request_key=request.form.get("request_key"), now=now(),
                       sign_in=current_sign_in(), zone=hotel_zone())
    except DomainError as error:
        db.session.rollback()  # nothing was written: the form comes back with a fresh key
        return _render(note=note, write_error=translate_error(error))
    db.session.commit()
    return _done(_("Handover written. The next clerk acknowledges it with their own PIN."))


@bp.post("/<int:handover_id>/acknowledge")
@roles(*COUNTER)
def acknowledge(handover_id: int):
    """The next clerk taps their name and types their own PIN."""
    user_id = request.form.get("user_id", type=typed.record_id)
    busy = guard.hold_back()  # a guess across clerks waits here as at sign-in
    if busy:
        return _render(ack_error=guard.busy_message(busy), selected=user_id)
    user = properties.operator(db.session, user_id)
    try:
        services.acknowledge(db.session, handover_id, user=user, pin=request.form.get("pin", ""),
                             policy=Policy.from_config(current_app.config), client=client_address())
    except DomainError as error:
        guard.failed(error)
        db.session.commit()  # a wrong PIN is counted towards the lock even though it is refused
        return _render(ack_error=translate_error(error), selected=user.id if user else None)
    db.session.commit()
    if user.id != current_user().id:
        # The incoming clerk takes the tablet over: the outgoing one's sign-in
        # ends here (their closing check is recorded as it would be at sign-out).
        sign_out("handover")
        sign_in(user, method="handover")
        flash(_("Handover acknowledged. %(name)s is now signed in on this tablet.", name=user.name), "success")
        return htmx_redirect(url_for("handover.index"))
    return _done(_("Handover acknowledged."))
