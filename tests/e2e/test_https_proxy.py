"""The kiosk behind HTTPS, as a hotel runs it: Debian's nginx with deploy/nginx/uniform-kiosk.conf
(and Caddy with deploy/caddy/Caddyfile where caddy is installed) and a self-signed certificate for
127.0.0.1 (tests/e2e/proxies.py), in front of ``kiosk serve`` started with KIOSK_TRUSTED_PROXIES=1 and
KIOSK_SECURE_COOKIES=1. Chromium signs in over https://127.0.0.1:PORT (certificate errors ignored,
as a tablet that installed the local CA would trust it): the session cookie is Secure and HttpOnly,
every redirect stays on the proxy's address, the CSRF check passes over HTTPS, and the address the
kiosk logs is the tablet's (forwarded), not the proxy's own nor one the browser made up.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import new_page, sign_in, unique
from .proxies import caddy_in_front, nginx_in_front

#: What the browser claims as its own address: a proxy that trusted it would log this.
SPOOFED = "203.0.113.66"


@pytest.fixture(scope="module")
def server_env():
    return {"KIOSK_TRUSTED_PROXIES": "1", "KIOSK_SECURE_COOKIES": "1"}


@pytest.fixture(scope="module", params=["nginx", "caddy"])
def https_url(request, server, tmp_path_factory):
    """https://127.0.0.1:PORT: nginx, then Caddy, with the shipped file in front of this module's kiosk."""
    in_front = {"nginx": nginx_in_front, "caddy": caddy_in_front}[request.param]
    with in_front(server, tmp_path_factory.mktemp(request.param)) as url:
        yield url


@pytest.fixture
def tablet_over_https(browser, https_url):
    page = new_page(browser, https_url, ignore_https_errors=True, extra_http_headers={"X-Forwarded-For": SPOOFED})
    try:
        yield page
    finally:
        page.context.close()


def test_a_clerk_signs_in_through_nginx_over_https_with_a_secure_cookie(tablet_over_https, https_url, server):
    page = tablet_over_https
    name = server.add_user(unique("代理"))
    here = re.escape(https_url)

    # Asked for a page before signing in: the login, on the proxy's address, remembering the page.
    page.goto("/loans/")
    expect(page).to_have_url(re.compile(rf"^{here}/login\?next=(%2F|/)loans(%2F|/)$"))
    sign_in(page, name, expect_home=False)
    expect(page).to_have_url(f"{https_url}/loans/")
    expect(page.get_by_test_id("who")).to_contain_text(name)

    session = [cookie for cookie in page.context.cookies() if cookie["name"] == "session"]
    assert len(session) == 1, page.context.cookies()
    assert session[0]["secure"] is True and session[0]["httpOnly"] is True, session[0]
    assert session[0]["sameSite"] == "Lax"

    # A form posted over HTTPS (the CSRF check compares the Referer with the host nginx names).
    page.get_by_test_id("lang-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{https_url}/loans/")

    # The kiosk logged the browser's address as the proxy forwarded it: not nginx's own (127.0.0.2),
    # not the one the browser claimed itself.
    lines = [line for line in server.server_log().splitlines() if f"({name})" in line and "sign-in by PIN" in line]
    assert lines and lines[-1].endswith("(client 127.0.0.1)"), server.server_log()[-3000:]
    assert SPOOFED not in server.server_log() and "client 127.0.0.2" not in server.server_log()
    # So does the request log: its line for the sign-in names the browser's address.
    assert re.search(r": 127\.0\.0\.1 op=\S+ POST /login 302 ", server.server_log()), server.server_log()[-3000:]
    assert "127.0.0.2 op=" not in server.server_log()

    page.get_by_test_id("logout").click()
    expect(page).to_have_url(f"{https_url}/login")
