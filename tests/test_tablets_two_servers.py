"""Two ``kiosk serve`` processes on one database, each driving its own printers (issue 15).

Real servers (their print workers on), real TCP printers on 127.0.0.1, and each tablet's
browser signing in on the *other* server than the one beside its printers: a job goes where
the tablet that asked is, never where the request happened to land. Runs on the suite's
database: SQLite file, then PostgreSQL.
"""
from __future__ import annotations

import os
import threading
import time

import pytest
import zxingcpp
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import PrintJob, Tablet
from kiosk.printing import printers as records
from printers import labels
from tests.printers.fakeprinter import decode
from tests.serving import Browser, serve

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def _server(app, name: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update(KIOSK_INSTANCE_PATH=app.instance_path, KIOSK_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               KIOSK_SERVER_NAME=name, KIOSK_PRINT_POLL_SECONDS="0.3", KIOSK_LANGUAGE="en",
               KIOSK_ALERT_WORKER="0", KIOSK_PRINT_TIMEOUT="5")
    return serve(env)


def _jobs() -> list[PrintJob]:
    db.session.expire_all()
    return list(db.session.scalars(select(PrintJob).order_by(PrintJob.id)))


def _until(done, seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while not done() and time.monotonic() < end:
        time.sleep(0.2)


def _qr(image) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(image.convert("L"))]


def test_each_tablets_tags_and_slips_print_only_beside_it_whichever_server_took_the_request(
        app, ctx, make, printers):
    counter_receipt, counter_labels, laundry_receipt, default, elsewhere = (
        printers(), printers(mode="mute"), printers(), printers(), printers())
    shirt = make.garment_type("SH", name_zh="衬衫", name_en="Shirt")
    owner = make.employee(name="张堃")
    garments = [make.garment(f"SH-{n:04d}", garment_type=shirt) for n in range(30)]
    handed_in = [make.garment(f"SH-90{n:02d}", garment_type=shirt, owner=owner, status="issued") for n in range(2)]
    supervisor = make.user(role="supervisor", pin="2580")
    clerk = make.user(role="clerk", pin="2580")
    db.session.commit()
    records.default_printer(db.session, url=default.url, paper_mm=80, native=False, name="Default printer", follow=False)
    ids = {}
    for name, url, kw in (("前台小票机", counter_receipt.url, {"host": "server-a"}),
                          ("前台标签机", counter_labels.url, {"host": "server-a", "kind": "label"}),
                          ("洗衣房小票机", laundry_receipt.url, {"host": "server-b"}),
                          ("仓库小票机", elsewhere.url, {"host": "server-c"})):  # server-c is not running
        ids[name] = records.add(db.session, records.PrinterFields(name=name, url=url, **kw)).id
    db.session.commit()
    (process_a, url_a), (process_b, url_b) = _server(app, "server-a"), _server(app, "server-b")
    try:
        # The counter's tablet talks to server B, the laundry's to server A: the far server each time.
        counter, laundry, store = Browser(url_b), Browser(url_a), Browser(url_a)
        for browser, name, receipt, tag in ((counter, "前台平板", "前台小票机", "前台标签机"),
                                             (laundry, "洗衣房平板", "洗衣房小票机", None),
                                             (store, "仓库平板", "仓库小票机", None)):
            browser.sign_in(supervisor.id)
            assert browser.post("/print/tablets/this", {"name": name})[0] == 200
            tablet_id = db.session.scalar(select(Tablet.id).where(Tablet.name == name))
            status, body = browser.post(f"/print/tablets/{tablet_id}", {
                "name": name, "receipt_printer_id": ids[receipt], "tag_printer_id": ids[tag] if tag else "",
                "receipts_checkin": "room", "receipts_issue": "room"})
            assert status == 200 and name in body
            browser.sign_in(clerk.id)
        # 30 tags asked for at once, half from each tablet.
        start = threading.Barrier(30)
        answers: list[int] = []

        def print_tag(browser, garment, n):
            start.wait()
            answers.append(browser.post(f"/print/garment/{garment.tag}/tag", {"request_key": f"{n:032d}"},
                                        htmx=True)[0])

        mine = {id(counter): garments[::2], id(laundry): garments[1::2]}
        threads = [threading.Thread(target=print_tag, args=(browser, garment, n))
                   for browser in (counter, laundry) for n, garment in enumerate(mine[id(browser)], start=100 * (browser is laundry))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == [200] * 30
        # A check-in slip at each tablet.
        for browser, garment in ((counter, handed_in[0]), (laundry, handed_in[1])):
            assert browser.post("/checkin/scan", {"code": garment.tag, "employee_id": owner.id}, htmx=True)[0] == 200
            assert browser.post("/print/receipt/checkin", {"employee_id": owner.id, "request_key": f"slip{garment.tag}"},
                                htmx=True)[0] == 200
        store.post(f"/print/garment/{garments[0].tag}/tag", {"request_key": "s" * 32}, htmx=True)
        _until(lambda: sum(job.status == "done" for job in _jobs()) >= 32)
        jobs = _jobs()
        assert [job.status for job in jobs].count("done") == 32, [(j.id, j.status, j.last_error) for j in jobs]
        assert all(job.attempts == 1 for job in jobs if job.status == "done")
        [waiting] = [job for job in jobs if job.status != "done"]
        assert (waiting.status, waiting.printer_id) == ("queued", ids["仓库小票机"])
        # Every one of the counter's tags came out of the counter's label printer, the laundry's
        # out of the laundry's receipt printer; each once, and nothing anywhere else.
        counter_tags = sorted(_qr(labels.decode_tspl(data))[0] for data in counter_labels.received)
        assert counter_tags == sorted(g.tag for g in mine[id(counter)])
        laundry_tags = [decode(data[6:])[0] for data in laundry_receipt.received]
        read = sorted(text for image in laundry_tags for text in _qr(image))
        assert read == sorted([g.tag for g in mine[id(laundry)]])  # the slip carries no QR code
        assert len(laundry_receipt.received) == 16 and len(counter_receipt.received) == 1
        assert default.received == [] and elsewhere.received == []
        assert {job.printer for job in jobs if job.kind == "checkin"} == {counter_receipt.url, laundry_receipt.url}
        # The job for server-c's printer waits, and the queue says why.
        status, queue = store.get("/print/")
        assert "Waiting for server-c" in queue and "has not run yet" in queue
    finally:
        for process in (process_a, process_b):
            process.terminate()
            process.wait(10)
