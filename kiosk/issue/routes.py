"""Issue and exchange (发衣 / 换衣), spares (备用制服) and the new-hire kit (新员工领用).

Two pages share one set of rules (:mod:`.services`): the counter's exchange,
where one scan field takes a dirty garment in and hands a clean one out, and
the new-hire kit, a checklist of the entitlement set. Each page identifies the
person first; the employee panel (#employee-panel) is refreshed out of band
after every scan so holdings update live.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, request, url_for
from flask_babel import gettext as _

from .. import people
from ..kits import services as kits
from ..domain.errors import N_, DomainError
from ..domain.garment_states import Action
from ..i18n import current_language
from ..stock import services as stock_services
from ..domain.roles import COUNTER
from ..extensions import db
from ..registry.forms import KIND_LABELS
from ..scanning import undo_last
from ..stations.web import duplicate_seconds, render_result, scan_meta, scan_log
from ..web import current_user, htmx_answer, is_htmx, render_page_or_fragment, roles, typed_form
from . import bp, services


@dataclass(frozen=True)
class Mode:
    """What differs between the exchange and the kit: names, not rules."""

    station: str
    page: str
    endpoint: str
    kit: bool


EXCHANGE = Mode(services.STATION, "issue/station.html", "issue.station", kit=False)
KIT = Mode(services.KIT_STATION, "issue/kit.html", "issue.kit", kit=True)

_HEADLINES = {
    Action.CHECK_IN: lambda: _("Returned"),
    Action.ISSUE: lambda: _("Issued"),
    Action.ISSUE_SPARE: lambda: _("Spare issued"),
}


@bp.context_processor
def _issue_helpers() -> dict:
    return {
        "kind_label": lambda kind: KIND_LABELS.get(kind, kind),
        "where_label": lambda status: services.WHERE.get(status, status),
        "where_text": lambda counts: services.where_text(counts, _),
    }


def _panel_html(mode: Mode, found: people.Identified | None, *, oob: bool = False,
                person_kit: kits.Kit | None = None) -> str:
    """The person's panel; ``person_kit``: their kit, when the request has read it already (a give did)."""
    panel = (services.employee_panel(db.session, found.employee, whole_set=mode.kit, kit=person_kit)
             if found and found.employee else None)
    return render_template("issue/_employee_panel.html", mode=mode, found=found, panel=panel, oob=oob,
                           error=found.error.translated(_) if found and found.error else "")


def _page(mode: Mode, found: people.Identified | None = None, result_html: str | None = None):
    return render_template(mode.page, station=mode.station, mode=mode, result_html=result_html,
                           panel_html=_panel_html(mode, found), found=found,
                           log=scan_log(db.session, mode.station, current_user()))


def _employee_from_form() -> people.Identified:
    """A tapped candidate posts its id; a scan or typed text posts ``who``. Both are for giving."""
    if request.form.get("employee_id"):
        return people.identify_id(db.session, request.form["employee_id"], giving=True)
    return people.identify(db.session, request.form.get("who", ""), giving=True)


def _identify(mode: Mode):
    found = _employee_from_form()
    if not is_htmx():
        return _page(mode, found)
    # A reload keeps the person on screen.
    return htmx_answer(_panel_html(mode, found),
                       replace_url=url_for(mode.endpoint, employee=found.employee.id) if found.employee else None)


def _scan(mode: Mode):
    # The person as the page sent them; the service applies the leaver policy to the scan.
    employee = people.find_by_id(db.session, request.form.get("employee_id"))
    outcome = services.scan_for_employee(
        db.session, employee, request.form.get("code", ""),
        user=current_user(), station=mode.station, reason=typed_form("reason", N_("Note for a spare (optional)")), kit=mode.kit,
        duplicate_seconds=duplicate_seconds(), gettext=_, meta=scan_meta())
    db.session.commit()
    # A badge scanned into the garment field: the next person at the counter.
    found = outcome.switched_to or people.identified(employee, giving=True)
    result = outcome.result
    headline = ""
    if result.ok and outcome.switched_to is not None:
        headline = _("Next: %(name)s", name=found.employee.name)
    elif result.ok and outcome.action in _HEADLINES:
        headline = _HEADLINES[outcome.action]()
    html = render_result(result, station=mode.station, headline=headline, template="issue/_result.html",
                         spare_reason=outcome.spare_reason.translated(_) if outcome.spare_reason else "")
    if not is_htmx():
        return _page(mode, found if found.employee or outcome.switched_to else None, html)
    switched = outcome.switched_to is not None and found.employee is not None
    return htmx_answer(html + _panel_html(mode, found, oob=True, person_kit=outcome.person_kit),
                       replace_url=url_for(mode.endpoint, employee=found.employee.id) if switched else None)


