"""Sign-in under attack: the lockout holds against requests sent at once, on SQLite and PostgreSQL.

The race is forced, not hoped for: the PIN check is slowed down (a spy around
``check_password_hash`` that counts and waits), so thirty requests overlap
between claiming their attempt and learning whether the PIN was right.
"""
import datetime as dt
import logging
import os
import re
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import event, select

from kiosk.auth import services
from kiosk.auth.services import Policy, check_pin
from kiosk.domain.errors import DomainError
from kiosk.extensions import db
from kiosk.models import OperatorSession, User

from .conftest import Factory, login
from .test_concurrency import _at_once

PIN = "2580"


@pytest.fixture
def hashes_checked(monkeypatch):
    """Every PIN hash the kiosk checks, counted; each check in a request sent at once (on a
    thread of its own) takes 50 ms, so that those requests overlap. The test's own sign-ins
    beforehand, one after another on the test's thread, are not slowed: they overlap nothing."""
    checked = []
    lock = threading.Lock()
    real = services.check_password_hash
    test_thread = threading.current_thread()

    def spy(pin_hash, pin):
        with lock:
            checked.append(pin)
        if threading.current_thread() is not test_thread:
            time.sleep(0.05)
        return real(pin_hash, pin)

    monkeypatch.setattr(services, "check_password_hash", spy)
    return checked


def _operator(app, role="clerk"):
    with app.app_context():
        user = Factory().user(role=role, pin=PIN)
        db.session.commit()
        return user.id


def _state(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        return user.failed_attempts, user.locked_until


def test_thirty_wrong_pins_at_once_lock_the_user_and_only_five_are_checked(app, hashes_checked):
    user_id = _operator(app)
    clients = [app.test_client() for _ in range(30)]
    answers = _at_once(clients, "/login", {"user_id": user_id, "pin": "0000"})
    texts = [html for status, html in answers if status == 200]
    assert len(texts) == 30
    # Every one is accounted for: five attempts counted (four with tries left, the fifth
    # locks), twenty-five refused as locked before their PIN was looked at.
    assert sum("Tries left before the lock" in t for t in texts) == 4
    assert sum("is now locked until" in t for t in texts) == 1
    assert sum("is locked after too many wrong PINs, until" in t for t in texts) == 25
    # The spy counted the hash checks: exactly ``attempts`` in this lock period.
    assert len(hashes_checked) == app.config["KIOSK_LOCKOUT_ATTEMPTS"] == 5
    attempts, locked_until = _state(app, user_id)
    assert attempts == 5 and locked_until is not None
    # The right PIN, sent right after, is refused until the lock lifts, and is not even checked.
    client = app.test_client()
    response = login(client, user_id, PIN)
    assert response.status_code == 200 and "is locked after too many wrong PINs" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert len(hashes_checked) == 5


def test_a_lock_says_when_it_lifts_in_the_hotels_time(app, make):
    user = make.user(pin=PIN)
    db.session.commit()
    policy = Policy(attempts=2, lock_minutes=5, zone="Asia/Shanghai")
    start = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.timezone.utc)  # 14:00 in Shanghai
    with pytest.raises(DomainError, match="Tries left"):
        check_pin(db.session, user, "0000", policy, now=start)
    with pytest.raises(DomainError) as locked:
        check_pin(db.session, user, "0000", policy, now=start)
    assert str(locked.value) == f"Wrong PIN. {user.name} is now locked until 14:05."
    with pytest.raises(DomainError) as still:
        check_pin(db.session, user, PIN, policy, now=start + dt.timedelta(minutes=4))
    assert str(still.value).endswith("until 14:05.")


def test_a_wrong_pin_is_counted_before_the_pin_is_checked_whatever_the_request_does_next(app, make):
    """The claim is committed on its own: a caller that rolls back does not undo the count."""
    user = make.user(pin=PIN)
    db.session.commit()
    user_id = user.id
    with pytest.raises(DomainError):
        check_pin(db.session, user, "0000", Policy())
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(User, user_id).failed_attempts == 1


def test_a_lock_lifts_and_the_count_starts_again(app, make):
    user = make.user(pin=PIN)
    db.session.commit()
    policy = Policy(attempts=3, lock_minutes=5)
    start = dt.datetime.now(dt.timezone.utc)
    for _ in range(3):
        with pytest.raises(DomainError):
            check_pin(db.session, user, "0000", policy, now=start)
    later = start + dt.timedelta(minutes=6)
    with pytest.raises(DomainError, match="Tries left before the lock: 2"):
        check_pin(db.session, user, "0000", policy, now=later)
    assert check_pin(db.session, user, PIN, policy, now=later) is user
    db.session.expire_all()
    assert (user.failed_attempts, user.locked_until) == (0, None)


