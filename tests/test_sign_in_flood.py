"""The per-address delay under a flood, and on every PIN screen, on SQLite and PostgreSQL.

A flood of parallel wrong PINs from one address must not put waitress's few
worker threads to sleep (the rest of the kiosk answers), and every turn is
claimed atomically, so parallel attempts wait one after another. Orderings
are checked with events, never durations: the wait itself is a spy that
holds until the test lets it go.
"""
import datetime as dt
import http.client
import json
import threading
import urllib.parse

import pytest
from waitress.server import create_server

from kiosk.auth import guard, throttle
from kiosk.extensions import db
from kiosk.i18n import now
from kiosk.models import User

from .conftest import login
from .test_sign_in_security import PIN, _operator, _stored

HOME = "127.0.0.1"


def _failures(app, address):
    stored = _stored(app, address)
    return None if stored is None else stored[0]


def _earned(app, address, failures):
    """``failures`` wrong PINs from ``address`` just now: its next attempts wait their turn."""
    with app.app_context():
        for _ in range(failures):
            throttle.record_failure(db.session, address, now())
        db.session.commit()


@pytest.fixture
def served(app):
    """The kiosk behind waitress with four worker threads (``kiosk serve`` runs eight)."""
    server = create_server(app, host=HOME, port=0, threads=4)
    stopping = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:
            # Closing the server from this thread while its loop waits in select() can hand
            # that select a closed descriptor (EBADF): the end we asked for, not a failure.
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield server.effective_port
    stopping.set()
    server.close()
    server.task_dispatcher.shutdown()
    # The connections it accepted (a client's keep-alive, one whose close the loop has not read
    # yet) are closed too, so the loop ends; left to the garbage collector, a socket is reported
    # unclosed (ResourceWarning, an error here) in whichever test of this worker runs then.
    for channel in list(server._map.values()):
        channel.close()
    thread.join(10)


def _http(port, method, path, form=None):
    connection = http.client.HTTPConnection(HOME, port, timeout=30)
    try:
        body = urllib.parse.urlencode(form) if form is not None else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.fixture
def held_waits(app, monkeypatch):
    """Each wait the kiosk would sleep (scale 0.2) holds until the test sets ``release``."""
    app.config["KIOSK_SIGNIN_DELAY_SCALE"] = 0.2
    state = {"waits": [], "held": threading.Event(), "release": threading.Event()}

    def pause(seconds):
        state["waits"].append(seconds)
        state["held"].set()
        state["release"].wait(30)

    monkeypatch.setattr(throttle, "pause", pause)
    return state


def test_a_flood_of_wrong_pins_from_one_address_leaves_the_kiosk_answering(app, served, held_waits):
    victim, clerk = _operator(app), _operator(app)
    _earned(app, HOME, 7)  # the next attempt from here waits 4 s (scaled: 0.8 s)
    answers = {}
    answered = threading.Semaphore(0)

    def guess(n):
        answers[n] = _http(served, "POST", "/login", {"user_id": victim, "pin": "0000"})
        answered.release()

    flood = [threading.Thread(target=guess, args=(n,)) for n in range(6)]
    for thread in flood:
        thread.start()
    assert held_waits["held"].wait(30)  # one attempt is asleep in its turn …
    for _ in range(5):
        assert answered.acquire(timeout=30)
    # … the five others were answered at once, their PINs neither checked nor counted,
    refused = [html for status, html in answers.values() if status == 429]
    assert len(refused) == 5 and len(answers) == 5
    assert all("Too many sign-in attempts, please try again in" in html for html in refused)
    assert all(f'value="{victim}" checked' in html for html in refused)  # the name stays selected
    assert _failures(app, HOME) == 7
    # … and the kiosk answers another tablet while that attempt is still held.
    status, body = _http(served, "GET", "/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok" and json.loads(body)["database"] == "ok"
    assert not held_waits["release"].is_set() and len(held_waits["waits"]) == 1
    held_waits["release"].set()
    for thread in flood:
        thread.join(30)
    assert len(answers) == 6 and sum("Wrong PIN" in html for _, html in answers.values()) == 1
    assert _failures(app, HOME) == 8
    # A clerk's right PIN from the same address still signs in, after its turn.
    status, _html = _http(served, "POST", "/login", {"user_id": clerk, "pin": PIN})
    assert status == 302 and len(held_waits["waits"]) == 2


def test_attempts_sent_at_once_claim_one_turn_after_another(app):
    """Parallel attempts each get a later turn (one UPDATE each), so the delay caps their rate."""
    start = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.timezone.utc)
    with app.app_context():
        for _ in range(3):
            throttle.record_failure(db.session, "10.0.0.2", start)  # the next attempt waits 0.5 s
        db.session.commit()
    barrier = threading.Barrier(4)
    waits = []

    def attempt():
        with app.app_context():
            barrier.wait()
            waits.append(throttle.claim(db.session, "10.0.0.2", start))
            db.session.commit()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(waits) == [0.5, 1.0, 1.5, 2.0]
    # A failure then never moves the next turn back before one already claimed.
    with app.app_context():
        row = throttle.record_failure(db.session, "10.0.0.2", start)
        db.session.commit()
        assert row.failures == 4 and row.wait_until == start + dt.timedelta(seconds=2.5)
        # Past the cap every turn is the longest wait, never a refusal.
        assert throttle.claim(db.session, "10.0.0.2", start + dt.timedelta(seconds=2.5)) == 0
        assert throttle.claim(db.session, "10.0.0.2", start + dt.timedelta(seconds=2.5)) == 1.0


