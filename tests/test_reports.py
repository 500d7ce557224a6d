"""The monthly loss report (月度报损报表): a month built by hand, its numbers
computed by hand and again from the events table with plain SQL."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import bindparam, select, text

from kiosk.auth.services import Policy
from kiosk.domain.garment_states import Action
from kiosk.extensions import db
from kiosk.ledger import move, undo
from kiosk.loans.models import Loan, LoanItem
from kiosk.models import UTCDateTime
from kiosk.reports import services
from kiosk.writeoffs import services as writeoffs
from tests.conftest import FAST_HASH

SH = ZoneInfo("Asia/Shanghai")
MONTH = "2026-03"


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    """A time in the hotel's zone, as UTC (what the ledger stores)."""
    return dt.datetime(2026, month, day, hour, tzinfo=SH).astimezone(dt.timezone.utc)


def _write_off(garment, *, reason, responsible, boss, when, staff_no=""):
    wo = writeoffs.open_write_off(db.session, garment, reason=reason, responsible=responsible, user=boss,
                                  rules=writeoffs.Rules(), staff_no=staff_no, now=when, today=when.date())
    writeoffs.approve(db.session, wo, approver=boss, pin="2580", policy=Policy(hash_method=FAST_HASH), now=when)
    return wo


@pytest.fixture
def month(make, monkeypatch):
    """March 2026, by hand.

    Before March: shirts s1, s2 (owner A, front office), s3, s4 (owner B, rooms),
    trousers t1 (owner A) and t2 (spare); an old shirt written off in February.
    In March: a shirt bought (110.00); s1 written off worn out (A, front office);
    s3 written off lost, charged to B (rooms) and paid; t2 marked missing; s4 marked
    missing and undone the same minute (must not count); t1 lent and overdue.
    After March: s2 written off in April (must not change March).
    """
    front, rooms = make.department("前厅"), make.department("客房")
    a = make.employee("张三", department=front, size="M")
    b = make.employee("李四", department=rooms, size="M")
    shirt = make.garment_type("SH", name_zh="衬衫", name_en="Shirt", unit_cost=Decimal("100.00"), entitlement=2)
    trousers = make.garment_type("TR", name_zh="裤子", name_en="Trousers", unit_cost=Decimal("150.00"),
                                 entitlement=2)
    boss = make.user("主管", role="supervisor")
    clerk = make.user("文员", role="clerk")
    before = at(2, 10)
    s1 = make.garment("S1", shirt, owner=a, size="M", at=before)
    s2 = make.garment("S2", shirt, owner=a, size="M", at=before)
    s3 = make.garment("S3", shirt, owner=b, size="M", at=before)
    s4 = make.garment("S4", shirt, owner=b, size="M", at=before)
    t1 = make.garment("T1", trousers, owner=a, size="L", at=before)
    t2 = make.garment("T2", trousers, size="L", at=before)
    old = make.garment("OLD", shirt, size="M", at=at(1, 5))
    _write_off(old, reason="damaged", responsible="hotel", boss=boss, when=at(2, 20))
    move(db.session, s1, Action.ISSUE, user=clerk, station="issue", at=at(2, 15))

    # March
    bought = make.garment("P1", shirt, size="M", cost=Decimal("110.00"), at=at(3, 5))
    s1.wash_count, s3.wash_count = 20, 10
    _write_off(s1, reason="worn_out", responsible="hotel", boss=boss, when=at(3, 10))
    lost = _write_off(s3, reason="lost", responsible="employee", staff_no=b.staff_no, boss=boss, when=at(3, 12))
    writeoffs.settle(db.session, lost.compensation, "paid", user=boss, now=at(3, 13))
    move(db.session, t2, Action.MARK_MISSING, user=clerk, station="stocktake", at=at(3, 15))
    marked = move(db.session, s4, Action.MARK_MISSING, user=clerk, station="stocktake", at=at(3, 16))
    db.session.flush()
    monkeypatch.setattr("kiosk.ledger.utcnow", lambda: at(3, 16, 11))
    undo(db.session, marked, user=clerk, station="stocktake")
    monkeypatch.undo()
    lent = move(db.session, t1, Action.LOAN, user=clerk, station="loans", at=at(3, 18))
    loan = Loan(borrower_name="王五", reason="event", due_at=at(3, 20), created_at=at(3, 18))
    db.session.add(loan)
    db.session.add(LoanItem(loan=loan, garment=t1, loan_event=lent))

    # April: must not change March
    _write_off(s2, reason="damaged", responsible="employee", staff_no=a.staff_no, boss=boss, when=at(4, 2))
    db.session.commit()
    return {"front": front.id, "rooms": rooms.id, "a": a.id, "b": b.id, "charged": lost.amount,
            "loan": loan.id, "bought": bought.id}