@pytest.mark.parametrize("screen", ["write-off", "stocktake", "handover"])
def test_every_pin_screen_counts_through_the_same_lock(app, make, screen, hashes_checked):
    """The other PIN screens call check_pin: thirty wrong PINs at once there lock the user too."""
    from kiosk.handover import services as handover

    boss = make.user(role="supervisor", pin=PIN)
    clerk = make.user(role="clerk", pin=PIN)
    db.session.commit()
    target = boss if screen != "handover" else clerk
    if screen == "write-off":
        from kiosk.writeoffs import services as writeoffs
        garment = make.garment(status="issued")
        write_off = writeoffs.open_write_off(db.session, garment, reason="lost", responsible="hotel", user=clerk,
                                             rules=writeoffs.Rules(), today=dt.date.today())
        db.session.commit()
        path, data = f"/writeoffs/{write_off.id}/approve", {"approver_id": boss.id, "pin": "0000"}
        signed_in = clerk
    elif screen == "stocktake":
        from kiosk.stocktake import services as stocktakes
        stocktake = stocktakes.open_stocktake(db.session, "2026-03", user=boss)
        db.session.commit()
        path = f"/stocktake/{stocktake.id}/close"
        data = {"supervisor_id": boss.id, "supervisor_pin": "0000", "counter_id": clerk.id, "counter_pin": PIN}
        signed_in = boss
    else:
        writer = make.user(role="clerk", pin=PIN)
        written = handover.write(db.session, writer=writer, note="", tailor_days=3)
        db.session.commit()
        path, data = f"/handover/{written.id}/acknowledge", {"user_id": clerk.id, "pin": "0000"}
        signed_in = writer
    signed_in_id, target_id = signed_in.id, target.id
    clients = [app.test_client() for _ in range(30)]
    for client in clients:
        assert login(client, signed_in_id, PIN).status_code == 302
    hashes_checked.clear()
    _at_once(clients, path, data)
    assert len(hashes_checked) == 5
    db.session.expire_all()
    assert db.session.get(User, target_id).locked_until is not None


def test_wrong_pins_and_locks_are_logged_with_operator_and_address_never_the_pin(app, make, client, caplog):
    user = make.user(pin=PIN)
    db.session.commit()
    caplog.set_level(logging.INFO, logger="kiosk.auth")
    for _ in range(6):
        client.post("/login", data={"user_id": user.id, "pin": "9731"}, environ_base={"REMOTE_ADDR": "10.0.0.7"})
    records = [r for r in caplog.records if r.name == "kiosk.auth"]
    text = "\n".join(r.getMessage() for r in records)
    assert text.count("wrong PIN") == 5 and "locked until" in text and "PIN refused" in text
    assert all("10.0.0.7" in r.getMessage() for r in records)
    assert all(f"operator {user.id}" in r.getMessage() for r in records if "held back" not in r.getMessage())
    assert "9731" not in caplog.text


# --- sessions held on the server ---------------------------------------------------

def _signed_in(app, role="clerk"):
    user_id = _operator(app, role)
    client = app.test_client()
    assert login(client, user_id, PIN).status_code == 302
    assert client.get("/").status_code == 200
    return client, user_id


