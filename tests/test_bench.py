"""The scale builder of bench/scan.py, at a tiny scale, so it cannot silently rot."""
from __future__ import annotations

import importlib.util
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


@pytest.fixture(scope="module")
def built(bench, tmp_path_factory):
    """Built once for the module; the last test scans on it."""
    tmp_path = tmp_path_factory.mktemp("bench")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
        monkeypatch.setenv("KIOSK_SECRET_KEY", "test")
        path = tmp_path / "scale.sqlite3"
        info = bench.build(path, garments=50, employees=5, events=2_000, seed=7, print_jobs=300)
        yield path, info


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
    """A statement as the comparison sees it: its verb and the tables it reads or writes
    (None for the transaction's own BEGIN, COMMIT and ROLLBACK, which each side issues its way)."""
    words = sql.split()
    verb = words[0].upper() if words else ""
    if verb in {"BEGIN", "COMMIT", "ROLLBACK", "PRAGMA"}:
        return None
    tables = sorted({t.lower() for t in re.findall(r'\b(?:FROM|JOIN|INTO|UPDATE)\s+"?(\w+)', sql, re.I)})
    return f"{verb} {' '.join(tables)}".strip()


def test_the_floor_runs_the_same_statements_as_the_kiosk(bench, built, tmp_path, monkeypatch):
    """``scan_cpu_ratio_wsgi`` and ``_raw`` compare the kiosk with its SQL run by the driver alone: that
    SQL must be the kiosk's own, statement for statement, for every operation the bench scans
    (a statement added to a scan, or dropped from it, fails here until the floor says the same)."""
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
        event.listen(db.engine, "before_cursor_execute",
                     lambda _conn, _cursor, sql, *_args: statements.append(sql))
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
                assert any(s.startswith("UPDATE garments") for s in kiosk)  # it compared a real scan
        finally:
            floor.close()
            db.session.remove()
            db.engine.dispose()
