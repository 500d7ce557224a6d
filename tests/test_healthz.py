"""GET /healthz tells the truth, and a write the database refuses is said as such.

- 200 with the version, the migration revision, the free space and the print
  queue; a printer out of paper stays a 200 (the body says it).
- 503 with the reason: the database unreachable, at another migration than
  the code, read-only, its disk (nearly) full.
- A scan refused by a full disk: the clerk reads that storage is full and
  nothing was saved; what was committed before survives. SQLite runs on a
  tiny tmpfs in a mount namespace of its own (``unshare -m``, real ENOSPC);
  PostgreSQL gets the disk-full error injected (a trigger raising SQLSTATE
  53100, what the server raises when it cannot extend a file).
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text

from kiosk import create_app
from kiosk.extensions import db
from kiosk.models import PrintJob
from tests.printers.fakeprinter import free_port

from .scans import HX, garment, scan_result, text_of

REPO = Path(__file__).resolve().parents[1]
SCAN = {**HX, "HX-Target": "scan-result"}


def test_healthz_answers_200_with_what_the_monitoring_reads(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok" and "reason" not in body
    assert body["revision"]["database"] == body["revision"]["code"] and re.fullmatch(r"\d{4}", body["revision"]["code"])
    assert body["disk"]["free_mb"] > 0 and body["version"]
    assert body["print"] == {"waiting": 0, "failed": 0, "printer": "unused"}


def test_a_printer_out_of_paper_is_in_the_body_never_a_503(app, client, login_as, make, printers):
    """A real tag to a printer that answers "paper end" (the fake TCP printer): the job fails, /healthz stays 200."""
    from kiosk.printing import process_queue

    fake = printers("paper_end")
    app.config["KIOSK_PRINTER"] = fake.url
    tag = make.garment(owner=make.employee()).tag
    db.session.commit()
    login_as("clerk")
    client.post(f"/print/garment/{tag}/tag", headers=HX)
    process_queue(app)
    assert db.session.scalar(select(PrintJob.status)) == "failed"
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["print"]["failed"] == 1 and body["print"]["printer"] == "failed"


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path))
    # A SQLite file inside a directory that does not exist cannot be opened.
    app = create_app({"TESTING": True, "KIOSK_PRINT_WORKER": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error" and "database: unable to open database file" in response.get_json()["reason"]


def test_healthz_answers_503_when_the_database_is_at_another_migration(app, client):
    with app.app_context():
        head = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        db.session.execute(text("UPDATE alembic_version SET version_num = '0011'"))
        db.session.commit()
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["revision"]["database"] == "0011"
        assert "run flask --app app db upgrade" in body["reason"]
    finally:  # the test databases are recycled: leave it at the head
        with app.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
            db.session.commit()


def test_healthz_answers_503_when_the_disk_is_nearly_full(app, client):
    app.config["KIOSK_MIN_FREE_MB"] = 10 ** 9  # more than any disk here has
    response = client.get("/healthz")
    assert response.status_code == 503 and "storage nearly full" in response.get_json()["reason"]
    app.config["KIOSK_MIN_FREE_MB"] = 1
    assert client.get("/healthz").status_code == 200


def test_healthz_answers_503_when_postgresql_will_not_take_a_write(app, client):
    from sqlalchemy import create_engine

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL pass only (SQLite: the full tmpfs below)")
        url = db.engine.url
        db.session.remove()
        db.engine.dispose()
    # A database-wide setting, undone by a connection that overrides it for itself.
    admin = create_engine(url, isolation_level="AUTOCOMMIT",
                          connect_args={"options": "-c default_transaction_read_only=off"})
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{url.database}" SET default_transaction_read_only = on'))
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json()["database"] == "read_only", response.get_json()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{url.database}" RESET default_transaction_read_only'))
        admin.dispose()


def test_a_scan_refused_by_a_full_postgresql_disk_says_so_and_nothing_is_lost(app, client, login_as, make):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL pass only; SQLite fills a real tmpfs below")
    saved = make.garment(owner=make.employee(), status="issued").tag
    full = make.garment(owner=make.employee(), status="issued").tag
    db.session.commit()
    login_as("clerk")
    assert scan_result(text_of(client.post("/checkin/scan", data={"code": saved}, headers=SCAN))) == "ok"
    db.session.execute(text("""
        CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$;
        CREATE TRIGGER disk_full BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION disk_full();"""))
    db.session.commit()
    answer = client.post("/checkin/scan", data={"code": full}, headers=SCAN)
    assert answer.status_code < 500
    assert scan_result(text_of(answer)) == "error"
    assert "storage is full, so nothing was saved" in text_of(answer)
    db.session.expire_all()
    assert garment(saved).status == "dirty" and garment(full).status == "issued"


# --- SQLite on a real full (or read-only) disk, in a mount namespace of its own -------------

def _namespaces_work() -> bool:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.fixture
def tiny_disk_kiosk(tmp_path, monkeypatch):
    """A migrated SQLite kiosk with a clerk (PIN 2580) and 400 issued garments, served from a 4 MB
    tmpfs mounted in a mount namespace of its own; ``state`` 'full' leaves ~1.5 MB free. (A tmpfs in
    use cannot be remounted read-only: PostgreSQL's read-only test above stands for that case.)"""
    if not _namespaces_work():
        pytest.skip("needs root and unshare -m (a mount namespace) to mount a tiny tmpfs")
    from tests.conftest import Factory

    prepared = tmp_path / "prepared.sqlite3"
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{prepared}", "TESTING": True})
    with app.app_context():
        upgrade()
        make = Factory()
        make.user("收发员", role="clerk", pin="2580")
        owner = make.employee()
        tags = [make.garment(f"FULL-{n:03d}", owner=owner, status="issued").tag for n in range(400)]
        db.session.commit()
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.remove()
        db.engine.dispose()
    started: list[subprocess.Popen] = []

    def start(state: str):
        mount = tmp_path / "tiny"
        mount.mkdir(exist_ok=True)
        port = free_port()
        after = {"full": f"dd if=/dev/zero of={mount}/filler bs=64k count=24 2>/dev/null"}[state]
        script = (f"mount -t tmpfs -o size=4m tmpfs {mount} && cp {prepared} {mount}/kiosk.sqlite3 && {after} && "
                  f"exec {sys.executable} -m flask --app app kiosk serve --port {port}")
        env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
        env.update(KIOSK_INSTANCE_PATH=str(tmp_path / "instance"), KIOSK_DATABASE_URL=f"sqlite:///{mount}/kiosk.sqlite3",
                   KIOSK_MIN_FREE_MB="1", KIOSK_LANGUAGE="en")
        process = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", script], cwd=REPO,
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{url}/login", timeout=1).read()
                return _Browser(url), tags
            except OSError:
                time.sleep(0.2)
        process.kill()
        raise AssertionError(f"kiosk serve did not start: {process.stderr.read().decode()[-2000:]}")

    yield start
    for process in started:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        process.stderr.close()


class _Browser:
    """A tablet talking HTTP to the kiosk: cookies, the page's CSRF token, htmx headers."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.token = ""

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.url + path))

    def post(self, path: str, data: dict, headers: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode({**data, "csrf_token": self.token}).encode()
        return self._open(urllib.request.Request(self.url + path, data=body, headers=headers or {}))

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                status, page = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, page = error.code, error.read().decode()
        found = re.search(r'name="csrf-token" content="([^"]+)"', page)
        if found:
            self.token = found.group(1)
        return status, page

    def sign_in(self) -> None:
        _status, page = self.get("/login")
        user_id = re.search(r'name="user_id" value="(\d+)"', page).group(1)
        status, page = self.post("/login", {"user_id": user_id, "pin": "2580"})
        assert status == 200 and "Sign out" in page, page[-500:]
        self.get("/checkin/")

    def health(self) -> tuple[int, dict]:
        status, page = self.get("/healthz")
        return status, json.loads(page)


def test_a_scan_on_a_full_disk_says_storage_is_full_and_what_was_saved_survives(tiny_disk_kiosk):
    tablet, tags = tiny_disk_kiosk("full")
    assert tablet.health()[0] == 200
    tablet.sign_in()
    saved, refusal = [], None
    for tag in tags:
        status, answer = tablet.post("/checkin/scan", {"code": tag},
                                     {"HX-Request": "true", "HX-Target": "scan-result"})
        assert status < 500 or "storage is full" in answer, answer[-800:]
        if scan_result(answer) == "ok":
            saved.append(tag)
            continue
        refusal = answer
        break
    assert refusal is not None, "the disk never filled"
    assert "storage is full, so nothing was saved" in refusal
    assert "Traceback" not in refusal
    status, body = tablet.health()
    assert status == 503 and ("storage" in body["reason"] or body["database"] == "full"), body
    # Everything answered green was committed and is still there.
    assert len(saved) > 10
    for tag in (saved[0], saved[len(saved) // 2], saved[-1]):
        _status, page = tablet.get(f"/garment/{tag}")
        assert 'data-status="dirty"' in page or "dirty" in page.lower(), tag
