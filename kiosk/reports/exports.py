"""The loss report as tables: CSV (UTF-8 with BOM), XLSX (one sheet per table), JSON.

``gettext`` is passed in, so the headers are in the reader's language (the
web request's, or the kiosk's default language on the command line).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from ..domain import cells
from ..domain.calendar import local_time
from ..domain.errors import N_
from ..domain.names import local_name
from ..writeoffs.services import REASON_LABELS
from .services import LossReport, to_json

FORMATS = ("csv", "json", "xlsx")


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list]


def _no_context(gettext: Callable[..., str]) -> Callable[..., str]:
    return lambda context, message, **params: gettext(message, **params)


def tables(report: LossReport, gettext: Callable[[str], str], language: str = "zh_CN",
           no_department: str = "", pgettext: Callable[..., str] | None = None) -> list[Table]:
    """The report's tables; ``pgettext`` translates a word with two meanings (the purchased count)."""
    _ = gettext
    p_ = pgettext or _no_context(gettext)
    summary = [
        [_("Opening stock"), report.opening.count, report.opening.value],
        [p_("loss report", "Purchased"), report.purchased.count, report.purchased.value],
        [_("Written off"), report.written_off.count, report.written_off.value],
        [_("Normal wear"), report.normal_wear.count, report.normal_wear.value],
        [_("Charged to a person"), report.charged_to_person.count, report.charged_to_person.value],
        [_("Other write-offs"), report.other_write_offs.count, report.other_write_offs.value],
        [_("Missing at stocktake"), report.missing.count, report.missing.value],
        [_("Transferred in"), report.transferred_in.count, report.transferred_in.value],
        [_("Transferred out"), report.transferred_out.count, report.transferred_out.value],
        [_("Closing stock"), report.closing.count, report.closing.value],
        [_("Unexplained loss"), report.unexplained.count, report.unexplained.value],
        [_("Loss rate"), "" if report.loss_rate is None else cells.Percent(report.loss_rate), ""],
        [_("Compensation charged"), report.compensation.count, report.compensation.charged],
        [_("Compensation collected"), "", report.compensation.collected],
        [_("Compensation waived"), "", report.compensation.waived],
        [_("Overdue loans"), len(report.overdue_loans), ""],
    ]
    return [
        Table("summary", _("Summary"), [_("Month") + " " + report.month, _("Count"), _("Value")], summary),
        Table("by_type", _("By garment type"),
              [_("Garment type"), _("Opening stock"), _("Opening value"), p_("loss report", "Purchased"), _("Written off"),
               _("Written-off value"), _("Missing"), _("Transferred in"), _("Transferred out"), _("Closing stock"),
               _("Closing value"), _("Unexplained loss")],
              [[local_name(t, language), t.opening.count, t.opening.value, t.purchased.count, t.written_off.count,
                t.written_off.value, t.missing.count, t.transferred_in.count, t.transferred_out.count,
                t.closing.count, t.closing.value, t.unexplained.count]
               for t in report.by_type]),
        Table("by_department", _("By department"),
              [_("Department"), _("Written off"), _("Written-off value"), _("Normal wear"),
               _("Charged to a person"), _("Missing"), _("Compensation charged")],
              [[d.name or no_department, d.written_off.count, d.written_off.value, d.normal_wear.count,
                d.charged_to_person.count, d.missing.count, d.compensation_charged] for d in report.by_department]),
        Table("reasons", _("Reasons"), [_("Reason"), _("Count"), _("Value")],
              [[_(REASON_LABELS.get(r.reason, N_("Other"))), r.count, r.value] for r in report.reasons]),
        Table("overdue_loans", _("Overdue loans"), [_("Loan"), _("Borrower"), _("Department"), _("Due"),
                                                    _("Days late"), _("Hours late"), _("Tags")],
              [[o.loan_id, o.borrower, o.department or no_department,
                local_time(o.due_at, report.zone).replace(tzinfo=None), o.days_late,
                int(o.late.total_seconds() // 3600), " ".join(o.tags)] for o in report.overdue_loans]),
        Table("lifecycle", _("Lifecycle"), [_("Garment type"), _("Written off"), _("Average washes"),
                                            _("Average age (months)"), _("Cost per wear")],
              [[local_name(r, language), r.written_off, r.avg_washes or "", r.avg_age_months or "",
                r.cost_per_wear or ""] for r in report.lifecycle]),
        Table("forecast", _("Purchase forecast"), [_("Garment type"), _("Size"), _("Entitlement"),
                                                   _("In circulation"), _("Expected losses"), _("To buy")],
              [[local_name(f, language), f.size, f.entitled, f.in_circulation, f.expected_losses, f.to_buy]
               for f in report.forecast]),
    ]


def to_csv(report: LossReport, gettext, language: str = "zh_CN", no_department: str = "", pgettext=None) -> str:
    """Each table in turn, its title on a line of its own, a blank line between tables."""
    rows: list[list] = []
    for i, table in enumerate(tables(report, gettext, language, no_department, pgettext)):
        if i:
            rows.append([])
        rows += [[table.title], table.headers, *table.rows]
    return cells.csv_text(rows)


def to_xlsx(report: LossReport, gettext, language: str = "zh_CN", no_department: str = "", pgettext=None) -> bytes:
    """One sheet per table; money as numbers with two decimals."""
    return cells.xlsx_bytes(cells.Sheet(table.title, table.headers, table.rows)
                            for table in tables(report, gettext, language, no_department, pgettext))


def to_json_text(report: LossReport) -> str:
    return json.dumps(to_json(report), ensure_ascii=False, indent=1)


def render(report: LossReport, fmt: str, gettext, language: str = "zh_CN", no_department: str = "",
           pgettext=None) -> bytes:
    if fmt == "csv":
        return to_csv(report, gettext, language, no_department, pgettext).encode("utf-8")
    if fmt == "xlsx":
        return to_xlsx(report, gettext, language, no_department, pgettext)
    if fmt == "json":
        return to_json_text(report).encode("utf-8")
    raise ValueError(fmt)


MIMETYPES = {"csv": "text/csv", "json": "application/json",
             "xlsx": cells.XLSX_MIMETYPE}
