"""The scale builder of bench/scan.py, at a tiny scale, so it cannot silently rot."""
from __future__ import annotations

import importlib.util
import os
import random
import re
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from kiosk.scanning import OK, scan_move

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_scan", ROOT / "bench" / "scan.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def _build(bench, tmp_path_factory, name: str, **scale):
    tmp_path = tmp_path_factory.mktemp(name)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
        monkeypatch.setenv("KIOSK_SECRET_KEY", "test")
        monkeypatch.setenv("KIOSK_BADGE_KEY", bench.BADGE_KEY)  # the builder's own, not left behind
        path = tmp_path / "scale.sqlite3"
        return path, bench.build(path, **scale)


@pytest.fixture(scope="module")
def built(bench, tmp_path_factory):
    """Built once for the module; the last test scans on it."""
    return _build(bench, tmp_path_factory, "bench", garments=50, employees=5, events=2_000, seed=7, print_jobs=300)


@pytest.fixture(scope="module")
def group(bench, tmp_path_factory):
    """A hotel group of three properties on one database, built once for the module."""
    return _build(bench, tmp_path_factory, "group", garments=240, employees=12, events=4_000, seed=11,
                  print_jobs=300, properties=3)


def test_builder_reaches_the_scale_asked_for(built):
    path, info = built
    con = sqlite3.connect(path)
    counts = {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
              for table in ("garments", "employees", "events", "garment_types", "users", "departments")}
    con.close()
    assert counts["garments"] == info.garments >= 50
    assert counts["employees"] == info.employees >= 5
    assert counts["events"] == info.events >= 2_000
    assert counts["garment_types"] >= 8
    assert counts["users"] >= 1 and counts["departments"] >= 1
    assert sum(info.status_counts.values()) == info.garments
    assert {"issued", "in_stock", "inspection"} <= set(info.status_counts)


def test_builder_adds_the_years_loans_print_jobs_and_stocktakes(built):
    """A loan for every loan event (returned by the next check-in), print jobs, closed past months."""
    path, info = built
    con = sqlite3.connect(path)
    try:
        loan_events = con.execute("SELECT count(*) FROM events WHERE action = 'loan'").fetchone()[0]
        mismatched = con.execute(
            "SELECT count(*) FROM loan_items i JOIN events e ON e.id = i.loan_event_id "
            "LEFT JOIN events r ON r.id = i.return_event_id "
            "WHERE e.action != 'loan' OR e.garment_id != i.garment_id "
            "OR (i.return_event_id IS NOT NULL AND (r.action != 'check_in' OR r.from_status != 'loaned'))"
        ).fetchone()[0]
        open_items = con.execute("SELECT count(*) FROM loan_items WHERE returned_at IS NULL").fetchone()[0]
        loaned = con.execute("SELECT count(*) FROM garments WHERE status = 'loaned'").fetchone()[0]
        jobs = dict(con.execute("SELECT status, count(*) FROM print_jobs GROUP BY status").fetchall())
        closed = con.execute("SELECT count(*) FROM stocktakes WHERE status = 'closed'").fetchone()[0]
        bare = con.execute("SELECT count(*) FROM stocktakes s WHERE NOT EXISTS "
                           "(SELECT 1 FROM stocktake_snapshots n WHERE n.stocktake_id = s.id)").fetchone()[0]
    finally:
        con.close()
    assert info.loans == loan_events > 0
    assert mismatched == 0
    assert open_items == loaned == info.open_loans
    assert jobs == {"done": 298, "failed": 2}
    assert closed == info.stocktakes == 11 and bare == 0


def test_every_garment_matches_its_history(bench, built):
    path, _ = built
    assert bench.check_consistency(path) == []
    con = sqlite3.connect(path)
    mismatched = con.execute(
        "SELECT count(*) FROM garments g WHERE g.status != (SELECT e.to_status FROM events e "
        "WHERE e.garment_id = g.id ORDER BY e.created_at DESC, e.id DESC LIMIT 1)").fetchone()[0]
    journal = con.execute("PRAGMA journal_mode").fetchone()[0]
    problems = con.execute("PRAGMA foreign_key_check").fetchall()
    con.close()
    assert mismatched == 0
    assert journal == "wal"
    assert problems == []


