"""Printers as records (kiosk.printing.printers): every job on the printer it is for.

Real TCP printers on 127.0.0.1 (tests/printers/fakeprinter.py): a receipt printer that answers
ESC/POS status queries and a label printer that answers none; what each receives is decoded
back (the receipt's raster, the label's TSPL bitmap) and its QR read with zxing-cpp.
"""
from __future__ import annotations

import threading

import pytest
import zxingcpp
from sqlalchemy import select

from kiosk.extensions import db
from kiosk.models import Printer, PrintJob
from kiosk.printing import printers as records
from kiosk.printing import services, worker
from printers import documents, labels
from tests.printers.fakeprinter import decode, free_port


@pytest.fixture
def shirt(make):
    return make.garment_type("SH", name_zh="衬衫", name_en="Shirt")


def jobs() -> list[PrintJob]:
    db.session.expire_all()
    return list(db.session.scalars(select(PrintJob).order_by(PrintJob.id)))


def tag_for(app, garment, printer) -> PrintJob:
    job = services.enqueue_tags(db.session, [garment], user=None, language="en", printer=printer)[0]
    db.session.commit()
    return job


def slip(printer) -> PrintJob:
    job = services.enqueue(db.session, documents.Document("checkin", [documents.Text("收衣单"), documents.Cut()],
                                                          title="收衣单"), services.CHECKIN, None, printer=printer)
    db.session.commit()
    return job


def label_printer(url: str, **kw) -> Printer:
    printer = records.add(db.session, records.PrinterFields(name="熨烫间标签机", url=url, kind="label",
                                                            label_size="40x30", **kw))
    db.session.commit()
    return printer


def test_a_tag_for_the_label_printer_and_a_slip_for_the_default_reach_only_their_printers(
        app, make, printers, shirt):
    counter, ironing = printers(), printers(mode="mute")
    app.config["KIOSK_PRINTER"] = counter.url
    default = worker.job_printer(app).printer
    labels_ = label_printer(ironing.url)
    garment = make.garment("SH-0001", garment_type=shirt)
    db.session.commit()
    tagged, slipped = tag_for(app, garment, labels_), slip(default)
    assert (tagged.printer_id, slipped.printer_id) == (labels_.id, default.id)
    assert worker.process_queue(app) == [tagged.id, slipped.id]
    assert [(j.status, j.printer) for j in jobs()] == [("done", ironing.url), ("done", counter.url)]
    label = labels.decode_tspl(ironing.wait_for(1000))
    assert [b.text for b in zxingcpp.read_barcodes(label.convert("L"))] == ["SH-0001"]
    assert b"\x10\x04" not in ironing.data[:4]  # no ESC/POS status query to the label printer
    receipt, commands = decode(counter.received[0][6:])
    assert receipt is not None and "cut" in [c.name for c in commands]
    assert b"SIZE" not in counter.data and b"BITMAP" not in counter.data


def test_a_printer_driven_by_another_host_keeps_its_jobs_queued_for_it(app, make, printers, shirt):
    counter = printers()
    app.config["KIOSK_PRINTER"] = counter.url
    other = records.add(db.session, records.PrinterFields(name="仓库小票机", url=printers().url, host="server-b"))
    db.session.commit()
    garment = make.garment("SH-0002", garment_type=shirt)
    db.session.commit()
    theirs, ours = tag_for(app, garment, other), tag_for(app, garment, worker.job_printer(app))
    assert worker.process_queue(app) == [ours.id]
    assert [j.status for j in jobs()] == ["queued", "done"]
    other.host = records.this_host()  # now this server is the one that reaches it
    db.session.commit()
    assert worker.process_queue(app) == [theirs.id]


def test_a_printer_that_is_off_fails_its_own_jobs_and_the_others_print(app, make, printers, shirt):
    counter = printers()
    app.config["KIOSK_PRINTER"] = counter.url
    app.config["KIOSK_PRINT_TIMEOUT"] = 2.0
    off = label_printer(f"tcp://127.0.0.1:{free_port()}")
    garments = [make.garment(f"SH-001{i}", garment_type=shirt) for i in range(2)]
    db.session.commit()
    first, second = (tag_for(app, g, off) for g in garments)
    receipt = slip(worker.job_printer(app))
    assert worker.process_queue(app) == [first.id, receipt.id]  # the second label job is not tried
    assert [(j.status, j.attempts) for j in jobs()] == [("failed", 1), ("failed", 0), ("done", 1)]
    assert "refused" in jobs()[1].last_error


