"""The kiosk's log (kiosk.logs): a line per request with no personal data, JSON for a collector,
a file logrotate can move, errors with their time and traceback, print outcomes."""
from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from kiosk.extensions import db

from .conftest import login
from .serving import serve

REPO = Path(__file__).resolve().parents[1]
PIN, PHONE = "7193", "13912345678"


def _request_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "kiosk.request"]


def test_every_request_has_one_line_with_who_what_and_how_long_but_no_pin_phone_or_query(app, client, make,
                                                                                       caplog):
    caplog.set_level(logging.INFO)
    user = make.user("王芳", pin=PIN)
    db.session.commit()
    login(client, user.id, PIN)
    client.get(f"/registry/employees?q={PHONE}")
    client.post("/loans/new", data={"phone": PHONE, "name": "访客", "pin": PIN})
    lines = _request_lines(caplog)
    assert [(r.method, r.path) for r in lines] == [("POST", "/login"), ("GET", "/registry/employees"),
                                                   ("POST", "/loans/new")]
    signed_in = lines[1]
    assert signed_in.operator == user.id and signed_in.status in (200, 403) and signed_in.ms >= 0
    assert lines[0].operator is None  # the sign-in itself comes from nobody yet
    assert re.fullmatch(rf"127\.0\.0\.1 op={user.id} GET /registry/employees \d{{3}} \d+ms", signed_in.getMessage())
    said = "\n".join(record.getMessage() for record in lines)
    assert PIN not in said and PHONE not in said and "王芳" not in said and "访客" not in said


def test_a_crash_is_logged_with_its_traceback_and_its_request_line(app, client, login_as, caplog):
    from kiosk.web import roles

    @roles("any")
    def broken():
        raise RuntimeError("the printer driver fell over")

    app.add_url_rule("/test-broken", "test_broken", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    login_as("clerk")
    caplog.set_level(logging.INFO)
    assert client.get("/test-broken").status_code == 500
    [crash] = [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]
    assert "the printer driver fell over" in caplog.text and "Traceback" in caplog.text
    assert crash.exc_info[0] is RuntimeError
    assert [(r.path, r.status) for r in _request_lines(caplog)][-1] == ("/test-broken", 500)


def test_a_print_job_outcome_is_logged(app, client, login_as, make, caplog, printers):
    from kiosk.printing import process_queue

    fake = printers("paper_end")
    app.config["KIOSK_PRINTER"] = fake.url
    tag = make.garment(owner=make.employee()).tag
    db.session.commit()
    login_as("clerk")
    client.post(f"/print/garment/{tag}/tag", headers={"HX-Request": "true"})
    caplog.set_level(logging.INFO)
    process_queue(app)
    [line] = [r for r in caplog.records if r.name == "kiosk.print"]
    assert line.levelno == logging.WARNING and re.match(r"print job \d+ failed on tcp://127\.0\.0\.1:\d+: ",
                                                        line.getMessage())


def _serve(tmp_path: Path, **settings: str) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update(KIOSK_INSTANCE_PATH=str(tmp_path / "instance"),
               KIOSK_DATABASE_URL=f"sqlite:///{tmp_path / 'kiosk.sqlite3'}", **settings)
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=REPO, env=env,
                   check=True, capture_output=True)
    return serve(env, stderr=subprocess.PIPE)


def _lines(path: Path, count: int) -> list[dict]:
    for _ in range(50):
        lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        if len([e for e in lines if e["logger"] == "kiosk.request"]) >= count:
            return lines
        time.sleep(0.1)
    raise AssertionError(f"{path}: {path.read_text() if path.exists() else 'missing'}")


def test_json_lines_into_a_file_that_logrotate_moves_away(tmp_path):
    log = tmp_path / "kiosk.log"
    server, url = _serve(tmp_path, KIOSK_LOG_FILE=str(log), KIOSK_LOG_FORMAT="json")
    try:
        urllib.request.urlopen(f"{url}/login?next=/x&phone={PHONE}", timeout=5).read()
        entries = _lines(log, 3)  # the start's /healthz, the sign-in page, the first-run page it leads to
        [request] = [e for e in entries if e["logger"] == "kiosk.request" and e["path"] == "/login"]
        assert (request["method"], request["status"]) == ("GET", 302)  # no operator yet: to /setup
        assert request["client"] == "127.0.0.1" and request["operator"] is None and request["ms"] >= 0
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", request["time"])
        assert PHONE not in log.read_text()
        # logrotate moves the file away (no copytruncate): the next line goes to a new file.
        log.rename(tmp_path / "kiosk.log.1")
        urllib.request.urlopen(f"{url}/healthz", timeout=5).read()
        [after] = [e for e in _lines(log, 1) if e["logger"] == "kiosk.request"]
        assert after["path"] == "/healthz"
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()
    assert (tmp_path / "kiosk.log.1").exists()


def test_text_lines_on_stderr_start_with_their_time(tmp_path):
    server, url = _serve(tmp_path)
    try:
        urllib.request.urlopen(f"{url}/login", timeout=5).read()
    finally:
        server.terminate()
        server.wait(timeout=30)
    said = server.stderr.read().decode()
    server.stderr.close()
    [line] = [line for line in said.splitlines() if "GET /login" in line]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO kiosk\.request: 127\.0\.0\.1 op=- GET /login 302 \d+ms$",
                    line)


def test_under_a_url_prefix_the_line_names_the_path_the_tablet_asked_for(tmp_path, monkeypatch, caplog):
    from kiosk import create_app

    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("KIOSK_URL_PREFIX", "/kiosk")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'k.sqlite3'}", "TESTING": True,
                      "KIOSK_PRINT_WORKER": False})
    caplog.set_level(logging.INFO)
    app.test_client().get("/kiosk/login")
    assert [r.path for r in _request_lines(caplog)] == ["/kiosk/login"]