def test_the_app_scans_a_built_garment(bench, built, tmp_path, monkeypatch):
    """The rows are what the ORM writes: the app reads them and moves a garment on."""
    from kiosk import create_app
    from kiosk.extensions import db
    from kiosk.models import Garment, User

    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    path, _ = built
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "test"})
    with app.app_context():
        garment = db.session.scalars(db.select(Garment).where(Garment.status == "issued").limit(1)).one()
        user = db.session.scalars(db.select(User).where(User.name == bench.BENCH_USER)).one()
        assert garment.status_since.tzinfo is not None
        result = scan_move(db.session, garment.tag, "check_in", station="checkin", user=user)
        assert result.result == OK
        assert result.garment.status == "dirty"
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _shape(sql: str) -> str | None:
    """A statement as the comparison sees it: its verb, the tables it reads or writes, how many
    times it is held to a property (``property_id = ...``: kiosk.scope's criterion) and, for an
    INSERT, whether it writes a property_id (None for the transaction's own BEGIN, COMMIT and
    ROLLBACK, which each side issues its way)."""
    words = sql.split()
    verb = words[0].upper() if words else ""
    if verb in {"BEGIN", "COMMIT", "ROLLBACK", "PRAGMA"}:
        return None
    tables = sorted({t.lower() for t in re.findall(r'\b(?:FROM|JOIN|INTO|UPDATE)\s+"?(\w+)', sql, re.I)})
    held = len(re.findall(r"property_id\s*=", sql, re.I))
    shape = f"{verb} {' '.join(tables)}".strip() + (f" held:{held}" if held else "")
    if verb == "INSERT" and re.search(r"\bproperty_id\b", sql.split("VALUES")[0].split("SELECT")[0], re.I):
        shape += " +property_id"
    return shape


def test_the_floor_runs_the_same_statements_as_the_kiosk(bench, built, tmp_path, monkeypatch):
    """``scan_cpu_ratio_wsgi`` and ``_raw`` compare the kiosk with its SQL run by the driver alone: that
    SQL must be the kiosk's own, statement for statement, for every operation the bench scans
    (a statement added to a scan, or dropped from it, fails here until the floor says the same).
    Each request has its own app context, and so its own database session, as behind waitress:
    what the kiosk asks once per session (scope's "one property?") is asked once per request."""
    from sqlalchemy import event

    from kiosk import create_app
    from kiosk.extensions import db

    source, _ = built
    # The kiosk and the floor each scan the same garments on a copy of their own (what a scan
    # reads depends on the data: the counter counts spares only for a type it may offer one of).
    path, floor_path = tmp_path / "kiosk.sqlite3", tmp_path / "floor.sqlite3"
    shutil.copy(source, path)
    shutil.copy(source, floor_path)
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("KIOSK_BADGE_KEY", bench.BADGE_KEY)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "test",
                      "BABEL_DEFAULT_LOCALE": "zh_CN"})
    pool = bench.Pool(path, random.Random(5))
    assert all(pool.lists[op] for op in bench.OPS), pool.left()  # every operation has garments to scan

    class InProcess(bench.Client):
        """The bench's tablet over the app's test client instead of a socket."""

        def __init__(self):
            self.client, self.name, self.csrf, self.trace, self.cookies = app.test_client(), bench.BENCH_USER, "", None, {}

        def request(self, method, path, form=None, headers=None):
            sent = dict(headers or {})
            if method == "POST" and self.csrf:
                sent["X-CSRFToken"] = self.csrf
            answer = self.client.open(path, method=method, data=form, headers=sent)
            return answer.status_code, answer.headers, answer.get_data(as_text=True), 0.0

    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda _conn, _cursor, sql, *_args: statements.append(sql))
    tablet = InProcess()
    tablet.sign_in(pool.users[bench.BENCH_USER])
    tablet.opening_check()
    floor = bench.Baseline(f"sqlite:///{floor_path}", pool.users[bench.BENCH_USER])
    floor_statements: list[str] = []
    floor.con.set_trace_callback(floor_statements.append)
    try:
        for op in bench.OPS:
            item = pool.take(op)
            statements.clear()
            bench.http_op(tablet, op, item)
            floor_statements.clear()
            floor.op(op, item)
            kiosk = [s for s in map(_shape, statements) if s]
            alone = [s for s in map(_shape, floor_statements) if s]
            assert alone == kiosk, op
            assert "UPDATE garments held:1" in kiosk  # it compared a real scan, held to the property
            assert "INSERT events +property_id" in kiosk
    finally:
        floor.close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    # What the floor wrote holds as the kiosk's does: its events are their garments' property's.
    assert bench.check_consistency(floor_path) == []