def _replay(app, cookie):
    """Another browser that sends a copy of the cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def test_the_cookie_holds_a_token_not_the_operator(app):
    client, user_id = _signed_in(app)
    with client.session_transaction() as cookie:
        assert "user_id" not in cookie and cookie["sid"]
    with app.app_context():
        row = db.session.scalar(select(OperatorSession))
        assert row.user_id == user_id and row.token_hash != cookie["sid"] and row.ended_at is None


def test_a_copied_cookie_is_refused_after_sign_out(app):
    client, _user_id = _signed_in(app)
    copy = client.get_cookie("session").value
    assert _replay(app, copy).get("/").status_code == 200  # the copy works while the session is open
    client.post("/logout")
    response = _replay(app, copy).get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(OperatorSession.ended_reason)) == "sign_out"


def test_a_copied_cookie_is_refused_after_the_idle_lock(app):
    client, _user_id = _signed_in(app)
    with client.session_transaction() as cookie:
        cookie["seen"] = int(time.time()) - app.config["KIOSK_IDLE_MINUTES"] * 60 - 1
    stale = client.get_cookie("session").value
    assert "/login" in client.get("/").headers["Location"]  # the server sees the idle session and ends it
    with app.app_context():
        assert db.session.scalar(select(OperatorSession.ended_reason)) == "idle"
    # The same cookie, with a fresh "seen" written into it, is still refused: the row is ended.
    thief = _replay(app, stale)
    with thief.session_transaction() as cookie:
        cookie["seen"] = int(time.time())
    assert thief.get("/").status_code == 302


def test_a_copied_cookie_is_refused_after_the_browser_idle_lock(app):
    client, _user_id = _signed_in(app)
    copy = client.get_cookie("session").value
    client.post("/logout", data={"idle": "1"})
    assert _replay(app, copy).get("/").status_code == 302


def test_a_copied_cookie_is_refused_once_the_operators_sessions_are_ended(app):
    from kiosk.auth.sessions import end_sessions

    client, user_id = _signed_in(app)
    copy = client.get_cookie("session").value
    with app.app_context():
        assert end_sessions(db.session, user_id, "pin") == 1
        db.session.commit()
    assert _replay(app, copy).get("/").status_code == 302
    assert client.get("/").status_code == 302


def test_a_request_reads_its_operator_without_writing(app):
    """The hot path: a page or a scan finds the operator in one query and writes no row."""
    client, _user_id = _signed_in(app)
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement.split()[0].upper())

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            assert client.get("/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
    assert statements and not {"INSERT", "UPDATE", "DELETE"} & set(statements)


def test_sign_ins_and_sign_outs_are_logged_never_the_badge_code(app, make, caplog):
    user = make.user(pin=PIN, badge="BADGE-4411")
    db.session.commit()
    caplog.set_level(logging.INFO, logger="kiosk.auth")
    client = app.test_client()
    address = {"REMOTE_ADDR": "10.0.0.9"}
    client.post("/login/badge", data={"badge": "NOPE-7731"}, environ_base=address)
    client.post("/login/badge", data={"badge": "BADGE-4411"}, environ_base=address)
    client.post("/logout", environ_base=address)
    lines = [r.getMessage() for r in caplog.records if r.name == "kiosk.auth"]
    assert len(lines) == 3, lines
    assert "unknown badge" in lines[0]
    assert "sign-in by badge" in lines[1] and f"operator {user.id}" in lines[1]
    assert "sign-out" in lines[2] and f"operator {user.id}" in lines[2]
    assert all("10.0.0.9" in line for line in lines)
    assert "NOPE-7731" not in caplog.text and "BADGE-4411" not in caplog.text


def test_the_served_kiosk_writes_auth_lines_with_their_time(tmp_path):
    """What ``kiosk serve`` sets up before waitress: each line on stderr starts with its time.

    In a fresh interpreter, since logging is process-wide.
    """
    script = (
        "import logging\n"
        "from kiosk import create_app\n"
        "from kiosk.web import serve_logging\n"
        f"app = create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/x.sqlite3', 'SECRET_KEY': 'x',"
        " 'KIOSK_PRINT_WORKER': False})\n"
        "serve_logging(app)\n"
        "logging.basicConfig()  # what waitress does: changes nothing now\n"
        "logging.getLogger('kiosk.auth').info('sign-in by PIN: operator 1 (client 10.0.0.1)')\n"
    )
    env = {**os.environ, "KIOSK_INSTANCE_PATH": str(tmp_path / "instance")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr  # once, not again through Flask's own handler
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO kiosk.auth: sign-in by PIN", lines[0])


# --- return URLs ---------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "//evil.example", "/%09/evil.example", "/\t/evil.example", "/\\evil.example", "\\\\evil.example",
    "https://evil.example/", "javascript:alert(1)", "/%2F/evil.example", "/%5Cevil.example", "/x\r\nSet-Cookie:a",
    "evil.example",
])
def test_sign_in_never_follows_next_off_the_site(app, target):
    user_id = _operator(app)
    response = app.test_client().post("/login", data={"user_id": user_id, "pin": PIN, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["//evil.example", "/%09/evil.example"])
def test_the_language_switch_never_follows_next_off_the_site(app, target):
    response = app.test_client().post("/language", data={"lang": "en", "next": target})
    assert response.headers["Location"] == "/"


def test_a_path_of_the_site_with_its_query_is_followed(app):
    user_id = _operator(app)
    response = app.test_client().post("/login", data={"user_id": user_id, "pin": PIN,
                                                      "next": "/garments/SH-1?tab=history"})
    assert response.headers["Location"] == "/garments/SH-1?tab=history"


# --- the delay per address -------------------------------------------------------------

@pytest.fixture
def waits(app, monkeypatch):
    """The waits the kiosk would spend (scale 1), recorded instead of slept."""
    from kiosk.auth import throttle

    app.config["KIOSK_SIGNIN_DELAY_SCALE"] = 1.0
    spent = []
    monkeypatch.setattr(throttle, "pause", spent.append)
    return spent


def _stored(app, address):
    from kiosk.models import SignInThrottle

    with app.app_context():
        row = db.session.get(SignInThrottle, address)
        return None if row is None else (row.failures, row.wait_until)


def _from(client, address, **data):
    path = "/login/badge" if "badge" in data else "/login"
    return client.post(path, data=data, environ_base={"REMOTE_ADDR": address})


def test_wrong_pins_from_one_address_make_its_next_attempts_wait_longer(app, waits):
    """Across operators: each wrong PIN, for whoever, adds to the address's delay."""
    users = [_operator(app) for _ in range(4)]
    client = app.test_client()
    for n in range(7):
        _from(client, "10.0.0.5", user_id=users[n % 4], pin="0000")
    failures, wait_until = _stored(app, "10.0.0.5")
    assert failures == 7 and wait_until is not None
    # The first two cost nothing, then 0.5 s doubling: 0.5, 1, 2, 4 s waited before attempts 4 to 7.
    assert [round(w, 1) for w in waits] == pytest.approx([0.5, 1.0, 2.0, 4.0], abs=0.15)
    # Another address is not held back.
    _from(client, "10.0.0.6", user_id=users[0], pin="0000")
    assert len(waits) == 4 and _stored(app, "10.0.0.6")[0] == 1