def test_the_default_printer_is_made_from_kiosk_printer_and_follows_it_where_a_server_sets_it(app, ctx, printers):
    first, second = printers(), printers()
    app.config["KIOSK_PRINTER"] = first.url
    default = worker.job_printer(app).printer
    db.session.commit()
    assert (default.url, default.is_default, default.from_setting, default.name) == \
        (first.url, True, True, "Default printer")
    app.config["KIOSK_PRINTER"] = second.url  # this server's setting changed: the default follows
    assert worker.job_printer(app).printer.id == default.id and default.url == second.url
    app.config["KIOSK_PRINTER"] = "dummy:"  # a server started without one: the default keeps its address
    db.session.commit()
    assert worker.job_printer(app).printer.url == second.url
    job = slip(worker.job_printer(app))
    assert worker.process_queue(app) == [job.id]
    assert second.received and jobs()[0].printer == second.url
    assert len(records.active(db.session)) == 1


def test_servers_making_the_default_printer_at_once_make_one(app, ctx):
    app.config["KIOSK_PRINTER"] = "tcp://127.0.0.1:9100"
    made: list[int] = []
    start = threading.Barrier(6)

    def make_it() -> None:
        with app.app_context():
            start.wait()
            made.append(worker.job_printer(app).printer.id)
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=make_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(made) == 6 and len(set(made)) == 1
    assert db.session.scalar(select(Printer.id).where(Printer.is_default)) == made[0]
    assert len(records.active(db.session)) == 1


def test_printer_commands_add_list_and_remove_with_clear_refusals(app, ctx, runner, printers):
    fake = printers(mode="mute")
    added = runner.invoke(args=["kiosk", "printer", "add", "熨烫间标签机", "--url", fake.url, "--kind", "label",
                                "--size", "50×25"])
    assert added.exit_code == 0, added.output
    assert "熨烫间标签机\tlabel\ttspl\t50x25 mm" in added.output
    listed = runner.invoke(args=["kiosk", "printer", "list"])
    assert listed.exit_code == 0 and listed.output.splitlines()[0].startswith("Default printer\treceipt\tescpos")
    for args, says in ((["add", "熨烫间标签机", "--url", fake.url], "already a printer called"),
                       (["add", "x", "--url", "foo://x"], "Unknown printer address"),
                       (["add", "x", "--url", fake.url, "--kind", "label", "--size", "5x5"], "Unsupported label size"),
                       (["add", "x\x07", "--url", fake.url], "without control characters"),
                       (["remove", "Default printer"], "is the default printer"),
                       (["remove", "nobody"], "no printer called nobody")):
        refused = runner.invoke(args=["kiosk", "printer", *args])
        assert refused.exit_code == 1 and says in refused.output, (args, refused.output)
    assert len(records.active(db.session)) == 2
    removed = runner.invoke(args=["kiosk", "printer", "remove", "熨烫间标签机"])
    assert removed.exit_code == 0 and "no longer in use" in removed.output
    assert [p.name for p in records.active(db.session)] == ["Default printer"]


def test_tag_print_on_a_named_label_printer(app, make, runner, printers, shirt):
    fake = printers(mode="mute")
    make.garment("SH-0100", garment_type=shirt)
    db.session.commit()
    assert runner.invoke(args=["kiosk", "printer", "add", "标签机", "--url", fake.url, "--kind", "label",
                               "--language", "zpl", "--size", "40x30"]).exit_code == 0
    printed = runner.invoke(args=["kiosk", "tag", "print", "SH-0100", "--printer", "标签机"])
    assert printed.exit_code == 0 and "printed" in printed.output
    label = labels.decode_zpl(fake.wait_for(1000))
    assert [b.text for b in zxingcpp.read_barcodes(label.convert("L"))] == ["SH-0100"]
    missing = runner.invoke(args=["kiosk", "tag", "print", "SH-0100", "--printer", "nobody"])
    assert missing.exit_code == 1 and "no printer called nobody" in missing.output


def test_a_receipt_sent_to_a_label_printer_fails_with_the_reason(app, ctx, printers):
    fake = printers(mode="mute")
    app.config["KIOSK_PRINTER"] = printers().url
    job = slip(label_printer(fake.url))
    assert worker.process_queue(app) == [job.id]
    [failed] = jobs()
    assert failed.status == "failed" and "label printer" in failed.last_error
    assert fake.data == b""


@pytest.fixture
def clerk(client, login_as):
    return login_as("clerk")


def test_the_print_queue_names_each_jobs_printer(app, make, client, clerk, printers, shirt):
    app.config["KIOSK_PRINTER"] = printers().url
    labels_ = label_printer(printers(mode="mute").url)
    garment = make.garment("SH-0200", garment_type=shirt)
    db.session.commit()
    tag_for(app, garment, labels_)
    slip(worker.job_printer(app))
    page = client.get("/print/").get_data(as_text=True)
    assert page.count('data-testid="job-printer"') == 2
    assert ">熨烫间标签机</div>" in page and ">Default printer</div>" in page