# --- a hotel group on one database -------------------------------------------------------

def test_a_group_spreads_its_garments_over_the_properties(bench, group):
    """properties=3: the first property holds about half the garments, the others share the rest;
    the numbers staff read start again at each property, tags stay unique in the group."""
    path, info = group
    con = sqlite3.connect(path)
    try:
        properties = con.execute("SELECT id, code, name FROM properties ORDER BY id").fetchall()
        by_property = dict(con.execute("SELECT property_id, count(*) FROM garments GROUP BY property_id"))
        repeated_staff_no = con.execute(
            "SELECT staff_no FROM employees GROUP BY staff_no HAVING count(DISTINCT property_id) > 1").fetchall()
        repeated_uniform_no = con.execute(
            "SELECT uniform_no FROM employees GROUP BY uniform_no HAVING count(DISTINCT property_id) > 1").fetchall()
        repeated_departments = con.execute(
            "SELECT name FROM departments GROUP BY name HAVING count(DISTINCT property_id) = 3").fetchall()
        tags = con.execute("SELECT count(*), count(DISTINCT tag) FROM garments").fetchone()
        employees_by_property = dict(con.execute("SELECT property_id, count(*) FROM employees GROUP BY property_id"))
    finally:
        con.close()
    assert [p[0] for p in properties] == [1, 2, 3]
    assert properties[1][1:] == ("H02", "酒店 2") and properties[2][1:] == ("H03", "酒店 3")
    total = sum(by_property.values())
    assert total == info.garments and info.garments_by_property == by_property
    assert 0.45 <= by_property[1] / total <= 0.55, by_property
    assert abs(by_property[2] - by_property[3]) <= 0.1 * total, by_property
    assert set(employees_by_property) == {1, 2, 3}
    assert ("200001",) in repeated_staff_no and ("100001",) in repeated_uniform_no
    assert len(repeated_departments) == len(bench.DEPARTMENTS)
    assert tags[0] == tags[1] == total


def test_a_groups_records_are_each_their_propertys(bench, group):
    """Every event is its garment's property's, and so are the loans, print jobs and stocktakes;
    each property has an operator of every role the bench uses, members of it."""
    path, info = group
    assert bench.check_consistency(path) == []
    con = sqlite3.connect(path)
    try:
        events_elsewhere = con.execute("SELECT count(*) FROM events e JOIN garments g ON g.id = e.garment_id "
                                       "WHERE e.property_id != g.property_id").fetchone()[0]
        events_by_property = dict(con.execute("SELECT property_id, count(*) FROM events GROUP BY property_id"))
        loans_elsewhere = con.execute(
            "SELECT count(*) FROM loan_items i JOIN loans l ON l.id = i.loan_id JOIN garments g ON g.id = i.garment_id "
            "JOIN events e ON e.id = i.loan_event_id WHERE i.property_id != g.property_id "
            "OR l.property_id != g.property_id OR e.property_id != g.property_id").fetchone()[0]
        jobs_elsewhere = con.execute("SELECT count(*) FROM print_jobs j JOIN garments g ON g.id = j.garment_id "
                                     "WHERE j.property_id != g.property_id").fetchone()[0]
        failed = dict(con.execute("SELECT property_id, count(*) FROM print_jobs WHERE status = 'failed' "
                                  "GROUP BY property_id"))
        stocktakes = dict(con.execute("SELECT property_id, count(*) FROM stocktakes WHERE status = 'closed' "
                                      "GROUP BY property_id"))
        snapshots_elsewhere = con.execute(
            "SELECT count(*) FROM stocktake_snapshots n JOIN stocktakes s ON s.id = n.stocktake_id "
            "WHERE n.property_id != s.property_id").fetchone()[0]
        roles = con.execute("SELECT m.property_id, u.role, count(*) FROM property_members m "
                            "JOIN users u ON u.id = m.user_id GROUP BY m.property_id, u.role").fetchall()
        bench_operator_properties = con.execute(
            "SELECT count(DISTINCT m.property_id) FROM property_members m JOIN users u ON u.id = m.user_id "
            "WHERE u.name = ?", (bench.BENCH_USER,)).fetchone()[0]
        problems = con.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        con.close()
    assert events_elsewhere == 0 and set(events_by_property) == {1, 2, 3}
    assert sum(events_by_property.values()) == info.events
    assert loans_elsewhere == 0 and jobs_elsewhere == 0 and snapshots_elsewhere == 0
    assert failed == {1: 2, 2: 2, 3: 2}
    assert stocktakes == {1: 11, 2: 11, 3: 11} and info.stocktakes == 33
    members = {(p, role) for p, role, _ in roles}
    assert {(p, role) for p in (1, 2, 3) for role in ("clerk", "ironer", "supervisor")} <= members
    assert bench_operator_properties == 3
    assert problems == []


