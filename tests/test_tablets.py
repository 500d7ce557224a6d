"""Named tablets (kiosk.tablets, the screen in kiosk.printing.tablets): every slip and tag on the
printer beside the tablet that asked.

Real TCP printers on 127.0.0.1 (tests/printers/fakeprinter.py) and the test client's own cookie
jar as the tablet's browser: a supervisor names it, a clerk signs in on it and prints.
"""
from __future__ import annotations

import datetime as dt
import threading

import pytest
import zxingcpp
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import PrintHost, Tablet, utcnow
from kiosk.printing import printers as records
from kiosk.printing import services, worker
from kiosk.tablets import services as tablets
from printers import labels
from tests.conftest import login
from tests.printers.fakeprinter import decode
from tests.test_printers import jobs

HX = {"HX-Request": "true"}


@pytest.fixture
def shirt(make):
    return make.garment_type("SH", name_zh="衬衫", name_en="Shirt")


def add_printer(name: str, url: str, **kw) -> int:
    printer = records.add(db.session, records.PrinterFields(name=name, url=url, **kw))
    db.session.commit()
    return printer.id


def renews(response) -> bool:
    """Whether ``response`` sends the tablet's cookie (other cookies, the session's, aside)."""
    response.close()
    return any(c.startswith(f"{tablets.COOKIE}=") for c in response.headers.getlist("Set-Cookie"))


def name_tablet(client, name: str):
    return client.post("/print/tablets/this", data={"name": name})


def tablet_named(name: str) -> Tablet:
    db.session.expire_all()
    return db.session.scalar(select(Tablet).where(Tablet.name == name, Tablet.retired_at.is_(None)))


def choose(client, tablet_id: int, **form):
    data = {"name": tablet_named_by_id(tablet_id).name, "receipt_printer_id": "", "tag_printer_id": "",
            "receipts_checkin": "room", "receipts_issue": "room", **{k: str(v) for k, v in form.items()}}
    return client.post(f"/print/tablets/{tablet_id}", data=data)


def tablet_named_by_id(tablet_id: int) -> Tablet:
    db.session.expire_all()
    return db.session.get(Tablet, tablet_id)


def test_a_supervisor_names_the_tablet_once_and_its_cookie_lasts_while_it_is_used(app, ctx, client, login_as):
    clerk = login_as("clerk")
    assert client.get("/print/tablets").status_code == 403
    assert name_tablet(client, "前台平板").status_code == 403
    assert client.get_cookie(tablets.COOKIE) is None
    login_as("supervisor")
    page = client.get("/print/tablets").get_data(as_text=True)
    assert 'data-testid="no-tablets"' in page and "This tablet has no name yet" in page
    named = name_tablet(client, "前台平板")
    assert named.status_code == 302
    cookie = client.get_cookie(tablets.COOKIE)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax" and not cookie.secure
    assert 399 * 24 * 3600 < (cookie.expires.timestamp() - utcnow().timestamp()) <= 400 * 24 * 3600
    tablet = tablet_named("前台平板")
    assert tablet.token_hash == tablets.token_hash(cookie.value) and cookie.value not in tablet.token_hash
    page = client.get("/print/tablets").get_data(as_text=True)
    assert 'data-tablet="前台平板"' in page and 'data-testid="this-tablet"' in page
    # A clerk signs in on this tablet the next day: the first page sends the cookie again, for
    # another 400 days (once a day; never with a file, never for a token no tablet holds).
    assert not renews(client.get("/print/tablets"))  # named just now: nothing to renew
    tablet.last_seen_at = utcnow() - dt.timedelta(days=1, minutes=1)
    db.session.commit()
    login(client, clerk)
    assert not renews(client.get("/static/css/kiosk.css"))
    home = client.get("/")
    assert renews(home) and f"{tablets.COOKIE}={cookie.value}" in " ".join(home.headers.getlist("Set-Cookie"))
    assert "private" in home.headers["Cache-Control"] or "no-store" in home.headers["Cache-Control"]
    assert tablet_named("前台平板").last_seen_at > utcnow() - dt.timedelta(minutes=1)
    assert not renews(client.get("/"))  # the same day: once is enough
    # The cookie is the tablet's, not the operator's: the clerk still may not open the screen.
    assert client.get("/print/tablets").status_code == 403
    # A name that cannot be a name changes nothing and says why.
    login_as("supervisor")
    for bad in ("", "x" * 61, "前台\x00平板"):
        refused = name_tablet(client, bad)
        assert refused.status_code == 422 and 'data-testid="tablet-error"' in refused.get_data(as_text=True)
    assert [t.name for t in tablets.active(db.session)] == ["前台平板"]
    assert client.get_cookie(tablets.COOKIE).value == cookie.value