def _report(now=None):
    return services.to_json(services.loss_report(db.session, MONTH, zone="Asia/Shanghai", now=now))


def test_the_month_matches_the_numbers_worked_out_by_hand(month):
    r = _report()
    # opening: s1..s4 at 100.00, t1, t2 at 150.00 (the old shirt was written off in February)
    assert r["month"] == MONTH and r["closed"] is True
    assert r["opening"] == {"count": 6, "value": "700.00"}
    assert r["purchased"] == {"count": 1, "value": "110.00"}
    assert r["written_off"] == {"count": 2, "value": "200.00",
                                "normal_wear": {"count": 1, "value": "100.00"},
                                "charged_to_person": {"count": 1, "value": "100.00"},
                                "other": {"count": 0, "value": "0.00"}}
    # t2 missing; s4's marking was undone
    assert r["missing"] == {"count": 1, "value": "150.00", "marked": {"count": 1, "value": "150.00"},
                            "found": {"count": 0, "value": "0.00"}}
    # closing: s2, s4 (100.00 each), t1 (150.00, on loan), the new shirt (110.00)
    assert r["closing"] == {"count": 4, "value": "460.00"}
    # 6 + 1 - 2 - 4 = 1; 700 + 110 - 200 - 460 = 150: the missing trousers
    assert r["unexplained"] == {"count": 1, "value": "150.00"}
    assert r["loss_rate"] == "0.5000"  # (2 + 1) / 6

    by_type = {t["code"]: t for t in r["by_type"]}
    assert by_type["SH"]["opening"] == {"count": 4, "value": "400.00"}
    assert by_type["SH"]["purchased"] == {"count": 1, "value": "110.00"}
    assert by_type["SH"]["written_off"] == {"count": 2, "value": "200.00"}
    assert by_type["SH"]["closing"] == {"count": 3, "value": "310.00"}
    assert by_type["TR"]["opening"] == {"count": 2, "value": "300.00"}
    assert by_type["TR"]["missing"] == {"count": 1, "value": "150.00"}
    assert by_type["TR"]["closing"] == {"count": 1, "value": "150.00"}

    charged = str(month["charged"])
    assert Decimal(charged) > 0
    by_dept = {d["name"]: d for d in r["by_department"]}
    assert set(by_dept) == {"前厅", "客房", None}
    assert by_dept["前厅"]["written_off"] == {"count": 1, "value": "100.00"}
    assert by_dept["前厅"]["normal_wear"] == {"count": 1, "value": "100.00"}
    assert by_dept["前厅"]["charged_to_person"]["count"] == 0
    assert by_dept["客房"]["written_off"] == {"count": 1, "value": "100.00"}
    assert by_dept["客房"]["charged_to_person"] == {"count": 1, "value": "100.00"}
    assert by_dept["客房"]["compensation_charged"] == charged
    assert by_dept[None]["missing"] == {"count": 1, "value": "150.00"}

    assert r["reasons"] == [{"reason": "lost", "count": 1, "value": "100.00"},
                            {"reason": "worn_out", "count": 1, "value": "100.00"}]
    assert r["compensation"] == {"count": 1, "charged": charged, "collected": charged,
                                 "waived": "0.00", "pending": "0.00"}
    assert r["overdue_loans"]["count"] == 1
    overdue = r["overdue_loans"]["loans"][0]
    assert overdue["loan_id"] == month["loan"] and overdue["tags"] == ["T1"]
    assert overdue["days_late"] == 11  # due 20 March 10:00, the month ends 1 April 00:00

    # lifecycle: shirts written off with 20 and 10 washes, one month in use, 200.00 / 30 washes
    # (the February shirt is in the 12-month window too: 0 washes, one month in use)
    life = {x["code"]: x for x in r["lifecycle"]}
    assert life["SH"] == {"type_id": life["SH"]["type_id"], "code": "SH", "name_zh": "衬衫", "name_en": "Shirt",
                          "written_off": 3, "avg_washes": "10.0", "avg_age_months": "1.0",
                          "cost_per_wear": "10.00"}
    # forecast: shirts M: A and B own shirts M: 2 x 2 = 4, in circulation s2, s4, new = 3,
    # loss rate 2/4 -> ceil(0.5 x 3) = 2 expected: 4 - 3 + 2 = 3.
    # trousers L: A: 2, in circulation t1 = 1, rate 1/2 -> 1 expected: 2 - 1 + 1 = 2.
    forecast = {(f["code"], f["size"]): f for f in r["forecast"]}
    assert {k: (f["entitled"], f["in_circulation"], f["expected_losses"], f["to_buy"])
            for k, f in forecast.items()} == {("SH", "M"): (4, 3, 2, 3), ("TR", "L"): (2, 1, 1, 2)}


