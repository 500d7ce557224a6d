"""The scale builder of bench/scan.py, at a tiny scale, so it cannot silently rot."""
from __future__ import annotations

import importlib.util
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
