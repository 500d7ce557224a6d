"""Signing in: PIN pad, badge, lockout, idle lock, and the PIN never in clear."""
import datetime as dt
import logging
import time

import pytest
from sqlalchemy import select

from kiosk.auth.services import Policy, check_pin, create_user
from kiosk.domain.errors import DomainError
from kiosk.extensions import db
from kiosk.models import User
from kiosk.web import SEEN_STEP_SECONDS

from .conftest import login


def _user(app, make, role="clerk", pin="2580", badge=None):
    user = make.user(role=role, pin=pin, badge=badge)
    db.session.commit()
    return user.id


def test_right_pin_signs_in_and_shows_home(app, make, client):
    user_id = _user(app, make, role="supervisor")
    response = login(client, user_id, "2580")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert db.session.get(User, user_id).name in home.get_data(as_text=True)


def test_pin_is_stored_only_as_a_salted_hash(app, make, caplog):
    caplog.set_level(logging.DEBUG)
    first = create_user(db.session, "甲", "clerk", "482913", hash_method="pbkdf2:sha256:1000")
    second = create_user(db.session, "乙", "clerk", "482913", hash_method="pbkdf2:sha256:1000")
    db.session.commit()
    assert "482913" not in first.pin_hash
    assert first.pin_hash != second.pin_hash  # salted
    assert "482913" not in caplog.text


def test_wrong_pin_is_refused_with_tries_left_and_counted(app, make, client):
    user_id = _user(app, make)
    response = login(client, user_id, "0000")
    assert response.status_code == 200
    assert "4" in response.get_data(as_text=True)
    assert db.session.get(User, user_id).failed_attempts == 1
    assert client.get("/").status_code == 302  # still signed out


def test_five_wrong_pins_lock_the_user_even_against_the_right_pin(app, make, client):
    user_id = _user(app, make)
    for _ in range(5):
        login(client, user_id, "9999")
    db.session.expire_all()
    assert db.session.get(User, user_id).locked_until is not None
    response = login(client, user_id, "2580")
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_locked_user_can_sign_in_again_once_the_lock_expires(app, make):
    user_id = _user(app, make)
    user = db.session.get(User, user_id)
    policy = Policy(attempts=5, lock_minutes=5)
    start = dt.datetime.now(dt.timezone.utc)
    for _ in range(5):
        with pytest.raises(DomainError):
            check_pin(db.session, user, "0000", policy, now=start)
    with pytest.raises(DomainError, match="locked"):
        check_pin(db.session, user, "2580", policy, now=start + dt.timedelta(minutes=4, seconds=59))
    assert check_pin(db.session, user, "2580", policy, now=start + dt.timedelta(minutes=5, seconds=1)) is user
    assert user.failed_attempts == 0 and user.locked_until is None


def test_lock_belongs_to_one_user_only(app, make, client):
    locked, other = _user(app, make), _user(app, make)
    for _ in range(5):
        login(client, locked, "0000")
    assert login(client, other, "2580").status_code == 302


def test_badge_scan_signs_in_and_accepts_full_width_input(app, make, client):
    _user(app, make, role="ironer", badge="BADGE-7")
    response = client.post("/login/badge", data={"badge": " ｂａｄｇｅ－７ "})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_unknown_badge_is_refused(app, client, make):
    _user(app, make)
    response = client.post("/login/badge", data={"badge": "NOPE"})
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_idle_session_is_locked_back_to_login(app, make, client):
    user_id = _user(app, make)
    login(client, user_id)
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - app.config["KIOSK_IDLE_MINUTES"] * 60 - 1
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/").status_code == 302  # the session is gone, not just redirected once


def test_idle_lock_answers_htmx_with_a_redirect_header(app, make, client):
    user_id = _user(app, make)
    login(client, user_id)
    with client.session_transaction() as session:
        session["seen"] = 0
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"].startswith("/login")