def test_a_current_month_runs_until_now(month):
    r = _report(now=at(3, 20, 12))
    assert r["closed"] is False
    assert r["overdue_loans"]["loans"][0]["days_late"] == 0  # two hours late
    assert r["opening"]["count"] == 6


def _sql(query: str, **params):
    clause = text(query).bindparams(*[bindparam(k, type_=UTCDateTime) for k in params])
    return db.session.execute(clause, params).all()


LAST_BEFORE = """
SELECT e.garment_id, e.to_status, e.unit_cost FROM events e
WHERE e.created_at < :t AND NOT EXISTS (
  SELECT 1 FROM events l WHERE l.garment_id = e.garment_id AND l.created_at < :t
   AND (l.created_at > e.created_at OR (l.created_at = e.created_at AND l.id > e.id)))
"""
IN_MONTH = """
SELECT e.action, COUNT(*), COALESCE(SUM(e.unit_cost), 0) FROM events e
WHERE e.created_at >= :start AND e.created_at < :end
  AND NOT EXISTS (SELECT 1 FROM events u WHERE u.reverses_event_id = e.id)
GROUP BY e.action
"""
# A write-off counts under the department copied onto its write-off record
# (the statement's rule); a write-off event without one, under the event's.
BY_DEPT = """
SELECT CASE WHEN w.id IS NULL THEN e.department_id ELSE w.department_id END, COUNT(*), SUM(e.unit_cost)
FROM events e LEFT JOIN write_offs w ON w.event_id = e.id
WHERE e.action = 'write_off' AND e.created_at >= :start AND e.created_at < :end
  AND NOT EXISTS (SELECT 1 FROM events u WHERE u.reverses_event_id = e.id)
GROUP BY 1
"""


def _money(value) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


def _stock(rows):
    kept = [r for r in rows if r[1] not in ("written_off", "missing")]
    return {"count": len(kept), "value": _money(sum((Decimal(str(r[2])) for r in kept), Decimal(0)))}


def test_every_figure_is_recomputable_from_the_events_table(month):
    """The report's figures again, straight from ``events`` with plain SQL: the first report, and
    the next one that reads the closed month's stock from the snapshots the first one stored."""
    start, end = services.month_bounds(MONTH, "Asia/Shanghai")
    for _read in ("from the events", "from the snapshots"):
        _recomputes(_report(), start, end)
    from kiosk.reports.models import StockSnapshot

    assert set(db.session.scalars(select(StockSnapshot.taken_at))) == {start, end}


