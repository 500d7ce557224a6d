"""Monthly loss report benchmark at hotel-group scale (issue 6, "Benchmark"; issue 14, point 2).

Run from the repository root with the project's venv::

    .venv/bin/python bench/report.py                       # 1 M events, SQLite and PostgreSQL
    .venv/bin/python bench/report.py --events 5000000      # 5 M events
    .venv/bin/python bench/report.py --databases sqlite --samples 50

1. The data: at the default scale (1,000,000 events) the scale database of
   ``bench/scan.py`` (``bench/.data/scale.sqlite3``; built only when there is
   none, a cached one is used even if its stamp is older, with a note); at any
   other ``--events`` its builder (``scan.build``, read-only use) makes
   ``bench/.data/report-scale-N.sqlite3`` once and caches it. Each run works on
   a copy (``bench/.data/report-run.sqlite3``) brought to the current
   migrations; for PostgreSQL the copy is loaded (COPY) into a database of its
   own, ``kiosk_bench_report``, made and dropped on the server of
   ``KIOSK_BENCH_POSTGRES_URL`` (default
   ``postgresql://postgres@127.0.0.1:5432/test``; that database itself is only
   connected to).
2. Per database: times ``kiosk.reports.services.loss_report`` plus its JSON
   shape for the last full month of the data (its first run, which stores the
   month's stock snapshots, apart) and the current month, then the report page
   and the XLSX through the WSGI app (a supervisor signed in).
3. Times closing a stocktake of 20,000 garments (claim with
   ``kiosk.stocktake.services.close``, then ``finish_closing``).

The last line printed is one JSON object: ``report_p50_ms``, ``report_p95_ms``,
``page_p50_ms``, ``xlsx_p50_ms``, ``stocktake_close_ms`` (SQLite, as before),
``report_ms_<size>_sqlite`` / ``report_ms_<size>_pg`` (the page's p50 at that
many events, e.g. ``report_ms_5m_pg``), ``xlsx_ms_<size>_<db>`` and every
figure per database under ``sqlite`` and ``pg``.
"""
from __future__ import annotations

import argparse
import datetime as dt
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
if __name__ == "__main__":
    # Run as a script, Python puts bench/ first on the path, where bench/queue.py stands in for the
    # standard library's queue (psycopg imports it): the folder's modules are bench.NAME instead.
    sys.path[:] = [entry for entry in sys.path if Path(entry or os.curdir).resolve() != ROOT / "bench"]

from bench import scan  # noqa: E402  (the builder and its cache, used read-only)

os.environ.setdefault("KIOSK_SECRET_KEY", "bench")
os.environ.setdefault("KIOSK_INSTANCE_PATH", str(scan.DATA_DIR / "instance"))

ZONE = "Asia/Shanghai"
RUN = scan.DATA_DIR / "report-run.sqlite3"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
PG_DATABASE = "kiosk_bench_report"
SHORT = {"sqlite": "sqlite", "postgresql": "pg"}


def cached_database(args) -> tuple[Path, str]:
    if (args.garments, args.employees, args.events, args.seed) == (scan.GARMENTS, scan.EMPLOYEES, scan.EVENTS,
                                                                   scan.SEED):
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
    # Another scale: the same builder, cached under its own name (scan.py keeps one scale only).
    path = scan.DATA_DIR / f"report-scale-{args.events}.sqlite3"
    meta = scan.DATA_DIR / f"report-scale-{args.events}.json"
    key = [args.garments, args.employees, args.events, args.seed, scan.BUILDER_VERSION]
    if path.exists() and meta.exists() and json.loads(meta.read_text()).get("key") == key:
        return path, "reused"
    scan.DATA_DIR.mkdir(parents=True, exist_ok=True)
    print(f"building {args.events:,} events with bench/scan.py's builder...", flush=True)
    info = scan.build(path, garments=args.garments, employees=args.employees, events=args.events, seed=args.seed)
    meta.write_text(json.dumps({"key": key, **info.__dict__}, ensure_ascii=False))
    return path, f"built in {info.build_s} s"


