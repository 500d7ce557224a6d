"""The floor under a scan's CPU: what the kiosk's own stack costs before any of its logic.

Issue 14 compares the kiosk's CPU per scan with a bare WSGI app on waitress that runs the
same SQL (``scan_cpu_ratio_wsgi`` in ``bench/scan.py``). This script measures how much of
that ratio the stack itself takes, with no kiosk code at all: three tiny servers, each on
waitress (as many threads as ``kiosk serve``), answer the same scan form with the same seven
statements on the same SQLite file (the operator and the property signed in to by their sign-in
token, the garment by its tag in that property, its latest event, the write lock, the garment's
row where its version and property match, the event with its property, the commit: the kiosk's
``property_id`` criteria of kiosk.scope), and a small HTML answer:

- ``bare``: a WSGI function, the statements through the ``sqlite3`` driver (the scan bench's floor);
- ``flask``: Flask with what every kiosk request has: a signed session cookie, Flask-WTF's CSRF
  check of the ``X-CSRFToken`` header, Flask-Babel's ``gettext`` and a Jinja template; the
  statements still through the driver;
- ``flask_core``: the same, the statements as SQLAlchemy Core built once, on Flask-SQLAlchemy's
  session connection (``kiosk.database.run_core``'s way, the cheapest the kiosk uses).

Run from the repository root with the project's venv::

    .venv/bin/python bench/floor.py                 # 10 rounds of 300 requests per server
    .venv/bin/python bench/floor.py --requests 100 --rounds 3

The servers take turns (a round of each, ten times), so all see the same background load;
CPU is each server process's (all threads, ``/proc/PID/task/*/schedstat``) over its requests,
and ``raw`` is the same statements run in this process by the driver (this thread's CPU). The
last line is one JSON object: CPU ms per request of each, and the ratios ``flask_over_bare``,
``flask_core_over_bare`` and ``flask_core_over_raw``: the part of the kiosk's two ratios
that no change inside the kiosk can remove.
"""
from __future__ import annotations

import argparse
import http.client
import json
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scan import percentile, process_cpu_s  # noqa: E402 - the scan bench's own CPU reading

GARMENTS = 10_000
TOKEN = "floor-token"
PROPERTY = 1  # the property signed in to (kiosk.models.FIRST_PROPERTY)
KINDS = ("bare", "flask", "flask_core")

SQL = {
    "user": "SELECT users.id, users.name, users.role, sessions.property_id FROM users "
            "JOIN sessions ON sessions.user_id = users.id WHERE sessions.token = ? AND sessions.ended_at IS NULL",
    "garment": "SELECT id, tag, status, version, wash_count, property_id FROM garments WHERE tag = ? AND property_id = ?",
    "latest": "SELECT id, station, created_at FROM events WHERE garment_id = ? ORDER BY id DESC LIMIT 1",
    "update": "UPDATE garments SET status = ?, version = ?, wash_count = ? WHERE id = ? AND version = ? "
              "AND property_id = ?",
    "insert": "INSERT INTO events (property_id, garment_id, from_status, to_status, user_id, station, created_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)",
}
ANSWER = """<section id="scan-result" class="scan-result result-ok" role="status" data-scan-result="ok"
  data-tag="{{ tag }}"><p class="result-word">{{ _("Done") }}</p>
  <p class="result-message">{{ _("%(tag)s is checked in.", tag=tag) }} {{ who }}</p></section>"""