def test_sign_in_does_not_follow_a_next_url_to_another_site(app, make, client):
    user_id = _user(app, make)
    response = client.post("/login", data={"user_id": user_id, "pin": "2580", "next": "//evil.example/x"})
    assert response.headers["Location"] == "/"


def test_sign_in_returns_to_the_page_asked_for(app, make, client):
    user_id = _user(app, make, role="supervisor")
    response = client.post("/login", data={"user_id": user_id, "pin": "2580", "next": "/registry/types"})
    assert response.headers["Location"] == "/registry/types"


def test_deactivated_user_cannot_sign_in(app, make, client):
    user_id = _user(app, make)
    db.session.get(User, user_id).active = False
    db.session.commit()
    assert login(client, user_id).status_code == 200
    assert client.get("/").status_code == 302


def test_sign_out_ends_the_session(app, make, client):
    login(client, _user(app, make))
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_user_add_cli_creates_a_user_who_can_sign_in(ctx, runner, client):
    result = runner.invoke(args=["kiosk", "user", "add", "周玥", "--role", "clerk", "--pin", "5927"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.name == "周玥"))
    assert user.role == "clerk" and "5927" not in user.pin_hash
    assert login(client, user.id, "5927").status_code == 302


@pytest.mark.parametrize("args", [
    ["X", "--role", "chef", "--pin", "2580"],
    ["X", "--role", "clerk", "--pin", "12"],
    ["X", "--role", "clerk", "--pin", "abcd"],
])
def test_user_add_cli_refuses_bad_input_and_writes_nothing(ctx, runner, args):
    result = runner.invoke(args=["kiosk", "user", "add", *args])
    assert result.exit_code != 0
    assert db.session.scalar(select(User).where(User.name == "X")) is None


def test_a_sign_in_lasts_a_shift_at_most_however_busy(app, make, client):
    """A copied cookie kept alive by use still dies: KIOSK_SESSION_HOURS after the sign-in."""
    from kiosk.models import OperatorSession

    user_id = _user(app, make)
    login(client, user_id)
    assert client.get("/").status_code == 200  # signed in, and in use
    row = db.session.scalar(select(OperatorSession).where(OperatorSession.user_id == user_id))
    row.created_at -= dt.timedelta(hours=app.config["KIOSK_SESSION_HOURS"], minutes=1)
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(OperatorSession, row.id).ended_reason == "expired"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "signed in for a whole shift" in page
    login(client, user_id)  # a new sign-in starts a new shift
    assert client.get("/").status_code == 200


# --- a name tapped, then a badge scanned; the idle lock follows the person -----------