def test_at_most_one_attempt_per_address_and_two_in_all_sleep():
    assert guard._take("10.0.1.1")
    try:
        assert not guard._take("10.0.1.1")  # one per address
        assert guard._take("10.0.1.2")
        try:
            assert not guard._take("10.0.1.3")  # two in all
        finally:
            guard._give_back("10.0.1.2")
        assert guard._take("10.0.1.3")
        guard._give_back("10.0.1.3")
    finally:
        guard._give_back("10.0.1.1")


# --- every PIN screen counts towards the address's delay ---------------------------------

def test_a_wrong_pin_at_write_off_approval_slows_the_address_and_the_right_one_approves(app, make):
    from kiosk.writeoffs import services as writeoffs
    from kiosk.writeoffs.models import WriteOff

    boss = make.user(role="supervisor", pin=PIN)
    clerk = make.user(role="clerk", pin=PIN)
    garment = make.garment(status="issued")
    write_off = writeoffs.open_write_off(db.session, garment, reason="lost", responsible="hotel", user=clerk,
                                         rules=writeoffs.Rules(), today=dt.date.today())
    db.session.commit()
    boss_id, write_off_id, path = boss.id, write_off.id, f"/writeoffs/{write_off.id}/approve"
    tablet = app.test_client()
    here = {"REMOTE_ADDR": "10.0.0.20"}
    assert login(tablet, clerk.id, PIN).status_code == 302
    for n in range(1, 4):
        response = tablet.post(path, data={"approver_id": boss_id, "pin": "0000"}, environ_base=here)
        assert "Wrong PIN" in response.get_data(as_text=True)
        assert _failures(app, "10.0.0.20") == n
    # A refusal that is no guess (no supervisor chosen) costs the address nothing.
    tablet.post(path, data={"pin": "0000"}, environ_base=here)
    assert _failures(app, "10.0.0.20") == 3
    response = tablet.post(path, data={"approver_id": boss_id, "pin": PIN}, environ_base=here)
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(WriteOff, write_off_id).status != "pending"
    assert db.session.get(User, boss_id).failed_attempts == 0


@pytest.mark.parametrize("screen", ["stocktake", "handover", "my-pin"])
def test_every_other_pin_screen_counts_towards_the_address_too(app, make, screen):
    from kiosk.handover import services as handover
    from kiosk.stocktake import services as stocktakes

    boss = make.user(role="supervisor", pin=PIN)
    clerk = make.user(role="clerk", pin=PIN)
    db.session.commit()
    if screen == "stocktake":
        stocktake = stocktakes.open_stocktake(db.session, "2026-03", user=boss)
        path = f"/stocktake/{stocktake.id}/close"
        data = {"supervisor_id": boss.id, "supervisor_pin": "0000", "counter_id": clerk.id, "counter_pin": PIN}
        signed_in = boss
    elif screen == "handover":
        writer = make.user(role="clerk", pin=PIN)
        written = handover.write(db.session, writer=writer, note="", tailor_days=3)
        path, data, signed_in = f"/handover/{written.id}/acknowledge", {"user_id": clerk.id, "pin": "0000"}, writer
    else:
        path, data, signed_in = "/operators/my-pin", {"current": "0000", "new": "97310", "new_again": "97310"}, clerk
    db.session.commit()
    tablet = app.test_client()
    assert login(tablet, signed_in.id, PIN).status_code == 302
    response = tablet.post(path, data=data, environ_base={"REMOTE_ADDR": "10.0.0.21"})
    assert "Wrong PIN" in response.get_data(as_text=True)
    assert _failures(app, "10.0.0.21") == 1
