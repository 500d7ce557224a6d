"""Import screen: pick what the file holds, upload the CSV or Excel workbook, read the outcome."""
from __future__ import annotations

import io
from typing import NamedTuple

from flask import abort, send_file
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from ..domain.errors import DomainError
from ..domain.roles import MANAGERS
from ..extensions import db
from ..i18n import translate_error
from ..operators.services import Actor
from ..web import current_user, is_htmx, render_page_or_fragment, roles
from . import bp, services
from .forms import ImportForm


class _Shown(NamedTuple):
    row: int
    column: str
    reason: str


def _page(form: ImportForm, result: services.ImportResult | None = None, error: str | None = None):
    problems = [_Shown(p.row, p.column, p.translated(_)) for p in result.problems] if result else []
    kit_changes = [(change, services.kit_change_text(change, _)) for change in result.kit_changes] if result else []
    return render_page_or_fragment(
        "imports/upload.html", "imports/_panel.html",
        form=form, result=result, problems=problems, error=error, kit_changes=kit_changes,
        columns=services.COLUMNS, kind_labels=services.KIND_LABELS,
    )


@bp.route("/", methods=["GET", "POST"])
@roles(*MANAGERS)
def upload():
    """Upload a CSV saved from Excel, or an .xlsx workbook; show the summary, or every bad row.

    The file is checked completely before anything is written, so an upload
    either imports everything or nothing; the page says which. Repeating
    the same upload (a double tap, a refresh) changes nothing the second time.
    Problems re-render the form with status 200 so htmx swaps it in.
    """
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(form)
    data = form.file.data.read()
    try:
        result = services.import_csv(db.session, form.kind.data, data, user=current_user(),
                                     station=services.STATION, actor=Actor(user=current_user()))
    except DomainError as error:
        db.session.rollback()
        return _page(form, error=translate_error(error))
    if result.ok:
        db.session.commit()
    else:
        db.session.rollback()
    return _page(form, result=result)


@bp.get("/template/<kind>.csv")
@roles(*MANAGERS)
def template(kind: str):
    """An empty sheet with the Chinese headers (UTF-8 with BOM, so Excel shows them)."""
    if kind not in services.KINDS:
        abort(404)
    return send_file(io.BytesIO(services.template_csv(kind)), mimetype="text/csv",
                     as_attachment=True, download_name=f"import-{kind}.csv", max_age=0)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error):
    """A file over MAX_CONTENT_LENGTH: say so on the import screen, not a bare 413."""
    form = ImportForm(formdata=None)
    page = _page(form, error=_("The file is too large. Split it into smaller files and import them one by one."))
    # htmx does not swap a 4xx response; the plain form gets the honest status.
    return page, 200 if is_htmx() else 413
