"""Going live: ``kiosk init``, the first-run screen and its setup code, the demo's band and start-up lines."""
from __future__ import annotations

import contextlib
import io
import os
import re
import stat

import pytest
from sqlalchemy import func, select

from kiosk import create_app
from kiosk.demo import DEMO_USERS
from kiosk.extensions import db
from kiosk.hotel import services as hotel
from kiosk.models import Hotel, User
from tests.conftest import _test_config, login

BAND = "Demo data — do not use for real operations"
PIN = "2580"  # a PIN the policy accepts (no run, no repeat, no alternation)
CODE = re.compile(r"setup code: ([A-Z0-9]{4}-[A-Z0-9]{4})")


def _init(runner, *args):
    return runner.invoke(args=["kiosk", "init", *args])


def _setup(client, code, **fields):
    data = {"code": code, "hotel_name": "锦江宾馆", "admin_name": "周经理", "pin": PIN, "pin_again": PIN}
    data.update(fields)
    return client.post("/setup", data=data)


def _announce(app) -> str:
    """What ``kiosk serve`` prints at start, before it serves."""
    from kiosk.cli import _announce as announce

    out = io.StringIO()
    with app.app_context(), contextlib.redirect_stdout(out):
        announce()
        db.session.remove()
    return out.getvalue()


def _code(app) -> str:
    match = CODE.search(_announce(app))
    assert match, "kiosk serve printed no setup code"
    return match.group(1)


def _operators(app) -> list[User]:
    with app.app_context():
        return db.session.scalars(select(User)).all()


@pytest.fixture
def demo(demo_data):
    """The test's database starts as the demo hotel (a copy of the one loaded for this run,
    tests/conftest.py); ``make run`` loading it into an empty database is tested below."""
    return demo_data


# --- kiosk init --------------------------------------------------------------

def test_init_sets_up_a_real_hotel_whose_admin_signs_in_with_their_own_pin(app, runner, client):
    result = _init(runner, "--hotel", "锦江宾馆", "--admin", "周经理", "--pin", PIN)
    assert result.exit_code == 0, result.output
    assert "锦江宾馆" in result.output
    with app.app_context():
        row = db.session.scalars(select(Hotel)).one()
        assert (row.name, row.is_demo, row.demo_marks) == ("锦江宾馆", False, "{}")
        admin = db.session.scalars(select(User)).one()  # no demo operator beside them
        assert (admin.name, admin.role, admin.must_change_pin) == ("周经理", "admin", False)
        assert {u.name for u in DEMO_USERS}.isdisjoint({admin.name})
        admin_id = admin.id
    assert login(client, admin_id, PIN).status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "周经理" in page and BAND not in page


def test_init_prompts_on_a_terminal_and_asks_the_pin_twice(app, runner, monkeypatch):
    monkeypatch.setattr("kiosk.hotel.cli.interactive", lambda: True)
    # The first pair differs, the second is too short, the third is taken.
    result = runner.invoke(args=["kiosk", "init"],
                           input=f"锦江宾馆\n周经理\n{PIN}\n0000000\n12\n12\n{PIN}\n{PIN}\n")
    assert result.exit_code == 0, result.output
    assert PIN not in result.output  # hidden
    with app.app_context():
        assert db.session.scalars(select(User.name)).all() == ["周经理"]


def test_init_without_a_terminal_needs_every_option(app, runner):
    result = _init(runner, "--hotel", "锦江宾馆", "--admin", "周经理")
    assert result.exit_code != 0
    assert "--pin" in result.output
    assert _operators(app) == []


@pytest.mark.parametrize("pin", ["12", "12345678901", "12ab", "1111", "1234", "1212"])
def test_init_refuses_a_pin_the_policy_refuses(app, runner, pin):
    result = _init(runner, "--hotel", "锦江宾馆", "--admin", "周经理", "--pin", pin)
    assert result.exit_code != 0
    assert _operators(app) == []


def test_init_refuses_a_hotel_that_has_operators(app, runner, make):
    make.user("老管理员", role="admin")
    db.session.commit()
    result = _init(runner, "--hotel", "锦江宾馆", "--admin", "周经理", "--pin", PIN)
    assert result.exit_code != 0
    assert "already set up" in result.output
    assert [u.name for u in _operators(app)] == ["老管理员"]