def test_a_badge_scanned_into_the_pin_pad_signs_in_by_the_badge_and_costs_no_pin_attempt(app, make, client):
    tapped = _user(app, make)
    owner = _user(app, make, role="ironer", badge="BADGE-7")
    response = client.post("/login", data={"user_id": tapped, "pin": "BADGE-7"})
    assert response.status_code == 302
    assert db.session.get(User, owner).name in client.get("/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, tapped).failed_attempts == 0
    assert db.session.get(User, owner).failed_attempts == 0


def test_text_that_cannot_be_a_pin_is_never_a_wrong_pin(app, make, client):
    tapped = _user(app, make)
    for text in ("NOPE-1", ""):
        response = client.post("/login", data={"user_id": tapped, "pin": text})
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert ("This badge is not known" in body) if text else ("Type your PIN on the pad" in body)
    db.session.expire_all()
    assert db.session.get(User, tapped).failed_attempts == 0
    login(client, tapped, "0000")  # a PIN's shape, wrong: that one counts
    db.session.expire_all()
    assert db.session.get(User, tapped).failed_attempts == 1


def test_typing_on_a_page_keeps_the_sign_in_alive(app, make, client):
    login(client, _user(app, make))
    limit = app.config["KIOSK_IDLE_MINUTES"] * 60
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - limit + 5  # about to lock
    assert client.post("/alive").status_code == 204  # kiosk.js: someone is typing
    with client.session_transaction() as session:
        assert session["seen"] >= int(time.time()) - 2
        session["seen"] = int(time.time()) - limit + 5
    # A background poll is not the person: it keeps nothing alive.
    client.get("/", headers={"X-Kiosk-Background": "1"})
    with client.session_transaction() as session:
        assert session["seen"] < int(time.time()) - limit + 10


def test_the_sign_in_cookie_is_sent_again_only_when_the_last_use_it_records_moved(app, make, client):
    login(client, _user(app, make))
    client.get("/")
    assert "Set-Cookie" not in client.get("/").headers  # a moment later: the cookie still says when
    step = min(SEEN_STEP_SECONDS, app.config["KIOSK_IDLE_MINUTES"] * 6)
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - step
    assert "Set-Cookie" in client.get("/").headers
    with client.session_transaction() as session:
        assert session["seen"] >= int(time.time()) - 2


def test_the_lock_sends_an_htmx_request_back_to_the_page_it_came_from(app, make, client):
    login(client, _user(app, make))
    with client.session_transaction() as session:
        session["seen"] = 0
    response = client.post("/ironing/scan", data={"code": "X"}, headers={
        "HX-Request": "true", "HX-Current-URL": "http://kiosk.local/handover/?x=1"})
    assert response.headers["HX-Redirect"] == "/login?next=/handover/?x%3D1"
    # A page that is not ours is never a way back.
    login(client, _user(app, make))
    with client.session_transaction() as session:
        session["seen"] = 0
    response = client.get("/stock/", headers={"HX-Request": "true", "HX-Current-URL": "http://x//evil.example/"})
    assert response.headers["HX-Redirect"] == "/login"


def test_the_screens_idle_lock_returns_to_its_page_after_signing_in_again(app, make, client):
    user_id = _user(app, make)
    login(client, user_id)
    response = client.post("/logout", data={"idle": "1", "next": "/handover/"})
    assert response.headers["Location"] == "/login?next=/handover/"
    assert "/handover/" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.post("/login", data={"user_id": user_id, "pin": "2580", "next": "/handover/"}
                       ).headers["Location"] == "/handover/"
    login(client, user_id)
    response = client.post("/logout", data={"idle": "1", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/login"


def _session_cookie(app, client) -> str:
    return client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session")).value


def test_a_sign_in_cookie_kept_after_its_check_is_the_only_text_it_stands_for(app, make, client):
    """The server keeps cookies it has checked (kiosk.web.SessionCookie): a changed one is checked
    again and refused, while the kept one goes on working."""
    login(client, _user(app, make))
    client.get("/")
    again = client.get("/")  # the same cookie again: checked once, then kept
    assert again.status_code == 200 and "Set-Cookie" not in again.headers
    name, real = app.config.get("SESSION_COOKIE_NAME", "session"), _session_cookie(app, client)
    body, _, signature = real.rpartition(".")
    forged = f"{body}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    client.set_cookie(name, forged)
    refused = client.get("/")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    client.set_cookie(name, real)
    assert client.get("/").status_code == 200


def test_a_kept_sign_in_cookie_still_expires_with_its_age(app, make, client, monkeypatch):
    from kiosk.models import OperatorSession

    login(client, _user(app, make))
    client.get("/")
    again = client.get("/")  # the same cookie again: checked once, then kept
    assert again.status_code == 200 and "Set-Cookie" not in again.headers
    real_time = time.time
    later = real_time() + app.permanent_session_lifetime.total_seconds() + 60
    monkeypatch.setattr(time, "time", lambda: later)
    answer = client.get("/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    # Refused as an expired cookie (nothing in it read), not by the idle lock, which would have
    # read the sign-in from it and ended its row.
    row = db.session.scalars(select(OperatorSession)).one()
    db.session.refresh(row)
    assert row.ended_at is None
