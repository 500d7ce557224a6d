"""Security headers on every answer, markup the policy lets run, cookies for HTTPS, no token in a URL.

The browser half (no policy violation on any screen, and the moved handlers
still work) is tests/e2e/test_csp.py.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.config import from_environment
from kiosk.extensions import db

from .conftest import Factory, _test_config, login
from .scans import HX

TEMPLATES = Path(__file__).resolve().parents[1] / "kiosk" / "templates"


def _assert_secure(response) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict((part.split(" ", 1) + [""])[:2] for part in (d.strip() for d in csp.split(";")) if part)
    # WebAssembly may be compiled (the camera's barcode decoder), and nothing else is evaluated.
    assert directives.get("script-src") == "'self' 'wasm-unsafe-eval'", csp
    assert directives.get("style-src") == "'self'", csp
    assert directives.get("default-src") == "'self'", csp
    assert directives.get("object-src") == "'none'", csp
    assert directives.get("frame-ancestors") == "'none'", csp
    assert "unsafe-inline" not in csp and "'unsafe-eval'" not in csp
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") == "same-origin"
    assert response.headers.get("X-Frame-Options") == "DENY"


@pytest.fixture
def an_operator(app):
    """A hotel with an operator: without one every page leads to the first-run screen."""
    with app.app_context():
        Factory().user(role="admin", pin="2580")
        db.session.commit()


@pytest.fixture
def clerk_client(app, client):
    with app.app_context():
        user = Factory().user(role="clerk", pin="2580")
        db.session.commit()
        user_id = user.id
    assert login(client, user_id, "2580").status_code == 302
    return client


def test_a_page_carries_the_security_headers(client, an_operator):
    response = client.get("/login")
    assert response.status_code == 200
    _assert_secure(response)


def test_a_signed_in_screen_and_an_htmx_fragment_carry_them(clerk_client):
    page = clerk_client.get("/")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    _assert_secure(page)
    fragment = clerk_client.get("/garment/lookup?code=NOPE-1", headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and 'id="scan-result"' in body and "<html" not in body
    _assert_secure(fragment)


def test_error_pages_carry_them(clerk_client):
    missing = clerk_client.get("/no/such/screen")
    assert missing.status_code == 404
    _assert_secure(missing)
    refused = clerk_client.get("/reports/")  # a supervisor's screen
    assert refused.status_code == 403
    _assert_secure(refused)
    refused_htmx = clerk_client.get("/reports/", headers=HX)
    assert refused_htmx.status_code == 403
    _assert_secure(refused_htmx)


def test_a_static_file_and_the_health_check_carry_them(client):
    script = client.get("/static/js/scan.js")
    assert script.status_code == 200
    _assert_secure(script)
    script.close()
    health = client.get("/healthz")
    assert health.status_code == 200
    _assert_secure(health)


def test_a_server_error_page_carries_them(app, client, an_operator):
    @app.get("/boom-for-test")
    def boom():  # pragma: no cover - raises
        raise RuntimeError("boom")

    boom._access = "public"
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom-for-test")
    assert response.status_code == 500
    _assert_secure(response)


# --- markup the policy lets run ------------------------------------------------

INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler (onclick=...)"),
    (re.compile(r"\shx-on[:-]", re.I), "an hx-on handler (needs eval)"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"<style", re.I), "a <style> element"),
    (re.compile(r"javascript:|[\"']js:", re.I), "a javascript:/js: value (needs eval)"),
    (re.compile(r"hx-trigger=\"[^\"]*\[", re.I), "an hx-trigger filter [...] (needs eval)"),
]


def test_no_template_holds_what_the_policy_refuses():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = re.sub(r"{#.*?#}", "", path.read_text(), flags=re.S)  # Jinja comments may talk about it
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(TEMPLATES)}:{line}: {what}")
    assert found == []


def test_htmx_is_told_not_to_eval_nor_inject_styles(client, an_operator):
    body = client.get("/login").get_data(as_text=True)
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", body)
    assert config, "base.html has no htmx-config"
    assert '"allowEval": false' in config.group(1)
    assert '"includeIndicatorStyles": false' in config.group(1)
    css = client.get("/static/css/kiosk.css")
    assert ".htmx-indicator" in css.get_data(as_text=True)  # the styles htmx would have injected
    css.close()


# --- no token in a URL ----------------------------------------------------------

def test_lookup_is_a_get_that_needs_no_token(app, clerk_client):
    app.config["WTF_CSRF_ENABLED"] = True  # as on the kiosk: a GET still needs no token
    answer = clerk_client.get("/garment/lookup?code=NOPE-1", headers=HX)
    assert answer.status_code == 200 and 'data-scan-result="error"' in answer.get_data(as_text=True)
    # What scan.js puts in the URL (the code alone) is checked in tests/e2e/test_csp.py.


# --- cookies for a kiosk behind HTTPS -------------------------------------------

def test_secure_cookies_are_off_unless_asked(monkeypatch, tmp_path):
    monkeypatch.delenv("KIOSK_SECURE_COOKIES", raising=False)
    assert from_environment(str(tmp_path))["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("KIOSK_SECURE_COOKIES", "1")
    assert from_environment(str(tmp_path))["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("KIOSK_SECURE_COOKIES", "0")
    assert from_environment(str(tmp_path))["SESSION_COOKIE_SECURE"] is False


def _session_cookie_after_sign_in(app) -> str:
    with app.app_context():
        user = Factory().user(role="clerk", pin="2580")
        db.session.commit()
        user_id = user.id
    client = app.test_client()
    response = login(client, user_id, "2580")
    assert response.status_code == 302
    cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]
    assert cookies, response.headers
    return cookies[-1]


@pytest.mark.parametrize("setting, secure", [("1", True), (None, False)])
def test_the_session_cookie_is_secure_when_the_kiosk_is_behind_https(monkeypatch, tmp_path, database_url,
                                                                      setting, secure):
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    if setting is None:
        monkeypatch.delenv("KIOSK_SECURE_COOKIES", raising=False)
    else:
        monkeypatch.setenv("KIOSK_SECURE_COOKIES", setting)
    app = create_app(_test_config(database_url))
    try:
        cookie = _session_cookie_after_sign_in(app)
        assert ("; Secure" in cookie) is secure, cookie
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