def test_unknown_badges_count_like_wrong_pins(app, waits):
    _operator(app)  # a set-up hotel: without an operator every page leads to the first-run screen
    client = app.test_client()
    for _ in range(4):
        _from(client, "10.0.0.8", badge="NOPE")
    assert _stored(app, "10.0.0.8")[0] == 4 and len(waits) == 1  # the fourth waited


def test_the_delay_never_refuses_a_right_pin(app, waits):
    """Tablets behind one router share an address: after the wait the right PIN signs in."""
    victim, clerk = _operator(app), _operator(app)
    guesser = app.test_client()
    for _ in range(8):
        _from(guesser, "10.0.0.1", user_id=victim, pin="0000")
    for _ in range(8):
        _from(guesser, "10.0.0.1", user_id=_operator(app), pin="0000")
    assert _stored(app, "10.0.0.1")[0] == 16
    waited = len(waits)
    tablet = app.test_client()
    response = _from(tablet, "10.0.0.1", user_id=clerk, pin=PIN)
    assert response.status_code == 302 and tablet.get("/").status_code == 200
    assert len(waits) == waited + 1 and waits[-1] <= 8.0  # it waited, capped


def test_the_count_starts_again_after_a_quiet_quarter_of_an_hour(app, make):
    from kiosk.auth import throttle

    start = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.timezone.utc)
    for n in range(5):
        row = throttle.record_failure(db.session, "10.0.0.3", start + dt.timedelta(seconds=n))
    db.session.commit()
    assert row.failures == 5 and throttle.wait_for(db.session, "10.0.0.3", start + dt.timedelta(seconds=4)) == 2.0
    later = start + dt.timedelta(minutes=16)
    assert throttle.wait_for(db.session, "10.0.0.3", later) == 0
    row = throttle.record_failure(db.session, "10.0.0.3", later)
    db.session.commit()
    assert (row.failures, row.wait_until) == (1, None)


def test_failures_sent_at_once_from_one_address_are_all_counted(app):
    users = [_operator(app) for _ in range(30)]
    clients = [app.test_client() for _ in users]
    barrier = threading.Barrier(len(clients))

    def guess(client, user_id):
        barrier.wait()
        _from(client, "10.0.0.4", user_id=user_id, pin="0000")

    threads = [threading.Thread(target=guess, args=pair) for pair in zip(clients, users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert _stored(app, "10.0.0.4")[0] == 30


@pytest.mark.parametrize("proxies, expected", [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_the_client_address_is_the_direct_peer_unless_proxies_are_trusted(tmp_path, monkeypatch, database_url,
                                                                          proxies, expected):
    from kiosk import create_app
    from tests.conftest import _test_config

    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({**_test_config(database_url), "KIOSK_TRUSTED_PROXIES": proxies})
    user_id = _operator(app)
    app.test_client().post("/login", data={"user_id": user_id, "pin": "0000"},
                           headers={"X-Forwarded-For": "203.0.113.9"})
    assert _stored(app, expected)[0] == 1
    with app.app_context():
        db.engine.dispose()
