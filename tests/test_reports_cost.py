"""The monthly loss report reads only what it needs (issue 14: on PostgreSQL its per-garment look-up
was a full scan of ``events``, twice, 6.9 s at 5 M events; on SQLite it read every event of the month).
Every statement the report page and its XLSX run is checked with the database's own plan, at a year
of events, on both databases: no pass over the events (no SCAN of them, no Seq Scan on them), and on
SQLite (whose planner has no statistics: the kiosk never analyses it) no range of all the events of
a period (``ix_events_property_created``): the month's purchases, write-offs and missing garments come off
``ix_events_property_action_created``, each garment's stock off its own events (``ix_events_garment_created``)."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import event, insert, select, text, update

from kiosk.domain import calendar
from kiosk.extensions import db
from kiosk.models import Event, Garment, utcnow

ZONE = "Asia/Shanghai"
GARMENTS = 400
PER_GARMENT = 100  # events of each garment, over the last year: 40,000 in all
ROUND = ("issue", "check_in", "wash", "iron", "pass", "slot")
AFTER = {"issue": "issued", "check_in": "dirty", "wash": "ironing", "iron": "inspection", "pass": "in_stock",
         "slot": "in_stock"}


def _year_of_events(make) -> None:
    """GARMENTS garments, each registered a year ago and walked round PER_GARMENT times since;
    one in twenty written off, one in forty marked missing along the way."""
    shirt = make.garment_type("SH", unit_cost=Decimal("80.00"))
    first = make.garment("BULK-0", shirt, size="M", at=utcnow() - dt.timedelta(days=400))
    db.session.commit()
    start = utcnow() - dt.timedelta(days=380)
    step = dt.timedelta(days=380) / PER_GARMENT  # until a moment ago
    garments = [{"tag": f"BULK-{n}", "type_id": shirt.id, "size": "SML"[n % 3], "status": "in_stock",
                 "cost": Decimal("80.00"), "status_since": start, "created_at": start, "updated_at": start,
                 "defects": "", "awaiting_slot": False, "wash_count": 0, "repair_count": 0, "version": 1}
                for n in range(1, GARMENTS)]
    db.session.execute(insert(Garment), garments)
    ids = [first.id, *db.session.scalars(select(Garment.id).where(Garment.tag != "BULK-0"))]
    rows, last = [], {}
    for n, garment_id in enumerate(ids):
        rows.append(_event(garment_id, "register", None, "in_stock", start))
        status = "in_stock"
        for k in range(1, PER_GARMENT):
            at = start + step * k - dt.timedelta(seconds=n)
            if n % 20 == 0 and k == PER_GARMENT - 30:
                rows.append(_event(garment_id, "write_off", status, "written_off", at))
                status = "written_off"
                break
            if n % 40 == 1 and k == PER_GARMENT - 10:
                rows.append(_event(garment_id, "mark_missing", status, "missing", at))
                status = "missing"
                break
            action = ROUND[k % len(ROUND)]
            rows.append(_event(garment_id, action, status, AFTER[action], at))
            status = AFTER[action]
        last[garment_id] = status
    db.session.execute(insert(Event), rows)
    for garment_id, status in last.items():
        db.session.execute(update(Garment).where(Garment.id == garment_id).values(status=status))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # its autovacuum would; the kiosk never analyses SQLite
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def _event(garment_id, action, before, after, at) -> dict:
    return {"garment_id": garment_id, "action": action, "from_status": before, "to_status": after,
            "station": "bulk", "unit_cost": Decimal("80.00"), "defects": "", "note": "", "created_at": at}


def _explain(statement: str, params) -> list[str]:
    explain = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    rows = db.session.connection().exec_driver_sql(explain + statement, params).all()
    return [" ".join(str(c) for c in row) for row in rows]


def _reads_of_events(run) -> list[tuple[str, list[str]]]:
    """(statement, plan) of every SELECT ``run`` sends that reads the events."""
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, params, context, executemany):
        if re.search(r"\bevents\b", statement) and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return [(statement, _explain(statement, params)) for statement, params in seen]


def _passes_over_events(plan: list[str]) -> list[str]:
    """The plan's lines that read all the events, or all of a period's."""
    if db.engine.dialect.name == "sqlite":
        return [line for line in plan
                if re.search(r"\bSCAN events\w*\b", line) or "ix_events_property_created " in line + " "]
    # PostgreSQL weighs a range by its statistics: it may read the few events of the current month's
    # first days off ix_events_property_created; a closed month's it reads off ix_events_property_action_created.
    return [line for line in plan if "Seq Scan on events" in line]


def test_the_report_page_and_its_xlsx_read_the_events_only_through_their_indexes(app, make, client, login_as):
    _year_of_events(make)
    login_as("supervisor")
    today = calendar.local_date(utcnow(), ZONE)
    closed, current = calendar.month_of(calendar.add_months(today, -2)), calendar.month_of(today)

    def run():
        for month in (closed, closed, current):  # a closed month read, then read again; the current one
            assert client.get(f"/reports/?month={month}").status_code == 200
            response = client.get(f"/reports/loss.xlsx?month={month}")
            assert response.status_code == 200 and response.data[:2] == b"PK"

    reads = _reads_of_events(run)
    assert len(reads) >= 6
    for statement, plan in reads:
        assert not _passes_over_events(plan), (statement, "\n".join(plan))