def copy_of(source: Path) -> Path:
    con = sqlite3.connect(source)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{RUN}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, RUN)
    upgrade(f"sqlite:///{RUN}")
    return RUN


def upgrade(url: str) -> None:
    """Bring a database to the current migrations (a cached one may predate the newest tables
    and indexes); cheap next to rebuilding the events."""
    import flask_migrate

    from kiosk import create_app
    from kiosk.extensions import db

    started = time.perf_counter()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    print(f"{url.split(':')[0]} at the current migrations in {time.perf_counter() - started:.1f} s", flush=True)


def _server_url(url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql", database=database).render_as_string(hide_password=False)


def _admin(url: str, sql: str) -> None:
    """CREATE / DROP DATABASE, sent over a connection to the given database (itself never changed)."""
    import psycopg

    with psycopg.connect(_server_url(url, make_url_database(url)), autocommit=True) as con:
        con.execute(sql)


def make_url_database(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).database or "postgres"


def postgres_copy(sqlite_file: Path, url: str) -> str:
    """A PostgreSQL database of its own holding what the SQLite copy holds; its URL."""
    import psycopg

    _admin(url, f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
    _admin(url, f'CREATE DATABASE "{PG_DATABASE}"')
    target = _server_url(url, PG_DATABASE)
    sa_url = target.replace("postgresql://", "postgresql+psycopg://", 1)
    upgrade(sa_url)
    started = time.perf_counter()
    source = sqlite3.connect(f"file:{sqlite_file}?mode=ro", uri=True)
    with psycopg.connect(target) as con:
        tables = [r[0] for r in con.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
        indexes = con.execute(
            "SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = 'public' AND NOT EXISTS ("
            " SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)").fetchall()
        for name, _definition in indexes:  # loaded faster without them; made again after
            con.execute(f'DROP INDEX "{name}"')
        con.execute("SET session_replication_role = replica")  # the foreign keys hold in the source
        # What the migrations seeded (checklist items, ...) is in the source too.
        con.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables))
        rows = 0
        for table in tables:
            pg_columns = {r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s", (table,))}
            columns = [r[1] for r in source.execute(f'PRAGMA table_info("{table}")') if r[1] in pg_columns]
            names = ", ".join(f'"{c}"' for c in columns)
            with con.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in source.execute(f'SELECT {names} FROM "{table}"'):
                    copy.write_row(row)
                    rows += 1
            if "id" in columns:
                con.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                            f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)')
        for _name, definition in indexes:
            con.execute(definition)
        con.commit()
    source.close()
    with psycopg.connect(target, autocommit=True) as con:
        con.execute("VACUUM ANALYZE")
    print(f"postgresql: {rows:,} rows loaded and analysed in {time.perf_counter() - started:.1f} s", flush=True)
    return sa_url


def months_of(path: Path) -> tuple[str, str]:
    """(last full month, month of the latest event) in the hotel's zone."""
    from kiosk.domain import calendar

    con = sqlite3.connect(path)
    latest = con.execute("SELECT MAX(created_at) FROM events").fetchone()[0]
    con.close()
    last = calendar.local_date(dt.datetime.fromisoformat(latest).replace(tzinfo=dt.timezone.utc), ZONE)
    return calendar.month_of(calendar.add_months(last, -1)), calendar.month_of(last)


def time_service(app, month: str, samples: int) -> tuple[float, list[float], dict]:
    """(first run, later runs, figures): the first run of a closed month stores its stock snapshots."""
    from kiosk.extensions import db
    from kiosk.reports import services

    times, figures = [], {}
    with app.app_context():
        started = time.perf_counter()
        figures = services.to_json(services.loss_report(db.session, month, zone=ZONE))
        db.session.commit()
        first = (time.perf_counter() - started) * 1000
        for _ in range(samples):
            started = time.perf_counter()
            figures = services.to_json(services.loss_report(db.session, month, zone=ZONE))
            db.session.commit()
            times.append((time.perf_counter() - started) * 1000)
    return first, times, figures


def sign_in(app) -> tuple[object, int]:
    """The bench's supervisor (scan.py's builder makes them, PIN scan.BENCH_PIN; added when the
    database has none), signed in through the login form."""
    from sqlalchemy import select

    from kiosk.auth.services import create_user
    from kiosk.extensions import db
    from kiosk.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.name == scan.BENCH_SUPERVISOR))
        if user is None:
            user = create_user(db.session, scan.BENCH_SUPERVISOR, "supervisor", scan.BENCH_PIN,
                               hash_method=scan.FAST_HASH)
            db.session.commit()
        user_id = user.id
    client = app.test_client()
    if client.post("/login", data={"user_id": user_id, "pin": scan.BENCH_PIN}).status_code != 302:
        raise SystemExit("could not sign in the benchmark supervisor")
    return client, user_id