def _recomputes(r: dict, start: dt.datetime, end: dt.datetime) -> None:
    assert r["opening"] == _stock(_sql(LAST_BEFORE, t=start))
    assert r["closing"] == _stock(_sql(LAST_BEFORE, t=end))
    moves = {action: (n, _money(v)) for action, n, v in _sql(IN_MONTH, start=start, end=end)}
    assert (r["purchased"]["count"], r["purchased"]["value"]) == moves["register"]
    assert (r["written_off"]["count"], r["written_off"]["value"]) == moves["write_off"]
    found = moves.get("found", (0, "0.00"))
    assert r["missing"]["count"] == moves["mark_missing"][0] - found[0]
    assert Decimal(r["missing"]["value"]) == Decimal(moves["mark_missing"][1]) - Decimal(found[1])
    assert r["unexplained"]["count"] == (r["opening"]["count"] + r["purchased"]["count"]
                                         - r["written_off"]["count"] - r["closing"]["count"])
    depts = {d: (n, _money(v)) for d, n, v in _sql(BY_DEPT, start=start, end=end)}
    assert {d["department_id"]: (d["written_off"]["count"], d["written_off"]["value"])
            for d in r["by_department"] if d["written_off"]["count"]} == depts
    assert sum(row["opening"]["count"] for row in r["by_type"]) == r["opening"]["count"]
    assert sum(row["closing"]["count"] for row in r["by_type"]) == r["closing"]["count"]


def test_the_department_is_the_one_at_the_time(month):
    from kiosk.models import Employee

    before = _report()
    db.session.get(Employee, month["b"]).department_id = month["front"]
    db.session.get(Employee, month["a"]).department_id = month["rooms"]
    db.session.commit()
    assert _report() == before


def test_the_report_and_the_statement_charge_the_department_copied_onto_the_write_off(make):
    """Compensation per department is one computation, from the facts copied
    onto the write-off: an employee who moves on, while the write-off waits for
    approval and again after it, leaves the charge with the old department,
    on the loss report and on the consumption statement alike."""
    rooms, front, food = make.department("客房"), make.department("前厅"), make.department("餐饮")
    b = make.employee("李四", department=rooms)
    shirt = make.garment_type("SH", name_zh="衬衫", name_en="Shirt", unit_cost=Decimal("100.00"))
    boss = make.user("主管", role="supervisor")
    garment = make.garment("S9", shirt, owner=b, at=at(2, 10))
    write_off = writeoffs.open_write_off(db.session, garment, reason="lost", responsible="employee",
                                         staff_no=b.staff_no, user=boss, rules=writeoffs.Rules(),
                                         now=at(3, 10), today=at(3, 10).date())
    b.department = front  # moves while the write-off waits for approval
    db.session.flush()
    writeoffs.approve(db.session, write_off, approver=boss, pin="2580", policy=Policy(hash_method=FAST_HASH),
                      now=at(3, 11))
    b.department = food  # and again after it
    db.session.commit()

    report = services.loss_report(db.session, MONTH, zone="Asia/Shanghai")
    statement = writeoffs.statement(db.session, MONTH, zone="Asia/Shanghai")
    assert write_off.amount > 0
    assert [(d.name, d.written_off.count, d.charged_to_person.value, d.compensation_charged)
            for d in report.by_department] == [("客房", 1, Decimal("100.00"), write_off.amount)]
    assert [(r.department, r.count, r.value, r.charged) for r in statement.rows] == [
        ("客房", 1, Decimal("100.00"), write_off.amount)]
    assert report.compensation.charged == statement.total.charged == write_off.amount