def test_the_tablet_cookie_grants_nothing(app, ctx, client, login_as):
    login_as("supervisor")
    name_tablet(client, "前台平板")
    client.post("/logout")
    assert client.get_cookie(tablets.COOKIE) is not None
    assert client.get("/print/tablets").status_code in (302, 401)
    assert client.get("/print/").status_code in (302, 401)
    # A made-up or malformed token names no tablet: its prints go to the default printer.
    for forged in ("A" * 43, "../../etc", "x" * 500, ""):
        assert tablets.by_token(db.session, forged) is None
    # A forged cookie is never renewed.
    login_as("clerk")
    client.set_cookie(tablets.COOKIE, "A" * 43)
    assert not renews(client.get("/"))


def test_behind_https_the_tablet_cookie_is_secure(app, ctx, client, login_as):
    app.config["SESSION_COOKIE_SECURE"] = True  # KIOSK_SECURE_COOKIES=1
    login_as("supervisor")
    name_tablet(client, "前台平板")
    assert client.get_cookie(tablets.COOKIE).secure


def test_tags_and_slips_from_each_tablet_reach_only_the_printers_beside_it(
        app, ctx, client, login_as, make, printers, shirt):
    counter, ironing, default = printers(), printers(mode="mute"), printers()
    app.config["KIOSK_PRINTER"] = default.url
    counter_id = add_printer("前台小票机", counter.url)
    label_id = add_printer("熨烫间标签机", ironing.url, kind="label", label_size="40x30")
    owner = make.employee(name="张堃")
    garment = make.garment("SH-0100", garment_type=shirt, owner=owner, status="issued")
    db.session.commit()
    supervisor = login_as("supervisor")
    name_tablet(client, "前台平板")
    tablet = tablet_named("前台平板")
    assert choose(client, tablet.id, receipt_printer_id=counter_id, tag_printer_id=label_id).status_code == 302
    clerk = login_as("clerk")
    assert client.post(f"/print/garment/{garment.tag}/tag", data={"request_key": "t" * 32}, headers=HX).status_code == 200
    client.post("/checkin/scan", data={"code": garment.tag, "employee_id": owner.id}, headers=HX)
    client.post("/print/receipt/checkin", data={"employee_id": owner.id, "request_key": "s" * 32}, headers=HX)
    tag, slip = jobs()
    assert (tag.printer_id, tag.tablet_id, slip.printer_id, slip.tablet_id) == (label_id, tablet.id, counter_id, tablet.id)
    # An unnamed tablet (another browser) prints on the default printer.
    other = app.test_client()
    login(other, clerk)
    other.post(f"/print/garment/{garment.tag}/tag", data={"request_key": "u" * 32}, headers=HX)
    third = jobs()[-1]
    assert (third.printer_id, third.tablet_id) == (records.default_printer(
        db.session, url=default.url, paper_mm=80, native=False, name="Default printer", follow=True).id, None)
    assert worker.process_queue(app) == [tag.id, slip.id, third.id]
    label = labels.decode_tspl(ironing.wait_for(1000))
    assert [b.text for b in zxingcpp.read_barcodes(label.convert("L"))] == ["SH-0100"]
    receipt, _commands = decode(counter.received[0][6:])
    assert receipt is not None and b"BITMAP" not in counter.data
    assert len(counter.received) == 1 and len(ironing.received) == 1
    tagged, _ = decode(default.received[0][6:])
    assert [b.text for b in zxingcpp.read_barcodes(tagged.convert("L"))] == ["SH-0100"]
    # The queue says which tablet asked.
    login(client, supervisor)
    assert 'data-testid="job-tablet"' in client.get("/print/").get_data(as_text=True)


