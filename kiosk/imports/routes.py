"""Import screen: pick what the file holds, upload the CSV or Excel workbook, read the outcome."""
from __future__ import annotations

import io
from typing import NamedTuple

from flask import abort, request, send_file
from flask_babel import gettext as _
from flask_babel import ngettext
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
    more = services.more_problems_text(result, ngettext) if result and result.more_problems else ""
    return render_page_or_fragment(
        "imports/upload.html", "imports/_panel.html",
        form=form, result=result, problems=problems, more_problems=more, error=error, kit_changes=kit_changes,
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
    try:
        services.check_size(_size(form.file.data))  # refused before it is read
        data = form.file.data.read()
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


def _size(upload) -> int:
    """The uploaded file's size (Werkzeug keeps a large upload on disk): without reading it."""
    stream = upload.stream
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


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
    """A request over MAX_CONTENT_LENGTH (raised when the form is first read, the CSRF check's
    too): its size and the limit on the import screen, not a bare 413."""
    form = ImportForm(formdata=None)
    page = _page(form, error=translate_error(services.too_large(request.content_length or 0)))
    # htmx does not swap a 4xx response; the plain form gets the honest status.
    return page, 200 if is_htmx() else 413