def test_printer_test_prints_the_test_page_on_a_receipt_and_a_label_printer(app, ctx, runner, printers):
    receipt, label = printers(), printers(mode="mute")
    for args in (["add", "前台小票机", "--url", receipt.url, "--paper", "58"],
                 ["add", "标签机", "--url", label.url, "--kind", "label", "--size", "50x25"]):
        assert runner.invoke(args=["kiosk", "printer", *args]).exit_code == 0
    for name in ("前台小票机", "标签机"):
        printed = runner.invoke(args=["kiosk", "printer", "test", name])
        assert printed.exit_code == 0 and "printed" in printed.output, printed.output
    page, _ = decode(receipt.received[0][6:])
    assert page.width == 384 and [b.text for b in zxingcpp.read_barcodes(page.convert("L"))] == ["TEST-PAGE"]
    tested = labels.decode_tspl(label.wait_for(1000))
    assert tested.size == (400, 200) and [b.text for b in zxingcpp.read_barcodes(tested.convert("L"))] == ["TEST-PAGE"]
    missing = runner.invoke(args=["kiosk", "printer", "test", "nobody"])
    assert missing.exit_code == 1 and "no printer called nobody" in missing.output


def test_the_printers_screen_is_for_supervisors_and_adds_tests_defaults_and_retires(
        app, client, login_as, printers):
    clerk_id = login_as("clerk")
    assert client.get("/print/printers").status_code == 403
    assert client.post("/print/printers", data={"name": "x", "url": "tcp://127.0.0.1:9"}).status_code == 403
    login_as("supervisor")
    page = client.get("/print/printers")
    assert page.status_code == 200 and 'data-testid="default-printer"' in page.get_data(as_text=True)
    fake = printers(mode="mute")
    for bad, says in (({"name": "", "url": fake.url}, "needs a name"),
                      ({"name": "标签机", "url": "ftp://x"}, "Unknown printer address"),
                      ({"name": "标签机", "url": fake.url, "kind": "label", "label_size": "1E+30"}, "label size"),
                      ({"name": "标签机", "url": fake.url, "paper_mm": "99999999999999999999"}, "58 or 80"),
                      ({"name": "标签机", "url": fake.url, "paper_mm": "wide"}, "58 or 80 mm wide, not wide"),
                      ({"name": "标签机", "url": "tcp://1.2.3.4\x00:9100"}, "Unknown printer address")):
        refused = client.post("/print/printers", data=bad)
        body = refused.get_data(as_text=True)
        assert refused.status_code == 200 and 'data-testid="printer-error"' in body and says in body, (bad, body[-600:])
    with app.app_context():
        assert [p.name for p in records.active(db.session)] == ["Default printer"]
    added = client.post("/print/printers", data={"name": "熨烫间标签机", "url": fake.url, "kind": "label",
                                                 "language": "zpl", "label_size": "50x25"})
    assert added.status_code == 302
    with app.app_context():
        printer = records.by_name(db.session, "熨烫间标签机")
        assert (printer.kind, printer.language, printer.label_size) == ("label", "zpl", "50x25")
        printer_id = printer.id
    assert client.post(f"/print/printers/{printer_id}/test", data={"request_key": "k" * 32}).status_code == 302
    assert worker.process_queue(app)
    tested = labels.decode_zpl(fake.wait_for(1000))
    assert [b.text for b in zxingcpp.read_barcodes(tested.convert("L"))] == ["TEST-PAGE"]
    assert client.post(f"/print/printers/{printer_id}/default").status_code == 302
    with app.app_context():
        assert records.by_name(db.session, "熨烫间标签机").is_default
        old_default = records.by_name(db.session, "Default printer").id
    assert client.post(f"/print/printers/{old_default}/remove").status_code == 302
    with app.app_context():
        assert [p.name for p in records.active(db.session)] == ["熨烫间标签机"]
    assert client.post(f"/print/printers/{old_default}/remove").status_code == 404


def test_a_job_waiting_for_a_printer_no_longer_in_use_prints_on_the_default(app, make, printers, shirt):
    counter, ironing = printers(), printers(mode="mute")
    app.config["KIOSK_PRINTER"] = counter.url
    worker.job_printer(app)
    labels_ = label_printer(ironing.url)
    garment = make.garment("SH-0300", garment_type=shirt)
    db.session.commit()
    waiting = tag_for(app, garment, labels_)
    records.retire(db.session, "熨烫间标签机")
    db.session.commit()
    assert worker.process_queue(app) == [waiting.id]
    [job] = jobs()
    assert (job.status, job.printer) == ("done", counter.url)
    assert ironing.data == b"" and counter.received