def test_a_tablet_without_a_tag_printer_prints_tags_on_its_receipt_printer(app, ctx, client, login_as, make, printers, shirt):
    counter = printers()
    counter_id = add_printer("前台小票机", counter.url)
    garment = make.garment("SH-0101", garment_type=shirt)
    db.session.commit()
    login_as("supervisor")
    name_tablet(client, "前台平板")
    choose(client, tablet_named("前台平板").id, receipt_printer_id=counter_id)
    client.post(f"/print/garment/{garment.tag}/tag", data={"request_key": "t" * 32}, headers=HX)
    assert [job.printer_id for job in jobs()] == [counter_id]


def test_a_tablet_whose_cookie_was_lost_is_named_again_and_takes_over_its_printers(
        app, ctx, client, login_as, printers):
    counter_id = add_printer("前台小票机", printers().url)
    supervisor = login_as("supervisor")
    name_tablet(client, "前台平板")
    old = tablet_named("前台平板")
    old_token = client.get_cookie(tablets.COOKIE).value
    choose(client, old.id, receipt_printer_id=counter_id, receipts_checkin="off")
    fresh = app.test_client()  # the same tablet, its browser data cleared
    login(fresh, supervisor)
    page = fresh.get("/print/tablets").get_data(as_text=True)
    assert "This tablet has no name yet" in page and '<option value="前台平板">' in page
    asked = name_tablet(fresh, "前台平板")  # asked first: replacing it retires the old entry
    assert asked.status_code == 409 and 'data-testid="take-over"' in asked.get_data(as_text=True)
    assert tablet_named("前台平板").id == old.id
    assert fresh.post("/print/tablets/this", data={"name": "前台平板", "take_over": "1"}).status_code == 302
    new = tablet_named("前台平板")
    assert new.id != old.id and (new.receipt_printer_id, new.checkin_receipts) == (counter_id, False)
    assert tablet_named_by_id(old.id).retired_at is not None
    assert tablets.by_token(db.session, old_token) is None  # the lost cookie names nothing now
    assert [t.name for t in tablets.active(db.session)] == ["前台平板"]


def test_renaming_onto_another_tablets_name_is_refused_and_retiring_sends_prints_to_the_default(
        app, ctx, client, login_as, printers):
    supervisor = login_as("supervisor")
    name_tablet(client, "前台平板")
    second = app.test_client()
    login(second, supervisor)
    name_tablet(second, "熨烫间平板")
    ironing = tablet_named("熨烫间平板")
    front = tablet_named("前台平板")
    refused = choose(client, front.id, name="熨烫间平板")
    assert refused.status_code == 422 and "There is already a tablet called 熨烫间平板" in refused.get_data(as_text=True)
    assert tablet_named_by_id(ironing.id).retired_at is None
    assert sorted(t.name for t in tablets.active(db.session)) == ["前台平板", "熨烫间平板"]
    assert client.post(f"/print/tablets/{front.id}/retire").status_code == 302
    assert [t.name for t in tablets.active(db.session)] == ["熨烫间平板"]
    assert client.get_cookie(tablets.COOKIE) is None  # this tablet retired itself: its cookie went
    assert client.post(f"/print/tablets/{front.id}/retire").status_code == 404
    assert "This tablet has no name yet" in client.get("/print/tablets").get_data(as_text=True)


def test_a_tablet_refuses_a_label_printer_for_slips_and_a_printer_no_longer_in_use(
        app, ctx, client, login_as, printers):
    label_id = add_printer("熨烫间标签机", printers(mode="mute").url, kind="label")
    gone_id = add_printer("旧小票机", printers().url)
    records.retire(db.session, "旧小票机")
    db.session.commit()
    login_as("supervisor")
    name_tablet(client, "前台平板")
    tablet = tablet_named("前台平板")
    for form, says in (({"receipt_printer_id": label_id}, "is a label printer"),
                       ({"tag_printer_id": gone_id}, "not in use any more"),
                       ({"tag_printer_id": "99999999999999999999"}, "not in use any more"),
                       ({"receipts_checkin": "maybe"}, "as the room, on or off"),
                       ({"name": "前台\x07"}, "needs a name")):
        refused = choose(client, tablet.id, **form)
        body = refused.get_data(as_text=True)
        assert refused.status_code == 422 and says in body, (form, body[-500:])
    tablet = tablet_named_by_id(tablet.id)
    assert (tablet.name, tablet.receipt_printer_id, tablet.tag_printer_id) == ("前台平板", None, None)
    assert choose(client, tablet.id, tag_printer_id=label_id).status_code == 302
    assert tablet_named_by_id(tablet.id).tag_printer_id == label_id