def build(path: Path) -> None:
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, role TEXT);
        CREATE TABLE sessions (id INTEGER PRIMARY KEY, user_id INTEGER, property_id INTEGER, token TEXT UNIQUE,
                               ended_at TEXT);
        CREATE TABLE garments (id INTEGER PRIMARY KEY, property_id INTEGER NOT NULL, tag TEXT UNIQUE, status TEXT,
                               version INTEGER, wash_count INTEGER);
        CREATE TABLE events (id INTEGER PRIMARY KEY, property_id INTEGER NOT NULL, garment_id INTEGER,
                             from_status TEXT, to_status TEXT, user_id INTEGER, station TEXT, created_at TEXT);
        CREATE INDEX events_garment ON events (garment_id, id);
        PRAGMA journal_mode=WAL;""")
    con.execute("INSERT INTO users VALUES (1, '压测收发', 'clerk')")
    con.execute("INSERT INTO sessions VALUES (1, 1, ?, ?, NULL)", (PROPERTY, TOKEN))
    con.executemany("INSERT INTO garments VALUES (?, ?, ?, 'issued', 1, 0)",
                    [(i, PROPERTY, f"T-{i:06d}") for i in range(1, GARMENTS + 1)])
    con.commit()
    con.close()


def scan_sql(run, begin, commit, tag: str) -> str:
    """The seven statements of one scan; ``run(name, params)`` answers rows."""
    who = run("user", (TOKEN,))[0]
    here = who[3]  # the sign-in's property: what the garment is looked for in and moved in
    garment = run("garment", (tag, here))[0]
    run("latest", (garment[0],))
    begin()
    status = "dirty" if garment[2] == "issued" else "issued"
    run("update", (status, garment[3] + 1, garment[4] + 1, garment[0], garment[3], here))
    run("insert", (garment[5], garment[0], garment[2], status, who[0], "checkin",
                   time.strftime("%Y-%m-%d %H:%M:%S")))
    commit()
    return who[1]


def driver(path: str):
    con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    con.execute("PRAGMA synchronous=FULL")
    return con


def bare_app(path: str):
    import threading
    local = threading.local()

    def app(environ, start_response):
        con = getattr(local, "con", None) or driver(path)
        local.con = con
        size = int(environ.get("CONTENT_LENGTH") or 0)
        tag = urllib.parse.parse_qs(environ["wsgi.input"].read(size).decode())["code"][0]
        who = scan_sql(lambda name, p: con.execute(SQL[name], p).fetchall(),
                       lambda: con.execute("BEGIN IMMEDIATE"), lambda: con.execute("COMMIT"), tag)
        body = (f'<section id="scan-result" data-scan-result="ok" data-tag="{tag}"><p>完成</p>'
                f"<p>{tag} {who}</p></section>").encode()
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]
    return app


def flask_app(path: str, core: bool):
    import threading

    from flask import Flask, render_template, request, session
    from jinja2 import DictLoader
    from flask_babel import Babel, gettext
    from flask_wtf.csrf import CSRFProtect, generate_csrf

    app = Flask(__name__)
    app.config.update(SECRET_KEY="floor", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    CSRFProtect(app)
    Babel(app, locale_selector=lambda: "zh_CN")
    app.jinja_env.globals["_"] = gettext
    app.jinja_loader = DictLoader({"answer.html": ANSWER})  # loaded and compiled once, as the kiosk's
    if core:
        from flask_sqlalchemy import SQLAlchemy
        from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, insert, select, update

        db = SQLAlchemy(app)
        meta = MetaData()
        users = Table("users", meta, Column("id", Integer, primary_key=True), Column("name", String),
                      Column("role", String))
        sessions = Table("sessions", meta, Column("id", Integer, primary_key=True), Column("user_id", Integer),
                         Column("property_id", Integer), Column("token", String), Column("ended_at", String))
        garments = Table("garments", meta, Column("id", Integer, primary_key=True), Column("property_id", Integer),
                         Column("tag", String), Column("status", String), Column("version", Integer),
                         Column("wash_count", Integer))
        events = Table("events", meta, Column("id", Integer, primary_key=True), Column("property_id", Integer),
                       Column("garment_id", Integer), Column("from_status", String), Column("to_status", String),
                       Column("user_id", Integer), Column("station", String), Column("created_at", String))
        # the same statements as SQL above, built once as Core (as the kiosk's are)
        statements = {
            "user": select(users.c.id, users.c.name, users.c.role, sessions.c.property_id)
                    .join(sessions, sessions.c.user_id == users.c.id)
                    .where(sessions.c.token == bindparam("p0"), sessions.c.ended_at.is_(None)),
            "garment": select(garments.c.id, garments.c.tag, garments.c.status, garments.c.version,
                              garments.c.wash_count, garments.c.property_id)
                       .where(garments.c.tag == bindparam("p0"), garments.c.property_id == bindparam("p1")),
            "latest": select(events.c.id, events.c.station, events.c.created_at)
                      .where(events.c.garment_id == bindparam("p0")).order_by(events.c.id.desc()).limit(1),
            "update": update(garments).where(garments.c.id == bindparam("p3"), garments.c.version == bindparam("p4"),
                                             garments.c.property_id == bindparam("p5"))
                      .values(status=bindparam("p0"), version=bindparam("p1"), wash_count=bindparam("p2")),
            "insert": insert(events).values(property_id=bindparam("p0"), garment_id=bindparam("p1"),
                                            from_status=bindparam("p2"), to_status=bindparam("p3"),
                                            user_id=bindparam("p4"), station=bindparam("p5"),
                                            created_at=bindparam("p6")),
        }

        def run(name, params):
            result = db.session.connection().execute(statements[name], {f"p{i}": v for i, v in enumerate(params)})
            return result.fetchall() if result.returns_rows else None

        def begin():
            db.session.connection().exec_driver_sql("BEGIN IMMEDIATE")

        def commit():
            db.session.commit()
    else:
        local = threading.local()

        def con():
            local.con = getattr(local, "con", None) or driver(path)
            return local.con

        def run(name, params):
            return con().execute(SQL[name], params).fetchall()

        def begin():
            con().execute("BEGIN IMMEDIATE")

        def commit():
            con().execute("COMMIT")

    @app.get("/")
    def page():
        session["sid"] = TOKEN
        return generate_csrf()

    @app.post("/scan")
    def scan():
        assert session["sid"] == TOKEN
        tag = request.form["code"]
        who = scan_sql(run, begin, commit, tag)
        return render_template("answer.html", tag=tag, who=who)
    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, kind: str, path: str):
        self.kind, self.port = kind, free_port()
        self.process = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--db", path,
                                         "--port", str(self.port)], stdout=subprocess.DEVNULL)
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.headers = {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true"}
        if kind != "bare":
            self.conn.request("GET", "/")
            response = self.conn.getresponse()
            self.headers["X-CSRFToken"] = response.read().decode()
            self.headers["Cookie"] = response.headers["Set-Cookie"].split(";", 1)[0]

    def scan(self, tag: str) -> float:
        started = time.perf_counter()
        self.conn.request("POST", "/scan", body=urllib.parse.urlencode({"code": tag}), headers=self.headers)
        response = self.conn.getresponse()
        body = response.read().decode()
        if response.status != 200 or 'data-scan-result="ok"' not in body:
            raise SystemExit(f"{self.kind} answered {response.status}: {body[:500]}")
        return (time.perf_counter() - started) * 1000

    def stop(self) -> None:
        self.conn.close()
        self.process.terminate()
        self.process.wait(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per server and round")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        from waitress import serve
        app = bare_app(args.db) if args.serve == "bare" else flask_app(args.db, core=args.serve == "flask_core")
        from kiosk.cli import SERVE_THREADS

        serve(app, host="127.0.0.1", port=args.port, threads=SERVE_THREADS, _quiet=True)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "floor.sqlite3")
        build(Path(path))
        servers = {kind: Server(kind, path) for kind in KINDS}
        cpu = dict.fromkeys(KINDS + ("raw",), 0.0)
        latency: dict[str, list[float]] = {kind: [] for kind in KINDS + ("raw",)}
        con = driver(path)
        tags = [f"T-{i:06d}" for i in range(1, GARMENTS + 1)]
        done = 0
        try:
            for kind in KINDS:  # warm-up
                for tag in tags[:20]:
                    servers[kind].scan(tag)
            for _ in range(args.rounds):
                for kind in KINDS + ("raw",):
                    batch = [tags[(done + i) % GARMENTS] for i in range(args.requests)]
                    done += args.requests
                    if kind == "raw":
                        before = time.thread_time()
                        for tag in batch:
                            started = time.perf_counter()
                            scan_sql(lambda name, p: con.execute(SQL[name], p).fetchall(),
                                     lambda: con.execute("BEGIN IMMEDIATE"), lambda: con.execute("COMMIT"), tag)
                            latency[kind].append((time.perf_counter() - started) * 1000)
                        cpu[kind] += time.thread_time() - before
                        continue
                    server = servers[kind]
                    before = process_cpu_s(server.process.pid)
                    latency[kind].extend(server.scan(tag) for tag in batch)
                    cpu[kind] += process_cpu_s(server.process.pid) - before
        finally:
            for server in servers.values():
                server.stop()
            con.close()
    n = args.requests * args.rounds
    per = {kind: round(cpu[kind] / n * 1000, 4) for kind in cpu}
    figures = {
        "cpu_ms_per_request": per,
        "p50_ms": {kind: round(percentile(values, 0.5), 3) for kind, values in latency.items()},
        "flask_over_bare": round(per["flask"] / per["bare"], 2),
        "flask_core_over_bare": round(per["flask_core"] / per["bare"], 2),
        "flask_core_over_raw": round(per["flask_core"] / per["raw"], 2),
        "requests": n,
    }
    for kind in KINDS + ("raw",):
        print(f"{kind:11s} CPU {per[kind]:.3f} ms a request, p50 {figures['p50_ms'][kind]:.2f} ms")
    print(f"flask / bare {figures['flask_over_bare']}, flask_core / bare {figures['flask_core_over_bare']}, "
          f"flask_core / raw {figures['flask_core_over_raw']}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