def test_the_app_scans_a_garment_of_another_property(bench, group, tmp_path, monkeypatch):
    """In a group the ORM, held to property 2, finds property 2's garment and records its event there."""
    from kiosk import create_app, scope
    from kiosk.extensions import db
    from kiosk.models import Event, Garment, User

    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    source, _ = group
    path = tmp_path / "group.sqlite3"
    shutil.copy(source, path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "test"})
    with app.app_context():
        scope.use(db.session, 2)
        garment = db.session.scalars(db.select(Garment).where(Garment.status == "issued").limit(1)).one()
        clerk = db.session.scalars(db.select(User).where(User.name == "H02王收发")).one()
        assert garment.property_id == 2 and garment.tag.startswith("H02-")
        result = scan_move(db.session, garment.tag, "check_in", station="checkin", user=clerk)
        assert result.result == OK
        db.session.commit()
        last = db.session.scalars(db.select(Event).where(Event.garment_id == garment.id)
                                  .order_by(Event.id.desc()).limit(1)).one()
        assert (last.action, last.property_id) == ("check_in", 2)
        scope.use(db.session, 1)  # the same tag is not property 1's
        assert db.session.scalars(db.select(Garment).where(Garment.tag == garment.tag)).first() is None
        db.session.remove()
        db.engine.dispose()


# --- PostgreSQL: the COPY loader, and the floor's statements there ------------------------

@pytest.mark.skipif(not os.environ.get("KIOSK_TEST_DATABASE_URL"), reason="PostgreSQL pass only")
def test_the_postgres_copy_holds_the_group_and_the_floor_scans_there(bench, group, tmp_path, monkeypatch):
    """load_postgres copies every row the builder wrote (the properties and their members too); the
    raw-SQL floor then scans each operation there, held to the property, its events property 1's."""
    import psycopg

    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("KIOSK_SECRET_KEY", "test")
    monkeypatch.setenv("KIOSK_BADGE_KEY", bench.BADGE_KEY)
    source, _ = group
    admin = os.environ["KIOSK_TEST_DATABASE_URL"]
    name = f"kiosk_bench_test_{os.getpid()}"
    url, _seconds = bench.load_postgres(source, admin, name)
    try:
        lite = sqlite3.connect(source)
        try:
            expected = {t: lite.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in bench.TABLES}
            by_property = dict(lite.execute("SELECT property_id, count(*) FROM garments GROUP BY property_id"))
        finally:
            lite.close()
        with psycopg.connect(url) as pg:
            copied = {t: pg.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in bench.TABLES}
            assert dict(pg.execute("SELECT property_id, count(*) FROM garments GROUP BY property_id").fetchall()) \
                == by_property
            # the sequences follow the copied ids: a new property, a new event get fresh ones
            assert pg.execute("SELECT nextval(pg_get_serial_sequence('properties', 'id'))").fetchone()[0] == 4
        assert copied == expected
        pool = bench.Pool(source, random.Random(3))
        floor = bench.Baseline(url, pool.users[bench.BENCH_USER])
        try:
            for op in bench.OPS:
                assert len(floor.op(op, pool.take(op))) >= 1
        finally:
            floor.close()
        with psycopg.connect(url) as pg:
            scanned = pg.execute("SELECT e.property_id, g.property_id FROM events e JOIN garments g "
                                 "ON g.id = e.garment_id WHERE e.id > %s", (expected["events"],)).fetchall()
        assert len(scanned) == 5 and set(scanned) == {(1, 1)}  # a move each, the exchange's two
    finally:
        bench.drop_postgres(admin, name)