def test_a_tablet_may_switch_a_stations_receipts_for_itself(app, ctx, client, login_as, make, shirt):
    owner = make.employee(name="张堃")
    garments = [make.garment(f"SH-02{i:02d}", garment_type=shirt, owner=owner, status="issued") for i in range(2)]
    db.session.commit()
    supervisor = login_as("supervisor")
    name_tablet(client, "前台平板")
    tablet = tablet_named("前台平板")
    choose(client, tablet.id, receipts_checkin="off")
    other = app.test_client()  # another tablet keeps the room's switch (on)
    login(other, supervisor)
    for browser, garment in ((client, garments[0]), (other, garments[1])):
        browser.post("/checkin/scan", data={"code": garment.tag, "employee_id": owner.id}, headers=HX)
    assert 'data-receipts="off"' in client.get(f"/checkin/?employee_id={owner.id}").get_data(as_text=True)
    assert 'data-receipts="on"' in other.get(f"/checkin/?employee_id={owner.id}").get_data(as_text=True)
    refused = client.post("/print/receipt/checkin", data={"employee_id": owner.id}, headers=HX)
    assert "Receipts are off at this station." in refused.get_data(as_text=True) and jobs() == []
    other.post("/print/receipt/checkin", data={"employee_id": owner.id}, headers=HX)
    assert len(jobs()) == 1
    # The station's switch on this tablet changes this tablet's own switch, not the room's.
    client.post("/print/receipts/checkin", data={"on": "1"})
    assert tablet_named_by_id(tablet.id).checkin_receipts is True
    assert services.receipts_on(db.session, "checkin") is True
    client.post("/print/receipts/checkin", data={"on": "0"})
    assert tablet_named_by_id(tablet.id).checkin_receipts is False
    assert 'data-receipts="on"' in other.get(f"/checkin/?employee_id={owner.id}").get_data(as_text=True)


def test_a_job_for_a_printer_only_a_stopped_server_drives_stays_queued_and_says_why(
        app, ctx, client, login_as, make, printers, shirt):
    app.config["KIOSK_SERVER_NAME"] = "counter-pc"
    laundry = printers()
    laundry_id = add_printer("洗衣房小票机", laundry.url, host="laundry-pc")
    garment = make.garment("SH-0300", garment_type=shirt)
    db.session.commit()
    login_as("supervisor")
    name_tablet(client, "洗衣房平板")
    choose(client, tablet_named("洗衣房平板").id, receipt_printer_id=laundry_id)
    client.post(f"/print/garment/{garment.tag}/tag", data={"request_key": "t" * 32}, headers=HX)
    assert worker.process_queue(app) == []  # this server is counter-pc: the job is laundry-pc's
    [job] = jobs()
    assert job.status == "queued" and laundry.received == []
    queue = client.get("/print/").get_data(as_text=True)
    assert 'data-testid="job-waiting"' in queue and "laundry-pc" in queue and "has not run yet" in queue
    bar = client.get("/print/status", headers={**HX, "X-Kiosk-Background": "1"}).get_data(as_text=True)
    assert 'data-print-state="waiting"' in bar and "laundry-pc" in bar and "every 10s" in bar
    # laundry-pc ran, and stopped five minutes ago.
    db.session.add(PrintHost(name="laundry-pc", seen_at=utcnow() - dt.timedelta(minutes=5)))
    db.session.commit()
    assert "it is not running (last seen" in client.get("/print/").get_data(as_text=True)
    # This server's own beat is there (it runs), and laundry-pc comes back: the job prints there, once.
    assert db.session.get(PrintHost, "counter-pc") is not None
    app.config["KIOSK_SERVER_NAME"] = "laundry-pc"
    assert worker.process_queue(app) == [job.id]
    assert worker.process_queue(app) == []
    assert len(laundry.received) == 1 and jobs()[0].status == "done"
    bar = client.get("/print/status", headers={**HX, "X-Kiosk-Background": "1"}).get_data(as_text=True)
    assert 'data-testid="print-waiting"' not in bar


