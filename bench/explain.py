"""What the property's criterion costs the planner: EXPLAIN of every statement the kiosk sends
for a scan, the today board, a garment's page and a property's monthly report, on the group the
scan benchmark builds (issue 17, point 6).

    .venv/bin/python bench/explain.py [--properties 10] [--database pg|sqlite]

The group (``bench/scan.py --properties N``'s build, reused from ``bench/.data`` when it fits) is
loaded into a PostgreSQL database of its own (``kiosk_explain``, dropped at the end) or used as
the SQLite copy. The kiosk itself (in-process, the test client, signed in as a clerk and a
supervisor of property 1) asks each page; every statement it sends is recorded with its
parameters and then EXPLAINed (PostgreSQL: with ANALYZE after ``ANALYZE`` of the tables).
Printed per page: each statement's first line and its plan's nodes; at the end, every statement
that reads a property's table of over 10,000 rows without an index (a Seq Scan, or SQLite's
``SCAN``), which should be none.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

def _scan_module():
    """bench/scan.py (the builder and the loader), by its path: bench/ is not on the path (its
    queue.py would stand in for the standard library's)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_scan", Path(__file__).resolve().parent / "scan.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_scan"] = module
    spec.loader.exec_module(module)
    return module


bench = _scan_module()

PG_NAME = "kiosk_explain"


def _pages(tag: str, month: str) -> list[tuple[str, str, str, dict]]:
    """(what, role, method, request) of each page measured."""
    return [
        ("today board", "clerk", "GET", {"path": "/today/", "headers": {"HX-Request": "true"}}),
        ("garment page", "clerk", "GET", {"path": f"/garment/{tag}"}),
        ("scan (check-in)", "clerk", "POST", {"path": "/checkin/scan", "data": {"code": tag},
                                               "headers": {"HX-Request": "true", "HX-Target": "scan-result"}}),
        ("monthly loss report", "supervisor", "GET", {"path": f"/reports/?month={month}"}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--properties", type=int, default=10)
    parser.add_argument("--database", choices=("pg", "sqlite"), default="pg")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    source, _info, _reused = bench.ensure_database(bench.GARMENTS, bench.EMPLOYEES, bench.EVENTS, bench.SEED,
                                                   properties=args.properties)
    if args.database == "pg":
        url, _seconds = bench.load_postgres(source, args.pg, PG_NAME)
    else:
        url = "sqlite:///" + str(bench.fresh_copy(source, "explain"))
    try:
        report = explain_pages(url, args.database)
    finally:
        if args.database == "pg":
            bench.drop_postgres(args.pg, PG_NAME)
    print(json.dumps(report["summary"], ensure_ascii=False))


def explain_pages(url: str, kind: str) -> dict:
    from sqlalchemy import event, select, text

    from kiosk import create_app, scope
    from kiosk.extensions import db
    from kiosk.models import Garment, PerProperty, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "KIOSK_PRINT_WORKER": False, "KIOSK_ALERT_WORKER": False,
                      "WTF_CSRF_ENABLED": False, "SECRET_KEY": "explain", "KIOSK_SIGNIN_DELAY_SCALE": 0})
    owned = {m.local_table.name for m in db.Model.registry.mappers if issubclass(m.class_, PerProperty)}
    with app.app_context():
        if kind == "pg":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        # A property's table of more than 10,000 rows: read without an index, it costs; a smaller
        # one (a hotel's departments, its stocktakes) is read whole by any planner, and cheaply.
        big = {name for name in owned
               if db.session.execute(text(f'SELECT count(*) FROM (SELECT 1 FROM "{name}" LIMIT 10001) AS n')).scalar()
               > 10000}
        with scope.within(db.session, 1):
            tag = db.session.scalar(select(Garment.tag).where(Garment.status == "issued").order_by(Garment.id))
        users = {"clerk": db.session.scalar(select(User.id).where(User.name == bench.BENCH_USER)),
                 "supervisor": db.session.scalar(select(User.id).where(User.name == bench.BENCH_SUPERVISOR))}
        month = bench.last_full_month()
        pin = bench.BENCH_PIN
    clients = {}
    for role, user_id in users.items():
        client = app.test_client()
        client.post("/login/property", data={"property_id": 1})
        signed = client.post("/login", data={"user_id": user_id, "pin": pin})
        if signed.status_code != 302:
            raise SystemExit(f"could not sign in the {role}: {signed.status_code}")
        clients[role] = client
    unindexed, pages = [], {}
    for what, role, method, request in _pages(tag, month):
        sent: list[tuple[str, object]] = []

        def record(_conn, _cursor, statement, parameters, _context, many):
            if not many:  # many rows at once (a snapshot's lines): an INSERT with nothing to plan
                sent.append((statement, parameters))

        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", record)
            try:
                answer = clients[role].open(request["path"], method=method, data=request.get("data"),
                                            headers=request.get("headers"))
            finally:
                event.remove(db.engine, "before_cursor_execute", record)
        print(f"\n== {what}: {method} {request['path']} -> {answer.status_code}, {len(sent)} statements")
        plans = []
        with app.app_context():
            connection = db.engine.raw_connection()
            try:
                cursor = connection.cursor()
                for statement, parameters in sent:
                    head = statement.strip().split()[0].upper()
                    if head not in ("SELECT", "UPDATE", "DELETE", "INSERT", "WITH"):
                        continue
                    tables = sorted(set(re.findall(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+\"?(\w+)", statement)) & owned)
                    if kind == "pg":
                        cursor.execute("BEGIN")
                        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + statement, parameters)
                        lines = [row[0] for row in cursor.fetchall()]
                        cursor.execute("ROLLBACK")
                        scans = [line for line in lines if "Seq Scan on" in line and
                                 any(f"Seq Scan on {t} " in line + " " for t in big)]
                    else:
                        cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                        lines = [str(row[-1]) for row in cursor.fetchall()]
                        scans = [line for line in lines if re.match(r"SCAN (\w+)", line)
                                 and re.match(r"SCAN (\w+)", line).group(1) in big and "USING" not in line]
                    first = " ".join(statement.split())[:110]
                    print(f"- {first}")
                    for line in lines:
                        if re.search(r"Scan|SCAN|SEARCH|Index", line):
                            print(f"      {line.strip()[:130]}")
                    plans.append({"statement": first, "property_tables": tables, "unindexed": scans})
                    if scans:
                        unindexed.append((what, first, scans))
            finally:
                connection.close()
        pages[what] = plans
    print("\nStatements that read a property's table without an index:", len(unindexed))
    for what, first, scans in unindexed:
        print(f"  [{what}] {first}: {scans}")
    return {"pages": pages, "summary": {"database": kind, "statements": sum(len(p) for p in pages.values()),
                                        "unindexed": len(unindexed)}}


if __name__ == "__main__":
    main()