def test_init_refuses_the_demo_and_says_how_to_take_it_out(app, runner, demo):
    result = _init(runner, "--hotel", "锦江宾馆", "--admin", "周经理", "--pin", PIN)
    assert result.exit_code != 0
    assert "kiosk demo --remove" in result.output
    assert "周经理" not in {u.name for u in _operators(app)}


# --- the first-run screen ----------------------------------------------------

def test_without_an_operator_every_page_leads_to_the_first_run_screen(app, client):
    for url in ("/", "/login", "/registry/types", "/no-such-page"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].endswith("/setup"), url
    htmx = client.get("/", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"].endswith("/setup")
    assert client.get("/healthz").status_code == 200
    static = client.get("/static/css/kiosk.css")
    static.close()
    assert static.status_code == 200
    page = client.get("/setup").get_data(as_text=True)
    assert 'data-testid="setup-form"' in page and BAND not in page


def test_the_first_run_screen_sets_up_the_hotel_with_the_printed_code(app, client):
    code = _code(app)
    response = _setup(client, code.lower().replace("-", " "))  # as typed: lower case, a space
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/login")
    [admin] = _operators(app)
    assert (admin.name, admin.role, admin.must_change_pin) == ("周经理", "admin", False)
    with app.app_context():
        assert db.session.scalars(select(Hotel)).one().name == "锦江宾馆"
    assert not (app.instance_path and os.path.exists(os.path.join(app.instance_path, "setup_code")))
    # Done once: the screen is gone, the code with it, and a real hotel's start prints neither.
    assert client.get("/setup").headers["Location"].endswith("/login")
    again = _setup(client, code, admin_name="冒名者")
    assert again.status_code == 302 and len(_operators(app)) == 1
    assert "setup code" not in _announce(app) and "PIN" not in _announce(app)
    page = client.get("/login").get_data(as_text=True)
    assert "The hotel is set up" in page and "周经理" in page and BAND not in page
    assert login(client, admin.id, PIN).status_code == 302


def test_the_first_run_screen_refuses_without_the_code(app, client):
    _code(app)
    for code in ("", "AAAA-AAAA"):
        response = _setup(client, code)
        assert response.status_code == 400
        assert 'data-testid="setup-form"' in response.get_data(as_text=True)
    assert _operators(app) == []
    assert client.get("/").headers["Location"].endswith("/setup")


def test_the_code_is_kept_as_a_hash_that_only_its_owner_reads(app):
    code = _code(app)
    path = os.path.join(app.instance_path, "setup_code")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, encoding="utf-8") as held:
        text = held.read()
    assert code.replace("-", "") not in text and code not in text


def test_wrong_codes_spend_the_code_until_the_server_makes_a_new_one(app, client, runner):
    code = _code(app)
    answers = [_setup(client, "WRNG-CODE").get_data(as_text=True) for _ in range(hotel.SETUP_CODE_TRIES)]
    assert "Tries left: 4" in answers[0] and "Tries left: 1" in answers[-2]
    assert "Too many wrong codes" in answers[-1]
    refused = _setup(client, code)  # the right code, too late
    assert refused.status_code == 400 and "Too many wrong setup codes" in refused.get_data(as_text=True)
    assert _operators(app) == []
    # A restart does not hand out a new code by itself; the command on the server does.
    assert CODE.search(_announce(app))
    fresh = CODE.search(runner.invoke(args=["kiosk", "setup-code"]).output).group(1)
    assert _setup(client, code).status_code == 400  # the old code stays spent
    assert _setup(client, fresh).status_code == 302
    assert len(_operators(app)) == 1


def test_a_start_keeps_the_code_it_printed_for_the_other_processes(app, client, database_url, monkeypatch):
    """Two server processes on one machine: the code one printed works on the other; tries count in both."""
    code = _code(app)
    assert "setup code:" not in _announce(app)  # the second start keeps it (and says how to get a new one)
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", app.instance_path)
    other = create_app(_test_config(database_url))
    try:
        other_client = other.test_client()
        assert "Tries left: 4" in _setup(other_client, "WRNG-CODE").get_data(as_text=True)
        assert "Tries left: 3" in _setup(client, "WRNG-CODE").get_data(as_text=True)
        assert _setup(other_client, code).status_code == 302
        # The first process learns of it on its next request.
        assert client.get("/setup").headers["Location"].endswith("/login")
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_first_run_form_says_what_is_wrong_and_keeps_the_code_unspent(app, client):
    code = _code(app)
    differ = _setup(client, code, pin_again="2581")
    assert differ.status_code == 400 and "The two PINs differ" in differ.get_data(as_text=True)
    short = _setup(client, code, pin="12", pin_again="12")
    assert short.status_code == 400
    nameless = _setup(client, code, hotel_name="  ")
    assert nameless.status_code == 400 and "Enter the hotel" in nameless.get_data(as_text=True)
    assert _operators(app) == []
    assert _setup(client, code).status_code == 302  # none of those spent a try


