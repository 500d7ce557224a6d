"""What the tablet's offline scan queue adds to a scan when the network is up.

Two parts, each measured the same way with and without the queue:

1. **The server**: a check-in scan as the queue sends it (its ``scan_id``, the request key kept
   in ``request_keys``, and ``scanned_at``) against the same scan without them, through the Flask
   test client on a migrated SQLite file (``--database`` for another URL), alternating the two
   kinds so that both see the same machine. Median and p90 per scan, and the difference.
2. **The tablet**: in headless Chromium (/usr/bin/chromium), the IndexedDB writes the queue makes
   per scan (kept before it is sent, removed once answered: one ``put`` and one ``delete``, each
   its own transaction, as kiosk/static/js/scan.js does), timed with ``performance.now()`` in the
   page. ``--no-browser`` skips it.

    .venv/bin/python bench/queue.py                 # 400 scans each way, and the browser part
    .venv/bin/python bench/queue.py --scans 100 --no-browser

The last line is one JSON object with every figure (milliseconds).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50": round(statistics.median(ordered), 3), "p90": round(ordered[int(len(ordered) * 0.9) - 1], 3)}


def server_part(scans: int, database: str | None) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="kiosk-bench-queue-"))
    os.environ["KIOSK_INSTANCE_PATH"] = str(workdir / "instance")
    url = database or f"sqlite:///{workdir / 'kiosk.sqlite3'}"
    from flask_migrate import upgrade

    from kiosk import create_app
    from kiosk.extensions import db
    from tests.conftest import Factory

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "KIOSK_PRINT_WORKER": False, "KIOSK_ALERT_WORKER": False, "BABEL_DEFAULT_LOCALE": "zh_CN",
                      "KIOSK_PIN_HASH_METHOD": "pbkdf2:sha256:1000", "KIOSK_SIGNIN_DELAY_SCALE": 0})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        make = Factory()
        clerk = make.user(role="clerk", pin="2468")
        owner = make.employee()
        kind = make.garment_type("BQ")
        tags = [make.garment(f"BQ-{n:05d}", garment_type=kind, owner=owner, status="issued").tag
                for n in range(2 * scans + 20)]
        db.session.commit()
        clerk_id = clerk.id
    client = app.test_client()
    client.post("/login", data={"user_id": clerk_id, "pin": "2468"})
    headers = {"HX-Request": "true"}

    def scan(tag: str, queued: bool) -> float:
        form = {"code": tag}
        if queued:
            form.update(scan_id=uuid.uuid4().hex, scanned_at=str(int(time.time() * 1000)))
        start = time.perf_counter()
        response = client.post("/checkin/scan", data=form, headers=headers)
        took = (time.perf_counter() - start) * 1000
        assert response.status_code == 200 and 'data-scan-result="ok"' in response.get_data(as_text=True)
        return took

    for tag in tags[:20]:  # warm up: templates compiled, statements built, caches filled
        scan(tag, queued=False)
    plain: list[float] = []
    queued: list[float] = []
    for n, tag in enumerate(tags[20:]):
        (queued if n % 2 else plain).append(scan(tag, queued=bool(n % 2)))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    result = {"plain": _quantiles(plain), "queued": _quantiles(queued)}
    result["added_p50"] = round(result["queued"]["p50"] - result["plain"]["p50"], 3)
    return result


_PAGE_SCRIPT = """
async (n) => {
  const open = () => new Promise((resolve, reject) => {
    const request = indexedDB.open("kiosk-scan-queue-bench", 1);
    request.onupgradeneeded = () => request.result.createObjectStore("scans", { keyPath: "id" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const db = await open();
  const write = (mode, work) => new Promise((resolve) => {
    const tx = db.transaction("scans", mode);
    tx.oncomplete = resolve; tx.onerror = resolve;
    work(tx.objectStore("scans"));
  });
  const times = [];
  for (let i = 0; i < n; i++) {
    const entry = { id: crypto.randomUUID().replace(/-/g, ""), code: "T-" + i, url: "/checkin/scan",
                    values: { employee_id: "12" }, scannedAt: Date.now(), operator: "3", operatorName: "王收发",
                    station: "/checkin/", state: "waiting" };
    const start = performance.now();
    await write("readwrite", (os) => os.put(entry));
    await write("readwrite", (os) => os.delete(entry.id));
    times.push(performance.now() - start);
  }
  return times;
}
"""


def browser_part(scans: int) -> dict:
    from http.server import HTTPServer, SimpleHTTPRequestHandler
    from threading import Thread

    from playwright.sync_api import sync_playwright

    root = Path(tempfile.mkdtemp(prefix="kiosk-bench-page-"))
    (root / "index.html").write_text("<!doctype html><title>bench</title>", encoding="utf-8")

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Quiet)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                                 args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_port}/index.html")
            page.evaluate(_PAGE_SCRIPT, 20)  # warm up
            times = page.evaluate(_PAGE_SCRIPT, scans)
            browser.close()
    finally:
        server.shutdown()
    return _quantiles(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scans", type=int, default=400, help="scans each way (default 400)")
    parser.add_argument("--database", help="a database URL instead of a fresh SQLite file")
    parser.add_argument("--no-browser", action="store_true", help="skip the tablet's part")
    args = parser.parse_args(argv)
    figures: dict = {"scans": args.scans, "server": server_part(args.scans, args.database)}
    server = figures["server"]
    print(f"server, per check-in scan: plain p50 {server['plain']['p50']} ms p90 {server['plain']['p90']} ms; "
          f"queued (scan_id, scanned_at) p50 {server['queued']['p50']} ms p90 {server['queued']['p90']} ms; "
          f"added p50 {server['added_p50']} ms")
    if not args.no_browser:
        figures["tablet_indexeddb"] = browser_part(args.scans)
        tablet = figures["tablet_indexeddb"]
        print(f"tablet, IndexedDB put + delete per scan: p50 {tablet['p50']} ms p90 {tablet['p90']} ms")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
