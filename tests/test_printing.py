"""The print queue: jobs are queued at once, sent in order by a worker, fail with a reason, retry.

Real database, real printers: a ``file://`` spool in tmp_path or a TCP
printer on 127.0.0.1 (tests/printers/fakeprinter.py) that answers status
requests like an Epson. The worker thread is off (conftest) unless a test
turns it on; the others call :func:`kiosk.printing.process_queue`.
"""
from __future__ import annotations

import io
import json
import re
import time

import flask_babel
import pytest
from PIL import Image
from sqlalchemy import func, select, update

from kiosk.extensions import db
from kiosk.inspection.services import request_tag_reprint
from kiosk.models import Garment, PrintJob, TagReprint
from kiosk.printing import process_queue, services, worker
from printers import errors
from printers.documents import QR, Cut, Document, Text
from printers.documents import Image as DocImage
from printers.render import render
from tests.printers.fakeprinter import decode, free_port

HX = {"HX-Request": "true"}


@pytest.fixture
def spool(app, tmp_path):
    """Print into a file (``file://``): the bytes a printer would get."""
    path = tmp_path / "printer.bin"
    app.config["KIOSK_PRINTER"] = f"file://{path}"
    return path


@pytest.fixture
def refused(app):
    """The printer is off: its port refuses the connection."""
    port = free_port()
    app.config["KIOSK_PRINTER"] = f"tcp://127.0.0.1:{port}"
    app.config["KIOSK_PRINT_TIMEOUT"] = 2.0
    return port


@pytest.fixture
def clerk(client, login_as):
    return login_as("clerk")


@pytest.fixture
def owner(make):
    return make.employee("张堃", staff_no="S0042", uniform_no="1042", size="L")


@pytest.fixture
def shirt(make):
    return make.garment_type("SH", name_zh="衬衫", name_en="Shirt")


def jobs() -> list[PrintJob]:
    db.session.expire_all()
    return list(db.session.scalars(select(PrintJob).order_by(PrintJob.id)))


def settings(app) -> services.PrintSettings:
    return worker.settings_of(app)


def print_tag(client, garment, *, htmx=True, **form):
    return client.post(f"/print/garment/{garment.tag}/tag", data=form, headers=HX if htmx else {})