def test_the_first_run_screen_is_csrf_protected(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    code = _code(app)
    assert _setup(client, code).status_code == 400
    assert _operators(app) == []


# --- the demo says so ----------------------------------------------------------

def test_a_demo_database_shows_the_band_on_every_page(app, demo):
    client = app.test_client()
    for url in ("/login", "/no-such-page"):
        page = client.get(url)
        assert BAND in page.get_data(as_text=True), url
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.name == "管理员"))
    assert login(client, admin.id, "9999").status_code == 302
    for url in ("/", "/registry/types", "/today/", "/no-such-page"):
        assert BAND in client.get(url).get_data(as_text=True), url


def test_the_band_is_in_chinese_for_a_chinese_kiosk(product_language, demo):
    page = product_language.test_client().get("/login").get_data(as_text=True)
    assert "演示数据 — 请勿用于正式运营" in page


def test_the_hotel_is_read_once_and_not_per_request_after_setup(app, runner, client, monkeypatch):
    assert _init(runner, "--hotel", "锦江宾馆", "--admin", "周经理", "--pin", PIN).exit_code == 0
    client.get("/login")
    reads = []
    real = hotel.read_state
    monkeypatch.setattr("kiosk.hotel.read_state", lambda session: reads.append(1) or real(session))
    for _ in range(3):
        assert BAND not in client.get("/login").get_data(as_text=True)
    assert reads == []


def test_a_demo_start_warns_and_lists_the_demo_pins_a_real_start_none(app, runner, demo):
    said = _announce(app)
    assert "WARNING" in said and "DEMO hotel" in said  # in the kiosk's language (here English)
    assert all(f"PIN {u.pin}" in said for u in DEMO_USERS)
    remove = runner.invoke(args=["kiosk", "demo", "--remove", "--yes"])
    assert remove.exit_code == 0, remove.output
    assert _init(runner, "--hotel", "锦江宾馆", "--admin", "周经理", "--pin", PIN).exit_code == 0
    said = _announce(app)
    assert "WARNING" not in said and "PIN" not in said and "setup code" not in said
    assert BAND not in app.test_client().get("/login").get_data(as_text=True)


def test_after_the_demo_is_removed_the_server_asks_for_setup(app, runner, demo):
    assert runner.invoke(args=["kiosk", "demo", "--remove", "--yes"]).exit_code == 0
    client = app.test_client()
    assert client.get("/login").headers["Location"].endswith("/setup")
    code = _code(app)
    assert _setup(client, code).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert BAND not in client.get("/login").get_data(as_text=True)
    # ``make run`` again does not bring the demo back into the real hotel.
    again = runner.invoke(args=["kiosk", "demo", "--if-empty"])
    assert again.exit_code == 0 and "real hotel" in again.output
    assert len(_operators(app)) == 1


def test_make_run_on_a_fresh_clone_still_loads_the_demo(app, runner):
    result = runner.invoke(args=["kiosk", "demo", "--if-empty"])
    assert result.exit_code == 0 and "Demo hotel loaded" in result.output
    assert "setup code" not in _announce(app)
    assert app.test_client().get("/login").status_code == 200


def test_init_deletes_a_printed_code(app, runner):
    _code(app)
    assert _init(runner, "--hotel", "锦江宾馆", "--admin", "周经理", "--pin", PIN).exit_code == 0
    assert not os.path.exists(os.path.join(app.instance_path, "setup_code"))


def test_the_setup_code_command_refuses_a_set_up_hotel(app, runner, make):
    make.user(role="admin")
    db.session.commit()
    result = runner.invoke(args=["kiosk", "setup-code"])
    assert result.exit_code != 0 and "already set up" in result.output
    assert not os.path.exists(os.path.join(app.instance_path, "setup_code"))
