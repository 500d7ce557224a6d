"""bench/floor.py's three servers do the same work for a scan, so their CPU can be compared."""
from __future__ import annotations

import importlib.util
import sqlite3
import sys
from pathlib import Path

import pytest
from werkzeug.test import Client

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def floor():
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("bench_floor", ROOT / "bench" / "floor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.path.remove(str(ROOT / "bench"))


@pytest.mark.parametrize("kind", ["bare", "flask", "flask_core"])
def test_each_floor_server_moves_the_garment_and_records_its_event(floor, kind, tmp_path):
    path = tmp_path / "floor.sqlite3"
    floor.build(path)
    app = floor.bare_app(str(path)) if kind == "bare" else floor.flask_app(str(path), core=kind == "flask_core")
    client = Client(app)
    headers = {}
    if kind != "bare":  # the Flask servers check the session cookie and the CSRF header as the kiosk does
        headers["X-CSRFToken"] = client.get("/").get_data(as_text=True)
        refused = client.post("/scan", data={"code": "T-000001"})
        assert refused.status_code == 400
    for _ in range(2):
        answer = client.post("/scan", data={"code": "T-000001"}, headers=headers)
        assert answer.status_code == 200 and 'data-scan-result="ok"' in answer.get_data(as_text=True)
    con = sqlite3.connect(path)
    try:
        assert con.execute("SELECT status, version, wash_count FROM garments WHERE tag = 'T-000001'").fetchone() \
            == ("issued", 3, 2)
        assert con.execute("SELECT from_status, to_status, user_id, station, property_id FROM events "
                           "ORDER BY id").fetchall() \
            == [("issued", "dirty", 1, "checkin", floor.PROPERTY), ("dirty", "issued", 1, "checkin", floor.PROPERTY)]
        assert con.execute("SELECT count(*) FROM garments WHERE version > 1").fetchone() == (1,)
    finally:
        con.close()