def status_bar(client) -> str:
    response = client.get("/print/status", headers={**HX, "X-Kiosk-Background": "1"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def state_of(html: str) -> str:
    return re.search(r'data-print-state="(\w+)"', html).group(1)


# --- queueing never waits ------------------------------------------------------

def test_printing_a_tag_queues_a_job_and_answers_at_once_with_the_printer_off(
        app, make, client, clerk, refused, owner, shirt):
    garment = make.garment("SH-0001", garment_type=shirt, owner=owner, size="L")
    db.session.commit()
    response = print_tag(client, garment)
    assert response.status_code == 200
    # The answer is the status bar, wherever the button was.
    assert response.headers["HX-Retarget"] == "#print-status"
    assert state_of(response.get_data(as_text=True)) == "printing"
    [job] = jobs()
    assert (job.status, job.kind, job.attempts, job.garment_id) == ("queued", "tag", 0, garment.id)
    assert job.printer == f"tcp://127.0.0.1:{refused}"
    assert job.requested_by_id == clerk


def test_without_htmx_printing_a_tag_goes_back_to_the_garment_page(app, make, client, clerk, refused, shirt):
    garment = make.garment("SH-0002", garment_type=shirt)
    db.session.commit()
    response = print_tag(client, garment, htmx=False, next=f"/garment/{garment.tag}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/garment/{garment.tag}")
    assert [j.status for j in jobs()] == ["queued"]


def test_a_double_tap_with_the_same_request_key_queues_one_job(app, make, client, clerk, refused, shirt):
    garment = make.garment("SH-0003", garment_type=shirt)
    db.session.commit()
    key = "a" * 32
    print_tag(client, garment, request_key=key)
    print_tag(client, garment, request_key=key)
    assert len(jobs()) == 1


def test_the_worker_thread_sends_a_queued_job_while_the_request_has_long_returned(
        app, make, client, clerk, printers, shirt):
    """The request never waits, even for a printer that takes the job and then never answers."""
    silent = printers(mode="once")
    app.config.update(KIOSK_PRINTER=silent.url, KIOSK_PRINT_TIMEOUT=1.5, KIOSK_PRINT_WORKER=True,
                      KIOSK_PRINT_POLL_SECONDS=0.2)
    garment = make.garment("SH-0004", garment_type=shirt)
    db.session.commit()
    try:
        response = print_tag(client, garment)
        assert response.status_code == 200
        # Answered before the printer's 1.5 s timeout failed the job: the worker sends it, not the request.
        assert jobs()[0].status in ("queued", "printing")
        deadline = time.monotonic() + 10
        while jobs()[0].status != "failed" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop(app)
    [job] = jobs()
    assert job.status == "failed" and job.attempts == 1
    assert services.reason_of(job).message == errors.TIMEOUT


def test_the_worker_thread_wakes_on_a_new_job(app, make, client, clerk, spool, shirt):
    app.config.update(KIOSK_PRINT_WORKER=True, KIOSK_PRINT_POLL_SECONDS=30)
    garment = make.garment("SH-0005", garment_type=shirt)
    db.session.commit()
    try:
        client.get("/")  # the first request starts the worker; it finds nothing and sleeps 30 s
        print_tag(client, garment)
        deadline = time.monotonic() + 10
        while jobs()[0].status != "done" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop(app)
    assert jobs()[0].status == "done" and spool.stat().st_size > 0


# --- the queue, in order -----------------------------------------------------------

def test_process_queue_prints_the_jobs_oldest_first(app, make, client, clerk, printers, owner, shirt):
    fake = printers()
    app.config["KIOSK_PRINTER"] = fake.url
    garments = [make.garment(f"SH-01{i:02d}", garment_type=shirt, owner=owner, size="L") for i in range(3)]
    db.session.commit()
    for garment in reversed(garments):  # queued in this order: 0102, 0101, 0100
        print_tag(client, garment)
    assert process_queue(app) == [j.id for j in jobs()]
    assert [j.status for j in jobs()] == ["done"] * 3
    assert len(fake.received) == 3
    for job, received in zip(jobs(), fake.received):
        printed, _commands = decode(received)
        expected = render(services.document_of(job), paper_mm=app.config["KIOSK_PAPER_MM"],
                          font_path=app.config["KIOSK_FONT"] or None)
        assert printed.crop((0, 0, expected.width, expected.height)).tobytes() == expected.tobytes()
    assert [services.title_of(j) for j in jobs()] == ["SH-0102", "SH-0101", "SH-0100"]


def test_a_tag_says_the_number_type_in_the_users_language_size_and_owner(app, make, client, clerk, refused,
                                                                        owner, shirt):
    garment = make.garment("SH-0200", garment_type=shirt, owner=owner, size="L", number=None)
    db.session.commit()
    print_tag(client, garment)
    document = services.document_of(jobs()[0])
    texts = [el.text for el in document.elements if isinstance(el, Text)]
    assert "1042" in texts and "Shirt L" in texts and "张堃" in texts
    assert [el.data for el in document.elements if isinstance(el, QR)] == ["SH-0200"]


# --- the printer is off ---------------------------------------------------------------

def test_a_refused_printer_fails_the_slip_with_its_reason_in_the_status_bar_and_the_check_in_stays(
        app, make, client, clerk, refused, owner, shirt):
    garment = make.garment("SH-0300", garment_type=shirt, owner=owner, status="issued")
    db.session.commit()
    client.post("/checkin/scan", data={"code": garment.tag, "employee_id": owner.id}, headers=HX)
    response = client.post("/print/receipt/checkin", data={"employee_id": owner.id}, headers=HX)
    assert response.status_code == 200
    assert state_of(status_bar(client)) == "printing"
    process_queue(app)
    [job] = jobs()
    assert (job.status, job.kind, job.attempts) == ("failed", "checkin", 1)
    bar = status_bar(client)
    assert state_of(bar) == "failed"
    assert f"Printing failed: The printer at 127.0.0.1:{refused} refused the connection." in bar
    assert 'data-testid="print-retry"' in bar and 'hx-post="/print/retry"' in bar
    # The bar is on every page of a signed-in clerk, polling in the background.
    page = client.get("/").get_data(as_text=True)
    assert 'id="print-status"' in page and "refused the connection" in page
    assert '"X-Kiosk-Background": "1"' in page and "every 10s" in page
    db.session.expire_all()
    assert db.session.get(Garment, garment.id).status == "dirty"


def in_chinese(client) -> None:
    """Switch the tablet to Chinese. The test's app context (``make``) is shared by its
    requests, so Flask-Babel's cached locale of the earlier ones is dropped too."""
    client.post("/language", data={"lang": "zh_CN"})
    flask_babel.refresh()


# --- a printer (or print server) that never answers the status query -----------------

def test_a_listener_that_only_reads_gets_the_whole_tag_with_its_cut_and_the_bar_says_status_unknown(
        app, make, client, clerk, printers, owner, shirt):
    """Like ``nc -l``: it takes the connection and the bytes, and never answers DLE EOT."""
    listener = printers(mode="mute")
    app.config["KIOSK_PRINTER"] = listener.url
    garment = make.garment("SH-0350", garment_type=shirt, owner=owner, size="L")
    db.session.commit()
    print_tag(client, garment)
    process_queue(app)
    [job] = jobs()
    assert (job.status, job.attempts) == ("done", 1) and job.printed_at is not None
    assert services.status_unknown(job) and services.reason_of(job).message == services.STATUS_UNKNOWN
    [received] = listener.received
    printed, commands = decode(received)
    expected = render(services.document_of(job), paper_mm=app.config["KIOSK_PAPER_MM"],
                      font_path=app.config["KIOSK_FONT"] or None)
    assert printed.crop((0, 0, expected.width, expected.height)).tobytes() == expected.tobytes()
    assert commands[-1].name == "cut"

    bar = status_bar(client)
    assert state_of(bar) == "unknown" and " hidden" not in bar
    assert "Printer status unknown" in bar and 'data-testid="print-failure"' not in bar
    assert 'data-testid="print-retry"' not in bar  # not a failure: nothing to retry
    in_chinese(client)
    assert "打印机状态未知" in status_bar(client) and "打印失败" not in status_bar(client)
    queue = client.get("/print/").get_data(as_text=True)
    assert 'data-job-status="done"' in queue and 'data-testid="job-note"' in queue and "状态未知" in queue
    health = client.get("/healthz").get_json()
    assert health["print"] == {"waiting": 0, "failed": 0, "printer": "status_unknown"}


def test_a_refused_connection_is_still_printer_off_not_status_unknown(app, make, client, clerk, refused, shirt):
    garment = make.garment("SH-0351", garment_type=shirt)
    db.session.commit()
    print_tag(client, garment)
    process_queue(app)
    [job] = jobs()
    assert job.status == "failed" and services.reason_of(job).message == errors.REFUSED
    bar = status_bar(client)
    assert state_of(bar) == "failed" and "refused the connection. Is it switched on?" in bar
    assert "status unknown" not in bar
    health = client.get("/healthz")
    assert health.status_code == 200  # a printer that is off is no 503
    assert health.get_json()["print"] == {
        "waiting": 0, "failed": 1, "printer": "failed",
        "reason": f"The printer at 127.0.0.1:{refused} refused the connection. Is it switched on?"}


def test_the_failure_bar_counts_the_prints_that_failed_in_both_languages(app, make, client, clerk, refused, shirt):
    garments = [make.garment(f"SH-036{i}", garment_type=shirt) for i in range(2)]
    db.session.commit()
    print_tag(client, garments[0])
    process_queue(app)
    assert 'data-testid="print-failed-count"' not in status_bar(client)  # one failure: no count
    print_tag(client, garments[1])
    process_queue(app)
    assert "(2 prints failed)" in status_bar(client)
    in_chinese(client)
    bar = status_bar(client)
    assert "（2 份未打印）" in bar and "打印 2 次" not in bar


def test_the_notice_after_printing_names_no_placeholder(app, make, client, clerk, refused, shirt):
    garment = make.garment("SH-0370", garment_type=shirt)
    db.session.commit()
    in_chinese(client)
    response = client.post(f"/print/garment/{garment.tag}/tag", data={"next": "/", "request_key": "n" * 32},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已发送到打印机（1 项）" in page and "%(" not in page


def test_a_slip_with_a_huge_picture_fails_with_its_reason_and_is_never_drawn_at_full_size(
        app, make, client, clerk, spool):
    """The second guard: a picture that got past the form (an old row, another path) is
    refused by its header in the renderer, the job fails with why, the preview says so."""
    buffer = io.BytesIO()
    Image.new("1", (576, 60000), 1).save(buffer, "PNG")
    document = Document("loan", [Text("借用单"), DocImage(buffer.getvalue()), Cut()], title="借用单")
    job = services.enqueue(db.session, document, "loan", None)
    db.session.commit()
    process_queue(app)
    [job] = jobs()
    assert job.status == "failed" and services.reason_of(job).message == errors.PICTURE_TOO_LARGE
    assert not spool.exists() or spool.read_bytes() == b""  # nothing was printed
    assert "576 × 60000 pixels" in status_bar(client)
    preview = client.get(f"/print/jobs/{job.id}/preview.png")
    assert preview.status_code == 422 and "576 × 60000 pixels" in preview.get_data(as_text=True)


def test_the_status_bar_is_hidden_when_nothing_failed(app, client, clerk):
    bar = status_bar(client)
    assert state_of(bar) == "idle" and " hidden" in bar


def test_retry_prints_once_the_printer_is_back(app, make, client, clerk, refused, printers, shirt):
    garment = make.garment("SH-0400", garment_type=shirt)
    db.session.commit()
    print_tag(client, garment)
    process_queue(app)
    assert jobs()[0].status == "failed"
    fake = printers(port=refused)  # switched on, same address
    response = client.post("/print/retry", headers=HX)
    assert state_of(response.get_data(as_text=True)) == "printing"
    assert jobs()[0].status == "queued"
    process_queue(app)
    [job] = jobs()
    assert (job.status, job.attempts) == ("done", 2) and job.printed_at is not None
    printed, commands = decode(fake.received[0])
    assert printed is not None and any(c.name == "cut" for c in commands)
    assert state_of(status_bar(client)) == "done"


def test_a_printer_down_fails_the_jobs_behind_it_without_trying_each_and_a_retry_keeps_their_order(
        app, make, client, clerk, refused, printers, shirt):
    garments = [make.garment(f"SH-05{i:02d}", garment_type=shirt) for i in range(3)]
    db.session.commit()
    for garment in garments:
        print_tag(client, garment)
    process_queue(app)
    assert [(j.status, j.attempts) for j in jobs()] == [("failed", 1), ("failed", 0), ("failed", 0)]
    assert {services.reason_of(j).message for j in jobs()} == {errors.REFUSED}
    bar = status_bar(client)
    assert re.search(r'data-testid="print-failed-count" data-count="3">\(3 prints failed\)<', bar)
    fake = printers(port=refused)
    client.post("/print/retry", headers=HX)
    process_queue(app)
    assert [j.status for j in jobs()] == ["done"] * 3
    assert len(fake.received) == 3


def test_a_character_the_font_lacks_fails_that_job_only(app, make, client, clerk, spool, shirt):
    stranger = make.employee("王\U00013000")  # an Egyptian hieroglyph: in no CJK font
    bad = make.garment("SH-0600", garment_type=shirt, owner=stranger)
    good = make.garment("SH-0601", garment_type=shirt)
    db.session.commit()
    print_tag(client, bad)
    print_tag(client, good)
    process_queue(app)
    first, second = jobs()
    assert first.status == "failed" and services.reason_of(first).message == errors.GLYPHS
    assert second.status == "done"
    assert "\U00013000" in status_bar(client)


def test_retrying_one_job_twice_queues_it_once(app, make, client, clerk, refused, shirt):
    garment = make.garment("SH-0700", garment_type=shirt)
    db.session.commit()
    print_tag(client, garment)
    process_queue(app)
    job_id = jobs()[0].id
    client.post(f"/print/jobs/{job_id}/retry", headers=HX)
    client.post(f"/print/jobs/{job_id}/retry", headers=HX)
    assert [j.status for j in jobs()] == ["queued"]


def test_two_workers_never_print_one_job_twice(app, make, refused, shirt):
    garment = make.garment("SH-0800", garment_type=shirt)
    job = services.enqueue(db.session, services.tag_document(garment, "en"), "tag", None, garment)
    db.session.commit()
    assert services.claim(db.session, job.id, "dummy:") is True
    assert services.claim(db.session, job.id, "dummy:") is False


def test_a_job_left_printing_by_a_stopped_process_is_failed_not_sent_again(app, make, spool, shirt):
    import datetime as dt

    garment = make.garment("SH-0900", garment_type=shirt)
    job = services.enqueue(db.session, services.tag_document(garment, "en"), "tag", None, garment)
    db.session.commit()
    services.claim(db.session, job.id, "dummy:")
    later = job.updated_at + services.STALE_AFTER + dt.timedelta(seconds=1)
    assert services.release_stale(db.session, now=later) == 1
    db.session.expire_all()
    job = db.session.get(PrintJob, job.id)
    assert job.status == "failed" and services.reason_of(job).message == services.INTERRUPTED


# --- reprint, preview --------------------------------------------------------------------

def test_printing_a_done_job_again_makes_a_new_job_with_the_same_document(app, make, client, clerk, spool, shirt):
    garment = make.garment("SH-1000", garment_type=shirt)
    db.session.commit()
    print_tag(client, garment)
    process_queue(app)
    first = jobs()[0]
    response = client.post(f"/print/jobs/{first.id}/reprint", headers=HX)
    assert response.status_code == 200
    old, new = jobs()
    assert (old.status, new.status) == ("done", "queued")
    assert new.document == old.document and new.kind == "tag" and new.garment_id == garment.id
    process_queue(app)
    assert jobs()[1].status == "done"


def test_the_preview_is_the_image_that_is_printed(app, make, client, clerk, spool, owner, shirt):
    garment = make.garment("SH-1100", garment_type=shirt, owner=owner, size="L")
    db.session.commit()
    print_tag(client, garment)
    process_queue(app)
    job = jobs()[0]
    response = client.get(f"/print/jobs/{job.id}/preview.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    preview = Image.open(io.BytesIO(response.data)).convert("1")
    rendered = services.render_job(job, settings(app))
    assert preview.size == rendered.size and preview.tobytes() == rendered.tobytes()
    printed, _commands = decode(spool.read_bytes())
    assert printed.crop((0, 0, *preview.size)).tobytes() == preview.tobytes()


def test_the_queue_page_lists_jobs_with_status_reason_preview_and_buttons(app, make, client, clerk, refused, shirt):
    garment = make.garment("SH-1200", garment_type=shirt)
    db.session.commit()
    print_tag(client, garment)
    process_queue(app)
    job = jobs()[0]
    body = client.get("/print/").get_data(as_text=True)
    assert f'data-job="{job.id}" data-job-status="failed"' in body
    assert f'src="/print/jobs/{job.id}/preview.png"' in body
    assert "refused the connection" in body
    assert f'action="/print/jobs/{job.id}/retry"' in body and f'action="/print/jobs/{job.id}/reprint"' in body


def test_a_clerk_cannot_see_preview_retry_or_reprint_the_monthly_report_slip_a_supervisor_can(
        app, make, client, login_as, refused):
    login_as("supervisor")
    assert client.post("/reports/print", data={"month": "2026-03"}).status_code == 302
    process_queue(app)  # the printer is off: failed
    job, = jobs()
    assert job.kind == services.LOSS_REPORT and job.status == "failed"
    assert f'data-job="{job.id}"' in client.get("/print/").get_data(as_text=True)
    assert client.get(f"/print/jobs/{job.id}/preview.png").status_code == 200

    login_as("clerk")
    assert f'data-job="{job.id}"' not in client.get("/print/").get_data(as_text=True)  # not in their list
    preview = client.get(f"/print/jobs/{job.id}/preview.png")
    assert preview.status_code == 403 and preview.mimetype != "image/png"
    assert "Only a supervisor" in preview.get_data(as_text=True)
    assert client.post(f"/print/jobs/{job.id}/reprint", headers=HX).status_code == 403
    assert client.post(f"/print/jobs/{job.id}/retry", headers=HX).status_code == 403
    client.post("/print/retry", headers=HX)  # the status bar's "retry all failed"
    assert [(j.id, j.status) for j in jobs()] == [(job.id, "failed")]  # nothing queued

    login_as("supervisor")
    client.post("/print/retry", headers=HX)  # the supervisor's "retry all" does queue it
    assert [(j.id, j.status) for j in jobs()] == [(job.id, "queued")]
    assert client.post(f"/print/jobs/{job.id}/reprint", headers=HX).status_code == 200
    old, copy = jobs()
    assert copy.kind == services.LOSS_REPORT and copy.document == old.document and copy.status == "queued"


def test_who_may_see_a_print_kind_is_one_table():
    assert services.may_see("loss_report", "supervisor") and services.may_see("loss_report", "admin")
    assert not services.may_see("loss_report", "clerk") and not services.may_see("tag", "ironer")
    assert services.may_see("loan", "clerk") and services.hidden_kinds("clerk") == ["loss_report"]
    assert services.hidden_kinds("supervisor") == []


# --- where it prints ------------------------------------------------------------------------

def test_the_garment_page_has_a_print_tag_button_for_the_counter(app, make, client, clerk, shirt):
    garment = make.garment("SH-1300", garment_type=shirt)
    db.session.commit()
    body = client.get(f"/garment/{garment.tag}").get_data(as_text=True)
    assert f'action="/print/garment/{garment.tag}/tag"' in body and 'data-testid="print-tag"' in body


def test_all_tags_of_a_registration_print_in_order(app, make, client, login_as, spool, shirt):
    db.session.commit()
    login_as("supervisor")
    form = {"type_id": shirt.id, "count": 3, "size": "M", "staff_no": "", "cost": "120.00",
            "request_key": "b" * 32}
    response = client.post("/registry/garments/batch", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    key = re.search(r'action="/print/registered/([0-9a-f]{32})/tags"', page).group(1)
    tags = re.findall(r'<li data-tag="([^"]+)"', page)
    client.post(f"/print/registered/{key}/tags", data={"request_key": "c" * 32}, headers=HX)
    client.post(f"/print/registered/{key}/tags", data={"request_key": "c" * 32}, headers=HX)  # a double tap
    assert [services.title_of(j) for j in jobs()] == tags and len(tags) == 3
    process_queue(app)
    assert [j.status for j in jobs()] == ["done"] * 3


def test_a_faded_number_is_reprinted_from_the_reprint_queue_and_the_request_is_done(
        app, make, client, clerk, spool, owner, shirt):
    faded = make.garment("SH-1400", garment_type=shirt, owner=owner)
    other = make.garment("SH-1401", garment_type=shirt, owner=owner)
    request_tag_reprint(db.session, faded, user=None)
    request_tag_reprint(db.session, other, user=None)
    db.session.commit()
    body = client.get("/print/reprints").get_data(as_text=True)
    assert 'data-tag="SH-1400"' in body and 'data-tag="SH-1401"' in body
    wanted = db.session.scalar(select(TagReprint).where(TagReprint.garment_id == faded.id))
    client.post(f"/print/reprints/{wanted.id}", headers=HX)
    assert state_of(client.get("/print/reprints").get_data(as_text=True)) == "printing"
    process_queue(app)
    db.session.expire_all()
    assert db.session.get(TagReprint, wanted.id).done_at is not None
    body = client.get("/print/reprints").get_data(as_text=True)
    assert 'data-tag="SH-1400"' not in body and 'data-tag="SH-1401"' in body
    client.post("/print/reprints/all", headers=HX)
    process_queue(app)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(TagReprint).where(TagReprint.done_at.is_(None))) == 0
    assert 'data-testid="reprints-empty"' in client.get("/print/reprints").get_data(as_text=True)


def test_a_reprint_request_stays_open_while_its_tag_has_not_printed(app, make, client, clerk, refused, shirt):
    faded = make.garment("SH-1500", garment_type=shirt)
    request_tag_reprint(db.session, faded, user=None)
    db.session.commit()
    client.post("/print/reprints/all", headers=HX)
    process_queue(app)
    db.session.expire_all()
    assert db.session.scalar(select(TagReprint)).done_at is None
    body = client.get("/print/reprints").get_data(as_text=True)
    assert 'data-job-status="failed"' in body


def test_the_check_in_slip_lists_what_the_employee_handed_in_to_this_clerk_today(
        app, make, client, clerk, spool, owner, shirt):
    handed = [make.garment(f"SH-16{i:02d}", garment_type=shirt, owner=owner, status="issued") for i in range(2)]
    kept = make.garment("SH-1699", garment_type=shirt, owner=owner, status="issued")
    db.session.commit()
    for garment in handed:
        client.post("/checkin/scan", data={"code": garment.tag, "employee_id": owner.id}, headers=HX)
    page = client.get(f"/checkin/?employee_id={owner.id}").get_data(as_text=True)
    assert 'data-testid="print-checkin-slip"' in page
    client.post("/print/receipt/checkin", data={"employee_id": owner.id}, headers=HX)
    text = json.dumps(json.loads(jobs()[0].document), ensure_ascii=False)
    assert "SH-1600" in text and "SH-1601" in text and kept.tag not in text and "张堃" in text
    process_queue(app)
    assert jobs()[0].status == "done"


def test_the_issue_slip_lists_what_was_handed_out(app, make, client, clerk, spool, owner, shirt):
    garment = make.garment("SH-1700", garment_type=shirt, owner=owner, size="L")
    db.session.commit()
    client.post("/issue/scan", data={"employee_id": owner.id, "code": garment.tag}, headers=HX)
    db.session.expire_all()
    assert db.session.get(Garment, garment.id).status == "issued"
    panel = client.get(f"/issue/?employee={owner.id}").get_data(as_text=True)
    assert 'data-testid="print-issue-slip"' in panel
    client.post("/print/receipt/issue", data={"employee_id": owner.id}, headers=HX)
    [job] = jobs()
    assert job.kind == "issue" and "SH-1700" in job.document


def test_a_slip_with_nothing_scanned_is_refused_and_nothing_is_queued(app, make, client, clerk, spool, owner):
    db.session.commit()
    response = client.post("/print/receipt/checkin", data={"employee_id": owner.id}, headers=HX)
    assert "Nothing was scanned for this slip yet." in response.get_data(as_text=True)
    assert jobs() == []


def test_receipts_switched_off_at_a_station_hide_the_slip_button_and_refuse_the_slip(
        app, make, client, clerk, spool, owner, shirt):
    garment = make.garment("SH-1800", garment_type=shirt, owner=owner, status="issued")
    db.session.commit()
    client.post("/checkin/scan", data={"code": garment.tag, "employee_id": owner.id}, headers=HX)
    response = client.post("/print/receipts/checkin", data={"on": "0", "next": "/checkin/"})
    assert response.status_code == 302
    page = client.get(f"/checkin/?employee_id={owner.id}").get_data(as_text=True)
    assert 'data-receipts="off"' in page and 'data-testid="print-checkin-slip"' not in page
    client.post("/print/receipt/checkin", data={"employee_id": owner.id}, headers=HX)
    assert jobs() == []
    # Another station keeps its own switch; switching back on shows the button again.
    assert 'data-receipts="on"' in client.get("/issue/").get_data(as_text=True)
    client.post("/print/receipts/checkin", data={"on": "1"})
    assert 'data-testid="print-checkin-slip"' in client.get(f"/checkin/?employee_id={owner.id}").get_data(as_text=True)


# --- who may ------------------------------------------------------------------------------------

def test_an_ironer_cannot_open_the_print_queue_nor_print(app, make, client, login_as, shirt):
    garment = make.garment("SH-1900", garment_type=shirt)
    db.session.commit()
    login_as("ironer")
    assert client.get("/print/").status_code == 403
    assert client.get("/print/reprints").status_code == 403
    assert print_tag(client, garment).status_code == 403
    body = client.get(f"/garment/{garment.tag}").get_data(as_text=True)
    assert 'data-testid="print-tag"' not in body and 'id="print-status"' not in body
    assert jobs() == []


@pytest.mark.parametrize("role", ["clerk", "supervisor", "admin"])
def test_the_counter_opens_the_print_queue(app, client, login_as, role):
    login_as(role)
    assert client.get("/print/").status_code == 200
    assert 'data-station="printing.queue"' in client.get("/").get_data(as_text=True)


# --- the CLI ----------------------------------------------------------------------------------------

def test_cli_tag_print_waits_for_the_tag_and_says_printed(app, make, runner, spool, shirt):
    make.garment("SH-2000", garment_type=shirt)
    db.session.commit()
    result = runner.invoke(args=["kiosk", "tag", "print", "sh-2000"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "printed"
    printed, _commands = decode(spool.read_bytes())
    assert printed is not None
    assert [j.status for j in jobs()] == ["done"]


def test_cli_tag_print_exits_non_zero_with_the_reason_when_the_printer_refuses(app, make, runner, refused, shirt):
    make.garment("SH-2001", garment_type=shirt)
    db.session.commit()
    result = runner.invoke(args=["kiosk", "tag", "print", "SH-2001"])
    assert result.exit_code == 1
    assert f"The printer at 127.0.0.1:{refused} refused the connection" in result.output
    assert [j.status for j in jobs()] == ["failed"]


def test_cli_tag_print_to_a_listener_that_only_reads_prints_and_says_the_status_is_unknown(
        app, make, runner, printers, shirt):
    listener = printers(mode="mute")
    app.config["KIOSK_PRINTER"] = listener.url
    make.garment("SH-2002", garment_type=shirt)
    db.session.commit()
    result = runner.invoke(args=["kiosk", "tag", "print", "SH-2002"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "printed"
    assert "Printer status unknown: check that it came out." in result.stderr
    printed, commands = decode(listener.received[0])
    assert printed is not None and commands[-1].name == "cut"


def test_cli_tag_print_of_an_unknown_tag_exits_non_zero(ctx, runner, spool):
    result = runner.invoke(args=["kiosk", "tag", "print", "NOPE-1"])
    assert result.exit_code == 1
    assert "NOPE-1 is not one of our uniforms" in result.output
    assert jobs() == []


@pytest.mark.parametrize("recorded", ['{"params": {}}', "not json", '["a list"]', '{"message": 7, "params": []}'])
def test_a_failed_job_whose_reason_cannot_be_read_breaks_no_page(app, make, client, clerk, refused, shirt, recorded):
    """A reason in another shape than the kiosk writes (a hand-edited row, a restore from another
    version): the queue, the status bar and the home page still answer, and say the job failed."""
    garment = make.garment("SH-1300", garment_type=shirt)
    db.session.commit()
    print_tag(client, garment)
    process_queue(app)
    job = jobs()[0]
    assert job.status == "failed" and "refused the connection" in client.get("/print/").get_data(as_text=True)
    db.session.execute(update(PrintJob).where(PrintJob.id == job.id).values(last_error=recorded))
    db.session.commit()
    for path in ("/print/", "/", f"/print/jobs/{job.id}"):
        response = client.get(path)
        assert response.status_code in (200, 302, 404), (path, response.status_code)
    body = client.get("/print/").get_data(as_text=True)
    assert f'data-job="{job.id}" data-job-status="failed"' in body
    assert "cannot read" in body
    assert "cannot read" in status_bar(client)
