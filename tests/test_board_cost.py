"""The today board (on the counter's tablet, polled every 60 s) costs the same whatever the ledger
holds: each statement it runs reads by index what it shows (today's events, the garments in a
status, the open carts), never a pass over the events or print jobs of the past (issue 14). Checked
with the database's own plan, at a year's worth of history (20,000+ events, their carts and prints),
on both databases; the morning summary of the alerts is the board's own counts."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import event as sa_event
from sqlalchemy import insert, select, text

from kiosk.domain.garment_states import Action, Status
from kiosk.extensions import db
from kiosk.ledger import move
from kiosk.models import CheckinBatch, Department, Event, Garment, PrintJob, TagReprint, utcnow

from .scans import HX

#: tables whose rows pile up with the room's history: a statement of the board never scans them
HISTORY = ("events", "print_jobs", "checkin_batches", "tag_reprints")
HISTORY_EVENTS = 24_000


def _history(make) -> None:
    """A year of a room's ledger: garments washed round and round, carts, rejects, prints."""
    department = make.department("客房部")
    gtype = make.garment_type()
    ironer = make.user("熨烫工甲", role="ironer")
    db.session.flush()
    start = utcnow() - dt.timedelta(days=365)
    garment_count = 600
    db.session.execute(insert(Garment), [
        {"tag": f"H-{n:06d}", "type_id": gtype.id, "status": Status.IN_STOCK.value, "cost": 100,
         "status_since": start, "created_at": start, "updated_at": start} for n in range(garment_count)])
    garment_ids = db.session.scalars(select(Garment.id).where(Garment.tag.like("H-%")).order_by(Garment.id)).all()
    days, carts_a_day = 360, 12
    db.session.execute(insert(CheckinBatch), [
        {"department_id": department.id, "declared": 10, "scanned": 9 + n % 2,
         "opened_at": start + dt.timedelta(days=n // carts_a_day, minutes=n % carts_a_day),
         "closed_at": start + dt.timedelta(days=n // carts_a_day, hours=1)} for n in range(days * carts_a_day)])
    batch_ids = db.session.scalars(select(CheckinBatch.id).order_by(CheckinBatch.id)).all()
    # One wash round is five events: in, washed, ironed, and a reject now and then, passed.
    rounds = [(Action.CHECK_IN, Status.ISSUED, Status.DIRTY), (Action.WASH, Status.DIRTY, Status.IRONING),
              (Action.IRON, Status.IRONING, Status.INSPECTION), (Action.REIRON, Status.INSPECTION, Status.IRONING),
              (Action.IRON, Status.IRONING, Status.INSPECTION), (Action.PASS, Status.INSPECTION, Status.IN_STOCK)]
    rows = []
    for n in range(HISTORY_EVENTS // len(rounds)):
        garment_id = garment_ids[n % garment_count]
        day = n * days // (HISTORY_EVENTS // len(rounds))
        at = start + dt.timedelta(days=day, minutes=n % 600)
        for step, (action, before, after) in enumerate(rounds):
            rows.append({"garment_id": garment_id, "action": action.value, "from_status": before.value,
                         "to_status": after.value, "station": "history",
                         "user_id": ironer.id if action is Action.IRON else None,
                         "batch_id": batch_ids[day * carts_a_day + n % carts_a_day] if action is Action.CHECK_IN else None,
                         "created_at": at + dt.timedelta(minutes=step)})
    db.session.execute(insert(Event), rows)
    db.session.execute(insert(PrintJob), [
        {"kind": "tag", "document": "{}", "status": "done", "attempts": 1, "printer": "tcp://p:9100",
         "created_at": start + dt.timedelta(minutes=n), "updated_at": start + dt.timedelta(minutes=n),
         "printed_at": start + dt.timedelta(minutes=n)} for n in range(5_000)])
    db.session.execute(insert(TagReprint), [
        {"garment_id": garment_ids[n % garment_count], "requested_at": start + dt.timedelta(hours=n),
         "done_at": start + dt.timedelta(hours=n + 1)} for n in range(6_000)])

    # ...and today: a cart still open, a garment ironed and rejected, one stuck, one at the tailor.
    cart = CheckinBatch(department_id=department.id, declared=3, opened_at=utcnow() - dt.timedelta(minutes=30))
    db.session.add(cart)
    db.session.flush()
    issued = make.garment(status=Status.ISSUED.value)
    move(db.session, issued, Action.CHECK_IN, user=None, station="counter", batch_id=cart.id)
    rejected = make.garment(status=Status.IRONING.value)
    move(db.session, rejected, Action.IRON, user=ironer, station="ironing")
    move(db.session, rejected, Action.REWASH, user=None, station="inspection")
    make.garment(status=Status.AT_TAILOR.value, at=utcnow() - dt.timedelta(days=30))
    make.garment(status=Status.INSPECTION.value, at=utcnow() - dt.timedelta(days=3))
    make.passed()
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def _explain(statement: str, params) -> str:
    explain = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    rows = db.session.connection().exec_driver_sql(explain + statement, params).all()
    return "\n".join(" ".join(str(c) for c in row) for row in rows)


def _partial_indexes() -> set[str]:
    """SQLite's partial indexes on the history tables: each holds only the few rows it is for
    (the open carts, the undos), so reading all of one is reading what the board shows."""
    connection = db.session.connection()
    return {row[1] for table in HISTORY
            for row in connection.exec_driver_sql(f"PRAGMA index_list({table})") if row[4]}


def _scans_of_history(plan: str, partial: set[str]) -> list[str]:
    """The lines of ``plan`` that read a history table whole (or a whole index of it)."""
    if db.engine.dialect.name == "sqlite":
        scans = [line for line in plan.splitlines()
                 if re.search(r"\bSCAN (%s)(_\d+)?\b" % "|".join(HISTORY), line)]
        return [line for line in scans
                if not (m := re.search(r"USING (?:COVERING )?INDEX (\w+)", line)) or m.group(1) not in partial]
    return [line for line in plan.splitlines() if re.search(r"Seq Scan on (%s)\b" % "|".join(HISTORY), line)]


def test_the_board_and_its_poll_read_the_ledger_only_through_indexes(app, client, login_as, make):
    _history(make)
    login_as("clerk")
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, params))

    sa_event.listen(db.engine, "before_cursor_execute", capture)
    try:
        page = client.get("/today/")
        poll = client.get("/today/", headers={**HX, "X-Kiosk-Background": "1"})
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", capture)
    assert page.status_code == poll.status_code == 200
    body = poll.get_data(as_text=True)
    assert 'id="open_carts" data-count="1"' in body and 'data-ironer="熨烫工甲" data-rejects="1"' in body
    with app.app_context():
        partial = _partial_indexes() if db.engine.dialect.name == "sqlite" else set()
        found = []
        for statement, params in seen:
            plan = _explain(statement, params)
            if _scans_of_history(plan, partial):
                found.append((statement, plan))
    assert not found, "\n\n".join(f"{s}\n{p}" for s, p in found)


def test_the_morning_summary_says_what_the_board_shows(app, client, login_as, make):
    from kiosk.alerts import services as alerts

    _history(make)
    make.garment(status=Status.AT_TAILOR.value, at=utcnow() - dt.timedelta(days=10))
    db.session.add(TagReprint(garment_id=db.session.scalar(select(Garment.id).limit(1))))
    db.session.commit()
    login_as("clerk")
    body = client.get("/today/", headers=HX).get_data(as_text=True)
    shown = {key: int(n) for key, n in re.findall(r'id="(\w+)" data-count="(\d+)"', body)}
    tiles = {status: int(n) for status, n in re.findall(r'data-status="(\w+)" data-count="(\d+)"', body)}
    open_carts = len(re.findall(r'data-open="true"', body))
    words = alerts.Words(gettext=lambda message, **values: message % values, late=str, money=str, language="en")
    with app.app_context():
        summary = alerts.summary_text(db.session, words, utcnow(),
                                      alerts.ScanSettings(zone=app.config["BABEL_DEFAULT_TIMEZONE"]))
    assert shown["tailor"] == 2 and shown["reprints"] == 1 and open_carts == 1
    assert f"Passed, waiting for their slot: {shown['unslotted']}\n" in summary
    assert f"In ironing or inspection for over 24 hours: {shown['stuck']}\n" in summary
    assert f"Overdue at the tailor: {shown['tailor']}\n" in summary
    assert f"Department carts open: {open_carts}\n" in summary
    assert f"Tags to print again: {shown['reprints']}\n" in summary
    assert "Garments: " + ", ".join(f"{alerts.STATUS_LABELS[Status(code)]} {n}" for code, n in tiles.items() if n) \
        in summary