def _undo(mode: Mode):
    result = undo_last(db.session, station=mode.station, user=current_user())
    db.session.commit()
    html = render_result(result, station=mode.station, log_row=False, headline=_("Undone"))
    found = people.identify_id(db.session, request.form.get("employee_id"), giving=True)
    return render_page_or_fragment(lambda answer: _page(mode, found if found.employee else None, answer),
                                   html=html, oob=lambda: _panel_html(mode, found, oob=True) if found.employee else "")


def _from_query() -> people.Identified | None:
    employee_id = request.args.get("employee")
    return people.identify_id(db.session, employee_id, giving=True) if employee_id else None


# --- the exchange (发衣 / 换衣) ------------------------------------------------

@bp.get("/")
@roles(*COUNTER)
def station():
    """The counter: identify the person, then one scan field takes dirty in and hands clean out."""
    return _page(EXCHANGE, _from_query())


@bp.post("/employee")
@roles(*COUNTER)
def employee():
    """Who is at the counter: badge scan, 工号, uniform no. or name (several → tap one)."""
    return _identify(EXCHANGE)


@bp.post("/scan")
@roles(*COUNTER)
def scan():
    """One scan for the person on screen: theirs handed in, their own or a spare handed out."""
    return _scan(EXCHANGE)


@bp.post("/undo")
@roles(*COUNTER)
def undo():
    """Undo this clerk's last scan at the counter with a compensating event."""
    return _undo(EXCHANGE)


# --- the new-hire kit (新员工领用) ---------------------------------------------

@bp.get("/kit")
@roles(*COUNTER)
def kit():
    """The new-hire kit: the entitlement set as a checklist, filled by scanning."""
    return _page(KIT, _from_query())


@bp.post("/kit/employee")
@roles(*COUNTER)
def kit_employee():
    """Who gets the kit: the same identification as at the counter."""
    return _identify(KIT)


@bp.post("/kit/scan")
@roles(*COUNTER)
def kit_scan():
    """One garment of the kit: their own registered piece, or a spare while theirs is not made."""
    return _scan(KIT)


@bp.post("/kit/stock")
@roles(*COUNTER)
def kit_stock():
    """Hand out what the kit still owes of one stock item (shoes, socks, 头花) in the person's size."""
    found = people.identify_id(db.session, request.form.get("employee_id"), giving=True)
    message, ok = "", False
    if found.employee is None:
        message = found.error.translated(_) if found.error else _("Identify the employee first.")
    else:
        try:
            moved = services.give_kit_stock(db.session, found.employee, request.form.get("code", ""),
                                            user=current_user(), request_key=request.form.get("request_key") or None,
                                            language=current_language(), note=_("New-hire kit"))
            db.session.commit()
            ok = True
            message = _("Issued: %(item)s × %(count)s.", item=stock_services.item_name(moved.item, current_language()),
                        count=-moved.delta)
        except DomainError as refused:
            db.session.rollback()
            message = refused.translated(_)
    html = render_template("issue/_kit_stock_result.html", ok=ok, message=message)
    if not is_htmx():
        return _page(KIT, found if found.employee else None, html)
    return htmx_answer(html + (_panel_html(KIT, found, oob=True) if found.employee else ""))


@bp.post("/kit/undo")
@roles(*COUNTER)
def kit_undo():
    """Undo this clerk's last kit scan with a compensating event."""
    return _undo(KIT)