def test_thirty_tablets_naming_themselves_at_once_leave_one_tablet_per_name(app, client, login_as):
    supervisor = login_as("supervisor")
    browsers = [app.test_client() for _ in range(30)]
    for browser in browsers:
        login(browser, supervisor)
    answers: list[int] = []
    start = threading.Barrier(len(browsers))

    def name(browser, n):
        start.wait()
        answers.append(name_tablet(browser, "前台平板" if n % 2 else f"平板{n % 3}").status_code)

    threads = [threading.Thread(target=name, args=(b, n)) for n, b in enumerate(browsers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(answers) <= {302, 409, 422} and answers.count(302) >= 4, answers
    with app.app_context():
        in_use = db.session.execute(select(Tablet.name, func.count()).where(Tablet.retired_at.is_(None))
                                    .group_by(Tablet.name)).all()
        assert sorted(in_use) == [("前台平板", 1), ("平板0", 1), ("平板1", 1), ("平板2", 1)]


def test_the_printers_screen_asks_each_printer_how_it_is_and_shows_its_last_jobs(
        app, ctx, client, login_as, make, printers, shirt):
    from tests.printers.fakeprinter import free_port

    ready, empty, mute = printers(), printers(mode="paper_end"), printers(mode="mute")
    app.config["KIOSK_PRINTER"] = ready.url
    app.config["KIOSK_SERVER_NAME"] = "counter-pc"
    ids = {name: add_printer(name, url, **kw) for name, url, kw in (
        ("缺纸小票机", empty.url, {}), ("关机小票机", f"tcp://127.0.0.1:{free_port()}", {}),
        ("打印服务器", mute.url, {}), ("熨烫间标签机", mute.url, {"kind": "label"}),
        ("洗衣房小票机", ready.url, {"host": "laundry-pc"}))}
    garment = make.garment("SH-0400", garment_type=shirt)
    db.session.commit()
    login_as("supervisor")
    page = client.get("/print/printers").get_data(as_text=True)
    assert page.count('data-live="asking"') == 6  # every row asks after the page is shown
    ids["Default printer"] = records.by_name(db.session, "Default printer").id
    client.post(f"/print/garment/{garment.tag}/tag", data={"request_key": "t" * 32}, headers=HX)
    worker.process_queue(app)
    sent_before = len(mute.received)
    answer = client.get("/print/printers/live", headers=HX)
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    said = {}
    for name, printer_id in ids.items():
        part = body.split(f'id="printer-live-{printer_id}"')[1].split('id="printer-live-')[0]
        said[name] = part.split('data-live="')[1].split('"')[0], part
    assert {name: state for name, (state, _body) in said.items()} == {
        "Default printer": "ready", "缺纸小票机": "problem", "关机小票机": "problem", "打印服务器": "no_answer",
        "熨烫间标签机": "not_asked", "洗衣房小票机": "elsewhere"}
    assert "out of paper" in said["缺纸小票机"][1] and "refused the connection" in said["关机小票机"][1]
    assert "laundry-pc" in said["洗衣房小票机"][1]
    assert 'data-testid="printer-last-jobs"' in said["Default printer"][1] and "Printed" in said["Default printer"][1]
    assert "Nothing printed on it yet." in said["缺纸小票机"][1]
    assert len(mute.received) == sent_before + 1  # the print server was asked once; the label printer never
    assert all(b"\x10\x04" not in data for data in mute.received[:sent_before])
    # Opened again at once: the answers are kept, nothing is asked twice.
    assert client.get("/print/printers/live", headers=HX).get_data(as_text=True) == body
    assert len(mute.received) == sent_before + 1


def test_the_home_screen_asks_for_an_unnamed_tablet_to_be_named_only_where_it_matters(
        app, ctx, client, login_as, printers):
    clerk_id = login_as("clerk")
    login_as("supervisor")
    assert 'data-testid="tablet-unnamed"' not in client.get("/").get_data(as_text=True)  # one printer, no tablets
    add_printer("熨烫间标签机", printers(mode="mute").url, kind="label")
    home = client.get("/").get_data(as_text=True)
    assert 'data-testid="tablet-unnamed"' in home and 'data-testid="name-tablet-link"' in home
    clerk = app.test_client()
    login(clerk, clerk_id)
    home = clerk.get("/").get_data(as_text=True)
    assert "Ask a supervisor to name it." in home and 'data-testid="name-tablet-link"' not in home
    name_tablet(client, "前台平板")
    assert 'data-testid="tablet-unnamed"' not in client.get("/").get_data(as_text=True)
