"""Monthly loss report benchmark at hotel-group scale (issue 6, "Benchmark").

Run from the repository root with the project's venv::

    .venv/bin/python bench/report.py               # 20 timed runs per case
    .venv/bin/python bench/report.py --samples 50

1. Reuses the scale database of ``bench/scan.py`` (``bench/.data/scale.sqlite3``:
   20,000 garments, 2,000 employees, 1,000,000 events); it is built only when
   there is none (a cached one is used even if its stamp is older, with a note).
   Each run works on a copy (``bench/.data/report-run.sqlite3``).
2. Times ``kiosk.reports.services.loss_report`` (every figure from the ledger)
   plus its JSON shape, for the last full month and the current month of the
   data, and the page through the WSGI app (a supervisor signed in).
3. Times closing a stocktake of 20,000 garments when
   ``kiosk/stocktake/services.py`` offers a close; otherwise reports
   ``stocktake_close_ms: null`` with a note.

The last line printed is one JSON object with at least ``report_p50_ms``,
``report_p95_ms`` and ``stocktake_close_ms``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import shutil
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import scan  # noqa: E402  (the builder and its cache)

os.environ.setdefault("KIOSK_SECRET_KEY", "bench")
os.environ.setdefault("KIOSK_INSTANCE_PATH", str(scan.DATA_DIR / "instance"))

ZONE = "Asia/Shanghai"
RUN = scan.DATA_DIR / "report-run.sqlite3"


def cached_database(args) -> tuple[Path, str]:
    path = scan.DATA_DIR / "scale.sqlite3"
    meta = scan.DATA_DIR / "scale.json"
    if path.exists() and meta.exists():
        stamp = json.loads(meta.read_text()).get("stamp")
        note = "reused"
        if stamp != scan.stamp(args.garments, args.employees, args.events, args.seed):
            note = "reused (stamp older than the migrations: not rebuilt)"
        return path, note
    path, _meta, reused = scan.ensure_database(args.garments, args.employees, args.events, args.seed)
    return path, "reused" if reused else "built"


def copy_of(source: Path) -> Path:
    con = sqlite3.connect(source)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{RUN}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, RUN)
    upgrade(RUN)
    return RUN


def upgrade(path: Path) -> None:
    """Bring the copy to the current migrations (a cached database may predate the newest
    tables, e.g. write-offs); cheap next to rebuilding a million events."""
    import flask_migrate

    from kiosk import create_app
    from kiosk.extensions import db

    started = time.perf_counter()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    print(f"copy upgraded to the current migrations in {time.perf_counter() - started:.1f} s")


def months_of(path: Path) -> tuple[str, str]:
    """(last full month, month of the latest event) in the hotel's zone."""
    from kiosk.domain import calendar

    con = sqlite3.connect(path)
    latest = con.execute("SELECT MAX(created_at) FROM events").fetchone()[0]
    con.close()
    last = calendar.local_date(dt.datetime.fromisoformat(latest).replace(tzinfo=dt.timezone.utc), ZONE)
    return calendar.month_of(calendar.add_months(last, -1)), calendar.month_of(last)


def time_service(app, month: str, samples: int) -> tuple[list[float], dict]:
    from kiosk.extensions import db
    from kiosk.reports import services

    times, figures = [], {}
    with app.app_context():
        services.to_json(services.loss_report(db.session, month, zone=ZONE))  # warm
        for _ in range(samples):
            started = time.perf_counter()
            figures = services.to_json(services.loss_report(db.session, month, zone=ZONE))
            times.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
    return times, figures


def time_page(app, month: str, samples: int) -> tuple[list[float], int]:
    from kiosk.auth.services import create_user
    from kiosk.extensions import db

    with app.app_context():
        user = create_user(db.session, "压测主管", "supervisor", "2468", hash_method=scan.FAST_HASH)
        db.session.commit()
        user_id = user.id
    client = app.test_client()
    if client.post("/login", data={"user_id": user_id, "pin": "2468"}).status_code != 302:
        raise SystemExit("could not sign in the benchmark supervisor")
    times = []
    client.get(f"/reports/?month={month}")
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(f"/reports/?month={month}")
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"GET /reports/ answered {response.status_code}")
    return times, user_id