def test_the_page_shows_the_figures(month, client, login_as):
    login_as("supervisor")
    response = client.get(f"/reports/?month={MONTH}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-figure="unexplained"' in html and "<svg" in html
    assert 'data-reason="lost"' in html and "王五" in html
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/reports/").status_code == 200  # this month
    assert client.get("/reports/?month=2026-13").status_code == 400


def test_downloads(month, client, login_as):
    login_as("supervisor")
    raw = client.get(f"/reports/loss.json?month={MONTH}")
    assert raw.status_code == 200 and raw.mimetype == "application/json"
    assert json.loads(raw.data) == _report()

    response = client.get(f"/reports/loss.csv?month={MONTH}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert ["Unexplained loss", "1", "150.00"] in rows
    assert ["Closing stock", "4", "460.00"] in rows
    assert ["Opening stock", "6", "700.00"] in rows

    from openpyxl import load_workbook

    response = client.get(f"/reports/loss.xlsx?month={MONTH}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Summary", "By garment type", "By department", "Reasons", "Overdue loans",
                               "Lifecycle", "Purchase forecast"]
    summary = {row[0]: row[1:] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Written off"] == (2, 200.0)
    assert summary["Missing at stocktake"] == (1, 150.0)
    reasons = list(book["Reasons"].iter_rows(min_row=2, values_only=True))
    assert reasons == [("Lost", 1, 100.0), ("Worn out", 1, 100.0)]

    assert client.get(f"/reports/loss.pdf?month={MONTH}").status_code == 404
    assert client.get("/reports/loss.csv?month=March").status_code == 400


def test_the_downloads_hold_a_formula_looking_name_as_text(month, client, login_as):
    """A borrower named like a formula is text in the CSV and the XLSX; amounts stay numbers."""
    from openpyxl import load_workbook

    db.session.get(Loan, month["loan"]).borrower_name = "=cmd|' /C calc'!A0"
    db.session.commit()
    login_as("supervisor")
    rows = list(csv.reader(io.StringIO(client.get(f"/reports/loss.csv?month={MONTH}").data.decode("utf-8-sig"))))
    assert any(row[1:2] == ["'=cmd|' /C calc'!A0"] for row in rows)
    assert ["Closing stock", "4", "460.00"] in rows
    book = load_workbook(io.BytesIO(client.get(f"/reports/loss.xlsx?month={MONTH}").data))
    borrower = book["Overdue loans"]["B2"]
    assert borrower.value == "=cmd|' /C calc'!A0" and borrower.data_type == "s"
    assert not [c for sheet in book for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    summary = {row[0].value: row[2] for row in book["Summary"].iter_rows(min_row=2)}
    assert summary["Closing stock"].value == 460.0 and summary["Closing stock"].data_type == "n"


def test_the_summary_slip_goes_to_the_print_queue(month, client, login_as):
    from kiosk.models import PrintJob

    login_as("supervisor")
    response = client.post("/reports/print", data={"month": MONTH})
    assert response.status_code == 302
    job = db.session.query(PrintJob).one()
    assert job.kind == "loss_report" and job.status == "queued"
    assert "2026-03" in job.document and "Unexplained loss" in job.document


def test_clerks_may_not_see_the_report(month, client, login_as):
    login_as("clerk")
    assert client.get("/reports/").status_code == 403
    assert client.get(f"/reports/loss.json?month={MONTH}").status_code == 403
    assert client.post("/reports/print", data={"month": MONTH}).status_code == 403


def test_cli(month, runner, tmp_path):
    result = runner.invoke(args=["kiosk", "report", "loss", "--month", MONTH, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["closing"] == {"count": 4, "value": "460.00"}

    target = tmp_path / "loss.xlsx"
    result = runner.invoke(args=["kiosk", "report", "loss", "--month", MONTH, "--format", "xlsx",
                                 "--output", str(target)])
    assert result.exit_code == 0, result.output
    from openpyxl import load_workbook

    assert "Summary" in load_workbook(target).sheetnames

    target = tmp_path / "loss.csv"
    result = runner.invoke(args=["kiosk", "report", "loss", "--month", MONTH, "--output", str(target)])
    assert result.exit_code == 0 and target.read_bytes().startswith("\ufeff".encode())

    missing = tmp_path / "no-such-folder"
    for bad in (["--month", "2026-3x"], ["--month", MONTH, "--format", "pdf"], ["--format", "xlsx"],
                ["--month", MONTH, "--output", str(missing / "loss.csv")],
                ["--month", MONTH, "--format", "xlsx", "--output", str(missing / "loss.xlsx")],
                ["--month", MONTH, "--output", str(tmp_path)]):  # a folder, not a file
        result = runner.invoke(args=["kiosk", "report", "loss", *bad])
        assert result.exit_code != 0
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error:"), result.output
        assert isinstance(result.exception, SystemExit)  # said, not a traceback
    assert not missing.exists()
    result = runner.invoke(args=["kiosk", "report", "loss", "--month", MONTH, "--output", str(missing / "loss.csv")])
    assert f"The folder {missing} does not exist" in result.output


def test_the_forecast_counts_what_each_owners_kit_gives(month):
    """A position's kit (配发标准) of one shirt: 张三 needs 1, 李四 still 2 by the type: 3, not 4."""
    from kiosk.kits.models import KitLine
    from kiosk.models import Employee, GarmentType

    zhang = db.session.scalar(select(Employee).where(Employee.name == "张三"))
    zhang.position = "门童"
    shirt = db.session.scalar(select(GarmentType).where(GarmentType.code == "SH"))
    db.session.add(KitLine(position="门童", type_id=shirt.id, quantity=1))
    db.session.commit()
    forecast = {(f["code"], f["size"]): f for f in _report()["forecast"]}
    assert forecast[("SH", "M")]["entitled"] == 3


def test_the_files_read_the_loss_rate_and_the_times_as_the_page_does(month, app, client, login_as):
    """In Chinese, two hours after the loan was due: the page and every file say 50.00% and 逾期
    2 小时; the due time is the hotel's (10:00, not UTC's 02:00), a real date-time in the XLSX."""
    from openpyxl import load_workbook

    app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    app.config["KIOSK_CLOCK"] = lambda: at(3, 20, 12)
    login_as("supervisor")
    page = client.get(f"/reports/?month={MONTH}").get_data(as_text=True)
    rate = re.search(r'data-figure="loss_rate".*?<td>([^<]*)</td>', page, re.S).group(1).strip()
    assert rate == "50.00%"
    overdue = page[page.index('id="report-overdue"'):page.index("</table>", page.index('id="report-overdue"'))]
    assert "逾期 2 小时" in overdue and "逾期 0 天" not in overdue
    assert "10:00" in overdue and "02:00" not in overdue

    rows = list(csv.reader(io.StringIO(client.get(f"/reports/loss.csv?month={MONTH}").data.decode("utf-8-sig"))))
    assert ["损耗率", rate, ""] in rows
    header = rows.index(["借衣", "借衣人", "部门", "应还时间", "逾期天数", "逾期小时数", "标签"])
    assert rows[header + 1][3:6] == ["2026-03-20 10:00", "0", "2"]

    book = load_workbook(io.BytesIO(client.get(f"/reports/loss.xlsx?month={MONTH}").data))
    [rate_cell] = [row[1] for row in book["汇总"].iter_rows(min_row=2) if row[0].value == "损耗率"]
    assert rate_cell.value == 0.5 and rate_cell.number_format == "0.00%"
    due = book["逾期借衣"]["D2"]
    assert due.is_date and due.value == dt.datetime(2026, 3, 20, 10, 0) and due.number_format == "yyyy-mm-dd hh:mm"

    loan = json.loads(client.get(f"/reports/loss.json?month={MONTH}").data)["overdue_loans"]["loans"][0]
    assert loan["due_at"] == "2026-03-20T10:00:00+08:00" and loan["hours_late"] == 2
    bounds = json.loads(client.get(f"/reports/loss.json?month={MONTH}").data)
    assert bounds["start"] == "2026-03-01T00:00:00+08:00" and bounds["start_utc"] == "2026-02-28T16:00:00+00:00"