def time_get(client, url: str, samples: int) -> list[float]:
    times = []
    client.get(url)
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
    return times


def stocktake_close(app, month: str, supervisor_id: int) -> tuple[float | None, str]:
    """Close a stocktake of the whole stock: claim it, then finish it (the unseen marked missing).

    The worst case: nothing scanned, so every garment expected in the room
    (not issued, not on loan) is marked missing through the ledger at the close.
    """
    from sqlalchemy import func, select

    from kiosk.auth.services import Policy
    from kiosk.extensions import db
    from kiosk.models import Event, User
    from kiosk.stocktake import services as stocktake

    with app.app_context():
        supervisor = db.session.get(User, supervisor_id)
        counter = db.session.scalar(select(User).where(User.name == scan.BENCH_USER))
        count = stocktake.open_stocktake(db.session, month, user=supervisor)
        db.session.commit()
        before = db.session.scalar(select(func.count()).select_from(Event))
        started = time.perf_counter()
        claimed = stocktake.close(db.session, count.id, supervisor=supervisor, supervisor_pin=scan.BENCH_PIN,
                                  counter=counter, counter_pin=scan.BENCH_PIN,
                                  policy=Policy(hash_method=scan.FAST_HASH))
        db.session.commit()
        stocktake.finish_closing(db.session, claimed)
        elapsed = (time.perf_counter() - started) * 1000
        marked = db.session.scalar(select(func.count()).select_from(Event)) - before
    return round(elapsed, 3), (f"one close of a count of all {scan.GARMENTS:,} garments with nothing "
                               f"scanned (worst case): {marked:,} garments marked missing")


def measure(url: str, closed_month: str, current_month: str, samples: int) -> dict:
    from kiosk import create_app
    from kiosk.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
                      "KIOSK_PIN_HASH_METHOD": scan.FAST_HASH, "BABEL_DEFAULT_TIMEZONE": ZONE,
                      "KIOSK_PRINT_WORKER": False})
    try:
        first, closed_times, figures = time_service(app, closed_month, samples)
        _first, current_times, _ = time_service(app, current_month, samples)
        client, supervisor_id = sign_in(app)
        page = time_get(client, f"/reports/?month={closed_month}", samples)
        xlsx = time_get(client, f"/reports/loss.xlsx?month={closed_month}", samples)
        current_page = time_get(client, f"/reports/?month={current_month}", samples)
        close_ms, close_note = stocktake_close(app, current_month, supervisor_id)
    finally:
        with app.app_context():
            db.engine.dispose()
    closed, current = scan.summary(closed_times), scan.summary(current_times)
    return {
        "report_first_ms": round(first, 3),
        "report_p50_ms": closed["p50_ms"], "report_p95_ms": closed["p95_ms"],
        "report_current_p50_ms": current["p50_ms"], "report_current_p95_ms": current["p95_ms"],
        "page_p50_ms": scan.summary(page)["p50_ms"], "page_p95_ms": scan.summary(page)["p95_ms"],
        "xlsx_p50_ms": scan.summary(xlsx)["p50_ms"], "xlsx_p95_ms": scan.summary(xlsx)["p95_ms"],
        "current_page_p50_ms": scan.summary(current_page)["p50_ms"],
        "current_page_p95_ms": scan.summary(current_page)["p95_ms"],
        "stocktake_close_ms": close_ms, "stocktake_close_note": close_note,
        "figures": {k: figures[k] for k in ("opening", "purchased", "closing", "unexplained", "loss_rate")},
    }


