"""Sign-in under attack: the lockout holds against requests sent at once, on SQLite and PostgreSQL.

The race is forced, not hoped for: the PIN check is slowed down (a spy around
``check_password_hash`` that counts and waits), so thirty requests overlap
between claiming their attempt and learning whether the PIN was right.
"""
import datetime as dt
import logging
import threading
import time

import pytest

from kiosk.auth import services
from kiosk.auth.services import Policy, check_pin
from kiosk.domain.errors import DomainError
from kiosk.extensions import db
from kiosk.models import User

from .conftest import Factory, login
from .test_concurrency import _at_once

PIN = "2580"


@pytest.fixture
def hashes_checked(monkeypatch):
    """Every PIN hash the kiosk checks, counted; each check takes 50 ms so that requests overlap."""
    checked = []
    lock = threading.Lock()
    real = services.check_password_hash

    def spy(pin_hash, pin):
        with lock:
            checked.append(pin)
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
    assert all("10.0.0.7" in r.getMessage() and f"operator {user.id}" in r.getMessage() for r in records)
    assert "9731" not in caplog.text