def stocktake_close(app, month: str, supervisor_id: int) -> tuple[float | None, str]:
    """Close a stocktake of the whole stock on the copy, if the stocktake helper offers one.

    The worst case: nothing scanned, so every garment expected in the room
    (not issued, not on loan) is marked missing through the ledger at the close.
    """
    if importlib.util.find_spec("kiosk.stocktake.services") is None:
        return None, "kiosk/stocktake/services.py is not there yet: no close to time"
    from kiosk.stocktake import services as stocktake

    if not hasattr(stocktake, "close") or not hasattr(stocktake, "open_stocktake"):
        return None, "kiosk/stocktake/services.py has no close function yet"
    from sqlalchemy import func, select

    from kiosk.auth.services import Policy
    from kiosk.extensions import db
    from kiosk.models import Event, User

    with app.app_context():
        supervisor = db.session.get(User, supervisor_id)
        counter = db.session.scalar(select(User).where(User.name == scan.BENCH_USER))
        count = stocktake.open_stocktake(db.session, month, user=supervisor)
        db.session.commit()
        before = db.session.scalar(select(func.count()).select_from(Event))
        started = time.perf_counter()
        stocktake.close(db.session, count.id, supervisor=supervisor, supervisor_pin="2468", counter=counter,
                        counter_pin=scan.BENCH_PIN, policy=Policy(hash_method=scan.FAST_HASH))
        db.session.commit()
        elapsed = (time.perf_counter() - started) * 1000
        marked = db.session.scalar(select(func.count()).select_from(Event)) - before
    return round(elapsed, 3), (f"one close of a count of all {scan.GARMENTS:,} garments with nothing "
                               f"scanned (worst case): {marked:,} garments marked missing")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--garments", type=int, default=scan.GARMENTS)
    parser.add_argument("--employees", type=int, default=scan.EMPLOYEES)
    parser.add_argument("--events", type=int, default=scan.EVENTS)
    parser.add_argument("--seed", type=int, default=scan.SEED)
    parser.add_argument("--keep", action="store_true", help="keep bench/.data/report-run.sqlite3")
    args = parser.parse_args(argv)

    print(f"load average before: {scan.load_average()} on {os.cpu_count()} CPUs")
    source, note = cached_database(args)
    print(f"database: {note} {source.relative_to(ROOT)}")
    path = copy_of(source)
    closed_month, current_month = months_of(path)

    from kiosk import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "WTF_CSRF_ENABLED": False,
                      "KIOSK_PIN_HASH_METHOD": scan.FAST_HASH, "BABEL_DEFAULT_TIMEZONE": ZONE,
                      "KIOSK_PRINT_WORKER": False})
    results: dict = {}
    try:
        closed_times, figures = time_service(app, closed_month, args.samples)
        current_times, _ = time_service(app, current_month, args.samples)
        page_times, supervisor_id = time_page(app, closed_month, args.samples)
        close_ms, close_note = stocktake_close(app, current_month, supervisor_id)
        closed = scan.summary(closed_times)
        results = {
            "report_p50_ms": closed["p50_ms"], "report_p95_ms": closed["p95_ms"],
            "report_month": closed_month,
            "report_current_month": current_month,
            "report_current_p50_ms": scan.summary(current_times)["p50_ms"],
            "report_current_p95_ms": scan.summary(current_times)["p95_ms"],
            "page_p50_ms": scan.summary(page_times)["p50_ms"],
            "page_p95_ms": scan.summary(page_times)["p95_ms"],
            "samples": args.samples,
            "stocktake_close_ms": close_ms,
            "stocktake_close_note": close_note,
            "figures": {k: figures[k] for k in ("opening", "purchased", "closing", "unexplained", "loss_rate")},
        }
        print(f"report {closed_month} (service + JSON): p50 {closed['p50_ms']} ms, p95 {closed['p95_ms']} ms")
        print(f"report {current_month} (current): p50 {results['report_current_p50_ms']} ms, "
              f"p95 {results['report_current_p95_ms']} ms")
        print(f"report page (WSGI): p50 {results['page_p50_ms']} ms, p95 {results['page_p95_ms']} ms")
        print(f"stocktake close: {close_ms} ({close_note})")
        print(f"load average after: {scan.load_average()}")
    finally:
        if not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{RUN}{suffix}").unlink(missing_ok=True)
    print(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