def _size(events: int) -> str:
    return f"{events / 1_000_000:g}m"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--garments", type=int, default=scan.GARMENTS)
    parser.add_argument("--employees", type=int, default=scan.EMPLOYEES)
    parser.add_argument("--events", type=int, default=scan.EVENTS)
    parser.add_argument("--seed", type=int, default=scan.SEED)
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="which to measure, comma-separated (default: sqlite,postgresql)")
    parser.add_argument("--keep", action="store_true",
                        help="keep bench/.data/report-run.sqlite3 and the PostgreSQL database")
    args = parser.parse_args(argv)
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    pg_url = os.environ.get("KIOSK_BENCH_POSTGRES_URL", POSTGRES_URL)

    print(f"load average before: {scan.load_average()} on {os.cpu_count()} CPUs")
    source, note = cached_database(args)
    print(f"database: {note} {source.relative_to(ROOT)}")
    path = copy_of(source)
    closed_month, current_month = months_of(path)
    events = sqlite3.connect(path).execute("SELECT COUNT(*) FROM events").fetchone()[0]
    results: dict = {"events": events, "report_month": closed_month, "report_current_month": current_month,
                     "samples": args.samples}
    size = _size(args.events)
    try:
        # PostgreSQL gets the data before SQLite is measured (that run adds a user and a close).
        urls = {database: f"sqlite:///{path}" if database == "sqlite" else postgres_copy(path, pg_url)
                for database in databases}
        for database, url in urls.items():
            figures = measure(url, closed_month, current_month, args.samples)
            short = SHORT[database]
            results[short] = figures
            results[f"report_ms_{size}_{short}"] = figures["page_p50_ms"]
            results[f"xlsx_ms_{size}_{short}"] = figures["xlsx_p50_ms"]
            print(f"{database} at {events:,} events, {closed_month}: first report (stores the snapshots) "
                  f"{figures['report_first_ms']} ms; service + JSON p50 {figures['report_p50_ms']} ms, "
                  f"p95 {figures['report_p95_ms']} ms; page p50 {figures['page_p50_ms']} ms, "
                  f"p95 {figures['page_p95_ms']} ms; XLSX p50 {figures['xlsx_p50_ms']} ms, "
                  f"p95 {figures['xlsx_p95_ms']} ms", flush=True)
            print(f"{database} {current_month} (current): service p50 {figures['report_current_p50_ms']} ms, "
                  f"page p50 {figures['current_page_p50_ms']} ms; stocktake close {figures['stocktake_close_ms']} ms "
                  f"({figures['stocktake_close_note']})", flush=True)
            if database == "postgresql" and not args.keep:
                _admin(pg_url, f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        if "sqlite" in results:  # the keys of before, for SQLite
            results.update({k: results["sqlite"][k] for k in (
                "report_p50_ms", "report_p95_ms", "report_current_p50_ms", "report_current_p95_ms",
                "page_p50_ms", "page_p95_ms", "xlsx_p50_ms", "stocktake_close_ms", "stocktake_close_note")})
        print(f"load average after: {scan.load_average()}")
    finally:
        if not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{RUN}{suffix}").unlink(missing_ok=True)
    print(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
