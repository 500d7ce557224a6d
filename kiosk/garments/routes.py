"""One garment's page (its whole timeline) and the lookup mode of every station.

Both only read: looking a garment up never writes an event.
"""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..domain.roles import EVERYONE
from ..extensions import db
from ..i18n import translate_error
from ..scanning import not_ours
from ..transfers import services as transfers
from ..web import is_htmx, render_page_or_fragment, roles
from . import bp, services


def _hotel_name(property_id: int) -> str:
    from ..models import Property
    from ..properties.services import label

    record = db.session.get(Property, property_id)
    return label(record) if record is not None else ""


@bp.context_processor
def _timeline_helpers() -> dict:
    return {
        "event_label": services.event_label,
        "station_label": services.station_label,
        "defect_labels": services.defect_labels,
    }


@bp.get("/lookup")
@roles(*EVERYONE)
def lookup():
    """Find a garment by its tag (a station's lookup mode, or the lookup page).

    htmx gets the answer fragment (root ``#scan-result``, like any scan);
    a plain request with a known code goes to the garment's page, and
    without a code gets a page with a scan field.
    """
    raw = request.args.get("code", "")[:200]
    if not raw.strip():
        if is_htmx():
            return render_template("garments/_lookup_result.html", found=None, message=_("Scan a tag."))
        return render_template("garments/lookup.html", found=None, message="", code="")
    code, garment = services.find(db.session, raw)
    if garment is None:
        message = translate_error(not_ours(code, raw))
        return render_page_or_fragment("garments/lookup.html", "garments/_lookup_result.html", found=None,
                                       message=message, code=code)
    if not is_htmx():
        return redirect(url_for(".page", tag=garment.tag))
    found = services.timeline(db.session, garment, limit=services.LOOKUP_EVENTS)
    return render_template("garments/_lookup_result.html", found=found,
                           warnings=[translate_error(w) for w in found.warnings])


@bp.get("/<tag>")
@roles(*EVERYONE)
def page(tag: str):
    """The garment's header facts and every event of its life, newest first.

    A tag typed in lower case or full width resolves to the canonical tag
    (the address is corrected); a tag that is not ours is a clear 404.
    """
    code, garment = services.find(db.session, tag)
    if garment is None:
        away = transfers.sent_away(db.session, code)
        if away is not None:  # ours once: sent to another hotel of the group (调拨), received there
            message = _("%(tag)s was transferred to %(hotel)s (transfer slip %(slip)s): it is that hotel's now.",
                        tag=away.tag, hotel=_hotel_name(away.to_property_id), slip=away.slip_no)
            return render_template("errors/message.html", title=_("Transferred to another hotel"),
                                   message=message), 404
        message = translate_error(not_ours(code, tag))
        return render_template("errors/message.html", title=_("Not one of our uniforms"),
                               message=message), 404
    if garment.tag != tag:
        return redirect(url_for(".page", tag=garment.tag), 301)
    # The latest events; the whole history when asked for (?all=1): the page costs the same
    # however long the garment has lived.
    whole = request.args.get("all") == "1"
    found = services.timeline(db.session, garment, limit=None if whole else services.PAGE_EVENTS)
    return render_page_or_fragment("garments/page.html", "garments/_timeline.html", found=found,
                                   warnings=[translate_error(w) for w in found.warnings])
